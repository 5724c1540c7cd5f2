"""Hostile CSV input: every case ends in a clear InputFileError (file, column, line) or in quarantined rows."""
from __future__ import annotations

import pandas as pd
import pytest

from pharma_kit.data import AS_OF, TRANSACTION_COLUMNS, generate
from pharma_kit.errors import InputFileError
from pharma_kit.quality import clean_csv
from pharma_kit.readers import read_csv_text

HEADER = ",".join(TRANSACTION_COLUMNS)
GOOD = [
    "1,5000001,100001,1,1000,2025-01-02 10:00:00,1,9.49",
    "2,5000001,100001,1,1001,2025-01-02 10:00:00,2,26.49",
    "3,5000002,100004,2,1002,2025-01-03 11:30:00,1,3.99",
]
LOOK = generate(300, seed=0)


def write(tmp_path, text: str | bytes, name: str = "feed.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))  # bytes as given: no newline translation
    return p


def run(path):
    res = clean_csv(path, as_of=AS_OF, stores=LOOK.stores, products=LOOK.products)
    assert res.kept.index.intersection(res.quarantine.index).empty
    return res


def test_clean_file_baseline(tmp_path):
    res = run(write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n"))
    assert list(res.kept.index) == [2, 3, 4]  # index = line number in the file
    assert res.kept.index.name == "line" and len(res.quarantine) == 0
    assert res.kept["amount"].tolist() == [9.49, 26.49, 3.99]


def test_missing_required_column(tmp_path):
    cols = [c for c in TRANSACTION_COLUMNS if c != "amount"]
    p = write(tmp_path, ",".join(cols) + "\n1,2,3,4,5,2025-01-01 00:00:00,1\n")
    with pytest.raises(InputFileError, match=r"feed\.csv: line 1: required column 'amount' is missing"):
        run(p)


def test_extra_column_ignored_or_refused(tmp_path):
    p = write(tmp_path, HEADER + ",loyalty_tier\n" + "\n".join(g + ",gold" for g in GOOD) + "\n")
    res = run(p)
    assert len(res.kept) == 3 and list(res.kept.columns) == TRANSACTION_COLUMNS
    assert read_csv_text(p, TRANSACTION_COLUMNS).extra_columns == ["loyalty_tier"]
    with pytest.raises(InputFileError, match=r"line 1: unexpected column\(s\) \['loyalty_tier'\]"):
        read_csv_text(p, TRANSACTION_COLUMNS, extra="error")


def test_header_only_file(tmp_path):
    res = run(write(tmp_path, HEADER + "\n"))
    assert len(res.kept) == 0 and len(res.quarantine) == 0
    assert list(res.kept.columns) == TRANSACTION_COLUMNS and res.kept["amount"].dtype == "float64"


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    with pytest.raises(InputFileError, match=r"feed\.csv: file is empty \(line 1"):
        run(write(tmp_path, content))


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="nope.csv: file not found"):
        run(tmp_path / "nope.csv")


def test_utf8_bom(tmp_path):
    p = write(tmp_path, b"\xef\xbb\xbf" + ("\n".join([HEADER, *GOOD]) + "\n").encode())
    read = read_csv_text(p, TRANSACTION_COLUMNS)
    assert read.had_bom and list(read.frame.columns) == TRANSACTION_COLUMNS
    assert len(run(p).kept) == 3


def test_non_utf8_bytes_quarantined_with_line(tmp_path):
    body = ("\n".join([HEADER, GOOD[0]]) + "\n").encode() + b"2,5000001,100001,1,1001,2025-01-02 10:00:00,2,\xa326.49\n" \
        + (GOOD[2] + "\n").encode()
    res = run(write(tmp_path, body))
    assert list(res.kept.index) == [2, 4]
    q = res.quarantine
    assert q.loc[3, "reason"] == "non_utf8_bytes" and "\ufffd26.49" in q.loc[3, "raw_line"]


def test_crlf_line_endings(tmp_path):
    res = run(write(tmp_path, "\r\n".join([HEADER, *GOOD]) + "\r\n"))
    assert list(res.kept.index) == [2, 3, 4] and res.kept["amount"].tolist() == [9.49, 26.49, 3.99]


def test_quoted_fields_with_commas_and_newlines(tmp_path):
    text = "\n".join([
        HEADER,
        '1,5000001,100001,1,1000,2025-01-02 10:00:00,1,"$1,234.50"',   # a quoted comma in a money value
        '2,5000001,"100\n001",1,1001,2025-01-02 10:00:00,2,26.49',      # a quoted newline: one record, 2 lines
        GOOD[2],
    ]) + "\n"
    res = run(write(tmp_path, text))
    assert res.kept.loc[2, "amount"] == 1234.50              # repaired type drift
    assert res.quarantine.loc[3, "reason"] == "bad_customer_id"
    assert res.quarantine.loc[3, "customer_id"] == "100\n001"
    assert list(res.kept.index) == [2, 5]                       # the next record starts on line 5


def test_blank_lines_are_not_rows_but_are_reported(tmp_path):
    p = write(tmp_path, "\n".join(["", HEADER, GOOD[0], "", "   ", GOOD[1], GOOD[2], ""]) + "\n")
    read = read_csv_text(p, TRANSACTION_COLUMNS)
    assert read.blank_lines == [1, 4, 5, 8]
    assert list(run(p).kept.index) == [3, 6, 7]


def test_repeated_header_in_the_middle(tmp_path):
    res = run(write(tmp_path, "\n".join([HEADER, GOOD[0], HEADER, GOOD[1]]) + "\n"))
    assert list(res.kept.index) == [2, 4]
    assert res.quarantine.loc[3, "reason"] == "repeated_header"
    assert res.summary().loc["repeated_header", "rows"] == 1


def test_wrong_column_count(tmp_path):
    res = run(write(tmp_path, "\n".join([HEADER, GOOD[0], "2,5000001,100001,1", GOOD[2] + ",extra"]) + "\n"))
    assert list(res.kept.index) == [2]
    q = res.quarantine
    assert q["reason"].to_dict() == {3: "wrong_column_count", 4: "wrong_column_count"}
    assert q.loc[3, "raw_line"] == "2,5000001,100001,1"
    assert q.loc[3, TRANSACTION_COLUMNS].isna().all()  # no guessing which field went where


def test_dollar_amounts_and_empty_fields(tmp_path):
    text = "\n".join([HEADER, GOOD[0].replace("9.49", '"$1,234.50"'), GOOD[1].replace("100001", ""),
                      GOOD[2].replace("3.99", "three")]) + "\n"
    res = run(write(tmp_path, text))
    assert res.kept["amount"].tolist() == [1234.50]
    assert res.quarantine["reason"].to_dict() == {3: "null_customer", 4: "unparseable_amount"}
    assert res.report.failing_counts()["amount_type_drift"] == 2  # "$1,234.50" (repaired) and "three"


def test_every_record_accounted_for_in_a_messy_file(tmp_path):
    lines = [HEADER, *GOOD, "", HEADER, "x,y", GOOD[0], GOOD[1].replace("26.49", "-26.49")]
    p = write(tmp_path, "\r\n".join(lines) + "\r\n")
    read = read_csv_text(p, TRANSACTION_COLUMNS)
    res = run(p)
    assert read.n_records == len(res.kept) + len(res.quarantine) == 7
    assert res.summary()["rows"].to_dict() == {"negative_amount": 1, "exact_duplicate": 1,
                                               "wrong_column_count": 1, "repeated_header": 1}
    assert isinstance(res.quarantine.index, pd.Index) and res.quarantine.index.is_monotonic_increasing


# --------------------------------------------------------------------------- issue 15: feeds never seen before
def feed_lines(n: int) -> list[str]:
    """``n`` distinct, valid lines (one product per order line, two lines per order)."""
    return [f"{i},{5_000_000 + i // 2},{100_001 + i % 50},1,{1000 + i % 2},2025-01-02 10:{i % 60:02d}:00,1,9.49"
            for i in range(1, n + 1)]


def accounted(res) -> dict:
    a = res.line_accounting()  # raises if the lines do not add up
    assert a["records"] == len(res.kept) + len(res.quarantine)
    return a


@pytest.mark.parametrize("field,value,reason", [
    ("customer_id", "１０２１４８", "bad_customer_id"),
    ("customer_id", "10000९", "bad_customer_id"),
    ("quantity", "２", "bad_quantity"),
    ("order_id", "٥٠٠٠٠٠١", "bad_order_id"),
])
def test_non_ascii_digits_quarantine_the_row_not_the_file(tmp_path, field, value, reason):
    lines = feed_lines(20_000)
    cols = lines[953].split(",")
    cols[TRANSACTION_COLUMNS.index(field)] = value
    lines[953] = ",".join(cols)
    res = run(write(tmp_path, "\n".join([HEADER, *lines]) + "\n"))
    assert res.quarantine["reason"].to_dict() == {955: reason}
    assert res.quarantine.loc[955, "raw_line"] == lines[953]
    assert len(res.kept) == 19_999 and accounted(res)["lines"] == 20_001


@pytest.mark.parametrize("n", [1_000, 5_000])
def test_unbalanced_quote_costs_one_line_not_the_rest(tmp_path, n):
    lines = feed_lines(n)
    lines[3] = lines[3].replace(",9.49", ',"9.49')  # line 5 of the file
    res = run(write(tmp_path, "\n".join([HEADER, *lines]) + "\n"))
    assert len(res.kept) == n - 1
    assert res.quarantine["reason"].to_dict() == {5: "unbalanced_quote"}
    assert res.quarantine.loc[5, "raw_line"] == lines[3]
    assert res.problems and res.problems[0].startswith("line 5: a quoted field opened on line 5")
    assert "lines 5-9" in res.problems[0]
    a = accounted(res)
    assert a == {"lines": n + 1, "header": 1, "blank": 0, "records": n, "record_lines": n}


def test_unbalanced_quote_on_the_last_line_and_a_huge_field(tmp_path):
    lines = feed_lines(6)
    lines[-1] = lines[-1].replace(",9.49", ',"9.49')
    lines[2] = lines[2].replace("9.49", "9" * 200_000)  # one line, far beyond any sane field size
    res = run(write(tmp_path, "\n".join([HEADER, *lines])))  # no final newline either
    assert res.quarantine["reason"].to_dict() == {4: "record_too_long", 7: "unbalanced_quote"}
    assert "the file ends" in res.problems[-1] and "line 4: 200,046 characters" in res.problems[0]
    assert accounted(res)["lines"] == 7
    lines[2] = lines[2].replace(",1,9", ',1,"9')  # the huge field quoted and never closed
    res = run(write(tmp_path, "\n".join([HEADER, *lines]) + "\n"))
    assert res.quarantine["reason"].to_dict() == {4: "record_too_long", 7: "unbalanced_quote"}
    assert len(res.kept) == 4 and accounted(res)["lines"] == 7
    lines[2] = lines[2][:60]  # quoted, never closed, and the NEXT lines are huge
    lines[3] = "8" * 40_000
    lines[4] = "8" * 40_000
    res = run(write(tmp_path, "\n".join([HEADER, *lines]) + "\n"))
    assert res.quarantine["reason"].to_dict() == {4: "unbalanced_quote", 5: "wrong_column_count",
                                                  6: "wrong_column_count", 7: "unbalanced_quote"}
    assert accounted(res)["lines"] == 7


def test_a_legitimate_multiline_record_is_one_record_with_all_its_lines(tmp_path):
    text = HEADER + '\n1,4999999,100001,1,1000,2025-01-02 10:00:00,1,"9.\n\n49"\n' + "\n".join(feed_lines(3)[1:]) + "\n"
    p = write(tmp_path, text)
    read = read_csv_text(p, TRANSACTION_COLUMNS)
    assert read.spans == {2: 4} and read.blank_lines == []
    res = run(p)
    assert res.quarantine["reason"].to_dict() == {2: "unparseable_amount"}
    assert res.quarantine.loc[2, "raw_line"] == '1,4999999,100001,1,1000,2025-01-02 10:00:00,1,"9.\n\n49"'
    assert accounted(res) == {"lines": 6, "header": 1, "blank": 0, "records": 3, "record_lines": 5}


def test_old_mac_line_endings_are_read(tmp_path):
    res = run(write(tmp_path, "\r".join([HEADER, *GOOD, "", GOOD[0].replace("9.49", "-1.00")]) + "\r"))
    assert list(res.kept.index) == [2, 3, 4]
    assert res.quarantine["reason"].to_dict() == {6: "negative_amount"}
    assert res.blank_lines == [5] and accounted(res)["lines"] == 6


def test_raw_line_is_the_line_as_it_was_for_every_quarantined_row(tmp_path):
    quoted = '4,5000009,100001,1,1000,2025-01-02 10:00:00,1,"$-1,0"'
    spaced = ' 5 , 5000010,100001,1,1000,2025-01-02 10:00:00,1, -2.00 '
    res = run(write(tmp_path, "\n".join([HEADER, *GOOD, quoted, spaced]) + "\n"))
    q = res.quarantine
    assert q["reason"].to_dict() == {5: "unparseable_amount", 6: "negative_amount"}
    assert q.loc[5, "raw_line"] == quoted and q.loc[6, "raw_line"] == spaced
    assert q["raw_line"].notna().all()


def test_clean_result_carries_what_the_reader_saw(tmp_path):
    body = "\n".join(["", HEADER + ",loyalty_tier", *(g + ",gold" for g in GOOD), "", "  "]) + "\n"
    res = run(write(tmp_path, b"\xef\xbb\xbf" + body.encode()))
    assert res.had_bom and res.extra_columns == ["loyalty_tier"] and res.blank_lines == [1, 6, 7]
    assert res.path.name == "feed.csv"
    assert accounted(res) == {"lines": 7, "header": 1, "blank": 3, "records": 3, "record_lines": 3}


def test_max_loss_names_the_file(tmp_path):
    from pharma_kit.quality import MaxLossExceeded

    p = write(tmp_path, "\n".join([HEADER, GOOD[0], GOOD[1].replace("26.49", "x")]) + "\n", name="night.csv")
    with pytest.raises(MaxLossExceeded, match=r"night\.csv: quarantined 1 of 2 rows") as exc:
        clean_csv(p, as_of=AS_OF, max_loss=0.1)
    assert exc.value.path == p

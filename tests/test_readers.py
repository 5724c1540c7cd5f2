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

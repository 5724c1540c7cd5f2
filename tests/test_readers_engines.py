"""The byte engine (plain blocks parsed by Arrow from bytes) reads every file exactly as the text engine does.

The files are assembled at random from hostile pieces (quotes that span lines or never close, ``\\r\\n`` and bare
``\\r`` endings, blank and whitespace-only lines, repeated headers, over-long lines, undecodable bytes, non-ASCII
text, a last line without a line break) and read by both engines at several block sizes, including blocks of a
single line, so that every piece lands on a block edge somewhere.
"""
from __future__ import annotations

import random

import pandas as pd
import pytest

from pharma_kit.data import TRANSACTION_COLUMNS
from pharma_kit.readers import MAX_RECORD_CHARS, CsvTextReader, read_csv_text

HEADER = ",".join(TRANSACTION_COLUMNS)
GOOD = "{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,9.49"
PIECES = [
    lambda i: GOOD.format(i=i),
    lambda i: GOOD.format(i=i),
    lambda i: GOOD.format(i=i),
    lambda i: "",                                                    # blank
    lambda i: "   \t",                                               # whitespace only
    lambda i: "\x1c",                                                # str.isspace() is True for \x1c
    lambda i: HEADER,                                                # a repeated header
    lambda i: " " + HEADER.replace(",", " , "),                      # a repeated header with spaces
    lambda i: f"{i},5000001,100001,1,1000",                          # too few fields
    lambda i: GOOD.format(i=i) + ",extra",                           # too many fields
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,"9.\n49"',  # a quoted line break
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,"9.49',     # never closes
    lambda i: f'{i},"5000001",100001,1,1000,2025-01-02 10:00:00,1,9.49',    # quoted, one line
    lambda i: f"{i},5000001,１００００１,1,1000,2025-01-02 10:00:00,1,9.49",  # fullwidth digits (UTF-8)
    lambda i: f"{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,9.49 €",
    lambda i: f"{i},5000001,100001,1,1000,2025-01-02 10:00:00,1," + "9" * (MAX_RECORD_CHARS + 5),
    lambda i: f"{i},,100001,,1000,2025-01-02 10:00:00,,",               # empty fields
    lambda i: f"{i}, ,100001,1,1000,2025-01-02 10:00:00,1,  ",          # blank fields with spaces
    lambda i: "transaction_id_x,1,2,3,4,5,6,7",                          # starts like the header, is not
    # quoting that Arrow reads as csv.reader does (each quote at a field's edge) and quoting that it would not
    lambda i: ",".join(f'"{v}"' for v in GOOD.format(i=i).split(",")),  # every field quoted
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,"$1,234.50"',  # a comma inside quotes
    lambda i: f'{i},5000001,100001,1,1000,"",1,""',                     # empty quoted fields
    lambda i: '""',                                                     # one empty quoted field: a blank line
    lambda i: ",".join(f'"{h}"' for h in HEADER.split(",")),           # a quoted repeated header
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,1,"9.49" ',  # a space after the closing quote
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,1, "9.49"',  # a space before the opening quote
    lambda i: f'{i},5000001,100001,1,1000,2025-01-02 10:00:00,"1""",9.49',  # a doubled quote
    lambda i: f'{i},5000001,100001,1,10"00,2025-01-02 10:00:00,1,9.49',    # a quote inside a field
]
BAD_BYTES = b"\xff\xfe"
ENDINGS = ["\n", "\n", "\n", "\r\n", "\r"]


def messy_file(seed: int, n: int = 60) -> bytes:
    rng = random.Random(seed)
    ending = rng.choice(["\n", "\r\n", "mixed"])
    out = bytearray()
    if rng.random() < 0.3:
        out += b"\xef\xbb\xbf"
    if rng.random() < 0.2:
        out += b"\n\n"
    out += (HEADER + "\n").encode()
    for i in range(n):
        text = rng.choice(PIECES)(i + 1)
        eol = rng.choice(ENDINGS) if ending == "mixed" else ending
        line = text.encode("utf-8")
        if rng.random() < 0.04:
            line = line[:5] + BAD_BYTES + line[5:]
        out += line + eol.encode()
    if rng.random() < 0.3:  # the last line without its line break
        out = out.rstrip(b"\r\n")
    return bytes(out)


def read(path, engine, block_lines):
    return read_csv_text(path, TRANSACTION_COLUMNS, keep_raw=True, block_lines=block_lines, engine=engine)


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    pd.testing.assert_series_equal(a.raw_lines, b.raw_lines)
    for k in ("blank_lines", "extra_columns", "had_bom", "n_lines", "header_line", "spans", "problems"):
        assert getattr(a, k) == getattr(b, k), k
    assert a.line_accounting() == b.line_accounting()


@pytest.mark.parametrize("seed", range(40))  # 300 seeds also pass (run once while building the engine)
def test_messy_files_read_the_same_by_both_engines(tmp_path, seed):
    p = tmp_path / "feed.csv"
    p.write_bytes(messy_file(seed))
    ref = read(p, "text", 200_000)
    for block_lines in (1, 2, 3, 7, 200_000):
        assert_same(ref, read(p, "bytes", block_lines))


@pytest.mark.parametrize("body", [
    b"1,2,3\r\n\r\n4,5,6\r\n",                      # Windows endings, blank line between
    b"1,2,3\r4,5,6\r",                              # old Mac endings only
    b"1,2,3\r",                                     # ... and a file that ends in a bare \r
    b'1,"a\r\nb",3\r\n4,5,6',                        # a quoted \r\n and no final line break
    b"1,2,3",                                       # one line, no line break
    b'1,"2",3\n4,5,"6',                               # a quote left open on the last line, no line break
    b"",                                            # header only
])
def test_line_endings_read_the_same(tmp_path, body):
    p = tmp_path / "feed.csv"
    p.write_bytes(b"a,b,c\n" + body)
    for block_lines in (1, 2, 200_000):
        a = read_csv_text(p, ["a", "b", "c"], keep_raw=True, engine="text")
        b = read_csv_text(p, ["a", "b", "c"], keep_raw=True, engine="bytes", block_lines=block_lines)
        assert_same(a, b)


def test_plain_blocks_are_handed_out_as_bytes(tmp_path):
    """A clean feed takes the fast path: every segment is bytes until parsed (none was parsed line by line)."""
    p = tmp_path / "feed.csv"
    p.write_text(HEADER + "\n" + "\n".join(GOOD.format(i=i) for i in range(1, 1001)) + "\n")
    segs = list(CsvTextReader(p, TRANSACTION_COLUMNS, block_lines=100).segments())
    assert len(segs) >= 5 and all(s.data is not None and s.block is None for s in segs)
    assert [s.first for s in segs][:2] == [2, 2 + segs[0].data.count(b"\n")]


def test_unknown_engine_refused(tmp_path):
    p = tmp_path / "feed.csv"
    p.write_text(HEADER + "\n")
    with pytest.raises(ValueError, match="engine must be one of"):
        CsvTextReader(p, TRANSACTION_COLUMNS, engine="fast")


def test_blank_field_candidates_cover_every_blank_value():
    """Only values flagged by _maybe_blank are stripped; every value that strips to "" must be flagged."""
    import pyarrow as pa

    from pharma_kit.readers import _maybe_blank

    values = [chr(i) for i in range(1, 128)] + [chr(i) * 3 for i in range(1, 128)]
    values += ["", "\u00a0", "\u3000", "\u2028", "\u0085", " \u00a0 ", "x ", " x", "1,5", "é", "\u00a0x"]
    s = pd.Series(values, dtype="str")
    blank = (s.str.strip() == "").to_numpy(dtype=bool)
    for arr in (pa.array(values, type=pa.string()), pa.array(values, type=pa.large_string()),
                pa.chunked_array([values[:50], values[50:]]), pa.array(values)[7:]):
        maybe = _maybe_blank(arr)
        expect = blank[-len(maybe):]
        assert not (expect & ~maybe).any()
    assert _maybe_blank(pa.array(["ab", None, ""])).tolist() == [False, True, True]


def test_simply_quoted_blocks_take_the_fast_path(tmp_path):
    """A "quote every field" export is handed out as bytes (each line one record, every quote at a field's edge)."""
    p = tmp_path / "feed.csv"
    body = [",".join(f'"{v}"' for v in GOOD.format(i=i).split(",")) for i in range(1, 300)]
    body += ['300,5000001,100001,1,1000,2025-01-02 10:00:00,1,"$1,234.50"', '""', "301,x"]
    p.write_bytes(("\n".join([HEADER, *body]) + "\n").encode())
    segs = list(CsvTextReader(p, TRANSACTION_COLUMNS, block_lines=40).segments())
    assert len(segs) > 3 and all(s.data is not None and s.quoted for s in segs)
    for block_lines in (1, 40, 200_000):
        assert_same(read(p, "text", 200_000), read(p, "bytes", block_lines))
    r = read(p, "bytes", 40)
    assert r.frame.loc[301, "amount"] == "$1,234.50" and r.blank_lines == [302]


def test_windows_line_endings_take_the_fast_path(tmp_path):
    """A CRLF export (the usual Windows CSV) is plain: handed out as bytes, read as the text engine reads it."""
    p = tmp_path / "feed.csv"
    body = [GOOD.format(i=i) for i in range(1, 400)] + ["", "  ", HEADER, "7,8", GOOD.format(i=400) + ",x"]
    p.write_bytes(("\r\n".join([HEADER, *body]) + "\r\n").encode())
    segs = list(CsvTextReader(p, TRANSACTION_COLUMNS, block_lines=50).segments())
    assert len(segs) > 3 and all(s.data is not None for s in segs)
    for block_lines in (1, 50, 200_000):
        assert_same(read(p, "text", 200_000), read(p, "bytes", block_lines))

"""Lesson 04 reads every legal CSV (issue 16 §3): quoted fields holding line breaks, commas and doubled quotes are
one record each, at any block size, and the result equals pandas reading the same file; ``\\r``-only line endings
are refused with an InputFileError that says what to do."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharma_kit import chunked as ch, engines
from pharma_kit.errors import InputFileError

NOTES = ["", "plain", "a, with comma", 'say ""hi""', "two\nlines", "crlf\r\nbreak", "ends with newline\n",
         "\n", 'quote " and\nnewline', "x" * 50 + "\n" + "y" * 30, ",\n,\n,", '"', "back\\slash\n"]


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "order_id": np.arange(1, n + 1) * 10,
        "customer_id": rng.integers(1, max(2, n // 8), n),
        "note": [NOTES[i] for i in rng.integers(0, len(NOTES), n)],
        "order_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="min"),
        "amount": rng.integers(100, 10_000, n) / 100,
    })


def _write(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")   # pandas quotes what needs quoting


def _pandas(path) -> pd.DataFrame:
    return engines.aggregate_pandas_whole(path)


@pytest.mark.parametrize("block_size", [40, 1 << 10, None])
def test_quoted_line_breaks_equal_pandas_at_any_block_size(tmp_path, block_size):
    path = tmp_path / "quoted.csv"
    _write(_frame(400, seed=1), path)
    assert b'"two\nlines"' in path.read_bytes() or b'two\nlines' in path.read_bytes()
    kw = {} if block_size is None else {"block_size": block_size}
    got, report = ch.aggregate_file_report(path, progress=False, **kw)
    assert engines.same_result(_pandas(path), got) is None
    assert report.rows_read == 400 == report.rows_aggregated and report.rows_rejected == 0


def test_quoted_line_breaks_in_a_file_over_3_mib(tmp_path):
    path = tmp_path / "big_quoted.csv"
    frame = _frame(60_000, seed=2)
    _write(frame, path)
    assert path.stat().st_size >= 3 << 20
    got, report = ch.aggregate_file_report(path, progress=False)
    assert engines.same_result(_pandas(path), got) is None
    assert report.rows_read == len(frame) and report.rows_rejected == 0
    small, _ = ch.aggregate_file_report(path, progress=False, block_size=1 << 16)
    assert engines.same_result(got, small) is None


def test_a_bad_value_after_a_quoted_line_break_is_reported_on_its_own_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('order_id,customer_id,note,order_date,amount\n'
                    '1,7,"two\nlines",2025-01-01 10:00:00,1.50\n'
                    '2,7,ok,2025-01-01 11:00:00,abc\n'
                    '3,8,"x",2025-01-02 10:00:00,2.00\n')
    got, report = ch.aggregate_file_report(path, progress=False, block_size=1 << 10)
    assert report.rows_read == 3 and report.rows_rejected == 1
    assert report.rejects["line"].tolist() == [4]       # physical line 4: the record after a two-line record
    with pytest.raises(InputFileError, match="line 4"):
        ch.aggregate_file(path, progress=False, on_bad_rows="raise")


def test_carriage_return_only_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    frame = _frame(30, seed=3)
    frame["note"] = "n"
    path.write_bytes(frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").replace("\n", "\r").encode())
    with pytest.raises(InputFileError, match=r"\\r"):
        ch.aggregate_file(path, progress=False)


@pytest.mark.parametrize("block_size", [40, 1 << 10])
def test_crlf_line_endings_with_quoted_breaks(tmp_path, block_size):
    path = tmp_path / "crlf.csv"
    _frame(300, seed=4).to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S", lineterminator="\r\n")
    got, report = ch.aggregate_file_report(path, progress=False, block_size=block_size)
    assert engines.same_result(_pandas(path), got) is None
    assert report.rows_read == 300 and report.rows_rejected == 0

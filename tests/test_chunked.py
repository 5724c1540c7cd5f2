"""Lesson 04: streaming aggregation is exact, accounts for every row, and survives hostile files."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pytest

from pharma_kit import chunked as ch, engines
from pharma_kit.chunked import blocks as ch_blocks, files as ch_files
from pharma_kit import formats as fm
from pharma_kit.data import clean_transactions, generate, write_csv
from pharma_kit.errors import InputFileError

HEADER = "transaction_id,order_id,customer_id,store_id,product_id,order_date,quantity,amount\n"


def _line(i: int, customer: int = 101, order: int | None = None, date: str = "2024-01-05 10:00:00",
          amount: str = "10.50") -> str:
    return f"{i},{order or 5_000_000 + i},{customer},1,1000,{date},1,{amount}\n"


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("l04") / "clean.csv"
    frame = clean_transactions(30_000, seed=4)
    write_csv(frame, path)
    return path, frame


def _expected(frame: pd.DataFrame) -> pd.DataFrame:
    """Straightforward in-memory pandas: the ground truth for small inputs."""
    g = frame.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "customer_id": g.size().index.to_numpy(),
        "rows": g.size().to_numpy(),
        "amount_sum": g["amount"].sum().to_numpy(),
    })
    out["amount_mean"] = g["amount"].mean().to_numpy()
    out["amount_min"] = g["amount"].min().to_numpy()
    out["amount_max"] = g["amount"].max().to_numpy()
    out["last_order_date"] = g["order_date"].max().to_numpy()
    out["order_id_nunique"] = g["order_id"].nunique().to_numpy()
    return out


# --- exactness ---------------------------------------------------------------------------------
@pytest.mark.parametrize("block_size", [1 << 12, 1 << 16, 16 << 20])
def test_matches_in_memory_pandas_for_any_block_size(clean_csv, block_size):
    path, frame = clean_csv
    got, report = ch.aggregate_file_report(path, block_size=block_size, progress=False)
    assert engines.same_result(_expected(frame), got) is None
    assert report.rows_read == len(frame) == report.rows_aggregated
    assert report.rows_rejected == 0 and report.mode == "typed"
    if block_size == 1 << 12:
        assert report.blocks > 100  # really streamed, not one block


def test_output_columns_and_dtypes(clean_csv):
    got = ch.aggregate_file(clean_csv[0], progress=False)
    assert list(got.columns) == ch.AggSpec().output_columns()
    assert got["customer_id"].is_monotonic_increasing and got["customer_id"].is_unique
    assert str(got["last_order_date"].dtype) == "datetime64[us]"
    assert got["rows"].dtype == np.int64 and got["order_id_nunique"].dtype == np.int64


def test_other_key_and_no_optional_columns(clean_csv):
    path, frame = clean_csv
    got = ch.aggregate_file(path, by="store_id", date=None, distinct=(), progress=False)
    exp = frame.groupby("store_id")["amount"].agg(["size", "sum", "min", "max"])
    assert list(got.columns) == ["store_id", "rows", "amount_sum", "amount_mean", "amount_min", "amount_max"]
    np.testing.assert_array_equal(got["rows"], exp["size"])
    np.testing.assert_allclose(got["amount_sum"], exp["sum"], rtol=1e-9)
    np.testing.assert_array_equal(got["amount_max"], exp["max"])


def test_baselines_agree(clean_csv):
    path, _ = clean_csv
    ours = ch.aggregate_file(path, progress=False)
    assert engines.same_result(ours, engines.aggregate_pandas_whole(path)) is None
    assert engines.same_result(ours, engines.aggregate_pandas_chunks(path, chunk_rows=7_000)) is None
    assert engines.same_result(ours, engines.aggregate_duckdb(path, threads=1)) is None


def test_same_result_notices_a_difference(clean_csv):
    ours = ch.aggregate_file(clean_csv[0], progress=False)
    other = ours.copy()
    other.loc[3, "order_id_nunique"] += 1
    assert "order_id_nunique" in engines.same_result(ours, other)
    other = ours.copy()
    other.loc[0, "amount_mean"] *= 1 + 1e-6
    assert "amount_mean" in engines.same_result(ours, other)


def test_wide_key_span_and_large_distinct_values_stay_exact(tmp_path):
    """Keys too spread for the lookup table, and distinct values outside [0, 2**32), take the exact slow paths."""
    rng = np.random.default_rng(1)
    n = 5_000
    frame = pd.DataFrame({
        "customer_id": rng.choice(np.array([-(10**15), 7, 10**12, 2**40 + 3, 123_456_789_012]), n),
        "order_id": rng.choice(np.array([1, 2, 2**33, -5, 9_999_999_999]), n),
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "amount": np.round(rng.normal(20, 10, n), 2),
    })
    frame["order_date"] = frame["order_date"].astype("datetime64[us]")
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    got = ch.aggregate_file(path, block_size=1 << 12, progress=False)
    assert engines.same_result(_expected(frame), got) is None


def test_state_does_not_grow_with_rows_for_the_same_keys(tmp_path, clean_csv):
    """Without distinct sets, the running state depends on the keys only: 4x the rows, same bytes."""
    _, frame = clean_csv
    once, four = tmp_path / "once.csv", tmp_path / "four.csv"
    write_csv(frame, once)
    write_csv(pd.concat([frame] * 4, ignore_index=True), four)
    _, r1 = ch.aggregate_file_report(once, distinct=(), progress=False, block_size=1 << 16)
    got, r4 = ch.aggregate_file_report(four, distinct=(), progress=False, block_size=1 << 16)
    assert r4.rows_read == 4 * r1.rows_read
    assert r4.state_bytes == r1.state_bytes
    assert (got["rows"] % 4 == 0).all()


def test_progress_bar_reports_rows_per_second(clean_csv, capsys):
    ch.aggregate_file(clean_csv[0], progress=True, block_size=1 << 16)
    err = capsys.readouterr().err
    assert "rows/s" in err and "clean.csv" in err
    ch.aggregate_file(clean_csv[0], progress=False)
    assert capsys.readouterr().err == ""


# --- the pitfall -------------------------------------------------------------------------------
def test_mean_of_chunk_means_is_wrong_and_the_merge_is_right(clean_csv):
    path, frame = clean_csv
    exact, naive = ch.pandas_chunk_means(path, chunk_rows=3_000)
    truth = frame.groupby("customer_id")["amount"].mean()
    np.testing.assert_allclose(exact.set_index("customer_id")["amount_mean"], truth, rtol=1e-12)
    share = ch.wrong_mean_share(exact.set_index("customer_id")["amount_mean"], naive)
    assert share > 0.3
    # with a single chunk every chunk count is "equal" and the naive mean is right
    exact1, naive1 = ch.pandas_chunk_means(path, chunk_rows=len(frame))
    assert ch.wrong_mean_share(exact1.set_index("customer_id")["amount_mean"], naive1) == 0.0


def test_combine_partials_handles_keys_in_one_chunk_only():
    a = pd.DataFrame({"customer_id": [1, 2], "amount": [10.0, 4.0],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    b = pd.DataFrame({"customer_id": [1, 1, 1, 3], "amount": [1.0, 1.0, 1.0, 7.0],
                      "order_date": pd.to_datetime(["2024-02-01", "2023-01-01", "2024-01-15", "2024-03-01"])})
    out = ch.combine_partials([ch.chunk_partials(a), ch.chunk_partials(b), ch.chunk_partials(a.iloc[:0])])
    assert out["customer_id"].tolist() == [1, 2, 3]
    assert out["rows"].tolist() == [4, 1, 1]
    assert out["amount_mean"].tolist() == [13.0 / 4, 4.0, 7.0]  # mean of means would say 5.5 for customer 1
    assert out["last_order_date"].iloc[0] == pd.Timestamp("2024-02-01")


# --- hostile input -----------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nope\.csv: no such file"):
        ch.aggregate_file(tmp_path / "nope.csv", progress=False)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputFileError, match=r"empty\.csv: the file is empty"):
        ch.aggregate_file(path, progress=False)


def test_header_only_gives_an_empty_table(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    got, report = ch.aggregate_file_report(path, progress=False)
    assert got.empty and list(got.columns) == ch.AggSpec().output_columns()
    assert (report.rows_read, report.rows_rejected) == (0, 0)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_text("customer_id,order_id,order_date\n1,2,2024-01-01 00:00:00\n")
    with pytest.raises(InputFileError, match=r"column 'amount' not found in the header \(line 1\)"):
        ch.aggregate_file(path, progress=False)


def test_truncated_last_line_is_quarantined(tmp_path):
    path = tmp_path / "trunc.csv"
    path.write_text(HEADER + "".join(_line(i) for i in range(1, 6)) + "6,5000006,101,1,10")  # no newline, cut short
    got, report = ch.aggregate_file_report(path, progress=False)
    assert (report.rows_read, report.rows_aggregated, report.rows_rejected) == (6, 5, 1)
    bad = report.rejects.iloc[0]
    assert bad["line"] == 7 and "expected 8 columns, got 5" in bad["reason"] and bad["value"] == "6,5000006,101,1,10"
    assert got["rows"].tolist() == [5]


def test_truncated_date_in_last_line_is_quarantined(tmp_path):
    path = tmp_path / "trunc2.csv"
    path.write_text(HEADER + "".join(_line(i) for i in range(1, 4)) + "4,5000004,101,1,1000,2024-01-0")
    got, report = ch.aggregate_file_report(path, progress=False)
    # the cut line has too few columns; either way it is rejected with its line number
    assert report.rejects["line"].tolist() == [5] and report.rows_aggregated == 3


def test_wrong_column_count_is_quarantined_with_line_numbers(tmp_path):
    lines = [_line(i) for i in range(1, 11)]
    lines[2] = lines[2].rstrip("\n") + ",EXTRA\n"  # line 4
    lines[7] = "8,5000008,101\n"  # line 9
    path = tmp_path / "cols.csv"
    path.write_text(HEADER + "".join(lines))
    got, report = ch.aggregate_file_report(path, progress=False)
    assert report.rejects["line"].tolist() == [4, 9]
    assert report.rejects["reason"].tolist() == ["expected 8 columns, got 9", "expected 8 columns, got 3"]
    assert report.rows_read == 10 and report.rows_aggregated == 8 and report.balanced
    assert got["rows"].sum() == 8


def test_non_numeric_amounts_are_quarantined(tmp_path):
    lines = [_line(i) for i in range(1, 8)]
    lines[1] = _line(2, amount="abc")
    lines[4] = _line(5, amount='"$1,234.50"')
    lines[5] = _line(6, amount="")
    path = tmp_path / "amounts.csv"
    path.write_text(HEADER + "".join(lines))
    got, report = ch.aggregate_file_report(path, progress=False)
    rej = report.rejects
    assert rej["line"].tolist() == [3, 6, 7]
    assert rej["column"].tolist() == ["amount"] * 3
    assert rej["reason"].tolist() == ["not a number", "not a number", "missing value"]
    assert rej["value"].tolist() == ["abc", "$1,234.50", ""]
    assert got["amount_sum"].iloc[0] == pytest.approx(4 * 10.5)


def test_on_bad_rows_raise_names_file_line_and_column(tmp_path):
    lines = [_line(i) for i in range(1, 6)]
    lines[3] = _line(4, amount="12,50")  # decimal comma: an extra column
    path = tmp_path / "raise.csv"
    path.write_text(HEADER + "".join(lines))
    with pytest.raises(InputFileError, match=r"raise\.csv: line 5: expected 8 columns, got 9"):
        ch.aggregate_file(path, on_bad_rows="raise", progress=False)
    lines[3] = _line(4, date="yesterday")
    path.write_text(HEADER + "".join(lines))
    with pytest.raises(InputFileError, match=r"line 5, column 'order_date': not a valid date-time"):
        ch.aggregate_file(path, on_bad_rows="raise", progress=False)
    with pytest.raises(ValueError, match="on_bad_rows"):
        ch.aggregate_file(path, on_bad_rows="ignore", progress=False)


@pytest.mark.parametrize("block_size", [1 << 13, 16 << 20])
def test_every_defective_row_is_rejected_and_only_those(tmp_path, block_size):
    """Against the generator's ground truth: unparseable rows out (with the right line), all others in."""
    ds = generate(20_000, seed=5)
    path = tmp_path / "feed.csv"
    write_csv(ds.transactions, path)
    got, report = ch.aggregate_file_report(path, progress=False, block_size=block_size)
    t = ds.truth
    unusable = (t["null_customer"] | t["null_amount"] | t["unparseable_date"] | t["amount_type_drift"]).to_numpy()
    assert report.rejects["line"].tolist() == (np.flatnonzero(unusable) + 2).tolist()
    assert report.rows_read == 20_000 == report.rows_aggregated + report.rows_rejected
    assert report.mode == "tolerant"
    kept = ds.transactions.loc[~unusable].copy()
    kept["amount"] = kept["amount"].astype("float64")
    kept["customer_id"] = kept["customer_id"].astype("int64")
    kept["order_date"] = pd.to_datetime(kept["order_date"]).astype("datetime64[us]")
    assert engines.same_result(_expected(kept), got) is None
    assert "rows read 20,000 = aggregated" in report.summary()
    assert set(report.reasons().index.get_level_values("column")) == {"amount", "customer_id", "order_date"}


def test_tolerant_pass_equals_typed_pass_on_clean_data(clean_csv):
    path, _ = clean_csv
    spec = ch.AggSpec()
    typed, r1 = ch_files._aggregate_csv(path, spec, 1 << 16, False, "quarantine", tolerant=False)
    careful, r2 = ch_files._aggregate_csv(path, spec, 1 << 16, False, "quarantine", tolerant=True)
    assert engines.same_result(typed.to_frame(), careful.to_frame(), rtol=0) is None
    assert r1.rows_read == r2.rows_read


def _order_line(i: int, **kw) -> str:
    """Line ``i`` of a feed of 3-line orders (order ``i // 3``) spread over 7 customers."""
    return _line(i, customer=100 + (i // 3) % 7, order=5_000_000 + i // 3, **kw)


def _body_lines(n: int) -> list[str]:
    return [_order_line(i) for i in range(1, n + 1)]


@pytest.mark.parametrize("tail", ["\n", ""])  # with and without a final newline
def test_ring_blocks_are_the_line_blocks(tmp_path, tail):
    """The fast pass's reused-buffer reader yields exactly the serial reader's blocks, whatever the block size."""
    lines = _body_lines(40)
    lines[10] = _line(11, amount="1" * 300)  # one line longer than several blocks
    path = tmp_path / "ring.csv"
    path.write_text(HEADER + "".join(lines).rstrip("\n") + tail)
    body = path.stat().st_size - len(HEADER)
    for block_size in (1, 7, 64, 100, body // 2, body, body + 1, 1 << 20):
        serial = [(first, bytes(data), done) for first, data, done in ch_blocks._line_blocks(path, block_size)]
        ring = [(bytes(data), done) for _, data, done in ch_blocks._ring_blocks(path, block_size, n_buffers=2)]
        assert ring == [(data, done) for _, data, done in serial], block_size
        starts = [first for first, _, _ in serial]
        counted = [2 + sum(ch_blocks._count_newlines(memoryview(d)) for d, _ in ring[:k]) for k in range(len(ring))]
        assert counted == starts, block_size
        assert serial[-1][2] == path.stat().st_size


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("distinct", [("order_id",), (), ("order_id", "store_id")])
def test_parallel_pass_equals_serial_careful_pass(clean_csv, monkeypatch, threads, distinct):
    """Parsing blocks on a pool and collapsing runs there gives bit-identical results to the one-thread pass."""
    path, _ = clean_csv
    monkeypatch.setattr(ch_files, "CSV_PARSE_THREADS", threads)
    spec = ch.AggSpec(distinct=distinct)
    fast, r1 = ch_files._aggregate_csv(path, spec, 1 << 13, False, "quarantine", tolerant=False)
    careful, r2 = ch_files._aggregate_csv(path, spec, 1 << 13, False, "quarantine", tolerant=True)
    assert engines.same_result(fast.to_frame(), careful.to_frame(), rtol=0) is None
    assert (r1.rows_read, r1.blocks, r1.mode) == (r2.rows_read, r2.blocks, "typed") and r1.blocks > 100


def test_parallel_pass_when_distinct_values_turn_wide_midway(tmp_path, monkeypatch):
    """Blocks already collapsed on the pool still fold exactly after the distinct set switched to its wide form."""
    monkeypatch.setattr(ch_files, "CSV_PARSE_THREADS", 2)
    lines = _body_lines(3_000)
    lines[1_000] = _line(1_001, customer=103, order=2**40)  # out of the packed range, in an early block
    path = tmp_path / "wide_midway.csv"
    path.write_text(HEADER + "".join(lines))
    spec = ch.AggSpec()
    fast, _ = ch_files._aggregate_csv(path, spec, 1 << 12, False, "quarantine", tolerant=False)
    careful, _ = ch_files._aggregate_csv(path, spec, 1 << 12, False, "quarantine", tolerant=True)
    got = fast.to_frame()
    assert engines.same_result(got, careful.to_frame(), rtol=0) is None
    assert got["order_id_nunique"].sum() == 1_001 + 1  # orders i // 3 for i in 1..3000, plus the wide one


@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_pass_missing_values_keep_exact_line_numbers(tmp_path, monkeypatch, threads):
    """A missing value stays in the fast typed pass, and its line number counts every earlier block's lines."""
    monkeypatch.setattr(ch_files, "CSV_PARSE_THREADS", threads)
    lines = _body_lines(2_000)
    holes = [5, 777, 778, 1_500, 2_000]  # 1-based row numbers; the line is one more (the header is line 1)
    for i in holes:
        lines[i - 1] = _order_line(i, amount="")
    path = tmp_path / "holes.csv"
    path.write_text(HEADER + "".join(lines))
    got, report = ch.aggregate_file_report(path, block_size=1 << 12, progress=False)
    assert report.mode == "typed" and report.blocks > 20
    assert report.rejects["line"].tolist() == [i + 1 for i in holes]
    assert set(report.rejects["reason"]) == {"missing value"}
    assert report.rows_read == 2_000 and report.rows_aggregated == 2_000 - len(holes)
    assert got["rows"].sum() == 2_000 - len(holes)
    with pytest.raises(InputFileError, match=r"line 6, column 'amount': missing value"):
        ch.aggregate_file(path, block_size=1 << 12, progress=False, on_bad_rows="raise")


# --- formats -----------------------------------------------------------------------------------
def test_parquet_rewrite_partitions_by_month_and_aggregates_the_same(tmp_path, clean_csv):
    path, frame = clean_csv
    out = tmp_path / "pq"
    rep = fm.csv_to_parquet_by_month(path, out, block_size=1 << 16, row_group_rows=2_000)
    parts = fm.split_by_month(frame)
    assert rep.rows == len(frame) and rep.files == len(parts) == 24
    assert rep.parquet_bytes < rep.csv_bytes / 2
    for month, part in parts.items():
        got = pd.read_parquet(out / f"month={month}" / "part-0.parquet")
        assert got["transaction_id"].tolist() == part["transaction_id"].tolist()
    assert engines.same_result(ch.aggregate_file(path, progress=False),
                          ch.aggregate_file(out, progress=False, batch_rows=5_000)) is None
    touched, total = fm.files_touched(out, pads.field("month") == "2024-03")
    assert (touched, total) == (1, 24)
    day = (pads.field("order_date") >= pd.Timestamp("2024-03-10")) & (pads.field("order_date") < pd.Timestamp("2024-03-11"))
    kept, groups = fm.row_groups_touched(out, day)
    assert 1 <= kept <= 2 < groups
    with pytest.raises(InputFileError, match="not empty"):
        fm.csv_to_parquet_by_month(path, out)


def test_parquet_null_keys_are_quarantined_with_row_numbers(tmp_path):
    frame = pd.DataFrame({"customer_id": pd.array([1, None, 2, 1], dtype="Int64"), "amount": [1.0, 2.0, 3.0, 5.0],
                          "order_date": pd.to_datetime(["2024-01-01"] * 4), "order_id": [1, 2, 3, 4]})
    path = tmp_path / "x.parquet"
    frame.to_parquet(path)
    got, report = ch.aggregate_file_report(path, progress=False)
    assert report.rejects["line"].tolist() == [2] and report.rejects["column"].tolist() == ["customer_id"]
    assert got["rows"].tolist() == [2, 1] and got["amount_mean"].tolist() == [3.0, 3.0]


def test_parquet_rewrite_refuses_bad_values(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + _line(1) + _line(2, amount="abc"))
    with pytest.raises(InputFileError, match=r"bad\.csv: column 'amount': .*invalid value 'abc'"):
        fm.csv_to_parquet_by_month(path, tmp_path / "out")
    with pytest.raises(InputFileError, match="no such file"):
        fm.csv_to_parquet_by_month(tmp_path / "none.csv", tmp_path / "out2")


def test_split_by_month_keeps_years_apart():
    f = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-31", "2025-01-01", "2024-01-01", "2024-02-01"]),
                      "x": [1, 2, 3, 4]})
    parts = fm.split_by_month(f)
    assert list(parts) == ["2024-01", "2024-02", "2025-01"]
    assert parts["2024-01"]["x"].tolist() == [1, 3]
    assert fm.split_by_month(f.iloc[:0]) == {}


def test_downcast_uses_min_and_max():
    f = pd.DataFrame({"a": [0, 127], "b": [-129, 5], "c": [0, 40_000], "d": [1.5, 2.5], "e": [-(2**40), 0]})
    out = fm.downcast_ints(f)
    assert [str(t) for t in out.dtypes] == ["int8", "int16", "int32", "float64", "int64"]
    for col in f.columns:
        assert out[col].tolist() == f[col].tolist()
    assert f["a"].dtype == np.int64  # input untouched


def test_memory_estimate_matches_pandas():
    dtypes = {"a": "int64", "b": "float32", "c": "int8", "d": "datetime64[us]", "e": "bool"}
    n = 1_000
    frame = pd.DataFrame({c: np.zeros(n, dtype=d) for c, d in dtypes.items()})
    assert fm.estimate_frame_bytes(n, dtypes) == frame.memory_usage(index=False).sum() == n * (8 + 4 + 1 + 8 + 1)
    with pytest.raises(ValueError, match="not fixed-width"):
        fm.estimate_frame_bytes(10, {"s": "object"})
    assert fm.frame_bytes(frame) >= fm.estimate_frame_bytes(n, dtypes)


def test_distinct_sets_spill_to_disk_and_stay_exact(clean_csv, tmp_path):
    """A tiny budget forces many sorted runs on disk; the counts are still exact and the runs are removed."""
    path, frame = clean_csv
    spill = tmp_path / "spill"
    spill.mkdir()
    got, report = ch.aggregate_file_report(path, block_size=1 << 15, progress=False, distinct_budget_bytes=4_096,
                                           spill_dir=spill)
    assert engines.same_result(_expected(frame), got) is None
    assert report.state_bytes < ch.aggregate_file_report(path, progress=False, block_size=1 << 15)[1].state_bytes
    assert list(spill.iterdir()) == []  # cleaned up


def test_pair_set_spills_runs_and_counts_by_range(tmp_path):
    rng = np.random.default_rng(3)
    slots = rng.integers(0, 50, 20_000)
    values = rng.integers(0, 300, 20_000)
    ps = ch.PairSet(budget_bytes=2_000, spill_dir=tmp_path)
    for a in range(0, 20_000, 1_000):
        ps.add(slots[a:a + 1_000], values[a:a + 1_000])
    assert len(ps.runs) > 5
    expected = pd.DataFrame({"s": slots, "v": values}).drop_duplicates().groupby("s").size()
    np.testing.assert_array_equal(ps.counts(50), expected.reindex(range(50), fill_value=0).to_numpy())
    ps.close()
    assert list(tmp_path.iterdir()) == []

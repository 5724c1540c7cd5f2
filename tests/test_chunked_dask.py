"""Lesson 04: the same aggregation on Dask gives identical results to the single-machine stream."""
from __future__ import annotations

import pytest

from pharma_kit import chunked as ch, engines
from pharma_kit import formats as fm
from pharma_kit.data import clean_transactions, write_csv
from pharma_kit.errors import InputFileError

pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    path = tmp_path_factory.mktemp("l04dask") / "feed.csv"
    write_csv(clean_transactions(20_000, seed=9), path)
    return path


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_dask_matches_the_stream_on_csv(feed, scheduler):
    ours = ch.aggregate_file(feed, progress=False, block_size=1 << 16)
    theirs = engines.aggregate_dask(feed, blocksize=200_000, scheduler=scheduler)  # several partitions
    assert engines.same_result(ours, theirs) is None
    assert list(theirs.columns) == ch.AggSpec().output_columns()


def test_dask_matches_on_parquet_and_with_another_key(feed, tmp_path):
    out = tmp_path / "pq"
    fm.csv_to_parquet_by_month(feed, out)
    spec = ch.AggSpec(by="store_id", distinct=("customer_id", "product_id"))
    ours = ch.aggregate_file(out, by="store_id", distinct=spec.distinct, progress=False, batch_rows=3_000)
    theirs = engines.aggregate_dask(out, spec, scheduler="synchronous")
    assert engines.same_result(ours, theirs) is None


def test_dask_is_given_a_clear_error_for_a_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        engines.aggregate_dask(tmp_path / "none.csv")

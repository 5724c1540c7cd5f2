"""Lesson 05 library: customer_metrics against the pandas reference, rolling_mean against pandas and exact sums."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharma_kit import fast, fast_keys
from pharma_kit.data import clean_transactions
from pharma_kit.errors import DataQualityError


def assert_same_metrics(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0.0)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return clean_transactions(20_000, seed=5)


# ---------------------------------------------------------------- customer_metrics
def test_matches_pandas_named_agg(tx):
    fast.customer_metrics(tx.head(10).copy())
    got = fast.customer_metrics(tx)
    assert len(fast_keys._partition_kernel.signatures) == len(fast_keys._aggregate_kernel.signatures) == 1
    expected = fast.customer_metrics_pandas(tx)
    assert list(got.columns) == fast.METRIC_COLUMNS
    assert got.index.name == "customer_id"
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert_same_metrics(got, expected)


def test_order_count_is_distinct_orders_not_lines():
    df = pd.DataFrame({
        "customer_id": [7, 7, 7, 9],
        "order_id": [100, 100, 101, 102],   # order 100 has two lines
        "product_id": [1, 2, 1, 1],
        "order_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01", "2025-03-01"]).astype("datetime64[us]"),
        "amount": [1.0, 2.0, 3.0, 4.0],
    })
    got = fast.customer_metrics(df)
    assert got.loc[7, "order_count"] == 2
    assert got.loc[7, "distinct_products"] == 2
    assert got.loc[7, "total"] == 6.0
    assert got.loc[7, "last_order"] == pd.Timestamp("2025-02-01")


def test_sparse_and_extreme_ids_use_the_general_path(tx):
    df = tx.copy()
    # huge, negative, non-contiguous ids: far too sparse for a direct-address table
    df["customer_id"] = (df["customer_id"] - 100_000) * 1_000_003_007 - 4_000_000_000_000_000
    df["order_id"] = df["order_id"] * -999_999_937
    df["product_id"] = np.where(df["product_id"] % 2 == 0, np.iinfo(np.int64).max, np.iinfo(np.int64).min + 1)
    assert_same_metrics(fast.customer_metrics(df), fast.customer_metrics_pandas(df))


def test_nan_amounts_are_skipped_like_pandas(tx):
    df = tx.copy()
    rng = np.random.default_rng(1)
    df.loc[rng.random(len(df)) < 0.2, "amount"] = np.nan
    lonely = df["customer_id"].iloc[0]
    df.loc[df["customer_id"] == lonely, "amount"] = np.nan  # one customer with only NaN amounts
    got = fast.customer_metrics(df)
    assert got.loc[lonely, "total"] == 0.0 and math.isnan(got.loc[lonely, "mean_amount"])
    assert_same_metrics(got, fast.customer_metrics_pandas(df))


def test_many_partitions_and_orders_shared_across_them():
    df = clean_transactions(30_000, seed=6)
    df["customer_id"] = (df["customer_id"] - 100_000) * 7 + 5  # compact enough for slots, > 16384 of them
    span = df["customer_id"].max() - df["customer_id"].min()
    assert span > 3 * (1 << fast._PART_BITS)  # several partitions
    assert fast.customer_key_shape(df["customer_id"]) == "direct"  # slot = id - min, no hashing
    got = fast.customer_metrics(df)
    assert_same_metrics(got, fast.customer_metrics_pandas(df))
    # one order id reused by customers in different partitions: pairs must be counted exactly
    df.loc[df.index[[3, len(df) // 2, len(df) - 1]], "order_id"] = df["order_id"].iloc[0]
    assert_same_metrics(fast.customer_metrics(df), fast.customer_metrics_pandas(df))


def test_nat_dates_are_skipped(tx):
    df = tx.head(500).copy()
    df.loc[df.index[::3], "order_date"] = pd.NaT
    assert_same_metrics(fast.customer_metrics(df), fast.customer_metrics_pandas(df))


def test_order_shared_by_two_customers_counts_pairs():
    df = pd.DataFrame({
        "customer_id": [1, 2, 1, 2, 1],
        "order_id": [50, 50, 51, 50, 50],  # order 50 appears under both customers, interleaved
        "product_id": [3, 3, 3, 4, 3],
        "order_date": pd.to_datetime(["2025-01-0%d" % d for d in range(1, 6)]).astype("datetime64[us]"),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    got = fast.customer_metrics(df)
    assert got["order_count"].tolist() == [2, 1]
    assert_same_metrics(got, fast.customer_metrics_pandas(df))


def test_integer_amounts_and_ns_dates(tx):
    df = tx.head(300).copy()
    df["amount"] = (df["amount"] * 100).round().astype("int64")
    df["order_date"] = df["order_date"].astype("datetime64[ns]")
    got = fast.customer_metrics(df)
    expected = fast.customer_metrics_pandas(df)
    assert got["last_order"].dtype == np.dtype("datetime64[ns]")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-12)


def test_empty_frame(tx):
    got = fast.customer_metrics(tx.head(0))
    assert len(got) == 0 and list(got.columns) == fast.METRIC_COLUMNS
    assert got.index.name == "customer_id"


def test_null_customer_raises_naming_the_row(tx):
    df = tx.head(50).copy()
    df["customer_id"] = df["customer_id"].astype("Int64")
    df.loc[17, "customer_id"] = pd.NA
    with pytest.raises(DataQualityError, match=r"'customer_id'.*row 17"):
        fast.customer_metrics(df)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.drop(columns="order_id"), "missing column"),
    (lambda d: d.assign(order_date=d["order_date"].astype("str")), "order_date"),
    (lambda d: d.assign(product_id=d["product_id"].astype("float64")), "product_id"),
    (lambda d: d.assign(amount=d["amount"].astype("str")), "amount"),
])
def test_bad_frames_raise_clear_errors(tx, mutate, message):
    with pytest.raises(DataQualityError, match=message):
        fast.customer_metrics(mutate(tx.head(20)))


def test_mask_loop_trap_gives_the_same_answer(tx):
    small = tx.head(2_000)
    assert_same_metrics(fast.customer_metrics_mask_loop(small), fast.customer_metrics_pandas(small))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 4), st.integers(0, 3),
                          st.integers(0, 5), st.one_of(st.none(), st.floats(-1e6, 1e6))),
                min_size=1, max_size=40))
def test_property_matches_pandas(rows):
    cust, order, prod, day, amount = zip(*rows)
    df = pd.DataFrame({
        "customer_id": np.array(cust, dtype="int64") * 10**15,  # sparse, some negative
        "order_id": np.array(order, dtype="int64"),
        "product_id": np.array(prod, dtype="int64"),
        "order_date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(np.array(day), unit="D")).astype("datetime64[us]"),
        "amount": np.array([np.nan if a is None else a for a in amount], dtype="float64"),
    })
    pd.testing.assert_frame_equal(fast.customer_metrics(df), fast.customer_metrics_pandas(df),
                                  check_exact=False, rtol=1e-9, atol=1e-6)


def test_dense_codes_roundtrip():
    rng = np.random.default_rng(3)
    for values in (rng.integers(0, 50, 1000), rng.integers(-2**62, 2**62, 1000),
                   np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max, 0])):
        codes, uniques = fast.dense_codes(values)
        assert np.array_equal(uniques[codes], values)
        assert np.all(uniques[1:] > uniques[:-1])
        assert codes.min() == 0 and codes.max() == len(uniques) - 1


# ---------------------------------------------------------------- rolling_mean
def exact_rolling_mean(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Slow, exactly rounded reference: math.fsum over each window's non-NaN values."""
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        w = [v for v in x[max(0, i - window + 1):i + 1] if not math.isnan(v)]
        if len(w) >= max(min_periods, 1):
            out[i] = math.fsum(w) / len(w)
    return out


@pytest.mark.parametrize("window, min_periods", [(1, None), (3, None), (7, 1), (30, 10), (30, 0), (500, None)])
def test_rolling_matches_pandas_with_nans(window, min_periods):
    rng = np.random.default_rng(window)
    x = rng.normal(50, 20, 5_000)
    x[rng.random(len(x)) < 0.05] = np.nan
    x[1000:1040] = np.nan  # a gap longer than most windows
    got = fast.rolling_mean(x, window, min_periods)
    expected = pd.Series(x).rolling(window, min_periods=min_periods).mean().to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    assert np.array_equal(np.isnan(got), np.isnan(expected))


def test_nan_only_touches_its_windows():
    x = np.arange(100, dtype=float)
    x[40] = np.nan
    got = fast.rolling_mean(x, 5, min_periods=5)
    assert np.isnan(got[40:45]).all()
    assert np.isfinite(got[4:40]).all() and np.isfinite(got[45:]).all()
    assert got[99] == pytest.approx(97.0, rel=1e-15)


def test_no_drift_after_a_huge_spike():
    rng = np.random.default_rng(11)
    x = np.round(rng.uniform(0, 20, 20_000), 2)
    x[1_000] = 1e12
    window = 30
    got = fast.rolling_mean(x, window)
    exact = exact_rolling_mean(x, window, window)
    np.testing.assert_allclose(got[window:], exact[window:], rtol=1e-9)
    # the test can fail: a plain running sum (no compensation) does drift by far more than 1e-9
    c = np.concatenate([[0.0], np.cumsum(x)])
    plain = (c[window:] - c[:-window]) / window
    assert np.max(np.abs(plain[2_000:] - exact[window - 1 + 2_000:]) / exact[window - 1 + 2_000:]) > 1e-9


def test_constant_windows_return_the_value_exactly():
    got = fast.rolling_mean(np.full(50, 0.1), 7)
    assert np.all(got[6:] == 0.1)


def test_series_in_series_out_and_lists():
    s = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"), name="sales")
    out = fast.rolling_mean(s, 2)
    assert isinstance(out, pd.Series) and out.name == "sales" and list(out.index) == list("abcd")
    pd.testing.assert_series_equal(out, s.rolling(2).mean())
    np.testing.assert_array_equal(fast.rolling_mean([1, 2, 3], 2), [np.nan, 1.5, 2.5])


def test_edge_sizes():
    assert fast.rolling_mean(np.array([]), 3).shape == (0,)
    assert np.isnan(fast.rolling_mean(np.arange(3.0), 5)).all()
    np.testing.assert_array_equal(fast.rolling_mean(np.arange(3.0), 5, min_periods=2), [np.nan, 0.5, 1.0])


@pytest.mark.parametrize("window, min_periods", [(0, None), (-1, None), (2.5, None), (True, None), (3, 4), (3, -1)])
def test_bad_parameters_raise(window, min_periods):
    with pytest.raises(ValueError, match="rolling_mean"):
        fast.rolling_mean(np.arange(10.0), window, min_periods)


def test_one_compiled_signature_for_any_input():
    fast.rolling_mean(np.arange(10, dtype=np.int32), 3)
    fast.rolling_mean(np.arange(10, dtype=np.float32)[::2], 2, 1)
    fast.rolling_mean([1, 2, 3], np.int64(2))
    fast.rolling_mean(pd.Series([1.0, 2.0]), 2)  # pandas 3 hands out read-only arrays
    assert len(fast._rolling_mean_kernel.signatures) == 1


def test_parallel_chunks_match_pandas_across_chunk_edges():
    rng = np.random.default_rng(8)
    n = fast._PARALLEL_MIN_VALUES + 12_345
    x = rng.normal(30, 10, n)
    x[rng.random(n) < 0.02] = np.nan
    edges = [c * n // fast._ROLLING_CHUNKS for c in range(1, fast._ROLLING_CHUNKS)]
    for e in edges:
        x[e - 3:e + 2] = np.nan       # NaN runs straddling the chunk edges
    x[edges[2] - 1] = 1e12            # a spike right before an edge
    for window, min_periods in [(30, None), (50, 1)]:
        got = fast.rolling_mean(x, window, min_periods)
        expected = pd.Series(x).rolling(window, min_periods=min_periods).mean().to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert len(fast._rolling_mean_parallel.signatures) == 1


def test_window_loop_trap_gives_the_same_answer():
    x = np.random.default_rng(2).normal(size=2_000)
    np.testing.assert_allclose(fast.rolling_mean_window_loop(x, 30), fast.rolling_mean(x, 30, min_periods=1),
                               rtol=1e-9, atol=1e-12)


def test_group_sum_sparse_keys_and_nans():
    keys = np.array([10**12, -5, 10**12, 7, 7, -5])
    values = np.array([1.0, np.nan, 2.5, np.nan, np.nan, 4.0])
    got = fast.group_sum(keys, values)
    assert got.index.tolist() == [-5, 7, 10**12]
    assert got.tolist() == [4.0, 0.0, 3.5]  # customer 7 has only NaN: 0.0, as pandas' sum gives
    expected = pd.Series(values).groupby(keys).sum()
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert len(fast.group_sum(np.array([], dtype="int64"), np.array([]))) == 0


# ---------------------------------------------------------------- exercises and the learner notebook
def test_jitted_stub_reports_not_attempted():
    """A learner's untouched @njit stub raises NotImplementedError only when called: check() must say so."""
    import numba

    from pharma_kit.exercises import lesson05 as ex

    @numba.njit
    def stub(values, window, min_periods):
        raise NotImplementedError("Your code here")

    assert ex.q4.check(stub, seed=1).status == "not attempted"



def test_rows_not_sorted_by_order_take_the_general_path(tx):
    shuffled = tx.sample(frac=1.0, random_state=3)  # order ids no longer ascending
    assert not shuffled["order_id"].is_monotonic_increasing
    assert_same_metrics(fast.customer_metrics(shuffled), fast.customer_metrics_pandas(shuffled))
    shuffled.loc[shuffled.index[:40:2], "order_id"] = shuffled["order_id"].iloc[1]  # + shared orders
    assert_same_metrics(fast.customer_metrics(shuffled), fast.customer_metrics_pandas(shuffled))


def test_order_shared_on_adjacent_sorted_rows():
    df = pd.DataFrame({
        "customer_id": [1, 2, 2, 3],
        "order_id": [10, 10, 11, 12],  # sorted by order id (the fast path); order 10 has two customers
        "product_id": [5, 5, 6, 5],
        "order_date": pd.to_datetime(["2025-01-01"] * 4).astype("datetime64[us]"),
        "amount": [1.0, 2.0, 3.0, np.nan],
    })
    got = fast.customer_metrics(df)
    assert got["order_count"].tolist() == [1, 2, 1]
    assert_same_metrics(got, fast.customer_metrics_pandas(df))

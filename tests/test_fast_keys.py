"""Lesson 05 kernels on data they were not tuned to (issues 16 §2 and 19).

Every frame here is made with plain NumPy in this file (not ``pharma_kit.data``): customers drawn
uniformly per row, order ids unsorted, and the oracle is pandas (``groupby().agg``) or ``math.fsum``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pharma_kit import fast


def independent_frame(n: int, n_customers: int, seed: int) -> pd.DataFrame:
    """Orders owned by uniformly drawn customers, lines drawn uniformly from orders, order ids shuffled."""
    rng = np.random.default_rng(seed)
    n_orders = max(1, n // 3)
    owner = rng.integers(0, n_customers, n_orders)
    order_ids = rng.permutation(n_orders) * 7 + 11  # unsorted, not dense
    line_order = rng.integers(0, n_orders, n)
    amount = np.round(rng.lognormal(2.5, 1.0, n), 2)
    amount[rng.random(n) < 0.03] = np.nan
    dates = np.datetime64("2024-01-01", "us") + rng.integers(0, 400 * 86_400 * 10**6, n).astype("m8[us]")
    dates[rng.random(n) < 0.02] = np.datetime64("NaT")
    return pd.DataFrame({
        "customer_id": owner[line_order].astype(np.int64),
        "order_id": order_ids[line_order].astype(np.int64),
        "product_id": rng.integers(0, 5_000, n),
        "order_date": dates,
        "amount": amount,
    })


def with_ids(df: pd.DataFrame, ids) -> pd.DataFrame:
    """``df`` with customer number ``c`` replaced by ``ids[c]``."""
    out = df.copy()
    out["customer_id"] = np.asarray(ids)[df["customer_id"].to_numpy()] if not isinstance(ids, pd.Series) \
        else ids.iloc[df["customer_id"].to_numpy()].to_numpy()
    return out


def assert_matches_pandas(df: pd.DataFrame) -> pd.DataFrame:
    got = fast.customer_metrics(df)
    expected = fast.customer_metrics_pandas(df)
    assert got.index.dtype == expected.index.dtype
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0.0)
    return got


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return independent_frame(40_000, 6_000, seed=101)


def sparse_ids(k: int, seed: int, high: int = 10**12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ids = np.unique(rng.integers(0, high, 2 * k))[:k]
    rng.shuffle(ids)
    return ids


# ---------------------------------------------------------------- every key shape equals pandas
def test_compact_ids_take_the_direct_path(base):
    df = with_ids(base, np.arange(6_000) + 500_000)
    assert fast.customer_key_shape(df["customer_id"]) == "direct"
    assert_matches_pandas(df)


def test_ids_spread_over_1e12_take_the_hashed_path(base):
    df = with_ids(base, sparse_ids(6_000, seed=3))
    assert fast.customer_key_shape(df["customer_id"]) == "hashed"
    assert_matches_pandas(df)


def test_all_shapes_give_the_same_metrics(base):
    compact = fast.customer_metrics(with_ids(base, np.arange(6_000)))
    ids = np.sort(sparse_ids(6_000, seed=4))  # ascending, so customer c keeps its rank in every shape
    sparse = fast.customer_metrics(with_ids(base, ids))
    strings = fast.customer_metrics(with_ids(base, np.array([f"C{c:09d}" for c in range(6_000)], dtype=object)))
    used = compact.index.to_numpy()
    for other, index in [(sparse, ids[used]), (strings, [f"C{c:09d}" for c in used])]:
        assert other.index.tolist() == list(index)
        pd.testing.assert_frame_equal(other.reset_index(drop=True), compact.reset_index(drop=True), check_exact=True)


def test_many_hashed_partitions_clusters_and_table_growth():
    df = independent_frame(300_000, 120_000, seed=7)  # > 2 partitions of 2**17 rows, tables grow past 4096
    ids = np.concatenate([sparse_ids(60_000, seed=8), 10**15 + np.arange(60_000) * 3])  # two source systems
    df = with_ids(df, ids)
    assert fast.customer_key_shape(df["customer_id"]) == "hashed"
    assert_matches_pandas(df)


def test_full_int64_range_and_negative_ids(base):
    ids = sparse_ids(6_000, seed=9, high=2**62) * np.where(np.arange(6_000) % 2 == 0, 1, -1)
    ids[:2] = [np.iinfo(np.int64).min, np.iinfo(np.int64).max]
    assert_matches_pandas(with_ids(base, ids))


def test_uint64_ids_above_int64_max_are_kept(base):
    ids = (np.uint64(2**63) + sparse_ids(6_000, seed=10).astype(np.uint64))
    ids[:3] = [np.uint64(2**63 + 5), np.uint64(2**64 - 1), np.uint64(3)]
    df = with_ids(base, ids)
    assert df["customer_id"].dtype == np.uint64
    got = assert_matches_pandas(df)
    assert 2**63 + 5 in got.index and 2**64 - 1 in got.index
    small = pd.DataFrame({"customer_id": np.array([2**63 + 5, 2**63 + 5, 1], dtype=np.uint64),
                          "order_id": [1, 2, 3], "product_id": [1, 1, 2],
                          "order_date": pd.to_datetime(["2025-01-01"] * 3).astype("datetime64[us]"),
                          "amount": [1.0, 2.0, 3.0]})
    assert fast.customer_metrics(small).index.tolist() == [1, 2**63 + 5]
    # order and product ids above int64's max are only compared for equality: counts must match too
    assert_matches_pandas(small.assign(order_id=np.array([2**64 - 1, 2**64 - 1, 1], dtype=np.uint64)))


def test_other_integer_dtypes_keep_their_dtype(base):
    for dtype in ("int32", "Int64", "uint32"):
        assert_matches_pandas(base.assign(customer_id=base["customer_id"].astype(dtype)))


def test_prefixed_string_ids_are_parsed_not_hashed(base):
    ids = pd.Series([f"C{c:08d}" for c in range(6_000)], dtype="str")
    df = with_ids(base, ids)
    assert df["customer_id"].dtype == "str"
    assert fast.customer_key_shape(df["customer_id"]) == "parsed, direct"
    got = assert_matches_pandas(df)
    assert got.index[0].startswith("C0000")


@pytest.mark.parametrize("make", [
    lambda c: f"C{c}",                     # no zero padding: widths differ, numeric order != string order
    lambda c: f"{'AB'[c % 2]}{c:06d}",     # two prefixes
    lambda c: f"cust-{c:05d}-x",           # digits not at the end
    lambda c: f"C{c:06d}é",                # non-ASCII
])
def test_other_strings_fall_back_to_factorize(base, make):
    ids = pd.Series([make(c) for c in range(6_000)], dtype="str")
    df = with_ids(base, ids)
    assert fast.customer_key_shape(df["customer_id"]) == "factorized"
    assert_matches_pandas(df)


def test_object_strings_and_sliced_arrow_arrays(base):
    assert_matches_pandas(with_ids(base, np.array([f"C{c:07d}" for c in range(6_000)], dtype=object)))
    df = with_ids(base, pd.Series([f"C{c:07d}" for c in range(6_000)], dtype="str"))
    assert_matches_pandas(df.iloc[1_234:30_000])  # an Arrow array with an offset


def test_tz_aware_dates_keep_their_zone(base):
    df = base.copy()
    df["order_date"] = df["order_date"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    got = assert_matches_pandas(df)
    assert str(got["last_order"].dtype) == "datetime64[us, America/New_York]"
    # a wall-clock max is not the instant max across a DST change: compare instants, like pandas
    dst = pd.DataFrame({"customer_id": [1, 1], "order_id": [1, 2], "product_id": [1, 1], "amount": [1.0, 1.0],
                        "order_date": pd.to_datetime(["2024-11-03 01:30-04:00", "2024-11-03 01:10-05:00"], utc=True)
                        .tz_convert("America/New_York")})
    assert fast.customer_metrics(dst)["last_order"].iloc[0] == pd.Timestamp("2024-11-03 06:10", tz="UTC")


def test_shared_orders_nan_nat_and_inf_amounts(base):
    df = base.copy()
    df.loc[df.index[::97], "order_id"] = 11  # one order id under many customers
    df.loc[df.index[::501], "amount"] = np.inf
    df.loc[df.index[5::503], "amount"] = -np.inf
    lonely = df["customer_id"].iloc[0]
    df.loc[df["customer_id"] == lonely, ["amount", "order_date"]] = [np.nan, pd.NaT]
    got = assert_matches_pandas(df)
    assert got.loc[lonely, "total"] == 0.0 and math.isnan(got.loc[lonely, "mean_amount"])
    assert pd.isna(got.loc[lonely, "last_order"])


def test_heavy_customers_use_the_sorting_distinct_count():
    rng = np.random.default_rng(12)
    n = 20_000
    df = pd.DataFrame({"customer_id": rng.integers(0, 3, n) * 10**11, "order_id": rng.integers(0, 900, n),
                       "product_id": rng.integers(-50, 50, n), "amount": rng.normal(size=n),
                       "order_date": np.datetime64("2025-01-01", "ns") + rng.integers(0, 10**15, n).astype("m8[ns]")})
    assert_matches_pandas(df)


# ---------------------------------------------------------------- rolling_mean: inf and collapse
def fsum_rolling_mean(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Exactly rounded reference: math.fsum over each window's finite values."""
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        w = [v for v in x[max(0, i - window + 1):i + 1] if math.isfinite(v)]
        if len(w) >= max(min_periods, 1):
            out[i] = math.fsum(w) / len(w)
    return out


def test_inf_only_touches_its_windows_like_pandas():
    got = fast.rolling_mean([1, np.inf, 3, 4, 5, 6], 2)
    np.testing.assert_array_equal(got, [np.nan, np.nan, np.nan, 3.5, 4.5, 5.5])
    rng = np.random.default_rng(13)
    x = rng.normal(10, 3, 5_000)
    x[rng.random(5_000) < 0.01] = np.inf
    x[rng.random(5_000) < 0.01] = -np.inf
    x[rng.random(5_000) < 0.02] = np.nan
    for window, min_periods in [(2, None), (7, 1), (50, 20)]:
        got = fast.rolling_mean(x, window, min_periods)
        expected = pd.Series(x).rolling(window, min_periods=min_periods).mean().to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_inf_on_the_parallel_path():
    rng = np.random.default_rng(14)
    n = fast._PARALLEL_MIN_VALUES + 777
    x = rng.gamma(2.0, 10.0, n)
    x[::150_001] = np.inf
    x[7::300_017] = -np.inf
    got = fast.rolling_mean(x, 30)
    expected = pd.Series(x).rolling(30).mean().to_numpy()
    assert int(np.isnan(got).sum()) == int(np.isnan(expected).sum()) < 30 * 30
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize("window", [10, 100, 500])
def test_huge_values_among_tiny_ones_stay_exact(window):
    """1e15 about every 1000th value among values near 1e-3: pandas returns 0.0 for many windows, we don't."""
    rng = np.random.default_rng(2)
    n = 60_000
    x = np.abs(rng.normal(1e-3, 1e-4, n))
    spikes = rng.random(n) < 1e-3
    x[spikes] = 1e15 * rng.uniform(1.0, 2.0, spikes.sum())
    exact = fsum_rolling_mean(x, window, window)
    got = fast.rolling_mean(x, window)
    np.testing.assert_allclose(got[window - 1:], exact[window - 1:], rtol=1e-9)
    if window == 100:  # pandas gets thousands of windows wrong here (the test can fail: not an easy series)
        pandas = pd.Series(x).rolling(window).mean().to_numpy()
        assert np.sum(np.abs(pandas[window - 1:] - exact[window - 1:]) > 1e-9 * exact[window - 1:]) > 1_000


def test_collapse_on_the_parallel_path_and_with_signs():
    rng = np.random.default_rng(15)
    n = fast._PARALLEL_MIN_VALUES + 5
    x = rng.normal(1e-3, 1e-4, n) * rng.choice([-1.0, 1.0], n)
    x[rng.random(n) < 1e-3] = 1e15 * rng.choice([-1.0, 1.0])
    window = 100
    got = fast.rolling_mean(x, window)
    part = slice(n - 20_000, n)
    exact = fsum_rolling_mean(x[n - 20_000 - window + 1:], window, window)[window - 1:]
    scale = np.maximum(np.abs(exact), 1e-3 / window)  # signed sums pass near 0: compare to the values' size
    assert np.max(np.abs(got[part] - exact) / scale) < 1e-9


def test_sums_hovering_at_zero_stay_correct():
    x = np.tile([1.0, -1.0], 5_000)  # every even window sums to exactly 0
    got = fast.rolling_mean(x, 10)
    np.testing.assert_array_equal(got[9:], np.zeros(len(x) - 9))
    x = np.random.default_rng(16).normal(0, 1, 50_000)
    np.testing.assert_allclose(fast.rolling_mean(x, 40), pd.Series(x).rolling(40).mean().to_numpy(),
                               rtol=1e-9, atol=1e-13)

"""The generator: deterministic, exact defect counts, ground truth that matches the data, clean typed output."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from pharma_kit import data
from pharma_kit.data import DEFECT_KINDS, DefectRates, clean_transactions, generate, to_typed


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def test_same_seed_same_bytes_and_different_seed_differs():
    a, b, c = generate(3000, 5), generate(3000, 5), generate(3000, 6)
    assert _digest(a.transactions) == _digest(b.transactions)
    assert a.truth.equals(b.truth)
    assert _digest(a.transactions) != _digest(c.transactions)


def test_clean_data_is_typed_sorted_and_valid():
    df = clean_transactions(20_000, 1)
    assert list(df.columns) == data.TRANSACTION_COLUMNS
    assert str(df["order_date"].dtype) == "datetime64[us]"
    assert df["amount"].dtype == "float64" and df["customer_id"].dtype == "int64"
    assert df["transaction_id"].is_unique and df["order_date"].is_monotonic_increasing
    assert (df["amount"] > 0).all() and (df["quantity"] >= 1).all()
    assert df["order_date"].max() < data.AS_OF
    assert df["order_date"].min() >= data.AS_OF - pd.Timedelta(days=data.DAYS_OF_HISTORY)
    # several lines per order, and every line of an order shares customer, store and timestamp
    per_order = df.groupby("order_id").agg(c=("customer_id", "nunique"), s=("store_id", "nunique"),
                                           t=("order_date", "nunique"), n=("transaction_id", "size"))
    assert (per_order[["c", "s", "t"]] == 1).all().all()
    assert per_order["n"].max() > 1
    # (order_id, product_id) is the business key of a line
    assert not df.duplicated(["order_id", "product_id"]).any()
    # customer ids are sparse, not 0..K-1
    ids = np.sort(df["customer_id"].unique())
    assert ids.min() >= 100_000 and (np.diff(ids) > 1).any()


def test_amounts_match_catalogue_prices():
    ds = generate(5000, 3, rates=DefectRates.none())
    m = ds.transactions.merge(ds.products, on="product_id", how="left", validate="many_to_one")
    full = (m["quantity"] * m["unit_price"]).round(2)
    ok = np.isclose(m["amount"], full) | np.isclose(m["amount"], (full * 0.9).round(2), atol=0.011)
    assert ok.all()


def test_weekly_pattern_saturday_busier_than_sunday():
    df = clean_transactions(60_000, 2)
    by_dow = df.groupby(df["order_date"].dt.day_of_week)["amount"].sum()
    assert by_dow[5] > 1.4 * by_dow[6]


@pytest.mark.parametrize("n", [1_000, 50_000])
def test_defect_counts_are_exact_and_one_per_row(n):
    rates = DefectRates()
    ds = generate(n, 11, rates=rates)
    assert len(ds.transactions) == n == len(ds.truth)
    assert (ds.truth.sum(axis=1) <= 1).all()
    for kind in DEFECT_KINDS:
        assert int(ds.truth[kind].sum()) == round(getattr(rates, kind) * n), kind


def test_ground_truth_describes_the_rows():
    ds = generate(40_000, 4)
    tx, t = ds.transactions, ds.truth
    amount = pd.to_numeric(tx["amount"], errors="coerce")
    dates = pd.to_datetime(tx["order_date"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    assert tx.loc[t.null_customer, "customer_id"].isna().all() and tx.loc[~t.null_customer, "customer_id"].notna().all()
    assert tx.loc[t.null_amount, "amount"].isna().all() and tx.loc[~t.null_amount, "amount"].notna().all()
    assert (amount[t.negative_amount] < 0).all() and not (amount[~t.negative_amount] < 0).any()
    assert tx.loc[t.amount_type_drift, "amount"].str.startswith("$").all()
    assert amount[t.amount_type_drift].isna().all()
    assert dates[t.unparseable_date].isna().all() and dates[~t.unparseable_date].notna().all()
    assert (dates[t.future_date] >= ds.as_of).all() and (dates[~t.future_date & ~t.unparseable_date] < ds.as_of).all()
    assert (~tx.loc[t.unknown_store, "store_id"].isin(ds.stores["store_id"])).all()
    assert tx.loc[~t.unknown_store, "store_id"].isin(ds.stores["store_id"]).all()
    assert (~tx.loc[t.unknown_product, "product_id"].isin(ds.products["product_id"])).all()
    # exact duplicates repeat an earlier row in full; near duplicates repeat the business key with a new id
    full_dup = tx.duplicated(keep="first")
    assert full_dup.equals(t.exact_duplicate)
    key = ["order_id", "customer_id", "store_id", "product_id", "quantity", "amount"]
    near = tx.duplicated(subset=key, keep="first") & ~full_dup
    assert near.equals(t.near_duplicate)
    assert not tx.loc[~t.exact_duplicate, "transaction_id"].duplicated().any()


def test_clean_rows_excludes_every_defect():
    ds = generate(10_000, 9)
    clean = ds.clean_rows()
    assert len(clean) == int((~ds.truth.any(axis=1)).sum())
    assert clean["customer_id"].dtype == "int64" and clean["amount"].gt(0).all()


def test_dollar_formatting_with_thousands():
    s = data._format_amount(np.array([1234.5, 12.0, -3.07, 1234567.891]), dollar=True)
    assert list(s) == ["$1,234.50", "$12.00", "-$3.07", "$1,234,567.89"]


def test_to_typed_refuses_null_ids():
    ds = generate(2000, 1)
    with pytest.raises(ValueError, match="customer_id has nulls"):
        to_typed(ds.transactions.loc[ds.truth.null_customer])


@pytest.mark.parametrize("kwargs, message", [
    ({"n_rows": 0}, "n_rows must be a positive integer"),
    ({"n_rows": 10, "seed": -1}, "seed must be a non-negative integer"),
    ({"n_rows": 10, "n_stores": 0}, "at least 1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)


def test_bad_rates():
    with pytest.raises(ValueError, match="null_customer"):
        DefectRates(null_customer=1.5)
    with pytest.raises(ValueError, match="more than 0.5"):
        DefectRates(null_customer=0.3, null_amount=0.3)


def test_day_multipliers_plant_events():
    day = data.AS_OF - pd.Timedelta(days=100)
    boosted = clean_transactions(30_000, 3, day_multipliers=pd.Series({day: 8.0}))
    plain = clean_transactions(30_000, 3)
    count = lambda df: int((df["order_date"].dt.normalize() == day).sum())  # noqa: E731
    assert count(boosted) > 4 * count(plain)


def test_write_csv_roundtrip(tmp_path):
    ds = generate(3000, 2)
    p = tmp_path / "t.csv"
    data.write_csv(ds.transactions, p, chunk_rows=700)
    back = pd.read_csv(p, dtype={"customer_id": "Int64", "amount": "str", "order_date": "str"}, keep_default_na=False,
                       na_values={"customer_id": [""], "amount": [""]})
    pd.testing.assert_frame_equal(back, ds.transactions, check_dtype=False)
    assert b"\r\n" not in p.read_bytes()

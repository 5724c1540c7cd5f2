"""Property-based tests: cleaning never loses or duplicates a row, whatever the frame looks like."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharma_kit.data import AS_OF, TRANSACTION_COLUMNS, DefectRates, generate
from pharma_kit.quality import clean, split_rows

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalar = st.one_of(
    st.none(),
    st.just(np.nan),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["$1,234.50", "2025-01-01 10:00:00", "2025-13-01", "1e3", " 7 ", "", "N/A", "-$6.99",
                     "2024-02-29 23:59:59", "2025-07-01T10:00:00+02:00", "12.50"]),
    st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2030-01-01").to_pydatetime()),
)


@st.composite
def column(draw, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["mixed", "null", "int", "float", "text", "nullable_int"]))
    if kind == "null":
        return pd.Series([None] * n, dtype=draw(st.sampled_from(["object", "float64", "str"])))
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-5, 10**6), min_size=n, max_size=n)), dtype="int64")
    if kind == "nullable_int":
        vals = draw(st.lists(st.one_of(st.none(), st.integers(0, 2000)), min_size=n, max_size=n))
        return pd.Series(vals, dtype="Int64")
    if kind == "float":
        return pd.Series(draw(st.lists(st.floats(), min_size=n, max_size=n)), dtype="float64")
    if kind == "text":
        vals = draw(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=n, max_size=n))
        return pd.Series(vals, dtype="str")
    return pd.Series(draw(st.lists(scalar, min_size=n, max_size=n)), dtype="object")


@st.composite
def raw_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    data = {c: draw(column(n)) for c in TRANSACTION_COLUMNS}
    df = pd.DataFrame(data)
    if draw(st.booleans()) and n:  # duplicate a few rows and shuffle labels, as real feeds do
        df = pd.concat([df, df.iloc[: draw(st.integers(1, n))]], ignore_index=True)
        df.index = draw(st.permutations(list(range(100, 100 + len(df)))))
    return df


LOOKUPS = generate(200, seed=1)


@SETTINGS
@given(raw_frames(), st.booleans())
def test_clean_never_loses_a_row(raw, with_lookups):
    lookups = {"stores": LOOKUPS.stores, "products": LOOKUPS.products} if with_lookups else {}
    res = clean(raw, as_of=AS_OF, **lookups)
    assert len(raw) == len(res.kept) + len(res.quarantine)
    assert res.kept.index.intersection(res.quarantine.index).empty
    assert set(res.kept.index) | set(res.quarantine.index) == set(raw.index)
    assert list(res.kept.columns) == TRANSACTION_COLUMNS
    assert str(res.kept["amount"].dtype) == "float64"
    assert str(res.kept["order_date"].dtype) == "datetime64[us]"
    assert str(res.kept["customer_id"].dtype) == "int64"
    assert res.quarantine["reason"].notna().all()
    # kept rows hold no nulls, no negatives and no future dates
    assert not res.kept.isna().any().any()
    assert (res.kept["amount"] >= 0).all() and (res.kept["order_date"] <= AS_OF).all()
    assert int(res.summary()["rows"].sum()) == len(res.quarantine)


@SETTINGS
@given(st.integers(0, 40), st.integers(0, 4), st.data())
def test_split_rows_partition(n, k, data):
    df = pd.DataFrame({"x": data.draw(st.lists(st.one_of(st.none(), st.floats()), min_size=n, max_size=n),
                                      label="x")}, dtype="float64")
    df.index = data.draw(st.permutations(list(range(n))), label="labels")
    masks = {f"r{i}": pd.Series(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), index=df.index)
             for i in range(k)}
    res = split_rows(df, masks)
    assert len(res.kept) + len(res.quarantine) == n
    assert res.kept.index.intersection(res.quarantine.index).empty
    for label, reason in res.quarantine["reason"].items():
        first = next(name for name, m in masks.items() if m[label])
        assert reason == first
    for label in res.kept.index:
        assert not any(m[label] for m in masks.values())


BASE = generate(400, seed=11, rates=DefectRates(null_customer=0.02, negative_amount=0.02, future_date=0.02,
                                                unparseable_date=0.02, unknown_store=0.02, exact_duplicate=0.02))


BASELINE = clean(BASE.transactions, as_of=AS_OF, stores=BASE.stores, products=BASE.products)
ROW_LEVEL = BASELINE.quarantine.index[~BASELINE.quarantine["reason"].str.endswith("duplicate")]


def test_corruption_baseline_is_not_vacuous():
    truth = BASE.truth.drop(columns=["exact_duplicate", "near_duplicate", "amount_type_drift"])
    assert len(ROW_LEVEL) == int(truth.any(axis=1).sum()) >= 40


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 399), st.sampled_from(TRANSACTION_COLUMNS), scalar), max_size=15))
def test_corrupted_real_rows_keep_the_invariant(edits):
    raw = BASE.transactions.astype("object")
    for row, col, value in edits:
        raw.iat[row, raw.columns.get_loc(col)] = value
    res = clean(raw, as_of=AS_OF, stores=BASE.stores, products=BASE.products)
    assert len(raw) == len(res.kept) + len(res.quarantine)
    assert res.kept.index.intersection(res.quarantine.index).empty
    untouched = set(range(400)) - {r for r, _, _ in edits}
    # a row nobody touched that was quarantined for a row-level defect stays quarantined
    assert set(ROW_LEVEL).intersection(untouched) <= set(res.quarantine.index)


@SETTINGS
@given(st.integers(0, 30), st.data())
def test_duplicated_rows_equals_pandas(n, data):
    from pharma_kit.quality import duplicated_rows

    small = st.one_of(st.none(), st.integers(0, 2))
    df = pd.DataFrame({"a": pd.Series(data.draw(st.lists(small, min_size=n, max_size=n)), dtype="Int64"),
                       "b": pd.Series(data.draw(st.lists(st.sampled_from(["x", "y", None]), min_size=n, max_size=n)),
                                      dtype="str"),
                       "c": data.draw(st.lists(st.sampled_from([0.5, np.nan]), min_size=n, max_size=n))})
    for keep in ("first", "last", False):
        for subset in (None, ["a"], ["b", "c"]):
            assert duplicated_rows(df, subset, keep=keep).tolist() == df.duplicated(subset, keep=keep).tolist()

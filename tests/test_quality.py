"""pharma_kit.quality: rules as data, the report, lossless cleaning, and ground truth from the generator."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pharma_kit import errors
from pharma_kit.data import AS_OF, DEFECT_KINDS, TRANSACTION_COLUMNS, DefectRates, generate
from pharma_kit.quality import (
    TRANSACTION_RULES, CleanResult, DataQualityError, MaxLossExceeded, Report, RuleSet, Validator, clean,
    load_rules, near_duplicate, parse_float, parse_int, split_rows, validate,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "datasets" / "transactions_sample.csv"
REPAIRED = {"amount_type_drift"}  # a warning: repaired and kept, still reported


@pytest.fixture(scope="module")
def ds50k():
    return generate(50_000, seed=42)


@pytest.fixture(scope="module")
def cleaned(ds50k):
    return clean(ds50k.transactions, as_of=AS_OF, stores=ds50k.stores, products=ds50k.products)


def assert_ground_truth(ds, res: CleanResult) -> None:
    """Every defect kind found with exact counts: the rule's mask equals the truth column (P = R = 1)."""
    truth = ds.truth.set_axis(res.report.masks["null_customer"].index)
    for kind in DEFECT_KINDS:
        mask = res.report.masks[kind]
        tp = int((mask & truth[kind]).sum())
        assert tp == int(truth[kind].sum()) == int(mask.sum()), (kind, tp, int(truth[kind].sum()), int(mask.sum()))
    # quarantine reasons are the defect kinds, row for row
    expected = truth.drop(columns=list(REPAIRED)).idxmax(axis=1).where(truth.drop(columns=list(REPAIRED)).any(axis=1))
    got = res.quarantine["reason"]
    assert set(got.index) == set(expected.dropna().index)
    assert (got == expected.loc[got.index]).all()
    # no error rule that is not a defect kind fires on generated data
    extra = [r.rule.name for r in res.report.errors if r.rule.name not in DEFECT_KINDS]
    assert extra == []


# --------------------------------------------------------------------------- contract
def test_contract_invariants(ds50k, cleaned):
    raw = ds50k.transactions
    res = cleaned
    assert len(raw) == len(res.kept) + len(res.quarantine)
    assert res.kept.index.intersection(res.quarantine.index).empty
    assert list(res.kept.columns) == TRANSACTION_COLUMNS
    assert res.kept["amount"].dtype == "float64"
    assert res.kept["order_date"].dtype == "datetime64[us]"
    assert res.kept["customer_id"].dtype == "int64"
    assert str(res.quarantine["reason"].dtype) == "str"
    # quarantine keeps the ORIGINAL raw values
    pd.testing.assert_frame_equal(res.quarantine.drop(columns="reason"), raw.loc[res.quarantine.index])
    s = res.summary()
    assert s.index.name == "reason" and list(s.columns) == ["rows", "rate"]
    assert s["rows"].sum() == len(res.quarantine)
    assert issubclass(MaxLossExceeded, errors.DataQualityError)
    assert DataQualityError is errors.DataQualityError


def test_ground_truth_sample_50k(ds50k, cleaned):
    assert_ground_truth(ds50k, cleaned)
    # kept = the generator's clean rows + the repaired type-drift rows, with the right values
    drift = ds50k.truth["amount_type_drift"].to_numpy()
    assert len(cleaned.kept) == int((~ds50k.truth.any(axis=1)).sum()) + int(drift.sum())
    fixed = cleaned.kept.loc[cleaned.kept.index[np.isin(cleaned.kept.index, np.flatnonzero(drift))], "amount"]
    plain = ds50k.transactions.loc[fixed.index, "amount"].str.replace("[$,]", "", regex=True).astype("float64")
    np.testing.assert_allclose(fixed.to_numpy(), plain.to_numpy())
    clean_typed = ds50k.clean_rows()
    kept_clean = cleaned.kept.loc[~ds50k.truth.loc[cleaned.kept.index].any(axis=1)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept_clean, clean_typed)


@pytest.mark.skipif(not SAMPLE_CSV.exists(), reason="datasets/transactions_sample.csv not shipped yet")
def test_ground_truth_shipped_csv(ds50k):
    from pharma_kit.quality import clean_csv

    res = clean_csv(SAMPLE_CSV, as_of=AS_OF, stores=ds50k.stores, products=ds50k.products)
    assert len(res.kept) + len(res.quarantine) == len(ds50k.transactions)
    counts = res.summary()["rows"]
    expected = ds50k.defect_counts().drop(list(REPAIRED))
    assert counts.sort_index().to_dict() == expected[expected > 0].sort_index().to_dict()
    assert res.report.failing_counts()["amount_type_drift"] == ds50k.defect_counts()["amount_type_drift"]


@pytest.mark.slow
def test_ground_truth_1m():
    ds = generate(1_000_000, seed=7)
    res = clean(ds.transactions, as_of=ds.as_of, stores=ds.stores, products=ds.products)
    assert_ground_truth(ds, res)


def test_ground_truth_other_rates():
    rates = DefectRates(null_customer=0.02, near_duplicate=0.02, exact_duplicate=0.02, amount_type_drift=0.05,
                        future_date=0.01, unparseable_date=0.01)
    ds = generate(20_000, seed=3, rates=rates)
    res = clean(ds.transactions, as_of=ds.as_of, stores=ds.stores, products=ds.products)
    assert_ground_truth(ds, res)


def test_clean_data_has_no_false_positives():
    ds = generate(20_000, seed=5, rates=DefectRates.none())
    res = clean(ds.transactions, as_of=ds.as_of, stores=ds.stores, products=ds.products)
    assert len(res.quarantine) == 0 and len(res.kept) == 20_000
    assert res.report.ok and not res.report.warnings


# --------------------------------------------------------------------------- max loss
def test_max_loss_gate_lists_every_reason(ds50k):
    with pytest.raises(MaxLossExceeded) as exc:
        clean(ds50k.transactions, as_of=AS_OF, stores=ds50k.stores, products=ds50k.products, max_loss=0.01)
    msg = str(exc.value)
    for reason in ("null_customer=500", "near_duplicate=150", "exact_duplicate=250", "unknown_store=100"):
        assert reason in msg
    assert exc.value.summary["rows"].sum() == 1900
    ok = clean(ds50k.transactions, as_of=AS_OF, stores=ds50k.stores, products=ds50k.products, max_loss=0.05)
    assert ok.loss_rate == pytest.approx(0.038)


# --------------------------------------------------------------------------- split_rows
def test_split_rows_first_reason_wins_and_generic():
    df = pd.DataFrame({"x": [1.0, -1.0, np.nan, 5.0, -2.0]}, index=[10, 11, 12, 13, 14])
    res = split_rows(df, {"null_x": df["x"].isna(), "negative_x": (df["x"] < 0), "big": df["x"] > -10})
    assert list(res.kept.index) == []
    assert res.quarantine["reason"].tolist() == ["big", "negative_x", "null_x", "big", "negative_x"]
    res = split_rows(df, {"null_x": df["x"].isna(), "negative_x": df["x"].lt(0).to_numpy()})
    assert list(res.kept.index) == [10, 13] and list(res.quarantine.index) == [11, 12, 14]
    assert res.summary().loc["negative_x", "rows"] == 2
    assert res.summary().loc["null_x", "rate"] == pytest.approx(0.2)


def test_split_rows_refuses_ambiguous_masks():
    df = pd.DataFrame({"x": pd.array([1.0, None, -3.0], dtype="Float64")})
    with pytest.raises(ValueError, match="missing values"):
        split_rows(df, {"neg": df["x"] < 0})  # NA < 0 is NA: neither True nor False
    with pytest.raises(ValueError, match="not aligned"):
        split_rows(df, {"neg": pd.Series([True, False], index=[0, 1])})
    with pytest.raises(ValueError, match="repeated labels"):
        split_rows(pd.DataFrame({"x": [1, 2]}, index=[0, 0]), {})
    with pytest.raises(MaxLossExceeded, match="neg=2"):
        split_rows(df, {"neg": (df["x"] < 0).fillna(True)}, max_loss=0.5)  # 2 of 3


def test_split_rows_empty_frame():
    df = pd.DataFrame({"x": pd.Series([], dtype="float64")})
    res = split_rows(df, {"neg": df["x"] < 0})
    assert len(res.kept) == len(res.quarantine) == 0
    assert res.summary().empty and res.loss_rate == 0.0


# --------------------------------------------------------------------------- report and rules
def test_report_formats(cleaned):
    rep = cleaned.report
    df = rep.to_frame()
    assert df.loc["null_customer", "failing"] == 500
    assert df.loc["null_customer", "rate"] == pytest.approx(0.01)
    assert df.loc["amount_type_drift", "status"] == "warn"
    assert df.loc["null_transaction_id", "status"] == "pass"
    assert all(str(v).startswith("$") for v in df.loc["amount_type_drift", "sample_values"])
    d = json.loads(rep.to_json())
    assert d["as_of"] == "2025-06-30T00:00:00" and len(d["rules"]) == len(df)
    by = {r["rule"]: r for r in d["rules"]}
    assert by["future_date"]["failing"] == 150 and len(by["future_date"]["sample_index"]) == 5
    assert "<table>" in rep._repr_html_() and "null_customer" in str(rep)


def test_raise_for_errors_lists_every_failure(cleaned):
    with pytest.raises(DataQualityError) as exc:
        cleaned.report.raise_for_errors()
    msg = str(exc.value)
    assert "9 rule(s) failed" in msg
    for kind in set(DEFECT_KINDS) - REPAIRED:
        assert kind in msg
    assert "amount_type_drift" not in msg  # a warning is not an error


def test_referential_rules_skip_without_lookups(ds50k):
    rep = validate(ds50k.transactions, as_of=AS_OF)
    df = rep.to_frame()
    assert df.loc["unknown_store", "status"] == "skipped: no lookup given (stores)"
    assert pd.isna(df.loc["unknown_store", "failing"])
    res = clean(ds50k.transactions, as_of=AS_OF)
    assert "unknown_store" not in set(res.quarantine["reason"])
    # the skip is said out loud, in every form of the report
    assert "skipped: no lookup given (products)" in str(res.report)
    assert "skipped: no lookup given (stores)" in res.report._repr_html_()
    assert {r["rule"]: r["status"] for r in res.report.to_dict()["rules"]}["unknown_product"].startswith(
        "skipped: no lookup given")


def test_yaml_rules_equal_builtin():
    path = ROOT / "datasets" / "rules" / "transactions.yaml"
    assert load_rules(path) == RuleSet.from_dict(TRANSACTION_RULES)


def test_fluent_sugar_runs_the_same_engine(ds50k):
    rep = Validator(ds50k.transactions, as_of=AS_OF).check_nulls().check_dates().report()
    assert {r.rule.check for r in rep.results} == {"not_null", "no_future", "freshness"}
    assert rep.failing_counts()["future_date"] == 150


def test_as_of_is_required_and_used(ds50k):
    with pytest.raises(ValueError, match="as_of"):
        validate(ds50k.transactions, as_of=None)
    late = validate(ds50k.transactions, as_of=pd.Timestamp("2026-01-01"))
    assert late.failing_counts()["future_date"] == 0
    assert late.to_frame().loc["stale_feed", "status"] == "warn"


def test_every_check_kind_from_a_dict():
    df = pd.DataFrame({
        "id": ["1", "2", "2", "x", None, "6"],
        "grade": ["a", "b", "z", "a", "a", None],
        "code": ["AB-1", "AB-2", "bad", "AB-4", None, "AB-6"],
        "score": [0.5, 1.5, -0.1, np.nan, 0.2, 0.3],
        "when": ["2025-01-01", "2025-07-01", "2024-12-31", "not a date", "2025-01-02", None],
    })
    spec = {
        "table": "t",
        "columns": {
            "id": {"dtype": "int64", "checks": [
                {"name": "null_id", "check": "not_null"}, {"name": "bad_id", "check": "dtype"},
                {"name": "unknown_id", "check": "referential", "lookup": "ids", "key": "id"}]},
            "grade": {"dtype": "str", "checks": [{"name": "bad_grade", "check": "allowed", "values": ["a", "b"]}]},
            "code": {"dtype": "str", "checks": [
                {"name": "bad_code", "check": "regex", "pattern": r"AB-\d", "severity": "warn"}]},
            "score": {"dtype": "float64", "checks": [
                {"name": "null_score", "check": "not_null"},
                {"name": "score_range", "check": "range", "min": 0, "max": 1}]},
            "when": {"dtype": "datetime", "format": "%Y-%m-%d", "checks": [
                {"name": "bad_when", "check": "dtype"}, {"name": "future_when", "check": "no_future"},
                {"name": "old_when", "check": "range", "min": "2025-01-01", "severity": "warn"}]},
        },
        "table_checks": [
            {"name": "dup_id", "check": "unique", "columns": ["id"]},
            {"name": "odd_row", "check": "custom", "predicate": lambda t: t["score"].gt(1).to_numpy()},
        ],
    }
    rep = validate(df, spec, as_of="2025-06-30", lookups={"ids": pd.DataFrame({"id": [1, 2, 3]})})
    got = rep.failing_counts().to_dict()
    assert got == {"null_id": 1, "bad_id": 1, "unknown_id": 1, "bad_grade": 1, "bad_code": 1, "null_score": 1,
                   "score_range": 2, "bad_when": 1, "future_when": 1, "old_when": 1, "dup_id": 1, "odd_row": 1}
    assert rep.to_frame().loc["bad_code", "sample_values"] == ["bad"]
    res = clean(df, as_of="2025-06-30", rules=spec)
    assert len(res.kept) + len(res.quarantine) == len(df)
    assert res.quarantine["reason"].to_dict() == {1: "score_range", 2: "bad_grade", 3: "bad_id", 4: "null_id"}


def test_ruleset_rejects_bad_specs():
    with pytest.raises(ValueError, match="unknown check"):
        RuleSet.from_dict({"columns": {"a": {"checks": [{"name": "x", "check": "nope"}]}}})
    with pytest.raises(ValueError, match="severity"):
        RuleSet.from_dict({"columns": {"a": {"checks": [{"name": "x", "check": "not_null", "severity": "fatal"}]}}})
    with pytest.raises(ValueError, match="unique"):
        RuleSet.from_dict({"columns": {"a": {"checks": [{"name": "x", "check": "not_null"},
                                                        {"name": "x", "check": "dtype"}]}}})
    with pytest.raises(DataQualityError, match="missing"):
        clean(pd.DataFrame({"order_id": [1]}), as_of=AS_OF)


# --------------------------------------------------------------------------- the source notes' traps
def test_trap_int_id_with_nulls_becomes_float():
    raw = pd.DataFrame({"customer_id": [101, None, 103]})
    assert raw["customer_id"].dtype == "float64"  # the naive "expected int64" check fails for the wrong reason
    values, bad = parse_int(raw["customer_id"])
    assert str(values.dtype) == "Int64" and values.isna().tolist() == [False, True, False] and not bad.any()
    _, bad = parse_int(pd.Series([1.0, 2.5, np.inf]))
    assert bad.tolist() == [False, True, True]


def test_trap_nan_passes_negative_check():
    amount = pd.Series([10.0, np.nan, -1.0])
    assert int((amount < 0).sum()) == 1  # the NaN row passes silently
    rep = validate(pd.DataFrame({"amount": amount}), {"columns": {"amount": {"dtype": "float64", "checks": [
        {"name": "null_amount", "check": "not_null"}, {"name": "negative_amount", "check": "range", "min": 0}]}}},
        as_of=AS_OF)
    assert rep.failing_counts().to_dict() == {"null_amount": 1, "negative_amount": 1}


def test_money_parsing_repairs_drift_and_flags_garbage():
    s = pd.Series(["12.50", "$1,234.50", "-$6.99", "$12", "1,2,3", "abc", None, " 3.5 ", "inf", "$1,23.00"],
                  dtype="str")
    v, bad = parse_float(s, money=True)
    assert v.tolist()[:4] == [12.5, 1234.5, -6.99, 12.0]
    assert bad.tolist() == [False, False, False, False, True, True, False, False, True, True]
    assert v.iloc[7] == 3.5


def test_near_duplicate_semantics():
    t0 = pd.Timestamp("2025-01-01 10:00:00")
    df = pd.DataFrame({
        "k": [1, 1, 1, 2, 2, 3],
        "t": [t0, t0, t0 + pd.Timedelta("30s"), t0, t0 + pd.Timedelta("2h"), t0],
    })
    got = near_duplicate(df, keys=["k"], time="t", within="5min")
    # same-time lines of one order are not re-sends; a copy 2 h later is not "a few seconds"
    assert got.tolist() == [False, False, True, False, False, False]


def test_report_is_a_report(cleaned):
    assert isinstance(cleaned.report, Report)


def test_helpers_out_of_range_is_future_parse_money():
    from pharma_kit.quality import is_future, out_of_range, parse_money

    v = pd.Series([1.0, np.nan, -1.0, 11.0])
    assert out_of_range(v, 0, 10).tolist() == [False, True, True, True]
    assert out_of_range(v, 0, 10, nullable=True).tolist() == [False, False, True, True]
    d = pd.Series(pd.to_datetime(["2025-06-29 23:59:59", "2025-06-30 00:00:00", "2025-06-30 00:00:01", None]))
    assert is_future(d, "2025-06-30").tolist() == [False, True, True, False]  # on or after as_of
    m = parse_money(pd.Series(["$1,234.50", "x"], dtype="str", name="amount"))
    assert m.name == "amount" and m.iloc[0] == 1234.5 and np.isnan(m.iloc[1])


def test_pandera_finds_the_same_failures(ds50k):
    from pharma_kit.quality import pandera_failing_counts, pandera_schema

    lookups = {"stores": ds50k.stores, "products": ds50k.products}
    typed = validate(ds50k.transactions, as_of=AS_OF, lookups=lookups).typed  # pandera validates typed data
    schema, names = pandera_schema(as_of=AS_OF, lookups=lookups)
    theirs = pandera_failing_counts(typed, schema, names)
    ours = validate(typed, as_of=AS_OF, lookups=lookups).failing_counts()
    assert theirs.to_dict() == ours[theirs.index].to_dict()
    assert theirs["near_duplicate"] == 150 and theirs["exact_duplicate"] == 250


# --------------------------------------------------------------------------- issue 15: one truth, new rules
def test_dictionary_yaml_and_code_agree():
    """The data dictionary quotes the rules as rendered from the code; the YAML equals the code; behaviour matches."""
    from pharma_kit.quality import describe_rules

    readme = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    yaml_rules = load_rules(ROOT / "datasets" / "rules" / "transactions.yaml")
    assert yaml_rules == RuleSet.from_dict(TRANSACTION_RULES)
    assert describe_rules(yaml_rules) in readme, "datasets/README.md is out of date: paste describe_rules()"
    assert "| `amount` | float64 > 0," in readme and "`order_date` on or after `AS_OF`" in readme
    # ... and the code does what the dictionary says, at the boundaries
    row = {"transaction_id": "1", "order_id": "2", "customer_id": "3", "store_id": "4", "product_id": "5",
           "order_date": "2025-01-01 10:00:00", "quantity": "1", "amount": "9.99"}
    cases = {"0.00": ("amount", "negative_amount"), "0.01": ("amount", None),
             "2025-06-30 00:00:00": ("order_date", "future_date"), "2025-06-29 23:59:59": ("order_date", None),
             "1900-01-01 00:00:00": ("order_date", "date_too_old"), "2000-01-01 00:00:00": ("order_date", None),
             "0": ("store_id", "store_id_out_of_range")}
    raw = pd.DataFrame([{**row, col: value, "transaction_id": str(i + 1), "order_id": str(i + 10)}
                        for i, (value, (col, _)) in enumerate(cases.items())], dtype="str")
    res = clean(raw, as_of=AS_OF)
    got = [None if pd.isna(g) else g for g in res.quarantine["reason"].reindex(raw.index)]
    assert got == [reason for _, reason in cases.values()]


def test_parse_datetime_falls_back_row_by_row():
    from pharma_kit.quality import parse_datetime

    s = pd.Series(["2024-06-01T10:15:00", "2024-06-01 10:15:00+02:00", "2024-06-01 10:15:00", "2024-06-01",
                   "2024-02-30 10:00:00", "2024-06-01T10:15:00.5", "31/12/2024", None], dtype="str")
    v, bad = parse_datetime(s)
    assert v.tolist()[:3] == [pd.Timestamp("2024-06-01 10:15:00"), pd.NaT, pd.Timestamp("2024-06-01 10:15:00")]
    assert v.iloc[5] == pd.Timestamp("2024-06-01 10:15:00.5")
    assert bad.tolist() == [False, True, False, True, True, False, True, False]  # offset, date-only: rejected
    local, _ = parse_datetime(s, offset="local")
    utc, _ = parse_datetime(s, offset="utc")
    assert local.iloc[1] == pd.Timestamp("2024-06-01 10:15:00") and utc.iloc[1] == pd.Timestamp("2024-06-01 08:15:00")
    midnight, bad = parse_datetime(s, date_only="midnight")
    assert midnight.iloc[3] == pd.Timestamp("2024-06-01") and not bad.iloc[3]
    # 96 valid ISO rows are not spoiled by one value with an offset
    many = pd.Series([f"2024-06-01T10:{m:02d}:00" for m in range(48)] * 2 + ["2024-06-01 10:15:00+02:00"], dtype="str")
    assert int(parse_datetime(many)[1].sum()) == 1


def test_integers_are_ascii_digits():
    v, bad = parse_int(pd.Series(["１０２１４８", "10000९", "٣", "12", " 7 ", "-3", "+4", "2.0", "NaN", None], dtype="str"))
    assert bad.tolist() == [True, True, True, False, False, False, False, True, True, False]
    assert v.iloc[3:7].tolist() == [12, 7, -3, 4]


def test_money_spellings_repaired_or_refused():
    v, bad = parse_float(pd.Series(["12.50 USD", "$1,234.50", " 12.5 ", "1.2e3", "NaN", "１２.５", "-$6.99", "12"],
                                   dtype="str"), money=True)
    assert bad.tolist() == [True, False, False, True, True, True, False, False]
    assert v[~bad].tolist() == [1234.5, 12.5, -6.99, 12.0]


T0 = pd.Timestamp("2025-01-01 10:00:00")


@pytest.mark.parametrize("offsets,expected", [
    (["0s", "0s", "19s", "19s"], [False, False, True, True]),                 # ties get one verdict (issue 14)
    (["19s", "0s", "19s", "0s"], [True, False, True, False]),                 # ... whatever the row order
    (["0s", "4min", "8min", "12min"], [False, True, True, True]),             # a chain: each link within 5 min
    (["0s", "4min", "10min", "14min"], [False, True, False, True]),           # a broken chain starts again
    (["0s", "5min", "5min", "10min1s"], [False, True, True, False]),          # the boundary is inclusive
    (["0s", "0s", "0s", "0s"], [False, False, False, False]),                 # same time: lines of one order
])
def test_near_duplicate_chains_and_ties(offsets, expected):
    df = pd.DataFrame({"k": [1, 1, 1, 1], "t": [T0 + pd.Timedelta(o) for o in offsets]},
                      index=[40, 10, 30, 20]).astype({"t": "datetime64[us]"})
    assert near_duplicate(df, keys=["k"], time="t", within="5min").tolist() == expected
    shuffled = df.iloc[[2, 0, 3, 1]]
    assert near_duplicate(shuffled, keys=["k"], time="t", within="5min").tolist() == [expected[i] for i in [2, 0, 3, 1]]


def test_business_key_catches_resends_the_near_duplicate_rule_cannot():
    base = {"order_id": "7", "customer_id": "3", "store_id": "4", "product_id": "5", "quantity": "1", "amount": "9.99"}
    rows = [
        {**base, "transaction_id": "1", "order_date": "2025-01-01 10:00:00"},
        {**base, "transaction_id": "2", "order_date": "2025-01-01 10:00:00"},   # re-sent the same second
        {**base, "transaction_id": "3", "order_date": "2025-01-01 10:00:30"},   # re-sent 30 s later
        {**base, "transaction_id": "4", "order_date": "2025-01-01 10:10:00"},   # re-sent 10 min later
        {**base, "transaction_id": "5", "order_date": "2025-01-01 10:00:00", "product_id": "6"},  # another line
        {**base, "transaction_id": "1", "order_date": "2025-01-01 10:00:00"},   # an exact copy of the first
    ]
    raw = pd.DataFrame(rows, dtype="str")
    res = clean(raw, as_of=AS_OF)
    assert res.quarantine["reason"].to_dict() == {1: "duplicate_business_key", 2: "near_duplicate",
                                                  3: "duplicate_business_key", 5: "exact_duplicate"}
    # the copy that comes first in the FILE but later in TIME is the re-send, not the original
    late_first = raw.iloc[[3, 0]].reset_index(drop=True)
    assert clean(late_first, as_of=AS_OF).quarantine["reason"].to_dict() == {0: "duplicate_business_key"}


def test_html_report_does_not_typeset_dollars(cleaned):
    html = cleaned.report._repr_html_()
    assert "$" not in html and "&#36;" in html and "<code>" in html


def test_lesson01_near_duplicate_check_has_the_tie_boundary():
    """The answer that compares each row with the previous ROW (the old reference's bug) is now rejected."""
    from pharma_kit.exercises import lesson01

    def previous_row(typed, keys, time, within):
        order = typed.reset_index(drop=True).sort_values(keys + [time], kind="stable")
        same = (order[keys] == order[keys].shift()).all(axis=1)
        gap = order[time].diff()
        hit = same & (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(within))
        return pd.Series(hit.sort_index().to_numpy(), index=typed.index)

    wrong = lesson01.q6.check(previous_row)
    assert wrong.status == "incorrect" and "case 2" in wrong.message  # the fixed tie/chain case
    assert lesson01.q6.check(near_duplicate).passed

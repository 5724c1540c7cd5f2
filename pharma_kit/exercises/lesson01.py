"""Lesson 01 exercises: data-quality checks and lossless cleaning. Each ``wrong_answers`` entry is a trap from the notes."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pandas as pd

from pharma_kit import quality
from pharma_kit.exercises.core import Question


# --------------------------------------------------------------------------- q1: NaN passes "< 0"
def _range_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    def amounts(n: int, null_share: float) -> pd.Series:
        v = np.round(rng.normal(20, 15, n), 2)
        v[rng.random(n) < null_share] = np.nan
        return pd.Series(v, index=pd.RangeIndex(100, 100 + n), name="amount")

    return [
        {"values": pd.Series([5.0, np.nan, -1.0, 0.0, 1e6], name="amount"), "lo": 0.0, "hi": 1000.0},
        {"values": pd.Series([], dtype="float64", name="amount"), "lo": 0.0, "hi": 10.0},
        {"values": pd.Series([np.nan, np.nan], name="amount"), "lo": 0.0, "hi": None},
        {"values": amounts(200, 0.1), "lo": 0.0, "hi": 50.0},
        {"values": amounts(50, 0.0), "lo": None, "hi": 30.0},
    ]


def _wrong_nan_passes(values, lo, hi):
    fail = pd.Series(False, index=values.index)
    if lo is not None:
        fail |= values < lo  # NaN < lo is False: the null slips through
    if hi is not None:
        fail |= values > hi
    return fail


q1 = Question(
    name="l01_out_of_range",
    prompt=("Return a boolean Series (same index as `values`) that is True where a value is below `lo` or above "
            "`hi` (either bound may be None = no bound) OR is missing. A missing amount must never pass a check."),
    reference=quality.out_of_range,
    cases=_range_cases,
    hints=["What does `np.nan < 0` return? And `np.nan >= 0`?",
           "Build the comparison mask, then OR it with `values.isna()`."],
    wrong_answers={"NaN silently passes < lo": _wrong_nan_passes},
    explanation="Every comparison with NaN is False, so `amount < 0` reports a null amount as fine.",
)


# --------------------------------------------------------------------------- q2: now() inside a check
def _future_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    def dates(n: int, as_of: pd.Timestamp) -> pd.Series:
        offs = rng.integers(-400, 200, n)
        d = as_of + pd.to_timedelta(offs, unit="D") + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
        s = pd.Series(d, name="order_date").astype("datetime64[us]")
        s[rng.random(n) < 0.05] = pd.NaT
        return s

    as_of = pd.Timestamp("2021-03-31")
    return [
        {"dates": pd.Series(pd.to_datetime(["2021-03-31 00:00:00", "2021-03-31 00:00:01", None, "2021-04-02 00:00:00"]))
            .astype("datetime64[us]"), "as_of": as_of},
        {"dates": pd.Series([], dtype="datetime64[us]"), "as_of": as_of},
        {"dates": dates(300, as_of), "as_of": as_of},
        {"dates": dates(100, pd.Timestamp("2019-12-31")), "as_of": pd.Timestamp("2019-12-31")},
    ]


def _wrong_now(dates, as_of):
    return (dates > pd.Timestamp.now()).fillna(False)  # the wall clock: a different answer every day  # clock-ok: the trap this exercise is about


q2 = Question(
    name="l01_future_dates",
    prompt=("Return a boolean Series marking the orders dated on or after `as_of` (the run's date: a feed covers "
            "the days before it, so `as_of` 00:00:00 is already future). Missing dates (NaT) are not future "
            "(another rule counts them). Never read the clock."),
    reference=quality.is_future,
    cases=_future_cases,
    hints=["The check must give the same answer when you re-run last month's feed today.",
           "`(dates >= pd.Timestamp(as_of))`; NaT compares False, which is what we want here."],
    wrong_answers={"compares with now()": _wrong_now},
    explanation="A check that reads the clock is untestable and changes its verdict on old data.",
)


# --------------------------------------------------------------------------- q3: int64 ids with nulls
def _id_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    big = rng.integers(100_000, 200_000, 300).astype("float64")
    big[rng.random(300) < 0.05] = np.nan
    big[rng.random(300) < 0.02] += 0.5
    return [
        {"s": pd.Series([101.0, np.nan, 103.0], name="customer_id")},
        {"s": pd.Series([1.0, 2.5, np.inf, -np.inf, np.nan, 0.0], name="customer_id")},
        {"s": pd.Series([], dtype="float64", name="customer_id")},
        {"s": pd.Series(big, name="customer_id", index=pd.RangeIndex(5, 305))},
    ]


def _run_ids(fn: Callable, case: dict[str, Any]):
    values, bad = fn(**case)
    return pd.Series(values, dtype="Int64").rename("values"), pd.Series(bad, dtype=bool).rename("bad")


def _wrong_fillna_zero(s):
    v = s.replace([np.inf, -np.inf], np.nan)
    return v.fillna(0).astype("int64"), pd.Series(False, index=s.index)  # a null becomes customer 0


def _wrong_truncate(s):
    ok = np.isfinite(s.to_numpy())
    values = pd.Series(np.trunc(s.where(ok)), index=s.index).astype("Int64")  # 2.5 quietly becomes customer 2
    return values, pd.Series(~ok & s.notna().to_numpy(), index=s.index)


q3 = Question(
    name="l01_float_ids_to_int",
    prompt=("`s` is an id column that arrived as float64 because it holds nulls (the 'expected int64' trap). "
            "Return `(values, bad)`: `values` a nullable 'Int64' Series (missing stays <NA>), `bad` a boolean "
            "Series True where a non-missing value is not a whole finite number (2.5, inf); those become <NA> too."),
    reference=quality.parse_int,
    cases=_id_cases,
    runner=_run_ids,
    hints=["`astype('int64')` cannot hold NaN; pandas' nullable 'Int64' can.",
           "ok = finite & (floor(v) == v); values = s.where(ok).astype('Int64'); bad = ~ok & s.notna()."],
    wrong_answers={"fillna(0) invents customer 0": _wrong_fillna_zero, "truncates 2.5 to 2": _wrong_truncate},
    explanation="A null id is unknown, not zero; a fractional id is corrupt, not roundable.",
)


# --------------------------------------------------------------------------- q4: type drift "$1,234.50"
def _money_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    n = 200
    cents = rng.integers(-5000, 500_000, n)
    plain = pd.Series([f"{c / 100:.2f}" for c in cents], dtype="str")
    dollar = pd.Series([("-" if c < 0 else "") + f"${abs(c) / 100:,.2f}" for c in cents], dtype="str")
    pick = rng.random(n) < 0.3
    mixed = plain.where(~pick, dollar)
    mixed[rng.random(n) < 0.05] = None
    return [
        {"s": pd.Series(["12.50", "$1,234.50", "-$6.99", "abc", None, "1,2,3", "$12"], dtype="str", name="amount")},
        {"s": pd.Series([], dtype="str", name="amount")},
        {"s": mixed.rename("amount")},
    ]


def _wrong_coerce(s):
    return pd.to_numeric(s, errors="coerce").astype("float64")  # every "$1,234.50" becomes NaN


def _wrong_strip_all(s):
    return pd.to_numeric(s.str.replace(r"[$,]", "", regex=True), errors="coerce").astype("float64")  # "1,2,3" -> 123


q4 = Question(
    name="l01_parse_money",
    prompt=("Parse the text column `s` of amounts to float64. Plain numbers parse as usual; a dollar form "
            "with thousands separators ('$1,234.50', '-$6.99', '$12') is repaired; anything else (including "
            "'1,2,3', which is not a valid thousands grouping) becomes NaN. Keep the index and the name."),
    reference=quality.parse_money,
    cases=_money_cases,
    hints=["`pd.to_numeric(errors='coerce')` handles the plain rows; work only on the rows it could not parse.",
           r"Match `^(-?)\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$` with `str.extract`, drop the commas, parse again."],
    wrong_answers={"coerce turns drift into NaN": _wrong_coerce, "strips every comma": _wrong_strip_all},
    explanation="Coercing hides a format change as missing data; blind stripping turns garbage into numbers.",
)


# --------------------------------------------------------------------------- q5: lossless split
def _split_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    def frame(n: int) -> pd.DataFrame:
        df = pd.DataFrame({"customer_id": rng.integers(1, 50, n).astype("float64"),
                           "amount": np.round(rng.normal(20, 20, n), 2)},
                          index=pd.Index(rng.permutation(np.arange(1000, 1000 + n)), name="row"))
        df.loc[rng.random(n) < 0.1, "customer_id"] = np.nan
        return df

    def reasons(df: pd.DataFrame) -> dict[str, pd.Series]:
        return OrderedDict([("null_customer", df["customer_id"].isna()),
                            ("negative_amount", df["amount"] < 0),
                            ("big_amount", df["amount"] > 40)])

    tiny = pd.DataFrame({"customer_id": [1.0, np.nan, np.nan], "amount": [-1.0, -2.0, 5.0]})
    empty = tiny.iloc[:0]
    big = frame(300)
    return [
        {"df": tiny, "reasons": reasons(tiny)},
        {"df": empty, "reasons": reasons(empty)},
        {"df": tiny, "reasons": {}},
        {"df": big, "reasons": reasons(big)},
    ]


def _run_split(fn: Callable, case: dict[str, Any]):
    out = fn(**case)
    if isinstance(out, quality.CleanResult):
        out = (out.kept, out.quarantine)
    kept, quarantine = out
    q = quarantine.copy()
    q["reason"] = q["reason"].astype("str")
    return kept, q


def _wrong_last_wins(df, reasons):
    reason = pd.Series(None, index=df.index, dtype="str")
    for name, m in reasons.items():
        reason[m] = name  # a later reason overwrites an earlier one
    q = df[reason.notna()].assign(reason=reason[reason.notna()])
    return df[reason.isna()], q


def _wrong_concat(df, reasons):
    bad = pd.Series(False, index=df.index)
    parts = []
    for name, m in reasons.items():
        parts.append(df[m].assign(reason=name))  # a row with two problems is quarantined twice
        bad |= m
    q = pd.concat(parts) if parts else df.iloc[:0].assign(reason=pd.Series(dtype="str"))
    return df[~bad], q.sort_index(kind="stable")


q5 = Question(
    name="l01_split_rows",
    prompt=("Split `df` without losing a row: return `(kept, quarantine)`. `reasons` is an ordered dict "
            "{reason_code: boolean mask}. A row goes to quarantine under the FIRST reason whose mask is True "
            "(add a str column 'reason'); every other row is kept. Keep the original index and row order; "
            "len(kept) + len(quarantine) == len(df)."),
    reference=quality.split_rows,
    cases=_split_cases,
    runner=_run_split,
    hints=["Walk the reasons in order and only label rows that have no label yet.",
           "reason = Series(NA); for name, m in reasons.items(): reason[m & reason.isna()] = name; then split on reason.isna()."],
    wrong_answers={"last reason wins": _wrong_last_wins, "row quarantined twice": _wrong_concat},
    explanation="Rows in = kept + quarantined, with one reason each, is what makes a loss rate auditable.",
)


# --------------------------------------------------------------------------- q6: near duplicates
KEYS = ["order_id", "product_id", "quantity", "amount"]


def _dup_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    t0 = pd.Timestamp("2025-01-01 10:00:00")

    def feed(n: int) -> pd.DataFrame:
        orders = rng.integers(1, max(2, n // 3), n)
        base_t = t0 + pd.to_timedelta(orders * 3600, unit="s")
        df = pd.DataFrame({"order_id": orders, "product_id": rng.integers(1, 4, n), "quantity": 1,
                           "amount": 9.99, "order_date": base_t})
        resend = rng.random(n) < 0.15
        df.loc[resend, "order_date"] = df.loc[resend, "order_date"] + pd.to_timedelta(
            rng.integers(1, 60, int(resend.sum())), unit="s")
        late = rng.random(n) < 0.05
        df.loc[late, "order_date"] = df.loc[late, "order_date"] + pd.Timedelta("3h")
        return df.astype({"order_date": "datetime64[us]"})

    fixed = pd.DataFrame({
        "order_id": [1, 1, 1, 2, 2, 3], "product_id": [7, 7, 7, 8, 8, 9], "quantity": 1, "amount": 5.0,
        "order_date": pd.to_datetime([t0, t0, t0 + pd.Timedelta("30s"), t0, t0 + pd.Timedelta("2h"), t0]),
    }).astype({"order_date": "datetime64[us]"})
    # ties and chains (issue 14): two copies at 10:00 and two at 10:00:19 -> both 10:00:19 rows; a chain every 4 min
    ties = pd.DataFrame({
        "order_id": [4] * 4 + [5] * 4, "product_id": 1, "quantity": 1, "amount": 2.5,
        "order_date": pd.to_datetime([t0 + pd.Timedelta(s) for s in
                                      ["19s", "0s", "19s", "0s", "0s", "4min", "8min", "12min"]]),
    }).astype({"order_date": "datetime64[us]"})
    return [{"typed": fixed, "keys": KEYS, "time": "order_date", "within": "5min"},
            {"typed": ties, "keys": KEYS, "time": "order_date", "within": "5min"},
            {"typed": fixed.iloc[::-1], "keys": KEYS, "time": "order_date", "within": "5min"},
            {"typed": feed(400), "keys": KEYS, "time": "order_date", "within": "5min"}]


def _wrong_key_only(typed, keys, time, within):
    return typed.duplicated(subset=keys, keep="first")  # two identical lines of ONE order are not a re-send


def _wrong_all_columns(typed, keys, time, within):
    return typed.duplicated(keep="first")  # a re-send has a new timestamp, so it is never an exact copy


q6 = Question(
    name="l01_near_duplicates",
    prompt=("Flag re-sent lines: a row is a near duplicate when an EARLIER row (by `time`) has the same `keys` and "
            "its `time` is strictly later than that row's by at most `within`. Rows with the same keys and the same "
            "time are two lines of one order (not duplicates of each other) and get the same verdict; in a chain of "
            "copies each is measured from the copy before it; a copy hours later is a new purchase. Return a "
            "boolean Series aligned to `typed`."),
    reference=quality.near_duplicate,
    cases=_dup_cases,
    hints=["Sort by keys + time, then compare each row with the previous one.",
           "Compare with the previous DISTINCT time of the same keys, not the previous row (ties!): drop duplicate "
           "(keys, time) pairs, take groupby(keys)[time].diff(), flag 0 < gap <= within, merge the flags back."],
    wrong_answers={"duplicated() on the keys only": _wrong_key_only, "exact duplicates only": _wrong_all_columns},
    explanation="Exact-duplicate checks miss re-sends, and key-only checks flag legitimate multi-line orders.",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]

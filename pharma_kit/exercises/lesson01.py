"""Lesson 01 exercises: data-quality checks and lossless cleaning. Each ``wrong_answers`` entry is a trap from the notes."""
from __future__ import annotations

import math
import re
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
        # the bounds themselves pass, NaN fails, a non-default index must be kept
        {"values": pd.Series([0.0, 1000.0, np.nan, -0.01, 1000.01, 500.0], name="amount",
                             index=pd.Index([17, 3, 99, 42, 8, 5], name="line")), "lo": 0.0, "hi": 1000.0},
        {"values": pd.Series([np.nan, -5.0, 3.0], name="amount", index=pd.RangeIndex(10, 13)), "lo": None, "hi": None},
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


def _wrong_exclusive(values, lo, hi):
    fail = values.isna()
    if lo is not None:
        fail |= values <= lo  # the bound itself is allowed
    if hi is not None:
        fail |= values >= hi
    return fail


def _wrong_fresh_index(values, lo, hi):
    fail = values.isna() | (values < (-np.inf if lo is None else lo)) | (values > (np.inf if hi is None else hi))
    return fail.reset_index(drop=True)  # the prompt asks for the index of `values`


def _right_not_inside(values, lo, hi):
    v = values.to_numpy(dtype="float64")
    lo_ = -np.inf if lo is None else lo
    hi_ = np.inf if hi is None else hi
    inside = (v >= lo_) & (v <= hi_)  # NaN compares False, so "not inside" catches it by itself
    return pd.Series(~inside, index=values.index)


def _right_methods(values, lo, hi):
    fail = values.isna()
    if lo is not None:
        fail = fail | values.lt(lo)
    if hi is not None:
        fail = fail | values.gt(hi)
    return fail  # keeps the name 'amount': the prompt sets no name


def _right_loop(values, lo, hi):
    out = []
    for x in values:
        out.append(bool(pd.isna(x) or (lo is not None and x < lo) or (hi is not None and x > hi)))
    return pd.Series(out, index=values.index, dtype=bool)


q1 = Question(
    name="l01_out_of_range",
    prompt=("Return a boolean Series (same index as `values`) that is True where a value is below `lo` or above "
            "`hi` (either bound may be None = no bound) OR is missing. A missing amount must never pass a check."),
    reference=quality.out_of_range,
    cases=_range_cases,
    hints=["What does `np.nan < 0` return? And `np.nan >= 0`?",
           "Whatever comparison you build, ask what it says for a missing value, and make a missing value fail "
           "on purpose."],
    wrong_answers={"NaN silently passes < lo": _wrong_nan_passes, "the bounds themselves fail": _wrong_exclusive,
                   "a fresh index instead of values' index": _wrong_fresh_index},
    right_answers={"numpy: not inside [lo, hi]": _right_not_inside, "lt/gt/isna methods": _right_methods,
                   "a plain loop": _right_loop},
    check_series_name=False,    # the prompt sets no name
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
    year_end = pd.Series(pd.to_datetime(["2019-12-31 23:59:59.999999", "2020-01-01 00:00:00.000000", None,
                                         "2019-12-31 00:00:00.000000", "2020-01-01 00:00:00.000001"]),
                         index=pd.Index([50, 40, 30, 20, 10], name="line"), name="order_date").astype("datetime64[us]")
    return [
        {"dates": year_end, "as_of": pd.Timestamp("2020-01-01")},  # midnight at a year end, NaT, a non-default index
        {"dates": pd.Series(pd.to_datetime(["2021-03-31 00:00:00", "2021-03-31 00:00:01", None, "2021-04-02 00:00:00"]))
            .astype("datetime64[us]"), "as_of": as_of},
        {"dates": pd.Series([], dtype="datetime64[us]"), "as_of": as_of},
        {"dates": dates(300, as_of), "as_of": as_of},
        {"dates": dates(100, pd.Timestamp("2019-12-31")), "as_of": pd.Timestamp("2019-12-31")},
    ]


def _wrong_now(dates, as_of):
    return (dates > pd.Timestamp.now()).fillna(False)  # the wall clock: a different answer every day  # clock-ok: the trap this exercise is about


def _wrong_strictly_after(dates, as_of):
    return dates > as_of  # as_of 00:00:00 is already future


def _wrong_nat_future(dates, as_of):
    return ~(dates < as_of)  # NaT < as_of is False, so NaT becomes "future"


def _right_numpy(dates, as_of):
    d = dates.to_numpy()
    return pd.Series(d >= np.datetime64(pd.Timestamp(as_of)), index=dates.index)  # NaT compares False


def _right_loop(dates, as_of):
    as_of = pd.Timestamp(as_of)
    return pd.Series([not pd.isna(d) and d >= as_of for d in dates], index=dates.index, dtype=bool)


def _right_ge(dates, as_of):
    return dates.ge(as_of).fillna(False).astype(bool)


q2 = Question(
    name="l01_future_dates",
    prompt=("Return a boolean Series (same index as `dates`) marking the orders dated on or after `as_of` (the "
            "run's date: a feed covers the days before it, so `as_of` 00:00:00 is already future). Missing dates "
            "(NaT) are not future (another rule counts them). Never read the clock."),
    reference=quality.is_future,
    cases=_future_cases,
    hints=["The check must give the same answer when you re-run last month's feed today.",
           "Compare with `as_of` itself, and decide the boundary: is an order stamped `as_of` 00:00:00 before it "
           "or not? Then check what your comparison says for NaT."],
    wrong_answers={"compares with now()": _wrong_now, "strictly after as_of": _wrong_strictly_after,
                   "NaT counted as future": _wrong_nat_future},
    right_answers={"numpy datetime64": _right_numpy, "a plain loop": _right_loop, "Series.ge": _right_ge},
    check_series_name=False,    # the prompt sets no name
    explanation="A check that reads the clock is untestable and changes its verdict on old data.",
)


# --------------------------------------------------------------------------- q3: int64 ids with nulls
def _id_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    big = rng.integers(100_000, 200_000, 300).astype("float64")
    big[rng.random(300) < 0.05] = np.nan
    big[rng.random(300) < 0.02] += 0.5
    return [
        {"s": pd.Series([101.0, np.nan, 103.0], name="customer_id")},
        # every boundary at once, on a non-default index: whole, fractional, +-inf, NaN, zero, negative whole, -0.0
        {"s": pd.Series([7.0, 2.5, np.inf, np.nan, 0.0, -3.0, -0.0, -np.inf, 100_001.0, 0.1],
                        index=pd.Index([90, 80, 70, 60, 50, 40, 30, 20, 10, 0], name="line"), name="customer_id")},
        {"s": pd.Series([1.0, 2.5, np.inf, -np.inf, np.nan, 0.0], name="customer_id")},
        {"s": pd.Series([], dtype="float64", name="customer_id")},
        {"s": pd.Series(big, name="customer_id", index=pd.RangeIndex(5, 305))},
    ]


def _wrong_fillna_zero(s):
    v = s.replace([np.inf, -np.inf], np.nan)
    return v.fillna(0).astype("int64"), pd.Series(False, index=s.index)  # a null becomes customer 0


def _wrong_truncate(s):
    ok = np.isfinite(s.to_numpy())
    values = pd.Series(np.trunc(s.where(ok)), index=s.index).astype("Int64")  # 2.5 quietly becomes customer 2
    return values, pd.Series(~ok & s.notna().to_numpy(), index=s.index)


def _wrong_float_values(s):
    v = s.to_numpy()
    ok = np.isfinite(v) & (np.floor(v) == v)
    return s.where(ok), pd.Series(~ok & ~np.isnan(v), index=s.index)  # right numbers, still float64: not Int64


def _right_where_astype(s):
    finite = np.isfinite(s)                      # NaN, inf and -inf are not finite
    ok = finite & (s.where(finite, 0) % 1 == 0)
    return s.where(ok).astype("Int64"), ~ok & s.notna()


def _right_loop(s):
    values, bad = [], []
    for x in s:
        whole = not math.isnan(x) and math.isfinite(x) and x == int(x)
        values.append(int(x) if whole else pd.NA)
        bad.append(not math.isnan(x) and not whole)
    return pd.Series(values, index=s.index, dtype="Int64"), pd.Series(bad, index=s.index, dtype=bool)


def _right_round_compare(s):
    v = s.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(v) & (np.round(v) == v)
    values = pd.array(np.where(ok, v, 0).astype("int64"), dtype="Int64")
    values[~ok] = pd.NA
    return pd.Series(values, index=s.index, name=s.name), pd.Series(np.isfinite(v) | np.isinf(v), index=s.index) & ~ok


q3 = Question(
    name="l01_float_ids_to_int",
    prompt=("`s` is an id column that arrived as float64 because it holds nulls (the 'expected int64' trap). "
            "Return `(values, bad)`, both with the index of `s`: `values` a Series of dtype 'Int64' (pandas' "
            "nullable integer; missing stays <NA>), `bad` a bool Series True where a non-missing value is not a "
            "whole finite number (2.5, inf); those become <NA> too."),
    reference=quality.parse_int,
    cases=_id_cases,
    hints=["`astype('int64')` cannot hold NaN; pandas' nullable 'Int64' can.",
           "A value is a usable id when it is finite and has no fractional part; set every other value missing "
           "before you convert, and remember which of them were not missing to begin with."],
    wrong_answers={"fillna(0) invents customer 0": _wrong_fillna_zero, "truncates 2.5 to 2": _wrong_truncate,
                   "values left as float64": _wrong_float_values},
    right_answers={"where + astype('Int64')": _right_where_astype, "a plain loop": _right_loop,
                   "numpy round + pd.array": _right_round_compare},
    check_dtype=True,           # the prompt asks for 'Int64' values and a bool mask
    check_series_name=False,    # the prompt sets no names
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
        # a dollar form with a bad grouping stays NaN; a non-default index must be kept
        {"s": pd.Series(["$1,2,3", "$1,234,567.89", "$12,34", "7", "$1234.50", "-$0.99", "$,123", None],
                        dtype="str", name="amount", index=pd.Index([31, 7, 19, 2, 44, 5, 13, 23], name="line"))},
        {"s": pd.Series([], dtype="str", name="amount")},
        {"s": mixed.rename("amount")},
    ]


def _wrong_coerce(s):
    return pd.to_numeric(s, errors="coerce").astype("float64")  # every "$1,234.50" becomes NaN


def _wrong_strip_all(s):
    return pd.to_numeric(s.str.replace(r"[$,]", "", regex=True), errors="coerce").astype("float64")  # "1,2,3" -> 123


def _wrong_dollar_strip(s):
    dollar = s.str.startswith("$") | s.str.startswith("-$")
    cleaned = s.where(~dollar.fillna(False), s.str.replace(r"[$,]", "", regex=True))  # "$1,2,3" -> 123
    return pd.to_numeric(cleaned, errors="coerce").astype("float64").rename(s.name)


def _wrong_drops_index(s):
    v = pd.to_numeric(s, errors="coerce").astype("float64")
    parts = s.str.extract(r"^(-?)\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
    fixed = pd.to_numeric(parts[0] + parts[1].str.replace(",", "") + parts[2].fillna(""), errors="coerce")
    return pd.Series(v.fillna(fixed).to_numpy(), name=s.name)  # a fresh 0..n-1 index


_DOLLAR = re.compile(r"(-?)\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def _right_loop(s):
    out = []
    for text in s:
        value = np.nan
        if isinstance(text, str):
            try:
                value = float(text)
            except ValueError:
                m = _DOLLAR.fullmatch(text)
                if m:
                    value = float(m.group(1) + m.group(2).replace(",", "") + (m.group(3) or ""))
        out.append(value)
    return pd.Series(out, index=s.index, name=s.name, dtype="float64")


def _right_fullmatch(s):
    dollar = s.str.fullmatch(r"-?\$(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?").fillna(False).astype(bool)
    repaired = s.where(~dollar, s.str.replace("$", "", regex=False).str.replace(",", "", regex=False))
    return pd.to_numeric(repaired, errors="coerce").astype("float64")  # keeps the index and the name


q4 = Question(
    name="l01_parse_money",
    prompt=("Parse the text column `s` of amounts to float64. Plain numbers parse as usual; a dollar form "
            "with thousands separators ('$1,234.50', '-$6.99', '$12') is repaired; anything else (including "
            "'1,2,3', which is not a valid thousands grouping) becomes NaN. Keep the index and the name."),
    reference=quality.parse_money,
    cases=_money_cases,
    hints=["`pd.to_numeric(errors='coerce')` handles the plain rows; work only on the rows it could not parse.",
           "Only a dollar form whose commas split the digits into groups of exactly three may lose its commas: "
           "match the WHOLE text with a regular expression (`str.fullmatch` or `str.extract`) before stripping."],
    wrong_answers={"coerce turns drift into NaN": _wrong_coerce, "strips every comma": _wrong_strip_all,
                   "'$1,2,3' stripped to 123": _wrong_dollar_strip, "drops the index": _wrong_drops_index},
    right_answers={"a loop with float() and re.fullmatch": _right_loop, "str.fullmatch + to_numeric": _right_fullmatch},
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
    # a row with all three reasons, one with the last two, a clean row; an unsorted non-default index
    both = pd.DataFrame({"customer_id": [np.nan, 3.0, 4.0, np.nan, 5.0], "amount": [50.0, -3.0, 60.0, 1.0, 2.0]},
                        index=pd.Index([30, 10, 50, 20, 40], name="row"))
    both_reasons = OrderedDict([("big_amount", both["amount"] > 40), ("null_customer", both["customer_id"].isna()),
                                ("negative_amount", both["amount"] < 0)])
    return [
        {"df": both, "reasons": both_reasons},
        {"df": tiny, "reasons": reasons(tiny)},
        {"df": empty, "reasons": reasons(empty)},
        {"df": tiny, "reasons": {}},
        {"df": big, "reasons": reasons(big)},
    ]


def _run_split(fn: Callable, case: dict[str, Any]):
    out = fn(**case)
    if isinstance(out, quality.CleanResult):  # the library's result object; the learner returns a tuple
        out = (out.kept, out.quarantine)
    return out


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


def _wrong_sorted_index(df, reasons):
    reason = pd.Series(pd.NA, index=df.index, dtype="str")
    for name, m in reasons.items():
        reason[m & reason.isna()] = name
    q = df[reason.notna()].assign(reason=reason[reason.notna()])
    return df[reason.isna()].sort_index(), q.sort_index()  # the prompt keeps the original row order


def _right_reverse_overwrite(df, reasons):
    reason = pd.Series(None, index=df.index, dtype=object)
    for name, m in reversed(list(reasons.items())):
        reason[m.to_numpy(dtype=bool)] = name  # walking backwards, the FIRST reason writes last
    bad = reason.notna()
    return df[~bad], df[bad].assign(reason=reason[bad])


def _right_select(df, reasons):
    if not reasons:
        return df, df.iloc[:0].assign(reason=pd.Series(dtype="str"))
    code = np.select([np.asarray(m, dtype=bool) for m in reasons.values()], list(reasons), default="")
    bad = code != ""
    quarantine = df.iloc[np.flatnonzero(bad)].copy()
    quarantine["reason"] = code[bad]
    return df.iloc[np.flatnonzero(~bad)], quarantine


def _right_loop(df, reasons):
    kept_rows, q_rows, q_reasons = [], [], []
    for label in df.index:
        first = next((name for name, m in reasons.items() if m[label]), None)
        if first is None:
            kept_rows.append(label)
        else:
            q_rows.append(label)
            q_reasons.append(first)
    quarantine = df.loc[q_rows].copy()
    quarantine["reason"] = pd.Series(q_reasons, index=quarantine.index, dtype="str")
    return df.loc[kept_rows], quarantine


q5 = Question(
    name="l01_split_rows",
    prompt=("Split `df` without losing a row: return `(kept, quarantine)`. `reasons` is an ordered dict "
            "{reason_code: boolean mask}. A row goes to quarantine under the FIRST reason whose mask is True "
            "(add a column 'reason' holding that code); every other row is kept. Keep the original index and row "
            "order; len(kept) + len(quarantine) == len(df)."),
    reference=quality.split_rows,
    cases=_split_cases,
    runner=_run_split,
    hints=["Walk the reasons in order and only label rows that have no label yet.",
           "Keep one label per row, empty at first, and let a reason write only where the label is still empty."],
    wrong_answers={"last reason wins": _wrong_last_wins, "row quarantined twice": _wrong_concat,
                   "rows re-sorted by index": _wrong_sorted_index},
    right_answers={"reasons walked backwards": _right_reverse_overwrite, "np.select": _right_select,
                   "a loop over rows": _right_loop},
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


def _wrong_previous_row(typed, keys, time, within):
    s = typed.sort_values(keys + [time], kind="stable")
    gap = s.groupby(keys)[time].diff()  # the previous ROW: a tie's second copy has gap 0 and escapes
    hit = (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(within))
    return hit.reindex(typed.index)


def _wrong_from_first(typed, keys, time, within):
    first = typed.groupby(keys)[time].transform("min")  # a chain measured from its first copy only
    gap = typed[time] - first
    return (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(within))


def _right_loop(typed, keys, time, within):
    limit = pd.Timedelta(within)
    flags = pd.Series(False, index=typed.index)
    for _, group in typed.groupby(keys):
        times = sorted(set(group[time]))
        hit_times = {t for prev, t in zip(times, times[1:]) if pd.Timedelta(0) < t - prev <= limit}
        flags.loc[group.index[group[time].isin(hit_times)]] = True
    return flags


def _right_shift_on_distinct(typed, keys, time, within):
    moments = typed[keys + [time]].drop_duplicates().sort_values(keys + [time])
    prev = moments.groupby(keys)[time].shift()
    moments["near"] = (moments[time] - prev).between(pd.Timedelta(0), pd.Timedelta(within), inclusive="right")
    merged = typed[keys + [time]].reset_index(drop=True).merge(moments, on=keys + [time], how="left")
    return pd.Series(merged["near"].to_numpy(dtype=bool), index=typed.index, name=time)  # named after `time`


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
           "Ties: two rows at the same time must get one verdict, so compare each time with the previous DISTINCT "
           "time of the same keys, not with the previous row."],
    wrong_answers={"duplicated() on the keys only": _wrong_key_only, "exact duplicates only": _wrong_all_columns,
                   "previous row, not previous distinct time": _wrong_previous_row,
                   "chain measured from its first copy": _wrong_from_first},
    right_answers={"a loop over key groups": _right_loop, "drop_duplicates + shift + merge": _right_shift_on_distinct},
    check_series_name=False,    # the prompt sets no name
    explanation="Exact-duplicate checks miss re-sends, and key-only checks flag legitimate multi-line orders.",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

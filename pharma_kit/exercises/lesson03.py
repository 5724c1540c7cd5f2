"""Lesson 03 exercises: zero-filled daily sales, trailing moving averages, 'ME' months, residual-based anomalies.

Each question's classic mistake (most of them straight from the source notes) is in ``wrong_answers``.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from pharma_kit import timeseries as ts
from pharma_kit.exercises.core import Question

_DAY = pd.Timedelta(days=1)


# ----------------------------------------------------------------------------- q1: zero-filled daily sales
def _tx(rng: np.random.Generator, start: pd.Timestamp, days: int, n: int, spill: int = 0) -> pd.DataFrame:
    """``n`` sales on a few of ``days`` days from ``start`` (many days empty); ``spill`` rows just outside the range."""
    active = rng.choice(days, size=max(1, days // 3), replace=False) if days else np.array([], dtype=int)
    day = rng.choice(active, size=n) if n and len(active) else np.array([], dtype=int)
    minutes = rng.integers(8 * 60, 21 * 60, len(day))
    when = start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="min")
    extra = [start - pd.Timedelta(hours=2)] * spill + [start + pd.Timedelta(days=days, hours=1)] * spill
    dates = pd.DatetimeIndex(list(when) + extra).astype("datetime64[us]")
    amount = np.round(rng.gamma(2.0, 8.0, len(dates)), 2) + 0.99
    out = pd.DataFrame({"order_date": dates, "amount": amount})
    return out.sample(frac=1.0, random_state=int(rng.integers(0, 2**31))).reset_index(drop=True)


def _year_end_tx() -> pd.DataFrame:
    """Hand-made around midnight and a year end, on a non-default index: a sale at `start` 00:00 (in), one a
    microsecond before `end` (in, on the last day), one at `end` 00:00 (out), one just before `start` (out)."""
    when = pd.to_datetime(["2024-12-30 00:00:00.000000", "2024-12-31 23:59:59.999999", "2025-01-01 00:00:00.000000",
                           "2024-12-29 23:59:59.000000", "2024-12-31 12:00:00.000000"]).astype("datetime64[us]")
    return pd.DataFrame({"order_date": when, "amount": [1.5, 2.25, 100.0, 50.0, 4.0]},
                        index=pd.Index([14, 3, 9, 27, 8], name="line"))


def _zero_fill_cases(rng: np.random.Generator) -> list[dict]:
    start = pd.Timestamp("2024-02-26") + pd.Timedelta(days=int(rng.integers(0, 60)))
    return [
        {"tx": _year_end_tx(), "start": pd.Timestamp("2024-12-29"), "end": pd.Timestamp("2025-01-01")},
        {"tx": _tx(rng, start, 21, 30, spill=2), "start": start, "end": start + 21 * _DAY},
        {"tx": _tx(rng, start, 10, 4), "start": start - 3 * _DAY, "end": start + 14 * _DAY},  # empty days at both edges
        {"tx": _tx(rng, start, 1, 3), "start": start, "end": start + _DAY},  # a single day
        {"tx": _tx(rng, start, 5, 0), "start": start, "end": start + 5 * _DAY},  # no sales at all: all zeros
        {"tx": _tx(rng, start, 5, 6), "start": start, "end": start},  # an empty range
        {"tx": _tx(rng, start, 60, 200, spill=3), "start": start, "end": start + 60 * _DAY},
    ]


def _zero_fill_reference(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return ts.daily_sales(tx, start, end)


def _wrong_groupby(tx, start, end):
    day = tx["order_date"].dt.normalize()
    keep = (day >= start) & (day < end)
    out = tx.loc[keep, "amount"].groupby(day[keep]).sum()  # only days that had a sale survive
    out.index.name = "date"
    return out.rename("sales")


def _wrong_resample_span(tx, start, end):
    day = tx["order_date"].dt.normalize()
    keep = (day >= start) & (day < end)
    out = tx.loc[keep].set_index("order_date")["amount"].resample("D").sum()  # fills inside, not the edges
    out.index.name = "date"
    return out.rename("sales")


def _wrong_unnamed(tx, start, end):
    day = tx["order_date"].dt.normalize()
    keep = (day >= start) & (day < end)
    cal = pd.date_range(start, end - _DAY, freq="D")  # right numbers, but the index is not named 'date'
    return tx.loc[keep, "amount"].groupby(day[keep]).sum().reindex(cal, fill_value=0.0).rename("sales")


def _right_resample(tx, start, end):
    inside = tx[(tx["order_date"] >= start) & (tx["order_date"] < end)]
    per_day = inside.set_index("order_date")["amount"].resample("D").sum()
    calendar = pd.date_range(start, periods=(end - start).days, freq="D", name="date")
    return per_day.reindex(calendar, fill_value=0.0).astype("float64").rename("sales")


def _right_dict_loop(tx, start, end):
    days = pd.date_range(start, end, freq="D", inclusive="left")
    totals = {d: 0.0 for d in days}
    for when, amount in zip(tx["order_date"], tx["amount"]):
        d = when.normalize()
        if d in totals:
            totals[d] += amount
    out = pd.Series([totals[d] for d in days], index=pd.DatetimeIndex(days, name="date"), name="sales",
                    dtype="float64")
    return out


def _wrong_inclusive_end(tx, start, end):
    day = tx["order_date"].dt.normalize()
    cal = pd.date_range(start, end, freq="D", name="date")  # includes `end`: one day too many
    return tx["amount"].groupby(day).sum().reindex(cal, fill_value=0.0).rename("sales")


q1 = Question(
    name="l03_zero_fill",
    prompt=("Return Larkspur's sales per calendar day over the half-open range [start, end): a float Series "
            "named 'sales' with one row for EVERY day (index named 'date'), 0.0 on days without a sale. "
            "Rows outside the range are ignored; start == end gives an empty Series."),
    reference=_zero_fill_reference,
    cases=_zero_fill_cases,
    hints=["`tx['order_date'].dt.normalize()` gives each sale's day; keep days >= start and < end, then group and sum.",
           "A groupby (or resample) only knows days that appear in the data: build the full calendar of the range "
           "yourself (mind that `end` is excluded) and reindex onto it, with 0.0 for the new days."],
    wrong_answers={"groupby drops empty days": _wrong_groupby,
                   "resample spans only the data": _wrong_resample_span,
                   "end treated as inclusive": _wrong_inclusive_end,
                   "index not named 'date'": _wrong_unnamed},
    right_answers={"filter + resample + reindex": _right_resample, "a dict of days": _right_dict_loop},
    solution_text='''def daily_totals(tx, start, end):
    day = tx["order_date"].dt.normalize()
    keep = (day >= start) & (day < end)
    sums = tx.loc[keep, "amount"].groupby(day[keep]).sum()
    calendar = pd.date_range(start, end - pd.Timedelta(days=1), freq="D", name="date")
    return sums.reindex(calendar, fill_value=0.0).astype("float64").rename("sales")''',
    explanation=("A day with no sales is a fact (zero), not a missing row. Without it a 7-row rolling window "
                 "spans more than 7 days and a weekday average skips its quiet days."),
    check_dtype=True,           # the prompt asks for a float Series named 'sales' with an index named 'date'
)


# ----------------------------------------------------------------------------- q2: moving averages as columns
def _series(rng: np.random.Generator, n: int, start: str = "2024-03-04", holes: int = 0) -> pd.Series:
    idx = pd.date_range(start, periods=n, freq="D", name="date")
    pattern = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 0.7])
    y = 5000 * pattern[idx.day_of_week] * rng.lognormal(0, 0.08, n) if n else np.array([])
    s = pd.Series(np.round(y, 2), index=idx, name="sales", dtype="float64")
    if holes and n:
        s.iloc[rng.choice(n, size=holes, replace=False)] = np.nan
    return s


def _ma_cases(rng: np.random.Generator) -> list[dict]:
    return [
        {"daily": _series(rng, 45)},
        {"daily": _series(rng, 5)},  # shorter than either window: all NaN averages
        {"daily": _series(rng, 28)},  # exactly one 28-day window
        {"daily": _series(rng, 70, holes=2)},  # days with no data: windows that contain them are NaN
        {"daily": _series(rng, int(rng.integers(30, 120)))},
    ]


def _right_dict_of_columns(daily):
    return pd.DataFrame({"sales": daily, "ma_7": daily.rolling(7).mean(), "ma_28": daily.rolling(28).mean()})


def _right_sliding_numpy(daily):
    v = daily.to_numpy(dtype="float64")
    out = pd.DataFrame({"sales": v}, index=daily.index)
    for w in (7, 28):
        ma = np.full(len(v), np.nan)
        if len(v) >= w:
            ma[w - 1:] = np.lib.stride_tricks.sliding_window_view(v, w).mean(axis=1)  # NaN spreads by itself
        out[f"ma_{w}"] = ma
    return out


def _ma_reference(daily: pd.Series) -> pd.DataFrame:
    return ts.add_moving_averages(daily, (7, 28))


def _wrong_series_assignment(daily):
    s = daily.copy()
    ma_7, ma_28 = s.rolling(7).mean(), s.rolling(28).mean()
    with warnings.catch_warnings():  # the source notes' bug; pandas warns, and the Series silently grows two rows
        warnings.simplefilter("ignore")
        s["ma_7"] = ma_7
        s["ma_28"] = ma_28
    return s


def _wrong_centred(daily):
    out = daily.rename("sales").to_frame()
    for w in (7, 28):
        out[f"ma_{w}"] = out["sales"].rolling(w, center=True).mean()  # uses future days
    return out


def _wrong_min_periods(daily):
    out = daily.rename("sales").to_frame()
    for w in (7, 28):
        out[f"ma_{w}"] = out["sales"].rolling(w, min_periods=1).mean()  # "7-day" mean of 1 day
    return out


q2 = Question(
    name="l03_moving_averages",
    prompt=("Given a zero-filled daily sales Series, return a DataFrame with columns 'sales', 'ma_7' and 'ma_28': "
            "TRAILING means over the last 7 and 28 days (the day itself and the days before it). A mean is NaN "
            "until its window holds the full number of days, and NaN when any day in its window is NaN."),
    reference=_ma_reference,
    cases=_ma_cases,
    hints=["Start from `daily.rename('sales').to_frame()`: a Series has no columns to put averages in.",
           "Look at `rolling`'s defaults for `min_periods` and `center`: are they the trailing, full-window "
           "means the prompt asks for?"],
    wrong_answers={"assigning into the Series (source notes)": _wrong_series_assignment,
                   "centred window": _wrong_centred,
                   "min_periods=1": _wrong_min_periods},
    right_answers={"a dict of columns": _right_dict_of_columns, "numpy sliding windows": _right_sliding_numpy},
    solution_text='''def with_moving_averages(daily):
    out = daily.rename("sales").to_frame()
    for w in (7, 28):
        out[f"ma_{w}"] = out["sales"].rolling(w).mean()
    return out''',
    explanation=("`daily_sales['ma_7'] = ...` on a Series does not add a column: pandas enlarges the Series with "
                 "one extra row labelled 'ma_7' holding a whole Series (dtype object). A centred window reads "
                 "the future, which is leakage in any alert or forecast."),
)


# ----------------------------------------------------------------------------- q4: anomalies on the residual
def _spiky(rng: np.random.Generator, n: int, spikes: int) -> pd.Series:
    s = _series(rng, n)
    if spikes:
        at = rng.choice(np.arange(3, n - 3), size=spikes, replace=False)
        s.iloc[at] = s.iloc[at] * rng.choice([0.3, 1.9], size=spikes)
    return s


def _residual_cases(rng: np.random.Generator) -> list[dict]:
    return [
        {"daily": _spiky(rng, 56, 3), "k": 2.0},
        {"daily": _spiky(rng, 14, 0), "k": 1.5},  # exactly two weeks: the shortest series STL accepts
        {"daily": pd.Series(0.0, index=pd.date_range("2024-05-06", periods=21, freq="D", name="date"), name="sales"),
         "k": 2.0},  # all zeros: nothing to flag
        {"daily": _spiky(rng, int(rng.integers(28, 70)), 2), "k": 3.0},
    ]


def _residual_reference(daily: pd.Series, k: float) -> pd.Series:
    return ts.residual_anomalies(daily, k=k, scale="additive")["is_anomaly"]  # the prompt: decompose() residual, in dollars


def _right_numpy_percentile(daily, k):
    resid = ts.decompose(daily)["resid"]
    q1, q3 = np.percentile(resid.to_numpy(), [25, 75])  # numpy's default is linear interpolation too
    fence = k * (q3 - q1)
    return pd.Series((resid.to_numpy() < q1 - fence) | (resid.to_numpy() > q3 + fence), index=daily.index)


def _right_statistics(daily, k):
    import statistics

    resid = ts.decompose(daily)["resid"]
    q1, _, q3 = statistics.quantiles(resid.tolist(), n=4, method="inclusive")  # 'inclusive' = linear interpolation
    iqr = q3 - q1
    return ~resid.between(q1 - k * iqr, q3 + k * iqr)


def _right_describe(daily, k):
    resid = ts.decompose(daily)["resid"]
    d = resid.describe()
    iqr = d["75%"] - d["25%"]
    return resid.lt(d["25%"] - k * iqr) | resid.gt(d["75%"] + k * iqr)


def _wrong_raw_iqr(daily, k):
    return ts.iqr_flags(daily, k)  # fences on the raw series: weekends look like outliers


def _wrong_residual_sigma(daily, k):
    resid = ts.decompose(daily)["resid"]
    return ((resid - resid.mean()).abs() > k * resid.std()).rename("is_anomaly")  # mean/std are pulled by the spikes


q4 = Question(
    name="l03_residual_anomalies",
    prompt=("Flag anomalous days: take the residual of `ts.decompose(daily)` (STL: trend + weekly pattern removed) "
            "and return a boolean Series (same index) that is True where the residual is below Q1 - k*IQR or "
            "above Q3 + k*IQR, with the quartiles taken over the residual itself by linear interpolation "
            "(the default of pandas' `quantile` and numpy's `percentile`)."),
    reference=_residual_reference,
    cases=_residual_cases,
    hints=["`resid = ts.decompose(daily)['resid']`, then `q1, q3 = resid.quantile(0.25), resid.quantile(0.75)`.",
           "Flag both tails, strictly outside the fences. Do not use the raw sales: its quartiles are set by "
           "ordinary weekdays, so Saturdays and Sundays sit near the fences."],
    wrong_answers={"IQR on the raw series (source notes)": _wrong_raw_iqr,
                   "mean +/- k*std on the residual": _wrong_residual_sigma},
    right_answers={"np.percentile": _right_numpy_percentile, "statistics.quantiles(method='inclusive')":
                   _right_statistics, "describe() quartiles": _right_describe},
    solution_text='''def flag_anomalies(daily, k):
    resid = ts.decompose(daily)["resid"]
    q1, q3 = resid.quantile(0.25), resid.quantile(0.75)
    iqr = q3 - q1
    return ((resid < q1 - k * iqr) | (resid > q3 + k * iqr)).rename("is_anomaly")''',
    explanation=("An anomaly is a day unlike what its weekday and the recent level predict: that is the residual. "
                 "Quartiles are robust to the spikes you are looking for; a mean and standard deviation are not."),
    check_series_name=False,    # the prompt sets no name; 'same index' keeps the index's name
)


# ----------------------------------------------------------------------------- q3: 'ME' months
def _monthly_cases(rng: np.random.Generator) -> list[dict]:
    return [
        {"daily": _series(rng, 92, start="2024-01-01")},  # three whole months
        {"daily": _series(rng, 75, start="2024-01-17")},  # partial first and last months
        {"daily": _series(rng, 1, start="2024-02-29")},  # a single (leap) day
        {"daily": _series(rng, 48, start="2023-12-15", holes=0)},  # across a year end: partial Dec, whole Jan
        {"daily": _series(rng, 0)},  # empty
        {"daily": _series(rng, 120, start="2024-03-01", holes=3)},  # days with no data make a month incomplete
        {"daily": _series(rng, int(rng.integers(40, 400)), start="2023-11-05")},
    ]


def _right_periods(daily):
    month = daily.index.to_period("M")
    g = daily.groupby(month)
    out = pd.DataFrame({"sales": g.sum(), "complete": (g.count() == g.size().index.days_in_month)})
    out.index = out.index.to_timestamp(how="end").normalize().rename("period_end")
    return out


def _right_loop(daily):
    rows = {}
    for month_end, part in daily.groupby(pd.Grouper(freq="ME")):
        rows[month_end] = {"sales": float(part.sum()), "complete": bool(part.notna().sum() == month_end.day)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["sales", "complete"])
    return out.rename_axis("period_end")


def _monthly_reference(daily: pd.Series) -> pd.DataFrame:
    return ts.resample_sales(daily, "ME")[["sales", "complete"]]


def _wrong_old_alias(daily):
    g = daily.resample("M")  # pandas 3: ValueError, 'M' is no longer supported; use 'ME'
    return pd.DataFrame({"sales": g.sum(), "complete": g.count() == g.size()})


def _wrong_month_start(daily):
    g = daily.resample("MS")  # labels each month by its first day
    full = g.size().index.days_in_month
    out = pd.DataFrame({"sales": g.sum(), "complete": (g.count() == full).to_numpy()}, index=g.size().index)
    out.index.name = "period_end"
    return out


def _wrong_mean(daily):
    g = daily.resample("ME")  # the source notes' monthly mean: a partial month looks "normal"
    out = pd.DataFrame({"sales": g.mean(), "complete": g.count() == g.size().index.days_in_month})
    out.index.name = "period_end"
    return out


def _wrong_complete(daily):
    g = daily.resample("ME")
    out = pd.DataFrame({"sales": g.sum(), "complete": g.count() == g.size()})  # ignores partial edge months
    out.index.name = "period_end"
    return out


q3 = Question(
    name="l03_month_end",
    prompt=("Return monthly sales from a daily Series: a DataFrame indexed by each month's LAST day (index named "
            "'period_end') with 'sales' (the month's total) and 'complete' (True only when every calendar day of "
            "the month is in the series and has data). Use the pandas 3 alias."),
    reference=_monthly_reference,
    cases=_monthly_cases,
    hints=["pandas 3 spells month end 'ME' ('M' now raises ValueError). `daily.resample('ME')` gives you groups "
           "labelled by month end.",
           "A month is complete when its number of days WITH DATA equals the number of days in that month; "
           "a month-end timestamp knows how many days its month has."],
    wrong_answers={"'M' (pre-pandas-3 alias)": _wrong_old_alias,
                   "'MS' labels the month start": _wrong_month_start,
                   "monthly mean (source notes)": _wrong_mean,
                   "partial edge months called complete": _wrong_complete},
    right_answers={"to_period('M') groups": _right_periods, "a loop over pd.Grouper('ME')": _right_loop},
    solution_text='''def monthly_view(daily):
    g = daily.resample("ME")
    out = pd.DataFrame({"sales": g.sum(), "complete": g.count() == g.size().index.days_in_month})
    out.index.name = "period_end"
    return out''',
    explanation=("pandas 3 made period aliases say which end they label: 'ME' (month end) vs 'MS' (month start), "
                 "and the bare 'M' that used to mean month end is now an error. Resampling only covers the months "
                 "the data touches, so the first and last month are usually partial: label them."),
)

QUESTIONS = [q1, q2, q3, q4]

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4"]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

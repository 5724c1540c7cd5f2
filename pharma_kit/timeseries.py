"""Daily sales series for Larkspur Pharmacies: zero-filled days, moving averages, weekly seasonality, anomalies.

The rules this module enforces, each a trap in the source notes:

- A day with no sales is an explicit ``0.0``; a day with *no data* (store closed, feed missing) is ``NaN``.
  Grouping by date silently drops empty days, and a 7-row rolling window then spans more than 7 days.
- Ranges are half-open ``[start, end)``: ``end=AS_OF`` means "up to and including yesterday".
- Moving averages are DataFrame columns next to the series, trailing by default (a centred window
  uses tomorrow's sales: leakage in anything that forecasts or alerts).
- Weekly/monthly views use pandas 3 aliases (``'W'``, ``'ME'``); ``'M'`` is refused with the reason.
- Anomalies are flagged on the *residual* after removing trend and weekday pattern, not on the raw series,
  whose quartiles are set by ordinary weekdays so quiet Sundays and busy Saturdays raise false alarms.
  The residual is taken on the log scale by default (sales are multiplicative), known closures are expected
  zeros and days with no data are never flagged. The defaults were chosen on the course's generator and are
  checked, unchanged, on an independently written family of series (``tests/test_detector_heldout.py``).

statsmodels is imported lazily inside the functions that need it, so importing this module stays cheap.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from pharma_kit.errors import DataQualityError

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
#: pandas 3 aliases accepted by :func:`resample_sales`; the old spellings are refused with the reason.
_RETIRED_ALIASES = {"M": "ME", "Q": "QE", "Y": "YE", "A": "YE", "BM": "BME", "H": "h"}
_PERIOD_FREQS = ("W", "ME", "QE", "YE")
#: Scale that turns a median absolute deviation into a standard-deviation estimate for normal data.
MAD_SCALE = 1.4826
#: STL smoother lengths used by the lesson (odd; in periods for ``seasonal``, in days for ``trend``).
STL_SEASONAL, STL_TREND = 51, 45


# --------------------------------------------------------------------------- building the daily series
def _check_transactions(tx: pd.DataFrame, date_col: str, value_col: str, who: str) -> None:
    """Fail with a clear message (column, first bad row) instead of a pandas traceback deep inside."""
    if not isinstance(tx, pd.DataFrame):
        raise TypeError(f"{who}: expected a DataFrame of transactions, got {type(tx).__name__}")
    missing = [c for c in (date_col, value_col) if c not in tx.columns]
    if missing:
        raise DataQualityError(f"{who}: missing column(s) {missing}; have {list(tx.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(tx[date_col]):
        raise DataQualityError(f"{who}: column {date_col!r} must be datetime64, got {tx[date_col].dtype} "
                               "(parse it first, e.g. pd.to_datetime with an explicit format)")
    if not pd.api.types.is_numeric_dtype(tx[value_col]) or pd.api.types.is_bool_dtype(tx[value_col]):
        raise DataQualityError(f"{who}: column {value_col!r} must be numeric, got {tx[value_col].dtype}")
    for col in (date_col, value_col):
        bad = tx[col].isna().to_numpy()
        if bad.any():
            raise DataQualityError(f"{who}: column {col!r} has {int(bad.sum())} missing value(s), first at row "
                                   f"{tx.index[int(np.argmax(bad))]!r}; clean the feed first (lesson 01)")


def _local_days(dates: pd.Series, tz: str | None, who: str) -> pd.Series:
    """Calendar day of each timestamp, in the business's local time zone."""
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        if tz is None:
            raise ValueError(f"{who}: timestamps are time-zone aware ({dates.dtype.tz}); pass tz= the stores' local "
                             "zone so each sale lands on the local calendar day")
        dates = dates.dt.tz_convert(tz).dt.tz_localize(None)
    elif tz is not None:
        raise ValueError(f"{who}: tz={tz!r} was given but the timestamps are time-zone naive, so there is nothing "
                         "to convert. If they are already the stores' local time, leave tz out; if they are UTC (or "
                         "another zone), say so first: tx[col] = tx[col].dt.tz_localize('UTC'), then pass tz=")
    return dates.dt.normalize()


def _naive_bound(value, tz: str | None, name: str, who: str):
    """A range bound as a naive local timestamp: an aware bound is converted to the local zone ``tz``."""
    if value is None:
        return None
    value = pd.Timestamp(value)
    if value.tz is None:
        return value
    if tz is None:
        raise ValueError(f"{who}: {name}={value} is time-zone aware but the timestamps are naive; pass a naive "
                         f"{name} (a date such as {str(value.date())!r}) in the same clock as the data")
    return value.tz_convert(tz).tz_localize(None)


def _day_range(days: pd.Series, start, end, who: str, tz: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Resolve a half-open [start, end) day range, defaulting to the data's own first and last day.

    Bounds may be naive dates (read on the local calendar) or time-zone aware (converted to ``tz`` first).
    """
    start, end = _naive_bound(start, tz, "start", who), _naive_bound(end, tz, "end", who)
    if start is None:
        start = days.min() if len(days) else None
    if end is None:
        end = days.max() + pd.Timedelta(days=1) if len(days) else None
    if start is None or end is None:
        # no rows and no range: the empty range [start, start)
        start = end = pd.Timestamp(start if start is not None else end if end is not None else "1970-01-01")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start != start.normalize() or end != end.normalize():
        raise ValueError(f"{who}: start and end must be midnights (whole days), got {start} and {end}")
    if end < start:
        raise ValueError(f"{who}: end {end.date()} is before start {start.date()} (the range is [start, end))")
    return start, end


def _calendar(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Every day in [start, end), named ``date``, microsecond unit like the course's data."""
    return pd.date_range(start, end - pd.Timedelta(days=1), freq="D", name="date", unit="us")


def daily_sales(tx: pd.DataFrame, start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None,
                *, date_col: str = "order_date", value_col: str = "amount", tz: str | None = None) -> pd.Series:
    """Chain sales per calendar day over ``[start, end)``, with days that had no sales as explicit zeros.

    ``start``/``end`` default to the first day of the data and the day after its last. Rows outside the
    range are outside the question asked and are ignored. An empty range gives an empty Series.
    """
    _check_transactions(tx, date_col, value_col, "daily_sales")
    days = _local_days(tx[date_col], tz, "daily_sales")
    start, end = _day_range(days, start, end, "daily_sales", tz)
    cal = _calendar(start, end)
    inside = (days >= start) & (days < end)
    sums = tx.loc[inside, value_col].astype("float64").groupby(days[inside]).sum()
    out = sums.reindex(cal, fill_value=0.0).astype("float64")
    out.index = cal
    out.index.freq = "D"
    return out.rename("sales")


def store_daily_sales(tx: pd.DataFrame, start: pd.Timestamp | str, end: pd.Timestamp | str, *,
                      stores: Iterable[int] | None = None, gaps: pd.DataFrame | None = None,
                      store_col: str = "store_id", date_col: str = "order_date", value_col: str = "amount",
                      tz: str | None = None) -> pd.DataFrame:
    """Sales per day (rows) and store (columns): ``0.0`` where a store sold nothing, ``NaN`` where there is no data.

    ``stores`` lists every store that should appear (a store with no sales at all in range is still a column
    of zeros); ``gaps`` (store_id, start, end inclusive) marks days a store was closed or its feed missing.
    """
    _check_transactions(tx, date_col, value_col, "store_daily_sales")
    if store_col not in tx.columns:
        raise DataQualityError(f"store_daily_sales: missing column {store_col!r}")
    days = _local_days(tx[date_col], tz, "store_daily_sales")
    start, end = _day_range(days, start, end, "store_daily_sales", tz)
    cal = _calendar(start, end)
    inside = (days >= start) & (days < end)
    wide = (tx.loc[inside, value_col].astype("float64")
            .groupby([days[inside].rename("date"), tx.loc[inside, store_col].rename("store_id")]).sum()
            .unstack("store_id"))
    ids = sorted(set(wide.columns) | set(stores if stores is not None else []))
    wide = wide.reindex(index=cal, columns=pd.Index(ids, name="store_id")).fillna(0.0)
    if gaps is not None and len(gaps):
        for col in ("store_id", "start", "end"):
            if col not in gaps.columns:
                raise DataQualityError(f"store_daily_sales: gaps needs columns store_id, start, end; missing {col!r}")
        sid = gaps["store_id"].to_numpy()
        # a (day, store) cell has no data when any gap of that store covers the day: one vectorised comparison
        unknown = sorted(int(x) for x in set(sid) - set(ids))
        if unknown:
            raise DataQualityError(f"store_daily_sales: gaps name store(s) {unknown} that are not among the stores")
        d = cal.to_numpy()[:, None]
        cover = (d >= gaps["start"].to_numpy()[None, :]) & (d <= gaps["end"].to_numpy()[None, :])
        col_of = pd.Index(ids).get_indexer(sid)
        mask = np.zeros(wide.shape, dtype=bool)
        for j in np.unique(col_of):
            mask[:, j] = cover[:, col_of == j].any(axis=1)
        wide = wide.mask(mask)
    wide.index.freq = "D" if len(wide) else None
    return wide


def chain_from_stores(wide: pd.DataFrame) -> pd.DataFrame:
    """Chain total per day from a store-day table, with how many stores reported and whether the day is complete.

    A day where some store has no data gives a *partial* total: keep it, but say so, and decide per use
    (exclude it from anomaly detection, or scale it up) instead of reading a missing feed as a sales drop.
    """
    reporting = wide.notna().sum(axis=1).astype("int64")
    return pd.DataFrame({
        "sales": wide.sum(axis=1, min_count=1),
        "stores_reporting": reporting,
        "complete": reporting == wide.shape[1],
    }, index=wide.index)


# --------------------------------------------------------------------------- weekly / monthly views
def resample_sales(daily: pd.Series, freq: str = "W") -> pd.DataFrame:
    """Weekly (``'W'``, weeks ending Sunday) or monthly (``'ME'``) sales, with how complete each period is.

    Columns: ``sales`` (sum), ``days`` (calendar days of the period inside the series), ``days_with_data``,
    ``period_days`` (full length of the period), ``complete`` and ``mean_per_day`` (sales / days with data),
    so a partial first or last period is labelled instead of looking like a slump.
    """
    if not isinstance(freq, str):
        raise TypeError(f"resample_sales: freq must be a string alias, got {freq!r}")
    base, _, anchor = freq.partition("-")
    if base in _RETIRED_ALIASES:
        new = _RETIRED_ALIASES[base]
        if new in _PERIOD_FREQS:
            fix = f"use {new + ('-' + anchor if anchor else '')!r}"
        elif new == "h":
            fix = "pandas 3 spells hours 'h', but a daily series has no hours to group: use 'W', 'ME', 'QE' or 'YE'"
        else:
            fix = f"pandas 3 spells it {new!r}, which resample_sales does not offer: use 'ME' (calendar month end)"
        raise ValueError(f"resample_sales: {freq!r} is a pre-pandas-3 alias; {fix} "
                         "(pandas 3 spells period ends explicitly: 'ME' = month end, 'QE', 'YE')")
    if base not in _PERIOD_FREQS:
        raise ValueError(f"resample_sales: freq must be one of {_PERIOD_FREQS} (optionally anchored, e.g. 'W-MON', "
                         f"'QE-JAN', 'YE-JUN'), got {freq!r}")
    if anchor:
        if base == "ME":
            raise ValueError(f"resample_sales: {freq!r}: 'ME' takes no anchor (every month ends on its own last day); "
                             "use 'ME', or 'QE-JAN' / 'YE-JAN' for quarters or years that end in January")
        try:
            pd.tseries.frequencies.to_offset(freq)
        except ValueError:
            valid = "a weekday: MON, TUE, WED, THU, FRI, SAT, SUN" if base == "W" else "a month: JAN, FEB, ..., DEC"
            raise ValueError(f"resample_sales: {freq!r}: the anchor after '{base}-' must be {valid} "
                             f"(e.g. {'W-MON' if base == 'W' else base + '-JAN'!r})") from None
    _require_daily(daily, "resample_sales", allow_nan=True)
    groups = daily.resample(freq)
    out = pd.DataFrame({
        "sales": groups.sum(min_count=0),
        "days": groups.size().astype("int64"),
        "days_with_data": groups.count().astype("int64"),
    })
    off = pd.tseries.frequencies.to_offset(freq)
    labels = out.index.tz_localize(None) if out.index.tz is not None else out.index  # wall-clock days (DST-safe)
    out["period_days"] = np.asarray((labels - (labels - off)).days, dtype="int64")
    out["complete"] = out["days"].eq(out["period_days"]) & out["days_with_data"].eq(out["days"])
    out["mean_per_day"] = out["sales"] / out["days_with_data"].where(out["days_with_data"] > 0)
    out.index.name = "period_end"
    return out


# --------------------------------------------------------------------------- moving averages
def _label(t: pd.Timestamp) -> str:
    """A day as a date when it is a naive midnight, else the full timestamp."""
    return str(t.date()) if t.tz is None and t == t.normalize() else str(t)


def _require_daily(daily: pd.Series, who: str, allow_nan: bool, min_len: int = 0) -> None:
    """A daily series: a Series on a gap-free, sorted DatetimeIndex (one row per calendar day)."""
    if not isinstance(daily, pd.Series):
        raise TypeError(f"{who}: expected a pandas Series of daily sales, got {type(daily).__name__} "
                        "(moving averages go in a DataFrame; the input is one Series)")
    if not isinstance(daily.index, pd.DatetimeIndex):
        raise TypeError(f"{who}: the series must have a DatetimeIndex, got {type(daily.index).__name__}")
    idx = daily.index
    if len(idx) > 1:
        # a time-zone aware day is 23 or 25 hours long across a DST change: compare wall-clock days
        step = np.diff((idx.tz_localize(None) if idx.tz is not None else idx).asi8)
        one_day = pd.Timedelta(days=1).value // {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}[idx.unit]
        if not (step == one_day).all():
            bad = int(np.argmax(step != one_day))
            raise ValueError(f"{who}: the index must hold every calendar day once, in order, at the same time of "
                             f"day; it jumps from {_label(idx[bad])} to {_label(idx[bad + 1])} (zero-fill with daily_sales first)")
    if not pd.api.types.is_numeric_dtype(daily.dtype) or pd.api.types.is_bool_dtype(daily.dtype):
        raise TypeError(f"{who}: the series must be numeric, got dtype {daily.dtype}")
    if not allow_nan and daily.isna().any():
        na = daily.isna().to_numpy()
        raise DataQualityError(f"{who}: the series has {int(na.sum())} day(s) with no data (NaN), first on "
                               f"{idx[int(np.argmax(na))].date()}; statsmodels' seasonal_decompose refuses NaN. "
                               "Fill them deliberately (e.g. interpolate) or analyse a range without them")
    if len(daily) < min_len:
        raise ValueError(f"{who}: need at least {min_len} days, got {len(daily)}"
                         + (" (an empty series)" if len(daily) == 0 else ""))


def add_moving_averages(daily: pd.Series, windows: Iterable[int] = (7, 28), *, center: bool = False) -> pd.DataFrame:
    """A DataFrame with the series as ``sales`` and one ``ma_<w>`` column per window (trailing by default).

    A window's mean is ``NaN`` until it holds ``w`` days, and whenever a day in it has no data (``NaN``):
    an average over fewer days than it claims is a different statistic.
    """
    _require_daily(daily, "add_moving_averages", allow_nan=True)
    windows = list(windows)
    for w in windows:
        if not isinstance(w, (int, np.integer)) or isinstance(w, bool) or w < 1:
            raise ValueError(f"add_moving_averages: windows must be positive integers, got {w!r}")
    out = daily.astype("float64").rename("sales").to_frame()
    for w in windows:
        out[f"ma_{w}"] = out["sales"].rolling(w, min_periods=w, center=center).mean()
    return out


def weekday_profile(daily: pd.Series) -> pd.DataFrame:
    """Mean and median sales per weekday (Monday first) and each weekday's index against the overall daily mean."""
    _require_daily(daily, "weekday_profile", allow_nan=True)
    wd = pd.Categorical.from_codes(daily.index.day_of_week, categories=WEEKDAY_NAMES, ordered=True)
    g = daily.groupby(wd, observed=False)
    out = pd.DataFrame({"days": g.count().astype("int64"), "mean": g.mean(), "median": g.median()})
    overall = daily.mean()
    out["index"] = out["mean"] / overall if overall and not np.isnan(overall) else np.nan
    out.index = pd.CategoricalIndex(out.index, categories=WEEKDAY_NAMES, ordered=True, name="weekday")
    return out


# --------------------------------------------------------------------------- seasonality
def decompose(daily: pd.Series, *, period: int = 7, method: str = "stl", robust: bool = True,
              seasonal: int = STL_SEASONAL, trend: int | None = STL_TREND) -> pd.DataFrame:
    """Split a daily series into ``trend + seasonal + resid`` (additive); ``method`` is ``'stl'`` or ``'classical'``.

    Needs at least two full periods and no ``NaN``. The classical method (``seasonal_decompose``) leaves
    ``period // 2`` days of ``NaN`` trend and residual at each end (its centred moving average has no
    neighbours there); STL covers every day. A constant series (e.g. all zeros) returns the constant as
    trend and zero seasonal and residual.

    STL's defaults here are the lesson's (``seasonal=51``: the weekday pattern may drift over about a year;
    ``trend=45`` days: slower than any promotion), not statsmodels' ``seasonal=7``, whose weekday pattern is
    flexible enough to chase the noise and so shrinks the residual that flags are measured against.
    """
    if method not in ("stl", "classical"):
        raise ValueError(f"decompose: method must be 'stl' or 'classical', got {method!r}")
    if not isinstance(period, (int, np.integer)) or period < 2:
        raise ValueError(f"decompose: period must be an integer >= 2, got {period!r}")
    _require_daily(daily, "decompose", allow_nan=False, min_len=2 * period)
    y = daily.astype("float64")
    out = pd.DataFrame({"observed": y}, index=daily.index)
    if np.ptp(y.to_numpy()) == 0:
        # nothing to decompose (STL's robustness weights divide by a zero spread); the documented answer
        out["trend"], out["seasonal"], out["resid"] = y, 0.0, 0.0
        return out
    if method == "classical":
        from statsmodels.tsa.seasonal import seasonal_decompose

        res = seasonal_decompose(y.to_numpy(), model="additive", period=period)
    else:
        from statsmodels.tsa.seasonal import STL

        res = STL(y.to_numpy(), period=period, seasonal=seasonal, trend=trend, robust=robust).fit()
    out["trend"] = np.asarray(res.trend, dtype="float64")
    out["seasonal"] = np.asarray(res.seasonal, dtype="float64")
    out["resid"] = np.asarray(res.resid, dtype="float64")
    return out


# --------------------------------------------------------------------------- anomalies
def iqr_bounds(values: pd.Series, k: float = 1.5) -> tuple[float, float]:
    """Tukey's fences ``Q1 - k*IQR`` and ``Q3 + k*IQR`` over the non-missing values."""
    v = values.dropna()
    if len(v) == 0:
        raise ValueError("iqr_bounds: no values to take quartiles of")
    q1, q3 = float(v.quantile(0.25)), float(v.quantile(0.75))
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


def iqr_flags(values: pd.Series, k: float = 1.5) -> pd.Series:
    """True where a value lies outside Tukey's fences; ``NaN`` is never flagged. Empty in, empty out."""
    if len(values.dropna()) == 0:
        return pd.Series(False, index=values.index, dtype="bool", name="is_anomaly")
    lo, hi = iqr_bounds(values, k)
    return ((values < lo) | (values > hi)).fillna(False).astype("bool").rename("is_anomaly")


def _closure_mask(index: pd.DatetimeIndex, closures, who: str) -> np.ndarray:
    """True on the days of ``index`` listed in ``closures`` (dates the stores are known to be shut)."""
    if closures is None:
        return np.zeros(len(index), dtype=bool)
    if isinstance(closures, pd.Series) and pd.api.types.is_bool_dtype(closures.dtype):
        closures = closures.index[closures.to_numpy()]
    try:
        days = pd.DatetimeIndex(pd.to_datetime(list(closures) if not isinstance(closures, pd.Index) else closures))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{who}: closures must be dates (a list, DatetimeIndex or boolean Series), got "
                         f"{type(closures).__name__}: {err}") from None
    if index.tz is not None:
        # naive closure dates are local calendar days of the series' zone
        days = days.tz_localize(index.tz) if days.tz is None else days.tz_convert(index.tz)
    elif days.tz is not None:
        raise ValueError(f"{who}: closures are time-zone aware ({days.tz}) but the series is naive; pass plain dates")
    if len(days) and (days != days.normalize()).any():
        raise ValueError(f"{who}: closures must be whole days (midnights), got e.g. {days[days != days.normalize()][0]}")
    return np.asarray(index.normalize().isin(days), dtype=bool)


def residual_anomalies(daily: pd.Series, *, period: int = 7, k: float = 2.5, method: str = "stl",
                       scale: str = "log", closures=None, **stl_kwargs) -> pd.DataFrame:
    """Flag days whose sales are far from what their trend and weekday predict, relative to the usual level.

    ``scale="log"`` (the default) decomposes ``log1p(sales)``: retail sales are *multiplicative* (a busy Monday
    is a percentage above a quiet Sunday, noise grows with the level), so on the log scale the weekday
    pattern is one shape at every level and the residual is a relative deviation (0.1 = about 10 % above
    expected). ``scale="additive"`` decomposes the dollars themselves (the simple lesson-03 rule).

    The fences are ``Q1 - k*IQR`` and ``Q3 + k*IQR`` of the residual. ``k=2.5`` and the STL settings were
    chosen on the course's own generator (``pharma_kit.events``, seeds 0-11); they are then checked, unchanged,
    on an independently written family of series (``tests/test_detector_heldout.py``).

    Days with no data (``NaN``) and known ``closures`` (dates the stores are shut: expected zeros, e.g. every
    25 December) are left out of the fences, filled by interpolation for the decomposition, and never flagged;
    a closure's ``expected`` is 0.

    Columns: ``sales``, ``expected`` (in dollars), ``resid`` (on the detector's scale), ``lower``/``upper`` (the
    band of ordinary sales for that day, in dollars), ``is_anomaly``.
    """
    if scale not in ("log", "additive"):
        raise ValueError(f"residual_anomalies: scale must be 'log' or 'additive', got {scale!r}")
    _require_daily(daily, "residual_anomalies", allow_nan=True)
    y = daily.astype("float64")
    closed = _closure_mask(daily.index, closures, "residual_anomalies")
    known = y.isna().to_numpy() | closed
    if scale == "log" and (y.to_numpy()[~known] < 0).any():
        first = daily.index[np.flatnonzero((y.to_numpy() < 0) & ~known)[0]]
        raise DataQualityError(f"residual_anomalies: sales are negative on {first.date()}; the log scale needs "
                               "sales >= 0 (net out returns per day first, or pass scale='additive')")
    z = np.log1p(y) if scale == "log" else y
    if known.all():
        fill = pd.Series(0.0, index=daily.index)
    else:
        fill = z.mask(known).interpolate(limit_direction="both")  # only to decompose; these days are never judged
    dec = decompose(fill, period=period, method=method, **stl_kwargs)
    fitted = (dec["trend"] + dec["seasonal"]).to_numpy()
    resid = dec["resid"].mask(known)
    lo, hi = (iqr_bounds(resid, k) if resid.notna().any() else (np.nan, np.nan))
    flags = ((resid < lo) | (resid > hi)).fillna(False).astype("bool").to_numpy() & ~known
    if scale == "log":
        expected, lower, upper = np.expm1(fitted), np.expm1(fitted + lo), np.expm1(fitted + hi)
    else:
        expected, lower, upper = fitted, fitted + lo, fitted + hi
    expected = np.where(closed, 0.0, expected)
    lower, upper = np.where(closed, 0.0, lower), np.where(closed, 0.0, upper)
    return pd.DataFrame({
        "sales": y, "expected": expected, "resid": resid, "lower": lower, "upper": upper, "is_anomaly": flags,
    }, index=daily.index)


def mad_anomalies(daily: pd.Series, *, weeks: int = 4, scale_days: int = 56, threshold: float = 3.5) -> pd.DataFrame:
    """Flag days far from the median of the same weekday over the previous ``weeks`` weeks (a robust, trailing z-score).

    ``baseline`` = median of the same weekday in the ``weeks`` weeks before; ``rel`` = sales / baseline - 1;
    ``scale`` = 1.4826 x the median ``|rel|`` over the ``scale_days`` days before (pooled over weekdays: 8 values
    per weekday are too few for a stable MAD); ``score`` = rel / scale. Trailing only: a day never enters its
    own baseline, so this can run as a daily alert. Days without a baseline yet have ``NaN`` score and are
    not flagged. A zero baseline or scale gives 0 when nothing moved, else ±inf (all zeros: no flags).
    """
    for name, v, low in (("weeks", weeks, 2), ("scale_days", scale_days, 2)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
            raise ValueError(f"mad_anomalies: {name} must be an integer >= {low}, got {v!r}")
    _require_daily(daily, "mad_anomalies", allow_nan=False)
    y = daily.to_numpy(dtype="float64")
    n = len(y)
    baseline = np.full(n, np.nan)
    for r in range(min(7, n)):  # one strided view per weekday: 7 vectorised passes, no per-day loop
        pos = np.arange(r, n, 7)
        v = y[pos]
        if len(v) <= weeks:
            continue
        win = np.lib.stride_tricks.sliding_window_view(v[:-1], weeks)  # window j = the weeks before pos[j + weeks]
        baseline[pos[weeks:]] = np.median(win, axis=1)
    rel = _safe_ratio(y - baseline, baseline)
    scale = MAD_SCALE * (pd.Series(np.abs(rel)).shift(1)
                         .rolling(scale_days, min_periods=scale_days // 2).median().to_numpy())
    score = _safe_ratio(rel, scale)
    return pd.DataFrame({
        "sales": y, "baseline": baseline, "rel": rel, "scale": scale, "score": score,
        "is_anomaly": np.nan_to_num(np.abs(score), nan=0.0, posinf=np.inf) > threshold,
    }, index=daily.index)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise: NaN where either is NaN; over a zero denominator 0 if num is 0, else ±inf."""
    out = np.full(len(num), np.nan)
    ok = ~np.isnan(num) & ~np.isnan(den)
    nz = ok & (den != 0)
    out[nz] = num[nz] / den[nz]
    out[ok & (den == 0) & (num == 0)] = 0.0
    big = ok & (den == 0) & (num != 0)
    out[big] = np.copysign(np.inf, num[big])
    return out


__all__ = [
    "MAD_SCALE", "STL_SEASONAL", "STL_TREND", "WEEKDAY_NAMES", "add_moving_averages", "chain_from_stores", "daily_sales", "decompose",
    "iqr_bounds", "iqr_flags", "mad_anomalies", "resample_sales", "residual_anomalies", "store_daily_sales",
    "weekday_profile",
]

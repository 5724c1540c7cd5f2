"""Time-series drills: monthly resampling with empty months, month-over-month growth, and the reviews of resample('M'),
a column set on a Series and recency computed with now().

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, int_ids, minute_grid, orders_frame, question, random_orders, streak_frame
from pharma_kit.drills.model import Drill
from pharma_kit.drills.sql import series

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 30


# === monthly-resample ================================================================================================

def example_monthly() -> Case:
    return {"orders": orders_frame(["2025-01-15", "2025-01-31 23:59", "2025-03-01"], [10.0, 5.0, 7.0])}


def cases_monthly(rng: np.random.Generator) -> list[Case]:
    boundary = orders_frame(["2025-01-31 23:59:59", "2025-02-01 00:00:00", "2025-04-10"], [1.0, 2.0, 3.0])
    single = orders_frame(["2025-06-30"], [4.0])
    nulls = orders_frame(["2025-01-05", "2025-02-05", "2025-03-05"], [1.0, None, 2.0])
    return [{"orders": boundary}, {"orders": single}, {"orders": nulls},
            {"orders": random_orders(rng, 30, 200, 60 * 24)}, {"orders": random_orders(rng, 8, 150, 60 * 24)}]


def monthly_revenue(orders: pd.DataFrame) -> pd.Series:
    """Revenue per calendar month (labelled by month end, 'ME'), empty months included as 0."""
    return orders.set_index("order_date")["amount"].resample("ME").sum()


def monthly_groupby_drops_empty(orders: pd.DataFrame) -> pd.Series:
    month_end = orders["order_date"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    return orders.groupby(month_end.rename("order_date"))["amount"].sum()


def monthly_month_start(orders: pd.DataFrame) -> pd.Series:
    return orders.set_index("order_date")["amount"].resample("MS").sum()


MONTHLY_REVENUE_SQL = """
WITH months AS (
    SELECT CAST(last_day(m) AS TIMESTAMP) AS month_end
    FROM generate_series((SELECT date_trunc('month', MIN(order_date)) FROM orders),
                         (SELECT date_trunc('month', MAX(order_date)) FROM orders),
                         INTERVAL 1 MONTH) AS g(m)
), sums AS (
    SELECT CAST(last_day(order_date) AS TIMESTAMP) AS month_end, SUM(amount) AS amount
    FROM orders GROUP BY 1
)
SELECT m.month_end AS order_date, COALESCE(s.amount, 0) AS amount
FROM months m LEFT JOIN sums s USING (month_end)
ORDER BY order_date
"""


def _month_totals(dates, values, fill):
    """(month-end labels, per-month values) from the first to the last month; ``fill`` where a month is empty."""
    sums: dict = {}
    for d, a in zip(dates, values):
        sums.setdefault((d.year, d.month), []).append(a)
    (y, m), end = min(sums), max(sums)
    labels, out = [], []
    while (y, m) <= end:
        labels.append(pd.Timestamp(year=y, month=m, day=1) + pd.offsets.MonthEnd(0))
        out.append(fill(sums.get((y, m), [])))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return labels, out


def monthly_revenue_periods(orders: pd.DataFrame) -> pd.Series:
    """Right answer: group by calendar month (Period), fill the gaps from a period_range, label by month end."""
    month = orders["order_date"].dt.to_period("M")
    sums = orders.groupby(month)["amount"].sum()
    sums = sums.reindex(pd.period_range(month.min(), month.max(), freq="M"), fill_value=0.0)
    labels = sums.index.to_timestamp(how="end").normalize()
    return pd.Series(sums.to_numpy(), index=pd.DatetimeIndex(labels, name="order_date"), name="amount")


def monthly_revenue_loop(orders: pd.DataFrame) -> pd.Series:
    """Right answer: a loop over (year, month) keys and a calendar walk."""
    labels, values = _month_totals(orders["order_date"], orders["amount"],
                                   lambda xs: float(sum(x for x in xs if not pd.isna(x))))
    return pd.Series(values, index=pd.DatetimeIndex(labels, name="order_date"), name="amount")


MONTHLY_RESAMPLE = Drill(
    id="monthly-resample", title="Monthly revenue with empty months", topic="time series", level=1,
    question=question("monthly-resample",
                      "`orders` has order_date and amount (amount may be null). Return a Series named 'amount', indexed "
                      "by month end (index name 'order_date'), with the revenue of every calendar month from the first "
                      "to the last order's month; months without orders (or with only null amounts) are 0.",
                      monthly_revenue, cases_monthly,
                      ["set_index('order_date') and resample to months.",
                       "pandas 3 spells month end 'ME' ('M' raises). 'MS' labels by month start.",
                       "groupby on a month key skips empty months; resample fills them."],
                      {"groupby on the month drops empty months": monthly_groupby_drops_empty,
                       "resample('MS') labels months by their first day": monthly_month_start},
                      right={"group by Period, reindex on period_range": monthly_revenue_periods,
                             "a loop and a calendar walk": monthly_revenue_loop}),
    example=example_monthly,
    sql=MONTHLY_REVENUE_SQL, sql_post=series("order_date", "amount"),
    complexity="O(N) binning; the calendar spine is O(months). SQL: generate_series spine LEFT JOIN sums.",
    listens_for=["Zero-filling is a decision: 0 revenue vs unknown; a calendar spine makes it explicit.",
                 "'ME' vs 'MS' labelling, and that 'M' was removed in pandas 3.",
                 "Timezone/boundary care: 23:59:59 on the 31st belongs to that month."])


# === month-over-month ================================================================================================

def month_over_month(orders: pd.DataFrame) -> pd.DataFrame:
    """Monthly revenue with the previous calendar month's revenue and growth (NaN when there is no base)."""
    revenue = orders.set_index("order_date")["amount"].resample("ME").sum()   # empty months are 0
    out = revenue.rename("revenue").rename_axis("month").reset_index()
    out["prev_revenue"] = out["revenue"].shift(1)
    out["growth"] = (out["revenue"] - out["prev_revenue"]) / out["prev_revenue"].where(out["prev_revenue"] != 0)
    return out


def mom_shift_over_active_months(orders: pd.DataFrame) -> pd.DataFrame:
    s = monthly_groupby_drops_empty(orders)
    full = monthly_revenue(orders)
    out = full.rename("revenue").rename_axis("month").reset_index()
    prev = s.shift(1).reindex(full.index)
    out["prev_revenue"] = prev.to_numpy()
    out["growth"] = (out["revenue"] - out["prev_revenue"]) / out["prev_revenue"].where(out["prev_revenue"] != 0)
    return out


def mom_pct_change(orders: pd.DataFrame) -> pd.DataFrame:
    out = monthly_revenue(orders).rename("revenue").rename_axis("month").reset_index()
    out["prev_revenue"] = out["revenue"].shift(1)
    out["growth"] = out["revenue"].pct_change()
    return out


MONTH_OVER_MONTH_SQL = """
WITH months AS (
    SELECT CAST(last_day(m) AS TIMESTAMP) AS month
    FROM generate_series((SELECT date_trunc('month', MIN(order_date)) FROM orders),
                         (SELECT date_trunc('month', MAX(order_date)) FROM orders),
                         INTERVAL 1 MONTH) AS g(m)
), sums AS (
    SELECT CAST(last_day(order_date) AS TIMESTAMP) AS month, SUM(amount) AS revenue FROM orders GROUP BY 1
), filled AS (
    SELECT m.month, COALESCE(s.revenue, 0) AS revenue FROM months m LEFT JOIN sums s USING (month)
)
SELECT month, revenue,
       LAG(revenue) OVER (ORDER BY month) AS prev_revenue,
       (revenue - LAG(revenue) OVER (ORDER BY month)) / NULLIF(LAG(revenue) OVER (ORDER BY month), 0) AS growth
FROM filled
ORDER BY month
"""


def month_over_month_periods(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: Period months, a filled range, then shift."""
    month = orders["order_date"].dt.to_period("M")
    rev = orders.groupby(month)["amount"].sum()
    rev = rev.reindex(pd.period_range(month.min(), month.max(), freq="M"), fill_value=0.0)
    out = pd.DataFrame({"month": rev.index.to_timestamp(how="end").normalize(), "revenue": rev.to_numpy()})
    out["prev_revenue"] = out["revenue"].shift()
    out["growth"] = (out["revenue"] - out["prev_revenue"]) / out["prev_revenue"].replace(0.0, np.nan)
    return out


def month_over_month_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop carrying the previous month's revenue."""
    labels, values = _month_totals(orders["order_date"], orders["amount"],
                                   lambda xs: float(sum(x for x in xs if not pd.isna(x))))
    rows, prev = [], np.nan
    for label, rev in zip(labels, values):
        growth = (rev - prev) / prev if not np.isnan(prev) and prev != 0 else np.nan
        rows.append((label, rev, prev, growth))
        prev = rev
    return pd.DataFrame(rows, columns=["month", "revenue", "prev_revenue", "growth"])


MONTH_OVER_MONTH = Drill(
    id="month-over-month", title="Month-over-month growth with LAG", topic="time series", level=2,
    question=question("month-over-month",
                      "`orders` has order_date and amount (may be null). Return month (month end), revenue (nulls "
                      "skipped; 0 for months without orders or with only null amounts; first to last month), prev_revenue (the previous CALENDAR month's revenue; NaN for the "
                      "first) and growth = (revenue - prev_revenue) / prev_revenue (NaN when prev_revenue is 0 or NaN).",
                      month_over_month, cases_monthly,
                      ["Build the full monthly series first (resample 'ME'), then shift.",
                       "shift(1) on a series with missing months compares with the wrong month.",
                       "pct_change turns a zero base into inf; the spec says NaN."],
                      {"shift over months with orders only (skips empty months)": mom_shift_over_active_months,
                       "pct_change: a zero base gives inf instead of NaN": mom_pct_change},
                      right={"Period months and shift": month_over_month_periods,
                             "a loop carrying the previous month": month_over_month_loop}, check_index=False),
    example=example_monthly,
    sql=MONTH_OVER_MONTH_SQL,
    complexity="O(N) to bin, O(months) for the window. SQL: LAG() OVER (ORDER BY month) on a filled spine.",
    listens_for=["'Previous row' vs 'previous period': fill the calendar before LAG/shift.",
                 "Division by a zero base handled deliberately (NULLIF).",
                 "Growth on a partial current month is misleading: mention the as-of cut."])


# === review-resample-m ===============================================================================================

def cases_mean_basket(rng: np.random.Generator) -> list[Case]:
    return [{"orders": example_monthly()["orders"]},
            {"orders": orders_frame(["2025-01-31 23:59:59", "2025-02-01", "2025-04-10"], [1.0, 2.0, 3.0])},
            {"orders": random_orders(rng, 25, 120, 60 * 24, null_rate=0.0)}]


def monthly_mean_basket(orders: pd.DataFrame) -> pd.Series:
    """Mean order amount per calendar month, labelled by month end ('ME'; 'M' is gone in pandas 3)."""
    return orders.set_index("order_date")["amount"].resample("ME").mean()


def mean_basket_resample_m(orders: pd.DataFrame) -> pd.Series:
    """The reviewed code: 'M' was removed in pandas 3 (ValueError: Invalid frequency)."""
    return orders.set_index("order_date").resample("M")["amount"].mean()


def mean_basket_month_start(orders: pd.DataFrame) -> pd.Series:
    return orders.set_index("order_date")["amount"].resample("MS").mean()


def monthly_mean_basket_on(orders: pd.DataFrame) -> pd.Series:
    """Right answer: resample with on= (month end 'ME')."""
    return orders.resample("ME", on="order_date")["amount"].mean()


def monthly_mean_basket_loop(orders: pd.DataFrame) -> pd.Series:
    """Right answer: a loop over calendar months; an empty month is NaN."""
    labels, values = _month_totals(orders["order_date"], orders["amount"],
                                   lambda xs: float(np.mean(xs)) if xs else np.nan)
    return pd.Series(values, index=pd.DatetimeIndex(labels, name="order_date"), name="amount")


REVIEW_RESAMPLE_M = Drill(
    id="review-resample-m", title="Review: monthly mean with resample('M')", topic="time series", level=1,
    code='''
def monthly_mean_basket(orders):
    """Mean order amount per month."""
    return orders.set_index("order_date").resample("M")["amount"].mean()
''',
    options={"A": "'M' was removed in pandas 3 (ValueError: Invalid frequency); month end is 'ME'.",
             "B": "resample needs on='order_date'.",
             "C": "mean should be sum.",
             "D": "set_index drops order_date."},
    answer="A",
    why="pandas 3 removed the 'M' alias (also 'H', 'Q', 'Y'): use 'ME', 'h', 'QE', 'YE'.",
    question=question("review-resample-m",
                      "Fix it: return the mean amount per calendar month as a Series named 'amount' indexed by month "
                      "end (index name 'order_date'), months without orders as NaN.",
                      monthly_mean_basket, cases_mean_basket,
                      ["The month-end alias is 'ME'."],
                      {"the code under review": mean_basket_resample_m,
                       "'MS' labels by month start": mean_basket_month_start},
                      right={"resample('ME', on=...)": monthly_mean_basket_on,
                             "a loop over months": monthly_mean_basket_loop}),
    example=example_monthly, complexity="O(N).",
    listens_for=["Knowing the pandas 3 alias changes.", "Month-end vs month-start labelling."])


# === review-series-column ============================================================================================

def cases_moving_average(rng: np.random.Generator) -> list[Case]:
    return [{"orders": orders_frame(["2025-03-01", "2025-03-03 10:00", "2025-03-03 11:00", "2025-03-12"],
                                    [1.0, 2.0, 3.0, 4.0])},
            {"orders": orders_frame(["2025-03-05 10:00"], [9.0])},
            {"orders": random_orders(rng, 30, 20, 360, null_rate=0.0)}]


def example_moving_average() -> Case:
    return cases_moving_average(np.random.default_rng(0))[0]


def daily_with_moving_average(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily revenue (empty days = 0) and its 7-day moving average, as a DataFrame (not a Series)."""
    daily = orders.set_index("order_date")["amount"].resample("D").sum().to_frame("revenue")
    daily["ma_7"] = daily["revenue"].rolling(7).mean()
    return daily


def moving_average_on_series(orders: pd.DataFrame) -> pd.Series:
    """The reviewed code: assigns a 'column' to a Series, which adds a row labelled 'ma_7' (or fails)."""
    daily = orders.set_index("order_date")["amount"].resample("D").sum()
    daily["ma_7"] = daily.rolling(7).mean()
    return daily


def moving_average_min_periods(orders: pd.DataFrame) -> pd.DataFrame:
    daily = orders.set_index("order_date")["amount"].resample("D").sum().to_frame("revenue")
    daily["ma_7"] = daily["revenue"].rolling(7, min_periods=1).mean()
    return daily


def daily_with_moving_average_reindex(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: daily sums reindexed on a full calendar, then a 7-row mean."""
    day = orders["order_date"].dt.normalize()
    sums = orders.groupby(day)["amount"].sum()
    sums = sums.reindex(pd.date_range(sums.index.min(), sums.index.max(), freq="D"), fill_value=0.0)
    out = pd.DataFrame({"revenue": sums.to_numpy()}, index=pd.DatetimeIndex(sums.index, name="order_date"))
    out["ma_7"] = out["revenue"].rolling(7).mean()
    return out


def daily_with_moving_average_cumsum(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: resample for the days, a cumulative-sum difference for the 7-day mean."""
    revenue = orders.set_index("order_date")["amount"].resample("D").sum()
    cs = np.concatenate([[0.0], np.cumsum(revenue.to_numpy())])
    ma = np.full(len(revenue), np.nan)
    ma[6:] = (cs[7:] - cs[:-7]) / 7
    return pd.DataFrame({"revenue": revenue.to_numpy(), "ma_7": ma}, index=revenue.index)


REVIEW_SERIES_COLUMN = Drill(
    id="review-series-column", title="Review: a moving average on a Series", topic="time series", level=2,
    code='''
def add_moving_average(orders):
    daily = orders.set_index("order_date")["amount"].resample("D").sum()
    daily["ma_7"] = daily.rolling(7).mean()
    return daily
''',
    options={"A": "rolling(7) needs min_periods=1.",
             "B": "resample('D') should be resample('1D').",
             "C": "`daily` is a Series: daily['ma_7'] = ... does not add a column, it tries to set a ROW "
                  "labelled 'ma_7'. Make a DataFrame first.",
             "D": "sum() should be mean()."},
    answer="C",
    why="Selecting one column gives a Series; item assignment on a Series sets a label. Use .to_frame('revenue') "
        "and then add 'ma_7' as a column.",
    question=question("review-series-column",
                      "Fix it (name it daily_with_moving_average): return a DataFrame indexed by day (index name "
                      "'order_date', empty days = 0) with columns revenue and ma_7 (mean of the last 7 days, NaN until 7 "
                      "days exist).",
                      daily_with_moving_average, cases_moving_average,
                      ["to_frame('revenue') first.", "rolling(7).mean() keeps NaN for the first 6 days."],
                      {"the code under review": moving_average_on_series,
                       "min_periods=1 invents averages from one day": moving_average_min_periods},
                      right={"reindex on a calendar, rolling(7)": daily_with_moving_average_reindex,
                             "cumulative sums": daily_with_moving_average_cumsum}),
    example=example_moving_average,
    complexity="O(N).",
    listens_for=["Series vs DataFrame, and what [] assignment means on each."])


# === review-now-recency ==============================================================================================

def cases_recency(rng: np.random.Generator) -> list[Case]:
    as_of = pd.Timestamp("2025-06-30")
    fixed = streak_frame([1, 1, 2], ["2025-06-29 23:00", "2025-01-01", "2025-06-30"])
    rand = streak_frame(int_ids(rng, 30, 6), list(minute_grid(rng, 30, 60, 360) + pd.Timedelta(days=60)))
    return [{"orders": fixed, "as_of": as_of}, {"orders": rand, "as_of": as_of},
            {"orders": rand, "as_of": pd.Timestamp("2025-07-15")}]


def example_recency() -> Case:
    return cases_recency(np.random.default_rng(0))[0]


def recency_days(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Days from each customer's last order to ``as_of`` (a parameter, never the wall clock)."""
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp(as_of) - last).dt.days.rename("recency_days")


def recency_now(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The reviewed code: ignores as_of and reads the wall clock, so the answer changes every day."""
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp.now() - last).dt.days.rename("recency_days")  # clock-ok: the trap this exercise is about


def recency_data_max(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    last = orders.groupby("customer_id")["order_date"].max()
    return (orders["order_date"].max() - last).dt.days.rename("recency_days")


def recency_days_floor(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Right answer: whole days by floor division of the timedelta (customers in order of appearance)."""
    last = orders.groupby("customer_id", sort=False)["order_date"].max()
    return ((pd.Timestamp(as_of) - last) // pd.Timedelta(days=1)).astype("int64").rename("recency_days")


def recency_days_loop(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Right answer: a loop keeping each customer's last order."""
    last: dict = {}
    for cid, t in zip(orders["customer_id"], orders["order_date"]):
        last[cid] = max(last.get(cid, t), t)
    days = [(pd.Timestamp(as_of) - t).days for t in last.values()]
    return pd.Series(days, index=pd.Index(list(last), name="customer_id"), name="recency_days")


REVIEW_NOW_RECENCY = Drill(
    id="review-now-recency", title="Review: recency with now()", topic="time series", level=1,
    code='''
def recency_days(orders):
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp.now() - last).dt.days  # clock-ok: the trap this exercise is about
''',
    options={"A": "dt.days should be dt.total_seconds().",
             "B": "It reads the wall clock: the result changes every day and cannot be tested or re-run for a "
                  "past date. Take an as_of parameter.",
             "C": "max should be min.",
             "D": "groupby needs as_index=False."},
    answer="B",
    why="A result that depends on when it ran is not reproducible. Pass as_of (the run's logical date).",
    question=question("review-now-recency",
                      "Fix it: recency_days(orders, as_of) returns a Series named 'recency_days' indexed by customer_id: "
                      "whole days from the customer's last order to as_of.",
                      recency_days, cases_recency,
                      ["Replace now() with the as_of argument."],
                      {"the code under review (ignores as_of)": recency_now,
                       "uses the data's max date as 'today'": recency_data_max},
                      right={"floor division of the timedelta": recency_days_floor,
                             "a loop": recency_days_loop}, check_order=False),
    example=example_recency, complexity="O(N).",
    listens_for=["as_of / logical date as a parameter everywhere.", "Backfills must reproduce history."])

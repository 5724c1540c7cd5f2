"""Window-function drills: a running total per store and a 7-day rolling sum over calendar days.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, dollars, orders_frame, question, random_orders, T0, ts
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 40


# === running-total ===================================================================================================

def example_running() -> Case:
    return {"orders": orders_frame(["2025-03-01 09:00", "2025-03-01 17:00", "2025-03-03 10:00", "2025-03-01 12:00"],
                                   [5.0, 3.0, 4.0, 6.0], [1, 1, 1, 2])}


def cases_running(rng: np.random.Generator) -> list[Case]:
    dup = orders_frame(["2025-03-01 09:00"] * 3 + ["2025-03-02 09:00"], [1.0, 2.0, None, 4.0], [1, 1, 1, 1])
    two = orders_frame(["2025-03-02", "2025-03-01", "2025-03-01", "2025-03-03"], [1.0, 2.0, 3.0, 4.0], [2, 1, 2, 1])
    all_null = orders_frame(["2025-03-01 09:00", "2025-03-01 10:00", "2025-03-02 09:00"], [None, None, 3.0], [1, 1, 1])
    return [{"orders": example_running()["orders"]}, {"orders": dup}, {"orders": two}, {"orders": all_null},
            {"orders": random_orders(rng, 40, 10, 240)}]


def running_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily revenue per store and its running total per store, ordered by day."""
    daily = (orders.assign(day=orders["order_date"].dt.normalize())
             .groupby(["store_id", "day"], as_index=False)["amount"].sum()
             .rename(columns={"amount": "revenue"}))
    daily["running_revenue"] = daily.groupby("store_id")["revenue"].cumsum()
    return daily


def running_total_not_per_store(orders: pd.DataFrame) -> pd.DataFrame:
    out = running_revenue(orders)
    out["running_revenue"] = out["revenue"].cumsum()
    return out


def running_total_per_row(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.sort_values(["store_id", "order_date"], kind="stable")
    out = pd.DataFrame({"store_id": o["store_id"], "day": o["order_date"].dt.normalize(), "revenue": o["amount"]})
    out["running_revenue"] = out.groupby("store_id")["revenue"].cumsum()
    return out.reset_index(drop=True)


RUNNING_REVENUE_SQL = """
WITH daily AS (
    SELECT store_id, CAST(date_trunc('day', order_date) AS TIMESTAMP) AS day, COALESCE(SUM(amount), 0) AS revenue
    FROM orders GROUP BY 1, 2
)
SELECT store_id, day, revenue,
       SUM(revenue) OVER (PARTITION BY store_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           AS running_revenue
FROM daily
ORDER BY store_id, day
"""


def running_revenue_floor(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: dt.floor('D'), a named groupby sum and transform('cumsum')."""
    o = orders.assign(day=orders["order_date"].dt.floor("D"))
    daily = o.groupby(["store_id", "day"])["amount"].sum().reset_index(name="revenue")
    daily["running_revenue"] = daily.groupby("store_id")["revenue"].transform("cumsum")
    return daily


def running_revenue_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: dictionaries, then one pass in (store, day) order."""
    sums: dict = {}
    for s, t, a in zip(orders["store_id"], orders["order_date"], orders["amount"]):
        key = (s, t.normalize())
        sums[key] = sums.get(key, 0.0) + (0.0 if pd.isna(a) else a)
    rows, run = [], {}
    for s, d in sorted(sums):
        run[s] = run.get(s, 0.0) + sums[(s, d)]
        rows.append((s, d, sums[(s, d)], run[s]))
    return pd.DataFrame(rows, columns=["store_id", "day", "revenue", "running_revenue"])


RUNNING_TOTAL = Drill(
    id="running-total", title="Running revenue per store", topic="window functions", level=1,
    question=question("running-total",
                      "`orders` has store_id, order_date (timestamps, several per day) and amount (may be null). Return "
                      "store_id, day (midnight), revenue (the day's sum, nulls skipped; 0 when all are null) and running_revenue (cumulative per store, in "
                      "day order), one row per store and day with orders, sorted by store_id, day.",
                      running_revenue, cases_running,
                      ["Aggregate to one row per (store, day) first, then accumulate.",
                       "groupby('store_id')['revenue'].cumsum() restarts for every store.",
                       "SQL: SUM(revenue) OVER (PARTITION BY store_id ORDER BY day ROWS UNBOUNDED PRECEDING)."],
                      {"cumsum over the whole frame, not per store": running_total_not_per_store,
                       "running sum per order line before aggregating to days": running_total_per_row},
                      right={"floor, groupby, transform('cumsum')": running_revenue_floor,
                             "a loop over sorted days": running_revenue_loop}, check_index=False),
    example=example_running,
    sql=RUNNING_REVENUE_SQL,
    complexity="O(N log N) (sort by store, day) then O(N) cumsum.",
    listens_for=["PARTITION BY (restart per store) and ORDER BY (what 'running' means).",
                 "ROWS vs RANGE frames: with duplicate order keys RANGE sums ties together.",
                 "The grain decided before the window: lines, orders or days."])


# === rolling-7-days ==================================================================================================

def daily_frame(store_id, day, revenue) -> pd.DataFrame:
    return pd.DataFrame({"store_id": pd.Series(store_id, dtype="int64"), "day": ts(day),
                         "revenue": pd.Series(revenue, dtype="float64")})


def example_rolling() -> Case:
    return {"daily": daily_frame([1, 1, 1, 1], ["2025-03-01", "2025-03-02", "2025-03-08", "2025-03-09"],
                                 [10.0, 20.0, 30.0, 40.0])}


def cases_rolling(rng: np.random.Generator) -> list[Case]:
    gaps = daily_frame([1] * 5 + [2] * 2, ["2025-03-01", "2025-03-03", "2025-03-07", "2025-03-08", "2025-03-20",
                                           "2025-03-01", "2025-03-02"], [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0])
    only_null = daily_frame([1, 1, 1, 2], ["2025-03-01", "2025-03-05", "2025-03-12", "2025-03-01"],
                            [None, 2.0, None, None])
    out = [{"daily": example_rolling()["daily"]}, {"daily": gaps}, {"daily": only_null}]
    for n_days in (12, 30):
        frames = []
        for store in (1, 2, 3):
            days = np.sort(rng.choice(40, size=n_days, replace=False))
            frames.append(daily_frame([store] * n_days, list(T0 + pd.to_timedelta(days, unit="D")),
                                      dollars(rng, n_days, 50, 0.1)))
        d = pd.concat(frames, ignore_index=True)
        out.append({"daily": d.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)})
    return out


def rolling_7day(daily: pd.DataFrame) -> pd.DataFrame:
    """Add rev_7d: the store's revenue over the 7 calendar days ending on each day (gaps count as days)."""
    d = daily.sort_values(["store_id", "day"]).reset_index(drop=True)
    rolled = d.set_index("day").groupby("store_id")["revenue"].rolling("7D").sum()
    d["rev_7d"] = rolled.to_numpy()
    return d


def rolling_seven_rows(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values(["store_id", "day"]).reset_index(drop=True)
    d["rev_7d"] = d.groupby("store_id")["revenue"].rolling(7, min_periods=1).sum().to_numpy()
    return d


def rolling_ignores_store(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values(["day", "store_id"]).reset_index(drop=True)
    d["rev_7d"] = d.rolling("7D", on="day")["revenue"].sum()
    return d.sort_values(["store_id", "day"]).reset_index(drop=True)


ROLLING_7DAY_SQL = """
SELECT store_id, day, revenue,
       SUM(revenue) OVER (PARTITION BY store_id ORDER BY day
                          RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS rev_7d
FROM daily
ORDER BY store_id, day
"""


def rolling_7day_calendar(daily: pd.DataFrame) -> pd.DataFrame:
    """Right answer: reindex each store on a full calendar, then a 7-row window."""
    parts = []
    for _, g in daily.groupby("store_id"):
        g = g.sort_values("day")
        s = g.set_index("day")["revenue"]
        full = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="D"))
        rolled = full.rolling(7, min_periods=1).sum()
        parts.append(g.assign(rev_7d=rolled.reindex(g["day"]).to_numpy()))
    return pd.concat(parts).sort_values(["store_id", "day"])


def rolling_7day_loop(daily: pd.DataFrame) -> pd.DataFrame:
    """Right answer: for each row, sum the store's rows of the 7 days ending that day (NaN if none is known)."""
    d = daily.sort_values(["store_id", "day"])
    values = []
    for s, day in zip(d["store_id"], d["day"]):
        w = d.loc[(d["store_id"] == s) & (d["day"] > day - pd.Timedelta(days=7)) & (d["day"] <= day), "revenue"]
        values.append(w.sum() if w.notna().any() else np.nan)
    return d.assign(rev_7d=values)


ROLLING_7_DAYS = Drill(
    id="rolling-7-days", title="7-day rolling revenue over calendar days", topic="window functions", level=2,
    question=question("rolling-7-days",
                      "`daily` has store_id, day and revenue (one row per store and day, days may be missing, revenue "
                      "may be null). Add rev_7d: the store's revenue over the 7 calendar days ending on that day "
                      "(missing days count as days; null revenues are skipped; NaN when those 7 days hold no non-null "
                      "revenue). Return it sorted by store_id, day.",
                      rolling_7day, cases_rolling,
                      ["rolling(7) counts rows; the spec counts days.",
                       "A time-based window: rolling('7D', on='day') or set_index('day') then rolling('7D').",
                       "Group by store first so windows never cross stores."],
                      {"rolling(7) counts rows, not calendar days": rolling_seven_rows,
                       "window ignores the store (mixes stores)": rolling_ignores_store},
                      right={"a full calendar per store, rolling(7)": rolling_7day_calendar,
                             "a loop over windows": rolling_7day_loop}, check_index=False),
    example=example_rolling,
    sql=ROLLING_7DAY_SQL,
    complexity="O(N) with a sliding sum after an O(N log N) sort. SQL: RANGE BETWEEN INTERVAL 6 DAYS PRECEDING.",
    listens_for=["Rows vs time windows, and what a gap in the data means.",
                 "The inclusive bound: 7 days ending today is 6 PRECEDING plus CURRENT ROW.",
                 "Alternative: reindex to a full calendar first, then rolling(7)."])

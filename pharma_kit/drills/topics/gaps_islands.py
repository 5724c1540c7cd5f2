"""Gaps-and-islands drills: runs of consecutive purchase days and the longest run per customer.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, example_streaks, int_ids, minute_grid, question, streak_frame, with_nat
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 60


# === gaps-and-islands ================================================================================================

def cases_streaks(rng: np.random.Generator) -> list[Case]:
    hours = streak_frame([1, 1, 1, 2, 2], ["2025-03-01 23:00", "2025-03-02 01:00", "2025-03-03 23:30",
                                           "2025-03-01 08:00", "2025-03-02 20:00"])
    nat = streak_frame([3, 3, 3, 4], ["2025-03-01", None, "2025-03-02", None])
    n = 60
    rand = streak_frame(int_ids(rng, n, 5), list(with_nat(rng, minute_grid(rng, n, 20, 360), 0.05)))
    return [{"orders": example_streaks()["orders"]}, {"orders": hours}, {"orders": nat}, {"orders": rand}]


def purchase_streaks(orders: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive calendar days with a purchase, per customer (several orders a day count once)."""
    d = (orders.dropna(subset=["order_date"])
         .assign(day=lambda f: f["order_date"].dt.normalize())[["customer_id", "day"]]
         .drop_duplicates().sort_values(["customer_id", "day"]))
    new_island = d.groupby("customer_id")["day"].diff() != pd.Timedelta(days=1)
    d["island"] = new_island.cumsum()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "size"))
    return out.reset_index().drop(columns="island")


def streaks_no_distinct_days(orders: pd.DataFrame) -> pd.DataFrame:
    d = (orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())
         .sort_values(["customer_id", "day"]))
    d["island"] = (d.groupby("customer_id")["day"].diff() != pd.Timedelta(days=1)).cumsum()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "size"))
    return out.reset_index().drop(columns="island")


def streaks_24h_apart(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date"])
    d = d.drop_duplicates(["customer_id", "order_date"])
    d["island"] = (d.groupby("customer_id")["order_date"].diff() > pd.Timedelta(days=1)).cumsum()
    d["day"] = d["order_date"].dt.normalize()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "nunique"))
    return out.reset_index().drop(columns="island")


_STREAKS_CTE = """
WITH d AS (
    SELECT DISTINCT customer_id, CAST(order_date AS DATE) AS day FROM orders WHERE order_date IS NOT NULL
), g AS (
    SELECT customer_id, day,
           day - CAST(ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day) AS INTEGER) AS island
    FROM d
), streaks AS (
    SELECT customer_id, CAST(MIN(day) AS TIMESTAMP) AS start, CAST(MAX(day) AS TIMESTAMP) AS "end",
           COUNT(*) AS days
    FROM g GROUP BY customer_id, island
)
"""


PURCHASE_STREAKS_SQL = _STREAKS_CTE + "SELECT * FROM streaks ORDER BY customer_id, start\n"


def _islands_loop(orders: pd.DataFrame) -> list[tuple]:
    """(customer_id, start, end, days) for every run of consecutive purchase days, by a plain loop."""
    days: dict = {}
    for c, t in zip(orders["customer_id"], orders["order_date"]):
        if not pd.isna(t):
            days.setdefault(c, set()).add(t.normalize())
    rows = []
    for c in sorted(days):
        run: list = []
        for d in sorted(days[c]):
            if run and d - run[-1] != pd.Timedelta(days=1):
                rows.append((c, run[0], run[-1], len(run)))
                run = []
            run.append(d)
        rows.append((c, run[0], run[-1], len(run)))
    return rows


def purchase_streaks_row_number(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: day minus row number is constant within an island."""
    o = orders.dropna(subset=["order_date"])
    d = pd.DataFrame({"customer_id": o["customer_id"], "day": o["order_date"].dt.floor("D")}).drop_duplicates()
    d = d.sort_values(["customer_id", "day"])
    d["key"] = d["day"] - pd.to_timedelta(d.groupby("customer_id").cumcount(), unit="D")
    out = d.groupby(["customer_id", "key"])["day"].agg(["min", "max", "count"]).reset_index()
    return out.rename(columns={"min": "start", "max": "end", "count": "days"})[["customer_id", "start", "end", "days"]]


def purchase_streaks_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop over each customer's sorted distinct days."""
    return pd.DataFrame(_islands_loop(orders), columns=["customer_id", "start", "end", "days"])


GAPS_AND_ISLANDS = Drill(
    id="gaps-and-islands", title="Consecutive purchase days (gaps and islands)", topic="gaps and islands", level=3,
    question=question("gaps-and-islands",
                      "`orders` has order_id, customer_id, order_date (timestamps; several per day; may be NaT). For "
                      "each customer, find runs of consecutive CALENDAR days with at least one order. Return "
                      "customer_id, start, end (midnight timestamps) and days (run length), sorted by customer_id, "
                      "start. Rows without a date are ignored.",
                      purchase_streaks, cases_streaks,
                      ["Reduce to distinct (customer, day) pairs first.",
                       "A new island starts where the gap to the previous day is not exactly 1 day; cumsum the flags.",
                       "SQL trick: day - ROW_NUMBER() is constant within an island."],
                      {"repeat orders on one day break the streak (no distinct days)": streaks_no_distinct_days,
                       "compares timestamps 24 h apart instead of calendar days": streaks_24h_apart},
                      right={"day minus row number": purchase_streaks_row_number,
                             "a loop over sorted days": purchase_streaks_loop}, check_index=False),
    example=example_streaks,
    sql=PURCHASE_STREAKS_SQL,
    complexity="O(N log N) sort, then O(N) diff/cumsum and one groupby.",
    listens_for=["The 'date minus row number' invariant, explained in one sentence.",
                 "Calendar days vs 24-hour gaps; de-duplicate days first.",
                 "Vectorised diff/cumsum, not a Python loop over rows."])


# === longest-streak ==================================================================================================

def longest_streak(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's longest run of consecutive purchase days."""
    d = (orders.dropna(subset=["order_date"])
         .assign(day=lambda f: f["order_date"].dt.normalize())[["customer_id", "day"]]
         .drop_duplicates().sort_values(["customer_id", "day"]))
    d["island"] = (d.groupby("customer_id")["day"].diff() != pd.Timedelta(days=1)).cumsum()
    sizes = d.groupby(["customer_id", "island"], as_index=False).size()
    return sizes.groupby("customer_id", as_index=False)["size"].max().rename(columns={"size": "longest"})


def longest_distinct_days(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["order_date"])
    return (d.assign(day=d["order_date"].dt.normalize()).groupby("customer_id", as_index=False)["day"].nunique()
            .rename(columns={"day": "longest"}))


def longest_counts_all_pairs(orders: pd.DataFrame) -> pd.DataFrame:
    d = (orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())
         [["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"]))
    d["step"] = d.groupby("customer_id")["day"].diff() == pd.Timedelta(days=1)
    out = d.groupby("customer_id", as_index=False)["step"].sum().rename(columns={"step": "longest"})
    out["longest"] = out["longest"] + 1
    return out


LONGEST_STREAK_SQL = _STREAKS_CTE + """
SELECT customer_id, MAX(days) AS longest FROM streaks GROUP BY customer_id ORDER BY customer_id
"""


def longest_streak_row_number(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: islands by day minus row number, then the largest island per customer."""
    o = orders.dropna(subset=["order_date"])
    d = pd.DataFrame({"customer_id": o["customer_id"], "day": o["order_date"].dt.normalize()}).drop_duplicates()
    d = d.sort_values(["customer_id", "day"])
    key = d["day"] - pd.to_timedelta(d.groupby("customer_id").cumcount(), unit="D")
    sizes = d.groupby([d["customer_id"], key]).size()
    return sizes.groupby(level=0).max().rename("longest").rename_axis("customer_id").reset_index()


def longest_streak_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: the loop's islands, the maximum per customer."""
    best: dict = {}
    for c, _, _, n in _islands_loop(orders):
        best[c] = max(best.get(c, 0), n)
    return pd.DataFrame(sorted(best.items()), columns=["customer_id", "longest"])


LONGEST_STREAK = Drill(
    id="longest-streak", title="Longest purchase streak per customer", topic="gaps and islands", level=2,
    question=question("longest-streak",
                      "Same input as gaps-and-islands. Return customer_id and longest (the length in days of the "
                      "customer's longest run of consecutive purchase days), sorted by customer_id; customers with no "
                      "dated order are left out.",
                      longest_streak, cases_streaks,
                      ["Find the islands first; then it's a max per customer.",
                       "Counting days with orders is not a streak; counting all 1-day steps ignores the breaks.",
                       "Once every run has its length, the answer is one aggregate per customer."],
                      {"counts distinct purchase days, not consecutive ones": longest_distinct_days,
                       "counts every 1-day step, ignoring breaks": longest_counts_all_pairs},
                      right={"islands by row number, max size": longest_streak_row_number,
                             "a loop": longest_streak_loop}, check_index=False),
    example=example_streaks,
    sql=LONGEST_STREAK_SQL,
    complexity="O(N log N): the islands, then O(islands) for the max.",
    listens_for=["Reuse of the islands building block rather than a new loop.",
                 "Edge cases named: one order only, same-day repeats, missing dates."])

"""Reshaping drills: pivot to one column per month, and unpivot quarters back to a long table.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, dollars, orders_frame, question, random_orders
from pharma_kit.drills.model import Drill
from pharma_kit.drills.sql import indexed

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 110


# === pivot ===========================================================================================================

def example_pivot() -> Case:
    return {"orders": orders_frame(["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-04"], [5.0, 2.0, 4.0, 1.0],
                                   [1, 1, 1, 2])}


def cases_pivot(rng: np.random.Generator) -> list[Case]:
    nulls = orders_frame(["2025-01-05", "2025-03-01", "2025-03-02"], [None, 2.0, 3.0], [2, 1, 2])
    return [example_pivot(), {"orders": nulls}, {"orders": random_orders(rng, 30, 120, 60 * 24)},
            {"orders": random_orders(rng, 6, 90, 60 * 24)}]


def store_month_pivot(orders: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per store, one column per 'YYYY-MM' month, revenue summed, 0 where nothing sold."""
    month = orders["order_date"].dt.strftime("%Y-%m").rename("month")
    wide = orders.groupby(["store_id", month])["amount"].sum().unstack("month", fill_value=0.0)
    wide.columns.name = None
    return wide


def pivot_mean(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.assign(month=orders["order_date"].dt.strftime("%Y-%m"))
    p = o.pivot_table(index="store_id", columns="month", values="amount", aggfunc="mean", fill_value=0)
    p.columns.name = None
    return p


def pivot_no_fill(orders: pd.DataFrame) -> pd.DataFrame:
    month = orders["order_date"].dt.strftime("%Y-%m").rename("month")
    wide = orders.groupby(["store_id", month])["amount"].sum().unstack("month")
    wide.columns.name = None
    return wide


STORE_MONTH_PIVOT_SQL = """
PIVOT (SELECT store_id, strftime(order_date, '%Y-%m') AS month, amount FROM orders)
ON month USING COALESCE(SUM(amount), 0)
GROUP BY store_id
ORDER BY store_id
"""


def store_month_pivot_table(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: pivot_table over a 'YYYY-MM' text column (month order = text order)."""
    o = orders.assign(month=orders["order_date"].dt.to_period("M").astype(str), amount=orders["amount"].fillna(0.0))
    wide = o.pivot_table(index="store_id", columns="month", values="amount", aggfunc="sum", fill_value=0.0)
    return wide.sort_index(axis=1)


def store_month_pivot_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a dict of dicts, then a DataFrame (stores in order of appearance)."""
    cells: dict = {}
    for s, t, a in zip(orders["store_id"], orders["order_date"], orders["amount"]):
        row = cells.setdefault(s, {})
        key = f"{t.year:04d}-{t.month:02d}"
        row[key] = row.get(key, 0.0) + (0.0 if pd.isna(a) else a)
    months = sorted({m for row in cells.values() for m in row})
    out = pd.DataFrame([[row.get(m, 0.0) for m in months] for row in cells.values()], columns=months,
                       index=pd.Index(list(cells), name="store_id"))
    return out


PIVOT = Drill(
    id="pivot", title="Pivot: stores x months", topic="reshaping", level=1,
    question=question("pivot",
                      "`orders` has store_id, order_date and amount (may be null). Return a wide table: index store_id, "
                      "one column per month present in the data named 'YYYY-MM' (sorted), values = revenue summed "
                      "(nulls skipped), 0 where a store sold nothing that month or only null amounts.",
                      store_month_pivot, cases_pivot,
                      ["Make a month key with dt.strftime('%Y-%m').",
                       "groupby([...]).sum().unstack(fill_value=0) or pivot_table(aggfunc='sum', fill_value=0).",
                       "pivot_table's default aggfunc is the mean."],
                      {"pivot_table's default aggfunc is the mean": pivot_mean,
                       "missing store-months left as NaN": pivot_no_fill},
                      right={"pivot_table": store_month_pivot_table,
                             "a dict of dicts": store_month_pivot_loop}, check_order=False),
    example=example_pivot,
    sql=STORE_MONTH_PIVOT_SQL, sql_post=indexed("store_id"),
    complexity="O(N) aggregation; output is stores x months cells.",
    listens_for=["pivot (unique pairs, raises on duplicates) vs pivot_table (aggregates).",
                 "Missing cell = 0 or unknown: a stated choice.",
                 "Wide tables are for display; keep long tables for storage and joins."])


# === unpivot =========================================================================================================

def wide_frame(store_id, q1, q2, q3, q4) -> pd.DataFrame:
    f = lambda v: pd.Series(v, dtype="float64")  # noqa: E731
    return pd.DataFrame({"store_id": pd.Series(store_id, dtype="int64"), "q1": f(q1), "q2": f(q2), "q3": f(q3),
                         "q4": f(q4)})


def example_unpivot() -> Case:
    return {"wide": wide_frame([2, 1], [5.0, 1.0], [None, 2.0], [7.0, 3.0], [8.0, None])}


def cases_unpivot(rng: np.random.Generator) -> list[Case]:
    all_null = wide_frame([1, 2], [None, 1.0], [None, 1.0], [None, 1.0], [None, 1.0])
    n = 12
    vals = [dollars(rng, n, 40, 0.25) for _ in range(4)]
    return [example_unpivot(), {"wide": all_null}, {"wide": wide_frame(rng.permutation(n) + 1, *vals)}]


def unpivot_quarters(wide: pd.DataFrame) -> pd.DataFrame:
    """Long table (store_id, quarter, sales) from one column per quarter; empty cells are dropped."""
    long = wide.melt(id_vars="store_id", var_name="quarter", value_name="sales").dropna(subset=["sales"])
    return long.sort_values(["store_id", "quarter"]).reset_index(drop=True)


def melt_keeps_nulls(wide: pd.DataFrame) -> pd.DataFrame:
    long = wide.melt(id_vars="store_id", var_name="quarter", value_name="sales")
    return long.sort_values(["store_id", "quarter"]).reset_index(drop=True)


def melt_unsorted(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.melt(id_vars="store_id", var_name="quarter", value_name="sales").dropna().reset_index(drop=True)


UNPIVOT_QUARTERS_SQL = """
SELECT * FROM (UNPIVOT wide ON COLUMNS(* EXCLUDE (store_id)) INTO NAME quarter VALUE sales)
ORDER BY store_id, quarter
"""


def unpivot_stack(wide: pd.DataFrame) -> pd.DataFrame:
    """Right answer: stack the quarter columns, drop the empty cells."""
    long = wide.set_index("store_id")[["q1", "q2", "q3", "q4"]].stack().dropna()
    long = long.rename_axis(["store_id", "quarter"]).rename("sales").reset_index()
    return long.sort_values(["store_id", "quarter"])


def unpivot_loop(wide: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop over rows and quarter columns."""
    rows = [(s, q, v) for s, *vals in wide[["store_id", "q1", "q2", "q3", "q4"]].itertuples(index=False)
            for q, v in zip(["q1", "q2", "q3", "q4"], vals) if not pd.isna(v)]
    return pd.DataFrame(sorted(rows), columns=["store_id", "quarter", "sales"])


UNPIVOT = Drill(
    id="unpivot", title="Unpivot quarters into rows", topic="reshaping", level=1,
    question=question("unpivot",
                      "`wide` has store_id and columns q1..q4 (sales, may be null). Return the long table store_id, "
                      "quarter ('q1'...), sales, without the empty cells, sorted by store_id, quarter.",
                      unpivot_quarters, cases_unpivot,
                      ["melt(id_vars='store_id', var_name=..., value_name=...).",
                       "Drop the null cells and sort: melt returns quarter-major order."],
                      {"melt keeps the empty cells as rows": melt_keeps_nulls,
                       "melt's quarter-major order left unsorted": melt_unsorted},
                      right={"stack and dropna": unpivot_stack,
                             "a loop over cells": unpivot_loop}, check_index=False),
    example=example_unpivot,
    sql=UNPIVOT_QUARTERS_SQL,
    complexity="O(stores x quarters).",
    listens_for=["melt/UNPIVOT and that DuckDB's UNPIVOT drops NULLs by default (INCLUDE NULLS keeps them).",
                 "Long format as the tidy, joinable storage shape."])

"""Ranking drills: top-N per group with SQL RANK ties, and the second-highest distinct value per customer.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, cases_lines, dollars, int_ids, latest_order_frame, lines_frame, question
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 50


# === top-n-per-group =================================================================================================

def cases_top_n(rng: np.random.Generator) -> list[Case]:
    ties = lines_frame([1, 2, 3, 4], [1, 1, 1, 1], [10, 11, 12, 13], [5.0, 5.0, 5.0, 2.0], ["2025-03-01"] * 4)
    out = [{"lines": ties, "n": 1}, {"lines": ties, "n": 3}]
    return out + [dict(case, n=n) for case, n in zip(cases_lines(rng), (1, 2, 1, 2, 3))]


def example_top_n() -> Case:
    return {"lines": lines_frame([1, 2, 3, 4, 5], [1] * 5, [10, 11, 12, 10, 13], [5.0, 8.0, 8.0, 3.0, 1.0],
                                 ["2025-03-01"] * 5), "n": 2}


def top_products(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    """Per store, every product whose revenue RANK (1, 1, 3 style) is <= n."""
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev["rank"] = rev.groupby("store_id")["revenue"].rank(method="min", ascending=False).astype("int64")
    return rev[rev["rank"] <= n].sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


def top_head_drops_ties(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev = rev.sort_values(["store_id", "revenue", "product_id"], ascending=[True, False, True])
    top = rev.groupby("store_id").head(n).copy()
    top["rank"] = top.groupby("store_id")["revenue"].rank(method="min", ascending=False).astype("int64")
    return top.sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


def top_global(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev["rank"] = rev["revenue"].rank(method="min", ascending=False).astype("int64")
    return rev[rev["rank"] <= n].sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


TOP_PRODUCTS_SQL = """
WITH rev AS (
    SELECT store_id, product_id, COALESCE(SUM(amount), 0) AS revenue FROM lines GROUP BY store_id, product_id
), ranked AS (
    SELECT *, RANK() OVER (PARTITION BY store_id ORDER BY revenue DESC) AS rank FROM rev
)
SELECT * FROM ranked WHERE rank <= $n ORDER BY store_id, rank, product_id
"""


def top_products_count_greater(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    """Right answer: RANK = 1 + how many products of the store earn strictly more."""
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev["rank"] = [1 + int((rev.loc[rev["store_id"] == s, "revenue"] > r).sum())
                   for s, r in zip(rev["store_id"], rev["revenue"])]
    rev["rank"] = rev["rank"].astype("int64")
    return rev[rev["rank"] <= n].sort_values(["store_id", "rank", "product_id"])


def top_products_nlargest(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    """Right answer: nlargest(n, keep='all') per store keeps the ties at the boundary."""
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    parts = []
    for _, g in rev.groupby("store_id"):
        top = g.nlargest(n, "revenue", keep="all")
        parts.append(top.assign(rank=top["revenue"].rank(method="min", ascending=False).astype("int64")))
    if not parts:
        return rev.assign(rank=pd.Series(dtype="int64"))
    return pd.concat(parts).sort_values(["store_id", "rank", "product_id"])


TOP_N_PER_GROUP = Drill(
    id="top-n-per-group", title="Top-N products per store, with ties", topic="ranking", level=2,
    question=question("top-n-per-group",
                      "`lines` has store_id, product_id and amount (may be null). Revenue is the sum per (store, "
                      "product), nulls skipped (0 when all are null). Return every product whose revenue rank within its store is <= n, where tied revenues "
                      "share a rank and the next rank skips (SQL RANK: 1, 1, 3). Columns store_id, product_id, revenue, "
                      "rank (int); sorted by store_id, rank, product_id.",
                      top_products, cases_top_n,
                      ["Aggregate to revenue per (store, product) first.",
                       "rank(method='min', ascending=False) within each store gives 1, 1, 3 for ties.",
                       "head(n) after sorting is ROW_NUMBER: it drops a product tied at the boundary."],
                      {"head(n) after sorting drops tied products (ROW_NUMBER, not RANK)": top_head_drops_ties,
                       "global top n instead of per store": top_global},
                      right={"1 + count of larger revenues": top_products_count_greater,
                             "nlargest(keep='all') per store": top_products_nlargest}, check_index=False),
    example=example_top_n,
    sql=TOP_PRODUCTS_SQL,
    complexity="O(N) aggregate, O(P log P) rank within stores. nlargest per group is O(P log n).",
    listens_for=["ROW_NUMBER vs RANK vs DENSE_RANK, chosen on purpose for ties.",
                 "Per-group, not global: PARTITION BY store_id.",
                 "Filtering on a window needs QUALIFY or a subquery (not WHERE)."])


# === second-highest ==================================================================================================

def example_second() -> Case:
    return {"orders": latest_order_frame([1, 1, 1, 2], [1, 2, 3, 4], ["2025-03-01"] * 4, [9.0, 9.0, 4.0, 5.0])}


def cases_second(rng: np.random.Generator) -> list[Case]:
    odd = latest_order_frame([1, 1, 2, 2, 3], [1, 2, 3, 4, 5], ["2025-03-01"] * 5, [7.0, 7.0, None, 3.0, None])
    n = 40
    rand = latest_order_frame(int_ids(rng, n, 10), np.arange(1, n + 1), ["2025-03-01"] * n, dollars(rng, n, 6, 0.1))
    return [example_second(), {"orders": odd}, {"orders": rand}]


def second_highest_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's second-highest DISTINCT order amount (NaN when there is none); every customer listed."""
    d = orders.dropna(subset=["amount"]).drop_duplicates(["customer_id", "amount"])
    rank = d.groupby("customer_id")["amount"].rank(method="first", ascending=False)
    second = d.loc[rank == 2].set_index("customer_id")["amount"]
    ids = pd.Index(orders["customer_id"].unique(), name="customer_id").sort_values()
    return second.reindex(ids).rename("second_highest").reset_index()


def second_not_distinct(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["amount"]).sort_values(["customer_id", "amount"], ascending=[True, False])
    second = d.groupby("customer_id")["amount"].nth(1)
    second = pd.Series(second.to_numpy(), index=d.loc[second.index, "customer_id"].to_numpy())
    ids = pd.Index(orders["customer_id"].unique(), name="customer_id").sort_values()
    return second.reindex(ids).rename("second_highest").reset_index()


def second_inner(orders: pd.DataFrame) -> pd.DataFrame:
    return second_highest_order(orders).dropna(subset=["second_highest"]).reset_index(drop=True)


SECOND_HIGHEST_ORDER_SQL = """
WITH d AS (SELECT DISTINCT customer_id, amount FROM orders WHERE amount IS NOT NULL),
r AS (SELECT *, DENSE_RANK() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rk FROM d),
c AS (SELECT DISTINCT customer_id FROM orders)
SELECT c.customer_id, r.amount AS second_highest
FROM c LEFT JOIN r ON r.customer_id = c.customer_id AND r.rk = 2
ORDER BY c.customer_id
"""


def second_highest_sets(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a sorted set of known amounts per customer."""
    rows = []
    for cid, g in orders.groupby("customer_id"):
        values = sorted(set(g["amount"].dropna()), reverse=True)
        rows.append((cid, values[1] if len(values) > 1 else np.nan))
    return pd.DataFrame(rows, columns=["customer_id", "second_highest"])


def second_highest_agg(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: distinct amounts sorted descending, the second per customer, reindexed on every customer."""
    d = (orders.dropna(subset=["amount"]).drop_duplicates(["customer_id", "amount"])
         .sort_values(["customer_id", "amount"], ascending=[True, False]))
    second = d.groupby("customer_id")["amount"].agg(lambda v: v.iloc[1] if len(v) > 1 else np.nan)
    ids = np.sort(orders["customer_id"].unique())
    return pd.DataFrame({"customer_id": ids, "second_highest": second.reindex(ids).to_numpy()})


SECOND_HIGHEST = Drill(
    id="second-highest", title="Second-highest distinct order per customer", topic="ranking", level=2,
    question=question("second-highest",
                      "`orders` has customer_id, order_id, order_date, amount (may be null). For EVERY customer, return "
                      "the second-highest distinct amount (NaN if there is none). Columns customer_id, second_highest, "
                      "sorted by customer_id.",
                      second_highest_order, cases_second,
                      ["'Distinct' first: drop duplicate (customer, amount) pairs.",
                       "Rank within customer descending and keep rank 2 (DENSE_RANK in SQL).",
                       "Customers without a second value still appear: reindex on all customers."],
                      {"nlargest/nth without distinct: a repeated top amount becomes 'second'": second_not_distinct,
                       "customers without a second value are dropped": second_inner},
                      right={"a sorted set per customer": second_highest_sets,
                             "distinct, sorted, second row": second_highest_agg}, check_index=False),
    example=example_second,
    sql=SECOND_HIGHEST_ORDER_SQL,
    complexity="O(N log N) sort or O(N) with a per-group top-2 scan.",
    listens_for=["DENSE_RANK (distinct values) vs ROW_NUMBER (rows).",
                 "LEFT JOIN back to all customers so nobody silently disappears.",
                 "Nulls excluded from ranking, explicitly."])

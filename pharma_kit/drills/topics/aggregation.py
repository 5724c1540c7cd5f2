"""Aggregation drills: named aggregation, median per group, percent of total, and the reviews of qcut on ties and of a
chunked mean of means.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, cases_lines, example_lines, int_ids, lines_frame, question, random_lines
from pharma_kit.drills.model import Drill
from pharma_kit.drills.sql import indexed

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 20


# === named-aggregation ===============================================================================================

def customer_summary(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per customer with named aggregations (no Python-level apply)."""
    return lines.groupby("customer_id").agg(
        total_amount=("amount", "sum"),
        avg_line_amount=("amount", "mean"),
        orders=("order_id", "nunique"),
        first_order=("order_date", "min"),
        last_order=("order_date", "max"),
        products=("product_id", "nunique"),
    )


def summary_apply_len(lines: pd.DataFrame) -> pd.DataFrame:
    def per_customer(g: pd.DataFrame) -> pd.Series:
        return pd.Series({"total_amount": g["amount"].sum(), "avg_line_amount": g["amount"].mean(),
                          "orders": len(g), "first_order": g["order_date"].min(),
                          "last_order": g["order_date"].max(), "products": g["product_id"].nunique()})
    if lines.empty:
        return customer_summary(lines)
    return lines.groupby("customer_id").apply(per_customer)


def summary_mean_fills_zero(lines: pd.DataFrame) -> pd.DataFrame:
    out = customer_summary(lines)
    out["avg_line_amount"] = lines.assign(amount=lines["amount"].fillna(0)).groupby("customer_id")["amount"].mean()
    return out


CUSTOMER_SUMMARY_SQL = """
SELECT customer_id,
       COALESCE(SUM(amount), 0)   AS total_amount,
       AVG(amount)                AS avg_line_amount,
       COUNT(DISTINCT order_id)   AS orders,
       MIN(order_date)            AS first_order,
       MAX(order_date)            AS last_order,
       COUNT(DISTINCT product_id) AS products
FROM lines
GROUP BY customer_id
ORDER BY customer_id
"""


def customer_summary_unsorted(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: one aggregate per column, groupby(sort=False) (no order is asked)."""
    g = lines.groupby("customer_id", sort=False)
    return pd.DataFrame({"total_amount": g["amount"].sum(), "avg_line_amount": g["amount"].mean(),
                         "orders": g["order_id"].nunique(), "first_order": g["order_date"].min(),
                         "last_order": g["order_date"].max(), "products": g["product_id"].nunique()})


def customer_summary_loop(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop over the customers' groups."""
    cols = ["total_amount", "avg_line_amount", "orders", "first_order", "last_order", "products"]
    rows = {}
    for cid, part in lines.groupby("customer_id"):
        known = part["amount"].dropna()
        rows[cid] = [float(known.sum()), known.mean() if len(known) else np.nan, len(set(part["order_id"])),
                     part["order_date"].min(), part["order_date"].max(), len(set(part["product_id"]))]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out.index.name = "customer_id"
    return out


NAMED_AGGREGATION = Drill(
    id="named-aggregation", title="Named aggregation instead of groupby().apply", topic="aggregation", level=1,
    question=question("named-aggregation",
                      "`lines` are order lines (order_id, customer_id, product_id, store_id, category, order_date, "
                      "amount; amount may be null). Return one row per customer (index customer_id) with columns "
                      "total_amount (sum, nulls skipped; 0 when all of a customer's amounts are null), avg_line_amount (mean of non-null amounts), orders (distinct "
                      "order_ids), first_order, last_order (min/max order_date) and products (distinct product_ids).",
                      customer_summary, cases_lines,
                      ["groupby('customer_id').agg(new_name=('column', 'func'), ...) names each output column.",
                       "A customer's lines share order_ids: orders is 'nunique', not a row count.",
                       "Don't fill nulls before the mean: the average of known amounts is what is asked."],
                      {"groupby().apply with len(group) counts lines, not orders": summary_apply_len,
                       "mean after fillna(0) drags the average down": summary_mean_fills_zero},
                      right={"groupby(sort=False), one aggregate per column": customer_summary_unsorted,
                             "a loop over groups": customer_summary_loop}, check_order=False),
    example=example_lines,
    sql=CUSTOMER_SUMMARY_SQL, sql_post=indexed("customer_id"),
    complexity="O(N) hash aggregation in C. apply() calls a Python function per group and builds a Series "
               "each time: O(groups) interpreter overhead, often 10-100x slower.",
    listens_for=["Why apply is slow (Python call + object creation per group) and when it is still fine.",
                 "count vs size vs nunique, and how each treats nulls.",
                 "That pandas 3's apply no longer passes the grouping column to the function."])


# === median-per-group ================================================================================================

def cases_lines_nonempty(rng: np.random.Generator) -> list[Case]:
    """Order lines without nulls (median drill: every order has a total)."""
    single = lines_frame([1], [4], [1], [5.0], ["2025-03-01"], [3])
    even = lines_frame([1, 2, 3, 4, 4], [1, 1, 2, 2, 2], [1, 1, 1, 1, 2], [1.0, 9.0, 4.0, 2.0, 2.0],
                       ["2025-03-01"] * 5, [1, 1, 1, 1, 1])
    return [{"lines": single}, {"lines": even},
            {"lines": random_lines(rng, 15, 0.0)}, {"lines": random_lines(rng, 45, 0.0)}]


def median_order_value(lines: pd.DataFrame) -> pd.DataFrame:
    """Median order total per store (an order is the sum of its lines), with the number of orders."""
    orders = lines.groupby(["store_id", "order_id"], as_index=False)["amount"].sum()
    return orders.groupby("store_id", as_index=False).agg(
        median_order_value=("amount", "median"), orders=("order_id", "size"))


def median_of_lines(lines: pd.DataFrame) -> pd.DataFrame:
    out = median_order_value(lines)
    out["median_order_value"] = lines.groupby("store_id")["amount"].median().to_numpy()
    return out


def mean_not_median(lines: pd.DataFrame) -> pd.DataFrame:
    orders = lines.groupby(["store_id", "order_id"], as_index=False)["amount"].sum()
    return orders.groupby("store_id", as_index=False).agg(median_order_value=("amount", "mean"),
                                                          orders=("order_id", "size"))


MEDIAN_ORDER_VALUE_SQL = """
WITH o AS (SELECT store_id, order_id, SUM(amount) AS value FROM lines GROUP BY 1, 2)
SELECT store_id, MEDIAN(value) AS median_order_value, COUNT(*) AS orders
FROM o GROUP BY store_id ORDER BY store_id
"""


def median_order_value_series(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: order totals as a Series, then median and size per store."""
    totals = lines.groupby(["store_id", "order_id"])["amount"].sum()
    g = totals.groupby(level="store_id")
    return pd.concat([g.median().rename("median_order_value"), g.size().rename("orders")], axis=1).reset_index()


def median_order_value_loop(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: plain dicts and numpy's median."""
    totals: dict = {}
    for s, o, a in zip(lines["store_id"], lines["order_id"], lines["amount"]):
        totals[(s, o)] = totals.get((s, o), 0.0) + a
    by_store: dict = {}
    for (s, _), v in totals.items():
        by_store.setdefault(s, []).append(v)
    rows = [(s, float(np.median(v)), len(v)) for s, v in sorted(by_store.items())]
    return pd.DataFrame(rows, columns=["store_id", "median_order_value", "orders"])


MEDIAN_PER_GROUP = Drill(
    id="median-per-group", title="Median order value per store", topic="aggregation", level=2,
    question=question("median-per-group",
                      "`lines` are order lines (store_id, order_id, amount, ...). An order's value is the sum of its "
                      "lines. Return store_id, median_order_value (median of order values; even counts average the two "
                      "middle values) and orders (number of orders), one row per store, sorted by store_id.",
                      median_order_value, cases_lines_nonempty,
                      ["Two levels: first sum lines into orders, then take the median per store.",
                       "groupby(['store_id', 'order_id'])['amount'].sum() gives order values.",
                       "A median cannot be combined from partial medians: it needs all values of the group."],
                      {"median of line amounts, not of order totals": median_of_lines,
                       "mean instead of median (skewed by big baskets)": mean_not_median},
                      right={"median and size of a totals Series": median_order_value_series,
                             "dicts and np.median": median_order_value_loop}, check_index=False),
    example=example_lines,
    sql=MEDIAN_ORDER_VALUE_SQL,
    complexity="O(N) to build orders, then a selection per group (O(n) expected, or O(n log n) sorted).",
    listens_for=["The grain: lines vs orders, decided before any aggregate.",
                 "Median is holistic (not decomposable): chunked/distributed needs all values or a sketch.",
                 "Why a median suits skewed basket sizes better than a mean."])


# === percent-of-total ================================================================================================

def category_share(lines: pd.DataFrame) -> pd.DataFrame:
    """Revenue per (store, category) and its share of the store's revenue (NaN when the store sold nothing)."""
    rev = lines.groupby(["store_id", "category"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    total = rev.groupby("store_id")["revenue"].transform("sum")
    rev["share"] = rev["revenue"] / total.where(total != 0)
    return rev


def share_of_grand_total(lines: pd.DataFrame) -> pd.DataFrame:
    out = category_share(lines)
    total = out["revenue"].sum()
    out["share"] = out["revenue"] / total if total else np.nan
    return out


def share_per_line(lines: pd.DataFrame) -> pd.DataFrame:
    out = lines[["store_id", "category", "amount"]].rename(columns={"amount": "revenue"})
    out["share"] = out["revenue"] / out.groupby("store_id")["revenue"].transform("sum")
    return out.sort_values(["store_id", "category"]).reset_index(drop=True)


CATEGORY_SHARE_SQL = """
WITH rev AS (
    SELECT store_id, category, COALESCE(SUM(amount), 0) AS revenue FROM lines GROUP BY 1, 2
)
SELECT store_id, category, revenue,
       revenue / NULLIF(SUM(revenue) OVER (PARTITION BY store_id), 0) AS share
FROM rev
ORDER BY store_id, category
"""


def category_share_merge(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: store totals merged back (the sorted rows keep their own index)."""
    rev = lines.groupby(["store_id", "category"])["amount"].sum().rename("revenue").reset_index()
    totals = rev.groupby("store_id")["revenue"].sum().rename("total").reset_index()
    out = rev.merge(totals, on="store_id")
    out["share"] = out["revenue"] / out["total"].replace(0.0, np.nan)
    return out.drop(columns="total").sort_values(["store_id", "category"])


def category_share_loop(lines: pd.DataFrame) -> pd.DataFrame:
    """Right answer: dictionaries of sums."""
    rev: dict = {}
    for s, c, a in zip(lines["store_id"], lines["category"], lines["amount"]):
        rev[(s, c)] = rev.get((s, c), 0.0) + (0.0 if pd.isna(a) else a)
    total: dict = {}
    for (s, _), v in rev.items():
        total[s] = total.get(s, 0.0) + v
    rows = [(s, c, v, v / total[s] if total[s] else np.nan) for (s, c), v in sorted(rev.items())]
    return pd.DataFrame(rows, columns=["store_id", "category", "revenue", "share"])


PERCENT_OF_TOTAL = Drill(
    id="percent-of-total", title="Share of the store's revenue per category", topic="aggregation", level=1,
    question=question("percent-of-total",
                      "`lines` has store_id, category and amount (amount may be null). Return store_id, category, "
                      "revenue (sum of amount, nulls skipped; 0 when all are null) and share = revenue / the store's total revenue (NaN if the store's "
                      "total is 0), sorted by store_id, category.",
                      category_share, cases_lines,
                      ["Aggregate to (store, category) first.",
                       "groupby('store_id')['revenue'].transform('sum') puts the store total on every row.",
                       "Guard the division: a store whose amounts are all null has a total of 0."],
                      {"divides by the grand total, not the store's total": share_of_grand_total,
                       "shares computed per line before aggregating": share_per_line},
                      right={"store totals merged back": category_share_merge,
                             "dictionaries of sums": category_share_loop}, check_index=False),
    example=example_lines,
    sql=CATEGORY_SHARE_SQL,
    complexity="O(N) aggregation plus O(groups) transform; SQL: SUM() OVER (PARTITION BY store_id).",
    listens_for=["transform (same length) vs agg (one row per group).",
                 "The denominator stated explicitly: store, region or grand total?",
                 "Division by zero handled on purpose (NULLIF in SQL)."])


# === review-qcut-ties ================================================================================================

def rfm_frame(frequency) -> pd.DataFrame:
    n = len(frequency)
    return pd.DataFrame({"customer_id": pd.Series(np.arange(101, 101 + n), dtype="int64"),
                         "frequency": pd.Series(frequency, dtype="int64")})


def cases_qcut(rng: np.random.Generator) -> list[Case]:
    ties = rfm_frame([1, 1, 1, 1, 1, 1, 2, 2, 3, 9])
    distinct = rfm_frame([5, 3, 8, 1, 9, 2, 7])
    out = [{"rfm": ties}, {"rfm": distinct}]
    for n in (13, 41):
        out.append({"rfm": rfm_frame(rng.geometric(0.5, n))})
    return out


def example_qcut() -> Case:
    return {"rfm": rfm_frame([1, 1, 1, 2, 5, 1, 3, 1, 2, 8])}


def frequency_score(rfm: pd.DataFrame) -> pd.Series:
    """Quintile score 1..5 of frequency; ties broken by row order so qcut's bin edges are unique."""
    ranks = rfm["frequency"].rank(method="first")
    return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


def qcut_on_ties(rfm: pd.DataFrame) -> pd.Series:
    """The reviewed code: qcut on tied values raises 'Bin edges must be unique'."""
    return pd.qcut(rfm["frequency"], 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


def qcut_rank_min(rfm: pd.DataFrame) -> pd.Series:
    return pd.qcut(rfm["frequency"].rank(method="min"), 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


def frequency_score_labels_false(rfm: pd.DataFrame) -> pd.Series:
    """Right answer: qcut with labels=False on the first-come ranks, plus one."""
    scores = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=False) + 1
    return scores.astype("int64").rename("f_score")


def frequency_score_argsort(rfm: pd.DataFrame) -> pd.Series:
    """Right answer: ranks from a stable argsort (ties by row order), then qcut with explicit quantiles."""
    order = np.argsort(rfm["frequency"].to_numpy(), kind="stable")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    scores = pd.qcut(ranks, [0, 0.2, 0.4, 0.6, 0.8, 1.0], labels=[1, 2, 3, 4, 5])
    return pd.Series(np.asarray(scores, dtype="int64"), index=rfm.index, name="f_score")


REVIEW_QCUT_TIES = Drill(
    id="review-qcut-ties", title="Review: quintile scores with qcut", topic="aggregation", level=2,
    code='''
def frequency_score(rfm):
    """Score purchase frequency 1..5 by quintile."""
    return pd.qcut(rfm["frequency"], 5, labels=[1, 2, 3, 4, 5])
''',
    options={"A": "labels must be strings.",
             "B": "Many customers share the same frequency, so the quintile edges repeat and qcut raises "
                  "'Bin edges must be unique'.",
             "C": "qcut should be cut.",
             "D": "Frequencies must be sorted first."},
    answer="B",
    why="Frequencies are small integers with many ties (most customers buy once). Rank first with "
        "rank(method='first') so every value is distinct, then qcut the ranks.",
    question=question("review-qcut-ties",
                      "Fix it: return an int64 Series named 'f_score' (aligned with rfm's index) holding quintile scores "
                      "1..5 of frequency, with ties broken by row order (rank(method='first')).",
                      frequency_score, cases_qcut,
                      ["rank(method='first') makes every value distinct.", "Then pd.qcut(ranks, 5, labels=[1..5])."],
                      {"the code under review": qcut_on_ties,
                       "rank(method='min') keeps the ties": qcut_rank_min},
                      right={"qcut(labels=False) + 1": frequency_score_labels_false,
                             "ranks from a stable argsort": frequency_score_argsort}),
    example=example_qcut, complexity="O(N log N) for the rank.",
    listens_for=["Why ties break quantile binning.", "That the tie-break is arbitrary and should be stated."])


# === review-mean-of-means ============================================================================================

def cases_chunks(rng: np.random.Generator) -> list[Case]:
    def chunk(store, amount):
        return pd.DataFrame({"store_id": pd.Series(store, dtype="int64"), "amount": pd.Series(amount, dtype="float64")})
    uneven = [chunk([1, 1, 1, 2], [1.0, 2.0, 3.0, 10.0]), chunk([1], [100.0])]
    nulls = [chunk([1, 2], [None, 4.0]), chunk([1, 2, 2], [None, 6.0, None])]
    out = [{"chunks": uneven}, {"chunks": nulls}]
    for k in (3, 5):
        parts = []
        for _ in range(k):
            n = int(rng.integers(1, 15))
            parts.append(chunk(int_ids(rng, n, 4), rng.integers(100, 5000, n) / 100))
        out.append({"chunks": parts})
    return out


def example_chunks() -> Case:
    return cases_chunks(np.random.default_rng(0))[0]


def mean_amount_by_store(chunks: list[pd.DataFrame]) -> pd.Series:
    """Exact mean amount per store over many chunks: carry sums and counts, divide once at the end."""
    parts = [c.groupby("store_id")["amount"].agg(["sum", "count"]) for c in chunks]
    total = pd.concat(parts).groupby(level=0).sum()
    return (total["sum"] / total["count"].where(total["count"] > 0)).rename("amount").rename_axis("store_id")


def mean_of_chunk_means(chunks: list[pd.DataFrame]) -> pd.Series:
    """The reviewed code: averages per-chunk means, right only if every chunk has the same count."""
    partial = [c.groupby("store_id")["amount"].mean() for c in chunks]
    return pd.concat(partial).groupby(level=0).mean()


def mean_amount_concat(chunks: list[pd.DataFrame]) -> pd.Series:
    """Right answer: the chunks together, then one mean per store (exact when they fit in memory)."""
    return pd.concat(chunks).groupby("store_id")["amount"].mean()


def mean_amount_loop(chunks: list[pd.DataFrame]) -> pd.Series:
    """Right answer: running sums and counts in dictionaries (stores in order of appearance)."""
    sums: dict = {}
    counts: dict = {}
    for chunk in chunks:
        for s, a in zip(chunk["store_id"], chunk["amount"]):
            sums.setdefault(s, 0.0)
            counts.setdefault(s, 0)
            if not pd.isna(a):
                sums[s] += a
                counts[s] += 1
    means = [sums[s] / counts[s] if counts[s] else np.nan for s in sums]
    return pd.Series(means, index=pd.Index(list(sums), name="store_id"), name="amount")


REVIEW_MEAN_OF_MEANS = Drill(
    id="review-mean-of-means", title="Review: chunked mean", topic="aggregation", level=2,
    code='''
def mean_amount_by_store(chunks):
    """Mean amount per store over a file read in chunks."""
    partial = [c.groupby("store_id")["amount"].mean() for c in chunks]
    return pd.concat(partial).groupby(level=0).mean()
''',
    options={"A": "concat needs ignore_index=True.",
             "B": "groupby(level=0) groups by row number.",
             "C": "A mean of chunk means weights every chunk equally; it is wrong unless every chunk has the "
                  "same count per store. Carry sums and counts.",
             "D": "Nothing: means are associative."},
    answer="C",
    why="Means are not decomposable; sums and counts are. Add them up across chunks and divide once.",
    question=question("review-mean-of-means",
                      "Fix it: return the exact mean amount per store across all chunks (nulls skipped; NaN for a store "
                      "with no non-null amount) as a Series named 'amount' indexed by store_id.",
                      mean_amount_by_store, cases_chunks,
                      ["agg(['sum', 'count']) per chunk.", "Add the partials up, divide at the end."],
                      {"the code under review": mean_of_chunk_means},
                      right={"concat, then one groupby": mean_amount_concat,
                             "sums and counts in dicts": mean_amount_loop}, check_order=False),
    example=example_chunks,
    complexity="O(N) total, O(stores) memory per chunk.",
    listens_for=["Decomposable (sum, count, min, max) vs holistic (median) aggregates.",
                 "The same bug in SQL: AVG of daily AVGs."])

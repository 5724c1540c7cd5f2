"""Lesson 00 warm-ups: join, count distinct, rates. Each one's classic mistake is in ``wrong_answers``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit import explore
from pharma_kit.data import DefectRates, generate
from pharma_kit.exercises.core import Question


def _world(rng: np.random.Generator, n: int, unknown_products: int = 0):
    ds = generate(n, int(rng.integers(0, 2**31)), rates=DefectRates.none(), n_customers=max(3, n // 8),
                  n_products=30, n_stores=4)
    tx = ds.transactions
    if unknown_products:
        tx = tx.copy()
        tx.loc[tx.index[:unknown_products], "product_id"] = 99_999
    return tx, ds.products


def _tie_world():
    """Hand-made: two categories tie at 12.50 (the tie order is free), an unknown product, a catalogue category
    with no sales (not listed), and a non-default index on the transactions."""
    products = pd.DataFrame({"product_id": [1, 2, 3, 4], "category": ["Beauty", "Vitamins", "Baby", "Pet"]})
    tx = pd.DataFrame({"order_id": [1, 1, 2, 3, 4, 5], "customer_id": [7, 7, 8, 9, 9, 8],
                       "product_id": [1, 2, 1, 2, 99, 3], "amount": [10.0, 2.5, 2.5, 10.0, 4.0, 30.0]},
                      index=pd.RangeIndex(10, 16))
    return tx, products


def _revenue_cases(rng):
    small_tx, small_p = _world(rng, 5)
    tx, p = _world(rng, 400, unknown_products=3)
    tie_tx, tie_p = _tie_world()
    return [
        {"transactions": tie_tx, "products": tie_p},
        {"transactions": small_tx, "products": small_p},
        {"transactions": tx, "products": p},
        {"transactions": _world(rng, 1500)[0], "products": _world(rng, 1500)[1]},
    ]


def _wrong_inner_join(transactions, products):
    m = transactions.merge(products, on="product_id")  # inner join: lines with unknown products vanish
    return m.groupby("category")["amount"].sum().sort_values(ascending=False, kind="stable").rename("revenue")


def _wrong_groupby_drops_nan(transactions, products):
    m = transactions.merge(products, on="product_id", how="left")  # left join, but no fillna:
    return m.groupby("category")["amount"].sum().sort_values(ascending=False).rename("revenue")  # NaN keys dropped


def _wrong_unsorted(transactions, products):
    m = transactions.merge(products, on="product_id", how="left")
    m["category"] = m["category"].fillna("(unknown)")
    return m.groupby("category")["amount"].sum().rename("revenue")  # alphabetical, not largest first


def _right_map_loop(transactions, products):
    # a dict lookup and a loop; ties broken Z -> A (the prompt fixes no tie order)
    lookup = dict(zip(products["product_id"], products["category"]))
    totals: dict[str, float] = {}
    for pid, amount in zip(transactions["product_id"], transactions["amount"]):
        cat = lookup.get(pid, "(unknown)")
        totals[cat] = totals.get(cat, 0.0) + amount
    ordered = sorted(totals.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return pd.Series(dict(ordered), name="revenue", dtype="float64")


def _right_map_groupby(transactions, products):
    # Series.map keeps the index named 'product_id' (the prompt names no index); groupby in order of appearance
    cat = transactions["product_id"].map(products.set_index("product_id")["category"]).fillna("(unknown)")
    out = transactions["amount"].groupby(cat, sort=False).sum()
    return out.sort_values(ascending=False).rename("revenue")


def _right_merge_dropna_false(transactions, products):
    m = transactions.merge(products, on="product_id", how="left")
    out = m.groupby("category", dropna=False)["amount"].sum()
    out.index = out.index.fillna("(unknown)")
    return out.sort_values(ascending=False, kind="mergesort").rename("revenue").rename_axis("category")


def _run_revenue(fn, case):
    """The prompt fixes 'largest first' but no tie order: compare the totals per category regardless of row
    order, and separately check that the learner's own rows run largest first."""
    out = fn(**case)
    ordered = None       # not a numeric Series: the first key reports what is wrong with it
    if isinstance(out, pd.Series) and pd.api.types.is_numeric_dtype(out.dtype):
        ordered = bool(out.is_monotonic_decreasing)
    return {"revenue per category": out, "rows largest first": ordered}


def _wrong_count(transactions, products):
    m = transactions.merge(products, on="product_id", how="left")
    m["category"] = m["category"].fillna("(unknown)")
    return m.groupby("category")["amount"].count().sort_values(ascending=False, kind="stable").rename("revenue")


q1 = Question(
    name="l00_revenue_by_category",
    prompt=("Return total revenue (sum of `amount`) per product `category` that has sales, as a Series named "
            "'revenue' indexed by category, largest first (ties in any order). Lines whose product_id is not in "
            "`products` must count under the category '(unknown)'."),
    reference=explore.revenue_by_category,
    cases=_revenue_cases,
    runner=_run_revenue,
    hints=["Bring `category` in with `merge` on product_id; which `how=` keeps every transaction line?",
           "After a left join the unknown lines have a missing category, and `groupby` drops missing keys unless "
           "you fill them first."],
    wrong_answers={"inner join drops unknown products": _wrong_inner_join, "counts lines instead of summing": _wrong_count,
                   "groupby drops the NaN category": _wrong_groupby_drops_nan, "not sorted largest first": _wrong_unsorted},
    right_answers={"dict lookup + loop, ties Z->A": _right_map_loop, "Series.map + groupby(sort=False)": _right_map_groupby,
                   "groupby(dropna=False) + mergesort": _right_merge_dropna_false},
    check_order=False,          # the runner checks 'largest first' itself; ties may come in any order
    check_index_names=False,    # the prompt names no index
    explanation="An inner join silently drops revenue whose product is missing from the catalogue.",
)


def _orders_cases(rng):
    # hand-made first: a 3-line order, a customer with two orders of two lines each, ids not in sorted order,
    # a non-default index
    fixed = pd.DataFrame({"order_id": [30, 30, 30, 31, 32, 32, 33, 33, 34],
                          "customer_id": [205, 205, 205, 101, 101, 101, 101, 101, 150],
                          "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]},
                         index=pd.Index([9, 3, 7, 1, 5, 2, 8, 4, 6], name="line"))
    return [{"transactions": fixed}] + [{"transactions": _world(rng, n)[0]} for n in (1, 12, 300, 2000)]


def _wrong_rows(transactions):
    return transactions.groupby("customer_id").size().rename("orders")


def _wrong_unsorted(transactions):
    return transactions.groupby("customer_id", sort=False)["order_id"].nunique().rename("orders")  # first-seen order


def _right_drop_duplicates(transactions):
    pairs = transactions.drop_duplicates(["customer_id", "order_id"])
    return pairs["customer_id"].value_counts().sort_index().rename("orders")


def _right_sets(transactions):
    seen: dict = {}
    for cust, order in zip(transactions["customer_id"], transactions["order_id"]):
        seen.setdefault(cust, set()).add(order)
    return pd.Series({c: len(seen[c]) for c in sorted(seen)}, name="orders", dtype="int64")  # unnamed index


q2 = Question(
    name="l00_orders_per_customer",
    prompt=("Return the number of DISTINCT orders per customer as a Series named 'orders', indexed by customer_id "
            "(sorted). An order can span several lines (rows)."),
    reference=explore.orders_per_customer,
    cases=_orders_cases,
    hints=["Counting rows counts order LINES. What counts distinct values?",
           "Group by customer and count the distinct `order_id` values; `groupby` has an aggregation for exactly that."],
    wrong_answers={"counts rows, not orders": _wrong_rows, "customers not sorted": _wrong_unsorted},
    right_answers={"drop_duplicates + value_counts": _right_drop_duplicates, "a dict of sets": _right_sets},
    check_index_names=False,    # 'indexed by customer_id' fixes the labels, not the index's name
)


def _truth_cases(rng):
    # hand-made first: kinds not in sorted order, a kind that never occurs, one that is on every row, a row with two
    # defects (shares are of ALL rows), and a non-default index
    fixed = pd.DataFrame({"null_amount": [True, False, False, False], "exact_duplicate": [False] * 4,
                          "future_date": [True, True, True, True], "near_duplicate": [True, False, True, False]},
                         index=pd.Index([40, 10, 30, 20], name="line"))
    out = [{"truth": fixed}, {"truth": fixed.iloc[:0]}]
    for n in (0, 50, 5000):
        ds = generate(max(n, 1), int(rng.integers(0, 2**31)), rates=DefectRates(near_duplicate=0.01))
        truth = ds.truth.iloc[:n]
        out.append({"truth": truth})
    return out


def _wrong_rate_among_defective(truth):
    bad = truth[truth.any(axis=1)]
    return bad.mean().astype("float64").sort_index().rename("rate")


def _wrong_empty_nan(truth):
    return truth.mean().sort_index().rename("rate")  # the mean of no rows is NaN, not 0.0


def _wrong_counts(truth):
    return truth.sum().sort_index().rename("rate")  # counts, not shares


def _right_sum_over_len(truth):
    n = max(len(truth), 1)
    return (truth.sum() / n).astype("float64").sort_index().rename("rate").rename_axis("kind")


def _right_numpy_loop(truth):
    kinds = sorted(truth.columns)
    rates = [float(np.mean(truth[k].to_numpy())) if len(truth) else 0.0 for k in kinds]
    return pd.Series(rates, index=kinds, name="rate", dtype="float64")


def _right_mean_fillna(truth):
    return truth.astype("float64").mean().fillna(0.0).sort_index().rename("rate")


q3 = Question(
    name="l00_defect_rates",
    prompt=("`truth` has one boolean column per defect kind and one row per transaction line. Return the share of "
            "ALL rows carrying each kind, as a float Series named 'rate' indexed by kind (sorted). An empty frame "
            "gives 0.0 for every kind."),
    reference=explore.defect_rates,
    cases=_truth_cases,
    hints=["The mean of a boolean column is the share of True values.",
           "Check what the mean of an empty column is: the prompt wants 0.0 there, not NaN."],
    wrong_answers={"rate among defective rows only": _wrong_rate_among_defective,
                   "NaN for an empty frame": _wrong_empty_nan, "counts instead of shares": _wrong_counts},
    right_answers={"sum / len, index named 'kind'": _right_sum_over_len, "numpy per column": _right_numpy_loop,
                   "mean().fillna(0.0)": _right_mean_fillna},
    check_dtype=True,           # the prompt asks for a float Series
    check_index_names=False,    # 'indexed by kind' fixes the labels, not the index's name
)

QUESTIONS = [q1, q2, q3]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

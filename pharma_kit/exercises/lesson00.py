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


def _revenue_cases(rng):
    small_tx, small_p = _world(rng, 5)
    tx, p = _world(rng, 400, unknown_products=3)
    return [
        {"transactions": small_tx, "products": small_p},
        {"transactions": tx, "products": p},
        {"transactions": _world(rng, 1500)[0], "products": _world(rng, 1500)[1]},
    ]


def _wrong_inner_join(transactions, products):
    m = transactions.merge(products, on="product_id")  # inner join: lines with unknown products vanish
    return m.groupby("category")["amount"].sum().sort_values(ascending=False, kind="stable").rename("revenue")


def _wrong_count(transactions, products):
    m = transactions.merge(products, on="product_id", how="left")
    m["category"] = m["category"].fillna("(unknown)")
    return m.groupby("category")["amount"].count().sort_values(ascending=False, kind="stable").rename("revenue")


q1 = Question(
    name="l00_revenue_by_category",
    prompt=("Return total revenue (sum of `amount`) per product `category` as a Series named 'revenue', largest "
            "first. Lines whose product_id is not in `products` must count under the category '(unknown)'."),
    reference=explore.revenue_by_category,
    cases=_revenue_cases,
    hints=["Bring `category` in with `merge` on product_id; which `how=` keeps every transaction line?",
           "`how='left'`, then `fillna('(unknown)')`, then groupby + sum, then `sort_values(ascending=False)`."],
    wrong_answers={"inner join drops unknown products": _wrong_inner_join, "counts lines instead of summing": _wrong_count},
    explanation="An inner join silently drops revenue whose product is missing from the catalogue.",
)


def _orders_cases(rng):
    return [{"transactions": _world(rng, n)[0]} for n in (1, 12, 300, 2000)]


def _wrong_rows(transactions):
    return transactions.groupby("customer_id").size().rename("orders")


q2 = Question(
    name="l00_orders_per_customer",
    prompt=("Return the number of DISTINCT orders per customer as a Series named 'orders', indexed by customer_id "
            "(sorted). An order can span several lines (rows)."),
    reference=explore.orders_per_customer,
    cases=_orders_cases,
    hints=["Counting rows counts order LINES. What counts distinct values?",
           "`df.groupby('customer_id')['order_id'].nunique()`."],
    wrong_answers={"counts rows, not orders": _wrong_rows},
)


def _truth_cases(rng):
    out = []
    for n in (0, 50, 5000):
        ds = generate(max(n, 1), int(rng.integers(0, 2**31)), rates=DefectRates(near_duplicate=0.01))
        truth = ds.truth.iloc[:n]
        out.append({"truth": truth})
    return out


def _wrong_rate_among_defective(truth):
    bad = truth[truth.any(axis=1)]
    return bad.mean().astype("float64").sort_index().rename("rate")


q3 = Question(
    name="l00_defect_rates",
    prompt=("`truth` has one boolean column per defect kind and one row per transaction line. Return the share of "
            "ALL rows carrying each kind, as a float Series named 'rate' indexed by kind (sorted). An empty frame "
            "gives 0.0 for every kind."),
    reference=explore.defect_rates,
    cases=_truth_cases,
    hints=["The mean of a boolean column is the share of True values.",
           "`truth.mean().sort_index().rename('rate')`, with a special case for an empty frame (the mean of nothing is NaN)."],
    wrong_answers={"rate among defective rows only": _wrong_rate_among_defective},
)

QUESTIONS = [q1, q2, q3]

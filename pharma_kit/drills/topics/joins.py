"""Join drills: an anti-join that survives null keys, and detecting a join's row explosion before joining.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, int_ids, question, str_series
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 100


# === anti-join =======================================================================================================

def customers_frame(customer_id, name) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(customer_id, dtype="int64"), "name": str_series(name)})


def id_orders_frame(col, ids) -> pd.DataFrame:
    return pd.DataFrame({"order_id": pd.Series(np.arange(1, len(ids) + 1), dtype="int64"),
                         col: pd.array(ids, dtype="Int64")})


def example_anti() -> Case:
    return {"customers": customers_frame([1, 2, 3], ["Ada", "Bo", "Cy"]),
            "orders": id_orders_frame("customer_id", [1, 1, 3])}


def cases_anti(rng: np.random.Generator) -> list[Case]:
    nulls = {"customers": customers_frame([3, 1, 2], ["Cy", None, "Bo"]),
             "orders": id_orders_frame("customer_id", [2, None, None])}
    no_orders = {"customers": customers_frame([1, 2], ["Ada", "Bo"]), "orders": id_orders_frame("customer_id", [])}
    n = 30
    ids = [None if rng.random() < 0.1 else int(x) for x in int_ids(rng, n, 25)]
    rand = {"customers": customers_frame(rng.permutation(20) + 1, [f"c{i}" for i in range(20)]),
            "orders": id_orders_frame("customer_id", ids)}
    return [example_anti(), nulls, no_orders, rand]


def customers_without_orders(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Anti-join: customers with no order at all (null customer_ids in orders match nobody)."""
    has_order = customers["customer_id"].isin(orders["customer_id"].dropna())
    return customers.loc[~has_order].sort_values("customer_id").reset_index(drop=True)


def anti_as_inner(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    m = customers.merge(orders[["customer_id"]].dropna().drop_duplicates(), on="customer_id", how="inner")
    return m.sort_values("customer_id").reset_index(drop=True)


def anti_not_in_sql(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    from pharma_kit.drills.sql import run_sql

    q = ("SELECT * FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders) "
         "ORDER BY customer_id")
    return run_sql(q, {"customers": customers, "orders": orders})


CUSTOMERS_WITHOUT_ORDERS_SQL = """
SELECT c.* FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)
ORDER BY c.customer_id
"""


def customers_without_orders_indicator(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a left merge with indicator=True, keeping 'left_only'."""
    ids = orders[["customer_id"]].dropna().drop_duplicates().astype({"customer_id": "int64"})
    m = customers.merge(ids, on="customer_id", how="left", indicator=True)
    return m.loc[m["_merge"] == "left_only"].drop(columns="_merge").sort_values("customer_id").reset_index(drop=True)


def customers_without_orders_set(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a Python set of the ordering customers (nulls left out)."""
    ordered = {int(c) for c in orders["customer_id"] if not pd.isna(c)}
    keep = [c not in ordered for c in customers["customer_id"]]
    return customers.loc[keep].sort_values("customer_id").reset_index(drop=True)


ANTI_JOIN = Drill(
    id="anti-join", title="Customers without orders (anti-join)", topic="joins", level=1,
    question=question("anti-join",
                      "`customers` has customer_id and name; `orders` has order_id and customer_id (nullable). Return "
                      "the customers (all columns) who have no order, sorted by customer_id with a fresh index.",
                      customers_without_orders, cases_anti,
                      ["An anti-join keeps left rows WITHOUT a match.",
                       "~customers['customer_id'].isin(...) or merge(how='left', indicator=True) then 'left_only'.",
                       "In SQL use NOT EXISTS: NOT IN returns nothing as soon as the subquery holds a NULL."],
                      {"inner join: the customers WITH orders": anti_as_inner,
                       "SQL NOT IN over a column with NULLs returns nothing": anti_not_in_sql},
                      right={"merge with indicator": customers_without_orders_indicator,
                             "a set of ordering customers": customers_without_orders_set}),
    example=example_anti,
    sql=CUSTOMERS_WITHOUT_ORDERS_SQL,
    complexity="O(N + M) with a hash set of order customer_ids.",
    listens_for=["NOT EXISTS vs NOT IN and the NULL trap (three-valued logic).",
                 "indicator=True as the pandas idiom, and no duplication of customers."])


# === join-explosion ==================================================================================================

def products_frame(product_id, name) -> pd.DataFrame:
    return pd.DataFrame({"product_id": pd.array(product_id, dtype="Int64"), "name": str_series(name)})


def example_fanout() -> Case:
    return {"orders": id_orders_frame("product_id", [1, 1, 2, 3]),
            "products": products_frame([1, 1, 2, 4, 4], ["A", "A v2", "B", "D", "D v2"])}


def cases_fanout(rng: np.random.Generator) -> list[Case]:
    nulls = {"orders": id_orders_frame("product_id", [None, None, 5]),
             "products": products_frame([None, None, 5], ["x", "y", "E"])}
    clean = {"orders": id_orders_frame("product_id", [1, 2]), "products": products_frame([1, 2], ["A", "B"])}
    n = 40
    o = [None if rng.random() < 0.1 else int(x) for x in int_ids(rng, n, 10)]
    p = [None if rng.random() < 0.1 else int(x) for x in int_ids(rng, 14, 12)]
    rand = {"orders": id_orders_frame("product_id", o), "products": products_frame(p, [f"p{i}" for i in range(14)])}
    return [example_fanout(), nulls, clean, rand]


def join_fanout(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Keys that would multiply order rows in a join (duplicated in products and used by orders); nulls never match."""
    left = orders["product_id"].dropna().value_counts()
    right = products["product_id"].dropna().value_counts()
    both = pd.concat({"order_rows": left, "product_rows": right}, axis=1, join="inner")
    both = both.loc[both["product_rows"] > 1].copy()
    both["extra_rows"] = both["order_rows"] * (both["product_rows"] - 1)
    return both.rename_axis("product_id").sort_index().reset_index()


def fanout_unreferenced(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    left = orders["product_id"].dropna().value_counts()
    right = products["product_id"].dropna().value_counts()
    dup = right[right > 1]
    out = pd.DataFrame({"order_rows": left.reindex(dup.index, fill_value=0), "product_rows": dup})
    out["extra_rows"] = out["order_rows"] * (out["product_rows"] - 1)
    return out.rename_axis("product_id").sort_index().reset_index()


def fanout_nulls_match(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    left = orders["product_id"].value_counts(dropna=False)
    right = products["product_id"].value_counts(dropna=False)
    both = pd.concat({"order_rows": left, "product_rows": right}, axis=1, join="inner")
    both = both.loc[both["product_rows"] > 1].copy()
    both["extra_rows"] = both["order_rows"] * (both["product_rows"] - 1)
    return both.rename_axis("product_id").sort_index(na_position="last").reset_index()


JOIN_FANOUT_SQL = """
WITH l AS (SELECT product_id, COUNT(*) AS order_rows FROM orders WHERE product_id IS NOT NULL GROUP BY 1),
     r AS (SELECT product_id, COUNT(*) AS product_rows FROM products WHERE product_id IS NOT NULL GROUP BY 1)
SELECT product_id, order_rows, product_rows, order_rows * (product_rows - 1) AS extra_rows
FROM l JOIN r USING (product_id)
WHERE product_rows > 1
ORDER BY product_id
"""


def join_fanout_merge(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Right answer: key counts on each side (groupby drops null keys), inner-merged."""
    left = orders.groupby("product_id").size().rename("order_rows").reset_index()
    right = products.groupby("product_id").size().rename("product_rows").reset_index()
    m = left.merge(right.loc[right["product_rows"] > 1], on="product_id")
    m["extra_rows"] = m["order_rows"] * (m["product_rows"] - 1)
    return m.sort_values("product_id")


def join_fanout_counter(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Right answer: collections.Counter on each side."""
    from collections import Counter

    left = Counter(int(k) for k in orders["product_id"] if not pd.isna(k))
    right = Counter(int(k) for k in products["product_id"] if not pd.isna(k))
    rows = [(k, left[k], right[k], left[k] * (right[k] - 1)) for k in sorted(left) if right[k] > 1]
    return pd.DataFrame(rows, columns=["product_id", "order_rows", "product_rows", "extra_rows"])


JOIN_EXPLOSION = Drill(
    id="join-explosion", title="Detect a join explosion before it happens", topic="joins", level=2,
    question=question("join-explosion",
                      "`orders` (order_id, product_id) will be joined to `products` (product_id, name) on product_id; "
                      "both keys are nullable and nulls never match (SQL semantics). Return the keys that would "
                      "multiply order rows: product_id, order_rows, product_rows, extra_rows = order_rows * "
                      "(product_rows - 1), for keys duplicated in products AND used by orders, sorted by product_id.",
                      join_fanout, cases_fanout,
                      ["Count key occurrences on each side (value_counts) instead of joining.",
                       "Only keys present on both sides with more than one product row matter.",
                       "pandas merge matches NaN to NaN; SQL never does: drop null keys."],
                      {"lists every duplicated product key, referenced or not": fanout_unreferenced,
                       "counts null keys as a key (pandas merge joins NaN to NaN)": fanout_nulls_match},
                      right={"counts merged": join_fanout_merge,
                             "Counters": join_fanout_counter}, check_index=False),
    example=example_fanout,
    sql=JOIN_FANOUT_SQL,
    complexity="O(N + M) counting; no join is materialised.",
    listens_for=["validate='many_to_one' in pd.merge and row-count assertions before/after joins.",
                 "Null key semantics differ between pandas and SQL.",
                 "Fix at the source (dedup the dimension) rather than drop_duplicates after the join."])

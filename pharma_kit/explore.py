"""First looks at the data (lesson 00): small, correct answers to the questions everyone asks first."""
from __future__ import annotations

import pandas as pd


def revenue_by_category(transactions: pd.DataFrame, products: pd.DataFrame) -> pd.Series:
    """Total ``amount`` per product category, largest first (ties by name).

    A left join keeps lines whose product is missing from the catalogue under ``"(unknown)"``,
    so no revenue silently disappears.
    """
    merged = transactions[["product_id", "amount"]].merge(products[["product_id", "category"]], on="product_id",
                                                          how="left", validate="many_to_one")
    merged["category"] = merged["category"].fillna("(unknown)")
    out = merged.groupby("category", sort=True)["amount"].sum()
    out = out.sort_values(ascending=False, kind="stable")
    return out.rename("revenue")


def orders_per_customer(transactions: pd.DataFrame) -> pd.Series:
    """Distinct orders per customer (an order has several lines, so this is not the row count)."""
    return transactions.groupby("customer_id", sort=True)["order_id"].nunique().rename("orders")


def defect_rates(truth: pd.DataFrame) -> pd.Series:
    """Share of ALL rows carrying each defect kind (the generator's ground truth), sorted by kind."""
    if len(truth) == 0:
        return pd.Series(0.0, index=sorted(truth.columns), name="rate")
    return truth.mean().astype("float64").sort_index().rename("rate")


def lines_per_order(transactions: pd.DataFrame) -> pd.Series:
    """How many orders have 1, 2, 3, ... lines."""
    sizes = transactions.groupby("order_id").size()
    return sizes.value_counts().sort_index().rename_axis("lines").rename("orders")

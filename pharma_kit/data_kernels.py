"""The generator's two loops that are loops by nature, compiled by Numba.

Kept apart from :mod:`pharma_kit.data` so that importing the data dictionary (``TRANSACTION_COLUMNS``, ``AS_OF``),
as lesson 01's validators do, does not load Numba and its LLVM (about 60 MB); :func:`pharma_kit.data.generate`
imports this module when it first runs.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Walker's alias table (Vose's build, O(K)): then each draw is one uniform index and one coin flip."""
    k = len(weights)
    prob = weights * k / weights.sum()
    alias = np.zeros(k, dtype=np.int64)
    small = np.empty(k, dtype=np.int64)
    large = np.empty(k, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(k):
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s_ = small[ns]
        l_ = large[nl - 1]
        alias[s_] = l_
        prob[l_] -= 1.0 - prob[s_]
        if prob[l_] < 1.0:
            nl -= 1
            small[ns] = l_
            ns += 1
    for i in range(ns):
        prob[small[i]] = 1.0
    for i in range(nl):
        prob[large[i]] = 1.0
    return prob, alias


@njit(cache=True)
def expand_orders(lines, order_us, cust, store, prod_idx, n_products, price_cents, qty,
                   discount_u):  # pragma: no cover - compiled
    """One pass from orders to lines: repeat the order's fields, make products distinct within each order
    (a repeat moves to the next catalogue slot, so (order_id, product_id) is the line's business key), and
    price the line in whole cents (10 % off when its uniform draw is below 0.12)."""
    n = prod_idx.shape[0]
    order_id = np.empty(n, dtype=np.int64)
    cust_l = np.empty(n, dtype=np.int64)
    store_l = np.empty(n, dtype=np.int64)
    time_l = np.empty(n, dtype=np.int64)
    amount = np.empty(n, dtype=np.float64)
    j = 0
    for o in range(lines.shape[0]):
        start = j
        for _ in range(lines[o]):
            order_id[j] = 5_000_001 + o
            cust_l[j] = cust[o]
            store_l[j] = store[o]
            time_l[j] = order_us[o]
            p = prod_idx[j]
            if n_products > lines[o]:
                clash = True
                while clash:
                    clash = False
                    for i in range(start, j):
                        if prod_idx[i] == p:
                            clash = True
                            p = (p + 1) % n_products
                            break
                prod_idx[j] = p
            cents = qty[j] * price_cents[p]
            if discount_u[j] < 0.12:
                cents = np.round(cents * 0.9)
            amount[j] = cents / 100.0
            j += 1
    return order_id, cust_l, store_l, time_l, amount


__all__ = ["alias_table", "expand_orders"]

"""Shared helpers of the drill topics: the question builder and the frame makers several topics use.

Every case maker takes a ``numpy.random.Generator`` and returns the same NUMBER of cases every time. Edge
cases cover what interviewers probe: ties, empty groups, nulls, duplicate timestamps, boundaries. Amounts are
whole dollars where ranking or running sums are involved, so pandas and DuckDB sum them exactly. A maker
used by one topic only lives in that topic's module, next to its drill.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from pharma_kit.exercises.core import Question

#: Hidden rounds per check: the case maker's fixed edge cases (+ seeded extras), then this many fresh rounds.
RANDOM_ROUNDS = 2


def question(name: str, prompt: str, reference: Callable, cases: Callable, hints: list[str],
             wrong: dict[str, Callable], *, right: dict[str, Callable], **kw: Any) -> Question:
    """A drill's checked question: the course's one ``Question`` with the bank's number of random rounds."""
    return Question(name=name, prompt=prompt, reference=reference, cases=cases, hints=hints, wrong_answers=wrong,
                    right_answers=right, random_rounds=RANDOM_ROUNDS, **kw)


T0 = pd.Timestamp("2025-03-03")  # a Monday, inside the course's data window
Case = dict[str, Any]


def ts(values: list) -> pd.Series:
    """Timestamps as datetime64[us] (pandas 3's unit for parsed dates); None becomes NaT."""
    return pd.Series(pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601"), dtype="datetime64[us]")


def minute_grid(rng: np.random.Generator, n: int, days: int, step: int) -> pd.Series:
    """``n`` timestamps on a ``step``-minute grid over ``days`` days: coarse grids give duplicates."""
    slots = rng.integers(0, days * 24 * 60 // step, n)
    return pd.Series(T0 + pd.to_timedelta(slots * step, unit="min"), dtype="datetime64[us]")


def dollars(rng: np.random.Generator, n: int, hi: int = 20, null_rate: float = 0.0) -> np.ndarray:
    """Whole-dollar amounts (ties likely), with a share of NaN."""
    x = rng.integers(1, hi + 1, n).astype("float64")
    x[rng.random(n) < null_rate] = np.nan
    return x


def with_nat(rng: np.random.Generator, s: pd.Series, rate: float) -> pd.Series:
    return s.mask(pd.Series(rng.random(len(s)) < rate, index=s.index))


def int_ids(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.integers(1, k + 1, n).astype("int64")


def str_series(values: list) -> pd.Series:
    return pd.Series(values, dtype="str")


def latest_order_frame(customer_id, order_id, order_date, amount) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(customer_id, dtype="int64"),
                         "order_id": pd.Series(order_id, dtype="int64"), "order_date": ts(order_date),
                         "amount": pd.Series(amount, dtype="float64")})


def lines_frame(order_id, customer_id, product_id, amount, order_date, store_id=None, category=None) -> pd.DataFrame:
    n = len(order_id)
    df = pd.DataFrame({"order_id": pd.Series(order_id, dtype="int64"),
                       "customer_id": pd.Series(customer_id, dtype="int64"),
                       "product_id": pd.Series(product_id, dtype="int64"),
                       "store_id": pd.Series(store_id if store_id is not None else [1] * n, dtype="int64"),
                       "category": str_series(category if category is not None else ["Vitamins"] * n),
                       "order_date": ts(order_date), "amount": pd.Series(amount, dtype="float64")})
    return df


def random_lines(rng: np.random.Generator, n_orders: int, null_rate: float = 0.1) -> pd.DataFrame:
    sizes = rng.integers(1, 4, n_orders)
    order_id = np.repeat(np.arange(1, n_orders + 1) * 10, sizes)
    n = len(order_id)
    per_order_customer = int_ids(rng, n_orders, max(2, n_orders // 3))
    per_order_store = int_ids(rng, n_orders, 3)
    per_order_date = minute_grid(rng, n_orders, 20, 240).to_numpy()
    cats = np.array(["Baby", "Beauty", "Pain & Cold", "Vitamins"])
    return lines_frame(order_id, np.repeat(per_order_customer, sizes), int_ids(rng, n, 6),
                       dollars(rng, n, 30, null_rate), list(np.repeat(per_order_date, sizes)),
                       np.repeat(per_order_store, sizes), list(cats[rng.integers(0, 4, n)]))


def example_lines() -> Case:
    return {"lines": lines_frame([1, 1, 2, 3], [7, 7, 7, 8], [100, 101, 100, 102], [5.0, None, 3.0, 9.0],
                                 ["2025-03-01 09:00", "2025-03-01 09:00", "2025-03-04 12:00", "2025-03-02 10:00"],
                                 [1, 1, 1, 2], ["Vitamins", "Baby", "Vitamins", "Baby"])}


def cases_lines(rng: np.random.Generator) -> list[Case]:
    all_null = lines_frame([1, 2, 2], [4, 5, 5], [1, 1, 2], [None, 2.0, None],
                           ["2025-03-01", "2025-03-02", "2025-03-02"], [1, 2, 2], ["Baby", "Baby", "Beauty"])
    empty = lines_frame([], [], [], [], [])
    return [{"lines": example_lines()["lines"]}, {"lines": all_null}, {"lines": empty},
            {"lines": random_lines(rng, 12)}, {"lines": random_lines(rng, 40)}]


def orders_frame(order_date, amount, store_id=None, customer_id=None, product_id=None) -> pd.DataFrame:
    n = len(order_date)
    return pd.DataFrame({"order_id": pd.Series(np.arange(1, n + 1), dtype="int64"),
                         "customer_id": pd.Series(customer_id if customer_id is not None else [1] * n, dtype="int64"),
                         "store_id": pd.Series(store_id if store_id is not None else [1] * n, dtype="int64"),
                         "product_id": pd.Series(product_id if product_id is not None else [1] * n, dtype="int64"),
                         "order_date": ts(order_date), "amount": pd.Series(amount, dtype="float64")})


def random_orders(rng: np.random.Generator, n: int, days: int, step: int, n_customers: int = 6,
                   null_rate: float = 0.1, nat_rate: float = 0.0) -> pd.DataFrame:
    return orders_frame(list(with_nat(rng, minute_grid(rng, n, days, step), nat_rate)), dollars(rng, n, 20, null_rate),
                        int_ids(rng, n, 3), int_ids(rng, n, n_customers), int_ids(rng, n, 5))


def streak_frame(customer_id, order_date) -> pd.DataFrame:
    n = len(order_date)
    return pd.DataFrame({"order_id": pd.Series(np.arange(1, n + 1), dtype="int64"),
                         "customer_id": pd.Series(customer_id, dtype="int64"), "order_date": ts(order_date)})


def example_streaks() -> Case:
    return {"orders": streak_frame([1, 1, 1, 1, 2], ["2025-03-01 09:00", "2025-03-02 18:00", "2025-03-02 19:00",
                                                     "2025-03-05 08:00", "2025-03-01 10:00"])}

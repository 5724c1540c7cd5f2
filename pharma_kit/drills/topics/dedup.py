"""Dedup drills: keep the latest record per key, and the review of 'keep the latest' that keeps the oldest.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import (
    Case, dollars, int_ids, latest_order_frame, minute_grid, question, str_series, ts, with_nat,
)
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 10


# === dedup-latest ====================================================================================================

def records_frame(customer_id, email, updated_at, ingest_id) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(customer_id, dtype="int64"), "email": str_series(email),
                         "updated_at": ts(updated_at), "ingest_id": pd.Series(ingest_id, dtype="int64")})


def example_latest_record() -> Case:
    return {"records": records_frame([1, 1, 2], ["a@old", "a@new", "b@x"],
                                     ["2025-01-01", "2025-02-01", "2025-01-05"], [1, 2, 3])}


def cases_latest_record(rng: np.random.Generator) -> list[Case]:
    tie = records_frame([7, 7, 3], ["new", "old", "c"], ["2025-01-02", "2025-01-02", "2025-01-01"], [9, 4, 1])
    nat = records_frame([1, 1, 2, 2], ["dated", "undated", "only-null-1", "only-null-2"],
                        ["2025-01-01", None, None, None], [1, 5, 2, 3])
    empty = records_frame([], [], [], [])
    n = 40
    rand = records_frame(int_ids(rng, n, 8), [f"e{i}" for i in range(n)],
                         list(with_nat(rng, minute_grid(rng, n, 3, 720), 0.15)), rng.permutation(n) + 1)
    return [{"records": r} for r in (tie, nat, empty, rand)]


def latest_record(records: pd.DataFrame) -> pd.DataFrame:
    """Keep the latest row per customer_id: newest updated_at (NaT counts as oldest), ties to the highest ingest_id."""
    ordered = records.sort_values(["customer_id", "updated_at", "ingest_id"], na_position="first", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_keep_first_ascending(records: pd.DataFrame) -> pd.DataFrame:
    return (records.sort_values("updated_at").drop_duplicates("customer_id", keep="first")
            .sort_values("customer_id").reset_index(drop=True))


def latest_ignores_tiebreak(records: pd.DataFrame) -> pd.DataFrame:
    ordered = records.sort_values(["customer_id", "updated_at"], na_position="first", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_nat_wins(records: pd.DataFrame) -> pd.DataFrame:
    ordered = records.sort_values(["customer_id", "updated_at", "ingest_id"], kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


LATEST_RECORD_SQL = """
SELECT * FROM records
QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY updated_at DESC NULLS LAST, ingest_id DESC) = 1
ORDER BY customer_id
"""


def latest_record_desc_head(records: pd.DataFrame) -> pd.DataFrame:
    """Right answer: newest first (NaT last, ingest_id descending), then the first row per customer."""
    r = records.sort_values(["updated_at", "ingest_id"], ascending=False, na_position="last")
    return r.groupby("customer_id").head(1).sort_values("customer_id").reset_index(drop=True)


def latest_record_loop(records: pd.DataFrame) -> pd.DataFrame:
    """Right answer: one pass keeping the best (updated_at, ingest_id) per customer; a missing date is the oldest."""
    best: dict = {}
    for pos, (cid, ts, ingest) in enumerate(zip(records["customer_id"], records["updated_at"], records["ingest_id"])):
        key = (pd.Timestamp.min if pd.isna(ts) else ts, ingest)
        if cid not in best or key > best[cid][0]:
            best[cid] = (key, pos)
    rows = [best[cid][1] for cid in sorted(best)]
    return records.iloc[rows].reset_index(drop=True)


DEDUP_LATEST = Drill(
    id="dedup-latest", title="Dedup keeping the latest record", topic="dedup", level=1,
    question=question("dedup-latest",
                      "`records` holds customer_id, email, updated_at, ingest_id (several versions per customer). Keep "
                      "exactly one row per customer: the newest updated_at; a missing updated_at counts as the oldest; "
                      "ties on updated_at go to the highest ingest_id. Return the rows (all columns) sorted by "
                      "customer_id with a fresh 0..n-1 index.",
                      latest_record, cases_latest_record,
                      ["Sort so that the row you want is LAST within each customer, then drop_duplicates(keep='last').",
                       "Sort by customer_id, updated_at AND ingest_id: updated_at alone leaves ties to chance.",
                       "Where do NaT values go in a sort? na_position='first' makes a missing timestamp the oldest."],
                      {"keep='first' after an ascending sort (keeps the oldest)": latest_keep_first_ascending,
                       "ties on updated_at not broken by ingest_id": latest_ignores_tiebreak,
                       "NaT sorts last, so a missing timestamp 'wins'": latest_nat_wins},
                      right={"sort newest first, head(1) per customer": latest_record_desc_head,
                             "a loop keeping the best row": latest_record_loop}),
    example=example_latest_record,
    sql=LATEST_RECORD_SQL,
    complexity="O(N log N) for the sort; one pass for drop_duplicates. SQL: one window sort per partition.",
    listens_for=["A deterministic tie-break (ingest id, load sequence), not 'whatever order sort gives'.",
                 "What a NULL timestamp means for 'latest', said out loud.",
                 "ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ... DESC) = 1 as the SQL idiom (QUALIFY)."])


# === review-dedup-keep-first =========================================================================================

def example_latest_order() -> Case:
    return {"orders": latest_order_frame([1, 1, 2], [10, 11, 12], ["2025-01-01", "2025-02-01", "2025-01-05"],
                                         [5.0, 7.0, 3.0])}


def cases_latest_order(rng: np.random.Generator) -> list[Case]:
    tie = latest_order_frame([5, 5, 5], [3, 2, 1], ["2025-01-02", "2025-01-02", "2025-01-01"], [1.0, 2.0, 3.0])
    out = [{"orders": tie}]
    for n in (12, 50):
        out.append({"orders": latest_order_frame(int_ids(rng, n, 6), rng.permutation(n) + 100,
                                                 list(minute_grid(rng, n, 5, 720)), dollars(rng, n))})
    return out


def latest_order_per_customer(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's most recent order (ties on order_date go to the higher order_id), sorted by customer_id."""
    ordered = orders.sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_order_keep_first(orders: pd.DataFrame) -> pd.DataFrame:
    """The reviewed code: ascending sort, then keep='first' keeps the OLDEST order."""
    return orders.sort_values("order_date").drop_duplicates("customer_id", keep="first")


def latest_order_unsorted_ties(orders: pd.DataFrame) -> pd.DataFrame:
    return (orders.sort_values("order_date", kind="stable").drop_duplicates("customer_id", keep="last")
            .sort_values("customer_id").reset_index(drop=True))


def latest_order_desc_first(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: sort newest first (ties: higher order_id first), keep='first', then order by customer."""
    r = orders.sort_values(["order_date", "order_id"], ascending=False)
    return r.drop_duplicates("customer_id", keep="first").sort_values("customer_id").reset_index(drop=True)


def latest_order_idxmax(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop keeping each customer's (order_date, order_id) maximum."""
    best: dict = {}
    for pos, (cid, day, oid) in enumerate(zip(orders["customer_id"], orders["order_date"], orders["order_id"])):
        if cid not in best or (day, oid) > best[cid][0]:
            best[cid] = ((day, oid), pos)
    return orders.iloc[[best[c][1] for c in sorted(best)]].reset_index(drop=True)


REVIEW_DEDUP_KEEP_FIRST = Drill(
    id="review-dedup-keep-first", title="Review: 'keep the latest order' keeps the oldest", topic="dedup", level=1,
    code='''
def latest_order_per_customer(orders):
    """Keep each customer's most recent order."""
    return orders.sort_values("order_date").drop_duplicates("customer_id", keep="first")
''',
    options={"A": "The sort is ascending, so keep='first' keeps each customer's OLDEST order.",
             "B": "drop_duplicates without subset= would be needed.",
             "C": "sort_values sorts in place and returns None.",
             "D": "Nothing: it is correct."},
    answer="A",
    why="Ascending order puts the oldest row first. Keep the last row (or sort descending), break ties on "
        "order_id, and sort the result by customer.",
    question=question("review-dedup-keep-first",
                      "Fix it: return each customer's most recent order (ties on order_date go to the higher order_id), "
                      "all columns, sorted by customer_id with a fresh index.",
                      latest_order_per_customer, cases_latest_order,
                      ["Sort so the wanted row is last, then keep='last'.", "Add order_id to the sort for ties."],
                      {"the code under review": latest_order_keep_first,
                       "no tie-break on order_id": latest_order_unsorted_ties},
                      right={"sort descending, keep first": latest_order_desc_first,
                             "a loop keeping the maximum": latest_order_idxmax}),
    example=example_latest_order, complexity="O(N log N).",
    listens_for=["Reading sort direction and keep= together.", "A deterministic tie-break."])

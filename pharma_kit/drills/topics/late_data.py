"""Late-data drills: which partitions late rows reopen, and an as-of join of prices valid at order time.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, int_ids, minute_grid, question, T0, ts
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 90


# === late-arriving-data ==============================================================================================

def late_frame(event_time, loaded_at) -> pd.DataFrame:
    n = len(event_time)
    return pd.DataFrame({"event_id": pd.Series(np.arange(1, n + 1), dtype="int64"), "event_time": ts(event_time),
                         "loaded_at": ts(loaded_at)})


def example_late() -> Case:
    ev = late_frame(["2025-03-01 10:00", "2025-03-03 09:00", "2025-03-03 11:00"],
                    ["2025-03-01 12:00", "2025-03-03 12:00", "2025-03-03 12:00"])
    return {"events": ev, "watermark": pd.Timestamp("2025-03-02 00:00")}


def cases_late(rng: np.random.Generator) -> list[Case]:
    late = late_frame(["2025-02-20 10:00", "2025-03-02 10:00", "2025-03-02 11:00", "2025-03-01 23:59"],
                      ["2025-03-02 06:00", "2025-03-02 06:00", "2025-03-02 12:00", "2025-03-02 00:00"])
    nothing_new = late_frame(["2025-03-01"], ["2025-03-01 01:00"])
    out = [example_late(), {"events": late, "watermark": pd.Timestamp("2025-03-02 00:00")},
           {"events": nothing_new, "watermark": pd.Timestamp("2025-03-02")}]
    n = 60
    event_time = minute_grid(rng, n, 10, 180)
    delay = pd.to_timedelta(rng.choice([0, 60, 180, 60 * 24 * 3], n), unit="min")
    ev = late_frame(list(event_time), list(event_time + delay))
    out.append({"events": ev, "watermark": T0 + pd.Timedelta(days=6)})
    return out


def partitions_to_rebuild(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    """Event days touched by rows loaded after ``watermark`` (late rows reopen old days), with their row counts."""
    new = events.loc[events["loaded_at"] > pd.Timestamp(watermark)]
    return new.groupby(new["event_time"].dt.normalize().rename("day")).size().rename("new_rows").reset_index()


def late_by_event_time(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    new = events.loc[events["event_time"] > pd.Timestamp(watermark)]
    return new.groupby(new["event_time"].dt.normalize().rename("day")).size().rename("new_rows").reset_index()


def late_inclusive(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    new = events.loc[events["loaded_at"] >= pd.Timestamp(watermark)]
    return new.groupby(new["event_time"].dt.normalize().rename("day")).size().rename("new_rows").reset_index()


PARTITIONS_TO_REBUILD_SQL = """
SELECT CAST(date_trunc('day', event_time) AS TIMESTAMP) AS day, COUNT(*) AS new_rows
FROM events
WHERE loaded_at > CAST($watermark AS TIMESTAMP)
GROUP BY 1
ORDER BY 1
"""


def partitions_value_counts(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    """Right answer: value_counts of the late rows' event day."""
    late = events.loc[events["loaded_at"] > pd.Timestamp(watermark)]
    counts = late["event_time"].dt.floor("D").value_counts().sort_index()
    return pd.DataFrame({"day": counts.index, "new_rows": counts.to_numpy()})


def partitions_loop(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    """Right answer: a loop counting rows loaded after the watermark per event day."""
    counts: dict = {}
    for t, loaded in zip(events["event_time"], events["loaded_at"]):
        if loaded > pd.Timestamp(watermark):
            counts[t.normalize()] = counts.get(t.normalize(), 0) + 1
    return pd.DataFrame(sorted(counts.items()), columns=["day", "new_rows"])


LATE_ARRIVING_DATA = Drill(
    id="late-arriving-data", title="Late-arriving data: which partitions to rebuild", topic="late data", level=2,
    question=question("late-arriving-data",
                      "`events` has event_id, event_time and loaded_at. The last run processed everything loaded up to "
                      "and including `watermark`. Return the event days (midnight, column day) that received rows "
                      "loaded after the watermark, with new_rows (their count), sorted by day.",
                      partitions_to_rebuild, cases_late,
                      ["Filter on WHEN THE ROW ARRIVED (loaded_at), not when the event happened.",
                       "The watermark is inclusive for the last run, so new means loaded_at > watermark.",
                       "Group the new rows by event day: those partitions must be recomputed."],
                      {"filters on event_time: late rows for old days are missed": late_by_event_time,
                       ">= watermark reprocesses rows already loaded": late_inclusive},
                      right={"value_counts of event days": partitions_value_counts,
                             "a counting loop": partitions_loop}, check_index=False),
    example=example_late,
    sql=PARTITIONS_TO_REBUILD_SQL,
    complexity="O(N) filter and group; with a loaded_at index it is O(new rows).",
    listens_for=["Event time vs processing (load) time, and a watermark on load time.",
                 "Reprocess whole partitions idempotently (overwrite), never append corrections.",
                 "How late is too late: a lateness bound and a policy for rows beyond it."])


# === as-of-join ======================================================================================================

def asof_frames(orders, prices) -> Case:
    o = pd.DataFrame({"order_id": pd.Series([r[0] for r in orders], dtype="int64"),
                      "product_id": pd.Series([r[1] for r in orders], dtype="int64"),
                      "order_date": ts([r[2] for r in orders])})
    p = pd.DataFrame({"product_id": pd.Series([r[0] for r in prices], dtype="int64"),
                      "valid_from": ts([r[1] for r in prices]),
                      "price": pd.Series([r[2] for r in prices], dtype="float64")})
    return {"orders": o, "prices": p}


def example_asof() -> Case:
    return asof_frames([(1, 7, "2025-03-01"), (2, 7, "2025-03-10"), (3, 8, "2025-03-05")],
                       [(7, "2025-02-01", 4.0), (7, "2025-03-05", 5.0), (8, "2025-03-06", 9.0)])


def cases_asof(rng: np.random.Generator) -> list[Case]:
    exact = asof_frames([(1, 1, "2025-03-05 00:00"), (2, 1, "2025-03-04 23:59"), (3, 2, "2025-03-01")],
                        [(1, "2025-03-01", 1.0), (1, "2025-03-05", 2.0)])
    n, m = 30, 12
    orders = [(i + 1, int(p), t) for i, (p, t) in enumerate(zip(int_ids(rng, n, 4), minute_grid(rng, n, 20, 720)))]
    prices = []
    for p in range(1, 5):
        for k, d in enumerate(sorted(rng.choice(20, m // 4, replace=False))):
            prices.append((p, T0 + pd.Timedelta(days=int(d)), float(rng.integers(1, 30))))
    return [example_asof(), exact, asof_frames(orders, prices)]


def price_at_order(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Attach the price valid at order time (latest valid_from <= order_date, per product); NaN before any price."""
    m = pd.merge_asof(orders.sort_values("order_date"), prices.sort_values("valid_from"),
                      left_on="order_date", right_on="valid_from", by="product_id", direction="backward")
    return m.drop(columns="valid_from").sort_values("order_id").reset_index(drop=True)


def asof_latest_price(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    latest = prices.sort_values("valid_from").drop_duplicates("product_id", keep="last")[["product_id", "price"]]
    return orders.merge(latest, on="product_id", how="left").sort_values("order_id").reset_index(drop=True)


def asof_strict(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    m = pd.merge_asof(orders.sort_values("order_date"), prices.sort_values("valid_from"), left_on="order_date",
                      right_on="valid_from", by="product_id", allow_exact_matches=False)
    return m.drop(columns="valid_from").sort_values("order_id").reset_index(drop=True)


PRICE_AT_ORDER_SQL = """
SELECT o.*, p.price
FROM orders o ASOF LEFT JOIN prices p
  ON o.product_id = p.product_id AND o.order_date >= p.valid_from
ORDER BY o.order_id
"""


def price_at_order_filter(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Right answer: join on product, keep prices valid by then, the latest per order, left-join back."""
    m = orders.merge(prices, on="product_id")
    m = m.loc[m["valid_from"] <= m["order_date"]].sort_values("valid_from").drop_duplicates("order_id", keep="last")
    return orders.merge(m[["order_id", "price"]], on="order_id", how="left").sort_values("order_id")


def price_at_order_bisect(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Right answer: per product a sorted list of valid_from dates, searched with bisect."""
    import bisect

    table: dict = {}
    for p, start, price in sorted(zip(prices["product_id"], prices["valid_from"], prices["price"])):
        table.setdefault(p, ([], []))
        table[p][0].append(start)
        table[p][1].append(price)
    found = []
    for p, t in zip(orders["product_id"], orders["order_date"]):
        starts, values = table.get(p, ([], []))
        i = bisect.bisect_right(starts, t)
        found.append(values[i - 1] if i else np.nan)
    return orders.assign(price=found).sort_values("order_id")


AS_OF_JOIN = Drill(
    id="as-of-join", title="Price at the time of the order (as-of join)", topic="late data", level=3,
    question=question("as-of-join",
                      "`orders` has order_id, product_id, order_date; `prices` has product_id, valid_from, price "
                      "(unique per product and valid_from). Attach to each order the price whose valid_from is the "
                      "latest one <= order_date for that product (NaN if none). Return the orders' columns plus price, "
                      "sorted by order_id.",
                      price_at_order, cases_asof,
                      ["This is an as-of join: pd.merge_asof, with by='product_id'.",
                       "merge_asof needs both sides sorted on the time key.",
                       "A price valid from exactly the order time applies (allow_exact_matches=True)."],
                      {"joins today's price, not the price at order time": asof_latest_price,
                       "strict match: a price starting at the order instant is skipped": asof_strict},
                      right={"join, filter, latest per order": price_at_order_filter,
                             "bisect per product": price_at_order_bisect}, check_index=False),
    example=example_asof,
    sql=PRICE_AT_ORDER_SQL,
    complexity="O((N + M) log(N + M)) sort, then a linear merge. A naive join + filter is O(N·M) per product.",
    listens_for=["Point-in-time correctness (no leakage of later prices).",
                 "merge_asof / ASOF JOIN rather than a cross join and filter.",
                 "Inclusive vs exclusive boundaries at the exact change instant."])

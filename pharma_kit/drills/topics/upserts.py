"""SCD and upsert drills: an SCD type-2 merge, an idempotent upsert, and the review of a daily load that appends on
retry.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, dollars, question, str_series, T0, ts
from pharma_kit.drills.model import Drill, twice

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 80


# === scd2-merge ======================================================================================================

def dim_frame(customer_id, tier, valid_from, valid_to, is_current) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(customer_id, dtype="int64"), "tier": str_series(tier),
                         "valid_from": ts(valid_from), "valid_to": ts(valid_to),
                         "is_current": pd.Series(is_current, dtype="bool")})


def snapshot_frame(customer_id, tier) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(customer_id, dtype="int64"), "tier": str_series(tier)})


def example_scd2() -> Case:
    dim = dim_frame([1, 1, 2], ["bronze", "silver", "gold"], ["2024-01-01", "2024-06-01", "2024-01-01"],
                    ["2024-06-01", None, None], [False, True, True])
    return {"dim": dim, "snapshot": snapshot_frame([1, 2, 3], ["gold", "gold", "bronze"]),
            "as_of": pd.Timestamp("2025-01-01")}


def _random_scd2(rng: np.random.Generator, n: int) -> Case:
    tiers = np.array(["bronze", "silver", "gold", None], dtype=object)
    rows = []
    for cid in range(1, n + 1):
        versions = int(rng.integers(1, 4))
        starts = sorted(rng.choice(300, versions, replace=False))
        for v, s in enumerate(starts):
            end = starts[v + 1] if v + 1 < versions else None
            rows.append((cid, tiers[rng.integers(0, 4)], T0 - pd.Timedelta(days=400 - int(s)),
                         None if end is None else T0 - pd.Timedelta(days=400 - int(end)), end is None))
    dim = dim_frame(*map(list, zip(*rows)))
    ids = rng.choice(np.arange(1, n + 6), size=n, replace=False)
    snap = snapshot_frame(ids, list(tiers[rng.integers(0, 4, n)]))
    return {"dim": dim, "snapshot": snap, "as_of": T0}


def cases_scd2(rng: np.random.Generator) -> list[Case]:
    nulls = {"dim": dim_frame([1, 2], [None, "gold"], ["2024-01-01", "2024-01-01"], [None, None], [True, True]),
             "snapshot": snapshot_frame([1, 2], [None, None]), "as_of": pd.Timestamp("2025-01-01")}
    empty_dim = {"dim": dim_frame([], [], [], [], []), "snapshot": snapshot_frame([4, 5], ["gold", None]),
                 "as_of": pd.Timestamp("2025-01-01")}
    return [example_scd2(), nulls, empty_dim, _random_scd2(rng, 8), _random_scd2(rng, 20)]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, skipping empty pieces so an empty input never decides the dtypes."""
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else frames[0].iloc[0:0].copy()


def scd2_merge(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Apply a snapshot to a type-2 dimension: close changed current rows at ``as_of`` and open new versions."""
    as_of = pd.Timestamp(as_of)
    cur = dim.loc[dim["is_current"], ["customer_id", "tier"]]
    m = snapshot.merge(cur, on="customer_id", how="left", suffixes=("", "_old"), indicator=True)
    same = (m["tier"] == m["tier_old"]) | (m["tier"].isna() & m["tier_old"].isna())
    opening = m.loc[(m["_merge"] == "left_only") | ((m["_merge"] == "both") & ~same), ["customer_id", "tier"]]
    out = dim.copy()
    closing = out["is_current"] & out["customer_id"].isin(opening["customer_id"])
    out.loc[closing, "valid_to"] = as_of
    out.loc[closing, "is_current"] = False
    new_rows = opening.assign(valid_from=as_of, valid_to=pd.NaT, is_current=True).astype({"valid_to": out["valid_to"].dtype})
    parts = [f for f in (out, new_rows[out.columns]) if len(f)]  # an empty piece must not decide the dtypes
    merged = pd.concat(parts, ignore_index=True) if parts else out
    return merged.sort_values(["customer_id", "valid_from"], kind="stable").reset_index(drop=True)


def scd1_overwrite(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    out = dim.copy()
    tiers = snapshot.set_index("customer_id")["tier"]
    hit = out["is_current"] & out["customer_id"].isin(tiers.index)
    out.loc[hit, "tier"] = out.loc[hit, "customer_id"].map(tiers)
    new_ids = snapshot.loc[~snapshot["customer_id"].isin(dim["customer_id"])]
    new_rows = new_ids.assign(valid_from=pd.Timestamp(as_of), valid_to=pd.NaT, is_current=True)
    return _concat([out, new_rows[out.columns]]).sort_values(["customer_id", "valid_from"]).reset_index(drop=True)


def scd2_nan_not_equal(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    as_of = pd.Timestamp(as_of)
    cur = dim.loc[dim["is_current"], ["customer_id", "tier"]]
    m = snapshot.merge(cur, on="customer_id", how="left", suffixes=("", "_old"), indicator=True)
    opening = m.loc[(m["_merge"] == "left_only") | ((m["_merge"] == "both") & (m["tier"] != m["tier_old"])),
                    ["customer_id", "tier"]]
    out = dim.copy()
    closing = out["is_current"] & out["customer_id"].isin(opening["customer_id"])
    out.loc[closing, "valid_to"] = as_of
    out.loc[closing, "is_current"] = False
    new_rows = opening.assign(valid_from=as_of, valid_to=pd.NaT, is_current=True)
    return _concat([out, new_rows[out.columns]]).sort_values(["customer_id", "valid_from"]).reset_index(drop=True)


def scd2_inner_drops_new(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    known = snapshot.loc[snapshot["customer_id"].isin(dim["customer_id"])]
    return scd2_merge(dim, known, as_of)


SCD2_MERGE_SQL = """
WITH cur AS (SELECT customer_id, tier FROM dim WHERE is_current),
opening AS (
    SELECT s.customer_id, s.tier
    FROM snapshot s LEFT JOIN cur c USING (customer_id)
    WHERE c.customer_id IS NULL OR s.tier IS DISTINCT FROM c.tier
)
SELECT d.customer_id, d.tier, d.valid_from,
       CASE WHEN d.is_current AND o.customer_id IS NOT NULL THEN CAST($as_of AS TIMESTAMP) ELSE d.valid_to END
           AS valid_to,
       d.is_current AND o.customer_id IS NULL AS is_current
FROM dim d LEFT JOIN opening o USING (customer_id)
UNION ALL
SELECT customer_id, tier, CAST($as_of AS TIMESTAMP), CAST(NULL AS TIMESTAMP), TRUE FROM opening
ORDER BY customer_id, valid_from
"""


def scd2_merge_loop(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Right answer: dictionaries of rows; a null tier equals a null tier."""
    as_of = pd.Timestamp(as_of)
    rows = dim.to_dict("records")
    current = {r["customer_id"]: r for r in rows if r["is_current"]}
    for cid, tier in zip(snapshot["customer_id"], snapshot["tier"]):
        cur = current.get(cid)
        if cur is not None and ((pd.isna(tier) and pd.isna(cur["tier"])) or tier == cur["tier"]):
            continue
        if cur is not None:
            cur["valid_to"], cur["is_current"] = as_of, False
        rows.append({"customer_id": cid, "tier": tier, "valid_from": as_of, "valid_to": pd.NaT, "is_current": True})
    return pd.DataFrame(rows, columns=dim.columns).sort_values(["customer_id", "valid_from"], kind="stable")


def scd2_merge_sentinel(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Right answer: compare tiers with nulls filled by a sentinel, then close and append."""
    as_of = pd.Timestamp(as_of)
    cur = dim.loc[dim["is_current"]].set_index("customer_id")["tier"].astype(object).fillna("<null>")
    snap = snapshot.set_index("customer_id")["tier"].astype(object).fillna("<null>")
    old = cur.reindex(snap.index)
    changed = snap.index[old.isna() | (old != snap)]
    out = dim.copy()
    closing = out["is_current"] & out["customer_id"].isin(changed)
    out.loc[closing, "valid_to"] = as_of
    out.loc[closing, "is_current"] = False
    new = snapshot.loc[snapshot["customer_id"].isin(changed)]
    new = pd.DataFrame({"customer_id": new["customer_id"], "tier": new["tier"], "valid_from": as_of,
                        "valid_to": pd.Series(pd.NaT, index=new.index, dtype=out["valid_to"].dtype),
                        "is_current": True})
    parts = [f for f in (out, new) if len(f)]
    both = pd.concat(parts, ignore_index=True) if parts else out
    return both.sort_values(["customer_id", "valid_from"], kind="stable")


SCD2_MERGE = Drill(
    id="scd2-merge", title="SCD type 2 merge", topic="SCD and upserts", level=3,
    question=question("scd2-merge",
                      "`dim` is a type-2 customer dimension (customer_id, tier, valid_from, valid_to, is_current; the "
                      "current row has valid_to NaT). `snapshot` has today's customer_id, tier (one row per customer; "
                      "tier may be null, and null == null means 'unchanged'). Apply it at `as_of`: for a changed "
                      "customer close the current row (valid_to=as_of, is_current False) and add a new current row "
                      "(valid_from=as_of); a new customer gets a current row; unchanged or absent customers are "
                      "untouched. Return all rows sorted by customer_id, valid_from.",
                      scd2_merge, cases_scd2,
                      ["Compare the snapshot with the CURRENT rows only (a left merge with indicator=True).",
                       "NaN != NaN is True: a null-safe comparison needs (a == b) | (a.isna() & b.isna()).",
                       "Two outputs: the old rows with some closed, plus the new versions; concat and sort."],
                      {"type-1 overwrite: history is lost": scd1_overwrite,
                       "NaN != NaN opens a new version on every load": scd2_nan_not_equal,
                       "new customers dropped (inner join)": scd2_inner_drops_new},
                      right={"dictionaries of rows": scd2_merge_loop,
                             "null-safe compare with a sentinel": scd2_merge_sentinel}, check_index=False),
    example=example_scd2,
    sql=SCD2_MERGE_SQL,
    complexity="O(N + M) hash join of snapshot to current rows; the sort is O(N log N).",
    listens_for=["Null-safe comparison (IS DISTINCT FROM) and why it keeps reloads idempotent.",
                 "valid_to convention (exclusive as_of, NULL = open) and one current row per key.",
                 "Deletes: what happens to customers absent from the snapshot is a business decision."])


# === idempotent-upsert ===============================================================================================

def upsert_frame(order_id, status, amount, updated_at) -> pd.DataFrame:
    return pd.DataFrame({"order_id": pd.Series(order_id, dtype="int64"), "status": str_series(status),
                         "amount": pd.Series(amount, dtype="float64"), "updated_at": ts(updated_at)})


def example_upsert() -> Case:
    target = upsert_frame([1, 2], ["paid", "paid"], [10.0, 20.0], ["2025-03-01", "2025-03-01"])
    batch = upsert_frame([2, 3], ["refunded", "paid"], [20.0, 5.0], ["2025-03-02", "2025-03-02"])
    return {"target": target, "batch": batch}


def _random_upsert(rng: np.random.Generator, n_target: int, n_batch: int) -> Case:
    status = np.array(["paid", "shipped", "refunded"])
    t_ids = rng.choice(30, n_target, replace=False) + 1
    target = upsert_frame(t_ids, list(status[rng.integers(0, 3, n_target)]), dollars(rng, n_target),
                          list(T0 + pd.to_timedelta(rng.integers(0, 5, n_target), unit="D")))
    b_ids = rng.integers(1, 36, n_batch)
    b_days = rng.integers(0, 8, n_batch)
    batch = upsert_frame(b_ids, list(status[rng.integers(0, 3, n_batch)]), dollars(rng, n_batch),
                         list(T0 + pd.to_timedelta(b_days, unit="D")))
    batch = batch.drop_duplicates(["order_id", "updated_at"]).reset_index(drop=True)
    return {"target": target, "batch": batch}


def cases_upsert(rng: np.random.Generator) -> list[Case]:
    stale = {"target": upsert_frame([1], ["refunded"], [9.0], ["2025-03-05"]),
             "batch": upsert_frame([1, 1], ["paid", "shipped"], [9.0, 9.0], ["2025-03-01", "2025-03-03"])}
    tie = {"target": upsert_frame([1, 2], ["paid", "paid"], [1.0, 2.0], ["2025-03-01", "2025-03-01"]),
           "batch": upsert_frame([1], ["shipped"], [1.0], ["2025-03-01"])}
    empty_target = {"target": upsert_frame([], [], [], []),
                    "batch": upsert_frame([3, 3, 4], ["paid", "shipped", "paid"], [1.0, 1.0, 2.0],
                                          ["2025-03-01", "2025-03-02", "2025-03-01"])}
    return [example_upsert(), stale, tie, empty_target, _random_upsert(rng, 10, 12), _random_upsert(rng, 25, 30)]


def upsert(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Merge a batch into a table keyed by order_id: newest updated_at wins, batch wins ties; re-running is a no-op."""
    parts = [f for f in (target.assign(_src=0), batch.assign(_src=1)) if len(f)]  # skip empty pieces
    both = pd.concat(parts, ignore_index=True) if parts else target.assign(_src=0)
    both = both.sort_values(["order_id", "updated_at", "_src"], kind="stable")
    return both.drop_duplicates("order_id", keep="last").drop(columns="_src").reset_index(drop=True)


def upsert_append(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([target, batch], ignore_index=True).sort_values("order_id", kind="stable").reset_index(drop=True)


def upsert_blind_overwrite(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    latest = batch.sort_values(["order_id", "updated_at"]).drop_duplicates("order_id", keep="last")
    kept = target.loc[~target["order_id"].isin(latest["order_id"])]
    return _concat([kept, latest]).sort_values("order_id").reset_index(drop=True)


def upsert_keep_first(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    both = _concat([target, batch])
    return both.drop_duplicates("order_id", keep="first").sort_values("order_id").reset_index(drop=True)


UPSERT_SQL = """
CREATE TEMP TABLE t (order_id BIGINT PRIMARY KEY, status VARCHAR, amount DOUBLE, updated_at TIMESTAMP);
INSERT INTO t SELECT order_id, status, amount, updated_at FROM target;
INSERT INTO t
    SELECT order_id, status, amount, updated_at FROM batch
    QUALIFY ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
ON CONFLICT (order_id) DO UPDATE
    SET status = excluded.status, amount = excluded.amount, updated_at = excluded.updated_at
    WHERE excluded.updated_at >= t.updated_at;
SELECT * FROM t ORDER BY order_id;
"""


def upsert_dict(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a dict keyed by order_id; a row replaces the kept one if it is as new or newer (batch last)."""
    best: dict = {}
    for frame in (target, batch):
        for row in frame.itertuples(index=False):
            if row.order_id not in best or row.updated_at >= best[row.order_id].updated_at:
                best[row.order_id] = row
    return pd.DataFrame([best[k] for k in sorted(best)], columns=target.columns)


def upsert_sort_desc(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Right answer: newest first (batch before target on a tie, later batch rows first), keep the first per key."""
    parts = [f for f in (target.assign(src=0), batch.assign(src=1)) if len(f)]
    both = pd.concat(parts, ignore_index=True)
    both["pos"] = np.arange(len(both))
    ordered = both.sort_values(["updated_at", "src", "pos"], ascending=False)
    return ordered.drop_duplicates("order_id").sort_values("order_id").drop(columns=["src", "pos"])


IDEMPOTENT_UPSERT = Drill(
    id="idempotent-upsert", title="Idempotent upsert (merge on key)", topic="SCD and upserts", level=2,
    question=question("idempotent-upsert",
                      "`target` and `batch` have order_id, status, amount, updated_at. Merge the batch into the target: "
                      "for every order_id keep the row with the newest updated_at across target and batch (a batch row "
                      "wins a tie; an older batch row never replaces a newer target row); new keys are inserted. "
                      "Return one row per order_id sorted by order_id. Running it again with the same batch must "
                      "change nothing (the checker runs it twice).",
                      upsert, cases_upsert,
                      ["Stack target and batch with a source marker, then keep the last per key after sorting.",
                       "Sort by order_id, updated_at, source so that ties go to the batch.",
                       "concat without de-duplication is append: a retry duplicates rows."],
                      {"append: a retry duplicates rows": upsert_append,
                       "blind overwrite: a stale batch row replaces a newer row": upsert_blind_overwrite,
                       "drop_duplicates(keep='first') keeps the old target row": upsert_keep_first},
                      right={"a dict keyed by order_id": upsert_dict,
                             "newest first, keep the first": upsert_sort_desc}, check_index=False,
                      runner=twice("target")),
    example=example_upsert,
    sql=UPSERT_SQL,
    complexity="O((N + M) log(N + M)) in pandas; a keyed table makes it O(M log N) (index lookups).",
    listens_for=["Idempotency proven: same input twice, same table.",
                 "Out-of-order delivery: compare versions (updated_at) before overwriting.",
                 "MERGE / INSERT ... ON CONFLICT DO UPDATE as the warehouse form."])


# === review-append-on-retry ==========================================================================================

def warehouse_frame(sale_date, store_id, revenue) -> pd.DataFrame:
    return pd.DataFrame({"sale_date": ts(sale_date), "store_id": pd.Series(store_id, dtype="int64"),
                         "revenue": pd.Series(revenue, dtype="float64")})


def cases_load_day(rng: np.random.Generator) -> list[Case]:
    day = pd.Timestamp("2025-03-02")
    wh = warehouse_frame(["2025-03-01", "2025-03-01", "2025-03-02"], [1, 2, 1], [5.0, 6.0, 7.0])
    batch = warehouse_frame(["2025-03-02", "2025-03-02"], [1, 2], [8.0, 9.0])
    empty_wh = warehouse_frame([], [], [])
    # store 3 sold on the day before the correction, and is missing from the corrected batch: its row must go
    wh3 = warehouse_frame(["2025-03-01", "2025-03-02", "2025-03-02", "2025-03-02"], [1, 1, 2, 3], [5.0, 7.0, 6.0, 4.0])
    no_rows = warehouse_frame([], [], [])
    out = [{"warehouse": wh, "batch": batch, "day": day}, {"warehouse": empty_wh, "batch": batch, "day": day},
           {"warehouse": wh3, "batch": batch, "day": day}, {"warehouse": wh3, "batch": no_rows, "day": day}]
    for n in (6, 20):
        days = list(T0 + pd.to_timedelta(np.repeat(np.arange(n // 2), 2), unit="D"))
        w = warehouse_frame(days, np.tile([1, 2], n // 2), dollars(rng, n))
        d = T0 + pd.Timedelta(days=int(rng.integers(0, n // 2 + 1)))
        b = warehouse_frame([d] * 3, [1, 2, 3], dollars(rng, 3))
        out.append({"warehouse": w, "batch": b, "day": d})
    return out


def example_load_day() -> Case:
    return cases_load_day(np.random.default_rng(0))[0]


def load_day(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Idempotent partition load: replace the day's rows with the batch (delete-then-insert), never append."""
    kept = warehouse.loc[warehouse["sale_date"] != pd.Timestamp(day)]
    parts = [f for f in (kept, batch) if len(f)]  # an empty piece must not decide the dtypes
    both = pd.concat(parts, ignore_index=True) if parts else kept
    return both.sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def load_day_append(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The reviewed code: to_sql(if_exists='append') semantics, so a retried run loads the day twice."""
    return pd.concat([warehouse, batch], ignore_index=True).sort_values(["sale_date", "store_id"], kind="stable") \
        .reset_index(drop=True)


def load_day_keep_last(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    both = pd.concat([warehouse, batch], ignore_index=True).drop_duplicates(["sale_date", "store_id"], keep="last")
    return both.sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def load_day_drop_duplicates(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    both = pd.concat([warehouse, batch], ignore_index=True).drop_duplicates()
    return both.sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def load_day_mask(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Right answer: keep the other days with a boolean mask, append the batch, sort."""
    kept = warehouse[~(warehouse["sale_date"] == pd.Timestamp(day))]
    parts = [f for f in (kept, batch) if len(f)]
    both = pd.concat(parts) if parts else warehouse.iloc[0:0]
    return both.sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def load_day_query(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Right answer: rows as records, the day's partition rebuilt from the batch."""
    day = pd.Timestamp(day)
    rows = [r for r in warehouse.to_dict("records") if r["sale_date"] != day] + batch.to_dict("records")
    rows.sort(key=lambda r: (r["sale_date"], r["store_id"]))
    return pd.DataFrame(rows, columns=warehouse.columns)


REVIEW_APPEND_ON_RETRY = Drill(
    id="review-append-on-retry", title="Review: a daily load that appends", topic="SCD and upserts", level=2,
    code='''
def load_day(warehouse, batch, day):
    # warehouse.to_sql("sales_daily", engine, if_exists="append")
    return pd.concat([warehouse, batch], ignore_index=True)
''',
    options={"A": "concat should be merge.",
             "B": "ignore_index should be False.",
             "C": "If the task is retried (or re-run for the same day) the day's rows are loaded twice: the "
                  "load is not idempotent. Replace the day's partition instead.",
             "D": "day is unused but harmless."},
    answer="C",
    why="Append + retry = duplicates. Delete the partition for `day` and insert the batch in one transaction "
        "(or MERGE on a key).",
    question=question("review-append-on-retry",
                      "Fix it: return the warehouse with the rows of `day` replaced by `batch` (delete-then-insert), "
                      "sorted by sale_date, store_id with a fresh index. The checker runs it twice, like a retry.",
                      load_day, cases_load_day,
                      ["Drop the warehouse rows whose sale_date == day, then concat the batch.",
                       "drop_duplicates is not a fix: corrected values differ from the old ones."],
                      {"the code under review": load_day_append,
                       "append then drop_duplicates keeps stale rows": load_day_drop_duplicates,
                       "drop_duplicates(keep='last') on the key keeps rows the batch no longer has":
                           load_day_keep_last},
                      right={"a mask, concat, sort": load_day_mask,
                             "records rebuilt": load_day_query},
                      runner=twice("warehouse")),
    example=example_load_day,
    complexity="O(N) (or O(partition) with partitioned storage).",
    listens_for=["Idempotent loads: overwrite a partition or MERGE on a key.", "The run's logical date, not today."])

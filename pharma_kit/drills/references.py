"""Reference answers (pandas) for the interview drills: small, pure, vectorised functions over DataFrames.

Each function is the model answer a strong candidate would write at the whiteboard; the checker compares a
learner's answer with it on hidden cases, and every SQL twin in :mod:`pharma_kit.drills.sql` must agree with it.
Nothing here reads a clock: anything time-relative takes an ``as_of`` or ``watermark`` argument.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from pharma_kit.errors import TransientError

FUNNEL_STEPS = ["view", "cart", "checkout", "purchase"]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, skipping empty pieces so an empty input never decides the dtypes."""
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else frames[0].iloc[0:0].copy()


def _day(ts: pd.Series) -> pd.Series:
    """Calendar day of a timestamp column (midnight), keeping NaT."""
    return ts.dt.normalize()


# --- dedup ------------------------------------------------------------------------------------------------
def latest_record(records: pd.DataFrame) -> pd.DataFrame:
    """Keep the latest row per customer_id: newest updated_at (NaT counts as oldest), ties to the highest ingest_id."""
    ordered = records.sort_values(["customer_id", "updated_at", "ingest_id"], na_position="first", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_order_per_customer(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's most recent order (ties on order_date go to the higher order_id), sorted by customer_id."""
    ordered = orders.sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


# --- aggregation ------------------------------------------------------------------------------------------
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


def median_order_value(lines: pd.DataFrame) -> pd.DataFrame:
    """Median order total per store (an order is the sum of its lines), with the number of orders."""
    orders = lines.groupby(["store_id", "order_id"], as_index=False)["amount"].sum()
    return orders.groupby("store_id", as_index=False).agg(
        median_order_value=("amount", "median"), orders=("order_id", "size"))


def category_share(lines: pd.DataFrame) -> pd.DataFrame:
    """Revenue per (store, category) and its share of the store's revenue (NaN when the store sold nothing)."""
    rev = lines.groupby(["store_id", "category"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    total = rev.groupby("store_id")["revenue"].transform("sum")
    rev["share"] = rev["revenue"] / total.where(total != 0)
    return rev


def mean_amount_by_store(chunks: list[pd.DataFrame]) -> pd.Series:
    """Exact mean amount per store over many chunks: carry sums and counts, divide once at the end."""
    parts = [c.groupby("store_id")["amount"].agg(["sum", "count"]) for c in chunks]
    total = pd.concat(parts).groupby(level=0).sum()
    return (total["sum"] / total["count"].where(total["count"] > 0)).rename("amount").rename_axis("store_id")


# --- time series ------------------------------------------------------------------------------------------
def monthly_revenue(orders: pd.DataFrame) -> pd.Series:
    """Revenue per calendar month (labelled by month end, 'ME'), empty months included as 0."""
    return orders.set_index("order_date")["amount"].resample("ME").sum()


def monthly_mean_basket(orders: pd.DataFrame) -> pd.Series:
    """Mean order amount per calendar month, labelled by month end ('ME'; 'M' is gone in pandas 3)."""
    return orders.set_index("order_date")["amount"].resample("ME").mean()


def month_over_month(orders: pd.DataFrame) -> pd.DataFrame:
    """Monthly revenue with the previous calendar month's revenue and growth (NaN when there is no base)."""
    out = monthly_revenue(orders).rename("revenue").rename_axis("month").reset_index()
    out["prev_revenue"] = out["revenue"].shift(1)
    out["growth"] = (out["revenue"] - out["prev_revenue"]) / out["prev_revenue"].where(out["prev_revenue"] != 0)
    return out


def running_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily revenue per store and its running total per store, ordered by day."""
    daily = (orders.assign(day=_day(orders["order_date"]))
             .groupby(["store_id", "day"], as_index=False)["amount"].sum()
             .rename(columns={"amount": "revenue"}))
    daily["running_revenue"] = daily.groupby("store_id")["revenue"].cumsum()
    return daily


def rolling_7day(daily: pd.DataFrame) -> pd.DataFrame:
    """Add rev_7d: the store's revenue over the 7 calendar days ending on each day (gaps count as days)."""
    d = daily.sort_values(["store_id", "day"]).reset_index(drop=True)
    rolled = d.set_index("day").groupby("store_id")["revenue"].rolling("7D").sum()
    d["rev_7d"] = rolled.to_numpy()
    return d


def daily_with_moving_average(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily revenue (empty days = 0) and its 7-day moving average, as a DataFrame (not a Series)."""
    daily = orders.set_index("order_date")["amount"].resample("D").sum().to_frame("revenue")
    daily["ma_7"] = daily["revenue"].rolling(7).mean()
    return daily


def recency_days(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Days from each customer's last order to ``as_of`` (a parameter, never the wall clock)."""
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp(as_of) - last).dt.days.rename("recency_days")


# --- ranking ----------------------------------------------------------------------------------------------
def top_products(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    """Per store, every product whose revenue RANK (1, 1, 3 style) is <= n."""
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev["rank"] = rev.groupby("store_id")["revenue"].rank(method="min", ascending=False).astype("int64")
    return rev[rev["rank"] <= n].sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


def second_highest_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's second-highest DISTINCT order amount (NaN when there is none); every customer listed."""
    d = orders.dropna(subset=["amount"]).drop_duplicates(["customer_id", "amount"])
    rank = d.groupby("customer_id")["amount"].rank(method="first", ascending=False)
    second = d.loc[rank == 2].set_index("customer_id")["amount"]
    ids = pd.Index(orders["customer_id"].unique(), name="customer_id").sort_values()
    return second.reindex(ids).rename("second_highest").reset_index()


def frequency_score(rfm: pd.DataFrame) -> pd.Series:
    """Quintile score 1..5 of frequency; ties broken by row order so qcut's bin edges are unique."""
    ranks = rfm["frequency"].rank(method="first")
    return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


# --- gaps and islands, sessions ---------------------------------------------------------------------------
def purchase_streaks(orders: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive calendar days with a purchase, per customer (several orders a day count once)."""
    d = (orders.dropna(subset=["order_date"])
         .assign(day=lambda f: _day(f["order_date"]))[["customer_id", "day"]]
         .drop_duplicates().sort_values(["customer_id", "day"]))
    new_island = d.groupby("customer_id")["day"].diff() != pd.Timedelta(days=1)
    d["island"] = new_island.cumsum()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "size"))
    return out.reset_index().drop(columns="island")


def longest_streak(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's longest run of consecutive purchase days."""
    s = purchase_streaks(orders)
    return s.groupby("customer_id", as_index=False)["days"].max().rename(columns={"days": "longest"})


def sessionize(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Number each user's sessions from 1: a new session starts after more than ``gap_minutes`` of inactivity."""
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e.groupby("user_id")["ts"].diff()
    new = gap.isna() | (gap > pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


# --- SCD2, upserts, late data -----------------------------------------------------------------------------
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
    merged = _concat([out, new_rows[out.columns]])
    return merged.sort_values(["customer_id", "valid_from"], kind="stable").reset_index(drop=True)


def upsert(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Merge a batch into a table keyed by order_id: newest updated_at wins, batch wins ties; re-running is a no-op."""
    both = _concat([target.assign(_src=0), batch.assign(_src=1)])
    both = both.sort_values(["order_id", "updated_at", "_src"], kind="stable")
    return both.drop_duplicates("order_id", keep="last").drop(columns="_src").reset_index(drop=True)


def load_day(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Idempotent partition load: replace the day's rows with the batch (delete-then-insert), never append."""
    kept = warehouse.loc[warehouse["sale_date"] != pd.Timestamp(day)]
    return _concat([kept, batch]).sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def partitions_to_rebuild(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    """Event days touched by rows loaded after ``watermark`` (late rows reopen old days), with their row counts."""
    new = events.loc[events["loaded_at"] > pd.Timestamp(watermark)]
    return new.groupby(_day(new["event_time"]).rename("day")).size().rename("new_rows").reset_index()


def price_at_order(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Attach the price valid at order time (latest valid_from <= order_date, per product); NaN before any price."""
    m = pd.merge_asof(orders.sort_values("order_date"), prices.sort_values("valid_from"),
                      left_on="order_date", right_on="valid_from", by="product_id", direction="backward")
    return m.drop(columns="valid_from").sort_values("order_id").reset_index(drop=True)


# --- joins ------------------------------------------------------------------------------------------------
def customers_without_orders(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Anti-join: customers with no order at all (null customer_ids in orders match nobody)."""
    has_order = customers["customer_id"].isin(orders["customer_id"].dropna())
    return customers.loc[~has_order].sort_values("customer_id").reset_index(drop=True)


def join_fanout(orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Keys that would multiply order rows in a join (duplicated in products and used by orders); nulls never match."""
    left = orders["product_id"].dropna().value_counts()
    right = products["product_id"].dropna().value_counts()
    both = pd.concat({"order_rows": left, "product_rows": right}, axis=1, join="inner")
    both = both.loc[both["product_rows"] > 1].copy()
    both["extra_rows"] = both["order_rows"] * (both["product_rows"] - 1)
    return both.rename_axis("product_id").sort_index().reset_index()


# --- reshaping --------------------------------------------------------------------------------------------
def store_month_pivot(orders: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per store, one column per 'YYYY-MM' month, revenue summed, 0 where nothing sold."""
    month = orders["order_date"].dt.strftime("%Y-%m").rename("month")
    wide = orders.groupby(["store_id", month])["amount"].sum().unstack("month", fill_value=0.0)
    wide.columns.name = None
    return wide


def unpivot_quarters(wide: pd.DataFrame) -> pd.DataFrame:
    """Long table (store_id, quarter, sales) from one column per quarter; empty cells are dropped."""
    long = wide.melt(id_vars="store_id", var_name="quarter", value_name="sales").dropna(subset=["sales"])
    return long.sort_values(["store_id", "quarter"]).reset_index(drop=True)


def flatten_orders(records: list[dict]) -> pd.DataFrame:
    """One row per order line from nested order records; an order without lines keeps one row of nulls."""
    cols = ["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]
    if not records:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    head = pd.json_normalize(records, max_level=1)
    head = head.reindex(columns=["order_id", "customer.id", "customer.tier", "lines"])
    head = head.rename(columns={"customer.id": "customer_id", "customer.tier": "tier"})
    exploded = head.explode("lines", ignore_index=True)
    has_line = exploded["lines"].map(lambda x: isinstance(x, dict))
    lines = pd.json_normalize([x if isinstance(x, dict) else {} for x in exploded["lines"]])
    lines = lines.reindex(columns=["sku", "qty", "price"])
    out = pd.concat([exploded.drop(columns="lines"), lines], axis=1)
    out["line_no"] = has_line.astype("int64").groupby(out["order_id"]).cumsum().where(has_line)
    return out[cols].sort_values(["order_id", "line_no"], kind="stable").reset_index(drop=True)


# --- product analytics ------------------------------------------------------------------------------------
def _month_index(ts: pd.Series) -> pd.Series:
    return ts.dt.year * 12 + ts.dt.month - 1


def cohort_retention(orders: pd.DataFrame) -> pd.DataFrame:
    """Long retention table: cohort (first-order month), period (months since), active customers, retention."""
    o = orders.dropna(subset=["order_date"])
    mi = _month_index(o["order_date"])
    first = mi.groupby(o["customer_id"]).transform("min")
    t = pd.DataFrame({"first": first, "period": mi - first, "customer_id": o["customer_id"]})
    act = t.groupby(["first", "period"], as_index=False)["customer_id"].nunique().rename(columns={"customer_id": "customers"})
    size = act.loc[act["period"] == 0].set_index("first")["customers"]
    act["retention"] = act["customers"] / act["first"].map(size)
    year = (act["first"] // 12).astype("str").str.zfill(4)
    month = (act["first"] % 12 + 1).astype("str").str.zfill(2)
    act.insert(0, "cohort", year + "-" + month)
    return act.drop(columns="first").sort_values(["cohort", "period"]).reset_index(drop=True)


def funnel(events: pd.DataFrame) -> pd.DataFrame:
    """Ordered funnel: a user reaches a step with an event at or after reaching the previous step."""
    reached = events.loc[events["step"] == FUNNEL_STEPS[0]].groupby("user_id")["ts"].min()
    counts = [len(reached)]
    for step in FUNNEL_STEPS[1:]:
        ev = events.loc[events["step"] == step, ["user_id", "ts"]]
        ev = ev.merge(reached.rename("prev_ts").reset_index(), on="user_id")
        reached = ev.loc[ev["ts"] >= ev["prev_ts"]].groupby("user_id")["ts"].min()
        counts.append(len(reached))
    users = pd.Series(counts, dtype="int64")
    prev = users.shift(1)
    return pd.DataFrame({
        "step": FUNNEL_STEPS,
        "users": users,
        "conv_prev": users / prev.where(prev != 0),
        "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan),
    })


def first_last_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's first and last order (date and amount of that very row), ties broken by order_id."""
    o = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    first = o.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    last = o.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    out = pd.DataFrame({"first_date": first["order_date"], "first_amount": first["amount"],
                        "last_date": last["order_date"], "last_amount": last["amount"]})
    return out.rename_axis("customer_id").reset_index()


def new_vs_returning(orders: pd.DataFrame) -> pd.DataFrame:
    """Per day: distinct customers buying for the first time ever, and distinct returning customers."""
    o = (orders.dropna(subset=["order_date"]).assign(day=lambda f: _day(f["order_date"]))[["customer_id", "day"]]
         .drop_duplicates())
    is_new = o["day"] == o.groupby("customer_id")["day"].transform("min")
    o = o.assign(new_customers=is_new.astype("int64"), returning_customers=(~is_new).astype("int64"))
    return o.groupby("day", as_index=False)[["new_customers", "returning_customers"]].sum()


# --- resilience -------------------------------------------------------------------------------------------
def call_with_retry(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                    sleep: Callable[[float], None] = time.sleep) -> object:
    """Call ``op``; retry only TransientError, with exponential backoff; data errors fail at once."""
    for i in range(attempts):
        try:
            return op()
        except TransientError:
            if i == attempts - 1:
                raise
            sleep(base_delay * 2 ** i)
    raise ValueError(f"attempts must be >= 1, got {attempts}")


__all__ = [
    "FUNNEL_STEPS",
    "latest_record", "latest_order_per_customer", "customer_summary", "median_order_value", "category_share",
    "mean_amount_by_store", "monthly_revenue", "monthly_mean_basket", "month_over_month", "running_revenue",
    "rolling_7day", "daily_with_moving_average", "recency_days", "top_products", "second_highest_order",
    "frequency_score", "purchase_streaks", "longest_streak", "sessionize", "scd2_merge", "upsert", "load_day",
    "partitions_to_rebuild", "price_at_order", "customers_without_orders", "join_fanout", "store_month_pivot",
    "unpivot_quarters", "flatten_orders", "cohort_retention", "funnel", "first_last_order", "new_vs_returning",
    "call_with_retry",
]

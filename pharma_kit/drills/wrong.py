"""The classic wrong answers, one function each: the mistakes interviewers see every week.

Tests prove the checker rejects every one of them on the hidden cases; the drill shows them after a
solution so the learner knows which trap they stepped around.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from pharma_kit.drills import references as ref
from pharma_kit.errors import TransientError


# --- dedup ------------------------------------------------------------------------------------------------
def latest_keep_first_ascending(records: pd.DataFrame) -> pd.DataFrame:
    return (records.sort_values("updated_at").drop_duplicates("customer_id", keep="first")
            .sort_values("customer_id").reset_index(drop=True))


def latest_ignores_tiebreak(records: pd.DataFrame) -> pd.DataFrame:
    ordered = records.sort_values(["customer_id", "updated_at"], na_position="first", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_nat_wins(records: pd.DataFrame) -> pd.DataFrame:
    ordered = records.sort_values(["customer_id", "updated_at", "ingest_id"], kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def latest_order_keep_first(orders: pd.DataFrame) -> pd.DataFrame:
    """The reviewed code: ascending sort, then keep='first' keeps the OLDEST order."""
    return orders.sort_values("order_date").drop_duplicates("customer_id", keep="first")


def latest_order_unsorted_ties(orders: pd.DataFrame) -> pd.DataFrame:
    return (orders.sort_values("order_date", kind="stable").drop_duplicates("customer_id", keep="last")
            .sort_values("customer_id").reset_index(drop=True))


# --- aggregation ------------------------------------------------------------------------------------------
def summary_apply_len(lines: pd.DataFrame) -> pd.DataFrame:
    def per_customer(g: pd.DataFrame) -> pd.Series:
        return pd.Series({"total_amount": g["amount"].sum(), "avg_line_amount": g["amount"].mean(),
                          "orders": len(g), "first_order": g["order_date"].min(),
                          "last_order": g["order_date"].max(), "products": g["product_id"].nunique()})
    if lines.empty:
        return ref.customer_summary(lines)
    return lines.groupby("customer_id").apply(per_customer)


def summary_mean_fills_zero(lines: pd.DataFrame) -> pd.DataFrame:
    out = ref.customer_summary(lines)
    out["avg_line_amount"] = lines.assign(amount=lines["amount"].fillna(0)).groupby("customer_id")["amount"].mean()
    return out


def median_of_lines(lines: pd.DataFrame) -> pd.DataFrame:
    out = ref.median_order_value(lines)
    out["median_order_value"] = lines.groupby("store_id")["amount"].median().to_numpy()
    return out


def mean_not_median(lines: pd.DataFrame) -> pd.DataFrame:
    orders = lines.groupby(["store_id", "order_id"], as_index=False)["amount"].sum()
    return orders.groupby("store_id", as_index=False).agg(median_order_value=("amount", "mean"),
                                                          orders=("order_id", "size"))


def share_of_grand_total(lines: pd.DataFrame) -> pd.DataFrame:
    out = ref.category_share(lines)
    total = out["revenue"].sum()
    out["share"] = out["revenue"] / total if total else np.nan
    return out


def share_per_line(lines: pd.DataFrame) -> pd.DataFrame:
    out = lines[["store_id", "category", "amount"]].rename(columns={"amount": "revenue"})
    out["share"] = out["revenue"] / out.groupby("store_id")["revenue"].transform("sum")
    return out.sort_values(["store_id", "category"]).reset_index(drop=True)


def mean_of_chunk_means(chunks: list[pd.DataFrame]) -> pd.Series:
    """The reviewed code: averages per-chunk means, right only if every chunk has the same count."""
    partial = [c.groupby("store_id")["amount"].mean() for c in chunks]
    return pd.concat(partial).groupby(level=0).mean()


# --- time series ------------------------------------------------------------------------------------------
def monthly_groupby_drops_empty(orders: pd.DataFrame) -> pd.Series:
    month_end = orders["order_date"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    return orders.groupby(month_end.rename("order_date"))["amount"].sum()


def monthly_month_start(orders: pd.DataFrame) -> pd.Series:
    return orders.set_index("order_date")["amount"].resample("MS").sum()


def mean_basket_resample_m(orders: pd.DataFrame) -> pd.Series:
    """The reviewed code: 'M' was removed in pandas 3 (ValueError: Invalid frequency)."""
    return orders.set_index("order_date").resample("M")["amount"].mean()


def mean_basket_month_start(orders: pd.DataFrame) -> pd.Series:
    return orders.set_index("order_date")["amount"].resample("MS").mean()


def mom_shift_over_active_months(orders: pd.DataFrame) -> pd.DataFrame:
    s = monthly_groupby_drops_empty(orders)
    full = ref.monthly_revenue(orders)
    out = full.rename("revenue").rename_axis("month").reset_index()
    prev = s.shift(1).reindex(full.index)
    out["prev_revenue"] = prev.to_numpy()
    out["growth"] = (out["revenue"] - out["prev_revenue"]) / out["prev_revenue"].where(out["prev_revenue"] != 0)
    return out


def mom_pct_change(orders: pd.DataFrame) -> pd.DataFrame:
    out = ref.monthly_revenue(orders).rename("revenue").rename_axis("month").reset_index()
    out["prev_revenue"] = out["revenue"].shift(1)
    out["growth"] = out["revenue"].pct_change()
    return out


def running_total_not_per_store(orders: pd.DataFrame) -> pd.DataFrame:
    out = ref.running_revenue(orders)
    out["running_revenue"] = out["revenue"].cumsum()
    return out


def running_total_per_row(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.sort_values(["store_id", "order_date"], kind="stable")
    out = pd.DataFrame({"store_id": o["store_id"], "day": o["order_date"].dt.normalize(), "revenue": o["amount"]})
    out["running_revenue"] = out.groupby("store_id")["revenue"].cumsum()
    return out.reset_index(drop=True)


def rolling_seven_rows(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values(["store_id", "day"]).reset_index(drop=True)
    d["rev_7d"] = d.groupby("store_id")["revenue"].rolling(7, min_periods=1).sum().to_numpy()
    return d


def rolling_ignores_store(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values(["day", "store_id"]).reset_index(drop=True)
    d["rev_7d"] = d.rolling("7D", on="day")["revenue"].sum()
    return d.sort_values(["store_id", "day"]).reset_index(drop=True)


def moving_average_on_series(orders: pd.DataFrame) -> pd.Series:
    """The reviewed code: assigns a 'column' to a Series, which adds a row labelled 'ma_7' (or fails)."""
    daily = orders.set_index("order_date")["amount"].resample("D").sum()
    daily["ma_7"] = daily.rolling(7).mean()
    return daily


def moving_average_min_periods(orders: pd.DataFrame) -> pd.DataFrame:
    daily = orders.set_index("order_date")["amount"].resample("D").sum().to_frame("revenue")
    daily["ma_7"] = daily["revenue"].rolling(7, min_periods=1).mean()
    return daily


def recency_now(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The reviewed code: ignores as_of and reads the wall clock, so the answer changes every day."""
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp.now() - last).dt.days.rename("recency_days")  # clock-ok: the trap this exercise is about


def recency_data_max(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    last = orders.groupby("customer_id")["order_date"].max()
    return (orders["order_date"].max() - last).dt.days.rename("recency_days")


# --- ranking ----------------------------------------------------------------------------------------------
def top_head_drops_ties(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev = rev.sort_values(["store_id", "revenue", "product_id"], ascending=[True, False, True])
    top = rev.groupby("store_id").head(n).copy()
    top["rank"] = top.groupby("store_id")["revenue"].rank(method="min", ascending=False).astype("int64")
    return top.sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


def top_global(lines: pd.DataFrame, n: int) -> pd.DataFrame:
    rev = lines.groupby(["store_id", "product_id"], as_index=False)["amount"].sum().rename(columns={"amount": "revenue"})
    rev["rank"] = rev["revenue"].rank(method="min", ascending=False).astype("int64")
    return rev[rev["rank"] <= n].sort_values(["store_id", "rank", "product_id"]).reset_index(drop=True)


def second_not_distinct(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["amount"]).sort_values(["customer_id", "amount"], ascending=[True, False])
    second = d.groupby("customer_id")["amount"].nth(1)
    second = pd.Series(second.to_numpy(), index=d.loc[second.index, "customer_id"].to_numpy())
    ids = pd.Index(orders["customer_id"].unique(), name="customer_id").sort_values()
    return second.reindex(ids).rename("second_highest").reset_index()


def second_inner(orders: pd.DataFrame) -> pd.DataFrame:
    return ref.second_highest_order(orders).dropna(subset=["second_highest"]).reset_index(drop=True)


def qcut_on_ties(rfm: pd.DataFrame) -> pd.Series:
    """The reviewed code: qcut on tied values raises 'Bin edges must be unique'."""
    return pd.qcut(rfm["frequency"], 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


def qcut_rank_min(rfm: pd.DataFrame) -> pd.Series:
    return pd.qcut(rfm["frequency"].rank(method="min"), 5, labels=[1, 2, 3, 4, 5]).astype("int64").rename("f_score")


# --- islands, sessions ------------------------------------------------------------------------------------
def streaks_no_distinct_days(orders: pd.DataFrame) -> pd.DataFrame:
    d = (orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())
         .sort_values(["customer_id", "day"]))
    d["island"] = (d.groupby("customer_id")["day"].diff() != pd.Timedelta(days=1)).cumsum()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "size"))
    return out.reset_index().drop(columns="island")


def streaks_24h_apart(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date"])
    d = d.drop_duplicates(["customer_id", "order_date"])
    d["island"] = (d.groupby("customer_id")["order_date"].diff() > pd.Timedelta(days=1)).cumsum()
    d["day"] = d["order_date"].dt.normalize()
    out = d.groupby(["customer_id", "island"]).agg(start=("day", "min"), end=("day", "max"), days=("day", "nunique"))
    return out.reset_index().drop(columns="island")


def longest_distinct_days(orders: pd.DataFrame) -> pd.DataFrame:
    d = orders.dropna(subset=["order_date"])
    return (d.assign(day=d["order_date"].dt.normalize()).groupby("customer_id", as_index=False)["day"].nunique()
            .rename(columns={"day": "longest"}))


def longest_counts_all_pairs(orders: pd.DataFrame) -> pd.DataFrame:
    d = (orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())
         [["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"]))
    d["step"] = d.groupby("customer_id")["day"].diff() == pd.Timedelta(days=1)
    out = d.groupby("customer_id", as_index=False)["step"].sum().rename(columns={"step": "longest"})
    out["longest"] = out["longest"] + 1
    return out


def sessions_inclusive_gap(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e.groupby("user_id")["ts"].diff()
    new = gap.isna() | (gap >= pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


def sessions_global_diff(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e["ts"].diff()
    new = gap.isna() | (gap > pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


# --- SCD2, upsert, late data ------------------------------------------------------------------------------
def scd1_overwrite(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    out = dim.copy()
    tiers = snapshot.set_index("customer_id")["tier"]
    hit = out["is_current"] & out["customer_id"].isin(tiers.index)
    out.loc[hit, "tier"] = out.loc[hit, "customer_id"].map(tiers)
    new_ids = snapshot.loc[~snapshot["customer_id"].isin(dim["customer_id"])]
    new_rows = new_ids.assign(valid_from=pd.Timestamp(as_of), valid_to=pd.NaT, is_current=True)
    return ref._concat([out, new_rows[out.columns]]).sort_values(["customer_id", "valid_from"]).reset_index(drop=True)


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
    return ref._concat([out, new_rows[out.columns]]).sort_values(["customer_id", "valid_from"]).reset_index(drop=True)


def scd2_inner_drops_new(dim: pd.DataFrame, snapshot: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    known = snapshot.loc[snapshot["customer_id"].isin(dim["customer_id"])]
    return ref.scd2_merge(dim, known, as_of)


def upsert_append(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([target, batch], ignore_index=True).sort_values("order_id", kind="stable").reset_index(drop=True)


def upsert_blind_overwrite(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    latest = batch.sort_values(["order_id", "updated_at"]).drop_duplicates("order_id", keep="last")
    kept = target.loc[~target["order_id"].isin(latest["order_id"])]
    return ref._concat([kept, latest]).sort_values("order_id").reset_index(drop=True)


def upsert_keep_first(target: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    both = ref._concat([target, batch])
    return both.drop_duplicates("order_id", keep="first").sort_values("order_id").reset_index(drop=True)


def load_day_append(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The reviewed code: to_sql(if_exists='append') semantics, so a retried run loads the day twice."""
    return pd.concat([warehouse, batch], ignore_index=True).sort_values(["sale_date", "store_id"], kind="stable") \
        .reset_index(drop=True)


def load_day_drop_duplicates(warehouse: pd.DataFrame, batch: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    both = pd.concat([warehouse, batch], ignore_index=True).drop_duplicates()
    return both.sort_values(["sale_date", "store_id"], kind="stable").reset_index(drop=True)


def late_by_event_time(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    new = events.loc[events["event_time"] > pd.Timestamp(watermark)]
    return new.groupby(new["event_time"].dt.normalize().rename("day")).size().rename("new_rows").reset_index()


def late_inclusive(events: pd.DataFrame, watermark: pd.Timestamp) -> pd.DataFrame:
    new = events.loc[events["loaded_at"] >= pd.Timestamp(watermark)]
    return new.groupby(new["event_time"].dt.normalize().rename("day")).size().rename("new_rows").reset_index()


def asof_latest_price(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    latest = prices.sort_values("valid_from").drop_duplicates("product_id", keep="last")[["product_id", "price"]]
    return orders.merge(latest, on="product_id", how="left").sort_values("order_id").reset_index(drop=True)


def asof_strict(orders: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    m = pd.merge_asof(orders.sort_values("order_date"), prices.sort_values("valid_from"), left_on="order_date",
                      right_on="valid_from", by="product_id", allow_exact_matches=False)
    return m.drop(columns="valid_from").sort_values("order_id").reset_index(drop=True)


# --- joins ------------------------------------------------------------------------------------------------
def anti_as_inner(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    m = customers.merge(orders[["customer_id"]].dropna().drop_duplicates(), on="customer_id", how="inner")
    return m.sort_values("customer_id").reset_index(drop=True)


def anti_not_in_sql(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    from pharma_kit.drills.sql import run_sql

    q = ("SELECT * FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders) "
         "ORDER BY customer_id")
    return run_sql(q, {"customers": customers, "orders": orders})


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


# --- reshaping --------------------------------------------------------------------------------------------
def pivot_mean(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.assign(month=orders["order_date"].dt.strftime("%Y-%m"))
    p = o.pivot_table(index="store_id", columns="month", values="amount", aggfunc="mean", fill_value=0)
    p.columns.name = None
    return p


def pivot_no_fill(orders: pd.DataFrame) -> pd.DataFrame:
    month = orders["order_date"].dt.strftime("%Y-%m").rename("month")
    wide = orders.groupby(["store_id", month])["amount"].sum().unstack("month")
    wide.columns.name = None
    return wide


def melt_keeps_nulls(wide: pd.DataFrame) -> pd.DataFrame:
    long = wide.melt(id_vars="store_id", var_name="quarter", value_name="sales")
    return long.sort_values(["store_id", "quarter"]).reset_index(drop=True)


def melt_unsorted(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.melt(id_vars="store_id", var_name="quarter", value_name="sales").dropna().reset_index(drop=True)


def flatten_record_path(records: list[dict]) -> pd.DataFrame:
    flat = pd.json_normalize(records, record_path="lines", meta=["order_id", ["customer", "id"], ["customer", "tier"]],
                             errors="ignore")
    flat = flat.rename(columns={"customer.id": "customer_id", "customer.tier": "tier"})
    flat["line_no"] = flat.groupby("order_id").cumcount() + 1
    return flat[["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]] \
        .sort_values(["order_id", "line_no"]).reset_index(drop=True)


def flatten_tier_required(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        base = {"order_id": r["order_id"], "customer_id": r["customer"]["id"], "tier": r["customer"]["tier"]}
        for i, line in enumerate(r["lines"], start=1):
            rows.append({**base, "line_no": i, **line})
        if not r["lines"]:
            rows.append({**base, "line_no": None, "sku": None, "qty": None, "price": None})
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]) \
        .sort_values(["order_id", "line_no"]).reset_index(drop=True)


# --- product analytics ------------------------------------------------------------------------------------
def cohort_counts_orders(orders: pd.DataFrame) -> pd.DataFrame:
    out = ref.cohort_retention(orders)
    o = orders.dropna(subset=["order_date"])
    mi = o["order_date"].dt.year * 12 + o["order_date"].dt.month - 1
    first = mi.groupby(o["customer_id"]).transform("min")
    counts = pd.DataFrame({"first": first, "period": mi - first}).groupby(["first", "period"]).size()
    out["customers"] = counts.to_numpy()
    size = out.loc[out["period"] == 0].set_index("cohort")["customers"]
    out["retention"] = out["customers"] / out["cohort"].map(size)
    return out


def cohort_days_div_30(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"])
    first_date = o.groupby("customer_id")["order_date"].transform("min")
    period = (o["order_date"] - first_date).dt.days // 30
    cohort = first_date.dt.strftime("%Y-%m")
    t = pd.DataFrame({"cohort": cohort, "period": period, "customer_id": o["customer_id"]})
    act = t.groupby(["cohort", "period"], as_index=False)["customer_id"].nunique().rename(columns={"customer_id": "customers"})
    size = act.loc[act["period"] == 0].set_index("cohort")["customers"]
    act["retention"] = act["customers"] / act["cohort"].map(size)
    return act.sort_values(["cohort", "period"]).reset_index(drop=True)


def funnel_unordered(events: pd.DataFrame) -> pd.DataFrame:
    users = events.groupby("step")["user_id"].nunique().reindex(ref.FUNNEL_STEPS, fill_value=0).astype("int64")
    users = users.reset_index(drop=True)
    prev = users.shift(1)
    return pd.DataFrame({"step": ref.FUNNEL_STEPS, "users": users, "conv_prev": users / prev.where(prev != 0),
                         "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan)})


def funnel_strictly_later(events: pd.DataFrame) -> pd.DataFrame:
    reached = events.loc[events["step"] == "view"].groupby("user_id")["ts"].min()
    counts = [len(reached)]
    for step in ref.FUNNEL_STEPS[1:]:
        ev = events.loc[events["step"] == step, ["user_id", "ts"]]
        ev = ev.merge(reached.rename("prev_ts").reset_index(), on="user_id")
        reached = ev.loc[ev["ts"] > ev["prev_ts"]].groupby("user_id")["ts"].min()
        counts.append(len(reached))
    users = pd.Series(counts, dtype="int64")
    prev = users.shift(1)
    return pd.DataFrame({"step": ref.FUNNEL_STEPS, "users": users, "conv_prev": users / prev.where(prev != 0),
                         "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan)})


def first_last_groupby_first(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date", "order_id"])
    g = o.groupby("customer_id")
    out = pd.DataFrame({"first_date": g["order_date"].first(), "first_amount": g["amount"].first(),
                        "last_date": g["order_date"].last(), "last_amount": g["amount"].last()})
    return out.reset_index()


def first_last_idxmin(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"])
    first = o.loc[o.groupby("customer_id")["order_date"].idxmin()].set_index("customer_id")
    last = o.loc[o.groupby("customer_id")["order_date"].idxmax()].set_index("customer_id")
    out = pd.DataFrame({"first_date": first["order_date"], "first_amount": first["amount"],
                        "last_date": last["order_date"], "last_amount": last["amount"]})
    return out.rename_axis("customer_id").reset_index()


def new_returning_counts_orders(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())
    is_new = o["day"] == o.groupby("customer_id")["day"].transform("min")
    o = o.assign(new_customers=is_new.astype("int64"), returning_customers=(~is_new).astype("int64"))
    return o.groupby("day", as_index=False)[["new_customers", "returning_customers"]].sum()


def new_returning_first_timestamp(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"])
    is_new = o["order_date"] == o.groupby("customer_id")["order_date"].transform("min")
    o = o.assign(day=o["order_date"].dt.normalize(), new=is_new)
    new = o.loc[o["new"]].groupby("day")["customer_id"].nunique()
    ret = o.loc[~o["new"]].groupby("day")["customer_id"].nunique()
    days = pd.Index(sorted(o["day"].unique()), name="day")
    return pd.DataFrame({"new_customers": new.reindex(days, fill_value=0),
                         "returning_customers": ret.reindex(days, fill_value=0)}).reset_index()


# --- resilience -------------------------------------------------------------------------------------------
def retry_everything(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                     sleep: Callable[[float], None] = time.sleep) -> object:
    """The reviewed code: retries every exception (a data error is not transient) with a constant delay."""
    for i in range(attempts):
        try:
            return op()
        except Exception:
            if i == attempts - 1:
                raise
            sleep(base_delay)
    return None


def retry_no_backoff(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                     sleep: Callable[[float], None] = time.sleep) -> object:
    for i in range(attempts):
        try:
            return op()
        except TransientError:
            if i == attempts - 1:
                raise
            sleep(base_delay)
    return None

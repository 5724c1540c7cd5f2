"""Lesson 02 exercises: RFM that is reproducible, tie-proof and complete. Each classic mistake is in ``wrong_answers``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit import rfm
from pharma_kit.data import AS_OF, DefectRates, generate
from pharma_kit.exercises.core import Question

DAY = pd.Timedelta(days=1)


def _tx(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A small clean feed with multi-line orders and repeat customers."""
    return generate(n, int(rng.integers(0, 2**31)), rates=DefectRates.none(), n_customers=max(3, n // 10),
                    n_products=30, n_stores=3).transactions


def _tiny() -> pd.DataFrame:
    """Hand-made: a 3-line order, an evening purchase yesterday, one customer with a single line."""
    df = pd.DataFrame({
        "order_id": [1, 1, 1, 2, 3, 4],
        "customer_id": [10, 10, 10, 10, 20, 30],
        "order_date": pd.to_datetime(["2025-06-29 20:30", "2025-06-29 20:30", "2025-06-29 20:30",
                                      "2025-03-01 09:00", "2025-06-01 08:00", "2024-12-31 23:59"]),
        "amount": [5.0, 2.5, 12.0, 30.0, 9.99, 100.0],
    })
    df["order_date"] = df["order_date"].astype("datetime64[us]")
    return df


# --------------------------------------------------------------------------- q1 recency
def recency_days(tx: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Reference: whole days from each customer's last purchase day to ``as_of``."""
    return rfm.rfm_metrics(tx, as_of)["recency_days"].astype("int64")


def _year_end() -> pd.DataFrame:
    """Hand-made around a year end: a purchase at 23:59 on Dec 31, one at midnight exactly, one on Dec 30 at noon,
    customer ids out of order and a non-default index."""
    df = pd.DataFrame({
        "order_id": [7, 8, 9, 10, 10],
        "customer_id": [50, 40, 60, 40, 40],
        "order_date": pd.to_datetime(["2024-12-31 23:59:59", "2024-12-31 00:00:00", "2024-12-30 12:00:00",
                                      "2024-11-30 23:00:00", "2024-11-30 23:00:00"]),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }, index=pd.Index([500, 400, 300, 200, 100], name="line"))
    df["order_date"] = df["order_date"].astype("datetime64[us]")
    return df


def _recency_cases(rng):
    return [
        {"tx": _year_end(), "as_of": pd.Timestamp("2025-01-01")},
        {"tx": _tiny(), "as_of": AS_OF},
        {"tx": _tx(rng, 60), "as_of": AS_OF},
        {"tx": _tx(rng, 800), "as_of": AS_OF + int(rng.integers(1, 90)) * DAY},
    ]


def _wrong_now(tx, as_of):
    last = tx.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp.now().normalize() - last.dt.normalize()).dt.days.rename("recency_days")  # clock-ok: the trap this exercise is about


def _wrong_time_of_day(tx, as_of):
    last = tx.groupby("customer_id")["order_date"].max()
    return (as_of - last).dt.days.rename("recency_days")


def _wrong_data_max(tx, as_of):
    last = tx.groupby("customer_id")["order_date"].max()
    return (tx["order_date"].max().normalize() - last.dt.normalize()).dt.days.rename("recency_days")


def _right_floor(tx, as_of):
    last_day = tx.groupby("customer_id")["order_date"].max().dt.floor("D")
    return (pd.Timestamp(as_of) - last_day).dt.days.rename("recency_days")


def _right_numpy_days(tx, as_of):
    days = tx["order_date"].to_numpy().astype("datetime64[D]")        # the calendar day of each line
    last = pd.Series(days, index=tx.index).groupby(tx["customer_id"].to_numpy()).max()  # unnamed index
    gap = (np.datetime64(pd.Timestamp(as_of), "D") - last.to_numpy().astype("datetime64[D]")).astype("int64")
    return pd.Series(gap, index=last.index, name="recency_days")


def _right_dates_loop(tx, as_of):
    last: dict = {}
    for cust, when in zip(tx["customer_id"], tx["order_date"]):
        day = when.date()
        if cust not in last or day > last[cust]:
            last[cust] = day
    as_of_day = pd.Timestamp(as_of).date()
    return pd.Series({c: (as_of_day - last[c]).days for c in sorted(last)}, name="recency_days")


q1 = Question(
    name="l02_recency_as_of",
    prompt=("Return each customer's recency as of `as_of` (a midnight Timestamp): the number of whole days from "
            "the DAY of their last order to `as_of` (ordered yesterday at 20:30 -> 1). A Series named "
            "'recency_days', indexed by customer_id (sorted). Never read the clock."),
    reference=recency_days,
    cases=_recency_cases,
    hints=["Take each customer's latest `order_date` with a groupby, then subtract it from `as_of`.",
           "`(as_of - last).dt.days` rounds 1 day minus 3.5 hours DOWN to 0: drop the time of day first.",
           "Which Series `.dt` method turns 2024-12-31 23:59 into 2024-12-31 00:00?"],
    wrong_answers={"uses now()": _wrong_now, "keeps the time of day": _wrong_time_of_day,
                   "uses the data's last date instead of as_of": _wrong_data_max},
    right_answers={"dt.floor('D')": _right_floor, "numpy datetime64[D]": _right_numpy_days,
                   "a loop over python dates": _right_dates_loop},
    check_index_names=False,    # 'indexed by customer_id' fixes the labels, not the index's name
    solution_text=("last = tx.groupby('customer_id')['order_date'].max()\n"
                   "return (as_of - last.dt.normalize()).dt.days.rename('recency_days')"),
    explanation="A fixed as_of makes the result testable and reproducible; now() changes the answer every day.",
)


# --------------------------------------------------------------------------- q2 frequency and order value
def frequency_and_order_value(tx: pd.DataFrame) -> pd.DataFrame:
    """Reference: distinct orders per customer, and their average net spend per order."""
    m = rfm.rfm_metrics(tx, tx["order_date"].max().normalize() + DAY, monetary="mean_order")
    return m[["frequency"]].assign(avg_order_value=(m["revenue"] / m["frequency"]).where(m["frequency"] > 0))  # unrounded, as the prompt asks


def _freq_cases(rng):
    return [{"tx": _year_end()}, {"tx": _tiny()}, {"tx": _tx(rng, 40)}, {"tx": _tx(rng, 900)}]


def _right_orders_first(tx):
    orders = tx.groupby(["customer_id", "order_id"])["amount"].sum()       # one row per ORDER
    per_customer = orders.groupby(level="customer_id")
    return pd.DataFrame({"frequency": per_customer.size(), "avg_order_value": per_customer.mean()})


def _right_named_agg(tx):
    out = tx.groupby("customer_id").agg(frequency=("order_id", "nunique"), total=("amount", "sum"))
    out["avg_order_value"] = out.pop("total") / out["frequency"]
    return out.rename_axis(None)  # an unnamed index: the prompt names none


def _wrong_rows(tx):
    g = tx.groupby("customer_id")
    return pd.DataFrame({"frequency": g.size(), "avg_order_value": g["amount"].sum() / g.size()})


def _wrong_line_mean(tx):
    g = tx.groupby("customer_id")
    return pd.DataFrame({"frequency": g["order_id"].nunique(), "avg_order_value": g["amount"].mean()})


q2 = Question(
    name="l02_orders_not_rows",
    prompt=("Return a DataFrame indexed by customer_id (sorted) with columns 'frequency' (number of DISTINCT "
            "orders: an order can have several lines) and 'avg_order_value' (total amount / frequency)."),
    reference=frequency_and_order_value,
    cases=_freq_cases,
    hints=["One row is one order LINE. Which groupby aggregation counts distinct values?",
           "`g['order_id'].nunique()` for frequency; `g['amount'].mean()` averages lines, not orders.",
           "An order's value is the sum of its lines: divide each customer's total by the number of orders."],
    wrong_answers={"counts rows as orders": _wrong_rows, "averages lines instead of orders": _wrong_line_mean},
    right_answers={"orders first, then customers": _right_orders_first, "named aggregation": _right_named_agg},
    check_index_names=False,    # 'indexed by customer_id' fixes the labels, not the index's name
    solution_text=("g = tx.groupby('customer_id')\n"
                   "freq = g['order_id'].nunique()\n"
                   "return pd.DataFrame({'frequency': freq, 'avg_order_value': g['amount'].sum() / freq})"),
    explanation="Lines inflate frequency by the basket size; a 3-line order is still one visit.",
)


# --------------------------------------------------------------------------- q3 tie-proof scores
def _score_cases(rng):
    n = int(rng.integers(30, 300))
    ones = int(n * rng.uniform(0.4, 0.7))
    freq_like = np.concatenate([np.ones(ones), rng.integers(2, 9, n - ones)]).astype("float64")
    rng.shuffle(freq_like)
    return [
        {"values": pd.Series([7.0] * 12, name="v"), "reverse": False},
        # a tied block that straddles a bucket boundary, reversed, on a non-default index; fewer than 5 values
        {"values": pd.Series([2.0, 1.0, 2.0, 3.0, 1.0, 1.0, 5.0], name="recency_days",
                             index=pd.Index([70, 60, 50, 40, 30, 20, 10], name="customer_id")), "reverse": True},
        {"values": pd.Series([4.0, 4.0, 1.0], name="v", index=pd.Index([9, 8, 7], name="customer_id")),
         "reverse": False},
        {"values": pd.Series([3.0, 1.0, 2.0], name="v"), "reverse": True},
        {"values": pd.Series(freq_like, name="frequency"), "reverse": False},
        {"values": pd.Series(rng.integers(1, 40, n).astype("float64"), name="recency_days"), "reverse": True},
        {"values": pd.Series(rng.gamma(1.0, 50.0, n).round(2), name="monetary",
                             index=pd.Index(rng.permutation(n) + 1000, name="customer_id")), "reverse": False},
    ]


def _wrong_qcut(values, reverse=False):
    labels = [5, 4, 3, 2, 1] if reverse else [1, 2, 3, 4, 5]
    return pd.qcut(values, 5, labels=labels).astype("int64")


def _wrong_rank_first(values, reverse=False):
    x = -values if reverse else values
    return pd.Series(rfm.ntile(x.rank(method="first").to_numpy().astype("int64") - 1, len(x)),
                     index=values.index, name=values.name)


def _wrong_no_reverse(values, reverse=False):
    return rfm.quintile_scores(values)


def _right_sorted_blocks(values, reverse=False):
    # sort, number the positions, give each tied block its first position, then NTILE
    order = values.sort_values(ascending=not reverse, kind="stable")
    pos = pd.Series(np.arange(len(order)), index=order.index)
    block_start = pos.groupby(order.to_numpy()).transform("min")
    return pd.Series(rfm.ntile(block_start.to_numpy(), len(values)), index=order.index).reindex(values.index)


def _right_manual_ntile(values, reverse=False):
    # rank(ascending=False) instead of negating, and SQL's NTILE written out: the first n % 5 buckets get one extra
    start = values.rank(method="min", ascending=not reverse).to_numpy().astype("int64") - 1
    n = len(values)
    q, r = divmod(n, 5)
    big = r * (q + 1)
    score = np.where(start < big, start // max(q + 1, 1), r + (start - big) // max(q, 1)) + 1
    return pd.Series(score.astype("int64"), index=values.index, name="score")


q3 = Question(
    name="l02_tie_proof_scores",
    prompt=("Score `values` 1..5 so that ties never fail and equal values always share a score: sort ascending "
            "(descending when `reverse=True`, so the LOWEST value scores 5, as recency needs); a tied block "
            "gets the SQL NTILE(5) bucket of the position where the block starts. `rfm.ntile(pos0, n)` gives "
            "the NTILE buckets of 0-based positions. Return the scores as a Series with the same index as "
            "`values` (any name)."),
    reference=rfm.quintile_scores,
    cases=_score_cases,
    hints=["`pd.qcut(values, 5)` raises 'Bin edges must be unique' as soon as a fifth of the values tie.",
           "`rank(method='min')` gives every member of a tied block the block's first position (1-based).",
           "`rfm.ntile` wants 0-based positions, and `rank` counts from 1; for `reverse`, rank the other way round."],
    wrong_answers={"qcut fails on ties": _wrong_qcut, "rank 'first' splits equal values": _wrong_rank_first,
                   "forgets to reverse recency": _wrong_no_reverse},
    right_answers={"sorted blocks + groupby min": _right_sorted_blocks, "rank(ascending=False) + NTILE by hand":
                   _right_manual_ntile},
    check_series_name=False,    # the prompt sets no name; 'the same index' keeps the index's name
    solution_text=("x = -values if reverse else values\n"
                   "pos0 = x.rank(method='min').to_numpy().astype('int64') - 1  # where each tied block starts\n"
                   "return pd.Series(rfm.ntile(pos0, len(x)), index=values.index, name=values.name)"),
    explanation=("Two customers with the same behaviour get the same score; with 'first' one of them would be "
                 "promoted by an arbitrary tie-break (row order or customer id)."),
)


# --------------------------------------------------------------------------- q4 a complete segment map
NOTES_MAP = {  # the source notes' map: 13 of 125 codes
    "555": "Champions", "554": "Champions", "544": "Champions", "545": "Champions",
    "543": "Loyal", "444": "Loyal", "435": "Loyal",
    "355": "Potential Loyalist", "354": "Potential Loyalist", "345": "Potential Loyalist",
    "111": "Lost", "112": "Lost", "121": "Lost",
}


def segments_from_table(scores: pd.DataFrame, seg_table: pd.DataFrame) -> pd.Series:
    """Reference: each customer's segment name from a validated 125-code table."""
    sm = rfm.segment_map_from_table(seg_table)
    return rfm.assign_segments(scores[["r", "f", "m"]], sm)["segment"].astype("str").rename("segment")


def _segment_cases(rng):
    table = rfm.load_segment_map().table
    grid = pd.DataFrame([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
                        columns=["r", "f", "m"])
    grid.index = pd.Index(rng.permutation(125) + 500, name="customer_id")
    n = int(rng.integers(20, 200))
    rand = pd.DataFrame(rng.integers(1, 6, (n, 3)), columns=["r", "f", "m"],
                        index=pd.Index(np.arange(n) + 1, name="customer_id"))
    return [
        {"scores": grid.sort_index(), "seg_table": table},
        {"scores": rand, "seg_table": table.sample(frac=1.0, random_state=int(rng.integers(0, 1000)))},
    ]


def _right_merge(scores, seg_table):
    keyed = scores[["r", "f", "m"]].reset_index()
    out = keyed.merge(seg_table[["r", "f", "m", "segment"]], on=["r", "f", "m"], how="left", validate="many_to_one")
    return pd.Series(out["segment"].to_numpy(), index=scores.index, name="segment")  # a left merge keeps row order


def _right_dict_loop(scores, seg_table):
    lookup = {(int(r), int(f), int(m)): seg for r, f, m, seg in
              zip(seg_table["r"], seg_table["f"], seg_table["m"], seg_table["segment"])}
    names = [lookup[(int(r), int(f), int(m))] for r, f, m in zip(scores["r"], scores["f"], scores["m"])]
    return pd.Series(names, index=scores.index, name="segment", dtype=object)


def _right_multiindex(scores, seg_table):
    table = seg_table.set_index(["r", "f", "m"])["segment"]
    wanted = pd.MultiIndex.from_frame(scores[["r", "f", "m"]])
    return table.reindex(wanted).set_axis(scores.index).rename("segment")


def _wrong_notes_map(scores, seg_table):
    code = scores["r"].astype("str") + scores["f"].astype("str") + scores["m"].astype("str")
    return code.map(NOTES_MAP).fillna("Others").rename("segment")


def _wrong_inner_merge(scores, seg_table):
    code = (scores["r"].astype("str") + scores["f"].astype("str") + scores["m"].astype("str")).rename("code")
    known = seg_table[seg_table["r"] >= 2]  # a map that forgot a row of codes, merged with how='inner'
    out = code.reset_index().merge(known[["code", "segment"]], on="code").set_index("customer_id")
    return out["segment"]


q4 = Question(
    name="l02_complete_segment_map",
    prompt=("`scores` has int columns r, f, m (1..5) indexed by customer_id; `seg_table` is the segment map "
            "(columns code like '545', r, f, m, segment, ...; rows in any order). Return a Series named "
            "'segment' (the segment name per customer, same index and order as `scores`)."),
    reference=segments_from_table,
    cases=_segment_cases,
    hints=["Build the 3-character code from r, f and m (as text), then look it up.",
           "`seg_table.set_index('code')['segment']` is a code -> name lookup; `Series.map` applies it.",
           "Every one of the 125 codes is in `seg_table`: a lookup that needs a fallback like 'Others' is "
           "looking in the wrong map."],
    wrong_answers={"the notes' 13-code map with 'Others'": _wrong_notes_map,
                   "an inner merge drops unmapped customers": _wrong_inner_merge},
    right_answers={"left merge on r, f, m": _right_merge, "a dict of (r, f, m) tuples": _right_dict_loop,
                   "MultiIndex reindex": _right_multiindex},
    solution_text=("code = scores['r'].astype(str) + scores['f'].astype(str) + scores['m'].astype(str)\n"
                   "return code.map(seg_table.set_index('code')['segment']).rename('segment')"),
    explanation="A map that covers 13 of 125 codes puts most customers in 'Others': a segment nobody can act on.",
)


# --------------------------------------------------------------------------- q5 the segment summary
def summary_shares(segmented: pd.DataFrame) -> pd.DataFrame:
    """Reference: customers, share of customers and share of revenue per segment, every segment listed."""
    return rfm.segment_summary(segmented)[["customers", "share", "revenue_share"]]


def _summary_cases(rng):
    out = []
    for n in (300, 2000):
        res = rfm.rfm_segments(_tx(rng, n), AS_OF)
        out.append({"segmented": res.scored})
    s = out[-1]["segmented"]
    out.append({"segmented": s[~s["segment"].isin(["New", "Promising", "Can't Lose Them"])]})  # empty segments
    return out


def _right_value_counts_unsorted(segmented):
    c = segmented["segment"].value_counts(sort=False)          # a categorical keeps its category order and zeros
    rev = segmented.groupby("segment", observed=False)["revenue"].sum()
    return pd.DataFrame({"customers": c, "share": c / len(segmented), "revenue_share": rev / rev.sum()})


def _right_loop(segmented):
    cats = list(segmented["segment"].cat.categories)
    total_rev = segmented["revenue"].sum()
    rows = {}
    for cat in cats:
        part = segmented[segmented["segment"] == cat]
        rows[cat] = {"customers": len(part), "share": len(part) / len(segmented),
                     "revenue_share": part["revenue"].sum() / total_rev}
    return pd.DataFrame.from_dict(rows, orient="index")[["customers", "share", "revenue_share"]]


def _wrong_value_counts(segmented):
    c = segmented["segment"].value_counts()
    rev = segmented.groupby("segment", observed=False)["revenue"].sum().reindex(c.index)
    return pd.DataFrame({"customers": c, "share": c / c.sum(), "revenue_share": rev / rev.sum()})


def _wrong_observed(segmented):
    g = segmented.groupby("segment", observed=True)
    c, rev = g.size(), g["revenue"].sum()
    return pd.DataFrame({"customers": c, "share": c / c.sum(), "revenue_share": rev / rev.sum()})


q5 = Question(
    name="l02_segment_summary",
    prompt=("`segmented` has a categorical 'segment' column (categories ordered best to worst) and a 'revenue' "
            "column. Return a DataFrame indexed by segment in CATEGORY order, listing EVERY segment (an empty "
            "one shows 0), with columns 'customers', 'share' (of customers) and 'revenue_share'."),
    reference=summary_shares,
    cases=_summary_cases,
    hints=["`value_counts()` sorts by count; the table should keep the segments' own order.",
           "`groupby('segment', observed=False)` keeps empty categories; `observed=True` drops them.",
           "Count and sum per segment with one groupby that keeps empty categories, then divide each column by "
           "its own total."],
    wrong_answers={"value_counts reorders the segments": _wrong_value_counts,
                   "observed=True drops empty segments": _wrong_observed},
    right_answers={"value_counts(sort=False)": _right_value_counts_unsorted, "a loop over the categories": _right_loop},
    check_index_names=False,    # 'indexed by segment' fixes the labels, not the index's name
    solution_text=("g = segmented.groupby('segment', observed=False)\n"
                   "c, rev = g.size(), g['revenue'].sum()\n"
                   "return pd.DataFrame({'customers': c, 'share': c / c.sum(), 'revenue_share': rev / rev.sum()})"),
    explanation="An empty 'New' segment is news (nobody new arrived); a table that drops it hides that.",
)


# --------------------------------------------------------------------------- q6 returns and zero spend
def set_aside(tx: pd.DataFrame) -> list[int]:
    """Reference: the customers RFM cannot score (no purchase, or net spend <= 0), sorted."""
    res = rfm.rfm_segments(tx, tx["order_date"].max().normalize() + DAY)
    return [int(c) for c in res.unscored.index]


def _with_returns(rng, n):
    tx = _tx(rng, n)
    custs = tx["customer_id"].unique()
    k = max(3, len(custs) // 8)
    pick = rng.choice(custs, size=k, replace=False)
    extra = []
    for i, c in enumerate(pick):  # per customer: a partial return, refunds above spend, or a $0 line
        rows = tx[tx["customer_id"] == c]
        spend = rows["amount"].sum()
        kind = i % 3
        amount = {0: -round(spend * 0.3, 2), 1: -round(spend + 5.0, 2), 2: 0.0}[kind]  # 1: refunds exceed spend
        extra.append({"order_id": 9_000_000 + i, "customer_id": c, "order_date": rows["order_date"].max(),
                      "amount": amount})
    only_return = {"order_id": 9_100_000, "customer_id": 1, "order_date": tx["order_date"].min(), "amount": -4.5}
    only_zero = {"order_id": 9_100_001, "customer_id": 2, "order_date": tx["order_date"].min(), "amount": 0.0}
    add = pd.DataFrame(extra + [only_return, only_zero]).astype({"order_date": "datetime64[us]"})
    return pd.concat([tx[["order_id", "customer_id", "order_date", "amount"]], add], ignore_index=True)


def _net_zero() -> pd.DataFrame:
    """Hand-made (amounts exact in binary, so sums are exact): 101 returned everything (net exactly 0), 102 has
    only a $0 line, 103 a partial return (scored), 104 only a return, 105 refunds above spend, 106 a plain buyer."""
    df = pd.DataFrame({
        "order_id": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        "customer_id": [101, 101, 101, 102, 103, 103, 104, 105, 105, 106],
        "order_date": pd.to_datetime(["2025-05-01 10:00"] * 10),
        "amount": [12.5, 7.25, -19.75, 0.0, 10.0, -4.0, -3.5, 8.0, -8.5, 2.25],
    }, index=pd.Index(np.arange(10) * 3 + 1, name="line"))
    df["order_date"] = df["order_date"].astype("datetime64[us]")
    return df


def _aside_cases(rng):
    return [{"tx": _net_zero()}, {"tx": _tiny()}, {"tx": _with_returns(rng, 200)}, {"tx": _with_returns(rng, 1500)}]


def _right_dict_loop(tx):
    net: dict = {}
    for cust, amount in zip(tx["customer_id"], tx["amount"]):
        net[cust] = net.get(cust, 0.0) + amount
    return sorted(int(c) for c, total in net.items() if not total > 0)


def _right_bincount(tx):
    ids, codes = np.unique(tx["customer_id"].to_numpy(), return_inverse=True)
    net = np.bincount(codes, weights=tx["amount"].to_numpy(), minlength=len(ids))
    return ids[net <= 0].tolist()


def _wrong_negative_only(tx):
    net = tx.groupby("customer_id")["amount"].sum()
    return [int(c) for c in net.index[net < 0]]


def _wrong_any_return(tx):
    has_return = tx["amount"].lt(0).groupby(tx["customer_id"]).any()
    return [int(c) for c in has_return.index[has_return]]


q6 = Question(
    name="l02_returns_and_zero_spend",
    prompt=("A negative `amount` is a return, a $0 line is neither a purchase nor a return. Return the sorted "
            "list of customer ids that RFM must set aside instead of scoring: those whose NET spend (purchases "
            "minus returns) is not positive. Everyone else, returns included, is scored."),
    reference=set_aside,
    cases=_aside_cases,
    hints=["Net spend is the plain sum of `amount` per customer.",
           "'Not positive' includes exactly zero: a customer whose only line is $0, or who returned everything.",
           "Sum per customer, keep the ids whose sum is not above zero, and return them as a sorted list."],
    wrong_answers={"forgets zero spend (net < 0)": _wrong_negative_only,
                   "drops every customer with a return": _wrong_any_return},
    right_answers={"a dict of running sums": _right_dict_loop, "np.unique + np.bincount": _right_bincount},
    solution_text=("net = tx.groupby('customer_id')['amount'].sum()\n"
                   "return sorted(int(c) for c in net.index[net <= 0])"),
    explanation=("Zero or negative spenders would sit at the bottom of every M quintile and push real "
                 "customers up; set them aside with a reason instead of dropping them silently."),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]

__all__ = ["QUESTIONS", "NOTES_MAP", "q1", "q2", "q3", "q4", "q5", "q6"]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

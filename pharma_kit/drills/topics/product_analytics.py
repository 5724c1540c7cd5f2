"""Product-analytics drills: cohort retention, a funnel, first and last order per customer, new vs returning customers
per day.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import (
    Case, dollars, example_streaks, int_ids, latest_order_frame, minute_grid, question, str_series, streak_frame,
    ts, with_nat,
)
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 130


# === cohort-retention ================================================================================================

def example_cohort() -> Case:
    return {"orders": streak_frame([1, 1, 2, 2, 3], ["2025-01-10", "2025-02-03", "2025-01-20", "2025-03-01",
                                                     "2025-02-14"])}


def cases_cohort(rng: np.random.Generator) -> list[Case]:
    repeat = streak_frame([1, 1, 1, 2], ["2025-01-31", "2025-02-01", "2025-02-02", "2024-12-31"])
    nat = streak_frame([1, 2, 2], [None, "2025-01-01", None])
    # a cohort crossing the year: December -> January is period 1, not -11
    new_year = streak_frame([5, 5, 5, 6], ["2024-12-20", "2025-01-05", "2025-02-01", "2024-12-02"])
    n = 60
    rand = streak_frame(int_ids(rng, n, 12), list(with_nat(rng, minute_grid(rng, n, 150, 60 * 24), 0.05)))
    return [example_cohort(), {"orders": repeat}, {"orders": nat}, {"orders": new_year}, {"orders": rand}]


def cohort_retention(orders: pd.DataFrame) -> pd.DataFrame:
    """Long retention table: cohort (first-order month), period (months since), active customers, retention."""
    o = orders.dropna(subset=["order_date"])
    mi = o["order_date"].dt.year * 12 + o["order_date"].dt.month - 1  # months since year 0: Dec -> Jan is +1
    first = mi.groupby(o["customer_id"]).transform("min")
    t = pd.DataFrame({"first": first, "period": mi - first, "customer_id": o["customer_id"]})
    act = t.groupby(["first", "period"], as_index=False)["customer_id"].nunique().rename(columns={"customer_id": "customers"})
    size = act.loc[act["period"] == 0].set_index("first")["customers"]
    act["retention"] = act["customers"] / act["first"].map(size)
    year = (act["first"] // 12).astype("str").str.zfill(4)
    month = (act["first"] % 12 + 1).astype("str").str.zfill(2)
    act.insert(0, "cohort", year + "-" + month)
    return act.drop(columns="first").sort_values(["cohort", "period"]).reset_index(drop=True)


def cohort_counts_orders(orders: pd.DataFrame) -> pd.DataFrame:
    out = cohort_retention(orders)
    o = orders.dropna(subset=["order_date"])
    mi = o["order_date"].dt.year * 12 + o["order_date"].dt.month - 1
    first = mi.groupby(o["customer_id"]).transform("min")
    counts = pd.DataFrame({"first": first, "period": mi - first}).groupby(["first", "period"]).size()
    out["customers"] = counts.to_numpy()
    size = out.loc[out["period"] == 0].set_index("cohort")["customers"]
    out["retention"] = out["customers"] / out["cohort"].map(size)
    return out


def cohort_month_ignores_year(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders.dropna(subset=["order_date"])
    first_date = o.groupby("customer_id")["order_date"].transform("min")
    period = o["order_date"].dt.month - first_date.dt.month          # January - December = -11
    t = pd.DataFrame({"cohort": first_date.dt.strftime("%Y-%m"), "period": period, "customer_id": o["customer_id"]})
    act = t.groupby(["cohort", "period"], as_index=False)["customer_id"].nunique().rename(
        columns={"customer_id": "customers"})
    size = act.loc[act["period"] == 0].set_index("cohort")["customers"]
    act["retention"] = act["customers"] / act["cohort"].map(size)
    return act.sort_values(["cohort", "period"]).reset_index(drop=True)


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


COHORT_RETENTION_SQL = """
WITH o AS (
    SELECT customer_id, year(order_date) * 12 + month(order_date) - 1 AS mi FROM orders WHERE order_date IS NOT NULL
), f AS (
    SELECT customer_id, mi, MIN(mi) OVER (PARTITION BY customer_id) AS first_mi FROM o
), a AS (
    SELECT first_mi, mi - first_mi AS period, COUNT(DISTINCT customer_id) AS customers FROM f GROUP BY 1, 2
)
SELECT printf('%04d-%02d', first_mi // 12, first_mi % 12 + 1) AS cohort, period, customers,
       customers / FIRST_VALUE(customers) OVER (PARTITION BY first_mi ORDER BY period) AS retention
FROM a
ORDER BY cohort, period
"""


def cohort_retention_periods(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: monthly Periods; the period is the difference of two Periods in months."""
    o = orders.dropna(subset=["order_date"])
    month = o["order_date"].dt.to_period("M")
    first = month.groupby(o["customer_id"]).transform("min")
    t = pd.DataFrame({"cohort": first.astype(str), "period": (month - first).map(lambda d: d.n),
                      "customer_id": o["customer_id"]})
    act = t.groupby(["cohort", "period"])["customer_id"].nunique().rename("customers").reset_index()
    size = act.loc[act["period"] == 0].set_index("cohort")["customers"]
    act["retention"] = act["customers"] / act["cohort"].map(size)
    return act.sort_values(["cohort", "period"])


def cohort_retention_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: sets of customers per (cohort, period), months counted as year * 12 + month."""
    months: dict = {}
    for c, t in zip(orders["customer_id"], orders["order_date"]):
        if not pd.isna(t):
            months.setdefault(c, set()).add(t.year * 12 + t.month - 1)
    active: dict = {}
    for c, ms in months.items():
        first = min(ms)
        for m in ms:
            active.setdefault((first, m - first), set()).add(c)
    rows = [(f"{f // 12:04d}-{f % 12 + 1:02d}", p, len(cs), len(cs) / len(active[(f, 0)]))
            for (f, p), cs in sorted(active.items())]
    return pd.DataFrame(rows, columns=["cohort", "period", "customers", "retention"])


COHORT_RETENTION = Drill(
    id="cohort-retention", title="Cohort retention matrix", topic="product analytics", level=3,
    question=question("cohort-retention",
                      "`orders` has order_id, customer_id, order_date (may be NaT; ignore those rows). A customer's "
                      "cohort is the month of their first order ('YYYY-MM'); period = calendar months since the cohort "
                      "month. Return cohort, period, customers (distinct customers with an order in that period) and "
                      "retention = customers / cohort size, for every (cohort, period) with at least one customer, "
                      "sorted by cohort, period.",
                      cohort_retention, cases_cohort,
                      ["Month index = year*12 + month; the cohort is its min per customer (groupby().transform('min')).",
                       "Period = month index - cohort index (calendar months, not days // 30).",
                       "Distinct customers per (cohort, period); cohort size is the period-0 count."],
                      {"counts orders, not distinct customers": cohort_counts_orders,
                       "period from days // 30 instead of calendar months": cohort_days_div_30,
                       "month difference ignoring the year": cohort_month_ignores_year},
                      right={"Period arithmetic": cohort_retention_periods,
                             "sets and year * 12 + month": cohort_retention_loop}, check_index=False),
    example=example_cohort,
    sql=COHORT_RETENTION_SQL,
    complexity="O(N) with transform + one groupby; the matrix is cohorts x periods.",
    listens_for=["Cohort = first activity, computed once per customer (transform, not a loop).",
                 "Calendar-month arithmetic; distinct customers.",
                 "Right-censoring: young cohorts have fewer periods, don't average them naively."])


# === funnel ==========================================================================================================

def funnel_frame(user_id, step, ts_values) -> pd.DataFrame:
    return pd.DataFrame({"user_id": pd.Series(user_id, dtype="int64"), "step": str_series(step), "ts": ts(ts_values)})


def example_funnel() -> Case:
    return {"events": funnel_frame([1, 1, 1, 2, 2, 3],
                                   ["view", "cart", "purchase", "view", "cart", "purchase"],
                                   ["2025-03-01 09:00", "2025-03-01 09:05", "2025-03-01 09:09", "2025-03-01 10:00",
                                    "2025-03-01 10:02", "2025-03-01 11:00"])}


def cases_funnel(rng: np.random.Generator) -> list[Case]:
    order = funnel_frame([1, 1, 1, 1, 2, 2, 2, 2], ["cart", "view", "checkout", "purchase"] * 2,
                         ["2025-03-01 09:00", "2025-03-01 09:10", "2025-03-01 09:20", "2025-03-01 09:30"]
                         + ["2025-03-01 10:00"] * 4)
    no_views = funnel_frame([1, 2], ["cart", "purchase"], ["2025-03-01", "2025-03-02"])
    n = 80
    steps = np.array(["view", "cart", "checkout", "purchase"])
    rand = funnel_frame(int_ids(rng, n, 15), list(steps[rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])]),
                        list(minute_grid(rng, n, 1, 30)))
    return [{"events": example_funnel()["events"]}, {"events": order}, {"events": no_views}, {"events": rand}]


FUNNEL_STEPS = ["view", "cart", "checkout", "purchase"]


def funnel(events: pd.DataFrame) -> pd.DataFrame:
    """Ordered funnel: a user reaches a step with an event at or after reaching the previous step."""
    steps = ["view", "cart", "checkout", "purchase"]
    reached = events.loc[events["step"] == steps[0]].groupby("user_id")["ts"].min()
    counts = [len(reached)]
    for step in steps[1:]:
        ev = events.loc[events["step"] == step, ["user_id", "ts"]]
        ev = ev.merge(reached.rename("prev_ts").reset_index(), on="user_id")
        reached = ev.loc[ev["ts"] >= ev["prev_ts"]].groupby("user_id")["ts"].min()
        counts.append(len(reached))
    users = pd.Series(counts, dtype="int64")
    prev = users.shift(1)
    return pd.DataFrame({
        "step": steps,
        "users": users,
        "conv_prev": users / prev.where(prev != 0),
        "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan),
    })


def funnel_unordered(events: pd.DataFrame) -> pd.DataFrame:
    users = events.groupby("step")["user_id"].nunique().reindex(FUNNEL_STEPS, fill_value=0).astype("int64")
    users = users.reset_index(drop=True)
    prev = users.shift(1)
    return pd.DataFrame({"step": FUNNEL_STEPS, "users": users, "conv_prev": users / prev.where(prev != 0),
                         "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan)})


def funnel_strictly_later(events: pd.DataFrame) -> pd.DataFrame:
    reached = events.loc[events["step"] == "view"].groupby("user_id")["ts"].min()
    counts = [len(reached)]
    for step in FUNNEL_STEPS[1:]:
        ev = events.loc[events["step"] == step, ["user_id", "ts"]]
        ev = ev.merge(reached.rename("prev_ts").reset_index(), on="user_id")
        reached = ev.loc[ev["ts"] > ev["prev_ts"]].groupby("user_id")["ts"].min()
        counts.append(len(reached))
    users = pd.Series(counts, dtype="int64")
    prev = users.shift(1)
    return pd.DataFrame({"step": FUNNEL_STEPS, "users": users, "conv_prev": users / prev.where(prev != 0),
                         "conv_start": users / (users.iloc[0] if users.iloc[0] else np.nan)})


FUNNEL_SQL = """
WITH v AS (SELECT user_id, MIN(ts) AS t FROM events WHERE step = 'view' GROUP BY user_id),
c AS (SELECT e.user_id, MIN(e.ts) AS t FROM events e JOIN v USING (user_id)
      WHERE e.step = 'cart' AND e.ts >= v.t GROUP BY e.user_id),
k AS (SELECT e.user_id, MIN(e.ts) AS t FROM events e JOIN c USING (user_id)
      WHERE e.step = 'checkout' AND e.ts >= c.t GROUP BY e.user_id),
p AS (SELECT e.user_id, MIN(e.ts) AS t FROM events e JOIN k USING (user_id)
      WHERE e.step = 'purchase' AND e.ts >= k.t GROUP BY e.user_id),
n AS (
    SELECT 1 AS pos, 'view' AS step, COUNT(*) AS users FROM v
    UNION ALL SELECT 2, 'cart', COUNT(*) FROM c
    UNION ALL SELECT 3, 'checkout', COUNT(*) FROM k
    UNION ALL SELECT 4, 'purchase', COUNT(*) FROM p
)
SELECT step, users,
       users / NULLIF(LAG(users) OVER (ORDER BY pos), 0) AS conv_prev,
       users / NULLIF(FIRST_VALUE(users) OVER (ORDER BY pos), 0) AS conv_start
FROM n
ORDER BY pos
"""


def funnel_loop(events: pd.DataFrame) -> pd.DataFrame:
    """Right answer: per user, walk the steps in order, each reached at its earliest event since the previous."""
    steps = ["view", "cart", "checkout", "purchase"]
    times: dict = {}
    for u, s, t in zip(events["user_id"], events["step"], events["ts"]):
        times.setdefault(u, {}).setdefault(s, []).append(t)
    users = [0, 0, 0, 0]
    for per_step in times.values():
        reached = None
        for i, s in enumerate(steps):
            later = [t for t in per_step.get(s, []) if reached is None or t >= reached]
            if not later:
                break
            reached = min(later)
            users[i] += 1
    conv_prev = [np.nan] + [users[i] / users[i - 1] if users[i - 1] else np.nan for i in range(1, 4)]
    conv_start = [u / users[0] if users[0] else np.nan for u in users]
    return pd.DataFrame({"step": steps, "users": users, "conv_prev": conv_prev, "conv_start": conv_start})


def funnel_merge_asof(events: pd.DataFrame) -> pd.DataFrame:
    """Right answer: each step's earliest event at or after the previous step, with merge_asof (forward)."""
    steps = ["view", "cart", "checkout", "purchase"]
    reached = events.loc[events["step"] == "view"].groupby("user_id", as_index=False)["ts"].min()
    counts = [len(reached)]
    for s in steps[1:]:
        ev = events.loc[events["step"] == s, ["user_id", "ts"]].rename(columns={"ts": "next_ts"}).sort_values("next_ts")
        m = pd.merge_asof(reached.sort_values("ts"), ev, left_on="ts", right_on="next_ts", by="user_id",
                          direction="forward")
        reached = m.dropna(subset=["next_ts"])[["user_id", "next_ts"]].rename(columns={"next_ts": "ts"})
        counts.append(len(reached))
    users = pd.Series(counts, dtype="float64")
    return pd.DataFrame({"step": steps, "users": counts, "conv_prev": users / users.shift().replace(0, np.nan),
                         "conv_start": users / (users[0] if users[0] else np.nan)})


FUNNEL = Drill(
    id="funnel", title="Ordered funnel conversion", topic="product analytics", level=3,
    question=question("funnel",
                      "`events` has user_id, step ('view', 'cart', 'checkout', 'purchase') and ts. A user reaches 'view' "
                      "with any view; reaches each later step with an event of that step at or after the time they "
                      "reached the previous step. Return step (in funnel order), users, conv_prev (users / previous "
                      "step's users; NaN for 'view' or a zero base) and conv_start (users / 'view' users; NaN if 0).",
                      funnel, cases_funnel,
                      ["Walk the steps in order, carrying each user's time of reaching the previous step.",
                       "For a step: join its events to the previous reach times, keep ts >= reach time, take the min.",
                       "Counting users per step ignores the order; equal timestamps still count (>=)."],
                      {"counts users per step, ignoring order": funnel_unordered,
                       "strictly later only: same-second events drop out": funnel_strictly_later},
                      right={"a loop per user": funnel_loop,
                             "merge_asof forward": funnel_merge_asof}, check_index=False),
    example=example_funnel,
    sql=FUNNEL_SQL,
    complexity="O(K · N) for K steps (K is a small constant): one filter/join/groupby per step.",
    listens_for=["Ordered vs unordered funnels, and a conversion window if asked.",
                 "Denominators named (previous step vs top of funnel).",
                 "Tie handling at equal timestamps."])


# === first-last-per-group ============================================================================================

def example_first_last() -> Case:
    return {"orders": latest_order_frame([1, 1, 1, 2], [10, 11, 12, 13],
                                         ["2025-03-01", "2025-03-04", "2025-03-09", "2025-03-02"],
                                         [None, 4.0, 6.0, 3.0])}


def cases_first_last(rng: np.random.Generator) -> list[Case]:
    tie = latest_order_frame([1, 1, 1], [30, 20, 10], ["2025-03-01", "2025-03-01", "2025-03-01"], [3.0, None, 1.0])
    nat = latest_order_frame([2, 2, 3], [1, 2, 3], [None, "2025-03-01", None], [5.0, 6.0, 7.0])
    n = 40
    rand = latest_order_frame(int_ids(rng, n, 8), rng.permutation(n) + 1, list(with_nat(rng, minute_grid(rng, n, 4, 720), 0.05)),
                              dollars(rng, n, 20, 0.2))
    return [example_first_last(), {"orders": tie}, {"orders": nat}, {"orders": rand}]


def first_last_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's first and last order (date and amount of that very row), ties broken by order_id."""
    o = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    first = o.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    last = o.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    out = pd.DataFrame({"first_date": first["order_date"], "first_amount": first["amount"],
                        "last_date": last["order_date"], "last_amount": last["amount"]})
    return out.rename_axis("customer_id").reset_index()


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


FIRST_LAST_ORDER_SQL = """
WITH o AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date, order_id) AS rn_first,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date DESC, order_id DESC) AS rn_last
    FROM orders WHERE order_date IS NOT NULL
)
SELECT f.customer_id, f.order_date AS first_date, f.amount AS first_amount,
       l.order_date AS last_date, l.amount AS last_amount
FROM o f JOIN o l ON f.customer_id = l.customer_id AND f.rn_first = 1 AND l.rn_last = 1
ORDER BY f.customer_id
"""


def first_last_head_tail(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: sort, then head(1) and tail(1) per customer (rows, so a null amount is kept)."""
    o = orders.dropna(subset=["order_date"]).sort_values(["customer_id", "order_date", "order_id"])
    g = o.groupby("customer_id")
    first = g.head(1).set_index("customer_id")
    last = g.tail(1).set_index("customer_id")
    return pd.DataFrame({"first_date": first["order_date"], "first_amount": first["amount"],
                         "last_date": last["order_date"], "last_amount": last["amount"]}).reset_index()


def first_last_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: a loop keeping the smallest and largest (order_date, order_id) per customer."""
    first: dict = {}
    last: dict = {}
    for c, t, o, a in zip(orders["customer_id"], orders["order_date"], orders["order_id"], orders["amount"]):
        if pd.isna(t):
            continue
        if c not in first or (t, o) < first[c][0]:
            first[c] = ((t, o), a)
        if c not in last or (t, o) > last[c][0]:
            last[c] = ((t, o), a)
    rows = [(c, first[c][0][0], first[c][1], last[c][0][0], last[c][1]) for c in sorted(first)]
    return pd.DataFrame(rows, columns=["customer_id", "first_date", "first_amount", "last_date", "last_amount"])


FIRST_LAST_PER_GROUP = Drill(
    id="first-last-per-group", title="First and last order per customer", topic="product analytics", level=2,
    question=question("first-last-per-group",
                      "`orders` has customer_id, order_id, order_date (may be NaT: ignore those rows), amount (may be "
                      "null). For each customer return first_date, first_amount, last_date, last_amount, taken from "
                      "the earliest and latest ROWS (by order_date, ties by order_id), even if that row's amount is "
                      "null. Columns customer_id, first_date, first_amount, last_date, last_amount; sorted by "
                      "customer_id.",
                      first_last_order, cases_first_last,
                      ["GroupBy.first() returns the first NON-NULL value of each column, possibly from different rows.",
                       "Sort by customer_id, order_date, order_id, then drop_duplicates(keep='first'/'last').",
                       "idxmin on dates breaks ties by row position, not by order_id."],
                      {"groupby().first() skips nulls and mixes rows": first_last_groupby_first,
                       "idxmin/idxmax ignore the order_id tie-break": first_last_idxmin},
                      right={"head(1) / tail(1) after a sort": first_last_head_tail,
                             "a loop": first_last_loop}, check_index=False),
    example=example_first_last,
    sql=FIRST_LAST_ORDER_SQL,
    complexity="O(N log N) sort, O(N) dedup.",
    listens_for=["first() vs nth(0) vs the first row: null-skipping behaviour.",
                 "FIRST_VALUE / ROW_NUMBER in SQL with an explicit tie-break."])


# === new-vs-returning ================================================================================================

def cases_new_returning(rng: np.random.Generator) -> list[Case]:
    same_day = streak_frame([1, 1, 1, 2], ["2025-03-01 09:00", "2025-03-01 15:00", "2025-03-02 10:00",
                                           "2025-03-02 11:00"])
    nat = streak_frame([1, 1], [None, "2025-03-05"])
    n = 60
    rand = streak_frame(int_ids(rng, n, 10), list(with_nat(rng, minute_grid(rng, n, 8, 240), 0.05)))
    return [example_streaks(), {"orders": same_day}, {"orders": nat}, {"orders": rand}]


def new_vs_returning(orders: pd.DataFrame) -> pd.DataFrame:
    """Per day: distinct customers buying for the first time ever, and distinct returning customers."""
    o = (orders.dropna(subset=["order_date"]).assign(day=lambda f: f["order_date"].dt.normalize())[["customer_id", "day"]]
         .drop_duplicates())
    is_new = o["day"] == o.groupby("customer_id")["day"].transform("min")
    o = o.assign(new_customers=is_new.astype("int64"), returning_customers=(~is_new).astype("int64"))
    return o.groupby("day", as_index=False)[["new_customers", "returning_customers"]].sum()


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


NEW_VS_RETURNING_SQL = """
WITH d AS (
    SELECT DISTINCT customer_id, CAST(date_trunc('day', order_date) AS TIMESTAMP) AS day
    FROM orders WHERE order_date IS NOT NULL
), f AS (
    SELECT *, MIN(day) OVER (PARTITION BY customer_id) AS first_day FROM d
)
SELECT day,
       COUNT(*) FILTER (WHERE day = first_day) AS new_customers,
       COUNT(*) FILTER (WHERE day > first_day) AS returning_customers
FROM f GROUP BY day ORDER BY day
"""


def new_vs_returning_merge(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: first day per customer merged back, then counts of distinct customers."""
    o = orders.dropna(subset=["order_date"])
    d = pd.DataFrame({"customer_id": o["customer_id"], "day": o["order_date"].dt.floor("D")}).drop_duplicates()
    first = d.groupby("customer_id", as_index=False)["day"].min().rename(columns={"day": "first_day"})
    d = d.merge(first, on="customer_id")
    out = d.assign(new=d["day"] == d["first_day"]).groupby("day")["new"].agg(["sum", "size"])
    return pd.DataFrame({"day": out.index, "new_customers": out["sum"].to_numpy(),
                         "returning_customers": (out["size"] - out["sum"]).to_numpy()})


def new_vs_returning_loop(orders: pd.DataFrame) -> pd.DataFrame:
    """Right answer: sets of customers per day, and each customer's first day."""
    days: dict = {}
    for c, t in zip(orders["customer_id"], orders["order_date"]):
        if not pd.isna(t):
            days.setdefault(t.normalize(), set()).add(c)
    first: dict = {}
    for day in sorted(days):
        for c in days[day]:
            first.setdefault(c, day)
    rows = [(day, sum(first[c] == day for c in cs), sum(first[c] < day for c in cs)) for day, cs in sorted(days.items())]
    return pd.DataFrame(rows, columns=["day", "new_customers", "returning_customers"])


NEW_VS_RETURNING = Drill(
    id="new-vs-returning", title="New vs returning customers per day", topic="product analytics", level=2,
    question=question("new-vs-returning",
                      "`orders` has order_id, customer_id, order_date (may be NaT: ignore). For each day with orders "
                      "return new_customers (distinct customers whose first-ever order day is that day) and "
                      "returning_customers (distinct customers active that day whose first day is earlier). Columns "
                      "day (midnight), new_customers, returning_customers; sorted by day.",
                      new_vs_returning, cases_new_returning,
                      ["Work at the (customer, day) grain: drop duplicates first.",
                       "First day per customer with groupby().transform('min').",
                       "A second order on the first day is still a new customer's day."],
                      {"counts orders, not distinct customers": new_returning_counts_orders,
                       "first order by timestamp: a second order on day one counts as returning":
                           new_returning_first_timestamp},
                      right={"first day merged back": new_vs_returning_merge,
                             "sets per day": new_vs_returning_loop}, check_index=False),
    example=example_streaks,
    sql=NEW_VS_RETURNING_SQL,
    complexity="O(N) (hash dedup + transform + groupby).",
    listens_for=["'First ever' needs full history, not just the window being reported.",
                 "Grain: customers per day, de-duplicated."])

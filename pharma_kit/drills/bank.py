"""The drill bank, as data: 26 interview drills with SQL twins and 7 "what's wrong with this code" reviews.

Each entry wraps an exercise ``Question`` (so ``check`` is the course's one checker) with its topic, level,
example, SQL twin, complexity note, what the interviewer listens for and the classic wrong answers.
"""
from __future__ import annotations

from pharma_kit.drills import cases as c
from pharma_kit.drills import references as ref
from pharma_kit.drills import sql as q
from pharma_kit.drills import wrong as w
from pharma_kit.drills.model import Drill, retry_runner, twice
from pharma_kit.exercises.core import Question


#: Hidden rounds per check: the case maker's fixed edge cases (+ seeded extras), then this many fresh rounds.
RANDOM_ROUNDS = 2


def _q(name: str, prompt: str, reference, cases, hints: list[str], wrong: dict, **kw) -> Question:
    return Question(name=name, prompt=prompt, reference=reference, cases=cases, hints=hints, wrong_answers=wrong,
                    random_rounds=RANDOM_ROUNDS, **kw)


DRILLS: list[Drill] = [
    # ------------------------------------------------------------------ dedup
    Drill(
        id="dedup-latest", title="Dedup keeping the latest record", topic="dedup", level=1,
        question=_q("dedup-latest",
                    "`records` holds customer_id, email, updated_at, ingest_id (several versions per customer). Keep "
                    "exactly one row per customer: the newest updated_at; a missing updated_at counts as the oldest; "
                    "ties on updated_at go to the highest ingest_id. Return the rows (all columns) sorted by "
                    "customer_id with a fresh 0..n-1 index.",
                    ref.latest_record, c.cases_latest_record,
                    ["Sort so that the row you want is LAST within each customer, then drop_duplicates(keep='last').",
                     "Sort by customer_id, updated_at AND ingest_id: updated_at alone leaves ties to chance.",
                     "Where do NaT values go in a sort? na_position='first' makes a missing timestamp the oldest."],
                    {"keep='first' after an ascending sort (keeps the oldest)": w.latest_keep_first_ascending,
                     "ties on updated_at not broken by ingest_id": w.latest_ignores_tiebreak,
                     "NaT sorts last, so a missing timestamp 'wins'": w.latest_nat_wins}),
        example=c.example_latest_record,
        sql=q.LATEST_RECORD,
        complexity="O(N log N) for the sort; one pass for drop_duplicates. SQL: one window sort per partition.",
        listens_for=["A deterministic tie-break (ingest id, load sequence), not 'whatever order sort gives'.",
                     "What a NULL timestamp means for 'latest', said out loud.",
                     "ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ... DESC) = 1 as the SQL idiom (QUALIFY)."]),
    # ------------------------------------------------------------------ aggregation
    Drill(
        id="named-aggregation", title="Named aggregation instead of groupby().apply", topic="aggregation", level=1,
        question=_q("named-aggregation",
                    "`lines` are order lines (order_id, customer_id, product_id, store_id, category, order_date, "
                    "amount; amount may be null). Return one row per customer (index customer_id) with columns "
                    "total_amount (sum, nulls skipped), avg_line_amount (mean of non-null amounts), orders (distinct "
                    "order_ids), first_order, last_order (min/max order_date) and products (distinct product_ids).",
                    ref.customer_summary, c.cases_lines,
                    ["groupby('customer_id').agg(new_name=('column', 'func'), ...) names each output column.",
                     "A customer's lines share order_ids: orders is 'nunique', not a row count.",
                     "Don't fill nulls before the mean: the average of known amounts is what is asked."],
                    {"groupby().apply with len(group) counts lines, not orders": w.summary_apply_len,
                     "mean after fillna(0) drags the average down": w.summary_mean_fills_zero}),
        example=c.example_lines,
        sql=q.CUSTOMER_SUMMARY, sql_post=q.indexed("customer_id"),
        complexity="O(N) hash aggregation in C. apply() calls a Python function per group and builds a Series "
                   "each time: O(groups) interpreter overhead, often 10-100x slower.",
        listens_for=["Why apply is slow (Python call + object creation per group) and when it is still fine.",
                     "count vs size vs nunique, and how each treats nulls.",
                     "That pandas 3's apply no longer passes the grouping column to the function."]),
    Drill(
        id="median-per-group", title="Median order value per store", topic="aggregation", level=2,
        question=_q("median-per-group",
                    "`lines` are order lines (store_id, order_id, amount, ...). An order's value is the sum of its "
                    "lines. Return store_id, median_order_value (median of order values; even counts average the two "
                    "middle values) and orders (number of orders), one row per store, sorted by store_id.",
                    ref.median_order_value, c.cases_lines_nonempty,
                    ["Two levels: first sum lines into orders, then take the median per store.",
                     "groupby(['store_id', 'order_id'])['amount'].sum() gives order values.",
                     "A median cannot be combined from partial medians: it needs all values of the group."],
                    {"median of line amounts, not of order totals": w.median_of_lines,
                     "mean instead of median (skewed by big baskets)": w.mean_not_median}),
        example=c.example_lines,
        sql=q.MEDIAN_ORDER_VALUE,
        complexity="O(N) to build orders, then a selection per group (O(n) expected, or O(n log n) sorted).",
        listens_for=["The grain: lines vs orders, decided before any aggregate.",
                     "Median is holistic (not decomposable): chunked/distributed needs all values or a sketch.",
                     "Why a median suits skewed basket sizes better than a mean."]),
    Drill(
        id="percent-of-total", title="Share of the store's revenue per category", topic="aggregation", level=1,
        question=_q("percent-of-total",
                    "`lines` has store_id, category and amount (amount may be null). Return store_id, category, "
                    "revenue (sum of amount) and share = revenue / the store's total revenue (NaN if the store's "
                    "total is 0), sorted by store_id, category.",
                    ref.category_share, c.cases_lines,
                    ["Aggregate to (store, category) first.",
                     "groupby('store_id')['revenue'].transform('sum') puts the store total on every row.",
                     "Guard the division: a store whose amounts are all null has a total of 0."],
                    {"divides by the grand total, not the store's total": w.share_of_grand_total,
                     "shares computed per line before aggregating": w.share_per_line}),
        example=c.example_lines,
        sql=q.CATEGORY_SHARE,
        complexity="O(N) aggregation plus O(groups) transform; SQL: SUM() OVER (PARTITION BY store_id).",
        listens_for=["transform (same length) vs agg (one row per group).",
                     "The denominator stated explicitly: store, region or grand total?",
                     "Division by zero handled on purpose (NULLIF in SQL)."]),
    # ------------------------------------------------------------------ time series
    Drill(
        id="monthly-resample", title="Monthly revenue with empty months", topic="time series", level=1,
        question=_q("monthly-resample",
                    "`orders` has order_date and amount (amount may be null). Return a Series named 'amount', indexed "
                    "by month end (index name 'order_date'), with the revenue of every calendar month from the first "
                    "to the last order's month; months without orders are 0.",
                    ref.monthly_revenue, c.cases_monthly,
                    ["set_index('order_date') and resample to months.",
                     "pandas 3 spells month end 'ME' ('M' raises). 'MS' labels by month start.",
                     "groupby on a month key skips empty months; resample fills them."],
                    {"groupby on the month drops empty months": w.monthly_groupby_drops_empty,
                     "resample('MS') labels months by their first day": w.monthly_month_start}),
        example=c.example_monthly,
        sql=q.MONTHLY_REVENUE, sql_post=q.series("order_date", "amount"),
        complexity="O(N) binning; the calendar spine is O(months). SQL: generate_series spine LEFT JOIN sums.",
        listens_for=["Zero-filling is a decision: 0 revenue vs unknown; a calendar spine makes it explicit.",
                     "'ME' vs 'MS' labelling, and that 'M' was removed in pandas 3.",
                     "Timezone/boundary care: 23:59:59 on the 31st belongs to that month."]),
    Drill(
        id="month-over-month", title="Month-over-month growth with LAG", topic="time series", level=2,
        question=_q("month-over-month",
                    "`orders` has order_date and amount. Return month (month end), revenue (0 for months without "
                    "orders, first to last month), prev_revenue (the previous CALENDAR month's revenue; NaN for the "
                    "first) and growth = (revenue - prev_revenue) / prev_revenue (NaN when prev_revenue is 0 or NaN).",
                    ref.month_over_month, c.cases_monthly,
                    ["Build the full monthly series first (resample 'ME'), then shift.",
                     "shift(1) on a series with missing months compares with the wrong month.",
                     "pct_change turns a zero base into inf; the spec says NaN."],
                    {"shift over months with orders only (skips empty months)": w.mom_shift_over_active_months,
                     "pct_change: a zero base gives inf instead of NaN": w.mom_pct_change}),
        example=c.example_monthly,
        sql=q.MONTH_OVER_MONTH,
        complexity="O(N) to bin, O(months) for the window. SQL: LAG() OVER (ORDER BY month) on a filled spine.",
        listens_for=["'Previous row' vs 'previous period': fill the calendar before LAG/shift.",
                     "Division by a zero base handled deliberately (NULLIF).",
                     "Growth on a partial current month is misleading: mention the as-of cut."]),
    Drill(
        id="running-total", title="Running revenue per store", topic="window functions", level=1,
        question=_q("running-total",
                    "`orders` has store_id, order_date (timestamps, several per day) and amount (may be null). Return "
                    "store_id, day (midnight), revenue (the day's sum) and running_revenue (cumulative per store, in "
                    "day order), one row per store and day with orders, sorted by store_id, day.",
                    ref.running_revenue, c.cases_running,
                    ["Aggregate to one row per (store, day) first, then accumulate.",
                     "groupby('store_id')['revenue'].cumsum() restarts for every store.",
                     "SQL: SUM(revenue) OVER (PARTITION BY store_id ORDER BY day ROWS UNBOUNDED PRECEDING)."],
                    {"cumsum over the whole frame, not per store": w.running_total_not_per_store,
                     "running sum per order line before aggregating to days": w.running_total_per_row}),
        example=c.example_running,
        sql=q.RUNNING_REVENUE,
        complexity="O(N log N) (sort by store, day) then O(N) cumsum.",
        listens_for=["PARTITION BY (restart per store) and ORDER BY (what 'running' means).",
                     "ROWS vs RANGE frames: with duplicate order keys RANGE sums ties together.",
                     "The grain decided before the window: lines, orders or days."]),
    Drill(
        id="rolling-7-days", title="7-day rolling revenue over calendar days", topic="window functions", level=2,
        question=_q("rolling-7-days",
                    "`daily` has store_id, day and revenue (one row per store and day, days may be missing, revenue "
                    "may be null). Add rev_7d: the store's revenue over the 7 calendar days ending on that day "
                    "(missing days count as days; null revenues are skipped). Return it sorted by store_id, day.",
                    ref.rolling_7day, c.cases_rolling,
                    ["rolling(7) counts rows; the spec counts days.",
                     "A time-based window: rolling('7D', on='day') or set_index('day') then rolling('7D').",
                     "Group by store first so windows never cross stores."],
                    {"rolling(7) counts rows, not calendar days": w.rolling_seven_rows,
                     "window ignores the store (mixes stores)": w.rolling_ignores_store}),
        example=c.example_rolling,
        sql=q.ROLLING_7DAY,
        complexity="O(N) with a sliding sum after an O(N log N) sort. SQL: RANGE BETWEEN INTERVAL 6 DAYS PRECEDING.",
        listens_for=["Rows vs time windows, and what a gap in the data means.",
                     "The inclusive bound: 7 days ending today is 6 PRECEDING plus CURRENT ROW.",
                     "Alternative: reindex to a full calendar first, then rolling(7)."]),
    # ------------------------------------------------------------------ ranking
    Drill(
        id="top-n-per-group", title="Top-N products per store, with ties", topic="ranking", level=2,
        question=_q("top-n-per-group",
                    "`lines` has store_id, product_id and amount (may be null). Revenue is the sum per (store, "
                    "product). Return every product whose revenue rank within its store is <= n, where tied revenues "
                    "share a rank and the next rank skips (SQL RANK: 1, 1, 3). Columns store_id, product_id, revenue, "
                    "rank (int); sorted by store_id, rank, product_id.",
                    ref.top_products, c.cases_top_n,
                    ["Aggregate to revenue per (store, product) first.",
                     "rank(method='min', ascending=False) within each store gives 1, 1, 3 for ties.",
                     "head(n) after sorting is ROW_NUMBER: it drops a product tied at the boundary."],
                    {"head(n) after sorting drops tied products (ROW_NUMBER, not RANK)": w.top_head_drops_ties,
                     "global top n instead of per store": w.top_global}),
        example=c.example_top_n,
        sql=q.TOP_PRODUCTS,
        complexity="O(N) aggregate, O(P log P) rank within stores. nlargest per group is O(P log n).",
        listens_for=["ROW_NUMBER vs RANK vs DENSE_RANK, chosen on purpose for ties.",
                     "Per-group, not global: PARTITION BY store_id.",
                     "Filtering on a window needs QUALIFY or a subquery (not WHERE)."]),
    Drill(
        id="second-highest", title="Second-highest distinct order per customer", topic="ranking", level=2,
        question=_q("second-highest",
                    "`orders` has customer_id, order_id, order_date, amount (may be null). For EVERY customer, return "
                    "the second-highest distinct amount (NaN if there is none). Columns customer_id, second_highest, "
                    "sorted by customer_id.",
                    ref.second_highest_order, c.cases_second,
                    ["'Distinct' first: drop duplicate (customer, amount) pairs.",
                     "Rank within customer descending and keep rank 2 (DENSE_RANK in SQL).",
                     "Customers without a second value still appear: reindex on all customers."],
                    {"nlargest/nth without distinct: a repeated top amount becomes 'second'": w.second_not_distinct,
                     "customers without a second value are dropped": w.second_inner}),
        example=c.example_second,
        sql=q.SECOND_HIGHEST_ORDER,
        complexity="O(N log N) sort or O(N) with a per-group top-2 scan.",
        listens_for=["DENSE_RANK (distinct values) vs ROW_NUMBER (rows).",
                     "LEFT JOIN back to all customers so nobody silently disappears.",
                     "Nulls excluded from ranking, explicitly."]),
    # ------------------------------------------------------------------ gaps and islands
    Drill(
        id="gaps-and-islands", title="Consecutive purchase days (gaps and islands)", topic="gaps and islands", level=3,
        question=_q("gaps-and-islands",
                    "`orders` has order_id, customer_id, order_date (timestamps; several per day; may be NaT). For "
                    "each customer, find runs of consecutive CALENDAR days with at least one order. Return "
                    "customer_id, start, end (midnight timestamps) and days (run length), sorted by customer_id, "
                    "start. Rows without a date are ignored.",
                    ref.purchase_streaks, c.cases_streaks,
                    ["Reduce to distinct (customer, day) pairs first.",
                     "A new island starts where the gap to the previous day is not exactly 1 day; cumsum the flags.",
                     "SQL trick: day - ROW_NUMBER() is constant within an island."],
                    {"repeat orders on one day break the streak (no distinct days)": w.streaks_no_distinct_days,
                     "compares timestamps 24 h apart instead of calendar days": w.streaks_24h_apart}),
        example=c.example_streaks,
        sql=q.PURCHASE_STREAKS,
        complexity="O(N log N) sort, then O(N) diff/cumsum and one groupby.",
        listens_for=["The 'date minus row number' invariant, explained in one sentence.",
                     "Calendar days vs 24-hour gaps; de-duplicate days first.",
                     "Vectorised diff/cumsum, not a Python loop over rows."]),
    Drill(
        id="longest-streak", title="Longest purchase streak per customer", topic="gaps and islands", level=2,
        question=_q("longest-streak",
                    "Same input as gaps-and-islands. Return customer_id and longest (the length in days of the "
                    "customer's longest run of consecutive purchase days), sorted by customer_id; customers with no "
                    "dated order are left out.",
                    ref.longest_streak, c.cases_streaks,
                    ["Find the islands first; then it's a max per customer.",
                     "Counting days with orders is not a streak; counting all 1-day steps ignores the breaks.",
                     "purchase_streaks(...).groupby('customer_id')['days'].max()"],
                    {"counts distinct purchase days, not consecutive ones": w.longest_distinct_days,
                     "counts every 1-day step, ignoring breaks": w.longest_counts_all_pairs}),
        example=c.example_streaks,
        sql=q.LONGEST_STREAK,
        complexity="O(N log N): the islands, then O(islands) for the max.",
        listens_for=["Reuse of the islands building block rather than a new loop.",
                     "Edge cases named: one order only, same-day repeats, missing dates."]),
    # ------------------------------------------------------------------ sessionization
    Drill(
        id="sessionize", title="Sessionization with 30 minutes of inactivity", topic="sessionization", level=2,
        question=_q("sessionize",
                    "`events` has user_id, event_id, ts (duplicate timestamps happen). Sort by user_id, ts, event_id "
                    "and add session_id, numbered from 1 per user: a new session starts at a user's first event and "
                    "whenever the gap since the user's previous event is MORE than gap_minutes (exactly gap_minutes "
                    "stays in the session). Return the sorted frame with a fresh index.",
                    ref.sessionize, c.cases_sessions,
                    ["diff() of ts within each user gives the gaps.",
                     "New-session flag = first event OR gap > threshold; cumsum the flag per user.",
                     "Strictly greater: a 30-minute gap is still the same session."],
                    {">= splits sessions at exactly the threshold": w.sessions_inclusive_gap,
                     "diff across users (no groupby): a user's first event looks at the previous user":
                         w.sessions_global_diff}),
        example=c.example_sessions,
        sql=q.SESSIONIZE,
        complexity="O(N log N) sort, then O(N) diff and cumsum. SQL: LAG + running SUM of new-session flags.",
        listens_for=["The flag-then-cumsum pattern (same as gaps and islands).",
                     "Boundary semantics (> vs >=) stated, and a deterministic order for equal timestamps.",
                     "Partitioning by user so windows never leak across users."]),
    # ------------------------------------------------------------------ SCD, upserts, late data
    Drill(
        id="scd2-merge", title="SCD type 2 merge", topic="SCD and upserts", level=3,
        question=_q("scd2-merge",
                    "`dim` is a type-2 customer dimension (customer_id, tier, valid_from, valid_to, is_current; the "
                    "current row has valid_to NaT). `snapshot` has today's customer_id, tier (one row per customer; "
                    "tier may be null, and null == null means 'unchanged'). Apply it at `as_of`: for a changed "
                    "customer close the current row (valid_to=as_of, is_current False) and add a new current row "
                    "(valid_from=as_of); a new customer gets a current row; unchanged or absent customers are "
                    "untouched. Return all rows sorted by customer_id, valid_from.",
                    ref.scd2_merge, c.cases_scd2,
                    ["Compare the snapshot with the CURRENT rows only (a left merge with indicator=True).",
                     "NaN != NaN is True: a null-safe comparison needs (a == b) | (a.isna() & b.isna()).",
                     "Two outputs: the old rows with some closed, plus the new versions; concat and sort."],
                    {"type-1 overwrite: history is lost": w.scd1_overwrite,
                     "NaN != NaN opens a new version on every load": w.scd2_nan_not_equal,
                     "new customers dropped (inner join)": w.scd2_inner_drops_new}),
        example=c.example_scd2,
        sql=q.SCD2_MERGE,
        complexity="O(N + M) hash join of snapshot to current rows; the sort is O(N log N).",
        listens_for=["Null-safe comparison (IS DISTINCT FROM) and why it keeps reloads idempotent.",
                     "valid_to convention (exclusive as_of, NULL = open) and one current row per key.",
                     "Deletes: what happens to customers absent from the snapshot is a business decision."]),
    Drill(
        id="idempotent-upsert", title="Idempotent upsert (merge on key)", topic="SCD and upserts", level=2,
        question=_q("idempotent-upsert",
                    "`target` and `batch` have order_id, status, amount, updated_at. Merge the batch into the target: "
                    "for every order_id keep the row with the newest updated_at across target and batch (a batch row "
                    "wins a tie; an older batch row never replaces a newer target row); new keys are inserted. "
                    "Return one row per order_id sorted by order_id. Running it again with the same batch must "
                    "change nothing (the checker runs it twice).",
                    ref.upsert, c.cases_upsert,
                    ["Stack target and batch with a source marker, then keep the last per key after sorting.",
                     "Sort by order_id, updated_at, source so that ties go to the batch.",
                     "concat without de-duplication is append: a retry duplicates rows."],
                    {"append: a retry duplicates rows": w.upsert_append,
                     "blind overwrite: a stale batch row replaces a newer row": w.upsert_blind_overwrite,
                     "drop_duplicates(keep='first') keeps the old target row": w.upsert_keep_first},
                    runner=twice("target")),
        example=c.example_upsert,
        sql=q.UPSERT,
        complexity="O((N + M) log(N + M)) in pandas; a keyed table makes it O(M log N) (index lookups).",
        listens_for=["Idempotency proven: same input twice, same table.",
                     "Out-of-order delivery: compare versions (updated_at) before overwriting.",
                     "MERGE / INSERT ... ON CONFLICT DO UPDATE as the warehouse form."]),
    Drill(
        id="late-arriving-data", title="Late-arriving data: which partitions to rebuild", topic="late data", level=2,
        question=_q("late-arriving-data",
                    "`events` has event_id, event_time and loaded_at. The last run processed everything loaded up to "
                    "and including `watermark`. Return the event days (midnight, column day) that received rows "
                    "loaded after the watermark, with new_rows (their count), sorted by day.",
                    ref.partitions_to_rebuild, c.cases_late,
                    ["Filter on WHEN THE ROW ARRIVED (loaded_at), not when the event happened.",
                     "The watermark is inclusive for the last run, so new means loaded_at > watermark.",
                     "Group the new rows by event day: those partitions must be recomputed."],
                    {"filters on event_time: late rows for old days are missed": w.late_by_event_time,
                     ">= watermark reprocesses rows already loaded": w.late_inclusive}),
        example=c.example_late,
        sql=q.PARTITIONS_TO_REBUILD,
        complexity="O(N) filter and group; with a loaded_at index it is O(new rows).",
        listens_for=["Event time vs processing (load) time, and a watermark on load time.",
                     "Reprocess whole partitions idempotently (overwrite), never append corrections.",
                     "How late is too late: a lateness bound and a policy for rows beyond it."]),
    Drill(
        id="as-of-join", title="Price at the time of the order (as-of join)", topic="late data", level=3,
        question=_q("as-of-join",
                    "`orders` has order_id, product_id, order_date; `prices` has product_id, valid_from, price "
                    "(unique per product and valid_from). Attach to each order the price whose valid_from is the "
                    "latest one <= order_date for that product (NaN if none). Return the orders' columns plus price, "
                    "sorted by order_id.",
                    ref.price_at_order, c.cases_asof,
                    ["This is an as-of join: pd.merge_asof, with by='product_id'.",
                     "merge_asof needs both sides sorted on the time key.",
                     "A price valid from exactly the order time applies (allow_exact_matches=True)."],
                    {"joins today's price, not the price at order time": w.asof_latest_price,
                     "strict match: a price starting at the order instant is skipped": w.asof_strict}),
        example=c.example_asof,
        sql=q.PRICE_AT_ORDER,
        complexity="O((N + M) log(N + M)) sort, then a linear merge. A naive join + filter is O(N·M) per product.",
        listens_for=["Point-in-time correctness (no leakage of later prices).",
                     "merge_asof / ASOF JOIN rather than a cross join and filter.",
                     "Inclusive vs exclusive boundaries at the exact change instant."]),
    # ------------------------------------------------------------------ joins
    Drill(
        id="anti-join", title="Customers without orders (anti-join)", topic="joins", level=1,
        question=_q("anti-join",
                    "`customers` has customer_id and name; `orders` has order_id and customer_id (nullable). Return "
                    "the customers (all columns) who have no order, sorted by customer_id with a fresh index.",
                    ref.customers_without_orders, c.cases_anti,
                    ["An anti-join keeps left rows WITHOUT a match.",
                     "~customers['customer_id'].isin(...) or merge(how='left', indicator=True) then 'left_only'.",
                     "In SQL use NOT EXISTS: NOT IN returns nothing as soon as the subquery holds a NULL."],
                    {"inner join: the customers WITH orders": w.anti_as_inner,
                     "SQL NOT IN over a column with NULLs returns nothing": w.anti_not_in_sql}),
        example=c.example_anti,
        sql=q.CUSTOMERS_WITHOUT_ORDERS,
        complexity="O(N + M) with a hash set of order customer_ids.",
        listens_for=["NOT EXISTS vs NOT IN and the NULL trap (three-valued logic).",
                     "indicator=True as the pandas idiom, and no duplication of customers."]),
    Drill(
        id="join-explosion", title="Detect a join explosion before it happens", topic="joins", level=2,
        question=_q("join-explosion",
                    "`orders` (order_id, product_id) will be joined to `products` (product_id, name) on product_id; "
                    "both keys are nullable and nulls never match (SQL semantics). Return the keys that would "
                    "multiply order rows: product_id, order_rows, product_rows, extra_rows = order_rows * "
                    "(product_rows - 1), for keys duplicated in products AND used by orders, sorted by product_id.",
                    ref.join_fanout, c.cases_fanout,
                    ["Count key occurrences on each side (value_counts) instead of joining.",
                     "Only keys present on both sides with more than one product row matter.",
                     "pandas merge matches NaN to NaN; SQL never does: drop null keys."],
                    {"lists every duplicated product key, referenced or not": w.fanout_unreferenced,
                     "counts null keys as a key (pandas merge joins NaN to NaN)": w.fanout_nulls_match}),
        example=c.example_fanout,
        sql=q.JOIN_FANOUT,
        complexity="O(N + M) counting; no join is materialised.",
        listens_for=["validate='many_to_one' in pd.merge and row-count assertions before/after joins.",
                     "Null key semantics differ between pandas and SQL.",
                     "Fix at the source (dedup the dimension) rather than drop_duplicates after the join."]),
    # ------------------------------------------------------------------ reshaping
    Drill(
        id="pivot", title="Pivot: stores x months", topic="reshaping", level=1,
        question=_q("pivot",
                    "`orders` has store_id, order_date and amount (may be null). Return a wide table: index store_id, "
                    "one column per month present in the data named 'YYYY-MM' (sorted), values = revenue summed, 0 "
                    "where a store sold nothing that month.",
                    ref.store_month_pivot, c.cases_pivot,
                    ["Make a month key with dt.strftime('%Y-%m').",
                     "groupby([...]).sum().unstack(fill_value=0) or pivot_table(aggfunc='sum', fill_value=0).",
                     "pivot_table's default aggfunc is the mean."],
                    {"pivot_table's default aggfunc is the mean": w.pivot_mean,
                     "missing store-months left as NaN": w.pivot_no_fill}),
        example=c.example_pivot,
        sql=q.STORE_MONTH_PIVOT, sql_post=q.indexed("store_id"),
        complexity="O(N) aggregation; output is stores x months cells.",
        listens_for=["pivot (unique pairs, raises on duplicates) vs pivot_table (aggregates).",
                     "Missing cell = 0 or unknown: a stated choice.",
                     "Wide tables are for display; keep long tables for storage and joins."]),
    Drill(
        id="unpivot", title="Unpivot quarters into rows", topic="reshaping", level=1,
        question=_q("unpivot",
                    "`wide` has store_id and columns q1..q4 (sales, may be null). Return the long table store_id, "
                    "quarter ('q1'...), sales, without the empty cells, sorted by store_id, quarter.",
                    ref.unpivot_quarters, c.cases_unpivot,
                    ["melt(id_vars='store_id', var_name=..., value_name=...).",
                     "Drop the null cells and sort: melt returns quarter-major order."],
                    {"melt keeps the empty cells as rows": w.melt_keeps_nulls,
                     "melt's quarter-major order left unsorted": w.melt_unsorted}),
        example=c.example_unpivot,
        sql=q.UNPIVOT_QUARTERS,
        complexity="O(stores x quarters).",
        listens_for=["melt/UNPIVOT and that DuckDB's UNPIVOT drops NULLs by default (INCLUDE NULLS keeps them).",
                     "Long format as the tidy, joinable storage shape."]),
    Drill(
        id="flatten-json", title="Flatten nested order records", topic="json", level=2,
        question=_q("flatten-json",
                    "`records` is a list of dicts like {'order_id': 1, 'customer': {'id': 7, 'tier': 'gold'}, "
                    "'lines': [{'sku': ..., 'qty': ..., 'price': ...}, ...]}; 'tier' may be missing or None and "
                    "'lines' may be empty. Return one row per line with order_id, customer_id, tier, line_no (1-based "
                    "position in the list), sku, qty, price; an order without lines keeps ONE row with nulls in the "
                    "line columns. Sort by order_id, line_no.",
                    ref.flatten_orders, c.cases_flatten,
                    ["pd.json_normalize flattens nested dicts ('customer.id').",
                     "json_normalize(record_path='lines') silently drops orders whose list is empty: explode instead.",
                     "explode() turns [] into one NaN row: that is the 'keep every order' behaviour you want."],
                    {"json_normalize(record_path=...) drops orders without lines": w.flatten_record_path,
                     "assumes every customer has a tier (KeyError)": w.flatten_tier_required}),
        example=c.example_flatten,
        sql=q.FLATTEN_ORDERS, sql_inputs=q.json_payloads,
        complexity="O(total lines); json_normalize is a Python-level walk, fine for API pages, not for GBs "
                   "(use DuckDB read_json or pyarrow).",
        listens_for=["Every input record accounted for (empty lists, missing keys).",
                     "Schema drift handling: optional keys, explicit columns.",
                     "Where it runs at scale: read_json_auto / UNNEST in the warehouse."]),
    # ------------------------------------------------------------------ product analytics
    Drill(
        id="cohort-retention", title="Cohort retention matrix", topic="product analytics", level=3,
        question=_q("cohort-retention",
                    "`orders` has order_id, customer_id, order_date (may be NaT; ignore those rows). A customer's "
                    "cohort is the month of their first order ('YYYY-MM'); period = calendar months since the cohort "
                    "month. Return cohort, period, customers (distinct customers with an order in that period) and "
                    "retention = customers / cohort size, for every (cohort, period) with at least one customer, "
                    "sorted by cohort, period.",
                    ref.cohort_retention, c.cases_cohort,
                    ["Month index = year*12 + month; the cohort is its min per customer (groupby().transform('min')).",
                     "Period = month index - cohort index (calendar months, not days // 30).",
                     "Distinct customers per (cohort, period); cohort size is the period-0 count."],
                    {"counts orders, not distinct customers": w.cohort_counts_orders,
                     "period from days // 30 instead of calendar months": w.cohort_days_div_30}),
        example=c.example_cohort,
        sql=q.COHORT_RETENTION,
        complexity="O(N) with transform + one groupby; the matrix is cohorts x periods.",
        listens_for=["Cohort = first activity, computed once per customer (transform, not a loop).",
                     "Calendar-month arithmetic; distinct customers.",
                     "Right-censoring: young cohorts have fewer periods, don't average them naively."]),
    Drill(
        id="funnel", title="Ordered funnel conversion", topic="product analytics", level=3,
        question=_q("funnel",
                    "`events` has user_id, step ('view', 'cart', 'checkout', 'purchase') and ts. A user reaches 'view' "
                    "with any view; reaches each later step with an event of that step at or after the time they "
                    "reached the previous step. Return step (in funnel order), users, conv_prev (users / previous "
                    "step's users; NaN for 'view' or a zero base) and conv_start (users / 'view' users; NaN if 0).",
                    ref.funnel, c.cases_funnel,
                    ["Walk the steps in order, carrying each user's time of reaching the previous step.",
                     "For a step: join its events to the previous reach times, keep ts >= reach time, take the min.",
                     "Counting users per step ignores the order; equal timestamps still count (>=)."],
                    {"counts users per step, ignoring order": w.funnel_unordered,
                     "strictly later only: same-second events drop out": w.funnel_strictly_later}),
        example=c.example_funnel,
        sql=q.FUNNEL,
        complexity="O(K · N) for K steps (K is a small constant): one filter/join/groupby per step.",
        listens_for=["Ordered vs unordered funnels, and a conversion window if asked.",
                     "Denominators named (previous step vs top of funnel).",
                     "Tie handling at equal timestamps."]),
    Drill(
        id="first-last-per-group", title="First and last order per customer", topic="product analytics", level=2,
        question=_q("first-last-per-group",
                    "`orders` has customer_id, order_id, order_date (may be NaT: ignore those rows), amount (may be "
                    "null). For each customer return first_date, first_amount, last_date, last_amount, taken from "
                    "the earliest and latest ROWS (by order_date, ties by order_id), even if that row's amount is "
                    "null. Columns customer_id, first_date, first_amount, last_date, last_amount; sorted by "
                    "customer_id.",
                    ref.first_last_order, c.cases_first_last,
                    ["GroupBy.first() returns the first NON-NULL value of each column, possibly from different rows.",
                     "Sort by customer_id, order_date, order_id, then drop_duplicates(keep='first'/'last').",
                     "idxmin on dates breaks ties by row position, not by order_id."],
                    {"groupby().first() skips nulls and mixes rows": w.first_last_groupby_first,
                     "idxmin/idxmax ignore the order_id tie-break": w.first_last_idxmin}),
        example=c.example_first_last,
        sql=q.FIRST_LAST_ORDER,
        complexity="O(N log N) sort, O(N) dedup.",
        listens_for=["first() vs nth(0) vs the first row: null-skipping behaviour.",
                     "FIRST_VALUE / ROW_NUMBER in SQL with an explicit tie-break."]),
    Drill(
        id="new-vs-returning", title="New vs returning customers per day", topic="product analytics", level=2,
        question=_q("new-vs-returning",
                    "`orders` has order_id, customer_id, order_date (may be NaT: ignore). For each day with orders "
                    "return new_customers (distinct customers whose first-ever order day is that day) and "
                    "returning_customers (distinct customers active that day whose first day is earlier). Columns "
                    "day (midnight), new_customers, returning_customers; sorted by day.",
                    ref.new_vs_returning, c.cases_new_returning,
                    ["Work at the (customer, day) grain: drop duplicates first.",
                     "First day per customer with groupby().transform('min').",
                     "A second order on the first day is still a new customer's day."],
                    {"counts orders, not distinct customers": w.new_returning_counts_orders,
                     "first order by timestamp: a second order on day one counts as returning":
                         w.new_returning_first_timestamp}),
        example=c.example_streaks,
        sql=q.NEW_VS_RETURNING,
        complexity="O(N) (hash dedup + transform + groupby).",
        listens_for=["'First ever' needs full history, not just the window being reported.",
                     "Grain: customers per day, de-duplicated."]),
]


REVIEWS: list[Drill] = [
    Drill(
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
        question=_q("review-dedup-keep-first",
                    "Fix it: return each customer's most recent order (ties on order_date go to the higher order_id), "
                    "all columns, sorted by customer_id with a fresh index.",
                    ref.latest_order_per_customer, c.cases_latest_order,
                    ["Sort so the wanted row is last, then keep='last'.", "Add order_id to the sort for ties."],
                    {"the code under review": w.latest_order_keep_first,
                     "no tie-break on order_id": w.latest_order_unsorted_ties}),
        example=c.example_latest_order, complexity="O(N log N).",
        listens_for=["Reading sort direction and keep= together.", "A deterministic tie-break."]),
    Drill(
        id="review-qcut-ties", title="Review: quintile scores with qcut", topic="aggregation", level=2,
        code='''
def frequency_score(rfm):
    """Score purchase frequency 1..5 by quintile."""
    return pd.qcut(rfm["frequency"], 5, labels=[1, 2, 3, 4, 5])
''',
        options={"A": "labels must be strings.",
                 "B": "Many customers share the same frequency, so the quintile edges repeat and qcut raises "
                      "'Bin edges must be unique'.",
                 "C": "qcut should be cut.",
                 "D": "Frequencies must be sorted first."},
        answer="B",
        why="Frequencies are small integers with many ties (most customers buy once). Rank first with "
            "rank(method='first') so every value is distinct, then qcut the ranks.",
        question=_q("review-qcut-ties",
                    "Fix it: return an int64 Series named 'f_score' (aligned with rfm's index) holding quintile scores "
                    "1..5 of frequency, with ties broken by row order (rank(method='first')).",
                    ref.frequency_score, c.cases_qcut,
                    ["rank(method='first') makes every value distinct.", "Then pd.qcut(ranks, 5, labels=[1..5])."],
                    {"the code under review": w.qcut_on_ties,
                     "rank(method='min') keeps the ties": w.qcut_rank_min}),
        example=c.example_qcut, complexity="O(N log N) for the rank.",
        listens_for=["Why ties break quantile binning.", "That the tie-break is arbitrary and should be stated."]),
    Drill(
        id="review-mean-of-means", title="Review: chunked mean", topic="aggregation", level=2,
        code='''
def mean_amount_by_store(chunks):
    """Mean amount per store over a file read in chunks."""
    partial = [c.groupby("store_id")["amount"].mean() for c in chunks]
    return pd.concat(partial).groupby(level=0).mean()
''',
        options={"A": "concat needs ignore_index=True.",
                 "B": "groupby(level=0) groups by row number.",
                 "C": "A mean of chunk means weights every chunk equally; it is wrong unless every chunk has the "
                      "same count per store. Carry sums and counts.",
                 "D": "Nothing: means are associative."},
        answer="C",
        why="Means are not decomposable; sums and counts are. Add them up across chunks and divide once.",
        question=_q("review-mean-of-means",
                    "Fix it: return the exact mean amount per store across all chunks (nulls skipped; NaN for a store "
                    "with no non-null amount) as a Series named 'amount' indexed by store_id.",
                    ref.mean_amount_by_store, c.cases_chunks,
                    ["agg(['sum', 'count']) per chunk.", "Add the partials up, divide at the end."],
                    {"the code under review": w.mean_of_chunk_means}),
        example=c.example_chunks,
        complexity="O(N) total, O(stores) memory per chunk.",
        listens_for=["Decomposable (sum, count, min, max) vs holistic (median) aggregates.",
                     "The same bug in SQL: AVG of daily AVGs."]),
    Drill(
        id="review-resample-m", title="Review: monthly mean with resample('M')", topic="time series", level=1,
        code='''
def monthly_mean_basket(orders):
    """Mean order amount per month."""
    return orders.set_index("order_date").resample("M")["amount"].mean()
''',
        options={"A": "'M' was removed in pandas 3 (ValueError: Invalid frequency); month end is 'ME'.",
                 "B": "resample needs on='order_date'.",
                 "C": "mean should be sum.",
                 "D": "set_index drops order_date."},
        answer="A",
        why="pandas 3 removed the 'M' alias (also 'H', 'Q', 'Y'): use 'ME', 'h', 'QE', 'YE'.",
        question=_q("review-resample-m",
                    "Fix it: return the mean amount per calendar month as a Series named 'amount' indexed by month "
                    "end (index name 'order_date'), months without orders as NaN.",
                    ref.monthly_mean_basket, c.cases_mean_basket,
                    ["The month-end alias is 'ME'."],
                    {"the code under review": w.mean_basket_resample_m,
                     "'MS' labels by month start": w.mean_basket_month_start}),
        example=c.example_monthly, complexity="O(N).",
        listens_for=["Knowing the pandas 3 alias changes.", "Month-end vs month-start labelling."]),
    Drill(
        id="review-series-column", title="Review: a moving average on a Series", topic="time series", level=2,
        code='''
def add_moving_average(orders):
    daily = orders.set_index("order_date")["amount"].resample("D").sum()
    daily["ma_7"] = daily.rolling(7).mean()
    return daily
''',
        options={"A": "rolling(7) needs min_periods=1.",
                 "B": "resample('D') should be resample('1D').",
                 "C": "`daily` is a Series: daily['ma_7'] = ... does not add a column, it tries to set a ROW "
                      "labelled 'ma_7'. Make a DataFrame first.",
                 "D": "sum() should be mean()."},
        answer="C",
        why="Selecting one column gives a Series; item assignment on a Series sets a label. Use .to_frame('revenue') "
            "and then add 'ma_7' as a column.",
        question=_q("review-series-column",
                    "Fix it (name it daily_with_moving_average): return a DataFrame indexed by day (index name "
                    "'order_date', empty days = 0) with columns revenue and ma_7 (mean of the last 7 days, NaN until 7 "
                    "days exist).",
                    ref.daily_with_moving_average, c.cases_moving_average,
                    ["to_frame('revenue') first.", "rolling(7).mean() keeps NaN for the first 6 days."],
                    {"the code under review": w.moving_average_on_series,
                     "min_periods=1 invents averages from one day": w.moving_average_min_periods}),
        example=c.example_moving_average,
        complexity="O(N).",
        listens_for=["Series vs DataFrame, and what [] assignment means on each."]),
    Drill(
        id="review-now-recency", title="Review: recency with now()", topic="time series", level=1,
        code='''
def recency_days(orders):
    last = orders.groupby("customer_id")["order_date"].max()
    return (pd.Timestamp.now() - last).dt.days  # clock-ok: the trap this exercise is about
''',
        options={"A": "dt.days should be dt.total_seconds().",
                 "B": "It reads the wall clock: the result changes every day and cannot be tested or re-run for a "
                      "past date. Take an as_of parameter.",
                 "C": "max should be min.",
                 "D": "groupby needs as_index=False."},
        answer="B",
        why="A result that depends on when it ran is not reproducible. Pass as_of (the run's logical date).",
        question=_q("review-now-recency",
                    "Fix it: recency_days(orders, as_of) returns a Series named 'recency_days' indexed by customer_id: "
                    "whole days from the customer's last order to as_of.",
                    ref.recency_days, c.cases_recency,
                    ["Replace now() with the as_of argument."],
                    {"the code under review (ignores as_of)": w.recency_now,
                     "uses the data's max date as 'today'": w.recency_data_max}),
        example=c.example_recency, complexity="O(N).",
        listens_for=["as_of / logical date as a parameter everywhere.", "Backfills must reproduce history."]),
    Drill(
        id="review-retry-everything", title="Review: a retry that retries everything", topic="resilience", level=2,
        code='''
def call_with_retry(op, attempts=3, delay=1.0):
    for i in range(attempts):
        try:
            return op()
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(delay)     # (and the original never imported time)
''',
        options={"A": "It should catch BaseException.",
                 "B": "It retries every exception: a data-quality error fails the same way three times. And a "
                      "constant delay, no backoff.",
                 "C": "range should start at 1.",
                 "D": "The last exception is swallowed."},
        answer="B",
        why="Only transient failures are worth retrying. Catch TransientError only, back off exponentially "
            "(base_delay * 2**i), and let DataQualityError fail fast.",
        question=_q("review-retry-everything",
                    "Fix it: call_with_retry(op, attempts=3, base_delay=1.0, sleep=time.sleep) retries only "
                    "pharma_kit.errors.TransientError, sleeping base_delay * 2**i after failed attempt i (i from 0); "
                    "re-raises the last TransientError after `attempts` tries; any other exception propagates at once. "
                    "The checker drives it with a scripted op ('transient' raises TransientError, 'quality' raises "
                    "DataQualityError, 'ok' returns 42) and a fake sleep that records the delays.",
                    ref.call_with_retry, c.cases_retry,
                    ["except TransientError, not except Exception.", "sleep(base_delay * 2 ** i).",
                     "Use the sleep argument (the checker records the delays)."],
                    {"the code under review": w.retry_everything, "no backoff": w.retry_no_backoff},
                    runner=retry_runner),
        example=c.example_retry,
        signature="(op, attempts=3, base_delay=1.0, sleep=time.sleep)",
        stub_imports="import time\n\nfrom pharma_kit.errors import DataQualityError, TransientError\n",
        complexity="O(attempts).",
        listens_for=["Transient vs permanent errors.", "Backoff with jitter and a cap; idempotent operations."]),
    Drill(
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
        question=_q("review-append-on-retry",
                    "Fix it: return the warehouse with the rows of `day` replaced by `batch` (delete-then-insert), "
                    "sorted by sale_date, store_id with a fresh index. The checker runs it twice, like a retry.",
                    ref.load_day, c.cases_load_day,
                    ["Drop the warehouse rows whose sale_date == day, then concat the batch.",
                     "drop_duplicates is not a fix: corrected values differ from the old ones."],
                    {"the code under review": w.load_day_append,
                     "append then drop_duplicates keeps stale rows": w.load_day_drop_duplicates},
                    runner=twice("warehouse")),
        example=c.example_load_day,
        complexity="O(N) (or O(partition) with partitioned storage).",
        listens_for=["Idempotent loads: overwrite a partition or MERGE on a key.", "The run's logical date, not today."]),
]



ALL: list[Drill] = DRILLS + REVIEWS
_BY_ID = {d.id: d for d in ALL}
TOPICS: list[str] = sorted({d.topic for d in ALL})


def get(drill_id: str) -> Drill:
    """The drill with this id (KeyError names the known ids)."""
    try:
        return _BY_ID[drill_id]
    except KeyError:
        raise KeyError(f"unknown drill {drill_id!r}; known: {', '.join(sorted(_BY_ID))}") from None


def select(topic: str | None = None, level: int | None = None, kind: str | None = None) -> list[Drill]:
    """Drills matching a topic (case-insensitive substring), a level and a kind ('drill' or 'review')."""
    out = ALL
    if topic:
        out = [d for d in out if topic.lower() in d.topic.lower()]
    if level is not None:
        out = [d for d in out if d.level == int(level)]
    if kind:
        out = [d for d in out if d.kind == kind]
    return out


__all__ = ["DRILLS", "REVIEWS", "ALL", "TOPICS", "get", "select"]

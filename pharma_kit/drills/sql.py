"""SQL twins of the drills, run on an in-memory DuckDB, plus the runner that turns a query into a checkable function.

Every DataFrame argument of a drill is registered as a table of the same name; every scalar argument is a
``$name`` parameter. The runner normalises DuckDB's result (index, Series shape) so the same checker and the
same tolerance apply as for the pandas answer: the comparison is never loosened for SQL.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pandas as pd

Post = Callable[[pd.DataFrame, dict[str, Any]], Any]


def _param(v: Any) -> Any:
    """Python scalars DuckDB binds without surprises."""
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


_BASE: Any = None


def _cursor() -> Any:
    """A fresh cursor on one shared in-memory database: cheap (ms), and its temp tables die with it."""
    global _BASE
    import duckdb

    if _BASE is None:
        _BASE = duckdb.connect()
    return _BASE.cursor()


def run_sql(query: str, tables: dict[str, pd.DataFrame], params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``query`` on in-memory DuckDB with ``tables`` registered; return the last statement's result.

    Each call gets its own cursor (connection), so registered frames and TEMP tables never leak between calls.
    """
    con = _cursor()
    try:
        for name, frame in tables.items():
            con.register(name, frame)
        used = {k: _param(v) for k, v in (params or {}).items() if f"${k}" in query}
        result = con.execute(query, used) if used else con.execute(query)
        return result.df()
    finally:
        con.close()


def split_case(case: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Frames become tables, everything else a parameter."""
    tables = {k: v for k, v in case.items() if isinstance(v, pd.DataFrame)}
    params = {k: v for k, v in case.items() if not isinstance(v, pd.DataFrame)}
    return tables, params


def as_is(df: pd.DataFrame, case: dict[str, Any]) -> pd.DataFrame:
    """The query already returns the reference's shape."""
    return df


def indexed(col: str) -> Post:
    """Post-processor: move ``col`` into the index."""
    def post(df: pd.DataFrame, case: dict[str, Any]) -> pd.DataFrame:
        return df.set_index(col)
    return post


def series(index: str, value: str, name: str | None = None, index_name: str | None = None) -> Post:
    """Post-processor: a two-column result becomes a Series."""
    def post(df: pd.DataFrame, case: dict[str, Any]) -> pd.Series:
        s = df.set_index(index)[value].rename(name if name is not None else value)
        return s.rename_axis(index_name if index_name is not None else index)
    return post


def json_payloads(case: dict[str, Any]) -> dict[str, Any]:
    """Transport for the JSON drill: each record becomes one JSON text row of table ``raw``."""
    return {"raw": pd.DataFrame({"payload": pd.Series([json.dumps(r) for r in case["records"]], dtype="str")})}


# --- the twins --------------------------------------------------------------------------------------------
LATEST_RECORD = """
SELECT * FROM records
QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY updated_at DESC NULLS LAST, ingest_id DESC) = 1
ORDER BY customer_id
"""

CUSTOMER_SUMMARY = """
SELECT customer_id,
       COALESCE(SUM(amount), 0)   AS total_amount,
       AVG(amount)                AS avg_line_amount,
       COUNT(DISTINCT order_id)   AS orders,
       MIN(order_date)            AS first_order,
       MAX(order_date)            AS last_order,
       COUNT(DISTINCT product_id) AS products
FROM lines
GROUP BY customer_id
ORDER BY customer_id
"""

MONTHLY_REVENUE = """
WITH months AS (
    SELECT CAST(last_day(m) AS TIMESTAMP) AS month_end
    FROM generate_series((SELECT date_trunc('month', MIN(order_date)) FROM orders),
                         (SELECT date_trunc('month', MAX(order_date)) FROM orders),
                         INTERVAL 1 MONTH) AS g(m)
), sums AS (
    SELECT CAST(last_day(order_date) AS TIMESTAMP) AS month_end, SUM(amount) AS amount
    FROM orders GROUP BY 1
)
SELECT m.month_end AS order_date, COALESCE(s.amount, 0) AS amount
FROM months m LEFT JOIN sums s USING (month_end)
ORDER BY order_date
"""

MONTH_OVER_MONTH = """
WITH months AS (
    SELECT CAST(last_day(m) AS TIMESTAMP) AS month
    FROM generate_series((SELECT date_trunc('month', MIN(order_date)) FROM orders),
                         (SELECT date_trunc('month', MAX(order_date)) FROM orders),
                         INTERVAL 1 MONTH) AS g(m)
), sums AS (
    SELECT CAST(last_day(order_date) AS TIMESTAMP) AS month, SUM(amount) AS revenue FROM orders GROUP BY 1
), filled AS (
    SELECT m.month, COALESCE(s.revenue, 0) AS revenue FROM months m LEFT JOIN sums s USING (month)
)
SELECT month, revenue,
       LAG(revenue) OVER (ORDER BY month) AS prev_revenue,
       (revenue - LAG(revenue) OVER (ORDER BY month)) / NULLIF(LAG(revenue) OVER (ORDER BY month), 0) AS growth
FROM filled
ORDER BY month
"""

TOP_PRODUCTS = """
WITH rev AS (
    SELECT store_id, product_id, COALESCE(SUM(amount), 0) AS revenue FROM lines GROUP BY store_id, product_id
), ranked AS (
    SELECT *, RANK() OVER (PARTITION BY store_id ORDER BY revenue DESC) AS rank FROM rev
)
SELECT * FROM ranked WHERE rank <= $n ORDER BY store_id, rank, product_id
"""

RUNNING_REVENUE = """
WITH daily AS (
    SELECT store_id, CAST(date_trunc('day', order_date) AS TIMESTAMP) AS day, COALESCE(SUM(amount), 0) AS revenue
    FROM orders GROUP BY 1, 2
)
SELECT store_id, day, revenue,
       SUM(revenue) OVER (PARTITION BY store_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           AS running_revenue
FROM daily
ORDER BY store_id, day
"""

ROLLING_7DAY = """
SELECT store_id, day, revenue,
       SUM(revenue) OVER (PARTITION BY store_id ORDER BY day
                          RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS rev_7d
FROM daily
ORDER BY store_id, day
"""

_STREAKS_CTE = """
WITH d AS (
    SELECT DISTINCT customer_id, CAST(order_date AS DATE) AS day FROM orders WHERE order_date IS NOT NULL
), g AS (
    SELECT customer_id, day,
           day - CAST(ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day) AS INTEGER) AS island
    FROM d
), streaks AS (
    SELECT customer_id, CAST(MIN(day) AS TIMESTAMP) AS start, CAST(MAX(day) AS TIMESTAMP) AS "end",
           COUNT(*) AS days
    FROM g GROUP BY customer_id, island
)
"""

PURCHASE_STREAKS = _STREAKS_CTE + "SELECT * FROM streaks ORDER BY customer_id, start\n"

LONGEST_STREAK = _STREAKS_CTE + """
SELECT customer_id, MAX(days) AS longest FROM streaks GROUP BY customer_id ORDER BY customer_id
"""

SESSIONIZE = """
WITH e AS (
    SELECT *, LAG(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) AS prev_ts FROM events
)
SELECT user_id, event_id, ts,
       SUM(CASE WHEN prev_ts IS NULL OR ts - prev_ts > to_minutes($gap_minutes) THEN 1 ELSE 0 END)
           OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS session_id
FROM e
ORDER BY user_id, ts, event_id
"""

SCD2_MERGE = """
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

UPSERT = """
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

PARTITIONS_TO_REBUILD = """
SELECT CAST(date_trunc('day', event_time) AS TIMESTAMP) AS day, COUNT(*) AS new_rows
FROM events
WHERE loaded_at > CAST($watermark AS TIMESTAMP)
GROUP BY 1
ORDER BY 1
"""

PRICE_AT_ORDER = """
SELECT o.*, p.price
FROM orders o ASOF LEFT JOIN prices p
  ON o.product_id = p.product_id AND o.order_date >= p.valid_from
ORDER BY o.order_id
"""

CUSTOMERS_WITHOUT_ORDERS = """
SELECT c.* FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)
ORDER BY c.customer_id
"""

JOIN_FANOUT = """
WITH l AS (SELECT product_id, COUNT(*) AS order_rows FROM orders WHERE product_id IS NOT NULL GROUP BY 1),
     r AS (SELECT product_id, COUNT(*) AS product_rows FROM products WHERE product_id IS NOT NULL GROUP BY 1)
SELECT product_id, order_rows, product_rows, order_rows * (product_rows - 1) AS extra_rows
FROM l JOIN r USING (product_id)
WHERE product_rows > 1
ORDER BY product_id
"""

STORE_MONTH_PIVOT = """
PIVOT (SELECT store_id, strftime(order_date, '%Y-%m') AS month, amount FROM orders)
ON month USING COALESCE(SUM(amount), 0)
GROUP BY store_id
ORDER BY store_id
"""

UNPIVOT_QUARTERS = """
SELECT * FROM (UNPIVOT wide ON COLUMNS(* EXCLUDE (store_id)) INTO NAME quarter VALUE sales)
ORDER BY store_id, quarter
"""

FLATTEN_ORDERS = """
WITH r AS (SELECT CAST(payload AS JSON) AS j FROM raw),
o AS (
    SELECT CAST(j->>'order_id' AS BIGINT) AS order_id,
           CAST(j->'customer'->>'id' AS BIGINT) AS customer_id,
           j->'customer'->>'tier' AS tier,
           CAST(j->'lines' AS JSON[]) AS lines
    FROM r
)
SELECT o.order_id, o.customer_id, o.tier, l.line_no,
       l.line->>'sku' AS sku, CAST(l.line->>'qty' AS BIGINT) AS qty, CAST(l.line->>'price' AS DOUBLE) AS price
FROM o LEFT JOIN LATERAL (SELECT UNNEST(o.lines) AS line, generate_subscripts(o.lines, 1) AS line_no) l ON TRUE
ORDER BY o.order_id, l.line_no
"""

COHORT_RETENTION = """
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

FUNNEL = """
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

FIRST_LAST_ORDER = """
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

CATEGORY_SHARE = """
WITH rev AS (
    SELECT store_id, category, COALESCE(SUM(amount), 0) AS revenue FROM lines GROUP BY 1, 2
)
SELECT store_id, category, revenue,
       revenue / NULLIF(SUM(revenue) OVER (PARTITION BY store_id), 0) AS share
FROM rev
ORDER BY store_id, category
"""

MEDIAN_ORDER_VALUE = """
WITH o AS (SELECT store_id, order_id, SUM(amount) AS value FROM lines GROUP BY 1, 2)
SELECT store_id, MEDIAN(value) AS median_order_value, COUNT(*) AS orders
FROM o GROUP BY store_id ORDER BY store_id
"""

SECOND_HIGHEST_ORDER = """
WITH d AS (SELECT DISTINCT customer_id, amount FROM orders WHERE amount IS NOT NULL),
r AS (SELECT *, DENSE_RANK() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rk FROM d),
c AS (SELECT DISTINCT customer_id FROM orders)
SELECT c.customer_id, r.amount AS second_highest
FROM c LEFT JOIN r ON r.customer_id = c.customer_id AND r.rk = 2
ORDER BY c.customer_id
"""

NEW_VS_RETURNING = """
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


def sql_function(query: str, post: Post = as_is,
                 inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Callable[..., Any]:
    """Wrap a query as a Python function with the drill's signature, so the exercise checker can run it."""
    def answer(**case: Any) -> Any:
        prepared = inputs(case) if inputs is not None else case
        tables, params = split_case(prepared)
        return post(run_sql(query, tables, params), case)

    answer.__name__ = "sql_answer"
    return answer


__all__ = ["run_sql", "sql_function", "split_case", "as_is", "indexed", "series", "json_payloads"]

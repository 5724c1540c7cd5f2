"""Benchmark: pharma_kit.rfm (pandas + NumPy) against a DuckDB SQL equivalent (NTILE) on the same frame.

    .venv/bin/python benchmarks/bench_rfm.py --rows 10_000_000

Both sides compute, per customer, recency (days to AS_OF), frequency (distinct orders with a purchase line),
net monetary (rounded to cents), and NTILE(5) scores with ties broken by customer id (``ties="first"``, the rule SQL's NTILE
can express). The script checks that R/F/M values and scores agree exactly, then prints best-of-N times
and the ratio pandas / DuckDB (target: <= 1.0, i.e. no slower than DuckDB). Exit code 1 on disagreement.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from pharma_kit import rfm
from pharma_kit.data import AS_OF, clean_transactions

SQL = """
WITH per AS (
    SELECT customer_id,
           date_diff('day', CAST(max(order_date) FILTER (WHERE amount > 0) AS DATE), DATE '{as_of}') AS recency_days,
           count(DISTINCT order_id) FILTER (WHERE amount > 0) AS frequency,
           round(sum(amount), 2) AS monetary
    FROM tx
    GROUP BY customer_id
)
SELECT customer_id, recency_days, frequency, monetary,
       NTILE(5) OVER (ORDER BY recency_days DESC, customer_id) AS r,
       NTILE(5) OVER (ORDER BY frequency, customer_id) AS f,
       NTILE(5) OVER (ORDER BY monetary, customer_id) AS m
FROM per
WHERE frequency > 0 AND monetary > 0
ORDER BY customer_id
"""


def run_pandas(df: pd.DataFrame, ties: str = "first") -> pd.DataFrame:
    """The library path: metrics, then scores (customers without purchases or net spend set aside)."""
    m = rfm.rfm_metrics(df, AS_OF)
    ok = m["frequency"].gt(0) & m["revenue"].gt(0)
    return rfm.score_rfm(m.loc[ok], ties=ties)


def run_duckdb(con, as_of: pd.Timestamp) -> pd.DataFrame:
    """The SQL path, materialised as a DataFrame indexed by customer_id."""
    return con.sql(SQL.format(as_of=as_of.date())).df().set_index("customer_id")


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def agree(ours: pd.DataFrame, sql: pd.DataFrame) -> list[str]:
    """Names of the columns where the two results differ (empty list = full agreement)."""
    bad = []
    if not np.array_equal(ours.index.to_numpy(), sql.index.to_numpy()):
        return ["customer_id"]
    for col in ("recency_days", "frequency", "r", "f", "m"):
        if not np.array_equal(ours[col].to_numpy().astype("int64"), sql[col].to_numpy().astype("int64")):
            bad.append(col)
    if not np.allclose(ours["monetary"].to_numpy(), sql["monetary"].to_numpy(), rtol=1e-9, atol=1e-6):
        bad.append("monetary")
    return bad


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="transaction lines to generate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="runs per side; the best time counts")
    args = p.parse_args(argv)

    import duckdb

    t = time.perf_counter()
    df = clean_transactions(args.rows, seed=args.seed)
    print(f"generated {len(df):,} lines, {df['order_id'].nunique():,} orders, "
          f"{df['customer_id'].nunique():,} customers in {time.perf_counter() - t:.1f}s")
    con = duckdb.connect()
    con.register("tx", df)
    threads = con.sql("SELECT current_setting('threads')").fetchall()[0][0]

    run_duckdb(con, AS_OF)  # warm-up: first scan registers the frame
    t_sql, sql = best_of(lambda: run_duckdb(con, AS_OF), args.repeat)
    t_first, ours = best_of(lambda: run_pandas(df, "first"), args.repeat)
    t_min, _ = best_of(lambda: run_pandas(df, "min"), args.repeat)
    t_seg, _ = best_of(lambda: rfm.rfm_segments(df, AS_OF), args.repeat)

    bad = agree(ours, sql)
    print(f"customers scored: {len(ours):,} (pandas) vs {len(sql):,} (DuckDB)")
    print(f"agreement on recency, frequency, monetary and NTILE scores: {'OK' if not bad else 'DIFFER in ' + str(bad)}")
    print(f"{'DuckDB ' + duckdb.__version__ + ' SQL, threads=' + str(threads):46}: {t_sql:7.3f} s")
    print(f"pharma_kit.rfm metrics + scores, ties='first' : {t_first:7.3f} s   ratio to DuckDB {t_first / t_sql:5.2f}x")
    print(f"pharma_kit.rfm metrics + scores, ties='min'   : {t_min:7.3f} s   ratio to DuckDB {t_min / t_sql:5.2f}x")
    print(f"pharma_kit.rfm.rfm_segments (+ segments)      : {t_seg:7.3f} s   ratio to DuckDB {t_seg / t_sql:5.2f}x")
    verdict = "PASS" if t_first <= t_sql else "MISS"
    print(f"target (no slower than DuckDB): {verdict}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

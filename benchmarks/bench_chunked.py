"""Benchmark lesson 04: per-customer aggregation of a generated CSV, each method in its own process.

Methods: pharma_kit's streaming ``aggregate_file``, pandas ``read_csv(chunksize=...)`` (the source notes'
loop, merged correctly), pandas whole-file, DuckDB ``read_csv`` + GROUP BY (and optionally Dask).
Every method computes the same table (rows, sum, mean, min, max, last date, distinct orders per customer);
the results are checked against each other. Wall time is measured inside the worker around the method
only; peak RSS is the worker's high-water mark, VmHWM (interpreter and imports included).

Targets for pharma_kit: wall <= 1.5x DuckDB, >= 2.5x faster than pandas chunksize, peak RSS <= 400 MiB,
RSS growth < 10% from the half-size file to the full one. Exit status 1 if one is missed (``--report-only``: 0).

    .venv/bin/python benchmarks/bench_chunked.py                 # 10M rows (files cached in benchmarks/out/)
    .venv/bin/python benchmarks/bench_chunked.py --rows 1000000  # quick
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

METHODS = ["pharma_kit", "pandas_chunks", "pandas_chunks_1m", "pandas_whole", "duckdb"]
#: chunk rows of the tuned pandas variant (informational: fewer, bigger chunks are kinder to pandas)
BIG_CHUNK_ROWS = 1_000_000
OPTIONAL = ["dask"]


def csv_for(rows: int, seed: int, out_dir: Path, customers: int | None = None) -> Path:
    """The generated feed for ``rows`` (written once, then reused); ``customers`` fixes the customer base."""
    suffix = f"_c{customers}" if customers else ""
    path = out_dir / f"transactions_{rows}_seed{seed}{suffix}.csv"
    if not path.exists():
        from pharma_kit.data import clean_transactions, write_csv

        print(f"generating {path} ...", flush=True)
        tmp = path.with_suffix(".partial")
        write_csv(clean_transactions(rows, seed, n_customers=customers), tmp)
        tmp.rename(path)
    return path


# --------------------------------------------------------------------------------------------------
# worker: one method, one process
# --------------------------------------------------------------------------------------------------
def worker(method: str, path: str, result: str, chunk_rows: int) -> None:
    from pharma_kit import chunked as ch, engines

    t0 = time.perf_counter()
    if method == "pharma_kit":
        frame = ch.aggregate_file(path, progress=False)
    elif method == "pandas_chunks":
        frame = engines.aggregate_pandas_chunks(path, chunk_rows=chunk_rows)
    elif method == "pandas_chunks_1m":
        frame = engines.aggregate_pandas_chunks(path, chunk_rows=BIG_CHUNK_ROWS)
    elif method == "pandas_whole":
        frame = engines.aggregate_pandas_whole(path)
    elif method == "duckdb":
        frame = engines.aggregate_duckdb(path)
    elif method == "naive_share":  # the source notes' mean of chunk means, scored against pharma_kit's exact mean
        exact, naive = ch.pandas_chunk_means(path, chunk_rows)
        share = ch.wrong_mean_share(exact.set_index("customer_id")["amount_mean"], naive)
        frame = exact
        print(json.dumps({"share": share}))
    elif method == "dask":
        frame = engines.aggregate_dask(path, scheduler="threads")
    else:
        raise SystemExit(f"unknown method {method!r}")
    wall = time.perf_counter() - t0
    frame.to_parquet(result, index=False)
    print(json.dumps({"wall": wall, "rss_mib": peak_rss_kib() / 1024}))


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries that across exec from the
    parent's (v)forked image, so a big parent would inflate every worker's figure."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_worker(method: str, path: Path, result: Path, chunk_rows: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", method, "--path", str(path),
           "--result", str(result), "--pandas-chunk-rows", str(chunk_rows)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{method} failed:\n{proc.stderr[-3000:]}")
    out: dict = {}
    for line in proc.stdout.strip().splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    return out


# --------------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, default=HERE / "out")
    ap.add_argument("--methods", default=",".join(METHODS), help=f"comma list from {METHODS + OPTIONAL}")
    ap.add_argument("--pandas-chunk-rows", type=int, default=10_000,
                    help="chunksize of the pandas baseline (default: the source notes' 10,000; "
                         f"'pandas_chunks_1m' runs {BIG_CHUNK_ROWS:,} for comparison)")
    ap.add_argument("--no-growth", action="store_true", help="skip the half-size run (memory growth)")
    ap.add_argument("--no-naive", action="store_true", help="skip scoring the mean-of-chunk-means mistake")
    ap.add_argument("--report-only", action="store_true", help="print the table, exit 0 even if a target is missed")
    ap.add_argument("--worker")
    ap.add_argument("--path")
    ap.add_argument("--result")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.path, args.result, args.pandas_chunk_rows)
        return 0

    from pharma_kit import chunked as ch, engines
    import pandas as pd

    args.out_dir.mkdir(parents=True, exist_ok=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if "pharma_kit" not in methods:
        methods.insert(0, "pharma_kit")
    path = csv_for(args.rows, args.seed, args.out_dir)
    size_mib = path.stat().st_size / 2**20
    print(f"file: {path.name}  {args.rows:,} rows  {size_mib:,.0f} MiB  (pandas chunksize {args.pandas_chunk_rows:,})")

    res: dict[str, dict] = {}
    frames: dict[str, pd.DataFrame] = {}
    for m in methods:
        out = args.out_dir / f"result_{m}_{args.rows}.parquet"
        res[m] = run_worker(m, path, out, args.pandas_chunk_rows)
        frames[m] = pd.read_parquet(out)
        print(f"  {m:<17} {res[m]['wall']:7.2f} s  {res[m]['rss_mib']:7.0f} MiB", flush=True)

    ref = frames["pharma_kit"]
    print()
    print(f"{'method':<17} {'wall s':>8} {'x pharma_kit':>13} {'peak RSS MiB':>13} {'rows/s':>12}  result")
    for m in methods:
        diff = engines.same_result(ref, frames[m])
        r = res[m]
        print(f"{m:<17} {r['wall']:8.2f} {r['wall'] / res['pharma_kit']['wall']:13.2f} {r['rss_mib']:13.0f} "
              f"{args.rows / r['wall']:12,.0f}  {'identical' if diff is None else 'DIFFERS: ' + diff}")
    print(f"({len(ref):,} customers; identical = same keys, counts, min/max/dates and distinct counts exactly, "
          f"sums and means to 1e-9 relative)")

    checks: list[tuple[str, bool, str]] = []
    pk = res["pharma_kit"]
    for m in methods:
        checks.append((f"{m} result identical", engines.same_result(ref, frames[m]) is None, ""))
    if "duckdb" in res:
        ratio = pk["wall"] / res["duckdb"]["wall"]
        checks.append(("wall <= 1.5x DuckDB", ratio <= 1.5, f"{ratio:.2f}x"))
    if "pandas_chunks" in res:
        speedup = res["pandas_chunks"]["wall"] / pk["wall"]
        checks.append((f"\u2265 2.5x faster than pandas chunksize={args.pandas_chunk_rows:,}", speedup >= 2.5,
                       f"{speedup:.2f}x"))
    if "pandas_chunks_1m" in res:
        print(f"(for comparison: {res['pandas_chunks_1m']['wall'] / pk['wall']:.2f}x faster than pandas with "
              f"chunksize={BIG_CHUNK_ROWS:,}; not a target)")
    checks.append(("peak RSS <= 400 MiB", pk["rss_mib"] <= 400, f"{pk['rss_mib']:.0f} MiB"))
    if not args.no_growth:
        # the same customers, half the rows: memory must not depend on the number of rows
        same = csv_for(args.rows // 2, args.seed, args.out_dir, customers=args.rows // 12)
        h = run_worker("pharma_kit", same, args.out_dir / f"result_pharma_kit_{args.rows // 2}_same.parquet",
                       args.pandas_chunk_rows)
        growth = pk["rss_mib"] / h["rss_mib"] - 1
        print(f"\nmemory growth, same {args.rows // 12:,} customers: {args.rows // 2:,} rows -> {h['rss_mib']:.0f} MiB, "
              f"{args.rows:,} rows -> {pk['rss_mib']:.0f} MiB ({growth:+.1%})")
        checks.append(("RSS growth < 10% when the file doubles (same customers)", growth < 0.10, f"{growth:+.1%}"))
        # half the customers too (the generator's default): state per customer is the part that grows
        both = csv_for(args.rows // 2, args.seed, args.out_dir)
        h2 = run_worker("pharma_kit", both, args.out_dir / f"result_pharma_kit_{args.rows // 2}.parquet",
                        args.pandas_chunk_rows)
        print(f"memory growth, customers double too ({args.rows // 24:,} -> {args.rows // 12:,}): "
              f"{h2['rss_mib']:.0f} -> {pk['rss_mib']:.0f} MiB ({pk['rss_mib'] / h2['rss_mib'] - 1:+.1%}; "
              f"exact per-customer state is O(customers))")
    if not args.no_naive:
        out = args.out_dir / f"result_naive_{args.rows}.parquet"
        cmd_res = run_worker("naive_share", path, out, BIG_CHUNK_ROWS)
        print(f"\nmean of chunk means ({BIG_CHUNK_ROWS:,}-row chunks) is wrong for {cmd_res['share']:.1%} of customers")

    print("\ntargets:")
    for name, ok, value in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {name} {value}")
    missed = [c for c in checks if not c[1]]
    if missed and not args.report_only:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

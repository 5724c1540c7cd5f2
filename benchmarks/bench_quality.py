"""Benchmark: pharma_kit.quality's rule engine vs the same checks written as a pandera schema.

Both validate the same TYPED frame (pandera does not parse text) with every failure collected
(pandera ``lazy=True``); the script first checks that both find the same failing rows per rule, then
prints the times and the ratio. Our time for the raw text feed (parsing included) is printed too.

    .venv/bin/python benchmarks/bench_quality.py --rows 2000000

Memory (issue 15): ``--memory`` writes the generator's raw feed (with defects) at each of ``--sizes`` and measures,
each in its own subprocess (peak RSS is per process), ``pd.read_csv(path, dtype=str)`` alone, the streaming
cleaner :func:`pharma_kit.quality_stream.clean_csv_stream` (kept and quarantine written to Parquet) and, up to
``--in-memory-max`` rows, the in-memory :func:`pharma_kit.quality.clean_csv`. It prints peak RSS, wall time and
the ratios, checks the streamed counts equal the generator's truth (and, where the in-memory cleaner also ran, that
the streamed Parquet files hold exactly its kept rows and quarantine), and exits 1 when a target is missed: the
streaming peak grows by more than ``--max-growth`` from the smallest to the largest size, exceeds ``--max-peak-mib``,
or its wall time is over ``--max-time-ratio`` times ``pd.read_csv(path, dtype=str)`` alone at the largest size.

    .venv/bin/python benchmarks/bench_quality.py --memory --sizes 5000000 10000000 --in-memory-max 1000000
"""
from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from pharma_kit.data import generate
from pharma_kit.quality import TRANSACTION_RULES, RuleSet, pandera_failing_counts, pandera_schema, validate


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


_CHILD = r"""
import json, sys, time
import pandas as pd
what, path, out = sys.argv[1], sys.argv[2], sys.argv[3]


def hwm():  # this process's peak RSS in KiB (VmHWM: ru_maxrss would include the forking parent's RSS)
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


# every import and the small lookups before the clock starts, the same for the three contenders
import pyarrow.parquet  # noqa: E401,F401
from pharma_kit.data import AS_OF
from pharma_kit.quality import clean_csv
from pharma_kit.quality_stream import clean_csv_stream
stores, products = pd.read_csv(out + ".stores.csv"), pd.read_csv(out + ".products.csv")
base = hwm()
t = time.perf_counter()
if what == "read_csv":
    n = len(pd.read_csv(path, dtype=str))
    extra = {"rows": n}
elif what == "stream":
    r = clean_csv_stream(path, as_of=AS_OF, stores=stores, products=products,
                         kept_path=out + ".kept.parquet", quarantine_path=out + ".quarantine.parquet")
    extra = {"kept": r.n_kept, "quarantined": r.n_quarantined, "counts": r.counts}
else:
    r = clean_csv(path, as_of=AS_OF, stores=stores, products=products)
    extra = {"kept": len(r.kept), "quarantined": len(r.quarantine)}
secs, peak = time.perf_counter() - t, hwm()
if what == "in_memory":  # written after the measurement, for the comparison with the streamed files
    r.kept.reset_index().to_parquet(out + ".mem_kept.parquet", index=False)
    r.quarantine.astype("str").reset_index().to_parquet(out + ".mem_quarantine.parquet", index=False)
print(json.dumps({"peak_mib": peak / 1024, "import_mib": base / 1024, "seconds": secs, **extra}))
"""


def _measure(what: str, path: Path, prefix: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(path), prefix], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _same_output(prefix: str) -> bool:
    kept_s = pd.read_parquet(prefix + ".kept.parquet")
    kept_m = pd.read_parquet(prefix + ".mem_kept.parquet")
    q_s = pd.read_parquet(prefix + ".quarantine.parquet")
    q_m = pd.read_parquet(prefix + ".mem_quarantine.parquet")
    try:
        pd.testing.assert_frame_equal(kept_s, kept_m, check_dtype=True)
        pd.testing.assert_frame_equal(q_s, q_m[q_s.columns], check_dtype=False)
    except AssertionError as exc:
        print(f"streamed output differs from the in-memory one: {exc}")
        return False
    return True


def memory_main(args: argparse.Namespace) -> int:
    from pharma_kit.data import DEFECT_KINDS, write_csv

    tmp = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    rows = []
    ok = True
    try:
        for n in sorted(args.sizes):
            ds = generate(n, args.seed)
            path = tmp / f"feed_{n}.csv"
            write_csv(ds.transactions, path)
            prefix = str(tmp / f"run_{n}")
            ds.stores.to_csv(prefix + ".stores.csv", index=False)
            ds.products.to_csv(prefix + ".products.csv", index=False)
            counts = ds.defect_counts()
            expected_q = int(counts.drop("amount_type_drift").sum())
            del ds
            gc.collect()
            size_mib = path.stat().st_size / 2**20
            base = _measure("read_csv", path, prefix)
            st = _measure("stream", path, prefix)
            same = st["quarantined"] == expected_q and st["kept"] + st["quarantined"] == n and all(
                st["counts"].get(k, 0) == int(counts[k]) for k in DEFECT_KINDS if k != "amount_type_drift")
            ok &= same
            mem = _measure("in_memory", path, prefix) if n <= args.in_memory_max else None
            if mem is not None:  # the streamed files hold exactly the in-memory kept rows and quarantine
                same_as_memory = _same_output(prefix)
                ok &= same_as_memory
                print(f"{n:,} rows: streamed kept and quarantine identical to the in-memory clean_csv: "
                      f"{same_as_memory}")
            rows.append({"rows": n, "file MiB": size_mib, "read_csv MiB": base["peak_mib"],
                         "stream MiB": st["peak_mib"], "in-memory MiB": mem["peak_mib"] if mem else float("nan"),
                         "stream / read_csv": st["peak_mib"] / base["peak_mib"],
                         "read_csv s": base["seconds"], "stream s": st["seconds"],
                         "time stream / read_csv": st["seconds"] / base["seconds"], "truth matches": same})
            for f in tmp.glob(f"*_{n}*"):
                f.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = pd.DataFrame(rows).set_index("rows")
    with pd.option_context("display.width", 200, "display.float_format", "{:,.2f}".format):
        print(table.to_string())
    growth = table["stream MiB"].iloc[-1] / table["stream MiB"].iloc[0]
    size_ratio = table.index[-1] / table.index[0]
    print(f"streaming peak RSS, largest / smallest file ({size_ratio:.0f}x the rows): {growth:.2f}x "
          f"(target: <= {args.max_growth:.2f}x)")
    print(f"streaming peak RSS / pd.read_csv(dtype=str) peak at {table.index[-1]:,} rows: "
          f"{table['stream / read_csv'].iloc[-1]:.2f}x")
    peak = table["stream MiB"].iloc[-1]
    ratio = table["time stream / read_csv"].iloc[-1]
    print(f"streaming peak RSS at {table.index[-1]:,} rows: {peak:,.0f} MiB (target: <= {args.max_peak_mib:,.0f} MiB)")
    print(f"streaming wall time / pd.read_csv(dtype=str) at {table.index[-1]:,} rows: {ratio:.2f}x "
          f"(target: <= {args.max_time_ratio:.2f}x)")
    print(f"streamed counts equal the generator's truth (and the in-memory output, where measured): {ok}")
    met = ok and growth <= args.max_growth and peak <= args.max_peak_mib and ratio <= args.max_time_ratio
    print("all targets met" if met else "TARGET MISSED")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows to validate (default 10,000,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs")
    ap.add_argument("--memory", action="store_true", help="measure peak memory of the streaming cleaner instead")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000],
                    help="feed sizes in rows for --memory (default 1,000,000 and 5,000,000)")
    ap.add_argument("--in-memory-max", type=int, default=1_000_000,
                    help="also measure the in-memory clean_csv up to this many rows")
    ap.add_argument("--max-growth", type=float, default=1.15,
                    help="largest allowed streaming peak ratio, largest file / smallest (default 1.15)")
    ap.add_argument("--max-peak-mib", type=float, default=500.0,
                    help="largest allowed streaming peak RSS at the largest size, MiB (default 500)")
    ap.add_argument("--max-time-ratio", type=float, default=1.5,
                    help="largest allowed streaming wall time / pd.read_csv(dtype=str) at the largest size (1.5)")
    args = ap.parse_args(argv)
    if args.memory:
        return memory_main(args)

    t = time.perf_counter()
    ds = generate(args.rows, args.seed)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t:.1f}s")
    rules = RuleSet.from_dict(TRANSACTION_RULES)
    lookups = {"stores": ds.stores, "products": ds.products}

    t_raw, report_raw = _best(lambda: validate(ds.transactions, rules, as_of=ds.as_of, lookups=lookups), args.repeat)
    typed = report_raw.typed
    del report_raw, ds.transactions, ds.truth  # keep memory down: only the typed frame is needed from here
    gc.collect()

    t_ours, ours = _best(lambda: validate(typed, rules, as_of=ds.as_of, lookups=lookups).failing_counts(),
                         args.repeat)
    schema, names = pandera_schema(rules, as_of=ds.as_of, lookups=lookups)
    t_pa, theirs = _best(lambda: pandera_failing_counts(typed, schema, names), args.repeat)

    ours = ours[theirs.index]
    same = ours.to_dict() == theirs.to_dict()
    table = pd.DataFrame({"ours": ours, "pandera": theirs})
    print(table[table.sum(axis=1) > 0].to_string())
    print(f"same failures found: {same}")
    print(f"rules compared: {len(theirs)}; failing rows (sum over rules): {int(ours.sum()):,}")
    print(f"ours, raw text feed (parse + all {len(rules.rules)} rules): {t_raw:8.2f}s")
    print(f"ours, typed frame:                          {t_ours:8.2f}s")
    print(f"pandera, typed frame (lazy=True):           {t_pa:8.2f}s")
    print(f"ratio pandera / ours (typed):               {t_pa / t_ours:8.2f}x  (target: >= 1.0)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark lesson 04's file formats: the same clean transactions as CSV, Parquet (snappy, zstd), Avro and JSON Lines.

For each format: size on disk, write time, full read time (typed frame), one-column read time (``amount``), and
whether the round trip gave back the same values and dtypes; then what the format can do (keeps types, column
pruning, predicate pushdown, appends, streaming: facts of the format, listed in ``pharma_kit.fileformats.FORMATS``).
Times are the best of ``--repeat`` runs in this process (the machine is shared: read ratios, not absolutes).

Targets: every round trip exact; Parquet zstd at least 3x smaller than CSV; a one-column Parquet read at least 3x
faster than a one-column CSV read. Exit status 1 if one is missed (``--report-only``: 0).

    .venv/bin/python benchmarks/bench_formats.py                 # 1M rows
    .venv/bin/python benchmarks/bench_formats.py --rows 100000   # quick
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pharma_kit import fileformats as ff  # noqa: E402
from pharma_kit.data import clean_transactions  # noqa: E402


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(rows: int, seed: int, repeat: int, out_dir: Path) -> list[dict]:
    frame = clean_transactions(rows, seed=seed)
    results = []
    for name, spec in ff.FORMATS.items():
        path = out_dir / f"transactions{spec.suffix}"
        write_s, _ = _best(lambda: ff.write(frame, path, name), repeat)
        read_s, back = _best(lambda: ff.read(path, name), repeat)
        col_s, _ = _best(lambda: ff.read(path, name, ["amount"]), repeat)
        problems = ff.compare_frames(frame, back)
        results.append({"format": name, "bytes": path.stat().st_size, "write_s": write_s, "read_s": read_s,
                        "one_col_s": col_s, "exact": not problems, "problems": problems, "spec": spec})
        print(f"  measured {name}", file=sys.stderr, flush=True)
    return results


def table(results: list[dict], rows: int) -> str:
    csv_bytes = next(r["bytes"] for r in results if r["format"] == "csv")
    head = ("| format | size MB | vs CSV | write s | full read s | one-column read s | round trip exact | keeps types | "
            "column pruning | predicate pushdown | appends | streaming |")
    lines = [f"{rows:,} clean transaction rows", "", head, "|" + "---|" * 12]
    for r in results:
        s = r["spec"]
        lines.append(f"| {r['format']} | {r['bytes'] / 1e6:.1f} | {r['bytes'] / csv_bytes:.2f} | {r['write_s']:.2f} | "
                     f"{r['read_s']:.2f} | {r['one_col_s']:.2f} | {'yes' if r['exact'] else 'NO'} | "
                     f"{s.keeps_types} | {s.column_pruning} | {s.predicate_pushdown} | {s.appends} | {s.streaming} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out-dir", type=Path, default=None, help="keep the files here (default: a temp dir)")
    ap.add_argument("--report-only", action="store_true", help="print the table, exit 0 even if a target is missed")
    args = ap.parse_args(argv)
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        results = measure(args.rows, args.seed, args.repeat, args.out_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="pharma-kit-formats-") as tmp:
            results = measure(args.rows, args.seed, args.repeat, Path(tmp))
    print(table(results, args.rows))
    by = {r["format"]: r for r in results}
    checks = [
        ("every round trip exact (values and dtypes)", all(r["exact"] for r in results)),
        ("parquet-zstd <= 1/3 of CSV's size", by["parquet-zstd"]["bytes"] * 3 <= by["csv"]["bytes"]),
        ("one-column read: parquet-zstd >= 3x faster than CSV", by["parquet-zstd"]["one_col_s"] * 3 <= by["csv"]["one_col_s"]),
    ]
    print("\ntargets:")
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    for r in results:
        for p in r["problems"]:
            print(f"  {r['format']}: {p}")
    return 0 if args.report_only or all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

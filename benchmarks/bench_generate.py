"""How long does generating N transaction lines take, against drawing the same random columns with NumPy alone?

Target (issue 2): typed generation of 10M rows <= 3x the NumPy-only baseline, measured in the same run.
    .venv/bin/python benchmarks/bench_generate.py [--rows 10000000] [--repeat 3] [--report-only]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from pharma_kit.data import clean_transactions, generate


def numpy_baseline(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The same eight columns of N values, each drawn independently with NumPy: no orders, no lookups,
    no time ordering, no DataFrame. The cost of the random numbers and the memory alone."""
    rng = np.random.default_rng(seed)
    return {
        "transaction_id": np.arange(1, n + 1, dtype="int64"),
        "order_id": rng.integers(5_000_001, 5_000_001 + n // 2, n),
        "customer_id": rng.integers(100_000, 100_000 + n // 4, n),
        "store_id": rng.integers(1, 26, n),
        "product_id": rng.integers(1000, 1300, n),
        "order_date": rng.integers(0, 730 * 86_400, n),
        "quantity": 1 + rng.poisson(0.35, n),
        "amount": np.round(rng.random(n) * 100, 2),
    }


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--report-only", action="store_true", help="print, but do not fail on a missed target")
    a = p.parse_args(argv)
    n = a.rows
    base = best_of(lambda: numpy_baseline(n), a.repeat)
    typed = best_of(lambda: clean_transactions(n, 0), a.repeat)
    raw = best_of(lambda: generate(n, 0), 1)
    print(f"rows: {n:,}")
    print(f"{'method':<48}{'seconds':>9}{'x numpy':>9}")
    print(f"{'numpy: the same 8 columns, drawn independently':<48}{base:>9.2f}{1.0:>9.2f}")
    print(f"{'pharma_kit clean_transactions (typed)':<48}{typed:>9.2f}{typed / base:>9.2f}")
    print(f"{'pharma_kit generate (raw feed + defects)':<48}{raw:>9.2f}{raw / base:>9.2f}")
    ok = typed / base <= 3.0
    print(f"target typed <= 3.0x numpy: {'met' if ok else 'MISSED'}")
    return 0 if ok or a.report_only else 1


if __name__ == "__main__":
    sys.exit(main())

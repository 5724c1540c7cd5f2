"""Benchmark: pharma_kit.quality's rule engine vs the same checks written as a pandera schema.

Both validate the same TYPED frame (pandera does not parse text) with every failure collected
(pandera ``lazy=True``); the script first checks that both find the same failing rows per rule, then
prints the times and the ratio. Our time for the raw text feed (parsing included) is printed too.

    .venv/bin/python benchmarks/bench_quality.py --rows 2000000
"""
from __future__ import annotations

import argparse
import gc
import sys
import time

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows to validate (default 10,000,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs")
    args = ap.parse_args(argv)

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

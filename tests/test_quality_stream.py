"""clean_csv_stream: the same kept rows, quarantine, report and line account as clean_csv, in blocks."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pharma_kit.data import AS_OF, generate
from pharma_kit.quality import MaxLossExceeded, RuleSet, TRANSACTION_RULES, clean_csv
from pharma_kit.quality_stream import clean_csv_stream, plan_families, read_stream_output

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "datasets" / "transactions_sample.csv"
LOOK = generate(300, seed=0)


def compare(path, tmp_path, *, block_lines, n_buckets, as_of=AS_OF, lookups=LOOK, threads=None):
    look = {"stores": lookups.stores, "products": lookups.products} if lookups is not None else {}
    mem = clean_csv(path, as_of=as_of, **look)
    st = clean_csv_stream(path, as_of=as_of, kept_path=tmp_path / "kept.parquet",
                          quarantine_path=tmp_path / "quarantine.parquet", block_lines=block_lines,
                          n_buckets=n_buckets, threads=threads, **look)
    kept, q = read_stream_output(st)
    pd.testing.assert_frame_equal(kept, mem.kept)
    pd.testing.assert_frame_equal(q, mem.quarantine.astype({c: "str" for c in mem.quarantine.columns}))
    assert st.report.to_dict() == mem.report.to_dict()
    pd.testing.assert_frame_equal(st.summary(), mem.summary())
    assert st.line_accounting() == mem.line_accounting()
    assert (st.blank_lines, st.extra_columns, st.had_bom, st.problems) == \
        (mem.blank_lines, mem.extra_columns, mem.had_bom, mem.problems)
    return mem, st


def test_plan_puts_rules_that_reference_each_other_on_a_shared_key():
    fams, fresh = plan_families(RuleSet.from_dict(TRANSACTION_RULES))
    assert [(sorted(f.key), [r.name for r in f.rules]) for f in fams] == [
        (["transaction_id"], ["exact_duplicate", "transaction_id_conflict"]),
        (["order_id", "product_id"], ["near_duplicate", "duplicate_business_key"]),
    ]
    assert [r.name for r in fams[1].evaluate] == ["exact_duplicate", "near_duplicate", "duplicate_business_key"]
    assert [r.name for r in fresh] == ["stale_feed"]


@pytest.mark.parametrize("block_lines,n_buckets", [(7_000, 5), (50_000, 1)])
def test_sample_feed_identical_to_in_memory(tmp_path, block_lines, n_buckets):
    mem, st = compare(SAMPLE_CSV, tmp_path, block_lines=block_lines, n_buckets=n_buckets)
    assert st.n_quarantined == 1_900 and st.n_kept == 48_100


def test_messy_file_and_stale_feed_identical(tmp_path):
    from tests.test_quality_independent_feed import make_feed

    feed, stores, products = make_feed(21, n_orders=600)
    lines = list(feed.lines)
    lines.insert(40, '1,9000001,400001,11,2001,2025-01-02 10:00:00,1,"9.\n\n49"')  # a quoted multi-line record
    p = tmp_path / "messy.csv"
    p.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    look = type("Lookups", (), {"stores": stores, "products": products})
    mem, st = compare(p, tmp_path, block_lines=97, n_buckets=3, as_of="2025-09-01", lookups=look)  # stale feed
    assert st.report.to_frame().loc["stale_feed", "status"] == "warn"
    assert st.counts["unbalanced_quote"] >= 1 and st.counts["duplicate_business_key"] >= 8
    mem, st = compare(p, tmp_path, block_lines=500, n_buckets=2, lookups=None)
    assert st.report.to_frame().loc["unknown_store", "status"] == "skipped: no lookup given (stores)"
    assert st.problems and st.had_bom


def test_max_loss_names_the_file(tmp_path):
    with pytest.raises(MaxLossExceeded, match="transactions_sample.csv: quarantined 1,900 of 50,000"):
        clean_csv_stream(SAMPLE_CSV, as_of=AS_OF, stores=LOOK.stores, products=LOOK.products, max_loss=0.01)


def test_threads_and_buckets_do_not_change_the_result(tmp_path, monkeypatch):
    """One thread or two, one gather bucket or many (BUCKET_ROWS shrunk so the candidates need several): the same
    output as clean_csv, on a feed with duplicates, re-sends, quotes and non-ASCII lines."""
    import pharma_kit.quality_stream as qs
    from tests.test_quality_independent_feed import make_feed

    feed, stores, products = make_feed(5, n_orders=900)
    lines = list(feed.lines)
    lines.insert(30, '1,9000001,400001,11,2001,2025-01-02 10:00:00,1,"9.\n49"')
    lines.insert(500, "2,9000002,４００００１,11,2001,2025-01-02 10:00:00,1,9.49")
    p = tmp_path / "feed.csv"
    p.write_bytes(("\n".join(lines) + "\n").encode())
    look = type("Lookups", (), {"stores": stores, "products": products})
    monkeypatch.setattr(qs, "BUCKET_ROWS", 40)
    for threads in (1, 2, 3):
        mem, st = compare(p, tmp_path, block_lines=150, n_buckets=7, lookups=look, as_of="2025-09-01",
                          threads=threads)
    assert st.counts.get("exact_duplicate", 0) + st.counts.get("near_duplicate", 0) > 5


def test_in_sorted_equals_isin():
    import numpy as np

    from pharma_kit.quality_stream import _in_sorted

    rng = np.random.default_rng(0)
    for _ in range(200):
        lines = np.sort(rng.choice(500, size=rng.integers(0, 60), replace=False))
        flagged = np.sort(rng.choice(600, size=rng.integers(0, 80), replace=False))
        assert (_in_sorted(lines, flagged) == np.isin(lines, flagged)).all()

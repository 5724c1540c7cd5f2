"""Lesson 01's cleaning for feeds larger than memory: the same rules and guarantees, in blocks.

:func:`clean_csv_stream` gives the same kept rows, the same quarantine (reason, raw line) and the same
report as :func:`pharma_kit.quality.clean_csv`, while its memory depends on the block size, not on the file:

1. **Pass 1** reads the file in blocks of lines (:class:`pharma_kit.readers.CsvTextReader`, every physical line
   accounted for) on a small thread pool, runs the row rules (nulls, parsing, ranges, lookups, dates) on each block
   and counts them, and spills the block's typed values and per-row verdict (the first failing row rule) to a
   temporary file. For the table rules it spills only 16 bytes per row and rule family: the 64-bit hash of the
   family's key and the line, hash-partitioned so that rows that can collide share a bucket.
2. A row whose key hash occurs once in the whole file has a unique key, so no table rule of its family can flag
   it. The lines whose hash repeats (a few percent: the duplicates, re-sends and their originals) are gathered
   whole from the spills, and the table rules (duplicates, re-sends, the business key) run on them with the SAME
   code as in memory; only the line numbers of failing rows are kept.
3. **Pass 2** reads the spilled blocks back in file order (nothing is parsed twice), decides each row's reason
   (first failing rule, as in memory) and writes kept and quarantined rows to Parquet as it goes. A plain block's
   text is not spilled: the few lines it quarantines are read back from the file (checked against a CRC-32 of the
   block, so a file changed underneath is an error, not a wrong answer).
   Temporary files are deleted as they are consumed, and all of them at the end (also on an error).

A table rule streams when its rows can only collide within a key: ``unique`` (its columns) and custom
predicates that declare ``keys`` (``near_duplicate``; a custom predicate must never flag a row that shares its keys
with no other row); ``freshness`` is a running maximum. Rules that reference
other rules (``ignore_rules``, ``ignore_exact``) are evaluated together on a partition key they all share.
"""
from __future__ import annotations

import math
import os
import pickle
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from pharma_kit.quality import (
    CleanResult, MaxLossExceeded, Report, Rule, RuleResult, RuleSet, SAMPLE_SIZE, _jsonable, _ruleset, _skip_note,
    cast_kept, validate,
)
from pharma_kit.parallel import ordered_map as _ordered_map
from pharma_kit.readers import READER_REASONS, CsvTextReader, Segment, _accounting

ROW_CHECKS = ("not_null", "dtype", "range", "allowed", "regex", "referential", "no_future")
#: Lines per block when streaming (about 40-60 MB of Python strings at the peak of a block).
STREAM_BLOCK_LINES = 200_000
#: Target rows per spill bucket.
BUCKET_ROWS = 250_000


@dataclass
class StreamResult:
    """What :func:`clean_csv_stream` wrote and found: counts, the report, the line account; rows are on disk."""

    path: Path
    kept_path: Path | None
    quarantine_path: Path | None
    n_kept: int
    n_quarantined: int
    counts: dict[str, int]
    reasons: list[str]
    report: Report = field(repr=False)
    blank_lines: list[int] = field(default_factory=list, repr=False)
    extra_columns: list[str] = field(default_factory=list)
    had_bom: bool = False
    problems: list[str] = field(default_factory=list, repr=False)
    lines: dict[str, int] | None = field(default=None, repr=False)

    @property
    def n_in(self) -> int:
        return self.n_kept + self.n_quarantined

    @property
    def loss_rate(self) -> float:
        return self.n_quarantined / self.n_in if self.n_in else 0.0

    def summary(self) -> pd.DataFrame:
        """Quarantined rows per reason, as :meth:`CleanResult.summary`."""
        order = [r for r in self.reasons if self.counts.get(r, 0) > 0]
        order += sorted(set(k for k, v in self.counts.items() if v) - set(order))
        rows = np.array([self.counts[r] for r in order], dtype="int64")
        return pd.DataFrame({"rows": rows, "rate": rows / self.n_in if self.n_in else rows * 0.0},
                            index=pd.Index(order, name="reason", dtype="str"))

    def line_accounting(self) -> dict[str, int]:
        return CleanResult.line_accounting(self)  # same check, same message

    def check_max_loss(self, max_loss: float | None) -> "StreamResult":
        return CleanResult.check_max_loss(self, max_loss)

    @property
    def quarantine(self) -> pd.DataFrame:  # for CleanResult.check_max_loss's message
        return _Len(self.n_quarantined)

    def __repr__(self) -> str:
        return (f"StreamResult(kept={self.n_kept:,}, quarantine={self.n_quarantined:,}, "
                f"loss={self.loss_rate:.2%})")


class _Len:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


# --------------------------------------------------------------------------- planning the table rules
def _key_of(rule: Rule, rs: RuleSet) -> set[str]:
    p = rule.params
    if rule.check == "unique":
        cols = p.get("columns", "all")
        return set(rs.column_names) if cols == "all" else set(cols)
    if rule.check == "custom":
        if not p.get("keys"):
            raise ValueError(f"rule {rule.name!r}: a custom rule streams only when it declares its `keys`")
        return set(p["keys"])
    raise ValueError(f"rule {rule.name!r}: check {rule.check!r} cannot be partitioned")


def _deps(rule: Rule, rs: RuleSet) -> list[Rule]:
    names = list(rule.params.get("ignore_rules") or [])
    out = [r for r in rs.rules if r.name in names]
    return out


@dataclass
class _Family:
    key: set[str]
    rules: list[Rule]       # rules whose masks this family decides
    evaluate: list[Rule]    # rules run on each bucket (own + referenced), in declaration order


def plan_families(rs: RuleSet) -> tuple[list[_Family], list[Rule]]:
    """Group the table rules into partition families; return them and the freshness rules."""
    fams: list[_Family] = []
    fresh: list[Rule] = []
    for rule in rs.rules:
        if rule.check in ROW_CHECKS:
            continue
        if rule.check == "freshness":
            fresh.append(rule)
            continue
        key = _key_of(rule, rs)
        deps = _deps(rule, rs)
        for d in deps:
            key &= _key_of(d, rs)
        if not key:
            raise ValueError(f"rule {rule.name!r} shares no key column with the rules it references")
        for f in fams:
            if f.key & key:
                f.key &= key
                f.rules.append(rule)
                break
        else:
            f = _Family(set(key), [rule], [])
            fams.append(f)
    for f in fams:
        want = {r.name for r in f.rules}
        for r in f.rules:
            want |= {d.name for d in _deps(r, rs)}
        f.evaluate = [r for r in rs.rules if r.name in want]
        for r in f.evaluate:
            if not f.key <= _key_of(r, rs):
                raise ValueError(f"rule {r.name!r} cannot be decided on partitions of {sorted(f.key)}")
    return fams, fresh


# --------------------------------------------------------------------------- the streaming cleaner
def _merge_result(acc: dict[str, list], r: RuleResult, raw_sample: list) -> None:
    a = acc.setdefault(r.rule.name, [0, [], []])
    a[0] += r.failing
    room = SAMPLE_SIZE - len(a[1])
    if room > 0:
        a[1].extend(r.sample_index[:room])
        a[2].extend(raw_sample[:room])


@dataclass
class _Pass1:
    """What pass 1 found in one block (computed on a worker thread, merged on the caller's, in file order). The
    block's text is not kept for a plain block (``text`` says where to read its lines back): a block in flight
    holds its typed values and little else."""

    seg: Segment
    text: tuple
    rejected: pd.DataFrame
    n_rows: int = 0
    first_line: int | None = None
    typed: pd.DataFrame | None = None
    code: np.ndarray | None = None                 # per row: first failing error row rule (position), or -1
    results: list[RuleResult] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)  # per family: (hash of the key, line) per row
    newest: dict[str, tuple] = field(default_factory=dict)


_KEY = np.dtype([("h", "<u8"), ("line", "<i8")])


def _first_failing(masks: Mapping[str, np.ndarray], names: list[str], n: int) -> np.ndarray:
    """Per row, the position in ``names`` of the first rule whose mask is True, or -1: the quarantine precedence."""
    code = np.full(n, -1, dtype=np.int16)
    for i, name in enumerate(names):
        m = masks.get(name)
        if m is not None:
            code[(code < 0) & m] = i
    return code


def _key_hashes(typed: pd.DataFrame, key: list[str]) -> np.ndarray:
    """(64-bit hash of the row's ``key``, line) per row. Equal keys hash equal (missing values included), so
    a row whose hash is unique in the file has a unique key and no table rule of its family can flag it."""
    out = np.empty(len(typed), dtype=_KEY)
    out["h"] = pd.util.hash_pandas_object(typed[key], index=False).to_numpy()
    out["line"] = typed.index.to_numpy()
    return out


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Lines whose hash occurs more than once in ``keys`` (a structured (h, line) array)."""
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    return keys["line"][pd.Series(keys["h"]).duplicated(keep=False).to_numpy()]  # a hash table: no sort


def _in_sorted(lines: np.ndarray, sorted_lines: np.ndarray) -> np.ndarray:
    """``np.isin(lines, sorted_lines)`` for a block's increasing ``lines``: only the slice of ``sorted_lines`` within
    the block's range is looked at (the file's flagged lines would otherwise be sorted again for every block)."""
    if not len(lines) or not len(sorted_lines):
        return np.zeros(len(lines), dtype=bool)
    lo = np.searchsorted(sorted_lines, lines[0], side="left")
    hi = np.searchsorted(sorted_lines, lines[-1], side="right")
    sub = sorted_lines[lo:hi]
    if not len(sub):
        return np.zeros(len(lines), dtype=bool)
    pos = np.minimum(np.searchsorted(sub, lines), len(sub) - 1)
    return sub[pos] == lines


class _Buckets:
    """Append-only spill files, one per (family, bucket), opened on first use and closed together."""

    def __init__(self, tmp: Path, pattern: str) -> None:
        self.tmp, self.pattern, self.files = tmp, pattern, {}

    def write(self, f_i: int, bucket: np.ndarray, dump) -> None:
        """``dump(idx, fh)`` with each bucket's row positions (increasing) and its file: one stable sort, not a scan
        of every row per bucket."""
        order = np.argsort(bucket, kind="stable")
        sorted_b = bucket[order]
        cuts = np.flatnonzero(sorted_b[1:] != sorted_b[:-1]) + 1
        for idx in np.split(order, cuts):
            if not len(idx):
                continue
            key = (f_i, int(bucket[idx[0]]))
            fh = self.files.get(key)
            if fh is None:
                fh = self.files[key] = open(self.tmp / self.pattern.format(*key), "wb")
            dump(idx, fh)

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


def _load_all(p: Path) -> list:
    out = []
    with open(p, "rb") as fh:
        while True:
            try:
                out.append(pickle.load(fh))
            except EOFError:
                return out


def clean_csv_stream(path: str | Path, *, as_of: Any, stores: pd.DataFrame | None = None,
                     products: pd.DataFrame | None = None, max_loss: float | None = None,
                     rules: RuleSet | Mapping[str, Any] | None = None, extra: str = "ignore",
                     kept_path: str | Path | None = None, quarantine_path: str | Path | None = None,
                     block_lines: int = STREAM_BLOCK_LINES, spill_dir: str | Path | None = None,
                     n_buckets: int | None = None, threads: int | None = None) -> StreamResult:
    """Clean a CSV of any size with :func:`~pharma_kit.quality.clean_csv`'s rules and results, in flat memory.

    ``kept_path`` / ``quarantine_path``: Parquet files written block by block (typed kept rows with a ``line``
    column; quarantined rows as text with ``reason`` and ``raw_line``). ``None`` skips writing that part.
    ``threads`` (default: up to 2) blocks are parsed and checked at once; the result does not depend on it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rs = _ruleset(rules)
    as_of = pd.Timestamp(as_of)
    lookups = {k: v for k, v in {"stores": stores, "products": products}.items() if v is not None}
    path = Path(path)
    row_rules = RuleSet(rs.name, rs.columns, tuple(r for r in rs.rules if r.check in ROW_CHECKS))
    fams, fresh = plan_families(rs)
    size = path.stat().st_size if path.exists() else 0
    if n_buckets is None:
        n_buckets = max(1, min(512, math.ceil(size / 60 / BUCKET_ROWS)))
    threads = max(1, min(2, os.cpu_count() or 1) if threads is None else int(threads))
    depth = threads  # blocks in flight: one per thread, plus the one the caller is merging
    fam_keys = [sorted(f.key, key=rs.column_names.index) for f in fams]
    tmp = Path(tempfile.mkdtemp(prefix="pharma_kit_quality_", dir=spill_dir))
    try:
        # ---------------------------------------------------------------- pass 1: row rules, spill, freshness
        reader = CsvTextReader(path, rs.column_names, extra=extra, block_lines=block_lines)
        row_error = [r.name for r in rs.rules if r.severity == "error" and r.check in ROW_CHECKS]

        def pass1(seg: Segment) -> _Pass1:
            crc = zlib.crc32(seg.data) if seg.data is not None else None
            seg = reader.parse(seg)
            block, seg.block = seg.block, None
            frame = block.frame
            # what pass 2 needs to write this block's quarantine: the text of a plain block is read back from the
            # file for the few rows it quarantines, any other block keeps its text
            text = (("file", seg.offset, seg.size, seg.first, crc, seg.quoted) if seg.ascii
                    else ("kept", frame, block.raw_lines))
            out = _Pass1(seg, text, block.rejected, len(frame))
            if not len(frame):
                return out
            out.first_line = int(frame.index[0])
            rep = validate(frame, row_rules, as_of=as_of, lookups=lookups)
            out.typed, out.results = rep.typed, rep.results
            out.code = _first_failing({k: m.to_numpy() for k, m in rep.masks.items()}, row_error, len(frame))
            out.keys = [_key_hashes(rep.typed, key) for key in fam_keys]
            for rule in fresh:
                col = rep.typed[rule.column]
                if col.notna().any():  # NaT is int64's minimum: argmax finds the first newest value
                    pos = int(np.argmax(col.to_numpy().astype("datetime64[us]").astype("int64")))
                    out.newest[rule.name] = (col.iloc[pos], int(col.index[pos]), frame[rule.column].iloc[pos])
            return out

        acc: dict[str, list] = {}
        skipped: dict[str, str] = {}
        n_rows = 0
        newest: dict[str, tuple] = {}  # freshness rule -> (value, line, raw text)
        first_line: int | None = None
        n_blocks = 0
        key_files = _Buckets(tmp, "k{}_b{}.bin")
        try:
            for out in _ordered_map(pass1, reader.segments(), threads, depth):
                reader.blank_lines.extend(out.seg.blank)
                reader.problems.extend(out.seg.problems)
                with open(tmp / f"block{n_blocks:07d}.pkl", "wb") as fh:  # pass 2 decides from this: no 2nd parse
                    pickle.dump((out.typed, out.code, out.rejected, out.text), fh, protocol=pickle.HIGHEST_PROTOCOL)
                n_blocks += 1
                if out.typed is None:
                    continue
                if first_line is None:
                    first_line = out.first_line
                n_rows += out.n_rows
                for r in out.results:
                    if r.failing is None:
                        skipped[r.rule.name] = r.note
                        continue
                    _merge_result(acc, r, r.sample_values)
                for f_i, keys in enumerate(out.keys):  # only (hash, line) per row: 16 bytes, not the row
                    key_files.write(f_i, keys["h"] % np.uint64(n_buckets), lambda idx, fh: keys[idx].tofile(fh))
                for name, cand in out.newest.items():
                    if name not in newest or newest[name][0] is None or cand[0] > newest[name][0]:
                        newest[name] = cand
                for rule in fresh:
                    newest.setdefault(rule.name, (None, None, None))
        finally:
            key_files.close()
        blank = reader.blank_lines

        # ---------------------------------------------------------------- table rules, on rows whose key repeats
        # 1. per family, the lines whose key hash occurs more than once (a superset of the rows that can collide)
        cand: list[np.ndarray] = []
        for f_i in range(len(fams)):
            found = []
            for b in range(n_buckets):
                p = tmp / f"k{f_i}_b{b}.bin"
                if p.exists():
                    found.append(_repeated(np.fromfile(p, dtype=_KEY)))
                    p.unlink()
            cand.append(np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64))
        # 2. those rows, whole, gathered from the block spills into buckets by the same hash (as many buckets as
        #    the candidates need: usually one, as duplicates are few)
        gather_buckets = [max(1, min(n_buckets, math.ceil(len(c) / BUCKET_ROWS))) for c in cand]
        if any(len(c) for c in cand):
            part_files = _Buckets(tmp, "f{}_b{}.pkl")
            try:
                for k in range(n_blocks):
                    with open(tmp / f"block{k:07d}.pkl", "rb") as fh:
                        typed = pickle.load(fh)[0]
                    if typed is None:
                        continue
                    lines = typed.index.to_numpy()
                    for f_i, c in enumerate(cand):
                        sel = np.flatnonzero(_in_sorted(lines, c))
                        if not len(sel):
                            continue
                        part = typed.iloc[sel]
                        part_files.write(f_i, _key_hashes(part, fam_keys[f_i])["h"] % np.uint64(gather_buckets[f_i]),
                                         lambda idx, fh: pickle.dump(part.iloc[idx], fh,
                                                                     protocol=pickle.HIGHEST_PROTOCOL))
            finally:
                part_files.close()
        # 3. each bucket alone, with the same code as in memory; only the failing lines are kept
        flagged: dict[str, np.ndarray] = {}
        for f_i, fam in enumerate(fams):
            sub = RuleSet(rs.name, rs.columns, tuple(fam.evaluate))
            own = [r.name for r in fam.rules]

            def decide(b: int, f_i=f_i, sub=sub, own=own) -> dict[str, np.ndarray]:
                p = tmp / f"f{f_i}_b{b}.pkl"
                if not p.exists():
                    return {}
                parts = _load_all(p)
                p.unlink()
                bucket = (pd.concat(parts) if len(parts) > 1 else parts[0]).sort_index()  # file order, always
                del parts
                rep = validate(bucket, sub, as_of=as_of, lookups=lookups)
                lines = bucket.index.to_numpy()
                return {name: lines[rep.masks[name].to_numpy()] for name in own}

            found: dict[str, list[np.ndarray]] = {r: [] for r in own}
            for got in _ordered_map(decide, range(gather_buckets[f_i]), threads, depth):
                for name, arr in got.items():
                    found[name].append(arr)
            for name, arrs in found.items():
                flagged[name] = np.sort(np.concatenate(arrs)) if arrs else np.empty(0, dtype="int64")
        fresh_fail: dict[str, int | None] = {}
        for rule in fresh:
            val, line, _ = newest.get(rule.name, (None, None, None))
            limit = as_of - pd.Timedelta(rule.params.get("max_age", "1D"))
            if n_rows and (val is None or val < limit):
                fresh_fail[rule.name] = line if line is not None else first_line
            else:
                fresh_fail[rule.name] = None

        # ---------------------------------------------------------------- the report, as validate builds it
        results = []
        for rule in rs.rules:
            if rule.name in skipped:
                results.append(RuleResult(rule, None, n_rows, [], [], note=skipped[rule.name] or _skip_note(rule)))
            elif rule.name in flagged:
                lines = flagged[rule.name]
                sample = [int(x) for x in lines[:SAMPLE_SIZE]]
                results.append(RuleResult(rule, int(len(lines)), n_rows, sample, list(sample)))
            elif rule.name in fresh_fail:
                line = fresh_fail[rule.name]
                raw_val = newest.get(rule.name, (None, None, None))[2] if line is not None else None
                results.append(RuleResult(rule, int(line is not None), n_rows,
                                          [] if line is None else [line],
                                          [] if line is None else [_jsonable(raw_val)]))
            else:
                n, idx, vals = acc.get(rule.name, [0, [], []])
                results.append(RuleResult(rule, n, n_rows, idx, vals))
        report = Report(rs.name, n_rows, as_of, results)

        # ---------------------------------------------------------------- pass 2: decide and write as it goes
        error_rules = [r for r in rs.rules if r.severity == "error" and r.name not in skipped]
        names = [r.name for r in error_rules]
        row_pos = np.array([names.index(n) if n in names else -1 for n in row_error] + [-1], dtype=np.int16)
        table_rules = [(names.index(r.name), flagged[r.name]) for r in error_rules if r.name in flagged]
        table_rules += [(names.index(r.name), np.array([fresh_fail[r.name]], dtype="int64"))
                        for r in error_rules if fresh_fail.get(r.name) is not None]
        labels = np.array(names + [""], dtype=object)
        q_cols = {c: "str" for c in rs.column_names + ["reason", "raw_line"]}

        def pass2(k: int) -> tuple[pa.Table | None, pa.Table | None, dict[str, int], int, int]:
            cache = tmp / f"block{k:07d}.pkl"
            with open(cache, "rb") as fh:
                typed, code, rejected, text = pickle.load(fh)
            cache.unlink()
            kept = None
            quarantine = rejected
            if typed is not None:
                lines = typed.index.to_numpy()
                first = np.where(code < 0, len(names), row_pos[code]).astype(np.int64)  # -1 -> "none failed"
                first[first < 0] = len(names)
                for at, hit_lines in table_rules:
                    hit = _in_sorted(lines, hit_lines)
                    first[hit] = np.minimum(first[hit], at)
                keep = first == len(names)
                kept = _kept_table(typed, keep, rs) if kept_path is not None else int(keep.sum())
                qpos = np.flatnonzero(~keep)
                if text[0] == "file":
                    _, offset, size_, first_no, crc, quoted = text
                    q, raw = reader.plain_lines(offset, size_, first_no, lines[qpos], crc, quoted)
                else:
                    q = text[1].iloc[qpos].copy()
                    raw = text[2].reindex(q.index)
                q["reason"] = pd.array(labels[first[qpos]], dtype="str")
                q["raw_line"] = raw
                quarantine = pd.concat([q, rejected]).sort_index(kind="stable") if len(rejected) else q
            counts = {str(r): int(n) for r, n in quarantine["reason"].value_counts().items()}
            qt = None
            kt = kept if isinstance(kept, pa.Table) and kept.num_rows else None
            n_k = 0 if kept is None else (kept if isinstance(kept, int) else kept.num_rows)
            if quarantine_path is not None and len(quarantine):
                qt = pa.Table.from_pandas(quarantine.reset_index().astype(q_cols), preserve_index=False,
                                          schema=_quarantine_schema(rs))
            return kt, qt, counts, n_k, len(quarantine)

        kept_writer = quarantine_writer = None
        counts: dict[str, int] = {}
        n_kept = n_q = 0
        try:
            for kt, qt, c, nk, nq in _ordered_map(pass2, range(n_blocks), threads, depth):
                for r, n in c.items():
                    counts[r] = counts.get(r, 0) + n
                n_kept += nk
                n_q += nq
                if kt is not None:
                    if kept_writer is None:  # ids are near-unique: no dictionary (twice as fast, and smaller)
                        kept_writer = pq.ParquetWriter(kept_path, kt.schema, use_dictionary=False)
                    kept_writer.write_table(kt)
                if qt is not None:
                    if quarantine_writer is None:
                        quarantine_writer = pq.ParquetWriter(quarantine_path, qt.schema)
                    quarantine_writer.write_table(qt)
        finally:
            for w in (kept_writer, quarantine_writer):
                if w is not None:
                    w.close()
        for w, p, q in ((kept_writer, kept_path, False), (quarantine_writer, quarantine_path, True)):
            if w is None and p is not None:  # nothing to write: still leave a valid, empty file with the right columns
                pq.write_table(_empty_table(rs, quarantine=q), p)
        reasons_order = names + [r for r in READER_REASONS if counts.get(r)]
        acct = _accounting(reader.n_lines, reader.header_line, reader.blank_lines, n_kept + n_q, reader.spans)
        out = StreamResult(path, None if kept_path is None else Path(kept_path),
                           None if quarantine_path is None else Path(quarantine_path), n_kept, n_q, counts,
                           reasons_order, report, blank, reader.extra_columns, reader.had_bom, reader.problems, acct)
        out.line_accounting()
        return out.check_max_loss(max_loss)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _kept_table(typed: pd.DataFrame, keep: np.ndarray, rs: RuleSet):
    """The kept rows as an Arrow table (``line`` first), built from the typed arrays without a pandas copy; the
    same table as ``cast_kept`` then ``Table.from_pandas`` would give (a kept row has no missing value left)."""
    import pyarrow as pa

    pos = np.flatnonzero(keep)
    cols = {"line": pa.array(typed.index.to_numpy()[pos])}
    for c in rs.columns:
        s = typed[c.name]
        if s.iloc[pos].isna().any():  # a column no rule forbids to be empty: cast_kept decides (and says why)
            t = pa.Table.from_pandas(cast_kept(typed.iloc[pos].copy(), rs).reset_index(), preserve_index=False)
            return t.replace_schema_metadata(None)
        if c.dtype == "int64":
            values = s.to_numpy(dtype="int64", na_value=0)[pos]
        elif c.dtype in ("float64", "money"):
            values = s.to_numpy(dtype="float64", na_value=np.nan)[pos]
        elif c.dtype == "datetime":
            values = s.to_numpy(dtype="datetime64[us]")[pos]
        else:
            values = s.iloc[pos]
        cols[c.name] = pa.array(values)
    return pa.table(cols)


def _quarantine_schema(rs: RuleSet):
    import pyarrow as pa

    return pa.schema([("line", pa.int64())] + [(c, pa.string()) for c in rs.column_names]
                     + [("reason", pa.string()), ("raw_line", pa.string())])


def _empty_table(rs: RuleSet, quarantine: bool):
    import pyarrow as pa

    if quarantine:
        return _quarantine_schema(rs).empty_table()
    types = {"int64": pa.int64(), "float64": pa.float64(), "money": pa.float64(), "datetime": pa.timestamp("us"),
             "str": pa.string()}
    return pa.schema([("line", pa.int64())] + [(c.name, types[c.dtype]) for c in rs.columns]).empty_table()


def read_stream_output(result: StreamResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load what :func:`clean_csv_stream` wrote as ``(kept, quarantine)`` frames indexed by line (small files only)."""
    kept = pd.read_parquet(result.kept_path).set_index("line")
    q = pd.read_parquet(result.quarantine_path).set_index("line")
    return kept, q


__all__ = ["StreamResult", "clean_csv_stream", "plan_families", "read_stream_output", "MaxLossExceeded"]

"""Aggregate a CSV or Parquet file larger than memory in one streaming pass, exactly.

The trick is to carry *mergeable* partial aggregates per key (sum, count, min, max, last date and an
exact set of distinct values) and derive the mean only at the very end: a mean of chunk means is wrong
whenever chunks hold different numbers of a key's rows. Blocks are parsed by pyarrow with explicit
column types and only the needed columns; each block is reduced with vectorised NumPy (a key -> slot
lookup table, one sort by (slot, order) and ``ufunc.reduceat``) into running state whose size depends on
the number of keys, not on the file size; exact distinct sets spill to disk past a budget. A pool of
threads parses blocks (and collapses each block's runs of one order's lines) while the main thread folds
the previous block into the state, in file order, with a fixed number of blocks in flight. Every input
row is either aggregated or rejected with its line number.
"""
from __future__ import annotations

import csv
import io
import os
import queue
import shutil
import tempfile
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pharma_kit.errors import InputFileError

#: Default block size for the CSV reader: big enough to amortise per-block work, small enough to stay flat.
DEFAULT_BLOCK_BYTES = 8 << 20
#: Threads parsing CSV blocks in the fast pass (each block on one thread; pyarrow releases the GIL).
CSV_PARSE_THREADS = max(1, min(4, os.cpu_count() or 1))
_DATE_NA = np.iinfo(np.int64).min


@dataclass(frozen=True)
class AggSpec:
    """What to aggregate: an integer key, a numeric value, an optional date and integer distinct-count columns."""

    by: str = "customer_id"
    value: str = "amount"
    date: str | None = "order_date"
    distinct: tuple[str, ...] = ("order_id",)

    @property
    def columns(self) -> list[str]:
        cols = [self.by, self.value] + ([self.date] if self.date else []) + list(self.distinct)
        if len(set(cols)) != len(cols):
            raise ValueError(f"AggSpec: a column is used twice in {cols}")
        return cols

    def arrow_types(self) -> dict[str, pa.DataType]:
        """The explicit column types the reader is given (nothing is inferred)."""
        types = {self.by: pa.int64(), self.value: pa.float64()}
        if self.date:
            types[self.date] = pa.timestamp("us")
        types.update({d: pa.int64() for d in self.distinct})
        return types

    def output_columns(self) -> list[str]:
        v = self.value
        out = [self.by, "rows", f"{v}_sum", f"{v}_mean", f"{v}_min", f"{v}_max"]
        if self.date:
            out.append(f"last_{self.date}")
        return out + [f"{d}_nunique" for d in self.distinct]


# --------------------------------------------------------------------------------------------------
# running state
# --------------------------------------------------------------------------------------------------
def _drop_repeats(a: np.ndarray) -> np.ndarray:
    """Drop elements equal to their predecessor (on sorted input: the distinct values)."""
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values by sort + neighbour compare (NumPy 2.4's hash-based ``np.unique`` is slower here)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


class KeyMap:
    """Map int64 keys to dense slots (first-seen order) in O(n) per block: a lookup table, or a hash index."""

    #: Largest key span served by the lookup table (int32 slots: 64 MiB at most); wider spans use a hash index.
    LUT_MAX_SPAN = 1 << 24

    def __init__(self) -> None:
        self.keys = np.empty(1024, dtype=np.int64)
        self.n = 0
        self._base = 0
        self._lut: np.ndarray | None = None
        self._index: pd.Index | None = None
        self._hash_mode = False

    def _append(self, new: np.ndarray) -> np.ndarray:
        start = self.n
        if start + len(new) > len(self.keys):
            grown = np.empty(max(2 * len(self.keys), start + len(new)), dtype=np.int64)
            grown[:start] = self.keys[:start]
            self.keys = grown
        self.keys[start:start + len(new)] = new
        self.n += len(new)
        return np.arange(start, start + len(new), dtype=np.int64)

    def slots(self, keys: np.ndarray) -> np.ndarray:
        """Slot of each key, creating slots for keys not seen before."""
        if len(keys) == 0:
            return np.empty(0, dtype=np.int64)
        if not self._hash_mode:
            lo, hi = int(keys.min()), int(keys.max())
            if self._lut is None or lo < self._base or hi >= self._base + len(self._lut):
                base = lo if self._lut is None else min(lo, self._base)
                end = hi if self._lut is None else max(hi, self._base + len(self._lut) - 1)
                span = end - base + 1
                if span > self.LUT_MAX_SPAN:
                    self._hash_mode = True
                    self._lut = None
                else:
                    span = min(self.LUT_MAX_SPAN, span + span // 4)  # headroom: fewer re-allocations
                    lut = np.full(span, -1, dtype=np.int32)
                    if self._lut is not None:
                        lut[self._base - base:self._base - base + len(self._lut)] = self._lut
                    self._lut, self._base = lut, base
        if self._hash_mode:
            return self._slots_hash(keys)
        off = keys - self._base
        s = self._lut[off]
        miss = s < 0
        if miss.any():
            new = sorted_unique(keys[miss])
            self._lut[new - self._base] = self._append(new)
            s = self._lut[off]
        return s.astype(np.int64)

    def _slots_hash(self, keys: np.ndarray) -> np.ndarray:
        if self._index is None or len(self._index) != self.n:
            self._index = pd.Index(self.keys[:self.n])
        s = self._index.get_indexer(keys)
        miss = s < 0
        if miss.any():
            self._append(sorted_unique(keys[miss]))
            self._index = pd.Index(self.keys[:self.n])
            s = self._index.get_indexer(keys)
        return s.astype(np.int64)


class PairSet:
    """An exact set of (slot, value) pairs as sorted runs of packed int64 codes (8 bytes a pair), spilled past a budget.

    In memory it is a tiny LSM tree: new codes merge into a small ``pending`` run every block and into the
    big run only when ``pending`` reaches a quarter of it. When both exceed ``budget_bytes`` they are
    written to disk as one sorted run; ``counts`` then merges all runs slot range by slot range, so memory
    stays near the budget however many pairs there are (an external sort, which is what a shuffle is).
    Values outside ``[0, 2**32)`` switch it, permanently and exactly, to a slower in-memory two-column form.
    """

    def __init__(self, budget_bytes: int = 16 << 20, spill_dir: str | Path | None = None) -> None:
        self.codes = np.empty(0, dtype=np.int64)
        self.pending = np.empty(0, dtype=np.int64)
        self.budget_bytes = int(budget_bytes)
        self.spill_dir = spill_dir
        self.runs: list[tuple[Path, int]] = []
        self._tmp: Path | None = None
        self._wide: pd.DataFrame | None = None

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (spilled runs are on disk)."""
        if self._wide is not None:
            return int(self._wide.memory_usage(index=False).sum())
        return int(self.codes.nbytes + self.pending.nbytes)

    @staticmethod
    def _missing_from(run: np.ndarray, c: np.ndarray) -> np.ndarray:
        if not len(run) or not len(c):
            return c
        pos = np.searchsorted(run, c)
        return c[run[np.minimum(pos, len(run) - 1)] != c]

    @staticmethod
    def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not (len(a) and len(b)):
            return a if len(a) else b
        out = np.concatenate([a, b])
        out.sort(kind="stable")  # two sorted runs: timsort merges them in linear time, in place
        return out

    def _all_codes(self) -> np.ndarray:
        return self._merge(self.codes, self.pending)

    def add(self, slots: np.ndarray, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        if self._wide is None and (values.min() < 0 or values.max() >= 1 << 32):
            codes = np.concatenate([self._all_codes()] + [self._read_run(p, 0, n) for p, n in self.runs])
            self._wide = pd.DataFrame({"slot": codes >> 32, "value": codes & 0xFFFFFFFF}).drop_duplicates()
            self.codes = self.pending = np.empty(0, dtype=np.int64)
            self.close()
        if self._wide is not None:
            block = pd.DataFrame({"slot": slots, "value": values})
            self._wide = pd.concat([self._wide, block], ignore_index=True).drop_duplicates(ignore_index=True)
            return
        c = _drop_repeats((slots << 32) | values)  # rows of one order sit together in a feed: drop runs first
        self._add_unique_sorted(sorted_unique(c))

    @staticmethod
    def packable(values: np.ndarray) -> bool:
        """Whether ``values`` fit the packed form (``0 <= v < 2**32``)."""
        return bool(len(values) == 0 or (values.min() >= 0 and values.max() < 1 << 32))

    def add_sorted_codes(self, codes: np.ndarray) -> None:
        """Add packed ``(slot << 32) | value`` codes that are already sorted (the caller sorted the block by them)."""
        if self._wide is not None:
            self.add(codes >> 32, codes & 0xFFFFFFFF)
            return
        self._add_unique_sorted(_drop_repeats(codes))

    def _add_unique_sorted(self, c: np.ndarray) -> None:
        c = self._missing_from(self.pending, self._missing_from(self.codes, c))
        self.pending = self._merge(self.pending, c)
        if len(self.pending) * 4 > len(self.codes):
            if self.nbytes > self.budget_bytes:
                self._spill()  # both runs go to disk as they are: no merge, no copy
            else:
                self.codes = self._merge(self.codes, self.pending)
                self.pending = np.empty(0, dtype=np.int64)

    def _spill(self) -> None:
        for run in (self.codes, self.pending):
            if not len(run):
                continue
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="pharma_kit_pairs_", dir=self.spill_dir))
            path = self._tmp / f"run{len(self.runs):05d}.i8"
            run.tofile(path)
            self.runs.append((path, len(run)))
        self.codes = self.pending = np.empty(0, dtype=np.int64)

    @staticmethod
    def _read_run(path: Path, start: int, stop: int) -> np.ndarray:
        return np.fromfile(path, dtype=np.int64, count=stop - start, offset=start * 8)

    def counts(self, n_slots: int) -> np.ndarray:
        """Distinct values per slot (merging spilled runs range by range, within the budget)."""
        if self._wide is not None:
            return np.bincount(self._wide["slot"].to_numpy(), minlength=n_slots).astype(np.int64)
        if not self.runs:  # codes and pending are disjoint: count each, a slice at a time (no big temporaries)
            out = np.zeros(n_slots, dtype=np.int64)
            for run in (self.codes, self.pending):
                for a in range(0, len(run), 1 << 20):
                    out += np.bincount(run[a:a + (1 << 20)] >> 32, minlength=n_slots)
            return out
        self._spill()
        total = sum(n for _, n in self.runs)
        ranges = max(1, -(-total * 8 * 4 // max(self.budget_bytes, 1)))  # a range, sorted, stays within the budget
        step = max(1, -(-n_slots // ranges))
        out = np.zeros(n_slots, dtype=np.int64)
        maps = [(p, np.memmap(p, dtype=np.int64, mode="r", shape=(n,))) for p, n in self.runs]
        for lo in range(0, n_slots, step):
            hi = min(n_slots, lo + step)
            parts = []
            for path, mm in maps:
                a, b = np.searchsorted(mm, [lo << 32, hi << 32])
                parts.append(self._read_run(path, int(a), int(b)))
            u = sorted_unique(np.concatenate(parts))
            out[lo:hi] = np.bincount((u >> 32) - lo, minlength=hi - lo)
        del maps
        return out

    def close(self) -> None:
        """Delete the spilled runs."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            self.runs = []


@dataclass
class _Collapsed:
    """A block with each run of equal (key, distinct value) lines collapsed to one entry (rows, sum, min, max, last)."""

    keys: np.ndarray
    first: np.ndarray | None
    cnt: np.ndarray
    tot: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    last: np.ndarray | None


class PartialAggregate:
    """Mergeable per-key state: rows, sum, min, max, last date and distinct sets. The mean is derived at the end."""

    def __init__(self, spec: AggSpec, distinct_budget_bytes: int = 16 << 20,
                 spill_dir: str | Path | None = None) -> None:
        self.spec = spec
        self.keymap = KeyMap()
        self._cap = 0
        self.rows = np.empty(0, dtype=np.int64)
        self.sum = np.empty(0, dtype=np.float64)
        self.min = np.empty(0, dtype=np.float64)
        self.max = np.empty(0, dtype=np.float64)
        self.last = np.empty(0, dtype=np.int64)
        self.distinct = {d: PairSet(distinct_budget_bytes, spill_dir) for d in spec.distinct}

    def _grow(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(n, 2 * self._cap, 1024)
        for name, fill in (("rows", 0), ("sum", 0.0), ("min", np.inf), ("max", -np.inf), ("last", _DATE_NA)):
            old = getattr(self, name)
            new = np.full(cap, fill, dtype=old.dtype)
            new[:self._cap] = old
            setattr(self, name, new)
        self._cap = cap

    @property
    def nbytes(self) -> int:
        """Bytes held by the running state (keys, per-key arrays, distinct sets)."""
        arrays = self.keymap.keys.nbytes + sum(a.nbytes for a in (self.rows, self.sum, self.min, self.max, self.last))
        lut = 0 if self.keymap._lut is None else self.keymap._lut.nbytes
        return int(arrays + lut + sum(p.nbytes for p in self.distinct.values()))

    def update(self, keys: np.ndarray, values: np.ndarray, dates: np.ndarray | None = None,
               distinct: dict[str, np.ndarray] | None = None) -> None:
        """Fold one block of valid rows (int64 keys, float64 values, int64 microsecond dates) into the state."""
        if len(keys) == 0:
            return
        slots = self.keymap.slots(keys)
        self._grow(self.keymap.n)
        distinct = dict(distinct or {})
        has_date = bool(self.spec.date) and dates is not None
        # one sort per block groups the rows by slot; sorting by (slot, first distinct value) also hands the
        # distinct set its codes already sorted
        first = next(iter(distinct), None)
        packed = first is not None and self.distinct[first]._wide is None and PairSet.packable(distinct[first])
        codes = (slots << 32) | distinct.pop(first) if packed else slots
        # first collapse runs of equal codes (the lines of one order sit together): a linear pass, fewer to sort
        run = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        if len(run) < len(codes):
            cnt = np.diff(np.append(run, len(codes)))
            tot, lo, hi = np.add.reduceat(values, run), np.minimum.reduceat(values, run), np.maximum.reduceat(values, run)
            last = np.maximum.reduceat(dates, run) if has_date else None
            codes = codes[run]
        else:
            cnt, tot, lo, hi, last = np.ones(len(codes), dtype=np.int64), values, values, values, dates
        perm = np.argsort(codes)  # quicksort: deterministic, and the order within a group does not matter
        codes = codes[perm]
        if packed:
            self.distinct[first].add_sorted_codes(codes)
            codes = codes >> 32
        starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        u = codes[starts]
        del codes
        self.rows[u] += np.add.reduceat(cnt[perm], starts)
        self.sum[u] += np.add.reduceat(tot[perm], starts)
        self.min[u] = np.minimum(self.min[u], np.minimum.reduceat(lo[perm], starts))
        self.max[u] = np.maximum(self.max[u], np.maximum.reduceat(hi[perm], starts))
        if has_date:
            self.last[u] = np.maximum(self.last[u], np.maximum.reduceat(last[perm], starts))
        for d, vals in distinct.items():
            self.distinct[d].add(slots, vals)

    @staticmethod
    def collapse(spec: AggSpec, keys: np.ndarray, values: np.ndarray, dates: np.ndarray | None,
                 distinct: dict[str, np.ndarray]) -> _Collapsed | None:
        """Collapse runs of lines with the same (key, distinct value) ahead of :meth:`fold`; needs no state.

        The state-free half of :meth:`update`, so a parsing thread can do it: the same runs, the same
        reductions, hence bit-identical results. ``None`` when it does not apply (two or more distinct
        columns, or distinct values outside ``[0, 2**32)``): then call :meth:`update` with the rows.
        """
        if len(spec.distinct) > 1 or len(keys) == 0:
            return None
        first = distinct[spec.distinct[0]] if spec.distinct else None
        if first is not None and not PairSet.packable(first):
            return None
        change = keys[1:] != keys[:-1]
        if first is not None:
            change |= first[1:] != first[:-1]
        run = np.flatnonzero(np.concatenate(([True], change)))
        del change
        has_date = bool(spec.date) and dates is not None
        if len(run) < len(keys):
            cnt = np.diff(np.append(run, len(keys)))
            tot, lo, hi = np.add.reduceat(values, run), np.minimum.reduceat(values, run), np.maximum.reduceat(values, run)
            last = np.maximum.reduceat(dates, run) if has_date else None
            keys, first = keys[run], (first[run] if first is not None else None)
        else:
            cnt, tot, lo, hi, last = np.ones(len(keys), dtype=np.int64), values, values, values, dates
        return _Collapsed(keys, first, cnt, tot, lo, hi, last if has_date else None)

    def can_fold(self) -> bool:
        """Whether :meth:`fold` applies: the distinct set (if any) still holds packed codes."""
        return len(self.spec.distinct) == 0 or (
            len(self.spec.distinct) == 1 and self.distinct[self.spec.distinct[0]]._wide is None)

    def fold(self, c: _Collapsed) -> None:
        """Fold a block collapsed by :meth:`collapse` into the state (the stateful half of :meth:`update`)."""
        slots = self.keymap.slots(c.keys)
        self._grow(self.keymap.n)
        packed = c.first is not None
        codes = (slots << 32) | c.first if packed else slots
        del slots
        perm = np.argsort(codes)  # quicksort: deterministic, and the order within a group does not matter
        codes = codes[perm]
        if packed:
            self.distinct[self.spec.distinct[0]].add_sorted_codes(codes)
            codes = codes >> 32
        starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        u = codes[starts]
        del codes
        self.rows[u] += np.add.reduceat(c.cnt[perm], starts)
        self.sum[u] += np.add.reduceat(c.tot[perm], starts)
        self.min[u] = np.minimum(self.min[u], np.minimum.reduceat(c.lo[perm], starts))
        self.max[u] = np.maximum(self.max[u], np.maximum.reduceat(c.hi[perm], starts))
        if c.last is not None:
            self.last[u] = np.maximum(self.last[u], np.maximum.reduceat(c.last[perm], starts))

    def close(self) -> None:
        """Delete any spilled distinct runs."""
        for pairs in self.distinct.values():
            pairs.close()

    def to_frame(self) -> pd.DataFrame:
        """The final per-key table, sorted by key; the mean is sum / rows, computed only now.

        This finishes the state: each running array is released as soon as its column is built, so the
        peak stays near the size of the result.
        """
        s = self.spec
        n = self.keymap.n
        nunique = {}
        for d, pairs in self.distinct.items():  # first: the spilled runs' merge needs the most scratch memory
            nunique[d] = pairs.counts(n)
            pairs.close()
            self.distinct[d] = PairSet(pairs.budget_bytes, pairs.spill_dir)
        order = np.argsort(self.keymap.keys[:n], kind="stable")
        empty_f, empty_i = np.empty(0, np.float64), np.empty(0, np.int64)

        def take(name: str, empty: np.ndarray) -> np.ndarray:
            col = getattr(self, name)[:n][order]
            setattr(self, name, empty)
            return col

        out = {s.by: self.keymap.keys[:n][order]}
        self.keymap = KeyMap()
        out["rows"] = take("rows", empty_i)
        out[f"{s.value}_sum"] = take("sum", empty_f)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{s.value}_mean"] = out[f"{s.value}_sum"] / out["rows"]
        out[f"{s.value}_min"] = take("min", empty_f)
        out[f"{s.value}_max"] = take("max", empty_f)
        last = take("last", empty_i)
        if s.date:
            out[f"last_{s.date}"] = last.view("datetime64[us]")
        del last
        self._cap = 0
        for d, counts in nunique.items():
            out[f"{d}_nunique"] = counts[order]
        return pd.DataFrame(out, copy=False)


# --------------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------------
REJECT_COLUMNS = ["line", "column", "reason", "value"]


@dataclass
class ChunkReport:
    """What one pass saw. ``rows_read == rows_aggregated + rows_rejected`` always; ``rejects`` says where and why.

    For CSV, ``line`` is the physical line number (the header is line 1); for Parquet it is the 1-based row.
    """

    path: str
    rows_read: int = 0
    rows_aggregated: int = 0
    rows_rejected: int = 0
    bytes_read: int = 0
    blocks: int = 0
    mode: str = "typed"
    state_bytes: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_aggregated + self.rows_rejected

    def reasons(self) -> pd.Series:
        """Rejected rows per reason."""
        if self.rejects.empty:
            return pd.Series(dtype="int64", name="rows")
        return self.rejects.groupby(["column", "reason"]).size().rename("rows")

    def summary(self) -> str:
        """One line for a log: rows read = aggregated + rejected."""
        return (f"{Path(self.path).name}: rows read {self.rows_read:,} = aggregated {self.rows_aggregated:,}"
                f" + rejected {self.rows_rejected:,} ({self.blocks} blocks, {self.mode} mode)")

    def __str__(self) -> str:
        text = self.summary()
        if self.rows_rejected:
            shown = self.rejects.head(10).to_string(index=False)
            more = f"\n... and {self.rows_rejected - 10:,} more" if self.rows_rejected > 10 else ""
            text += "\n" + shown + more
        return text


class _Rejects:
    """Collects rejected rows as arrays (cheap) and builds the frame once at the end."""

    def __init__(self) -> None:
        self.lines: list[np.ndarray] = []
        self.columns: list[str] = []
        self.reasons: list[str] = []
        self.values: list[list[str]] = []

    def add(self, lines: np.ndarray, column: str, reason: str, values: Sequence[str]) -> None:
        self.lines.append(np.asarray(lines, dtype=np.int64))
        self.columns.append(column)
        self.reasons.append(reason)
        self.values.append(list(values))

    def frame(self) -> pd.DataFrame:
        if not self.lines:
            return pd.DataFrame({"line": np.empty(0, np.int64), "column": pd.Series([], dtype="str"),
                                 "reason": pd.Series([], dtype="str"), "value": pd.Series([], dtype="str")})
        sizes = [len(x) for x in self.lines]
        df = pd.DataFrame({
            "line": np.concatenate(self.lines),
            "column": np.repeat(np.array(self.columns, dtype=object), sizes),
            "reason": np.repeat(np.array(self.reasons, dtype=object), sizes),
            "value": [v for vs in self.values for v in vs],
        }).astype({"column": "str", "reason": "str", "value": "str"})
        return df.sort_values("line", kind="stable", ignore_index=True)


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------
def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty (0 bytes, not even a header line)")


def _csv_header(path: Path, needed: Sequence[str]) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: line 1 (the header) is not UTF-8 text: {exc}") from None
    header = next(csv.reader(io.StringIO(text)), [])
    if not header or header == [""]:
        raise InputFileError(f"{path}: line 1 is blank; expected a header naming the columns")
    for col in needed:
        if col not in header:
            raise InputFileError(f"{path}: column {col!r} not found in the header (line 1); columns are {header}")
    return header


def _cast_flagging(arr: pa.Array, typ: pa.DataType) -> tuple[pa.Array, np.ndarray | None]:
    """Cast text to ``typ``; on failure, bisect to find exactly which values do not parse (they become null)."""
    try:
        return pc.cast(arr, typ), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    n = len(arr)
    if n <= 32:
        parts, bad = [], np.zeros(n, dtype=bool)
        for i in range(n):
            try:
                parts.append(pc.cast(arr.slice(i, 1), typ))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                bad[i] = True
                parts.append(pa.nulls(1, typ))
        return pa.concat_arrays(parts), bad
    mid = n // 2
    a, bad_a = _cast_flagging(arr.slice(0, mid), typ)
    b, bad_b = _cast_flagging(arr.slice(mid), typ)
    bad = np.concatenate([np.zeros(mid, bool) if bad_a is None else bad_a,
                          np.zeros(n - mid, bool) if bad_b is None else bad_b])
    return pa.concat_arrays([a, b]), bad


def _type_words(typ: pa.DataType) -> str:
    if pa.types.is_integer(typ):
        return "not an integer"
    if pa.types.is_floating(typ):
        return "not a number"
    if pa.types.is_timestamp(typ):
        return "not a valid date-time (YYYY-MM-DD HH:MM:SS)"
    return f"not a valid {typ}"


def _to_numpy(arr: pa.Array, typ: pa.DataType) -> np.ndarray:
    if pa.types.is_timestamp(typ):
        arr = arr.cast(pa.int64())
    if arr.null_count:
        arr = pc.fill_null(arr, 0)
    return arr.to_numpy(zero_copy_only=False)


def _lines_of(rows: np.ndarray, bad_lines: np.ndarray, first_line: int = 2) -> np.ndarray:
    """Physical line of parsed row ``rows`` (0-based), skipping the lines the parser rejected (sorted)."""
    lines = first_line + rows
    while True:
        nxt = first_line + rows + np.searchsorted(bad_lines, lines, side="right")
        if np.array_equal(nxt, lines):
            return lines
        lines = nxt


@dataclass
class _Block:
    """One block of parsed rows: arrays (nulls filled), a validity mask, and the reasons rows failed."""

    arrays: dict[str, np.ndarray]
    valid: np.ndarray
    problems: list[tuple[np.ndarray, str, str, list[str]]]  # (row positions, column, reason, raw values)


def _check_block(batch: pa.RecordBatch | pa.Table, spec: AggSpec, tolerant: bool) -> _Block:
    """Type every needed column, flagging unparseable and missing values (first failing column wins)."""
    n = batch.num_rows
    valid = np.ones(n, dtype=bool)
    problems = []
    arrays = {}
    for name, typ in spec.arrow_types().items():
        raw = batch.column(name)
        if isinstance(raw, pa.ChunkedArray):
            raw = raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
        arr, bad = (_cast_flagging(raw, typ) if tolerant and raw.type != typ else (raw, None))
        if bad is not None:
            pos = np.flatnonzero(bad & valid)
            if len(pos):
                problems.append((pos, name, _type_words(typ), [str(x) for x in raw.take(pos).to_pylist()]))
                valid[pos] = False
        if arr.null_count:
            nulls = arr.is_null().to_numpy(zero_copy_only=False) & valid
            pos = np.flatnonzero(nulls)
            if len(pos):
                problems.append((pos, name, "missing value", [""] * len(pos)))
                valid[pos] = False
        arrays[name] = _to_numpy(arr, typ)
    return _Block(arrays, valid, problems)


class _Progress:
    """A tqdm bar over bytes read, with rows and rows/s; a no-op when turned off."""

    def __init__(self, total: int, desc: str, enabled: bool, unit: str = "B") -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            scale = unit == "B"
            self.bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000,
                            mininterval=0.5)

    def update(self, done: int, rows: int) -> None:
        if self.bar is None:
            return
        self.bar.update(max(0, done - self.bar.n))
        elapsed = self.bar.format_dict.get("elapsed", 0) or 0
        rate = rows / elapsed if elapsed > 0 else 0.0
        self.bar.set_postfix_str(f"{rows:,} rows, {rate:,.0f} rows/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _raise_first(path: Path, line: int, column: str, reason: str, value: str) -> None:
    where = f"line {line}" + (f", column {column!r}" if column else "")
    raise InputFileError(f"{path}: {where}: {reason} ({value!r})")


def _give_back_freed_memory() -> None:
    """Return freed pages to the OS: Arrow's pool (it keeps them per parsing thread) and glibc's heap (per arena)."""
    global _MALLOC_TRIM
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None


def _prefetch(reader, depth: int = 2) -> Iterator[pa.RecordBatch]:
    """Parse in a background thread at most ``depth`` batches ahead: overlap parsing with NumPy, keep memory bounded."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for batch in reader:
                if not put(("batch", batch)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    thread = threading.Thread(target=run, name="pharma_kit-csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _ordered_map(fn, items, threads: int, depth: int) -> Iterator:
    """``map(fn, items)`` on a pool of ``threads``, in order, at most ``depth`` items in flight: memory stays bounded.

    ``items`` is consumed on the caller's thread (the file is read sequentially); ``fn`` runs on the pool.
    """
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pharma_kit-csv-parse")
    pending: deque = deque()
    try:
        it = iter(items)
        for item in it:
            pending.append(pool.submit(fn, item))
            if len(pending) >= depth:
                break
        while pending:
            result = pending.popleft().result()
            for item in it:  # refill before handing the result over: the pool parses while the caller reduces
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)


class _NeedsTolerantPass(Exception):
    """The fast typed pass met a bad line; the careful pass (text columns, one thread) finds exactly which."""


def _line_blocks(path: Path, block_size: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield (first line number, whole lines as bytes, bytes consumed) after the header: we control the memory."""
    with open(path, "rb") as fh:
        header = fh.readline()
        consumed, line, carry = len(header), 2, b""
        while True:
            chunk = fh.read(block_size)
            if not chunk:
                if carry:  # the last line has no newline (possibly truncated): the parser judges it
                    yield line, carry, consumed + len(carry)
                return
            data = carry + chunk if carry else chunk
            del chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: keep reading
                carry = data
                continue
            block, carry = memoryview(data)[:cut], data[cut:]  # a view: no copy of the block
            consumed += cut
            n_lines = data.count(b"\n")
            del data
            yield line, block, consumed
            line += n_lines


def _ring_blocks(path: Path, block_size: int, n_buffers: int) -> Iterator[tuple[int, memoryview, int]]:
    """Like :func:`_line_blocks` (the same blocks), but read into ``n_buffers`` reused buffers, lines not counted.

    Buffer ``k % n_buffers`` is overwritten when block ``k + n_buffers`` is read: the consumer must be done
    with a block by then (:func:`_ordered_map` with ``depth < n_buffers`` is). Yields (0, whole lines, bytes
    consumed); reusing the buffers spares the page faults of a fresh multi-MiB allocation per block.
    """
    buffers: list[bytearray] = [bytearray() for _ in range(n_buffers)]
    with open(path, "rb") as fh:
        consumed = len(fh.readline())
        carry, k = b"", 0
        while True:
            need = len(carry) + block_size
            buf = buffers[k % n_buffers]
            if len(buf) < need:
                buf = buffers[k % n_buffers] = bytearray(need)
            view = memoryview(buf)
            view[:len(carry)] = carry
            n = fh.readinto(view[len(carry):need])
            end = len(carry) + n
            if n == 0:
                if carry:  # the last line has no newline (possibly truncated): the parser judges it
                    yield 0, view[:end], consumed + end
                return
            cut = buf.rfind(b"\n", 0, end) + 1
            if cut == 0:  # one line longer than a block: keep reading
                carry = bytes(view[:end])
                continue
            carry = bytes(view[cut:end])
            consumed += cut
            k += 1
            yield 0, view[:cut], consumed


def _count_newlines(data: memoryview) -> int:
    """Number of ``\\n`` bytes, counted a MiB at a time outside the GIL (small temporaries)."""
    a = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 20
    return int(sum(np.count_nonzero(a[i:i + step] == 10) for i in range(0, len(a), step)))


def _aggregate_csv(path: Path, spec: AggSpec, block_size: int, progress: bool, on_bad_rows: str,
                   tolerant: bool, distinct_budget_bytes: int = 16 << 20,
                   spill_dir: str | Path | None = None) -> tuple[PartialAggregate, ChunkReport]:
    """One pass: split the file into blocks of whole lines, parse each with explicit types, fold it into the state.

    The fast pass parses each block on all cores; a bad line or value sends us to the careful pass
    (text columns, one thread), which knows every rejected row's line number.
    """
    header = _csv_header(path, spec.columns)
    types = spec.arrow_types()
    read_types = {k: (pa.string() if tolerant else t) for k, t in types.items()}
    convert = pacsv.ConvertOptions(include_columns=spec.columns, column_types=read_types, strings_can_be_null=True)
    # each block is parsed on one thread; the fast pass parses several blocks at once (all cores), in order
    read = pacsv.ReadOptions(column_names=header, use_threads=False, block_size=1 << 20)

    def parse(item: tuple[int, bytes, int]):
        first_line, data, consumed = item
        bad: list[tuple[int, str, str]] = []

        def on_invalid(row) -> str:
            text = row.text if len(row.text) <= 200 else row.text[:197] + "..."
            number = first_line + row.number - 1 if row.number is not None else -1
            bad.append((number, f"expected {row.expected_columns} columns, got {row.actual_columns}", text))
            return "skip"

        parse_opts = pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False)
        table = pacsv.read_csv(pa.py_buffer(data), read_options=read, parse_options=parse_opts,
                               convert_options=convert)
        return first_line, table, bad, consumed

    def parse_typed(item: tuple[int, memoryview, int]):
        """The fast pass's work for one block, on a pool thread: count lines, parse, type-check, collapse runs."""
        _, data, consumed = item
        n_lines = _count_newlines(data)
        _, table, bad, _ = parse((0, data, consumed))
        if bad:  # the careful pass will say exactly which lines; no point in typing this block
            return n_lines, table, bad, consumed, None, None
        block = _check_block(table, spec, False)
        a, ok = block.arrays, block.valid
        sel = (lambda x: x) if ok.all() else (lambda x: x[ok])
        collapsed = PartialAggregate.collapse(spec, sel(a[spec.by]), sel(a[spec.value]),
                                              sel(a[spec.date]) if spec.date else None,
                                              {d: sel(a[d]) for d in spec.distinct})
        return n_lines, table, bad, consumed, block, collapsed

    state = PartialAggregate(spec, distinct_budget_bytes, spill_dir)
    rejects = _Rejects()
    report = ChunkReport(str(path), mode="tolerant" if tolerant else "typed")
    bar = _Progress(path.stat().st_size, path.name, progress)
    rows_read = 0
    if tolerant:  # the careful pass: one parsing thread, one block ahead
        batches = _prefetch((parse(item) + (None, None) for item in _line_blocks(path, block_size)), depth=1)
    else:  # the fast pass: blocks parsed (and pre-reduced) on a thread pool, a bounded number in flight, in order
        threads = CSV_PARSE_THREADS  # while we fold one block, each thread parses the next ones
        batches = _ordered_map(parse_typed, _ring_blocks(path, block_size, n_buffers=threads + 1), threads,
                               depth=threads)
    next_line = 2  # the fast pass's running line number: the header is line 1
    try:
        for first_line, table, bad, consumed, block, collapsed in batches:
            if not tolerant:
                first_line, next_line = next_line, next_line + first_line  # the worker counted the block's lines
            if bad:
                if not tolerant:
                    raise _NeedsTolerantPass("a line with the wrong number of columns")
                bad.sort()
                if on_bad_rows == "raise":
                    _raise_first(path, bad[0][0], "", bad[0][1], bad[0][2])
                for number, reason, text in bad:
                    rejects.add(np.array([number]), "", reason, [text])
            bad_lines = np.array([b[0] for b in bad], dtype=np.int64)
            if block is None:
                block = _check_block(table, spec, tolerant)
            for pos, col, reason, vals in block.problems:
                lines = _lines_of(pos, bad_lines, first_line)
                if on_bad_rows == "raise":
                    _raise_first(path, int(lines[0]), col, reason, vals[0])
                rejects.add(lines, col, reason, vals)
            a, ok = block.arrays, block.valid
            if collapsed is not None and state.can_fold():
                state.fold(collapsed)
            else:
                sel = (lambda x: x) if ok.all() else (lambda x: x[ok])
                state.update(sel(a[spec.by]), sel(a[spec.value]), sel(a[spec.date]) if spec.date else None,
                             {d: sel(a[d]) for d in spec.distinct})
            rows_read += table.num_rows + len(bad)
            report.blocks += 1
            del table, block, a, collapsed
            if report.blocks % 4 == 0:
                _give_back_freed_memory()
            bar.update(consumed, rows_read)
    except BaseException:
        state.close()
        raise
    finally:
        batches.close()
        bar.close()
        _give_back_freed_memory()  # the blocks' memory, before the caller builds the result
    report.rows_read = rows_read
    report.bytes_read = path.stat().st_size
    return _finish(state, rejects, report)


def _finish(state: PartialAggregate, rejects: _Rejects, report: ChunkReport) -> tuple[PartialAggregate, ChunkReport]:
    report.rejects = rejects.frame()
    report.rows_rejected = len(report.rejects)
    report.rows_aggregated = int(state.rows[:state.keymap.n].sum())
    report.state_bytes = state.nbytes
    if not report.balanced:  # pragma: no cover - an accounting bug, never a data problem
        raise AssertionError(f"row accounting is off: {report.summary()}")
    return state, report


def _aggregate_parquet(path: Path, spec: AggSpec, batch_rows: int, progress: bool, on_bad_rows: str,
                       distinct_budget_bytes: int = 16 << 20,
                       spill_dir: str | Path | None = None) -> tuple[PartialAggregate, ChunkReport]:
    import pyarrow.dataset as pads

    try:
        dataset = pads.dataset(str(path), format="parquet", partitioning="hive")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(f"{path}: not a readable Parquet file or dataset: {exc}") from None
    names = dataset.schema.names
    for col in spec.columns:
        if col not in names:
            raise InputFileError(f"{path}: column {col!r} not found in the Parquet schema; columns are {names}")
    total = dataset.count_rows()
    bar = _Progress(total, path.name, progress, unit="rows")
    state = PartialAggregate(spec, distinct_budget_bytes, spill_dir)
    rejects = _Rejects()
    report = ChunkReport(str(path), mode="parquet")
    done = 0
    try:
        for batch in dataset.to_batches(columns=spec.columns, batch_size=batch_rows):
            casted = []
            for name, typ in spec.arrow_types().items():
                col = batch.column(name)
                try:
                    casted.append(col if col.type == typ else pc.cast(col, typ))
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise InputFileError(f"{path}: column {name!r} has type {col.type}, cannot use it as {typ}: "
                                         f"{exc}") from None
            block = _check_block(pa.RecordBatch.from_arrays(casted, names=list(spec.arrow_types())), spec, False)
            for pos, col, reason, vals in block.problems:
                if on_bad_rows == "raise":
                    _raise_first(path, done + int(pos[0]) + 1, col, reason, vals[0])
                rejects.add(done + pos + 1, col, reason, vals)
            a, ok = block.arrays, block.valid
            state.update(a[spec.by][ok], a[spec.value][ok], a[spec.date][ok] if spec.date else None,
                         {d: a[d][ok] for d in spec.distinct})
            done += batch.num_rows
            report.blocks += 1
            bar.update(done, done)
    except BaseException:
        state.close()
        raise
    finally:
        bar.close()
    report.rows_read = done
    report.bytes_read = sum(Path(f).stat().st_size for f in dataset.files)
    return _finish(state, rejects, report)


def aggregate_file_report(path: str | Path, by: str = "customer_id", *, value: str = "amount",
                          date: str | None = "order_date", distinct: Sequence[str] = ("order_id",),
                          block_size: int = DEFAULT_BLOCK_BYTES, batch_rows: int = 1_000_000, progress: bool = True,
                          on_bad_rows: Literal["quarantine", "raise"] = "quarantine",
                          distinct_budget_bytes: int = 16 << 20,
                          spill_dir: str | Path | None = None) -> tuple[pd.DataFrame, ChunkReport]:
    """Aggregate ``value`` per ``by`` in one bounded-memory pass; return the table and the accounting report.

    CSV files are streamed in blocks of ``block_size`` bytes; Parquet files or hive-partitioned directories
    in batches of ``batch_rows``. Bad rows are quarantined with their line numbers (or, with
    ``on_bad_rows="raise"``, the first one raises :class:`InputFileError`). Distinct-count sets beyond
    ``distinct_budget_bytes`` are spilled as sorted runs to a temporary directory under ``spill_dir``.
    """
    if on_bad_rows not in ("quarantine", "raise"):
        raise ValueError(f"on_bad_rows must be 'quarantine' or 'raise', got {on_bad_rows!r}")
    spec = AggSpec(by, value, date, tuple(distinct))
    spec.columns  # validates
    path = Path(path)
    _check_path(path)
    budget = (distinct_budget_bytes, spill_dir)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        state, report = _aggregate_parquet(path, spec, batch_rows, progress, on_bad_rows, *budget)
    else:
        try:
            state, report = _aggregate_csv(path, spec, block_size, progress, on_bad_rows, False, *budget)
        except (pa.ArrowInvalid, _NeedsTolerantPass) as exc:
            if isinstance(exc, pa.ArrowInvalid) and "conversion error" not in str(exc):
                raise InputFileError(f"{path}: the CSV cannot be parsed: {exc}") from None
            # a bad line or value: read again as text, one thread, and find exactly which rows are bad
            try:
                state, report = _aggregate_csv(path, spec, block_size, progress, on_bad_rows, True, *budget)
            except pa.ArrowInvalid as exc2:
                raise InputFileError(f"{path}: the CSV cannot be parsed: {exc2}") from None
    try:
        return state.to_frame(), report
    finally:
        state.close()


def aggregate_file(path: str | Path, by: str = "customer_id", *, value: str = "amount",
                   date: str | None = "order_date", distinct: Sequence[str] = ("order_id",),
                   block_size: int = DEFAULT_BLOCK_BYTES, batch_rows: int = 1_000_000, progress: bool = True,
                   on_bad_rows: Literal["quarantine", "raise"] = "quarantine", distinct_budget_bytes: int = 16 << 20,
                   spill_dir: str | Path | None = None) -> pd.DataFrame:
    """Per-key rows, sum, mean, min, max, last date and exact distinct counts of a CSV/Parquet file, in bounded memory.

    Use :func:`aggregate_file_report` to also get the row accounting and the rejected lines.
    """
    frame, _ = aggregate_file_report(path, by, value=value, date=date, distinct=distinct, block_size=block_size,
                                     batch_rows=batch_rows, progress=progress, on_bad_rows=on_bad_rows,
                                     distinct_budget_bytes=distinct_budget_bytes, spill_dir=spill_dir)
    return frame


# --------------------------------------------------------------------------------------------------
# partial aggregates as DataFrames: the merge rule, and the classic mistake
# --------------------------------------------------------------------------------------------------
def chunk_partials(chunk: pd.DataFrame, by: str = "customer_id", value: str = "amount",
                   date: str = "order_date") -> pd.DataFrame:
    """One chunk's partial aggregates per key (rows, sum, mean, min, max, last date) as a DataFrame."""
    g = chunk.groupby(by, sort=True)
    v = g[value]
    out = pd.DataFrame({"rows": v.size(), f"{value}_sum": v.sum(), f"{value}_mean": v.mean(),
                        f"{value}_min": v.min(), f"{value}_max": v.max(), f"last_{date}": g[date].max()})
    return out.rename_axis(by).reset_index()


def combine_partials(partials: list[pd.DataFrame], by: str = "customer_id", value: str = "amount",
                     date: str = "order_date") -> pd.DataFrame:
    """Merge chunk partials exactly: add rows and sums, min of mins, max of maxes; the mean is sum / rows at the end."""
    both = pd.concat(partials, ignore_index=True)
    g = both.groupby(by, sort=True)
    out = pd.DataFrame({"rows": g["rows"].sum(), f"{value}_sum": g[f"{value}_sum"].sum()})
    out[f"{value}_mean"] = out[f"{value}_sum"] / out["rows"]  # derived only now, from the merged sum and count
    out[f"{value}_min"] = g[f"{value}_min"].min()
    out[f"{value}_max"] = g[f"{value}_max"].max()
    out[f"last_{date}"] = g[f"last_{date}"].max()
    return out.rename_axis(by).reset_index()


def distinct_per_key(chunks: list[pd.DataFrame], by: str = "customer_id", col: str = "order_id") -> pd.Series:
    """Exact distinct ``col`` values per key across chunks: union the (key, value) pairs, then count. Never add counts."""
    pairs = pd.concat([c[[by, col]].drop_duplicates() for c in chunks], ignore_index=True).drop_duplicates()
    return pairs.groupby(by, sort=True).size().astype("int64").rename(f"{col}_nunique")


def mean_of_chunk_means(partials: list[pd.DataFrame], by: str = "customer_id", value: str = "amount") -> pd.Series:
    """The source notes' mistake, kept for the lesson: average each key's chunk means (wrong unless counts are equal)."""
    both = pd.concat([p[[by, f"{value}_mean"]] for p in partials], ignore_index=True)
    return both.groupby(by, sort=True)[f"{value}_mean"].mean()


def wrong_mean_share(exact: pd.Series, naive: pd.Series, rtol: float = 1e-9) -> float:
    """Share of keys whose naive mean differs from the exact one (both indexed by key)."""
    naive = naive.reindex(exact.index)
    wrong = ~np.isclose(naive.to_numpy(), exact.to_numpy(), rtol=rtol, atol=0.0)
    return float(wrong.mean()) if len(wrong) else 0.0


def pandas_chunk_means(path: str | Path, chunk_rows: int, by: str = "customer_id", value: str = "amount",
                       date: str = "order_date") -> tuple[pd.DataFrame, pd.Series]:
    """Read ``path`` with ``read_csv(chunksize=...)``; return the exact combined table and the mean of chunk means."""
    parts = [chunk_partials(c, by, value, date) for c in pd.read_csv(
        path, usecols=[by, value, date], dtype={by: "int64", value: "float64"}, parse_dates=[date],
        chunksize=chunk_rows)]
    exact = combine_partials(parts, by, value, date)
    return exact, mean_of_chunk_means(parts, by, value)


__all__ = [
    "AggSpec", "ChunkReport", "KeyMap", "PairSet", "PartialAggregate", "DEFAULT_BLOCK_BYTES",
    "aggregate_file", "aggregate_file_report", "chunk_partials", "combine_partials", "mean_of_chunk_means",
    "wrong_mean_share", "pandas_chunk_means", "distinct_per_key",
]

"""The key bookkeeping of the partial aggregates: :class:`KeyMap` maps any int64 key to a dense slot (a direct lookup
table for small non-negative keys, a sorted hash otherwise) and :class:`PairSet` keeps the exact set of (slot,
distinct value) pairs, as sorted packed codes that spill to disk past a memory budget; :func:`sorted_unique` is
their shared NumPy helper. Nothing here reads files or knows about columns.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd




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

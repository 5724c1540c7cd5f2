"""What to aggregate and the running state: :class:`AggSpec` names the key, value, date and distinct-count columns;
:class:`PartialAggregate` holds the mergeable per-key state (rows, sum, min, max, last date, exact distinct sets)
that one block at a time is folded into, in file order, and turns it into the result frame at the end (the mean is
derived only there: a mean of chunk means is wrong).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pharma_kit.chunked.keysets import KeyMap, PairSet


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

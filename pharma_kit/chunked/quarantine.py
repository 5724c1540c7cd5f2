"""Per-block type checking and quarantine: each parsed block's columns are cast to their declared types, and every
value that does not fit (and every null) is flagged with its file line number; :class:`ChunkReport` accounts for
every input row (aggregated or rejected, with the reason), and the strict mode raises an
:class:`~pharma_kit.errors.InputFileError` naming the first bad line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pharma_kit.chunked.partial import AggSpec
from pharma_kit.errors import InputFileError


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


def _raise_first(path: Path, line: int, column: str, reason: str, value: str) -> None:
    where = f"line {line}" + (f", column {column!r}" if column else "")
    raise InputFileError(f"{path}: {where}: {reason} ({value!r})")

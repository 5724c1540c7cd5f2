"""The file-level entry points: :func:`aggregate_file` and :func:`aggregate_file_report` stream a CSV (a fast typed
pass on several threads, with a careful one-thread pass that locates bad lines when the fast one meets one) or a
Parquet file through the block reader, the per-block checks and the partial aggregate, and return the per-key table
(and the report of every row).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pharma_kit.chunked.blocks import (
    record_line_offsets, _check_path, _count_newlines, _csv_header, _give_back_freed_memory, _line_blocks, _ordered_map, _prefetch,
    _Progress, _ring_blocks,
)
from pharma_kit.chunked.partial import AggSpec, PartialAggregate
from pharma_kit.chunked.quarantine import _check_block, ChunkReport, _lines_of, _raise_first, _Rejects
from pharma_kit.errors import InputFileError


#: Default block size for the CSV reader: big enough to amortise per-block work, small enough to stay flat.
DEFAULT_BLOCK_BYTES = 8 << 20
#: Threads parsing CSV blocks in the fast pass (each block on one thread; pyarrow releases the GIL).
CSV_PARSE_THREADS = max(1, min(4, os.cpu_count() or 1))


class _NeedsTolerantPass(Exception):
    """The fast typed pass met a bad line; the careful pass (text columns, one thread) finds exactly which."""


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
        """Parse one block; ``bad`` holds (line relative to the block's first, reason, text, record index)."""
        first_line, data, consumed = item
        bad: list[tuple[int, str, str, int]] = []
        offsets = record_line_offsets(data)  # None: one record per line (no line break inside quotes)

        def on_invalid(row) -> str:
            text = row.text if len(row.text) <= 200 else row.text[:197] + "..."
            record = row.number - 1 if row.number is not None else -1
            line = -1 if record < 0 else (record if offsets is None else int(offsets[record]))
            bad.append((line, f"expected {row.expected_columns} columns, got {row.actual_columns}", text, record))
            return "skip"

        parse_opts = pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False,
                                        newlines_in_values=offsets is not None)
        table = pacsv.read_csv(pa.py_buffer(data), read_options=read, parse_options=parse_opts,
                               convert_options=convert)
        return first_line, table, bad, consumed, offsets

    def parse_typed(item: tuple[int, memoryview, int]):
        """The fast pass's work for one block, on a pool thread: count lines, parse, type-check, collapse runs."""
        _, data, consumed = item
        n_lines = _count_newlines(data)
        _, table, bad, _, offsets = parse((0, data, consumed))
        if bad:  # the careful pass will say exactly which lines; no point in typing this block
            return n_lines, table, bad, consumed, offsets, None, None
        block = _check_block(table, spec, False)
        a, ok = block.arrays, block.valid
        sel = (lambda x: x) if ok.all() else (lambda x: x[ok])
        collapsed = PartialAggregate.collapse(spec, sel(a[spec.by]), sel(a[spec.value]),
                                              sel(a[spec.date]) if spec.date else None,
                                              {d: sel(a[d]) for d in spec.distinct})
        return n_lines, table, bad, consumed, offsets, block, collapsed

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
        for first_line, table, bad, consumed, offsets, block, collapsed in batches:
            if not tolerant:
                first_line, next_line = next_line, next_line + first_line  # the worker counted the block's lines
            if bad:
                if not tolerant:
                    raise _NeedsTolerantPass("a line with the wrong number of columns")
                bad.sort()
                if on_bad_rows == "raise":
                    _raise_first(path, first_line + bad[0][0] if bad[0][0] >= 0 else -1, "", bad[0][1], bad[0][2])
                for line, reason, text, _ in bad:
                    rejects.add(np.array([first_line + line if line >= 0 else -1]), "", reason, [text])
            bad_records = np.array(sorted(b[3] for b in bad), dtype=np.int64)
            if block is None:
                block = _check_block(table, spec, tolerant)
            for pos, col, reason, vals in block.problems:
                records = _lines_of(pos, bad_records, 0)  # the parsed rows' record numbers in the block
                lines = first_line + (records if offsets is None else offsets[records])
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

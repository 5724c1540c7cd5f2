"""Block reading and prefetching: path and header checks, splitting a CSV into blocks of whole records (fresh byte
strings, or a ring of reused buffers for the fast pass; a block never ends inside a quoted field, so values holding
line breaks stay whole), a bounded prefetch thread, an ordered thread-pool map that keeps a fixed number of blocks in
flight, the progress bar and giving freed memory back to the OS. Nothing here aggregates.
"""
from __future__ import annotations

import csv
import io
import queue
import threading
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pyarrow as pa

from pharma_kit.errors import InputFileError
from pharma_kit.parallel import ordered_map as _ordered_map  # noqa: F401 - used by files.py


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty (0 bytes, not even a header line)")


def _csv_header(path: Path, needed: Sequence[str]) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 20)
    if b"\r" in first.rstrip(b"\r\n"):
        raise InputFileError(f"{path}: line 1 ends in a bare \\r (classic Mac line endings): lines must end in \\n or "
                             "\\r\\n. Convert the file first, e.g. tr '\\r' '\\n' < in.csv > out.csv")
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


_QUOTE, _NEWLINE = 34, 10   # b'"', b"\n"


def _has_quote(data: bytes | bytearray | memoryview, end: int | None = None) -> bool:
    """Whether ``data[:end]`` holds a double quote (the only way a line break can sit inside a field)."""
    stop = len(data) if end is None else end
    if isinstance(data, (bytes, bytearray)):
        return data.find(b'"', 0, stop) >= 0
    a = np.frombuffer(data, dtype=np.uint8, count=stop)
    base = data.obj
    if isinstance(base, (bytes, bytearray)) and len(a) and \
            a.ctypes.data == np.frombuffer(base, dtype=np.uint8, count=1).ctypes.data:
        return base.find(b'"', 0, stop) >= 0          # a view from the buffer's start: C-speed search
    step = 1 << 20
    return any(np.count_nonzero(a[i:i + step] == _QUOTE) for i in range(0, len(a), step))


def _record_cut(data: bytes | bytearray, end: int) -> int:
    """One past the last line break of ``data[:end]`` that ends a record (0 if none); ``data`` starts a record.

    A line break inside a quoted field is part of the value (legal CSV). With RFC 4180 quoting (a quote inside a
    quoted field is doubled) a break is inside quotes exactly when an odd number of quotes precede it, so without
    any quote the last ``\n`` is the cut, and otherwise the last ``\n`` with an even number of quotes before it.
    """
    if data.find(b'"', 0, end) < 0:
        return data.rfind(b"\n", 0, end) + 1
    a = np.frombuffer(data, dtype=np.uint8, count=end)
    newlines = np.flatnonzero(a == _NEWLINE)
    outside = newlines[(np.searchsorted(np.flatnonzero(a == _QUOTE), newlines) & 1) == 0]
    return int(outside[-1]) + 1 if len(outside) else 0


def record_line_offsets(data: bytes | bytearray | memoryview) -> np.ndarray | None:
    """For a block holding line breaks inside quoted fields: physical lines before each record (0 for the first).

    ``None`` when every record is one line (the common case): then record ``k`` is line ``first + k``.
    """
    if not _has_quote(data):
        return None
    a = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(a == _NEWLINE)
    inside = (np.searchsorted(np.flatnonzero(a == _QUOTE), newlines) & 1) == 1
    if not inside.any():
        return None
    ends = np.flatnonzero(~inside)          # which line breaks end a record
    return np.concatenate([[0], ends + 1]).astype(np.int64)


def _line_blocks(path: Path, block_size: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield (first line number, whole records as bytes, bytes consumed) after the header: we control the memory.

    Blocks end at a line break outside quotes, so a quoted field holding line breaks is never split.
    """
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
            cut = _record_cut(data, len(data))
            if cut == 0:  # one record longer than a block: keep reading
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
            cut = _record_cut(buf, end)
            if cut == 0:  # one record longer than a block: keep reading
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

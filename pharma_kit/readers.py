"""Read a hostile CSV feed as text without losing or hiding a line.

Every field is read as ``str`` (nothing is coerced on the way in), the frame's index is the physical
line number where each record starts, and lines that cannot be a record (wrong column count, a
repeated header, undecodable bytes, a quote that never closes) come back as ``rejected`` rows with a
reason and the line as it was, never dropped. File-level problems (missing file, empty file, missing
required column) raise :class:`~pharma_kit.errors.InputFileError` naming the file, the column and the line.

Physical lines are accounted for, not only records: ``lines = header + blank lines + the lines of every
record (kept or rejected)`` holds for every file (:meth:`CsvRead.line_accounting`). A record may span
several lines only through a quoted newline, and only up to :data:`MAX_RECORD_LINES` lines and
:data:`MAX_RECORD_CHARS` characters: past that the quote is taken to be unbalanced, the record's FIRST line
is rejected as ``unbalanced_quote`` and reading resumes on the next line (so one stray ``"`` costs one line,
not the rest of the file).

The file is read in blocks of lines (:class:`CsvTextReader`), so memory depends on the block size, not on
the file size; :func:`read_csv_text` concatenates the blocks. Line endings ``\\n``, ``\\r\\n`` and old-Mac ``\\r``
are all read.
"""
from __future__ import annotations

import csv
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from pharma_kit.errors import InputFileError

_SURROGATE = re.compile("[\udc80-\udcff]")
#: A record may span at most this many physical lines (a quoted newline); more means an unbalanced quote.
MAX_RECORD_LINES = 5
#: A record may hold at most this many characters (csv's own field limit is 131,072).
MAX_RECORD_CHARS = 65_536
#: Lines read per block.
BLOCK_LINES = 200_000
#: Reasons the reader itself gives (before any rule runs), in the order they are reported.
READER_REASONS = ("wrong_column_count", "repeated_header", "non_utf8_bytes", "unbalanced_quote", "record_too_long",
                  "malformed_csv")


@dataclass
class CsvBlock:
    """One block of a file: ``frame`` (index = start line), ``rejected`` lines, and the raw text of the records."""

    frame: pd.DataFrame
    rejected: pd.DataFrame
    raw_lines: "_LazyRaw"  # ``raw_lines.reindex(lines)``: each record's text as it was, for lines of ``frame``


@dataclass
class CsvRead:
    """A CSV read as text: ``frame`` (index = start line), ``rejected`` lines with a reason, and notes."""

    path: Path
    frame: pd.DataFrame
    rejected: pd.DataFrame
    blank_lines: list[int] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    had_bom: bool = False
    n_lines: int = 0
    header_line: int = 0
    spans: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    raw_lines: pd.Series | None = None

    @property
    def n_records(self) -> int:
        """Data records found (read + rejected); blank lines are not records."""
        return len(self.frame) + len(self.rejected)

    def line_accounting(self) -> dict[str, int]:
        """Physical lines by role; ``header + blank + record_lines == lines`` always."""
        return _accounting(self.n_lines, self.header_line, self.blank_lines, self.n_records, self.spans)


def _accounting(n_lines: int, header_line: int, blank: list[int], n_records: int, spans: dict[int, int]) -> dict:
    extra = sum(end - start for start, end in spans.items())
    return {"lines": int(n_lines), "header": int(header_line > 0), "blank": len(blank),
            "records": int(n_records), "record_lines": int(n_records + extra)}


class _RecordTooLong(Exception):
    pass


class _LineSource:
    """The physical lines fed to ``csv.reader``: counts the lines and characters of the record being read."""

    def __init__(self, it: Iterator[str], first_no: int) -> None:
        self.it = it
        self.buf: deque[str] = deque()
        self.next_no = first_no  # number of the next line handed out
        self.taken: list[str] = []
        self.chars = 0

    def start_record(self) -> None:
        self.taken, self.chars = [], 0

    def __iter__(self) -> "_LineSource":
        return self

    def __next__(self) -> str:
        if self.taken and (len(self.taken) >= MAX_RECORD_LINES or self.chars > MAX_RECORD_CHARS):
            raise _RecordTooLong("still open")
        if self.buf:
            line = self.buf.popleft()
        else:
            try:
                line = next(self.it)
            except StopIteration:
                if self.taken:  # csv asks for more only inside a quoted field: it never closed
                    raise _RecordTooLong("end of file") from None
                raise
        self.taken.append(line)
        self.chars += len(line)
        self.next_no += 1
        return line

    def give_back(self, lines: list[str]) -> None:
        self.buf.extendleft(reversed(lines))
        self.next_no -= len(lines)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def _clean_text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


class _LazyRaw:
    """The raw text of a block's records, built only for the lines asked for (usually the quarantined few)."""

    def __init__(self, texts: list[str] | None, first: int, series: pd.Series | None = None) -> None:
        self.texts, self.first, self.series = texts, first, series

    def reindex(self, lines) -> pd.Series:
        lines = pd.Index(lines)
        if self.series is not None:
            return self.series.reindex(lines)
        return pd.Series([self.texts[int(n) - self.first] for n in lines], dtype="str", index=lines, name="raw_line")


class CsvTextReader:
    """Read ``path`` block by block; the header is checked on construction. Iterate :meth:`blocks` once.

    After iterating, ``n_lines``, ``blank_lines``, ``spans`` (start -> last line of multi-line records) and
    ``problems`` (human-readable notes on unbalanced quotes) describe the whole file.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], *, extra: str = "ignore",
                 block_lines: int = BLOCK_LINES) -> None:
        self.path = Path(path)
        if extra not in ("ignore", "error"):
            raise ValueError("extra must be 'ignore' or 'error'")
        self.columns = list(columns)
        self.block_lines = int(block_lines)
        try:
            self._fh = open(self.path, encoding="utf-8", errors="surrogateescape", newline="")
        except FileNotFoundError:
            raise InputFileError(f"{self.path}: file not found") from None
        except IsADirectoryError:
            raise InputFileError(f"{self.path}: is a directory, not a file") from None
        except OSError as exc:
            raise InputFileError(f"{self.path}: cannot read ({exc.strerror})") from None
        self.blank_lines: list[int] = []
        self.spans: dict[int, int] = {}
        self.problems: list[str] = []
        self.n_lines = 0
        self.had_bom = False
        self._src = _LineSource(iter(self._fh), 1)
        self.header, self.header_line = self._read_header()
        dup = sorted({h for h in self.header if self.header.count(h) > 1})
        if dup:
            self.close()
            raise InputFileError(f"{self.path}: line {self.header_line}: header repeats column(s) {dup}")
        missing = [c for c in self.columns if c not in self.header]
        if missing:
            self.close()
            raise InputFileError(f"{self.path}: line {self.header_line}: required column {missing[0]!r} is missing "
                                 f"from the header (missing: {missing}; found: {self.header})")
        self.extra_columns = [h for h in self.header if h not in self.columns]
        if self.extra_columns and extra == "error":
            self.close()
            raise InputFileError(f"{self.path}: line {self.header_line}: unexpected column(s) "
                                 f"{self.extra_columns} in the header")
        self.width = len(self.header)
        self.pos = [self.header.index(c) for c in self.columns]

    def close(self) -> None:
        self._fh.close()

    def _read_header(self) -> tuple[list[str], int]:
        src = self._src
        while True:
            src.start_record()
            no = src.next_no
            try:
                line = next(src)
            except StopIteration:
                self.close()
                raise InputFileError(f"{self.path}: file is empty (line 1: no header row; expected columns "
                                     f"{self.columns})") from None
            if no == 1 and line.startswith("\ufeff"):
                self.had_bom, line = True, line[1:]
            if _strip_eol(line).strip() == "":
                self.blank_lines.append(no)
                continue
            if '"' in line:
                src.give_back([line])
                src.start_record()
                try:
                    fields = next(csv.reader(src))
                except (csv.Error, _RecordTooLong) as exc:
                    self.close()
                    raise InputFileError(f"{self.path}: line {no}: the header is not valid CSV ({exc})") from None
                if src.next_no - 1 > no:
                    self.close()
                    raise InputFileError(f"{self.path}: line {no}: the header spans several lines")
            else:
                fields = _strip_eol(line).split(",")
            return [_clean_text(f).strip() for f in fields], no

    # ------------------------------------------------------------------ records
    def _records(self) -> Iterator[tuple[list[list[str]], list[int], list[str], list[tuple[int, str, str]]]]:
        """Yield per chunk: fields of each record, start lines, raw texts, and (line, reason, raw) of broken lines."""
        src = self._src
        while True:
            if not src.buf:
                chunk = list(islice(src.it, self.block_lines))
                if not chunk:
                    break
                first = src.next_no
                if not any('"' in line for line in chunk):  # fast path: no quoting anywhere in the chunk
                    src.next_no += len(chunk)
                    yield first, [_strip_eol(line) for line in chunk]
                    continue
                src.buf.extend(chunk)
            yield self._slow_chunk()
        self.n_lines = src.next_no - 1

    def _slow_chunk(self):
        """Records with quotes: csv.reader over the buffered lines (and beyond, for a record that spans the edge)."""
        src = self._src
        fields, starts, raws, broken = [], [], [], []
        reader = csv.reader(src, strict=False)
        while src.buf:
            src.start_record()
            start = src.next_no
            try:
                rec = next(reader)
            except StopIteration:  # pragma: no cover - buf was not empty
                break
            except (_RecordTooLong, csv.Error) as exc:
                taken = src.taken
                src.give_back(taken[1:])
                first_text = _strip_eol(taken[0])
                if len(first_text) > MAX_RECORD_CHARS:
                    broken.append(self._too_long(start, first_text))
                elif isinstance(exc, _RecordTooLong):
                    reason = "unbalanced_quote"
                    why = ("the file ends" if str(exc) == "end of file"
                           else f"{len(taken)} lines / {sum(map(len, taken)):,} characters later")
                    self.problems.append(
                        f"line {start}: a quoted field opened on line {start} was still open when {why} "
                        f"(lines {start}-{start + len(taken) - 1}); line {start} rejected as unbalanced_quote, "
                        f"reading resumed on line {start + 1}")
                else:
                    reason = "malformed_csv"
                    self.problems.append(f"line {start}: malformed CSV ({exc}); line {start} rejected")
                if len(first_text) <= MAX_RECORD_CHARS:
                    broken.append((start, reason, first_text))
                reader = csv.reader(src, strict=False)
                continue
            end = src.next_no - 1
            if not rec or (len(rec) == 1 and rec[0].strip() == ""):
                if end == start:
                    self.blank_lines.append(start)
                    continue
            if end > start:
                self.spans[start] = end
            text = _strip_eol("".join(src.taken))
            if len(text) > MAX_RECORD_CHARS:
                if end > start:  # keep the other lines: give them back, reject the first one only
                    src.give_back(src.taken[1:])
                    self.spans.pop(start, None)
                    reader = csv.reader(src, strict=False)
                broken.append(self._too_long(start, _strip_eol(src.taken[0])))
                continue
            fields.append(rec)
            starts.append(start)
            raws.append(text)
        return fields, starts, raws, broken

    def _too_long(self, line: int, text: str) -> tuple[int, str, str]:
        self.problems.append(f"line {line}: {len(text):,} characters, more than a record may hold "
                             f"({MAX_RECORD_CHARS:,}); rejected as record_too_long")
        return line, "record_too_long", text[:200] + "..."

    def blocks(self) -> Iterator[CsvBlock]:
        """The file as blocks of at most ``block_lines`` lines each (a multi-line record may add a few)."""
        try:
            for item in self._records():
                yield self._fast_block(*item) if len(item) == 2 else self._block(*item)
        finally:
            self.close()

    def _fast_block(self, first: int, texts: list[str]) -> CsvBlock:
        """A chunk without any quote character: the record checks per line, the fields parsed by Arrow."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(texts)
        width = self.width
        h = self.header[0]
        try:  # the per-line checks, vectorised by Arrow (which refuses undecodable bytes: then line by line)
            arr = pa.array(texts, type=pa.string())
            blank = pc.equal(pc.utf8_trim_whitespace(arr), "").to_numpy(zero_copy_only=False)
            commas = pc.count_substring(arr, ",").to_numpy(zero_copy_only=False)
            too_long = pc.greater(pc.utf8_length(arr), MAX_RECORD_CHARS).to_numpy(zero_copy_only=False)
            maybe_hdr = pc.starts_with(pc.utf8_ltrim_whitespace(arr), h).to_numpy(zero_copy_only=False)
            bad_bytes = np.zeros(n, dtype=bool)
        except (UnicodeEncodeError, pa.ArrowException):
            blank = np.fromiter((not t or t.isspace() for t in texts), dtype=bool, count=n)
            commas = np.fromiter((t.count(",") for t in texts), dtype=np.int64, count=n)
            too_long = np.fromiter((len(t) > MAX_RECORD_CHARS for t in texts), dtype=bool, count=n)
            maybe_hdr = np.fromiter((t.lstrip().startswith(h) for t in texts), dtype=bool, count=n)
            bad_bytes = np.fromiter((bool(_SURROGATE.search(t)) for t in texts), dtype=bool, count=n)
        if blank.any():
            self.blank_lines.extend((first + np.flatnonzero(blank)).tolist())
        ok = ~blank & ~too_long & (commas == width - 1) & ~bad_bytes
        good = np.flatnonzero(ok)
        # a repeated header: every field (stripped) is the header's
        rep_hdr = np.zeros(len(good), dtype=bool)
        for j in np.flatnonzero(maybe_hdr[good]):
            rep_hdr[j] = [f.strip() for f in texts[good[j]].split(",")] == self.header
        side = np.sort(np.concatenate([np.flatnonzero(~blank & ~too_long & ~ok), good[rep_hdr]]))
        good = good[~rep_hdr]
        frame = self._arrow_frame(texts if len(good) == n else [texts[i] for i in good], first + good)
        broken = [self._too_long(first + int(i), texts[i]) for i in np.flatnonzero(too_long & ~blank)]
        rest = self._block([texts[i].split(",") for i in side], [first + int(i) for i in side],
                           [texts[i] for i in side], broken)
        return CsvBlock(frame, rest.rejected, _LazyRaw(texts, first))

    def _arrow_frame(self, texts: list[str], lines: np.ndarray) -> pd.DataFrame:
        if not texts:
            return self._empty_frame()
        import pyarrow as pa
        import pyarrow.csv as pacsv

        idx = pd.Index(np.asarray(lines, dtype="int64"), name="line")
        data = ("\n".join(texts) + "\n").encode("utf-8")
        names = [f"c{i}" for i in range(self.width)]
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 20, len(data) + 1)),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 include_columns=[names[p] for p in self.pos],
                                                 strings_can_be_null=False))
        if table.num_rows != len(texts):  # pragma: no cover - every line was checked to have the header's width
            raise InputFileError(f"{self.path}: {table.num_rows} rows parsed from {len(texts)} lines")
        cols = {}
        for c, p in zip(self.columns, self.pos):
            s = pd.Series(pd.arrays.ArrowStringArray(table.column(names[p])), index=idx).astype("str")
            cols[c] = s.where(s.str.strip() != "")  # an empty field is a missing value
        return pd.DataFrame(cols, index=idx)

    def _block(self, records: list[list[str]], starts: list[int], raws: list[str],
               broken: list[tuple[int, str, str]]) -> CsvBlock:
        width, header = self.width, self.header
        n = len(records)
        lines = np.array(starts, dtype="int64")
        reason = np.full(n, "", dtype=object)
        ok = np.fromiter((len(r) == width for r in records), dtype=bool, count=n)
        reason[~ok] = "wrong_column_count"
        h0 = header[0]
        for i in np.flatnonzero(ok):  # a repeated header starts with the first column's name
            if records[i][0].strip() == h0 and [f.strip() for f in records[i]] == header:
                ok[i], reason[i] = False, "repeated_header"
        if any(_SURROGATE.search(t) for t in raws):
            for i in np.flatnonzero(ok):
                if _SURROGATE.search(raws[i]):
                    ok[i], reason[i] = False, "non_utf8_bytes"
        good = np.flatnonzero(ok)
        bad = np.flatnonzero(~ok)
        idx = pd.Index(lines[good], name="line")
        cols = {}
        for c, p in zip(self.columns, self.pos):
            s = pd.Series([records[i][p] for i in good], dtype="str", index=idx)
            cols[c] = s.where(s.str.strip() != "")  # an empty field is a missing value
        frame = pd.DataFrame(cols, index=idx)
        raw = _LazyRaw(None, 0, pd.Series([raws[i] for i in good], dtype="str", index=idx, name="raw_line"))
        # rejected: bad records (fields only when the width is right), then broken lines
        rows = []
        for i in bad:
            rec = records[i]
            vals = [_clean_text(rec[p]) for p in self.pos] if len(rec) == width else [None] * len(self.columns)
            rows.append((int(lines[i]), vals, reason[i], _clean_text(raws[i])))
        for line, why, text in broken:
            rows.append((line, [None] * len(self.columns), why, _clean_text(text)))
        rows.sort(key=lambda r: r[0])
        ridx = pd.Index([r[0] for r in rows], dtype="int64", name="line")
        rej = {c: pd.Series([r[1][j] for r in rows], dtype="str", index=ridx) for j, c in enumerate(self.columns)}
        rejected = pd.DataFrame(rej, index=ridx)
        for c in self.columns:
            rejected[c] = rejected[c].where(rejected[c].str.strip() != "")
        rejected["reason"] = pd.Series([r[2] for r in rows], dtype="str", index=ridx)
        rejected["raw_line"] = pd.Series([r[3] for r in rows], dtype="str", index=ridx)
        return CsvBlock(frame, rejected, raw)

    def result(self, frames: list[pd.DataFrame], rejected: list[pd.DataFrame],
               raws: list[pd.Series] | None = None) -> CsvRead:
        frame = _concat(frames, self._empty_frame())
        rej = _concat(rejected, self._empty_rejected())
        raw = _concat(raws, pd.Series([], dtype="str", index=pd.Index([], dtype="int64", name="line"),
                                      name="raw_line")) if raws is not None else None
        return CsvRead(self.path, frame, rej, self.blank_lines, self.extra_columns, self.had_bom, self.n_lines,
                       self.header_line, self.spans, self.problems, raw)

    def _empty_frame(self) -> pd.DataFrame:
        idx = pd.Index([], dtype="int64", name="line")
        return pd.DataFrame({c: pd.Series([], dtype="str", index=idx) for c in self.columns}, index=idx)

    def _empty_rejected(self) -> pd.DataFrame:
        out = self._empty_frame()
        out["reason"] = pd.Series([], dtype="str", index=out.index)
        out["raw_line"] = pd.Series([], dtype="str", index=out.index)
        return out


def _concat(parts, empty):
    parts = [p for p in (parts or []) if len(p)]
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else pd.concat(parts, axis=0)


def read_csv_text(path: str | Path, columns: Sequence[str], *, extra: str = "ignore",
                  keep_raw: bool = False, block_lines: int = BLOCK_LINES) -> CsvRead:
    """Read ``path`` as text records with ``columns`` required in the header.

    ``extra="ignore"`` keeps going when the header has columns beyond ``columns`` (they are listed in
    ``extra_columns`` and left out of ``frame``); ``extra="error"`` raises instead. ``keep_raw=True`` also
    returns ``raw_lines``: each record's text exactly as it was in the file (line ending removed).
    """
    reader = CsvTextReader(path, columns, extra=extra, block_lines=block_lines)
    frames, rejected, raws = [], [], []
    for b in reader.blocks():
        frames.append(b.frame)
        rejected.append(b.rejected)
        if keep_raw:
            raws.append(b.raw_lines.reindex(b.frame.index))
    return reader.result(frames, rejected, raws if keep_raw else None)


__all__ = ["BLOCK_LINES", "CsvBlock", "CsvRead", "CsvTextReader", "MAX_RECORD_CHARS", "MAX_RECORD_LINES",
           "READER_REASONS", "read_csv_text"]

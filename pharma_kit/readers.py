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

Two engines give the same records, reasons and line numbers (``tests/test_readers_engines.py``): ``"text"`` decodes
every line and uses ``csv.reader`` wherever a quote appears; ``"bytes"`` (the default; 1.7x faster on a clean
2M-row feed) cuts the file into byte blocks of whole lines and hands the plain ones (ASCII, no quote, no bare ``\\r``:
nearly every block of a real feed) to Arrow's CSV parser straight from the bytes, with the per-line checks (column
count, blank, repeated header, length) done by NumPy on the same bytes; any other block goes through the text
engine's rules, reading past the block's end while a quoted record is still open. :meth:`CsvTextReader.segments`
and :meth:`CsvTextReader.parse` let a caller parse plain blocks on several threads.
"""
from __future__ import annotations

import csv
import io
import re
import zlib
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
#: How blocks are found: ``"bytes"`` cuts the file into byte blocks of whole lines and parses the plain ones (ASCII,
#: no quote, no ``\\r`` but in ``\\r\\n``) with Arrow, the rest with ``"text"``: lines decoded one by one and ``csv.reader`` where a
#: quote appears. Both give the same records, reasons and line numbers (``tests/test_readers_engines.py``).
ENGINES = ("bytes", "text")
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
class Segment:
    """A run of whole records from :meth:`CsvTextReader.segments`: plain ASCII bytes still to parse (``data``,
    parsed by :meth:`CsvTextReader.parse`, safe on any thread), or a block the reader already parsed (``block``).
    ``blank`` and ``problems`` are the segment's blank lines and notes, in line order; ``offset`` is where a plain
    segment's bytes start in the file (:meth:`CsvTextReader.plain_lines` reads lines back from there)."""

    first: int
    data: bytes | None = None
    offset: int = -1
    size: int = 0
    ascii: bool = False   # parsed from bytes as ASCII: its lines can be read back with plain_lines
    quoted: bool = False  # holds quotes, each line one record, every quote at a field's edge (see _simple_quotes)
    block: CsvBlock | None = None
    blank: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


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


#: Bytes a value starting with which may be blank once stripped: ASCII whitespace (as str.isspace sees it) and the
#: first byte of any non-ASCII character (which may be a Unicode space).
_MAY_START_BLANK = np.zeros(256, dtype=bool)
_MAY_START_BLANK[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_MAY_START_BLANK[0x80:] = True


def _maybe_blank(col) -> np.ndarray:
    """Per value of an Arrow string column: empty, or starting with a byte that may begin whitespace. Read from the
    buffers (no string is built): a value that is not flagged here cannot be empty once stripped."""
    from pharma_kit.arrow_text import chunks, value_bytes

    out = []
    for chunk in chunks(col):
        if not len(chunk):
            continue
        starts, length, data = value_bytes(chunk)
        first = np.zeros(len(chunk), dtype=np.uint8)
        has = length > 0
        first[has] = data[starts[has]]
        m = ~has | _MAY_START_BLANK[first]
        if chunk.null_count:
            m |= np.asarray(chunk.is_null())
        out.append(m)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _comma_fields(text: str) -> list[str]:
    return text.split(",")


def _csv_fields(text: str) -> list[str]:
    return next(csv.reader([text], strict=False), [])


def _simple_quotes(block: bytes) -> bool:
    """Whether a block's quoting is the simple kind Arrow reads exactly as ``csv.reader`` does, line by line: ASCII,
    an even number of quotes on every line, each opening quote at the start of a field and each closing quote at its
    end (so no line break or doubled quote inside a field, no ``a"b``). A typical "quote every field" export is."""
    a = np.frombuffer(block, dtype=np.uint8)
    if np.any(a >= 0x80):
        return False
    q = np.flatnonzero(a == 34)
    if len(q) % 2 or np.any(np.searchsorted(q, np.flatnonzero(a == 10)) % 2):  # odd before a break or at the end
        return False
    # every line holds an even number, so a quote's parity in the block is its parity in its line: 0 opens
    opening = np.arange(len(q)) % 2 == 0
    before = np.where(q > 0, a[np.maximum(q - 1, 0)], 10)
    after = np.where(q + 1 < len(a), a[np.minimum(q + 1, len(a) - 1)], 10)
    return bool(np.all(np.isin(before[opening], (44, 10))) and np.all(np.isin(after[~opening], (44, 10, 13))))


def _line_bounds(a: np.ndarray, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where each line of a plain block starts and ends (line break excluded, ``\\r\\n`` as well as ``\\n``)."""
    nl = np.flatnonzero(a == 10)
    ends = nl if data.endswith(b"\n") else np.append(nl, len(data))
    starts = np.concatenate([[0], nl + 1])[:len(ends)]
    if b"\r" in data:  # a plain block's every \r is the first half of a \r\n
        ends = ends - ((ends > starts) & (a[np.maximum(ends - 1, 0)] == 13))
    return starts, ends


class _ByteRaw:
    """The raw text of a plain block's lines, decoded only for the lines asked for."""

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray, first: int) -> None:
        self.data, self.starts, self.ends, self.first = data, starts, ends, first

    def reindex(self, lines) -> pd.Series:
        lines = pd.Index(lines)
        pos = np.asarray(lines, dtype="int64") - self.first
        return pd.Series([self.data[self.starts[i]:self.ends[i]].decode("ascii") for i in pos], dtype="str",
                         index=lines, name="raw_line")


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split where a text file opened with ``newline=""`` splits them:
    ``\\n``, ``\\r\\n`` and ``\\r``."""
    return list(io.StringIO(text, newline=""))


class _ByteLines:
    """Decoded lines from ``carry`` and then ``fh``, split as :func:`_split_lines` splits them;
    ``rest()`` is what is left."""

    def __init__(self, carry: bytes, fh) -> None:
        self.buf, self.pos, self.fh, self.eof = carry, 0, fh, False

    def __iter__(self) -> "_ByteLines":
        return self

    def __next__(self) -> str:
        while True:
            buf, pos = self.buf, self.pos
            n, r = buf.find(b"\n", pos), buf.find(b"\r", pos)
            end = -1
            if r >= 0 and (n < 0 or r < n):
                if r + 1 < len(buf):
                    end = r + 2 if buf[r + 1] == 10 else r + 1
                elif self.eof:
                    end = r + 1
            elif n >= 0:
                end = n + 1
            elif self.eof and pos < len(buf):
                end = len(buf)
            if end >= 0:
                self.pos = end
                return buf[pos:end].decode("utf-8", errors="surrogateescape")
            if self.eof:
                raise StopIteration
            more = self.fh.read(1 << 16)
            self.eof = not more
            self.buf = buf[pos:] + more
            self.pos = 0

    def rest(self) -> bytes:
        return self.buf[self.pos:]


class CsvTextReader:
    """Read ``path`` block by block; the header is checked on construction. Iterate :meth:`blocks` once.

    After iterating, ``n_lines``, ``blank_lines``, ``spans`` (start -> last line of multi-line records) and
    ``problems`` (human-readable notes on unbalanced quotes) describe the whole file.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], *, extra: str = "ignore",
                 block_lines: int = BLOCK_LINES, engine: str = "bytes") -> None:
        self.path = Path(path)
        if extra not in ("ignore", "error"):
            raise ValueError("extra must be 'ignore' or 'error'")
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        self.engine = engine
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
    def _records(self) -> Iterator[Segment]:
        """The text engine: chunks of ``block_lines`` decoded lines; csv.reader only for chunks holding a quote."""
        src = self._src
        while True:
            if not src.buf:
                chunk = list(islice(src.it, self.block_lines))
                if not chunk:
                    break
                first = src.next_no
                if not any('"' in line for line in chunk):  # fast path: no quoting anywhere in the chunk
                    src.next_no += len(chunk)
                    seg = Segment(first)
                    seg.block = self._fast_block(first, [_strip_eol(line) for line in chunk], seg)
                    yield seg
                    continue
                src.buf.extend(chunk)
            yield self._captured(src.next_no, lambda: self._block(*self._slow_chunk()))
        self.n_lines = src.next_no - 1

    def _captured(self, first: int, parse) -> Segment:
        """Run ``parse`` (which notes blank lines and problems on the reader) and move those notes to a segment."""
        nb, npb = len(self.blank_lines), len(self.problems)
        block = parse()
        seg = Segment(first, block=block, blank=self.blank_lines[nb:], problems=self.problems[npb:])
        del self.blank_lines[nb:], self.problems[npb:]
        return seg

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
                    broken.append(self._too_long(start, first_text, self.problems))
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
                broken.append(self._too_long(start, _strip_eol(src.taken[0]), self.problems))
                continue
            fields.append(rec)
            starts.append(start)
            raws.append(text)
        return fields, starts, raws, broken

    @staticmethod
    def _too_long(line: int, text: str, problems: list[str]) -> tuple[int, str, str]:
        problems.append(f"line {line}: {len(text):,} characters, more than a record may hold "
                        f"({MAX_RECORD_CHARS:,}); rejected as record_too_long")
        return line, "record_too_long", text[:200] + "..."

    # ------------------------------------------------------------------ the byte engine
    def segments(self) -> Iterator[Segment]:
        """The file after the header as segments of whole records, in order (iterate once).

        The byte engine reads blocks of about ``block_lines`` lines as bytes, cut after a line break. A block that
        holds a quote or a ``\\r`` is parsed here by the text engine's rules, reading past the block's end while a
        quoted record is open; every other block is handed out as bytes for :meth:`parse`. ``n_lines`` is set when
        the last segment has been handed out.
        """
        if self.engine == "text":
            yield from self._records()
            return
        self._fh.close()
        with open(self.path, "rb") as fh:
            lines = _ByteLines(b"", fh)
            for _ in range(self.header_line):  # the lines up to the header, split as the text reader split them
                next(lines)
            line = self.header_line + 1
            buf = lines.rest()
            first_bytes = buf + fh.read(1 << 16)
            # about block_lines lines per block, from the first bytes' line length
            base = max(16, self.block_lines * max(16, len(first_bytes) // max(1, first_bytes.count(b"\n") + 1)))
            target, buf, eof = base, first_bytes, False
            del first_bytes
            while True:
                if len(buf) < target and not eof:
                    more = fh.read(target - len(buf))
                    eof = not more
                    buf += more
                    continue
                if eof and len(buf) <= target:
                    cut = len(buf)
                else:  # after the last line break before the target (a bare \r only once the next byte is known)
                    limit = min(len(buf), target)
                    cut = max(buf.rfind(b"\n", 0, limit), buf.rfind(b"\r", 0, min(limit, len(buf) - 1))) + 1
                    if cut == 0:  # a line longer than a block: take it whole
                        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r", 0, len(buf) - 1)) + 1
                    if cut == 0:
                        if not eof:
                            target += target
                            continue
                        cut = len(buf)
                    elif buf[cut - 1] == 13 and buf[cut:cut + 1] == b"\n":  # never split a \r\n
                        cut += 1
                block, buf = buf[:cut], buf[cut:]
                target = base  # (grown only to hold one very long line)
                if not block:
                    break
                quoted = b'"' in block
                if (b"\r" in block and block.count(b"\r") != block.count(b"\r\n")) or \
                        (quoted and not _simple_quotes(block)):
                    tail = _ByteLines(buf, fh)
                    tail.eof = eof
                    seg = self._text_segment(line, block, tail)
                    line, buf, eof = self._src.next_no, tail.rest(), tail.eof
                else:
                    seg = Segment(line, data=block, offset=fh.tell() - len(buf) - len(block), size=len(block),
                                  quoted=quoted)
                    line += block.count(b"\n") + (not block.endswith(b"\n"))
                yield seg
        self.n_lines = line - 1

    def _text_segment(self, first: int, block: bytes, tail: "_ByteLines") -> Segment:
        texts = _split_lines(block.decode("utf-8", errors="surrogateescape"))
        self._src = src = _LineSource(tail, first)
        if b'"' not in block:  # \r line endings, no quote: the text engine's quote-free path
            src.next_no += len(texts)
            seg = Segment(first)
            seg.block = self._fast_block(first, [_strip_eol(t) for t in texts], seg)
            return seg
        src.buf.extend(texts)
        return self._captured(first, lambda: self._block(*self._slow_chunk()))

    def parse(self, seg: Segment) -> Segment:
        """``seg`` with its block parsed (a no-op for a parsed one). Touches nothing shared: safe on a thread pool."""
        if seg.block is not None:
            return seg
        data = seg.data
        a = np.frombuffer(data, dtype=np.uint8)
        if np.any(a >= 0x80):  # non-ASCII text: decoded and checked line by line, as the text engine does
            texts = data.decode("utf-8", errors="surrogateescape").split("\n")
            if data.endswith(b"\n"):
                texts.pop()
            seg.block = self._fast_block(seg.first, [_strip_eol(t) for t in texts], seg)
            seg.data = None
            return seg
        starts, ends = _line_bounds(a, data)
        n = len(ends)
        length = ends - starts
        commas = np.flatnonzero(a == 44)
        if seg.quoted:  # a comma inside a quoted field separates nothing: mark the bytes between each pair of quotes
            q = np.flatnonzero(a == 34)
            inside = np.zeros(len(a) + 1, dtype=np.int8)
            inside[q[0::2]] = 1
            inside[q[1::2]] = -1
            commas = commas[np.cumsum(inside[:-1], dtype=np.int8)[commas] == 0]
        commas = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
        # a line that is empty, or holds only ASCII whitespace (str.isspace): then it has no comma and no field
        maybe_blank = np.flatnonzero(commas == 0)
        blank = np.zeros(n, dtype=bool)
        for i in maybe_blank:  # str.isspace, not bytes.isspace: "\x1c".isspace() is True, b"\x1c".isspace() is not
            t = data[starts[i]:ends[i]].decode("ascii")
            if '"' in t:  # as csv.reader reads it: '""' is one empty field, a blank line
                rec = next(csv.reader([t], strict=False), [])
                blank[i] = not rec or (len(rec) == 1 and rec[0].strip() == "")
            else:
                blank[i] = not t or t.isspace()
        too_long = length > MAX_RECORD_CHARS
        maybe_hdr = np.zeros(n, dtype=bool)
        h = self.header[0].encode("ascii", errors="replace")
        at = data.find(h)
        while at >= 0:  # a line whose first field (spaces stripped) is the first column's name
            i = int(np.searchsorted(ends, at))
            maybe_hdr[i] = data[starts[i]:at].strip(b' \t\x0b\x0c\x1c\x1d\x1e\x1f"') == b"" or maybe_hdr[i]
            at = data.find(h, at + 1)
        seg.ascii = True
        seg.block = self._checked_block(seg.first, n, blank, commas, too_long, maybe_hdr, np.zeros(n, dtype=bool),
                                        lambda i: data[starts[i]:ends[i]].decode("ascii"),
                                        lambda good: self._arrow_frame_bytes(data, starts, ends, good, seg.first,
                                                                             seg.quoted),
                                        _ByteRaw(data, starts, ends, seg.first), seg,
                                        _csv_fields if seg.quoted else _comma_fields)
        seg.data = None
        return seg

    def plain_lines(self, offset: int, size: int, first: int, lines: np.ndarray,
                    crc: int | None = None, quoted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
        """Lines ``lines`` of the plain segment at ``offset`` read back from the file: their fields exactly as
        :meth:`parse` read them, and their raw text. For the few rows a later pass needs as text."""
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(size)
        starts, ends = _line_bounds(np.frombuffer(data, dtype=np.uint8), data)
        pos = np.asarray(lines, dtype=np.int64) - first
        if len(data) != size or (crc is not None and zlib.crc32(data) != crc) or (len(pos) and pos.max() >= len(ends)):
            raise InputFileError(f"{self.path}: the file changed while it was being read (bytes {offset:,}-"
                                 f"{offset + size:,})")
        texts = [data[starts[i]:ends[i]] for i in pos]
        frame = self._arrow_table_frame(b"".join(t + b"\n" for t in texts), first + pos, quoted) if len(pos) \
            else self._empty_frame()
        raw = pd.Series([t.decode("ascii") for t in texts], dtype="str", index=frame.index, name="raw_line")
        return frame, raw

    def blocks(self) -> Iterator[CsvBlock]:
        """The file as blocks of about ``block_lines`` lines each (a multi-line record may add a few)."""
        try:
            for seg in self.segments():
                seg = self.parse(seg)
                self.blank_lines.extend(seg.blank)
                self.problems.extend(seg.problems)
                yield seg.block
        finally:
            self.close()

    def _fast_block(self, first: int, texts: list[str], seg: Segment) -> CsvBlock:
        """A chunk without any quote character: the record checks per line, the fields parsed by Arrow."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(texts)
        h = self.header[0]
        try:  # the per-line checks, vectorised by Arrow (which refuses undecodable bytes: then line by line)
            arr = pa.array(texts, type=pa.string())
            commas = pc.count_substring(arr, ",").to_numpy(zero_copy_only=False)
            blank = np.zeros(n, dtype=bool)
            for i in np.flatnonzero(commas == 0):  # blank as str.strip() sees it (Arrow's whitespace differs)
                blank[i] = not texts[i] or texts[i].isspace()
            too_long = pc.greater(pc.utf8_length(arr), MAX_RECORD_CHARS).to_numpy(zero_copy_only=False)
            maybe_hdr = pc.starts_with(pc.utf8_ltrim_whitespace(arr), h).to_numpy(zero_copy_only=False)
            bad_bytes = np.zeros(n, dtype=bool)
        except (UnicodeEncodeError, pa.ArrowException):
            blank = np.fromiter((not t or t.isspace() for t in texts), dtype=bool, count=n)
            commas = np.fromiter((t.count(",") for t in texts), dtype=np.int64, count=n)
            too_long = np.fromiter((len(t) > MAX_RECORD_CHARS for t in texts), dtype=bool, count=n)
            maybe_hdr = np.fromiter((t.lstrip().startswith(h) for t in texts), dtype=bool, count=n)
            bad_bytes = np.fromiter((bool(_SURROGATE.search(t)) for t in texts), dtype=bool, count=n)
        return self._checked_block(first, n, blank, commas, too_long, maybe_hdr, bad_bytes, texts.__getitem__,
                                   lambda good: self._arrow_frame(texts if len(good) == n else [texts[i] for i in good],
                                                                  first + good),
                                   _LazyRaw(texts, first), seg)

    def _checked_block(self, first: int, n: int, blank, commas, too_long, maybe_hdr, bad_bytes, text_of, frame_of,
                       raw, seg: Segment, fields_of=None) -> CsvBlock:
        """Lines with the header's width become the frame (``frame_of(good positions)``); the others go to
        :meth:`_block` for their reason; blank lines and too-long lines are noted on ``seg``."""
        if blank.any():
            seg.blank.extend((first + np.flatnonzero(blank)).tolist())
        ok = ~blank & ~too_long & (commas == self.width - 1) & ~bad_bytes
        good = np.flatnonzero(ok)
        # a repeated header: every field (stripped) is the header's
        fields_of = fields_of or _comma_fields
        rep_hdr = np.zeros(len(good), dtype=bool)
        for j in np.flatnonzero(maybe_hdr[good]):
            rep_hdr[j] = [f.strip() for f in fields_of(text_of(good[j]))] == self.header
        side = np.sort(np.concatenate([np.flatnonzero(~blank & ~too_long & ~ok), good[rep_hdr]]))
        good = good[~rep_hdr]
        frame = frame_of(good) if len(good) else self._empty_frame()
        broken = [self._too_long(first + int(i), text_of(i), seg.problems) for i in np.flatnonzero(too_long & ~blank)]
        if not len(side) and not broken:  # the usual clean block: nothing rejected
            return CsvBlock(frame, self._empty_rejected(), raw)
        side_texts = [text_of(i) for i in side]
        rest = self._block([fields_of(t) for t in side_texts], [first + int(i) for i in side], side_texts, broken)
        return CsvBlock(frame, rest.rejected, raw)

    def _arrow_frame_bytes(self, data: bytes, starts: np.ndarray, ends: np.ndarray, good: np.ndarray,
                           first: int, quoted: bool = False) -> pd.DataFrame:
        """The good lines of a plain block parsed by Arrow straight from the bytes (no Python string per line)."""
        if len(good) != len(starts):  # keep the good lines' bytes (each with its line break)
            keep = np.zeros(len(starts), dtype=bool)
            keep[good] = True
            mask = np.repeat(keep, np.diff(np.append(starts, len(data))))
            data = np.frombuffer(data, dtype=np.uint8)[mask].tobytes()
        return self._arrow_table_frame(data if data.endswith(b"\n") else data + b"\n", first + good, quoted)

    def _arrow_frame(self, texts: list[str], lines: np.ndarray) -> pd.DataFrame:
        if not texts:
            return self._empty_frame()
        return self._arrow_table_frame(("\n".join(texts) + "\n").encode("utf-8"), lines)

    def _arrow_table_frame(self, data: bytes, lines: np.ndarray, quoted: bool = False) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        idx = pd.Index(np.asarray(lines, dtype="int64"), name="line")
        names = [f"c{i}" for i in range(self.width)]
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 20, len(data) + 1)),
            parse_options=pacsv.ParseOptions(quote_char='"' if quoted else False, double_quote=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 include_columns=[names[p] for p in self.pos],
                                                 strings_can_be_null=False))
        if table.num_rows != len(idx):  # pragma: no cover - every line was checked to have the header's width
            raise InputFileError(f"{self.path}: {table.num_rows} rows parsed from {len(idx)} lines")
        cols = {}
        for c, p in zip(self.columns, self.pos):
            col = table.column(names[p])
            s = pd.Series(pd.arrays.ArrowStringArray(col), index=idx).astype("str")
            maybe = _maybe_blank(col)  # an empty field is a missing value; only these few can be empty when stripped
            if maybe.any():
                blank = np.zeros(len(s), dtype=bool)
                blank[maybe] = (s.iloc[np.flatnonzero(maybe)].str.strip() == "").to_numpy(dtype=bool)
                s = s.where(~blank)
            cols[c] = s
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
                  keep_raw: bool = False, block_lines: int = BLOCK_LINES, engine: str = "bytes") -> CsvRead:
    """Read ``path`` as text records with ``columns`` required in the header.

    ``extra="ignore"`` keeps going when the header has columns beyond ``columns`` (they are listed in
    ``extra_columns`` and left out of ``frame``); ``extra="error"`` raises instead. ``keep_raw=True`` also
    returns ``raw_lines``: each record's text exactly as it was in the file (line ending removed). ``engine``: see
    :data:`ENGINES` (the same result either way).
    """
    reader = CsvTextReader(path, columns, extra=extra, block_lines=block_lines, engine=engine)
    frames, rejected, raws = [], [], []
    for b in reader.blocks():
        frames.append(b.frame)
        rejected.append(b.rejected)
        if keep_raw:
            raws.append(b.raw_lines.reindex(b.frame.index))
    return reader.result(frames, rejected, raws if keep_raw else None)


__all__ = ["BLOCK_LINES", "CsvBlock", "CsvRead", "CsvTextReader", "MAX_RECORD_CHARS", "MAX_RECORD_LINES",
           "READER_REASONS", "read_csv_text"]

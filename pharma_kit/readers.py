"""Read a hostile CSV feed as text without losing or hiding a row.

Every field is read as ``str`` (nothing is coerced on the way in), the frame's index is the physical
line number where each record starts, and lines that cannot be a record (wrong column count, a
repeated header, undecodable bytes) come back as ``rejected`` rows with a reason, never dropped.
File-level problems (missing file, empty file, missing required column) raise
:class:`~pharma_kit.errors.InputFileError` naming the file, the column and the line.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from pharma_kit.errors import InputFileError

_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class CsvRead:
    """A CSV read as text: ``frame`` (index = start line), ``rejected`` lines with a reason, and notes."""

    path: Path
    frame: pd.DataFrame
    rejected: pd.DataFrame
    blank_lines: list[int] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    had_bom: bool = False

    @property
    def n_records(self) -> int:
        """Data records found (read + rejected); blank lines are not records."""
        return len(self.frame) + len(self.rejected)


def _decode(path: Path, data: bytes) -> tuple[str, bool]:
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    # undecodable bytes become lone surrogates, so the affected lines can be quarantined, not lost
    return data.decode("utf-8", errors="surrogateescape"), bom


def _clean_text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


def read_csv_text(path: str | Path, columns: Sequence[str], *, extra: str = "ignore") -> CsvRead:
    """Read ``path`` as text records with ``columns`` required in the header.

    ``extra="ignore"`` keeps going when the header has columns beyond ``columns`` (they are listed in
    ``extra_columns`` and left out of ``frame``); ``extra="error"`` raises instead.
    """
    path = Path(path)
    if extra not in ("ignore", "error"):
        raise ValueError("extra must be 'ignore' or 'error'")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InputFileError(f"{path}: file is empty (line 1: no header row; expected columns {list(columns)})")
    text, bom = _decode(path, data)

    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    blank: list[int] = []
    header: list[str] | None = None
    header_line = 0
    last_line = 0
    try:
        for fields in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not fields or (len(fields) == 1 and fields[0].strip() == ""):
                blank.append(start)
                continue
            if header is None:
                header, header_line = [_clean_text(f).strip() for f in fields], start
                continue
            records.append(fields)
            starts.append(start)
    except csv.Error as exc:  # e.g. a NUL byte
        raise InputFileError(f"{path}: line {reader.line_num + 1}: malformed CSV ({exc})") from None
    assert header is not None

    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise InputFileError(f"{path}: line {header_line}: header repeats column(s) {dup}")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputFileError(f"{path}: line {header_line}: required column {missing[0]!r} is missing from the "
                             f"header (missing: {missing}; found: {header})")
    extras = [h for h in header if h not in columns]
    if extras and extra == "error":
        raise InputFileError(f"{path}: line {header_line}: unexpected column(s) {extras} in the header")

    width = len(header)
    pos = [header.index(c) for c in columns]
    lines = np.array(starts, dtype="int64")
    n = len(records)
    ok = np.ones(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    raw_line = np.full(n, None, dtype=object)
    for i, rec in enumerate(records):  # one pass over Python lists the csv module already built
        if len(rec) != width:
            ok[i], reason[i] = False, "wrong_column_count"
        elif [f.strip() for f in rec] == header:
            ok[i], reason[i] = False, "repeated_header"
        elif any(_SURROGATE.search(f) for f in rec):
            ok[i], reason[i] = False, "non_utf8_bytes"
        if not ok[i]:
            raw_line[i] = _clean_text(",".join(rec))

    def frame_of(mask: np.ndarray) -> pd.DataFrame:
        idx = np.flatnonzero(mask)
        cols = {}
        for c, p in zip(columns, pos):
            vals = [(_clean_text(records[i][p]) if len(records[i]) == width else None) for i in idx]
            s = pd.Series(vals, dtype="str", index=pd.Index(lines[idx], name="line"))
            cols[c] = s.where(s.str.strip() != "")  # an empty field is a missing value
        return pd.DataFrame(cols, index=pd.Index(lines[idx], name="line"))

    frame = frame_of(ok)
    rejected = frame_of(~ok)
    rejected["reason"] = pd.Series(reason[~ok], index=rejected.index, dtype="str")
    rejected["raw_line"] = pd.Series(raw_line[~ok], index=rejected.index, dtype="str")
    return CsvRead(path, frame, rejected, blank, extras, bom)


__all__ = ["CsvRead", "read_csv_text"]

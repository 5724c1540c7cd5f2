"""Read the real CDNOW transaction log (Fader & Hardie's CDNOW dataset) offline, and clean its known defects.

The master file (69,659 purchases by the 23,570 customers who first bought in Q1 1997, up to
1998-06-30) ships inside the ``lifetimes`` wheel as ``lifetimes/datasets/CDNOW_master.txt``. We locate
it through the import system *without importing* ``lifetimes``: importing it needs ``pkg_resources``
in ``lifetimes.datasets`` (gone from setuptools 82) and, in the package itself, sets a deprecated pandas
option that prints a warning. No network, no copy in the repository.

CDNOW has no order id: each line is one purchase, so the file's line number is its ``order_id``.
Known defects, handled with :func:`pharma_kit.quality.split_rows` (every line kept or quarantined with
a reason): 255 lines that exactly repeat an earlier line, and 80 lines of $0.00.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from pharma_kit.errors import InputFileError
from pharma_kit.quality import CleanResult, split_rows

#: The day after the last CDNOW purchase (1998-06-30): the "today" of every CDNOW example.
CDNOW_AS_OF = pd.Timestamp("1998-07-01")
CDNOW_ROWS = 69_659
CDNOW_CUSTOMERS = 23_570
CDNOW_HEADER = ["customer_id", "date", "number_of_cds", "dollar_value"]
CDNOW_CREDIT = ("CDNOW dataset: Fader, P. S. & Hardie, B. G. S., the CDNOW master transaction log "
                "(brucehardie.com/datasets), as shipped in the lifetimes package")
#: Reasons :func:`clean_cdnow` quarantines a line for, first match wins.
CDNOW_REASONS = ("exact_duplicate", "zero_amount", "negative_amount")
_DATA_COLUMNS = ["customer_id", "order_date", "quantity", "amount"]


def cdnow_path() -> Path:
    """Where the installed ``lifetimes`` wheel keeps ``CDNOW_master.txt`` (found without importing lifetimes)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise InputFileError("CDNOW_master.txt: the 'lifetimes' package is not installed; it ships the file "
                             "(pass path=... to read a copy instead)")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    if not path.is_file():
        raise InputFileError(f"{path}: not found inside the installed lifetimes package")
    return path


def _parse(text: pd.Series, kind: str, path: Path, column: str) -> pd.Series:
    """Parse one text column; name the file, column and line of the first value that does not parse."""
    if kind == "date":
        out = pd.to_datetime(text, format="%Y%m%d", errors="coerce").astype("datetime64[us]")
    else:
        out = pd.to_numeric(text, errors="coerce")
        if kind == "int":
            whole = out.notna() & out.eq(np.floor(out))
            out = out.where(whole)
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputFileError(f"{path}: column {column!r}, line {i + 2}: cannot parse {text.iloc[i]!r} as {kind} "
                             f"({int(bad.sum())} bad value(s) in this column)")
    return out.astype("int64") if kind == "int" else out


def read_cdnow(path: str | Path | None = None) -> pd.DataFrame:
    """Read the CDNOW master log as typed rows: line, order_id, customer_id, order_date, quantity, amount."""
    path = Path(path) if path is not None else cdnow_path()
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    try:
        raw = pd.read_csv(path, sep=r"\s+", dtype="str", keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not a whitespace-separated CDNOW log ({exc})") from None
    if list(raw.columns) != CDNOW_HEADER:
        raise InputFileError(f"{path}: header must be {CDNOW_HEADER}, got {list(raw.columns)}")
    if raw.empty:
        raise InputFileError(f"{path}: no data lines")
    line = np.arange(2, len(raw) + 2, dtype="int64")  # line 1 is the header
    out = pd.DataFrame({
        "line": line,
        "order_id": line,
        "customer_id": _parse(raw["customer_id"], "int", path, "customer_id"),
        "order_date": _parse(raw["date"], "date", path, "date"),
        "quantity": _parse(raw["number_of_cds"], "int", path, "number_of_cds"),
        "amount": _parse(raw["dollar_value"], "float", path, "dollar_value").astype("float64"),
    })
    return out


def clean_cdnow(raw: pd.DataFrame) -> CleanResult:
    """Quarantine repeated lines (the later copies), $0 lines and negative lines; keep the rest untouched."""
    missing = [c for c in _DATA_COLUMNS if c not in raw.columns]
    if missing:
        raise InputFileError(f"clean_cdnow: missing column(s) {missing}; read the file with read_cdnow()")
    reasons = {
        "exact_duplicate": raw.duplicated(subset=_DATA_COLUMNS, keep="first"),
        "zero_amount": raw["amount"].eq(0),
        "negative_amount": raw["amount"].lt(0),
    }
    return split_rows(raw, reasons)


def load_cdnow(path: str | Path | None = None) -> CleanResult:
    """Read and clean CDNOW in one call: ``.kept`` is ready for RFM, ``.quarantine`` says why lines left."""
    return clean_cdnow(read_cdnow(path))


__all__ = ["CDNOW_AS_OF", "CDNOW_ROWS", "CDNOW_CUSTOMERS", "CDNOW_CREDIT", "CDNOW_REASONS",
           "cdnow_path", "read_cdnow", "clean_cdnow", "load_cdnow"]

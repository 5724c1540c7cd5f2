"""Data-quality validation as data, and cleaning that loses no row.

Rules are declared as data (a dict, or YAML via :func:`load_rules`): per column (not-null, dtype,
range, allowed values, regex, referential) and per table (uniqueness/duplicate keys, freshness,
custom vectorised predicates). :func:`validate` runs every rule over the whole frame at once and
returns a :class:`Report` (per rule: failing count, rate and a sample of failing rows).
:func:`clean` turns the error-severity rules into reason codes and splits the feed into ``kept``
and ``quarantine`` with :func:`split_rows`; rows in == kept + quarantined, always.

Nothing here reads a clock: every date rule is relative to an explicit ``as_of``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pharma_kit.data import TRANSACTION_COLUMNS
from pharma_kit.errors import DataQualityError

SEVERITIES = ("error", "warn")
CHECKS = ("not_null", "dtype", "range", "allowed", "regex", "referential", "no_future", "unique",
          "freshness", "custom")
#: Parsers a column's ``dtype`` may name (``money`` also accepts "$1,234.50" and repairs it).
DTYPES = ("int64", "float64", "money", "datetime", "str")
SAMPLE_SIZE = 5


class MaxLossExceeded(DataQualityError):
    """Cleaning would quarantine more than the allowed share of rows; the message lists every reason."""

    def __init__(self, message: str, summary: pd.DataFrame | None = None, path: str | Path | None = None):
        super().__init__(message)
        self.summary = summary
        self.path = path


# --------------------------------------------------------------------------- parsing (raw -> typed)
#: Integers are ASCII digits only ("１２", "10000९" are not integers: ``\\d`` would match them).
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,18}")
#: Money as plain ASCII decimal text ("12.50", "-3", "12.5"): no exponent ("1.2e3"), no "inf"/"nan".
_PLAIN_MONEY = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_MONEY_TEXT = r"(?P<sign>-?)\$(?P<num>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<frac>\.[0-9]+)?"


def _blank_to_na(s: pd.Series) -> pd.Series:
    """Text column with surrounding spaces removed and empty strings turned into missing values."""
    t = s.astype("str").str.strip()
    return t.where(t != "")


def _as_text(s: pd.Series) -> pd.Series:
    """Any column as ``str`` with missing values kept missing (object columns of mixed types included)."""
    if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
        na = s.isna()
        t = s.astype("str") if not na.all() else pd.Series(pd.NA, index=s.index, dtype="str")
        return _blank_to_na(t.where(~na))
    return _blank_to_na(s.astype("str").where(s.notna()))


def _cast_text(t: pd.Series, kind: str) -> np.ndarray:
    """Validated number text -> int64/float64 values: Arrow's cast when the text is Arrow-backed, else pandas."""
    arr = getattr(t.array, "_pa_array", None)
    if arr is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            return pc.cast(arr, pa.int64() if kind == "int" else pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # e.g. "+5": Arrow does not read a leading plus
    v = pd.to_numeric(t)
    return v.astype("int64").to_numpy() if kind == "int" else v.astype("float64").to_numpy()


def _plain_rows(s: pd.Series, pattern: str):
    """For Arrow-backed text: ``(array, ok)`` where ``ok`` marks values that fully match ``pattern`` as they are
    (no surrounding space to strip). Those are parsed by Arrow in one call; the rest by the general code, row by
    row, so a column gets the same values either way. ``None`` for any other column (the general code only)."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not isinstance(s.dtype, pd.StringDtype):
        return None
    import pyarrow.compute as pc

    ok = pc.fill_null(pc.match_substring_regex(arr, f"^(?:{pattern})$"), False).to_numpy(zero_copy_only=False)
    return arr, ok


def _split_plain(s: pd.Series, pattern: str, cast, general):
    """Parse the values matching ``pattern`` with Arrow (``cast(array) -> numpy``) and only the others (usually a few
    defects, or none) with ``general``. Returns ``None`` when the general code should take the whole column, else
    ``(ok, values, rest, general's values for rest, bad mask)``: the same answer as ``general(s)``, faster."""
    fast = _plain_rows(s, pattern)
    if fast is None:
        return None
    arr, ok = fast
    if not ok.any():
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    values = cast(arr if ok.all() else pc.filter(arr, pa.array(ok)))
    if values is None:  # Arrow disagreed with the pattern somewhere: the general code decides
        return None
    if isinstance(values, tuple):  # (values, valid): the invalid ones (a 30 February) go to the general code too
        values, valid = values
        if not valid.all():
            ok = ok.copy()
            ok[np.flatnonzero(ok)[~valid]] = False
            values = values[valid]
    rest = np.flatnonzero(~ok & s.notna().to_numpy())
    bad = np.zeros(len(s), dtype=bool)
    v_rest = None
    if len(rest):
        v_rest, bad_rest = general(s.iloc[rest])
        bad[rest] = bad_rest.to_numpy(dtype=bool)
    return ok, values, rest, v_rest, pd.Series(bad, index=s.index)


def _int_cast(arr) -> np.ndarray | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(arr, pa.int64()).to_numpy()
    except pa.ArrowInvalid:  # pragma: no cover - every value matched [0-9]{1,18}
        return None


def _arrow_ints(s: pd.Series) -> pd.Series | None:
    """The whole column at once when Arrow reads every value and each is what our rule calls an integer: Arrow's
    cast also takes "0x10" (hex) and 19 digits, so a value with an ``x`` or longer than 18 digits goes the long way."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not isinstance(s.dtype, pd.StringDtype):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(arr, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    from pharma_kit.arrow_text import chunks, value_bytes

    for chunk in chunks(arr):
        if not len(chunk) or chunk.null_count == len(chunk):
            continue
        starts, length, data = value_bytes(chunk)
        body = data[starts[0]:starts[-1] + length[-1]]
        if (body == ord("x")).any() or (body == ord("X")).any():
            return None
        signed = np.zeros(len(chunk), dtype=bool)
        signed[length > 0] = data[starts[length > 0]] == ord("-")
        if (length - signed > 18).any():
            return None
    mask = pc.is_null(values).to_numpy(zero_copy_only=False)
    data = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(data.astype(np.int64, copy=False), mask), index=s.index)


def parse_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column to nullable ``Int64``; also return the mask of non-null values that are not integers."""
    whole = _arrow_ints(s)
    if whole is not None:  # the usual clean column: one cast
        return whole, pd.Series(False, index=s.index)
    parts = _split_plain(s, "[0-9]{1,18}", _int_cast, _parse_int_general)
    if parts is None:
        return _parse_int_general(s)
    ok, values, rest, v_rest, bad = parts
    data = np.zeros(len(s), dtype=np.int64)
    mask = ~ok
    data[ok] = values
    if v_rest is not None:
        got = v_rest.notna().to_numpy()
        data[rest[got]] = v_rest.to_numpy(dtype="int64", na_value=0)[got]
        mask[rest[got]] = False
    return pd.Series(pd.arrays.IntegerArray(data, mask), index=s.index), bad


def _parse_int_general(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_int` for any column: text stripped, ASCII digits only, at most 18 of them."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(pd.NA, index=s.index, dtype="Int64"), s.notna()
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64"), pd.Series(False, index=s.index)
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 2.0**62)
        bad = ~ok & ~np.isnan(v)
        out = pd.Series(np.where(ok, v, 0).astype("int64"), index=s.index).astype("Int64").where(ok)
        return out, pd.Series(bad, index=s.index)
    t = _as_text(s)
    good = t.str.fullmatch(_INT_TEXT.pattern).fillna(False).astype(bool)
    if good.all():
        return pd.Series(_cast_text(t, "int"), index=s.index).astype("Int64"), pd.Series(False, index=s.index)
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    if good.any():
        out[good] = _cast_text(t[good], "int")
    return out, t.notna() & ~good


def parse_float(s: pd.Series, money: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse a column to ``float64``; return (values, bad mask).

    ``money`` accepts plain decimal text ("12.50", " 12.5 ", "-3") and repairs the dollar form with a valid
    thousands grouping ("$1,234.50", "-$6.99"); anything else is bad: "12.50 USD", "1.2e3" (scientific
    notation has usually lost the cents), "1,2,3", "NaN", "inf", non-ASCII digits.
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index), s.notna()
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        bad = ~np.isfinite(v) & v.notna()
        return v.where(~bad), bad
    if money:
        parts = _split_plain(s, _PLAIN_MONEY, _money_cast, lambda x: _parse_float_general(x, money=True))
        if parts is not None:
            ok, values, rest, v_rest, bad = parts
            data = np.full(len(s), np.nan)
            data[ok] = values
            if v_rest is not None:
                data[rest] = v_rest.to_numpy(dtype="float64", na_value=np.nan)
            return pd.Series(data, index=s.index), bad
    return _parse_float_general(s, money)


def _parse_float_general(s: pd.Series, money: bool = False) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_float` for text columns, value by value (after the numeric and boolean cases)."""
    t = _as_text(s)
    if money:  # only plain decimal text parses directly; "1.2e3" may have lost the cents, "NaN" is no amount
        plain = t.str.fullmatch(_PLAIN_MONEY).fillna(False).astype(bool)
        if plain.all():
            v = pd.Series(_cast_text(t, "float"), index=s.index, dtype="float64")
        else:
            v = pd.Series(np.nan, index=s.index, dtype="float64")
            if plain.any():
                v[plain] = _cast_text(t[plain], "float")
    else:
        ascii_ok = t.str.isascii().fillna(True).astype(bool)
        v = pd.to_numeric(t.where(ascii_ok), errors="coerce").astype("float64")
    failed = t.notna() & v.isna()
    if money and failed.any():
        parts = t[failed].str.extract(f"^{_MONEY_TEXT}$")
        fixed = parts["sign"] + parts["num"].str.replace(",", "", regex=False) + parts["frac"].fillna("")
        v.loc[failed] = pd.to_numeric(fixed, errors="coerce").astype("float64").to_numpy()
    bad = t.notna() & ~np.isfinite(v.fillna(np.inf)) | (t.notna() & v.isna())
    return v.where(~bad), bad


def _money_cast(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    v = pc.cast(arr, pa.float64()).to_numpy()
    return v, np.isfinite(v)  # "1" followed by 400 zeros is text the general code calls bad


def parse_money(s: pd.Series) -> pd.Series:
    """Amounts as ``float64``: plain numbers, and "$1,234.50"-style text repaired; anything else is NaN."""
    return parse_float(s, money=True)[0].rename(s.name)


def out_of_range(values: pd.Series, lo: Any = None, hi: Any = None, *, nullable: bool = False,
                 exclusive: bool = False) -> pd.Series:
    """True where a value is below ``lo`` or above ``hi``; a missing value fails too unless ``nullable``.

    ``exclusive=True`` makes the bounds themselves fail too (``amount > 0``: 0.00 is out of range).
    The naive ``values < lo`` is False for NaN, so a null slips through a range check silently.
    """
    fail = pd.Series(False, index=values.index)
    if lo is not None:
        fail |= ((values <= lo) if exclusive else (values < lo)).fillna(False).astype(bool)
    if hi is not None:
        fail |= ((values >= hi) if exclusive else (values > hi)).fillna(False).astype(bool)
    missing = values.isna()
    return (fail & ~missing) if nullable else (fail | missing)


def is_future(dates: pd.Series, as_of: Any) -> pd.Series:
    """True where a date is on or after ``as_of`` (an explicit date, never the wall clock); missing dates are not future.

    ``as_of`` is the run's day, and a feed covers the days BEFORE it: an order stamped ``as_of`` 00:00:00 or
    later has not happened yet as far as this run knows (the same truth as the data dictionary).
    """
    return (dates >= pd.Timestamp(as_of)).fillna(False).astype(bool) & dates.notna()


#: ISO 8601 timestamps the fallback accepts: a date, "T" or " ", a time (seconds and fraction optional), an offset.
_ISO_TEXT = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?))?"
                       r"(?P<tz>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")
OFFSETS = ("reject", "local", "utc")
DATE_ONLY = ("reject", "midnight")


_DEFAULT_FMT = "%Y-%m-%d %H:%M:%S"
#: The default format's text when every field is in range (a day past the month's end is caught after parsing).
_PLAIN_TS = (r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")


def _two_digits(arr, at: int) -> np.ndarray:
    """The number written by characters ``at`` and ``at + 1`` of each string (all ASCII, no nulls), from the buffers."""
    from pharma_kit.arrow_text import chunks, value_bytes

    out = []
    for chunk in chunks(arr):
        starts, _, data = value_bytes(chunk)
        out.append((data[starts + at].astype(np.int64) - 48) * 10 + data[starts + at + 1] - 48)
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _timestamp_cast(arr):
    """Arrow's strptime, and which values it read as written: it rolls 30 February over to 1 March, pandas refuses."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ts = pc.strptime(arr, format=_DEFAULT_FMT, unit="us", error_is_null=True)
    valid = ~pc.is_null(ts).to_numpy(zero_copy_only=False)
    values = pc.fill_null(ts, 0).cast(pa.int64()).to_numpy(zero_copy_only=False).view("datetime64[us]")
    month_start = values.astype("datetime64[M]")
    day = (values.astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    month = month_start.astype(np.int64) % 12 + 1
    valid &= (day == _two_digits(arr, 8)) & (month == _two_digits(arr, 5))
    return values, valid


def parse_datetime(s: pd.Series, fmt: str | None = "%Y-%m-%d %H:%M:%S", *, offset: str = "reject",
                   date_only: str = "reject") -> tuple[pd.Series, pd.Series]:
    """Parse a column to ``datetime64[us]``; return (values, bad mask).

    Each value is tried with ``fmt`` first; the values that do not match fall back, ROW BY ROW, to ISO 8601
    ("2024-06-01T10:15:00", fractions of a second), so one odd value never spoils its neighbours. Two
    spellings need a decision, because the column is a store-local wall-clock time:

    * a UTC offset ("10:15:00+02:00", "Z"): ``offset="reject"`` (default) marks it bad: we cannot turn an
      instant into store-local time without the store's zone, and guessing moves sales across days;
      ``"local"`` keeps the wall time as written (10:15) and drops the offset; ``"utc"`` converts to UTC (08:15).
    * a date without a time ("2024-06-01"): ``date_only="reject"`` (default) marks it bad: the time of day is
      unknown, and midnight would invent a sale outside opening hours; ``"midnight"`` accepts it as 00:00.

    A ``fmt`` that has no time part (``"%Y-%m-%d"``) parses dates as midnight by declaration.
    """
    if offset not in OFFSETS or date_only not in DATE_ONLY:
        raise ValueError(f"offset must be one of {OFFSETS} and date_only one of {DATE_ONLY}")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return v.astype("datetime64[us]"), pd.Series(False, index=s.index)
    if fmt == _DEFAULT_FMT:
        parts = _split_plain(s, _PLAIN_TS, _timestamp_cast,
                             lambda x: _parse_datetime_general(x, fmt, offset, date_only))
        if parts is not None:
            ok, values, rest, v_rest, bad = parts
            data = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]")
            data[ok] = values
            if v_rest is not None:
                data[rest] = v_rest.to_numpy(dtype="datetime64[us]")
            return pd.Series(data, index=s.index), bad
    return _parse_datetime_general(s, fmt, offset, date_only)


def _parse_datetime_general(s: pd.Series, fmt: str | None, offset: str, date_only: str) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_datetime` for text columns: ``fmt`` first, then the ISO fallback, row by row."""
    t = _as_text(s)
    v = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    todo = t.notna()
    if fmt is not None and todo.any():
        v.loc[todo] = pd.to_datetime(t[todo], format=fmt, errors="coerce").astype("datetime64[us]")
        todo = todo & v.isna()
    if todo.any():
        parts = t[todo].str.extract(f"^{_ISO_TEXT.pattern}$")
        ok = parts["date"].notna()
        ok &= parts["time"].notna() | (date_only == "midnight")
        ok &= parts["tz"].isna() | (offset != "reject")
        wall = (parts["date"] + " " + parts["time"].fillna("00:00:00")).where(ok)
        naive = ok & (parts["tz"].isna() | (offset == "local"))
        if naive.any():  # one shape, so a vectorised parse; an invalid date (2024-02-30) is NaT on its own row
            v.loc[naive[naive].index] = pd.to_datetime(wall[naive], format="ISO8601", errors="coerce"
                                                       ).astype("datetime64[us]").to_numpy()
        aware = ok & parts["tz"].notna() & (offset == "utc")
        for i in aware[aware].index:  # offsets differ row to row: parse each on its own
            try:
                ts = pd.Timestamp(wall[i] + parts.at[i, "tz"])
                v.at[i] = ts.tz_convert("UTC").tz_localize(None)
            except (ValueError, TypeError, OverflowError):
                pass
    return v, t.notna() & v.isna()


def parse_column(s: pd.Series, dtype: str, fmt: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse one raw column to the declared ``dtype``; return (typed values, mask of unparseable non-nulls)."""
    if dtype == "int64":
        return parse_int(s)
    if dtype in ("float64", "money"):
        return parse_float(s, money=dtype == "money")
    if dtype == "datetime":
        return parse_datetime(s, fmt or "%Y-%m-%d %H:%M:%S")
    if dtype == "str":
        t = _as_text(s)
        return t, pd.Series(False, index=s.index)
    raise ValueError(f"unknown dtype {dtype!r}; expected one of {DTYPES}")


# --------------------------------------------------------------------------- rules as data
@dataclass(frozen=True)
class Rule:
    """One check. ``name`` is also the reason code a failing row gets in quarantine."""

    name: str
    check: str
    column: str | None = None
    severity: str = "error"
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"rule {self.name!r}: unknown check {self.check!r}; expected one of {CHECKS}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.name!r}: severity must be 'error' or 'warn', got {self.severity!r}")


@dataclass(frozen=True)
class Column:
    """A declared column: its target dtype (with an optional datetime format)."""

    name: str
    dtype: str
    format: str | None = None


@dataclass(frozen=True)
class RuleSet:
    """Declared columns plus ordered rules. Rule order is quarantine precedence: the first failing rule wins."""

    name: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> "RuleSet":
        """Build from ``{"table": name, "columns": {col: {dtype, format, checks: [...]}}, "table_checks": [...]}``."""
        columns: list[Column] = []
        rules: list[Rule] = []
        for col, cspec in (spec.get("columns") or {}).items():
            cspec = dict(cspec or {})
            dtype = cspec.get("dtype", "str")
            if dtype not in DTYPES:
                raise ValueError(f"column {col!r}: unknown dtype {dtype!r}; expected one of {DTYPES}")
            columns.append(Column(col, dtype, cspec.get("format")))
            for r in cspec.get("checks") or []:
                rules.append(_rule_from_dict(r, column=col))
        for r in spec.get("table_checks") or []:
            rules.append(_rule_from_dict(r, column=r.get("column")))
        names = [r.name for r in rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"rule names must be unique (they are reason codes); repeated: {dup}")
        return cls(str(spec.get("table", "table")), tuple(columns), tuple(rules))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _rule_from_dict(r: Mapping[str, Any], column: str | None) -> Rule:
    r = dict(r)
    try:
        name, check = r.pop("name"), r.pop("check")
    except KeyError as exc:
        raise ValueError(f"rule {r!r} needs 'name' and 'check'") from exc
    r.pop("column", None)
    severity = r.pop("severity", "error")
    description = r.pop("description", "")
    return Rule(name, check, column, severity, r, description)


def load_rules(path: str | Path) -> RuleSet:
    """Read a rule set from a YAML file (same shape as :data:`TRANSACTION_RULES`)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        return RuleSet.from_dict(yaml.safe_load(fh))


def _id_checks(col: str, short: str, extra: list[dict] | None = None) -> list[dict]:
    return [
        {"name": f"null_{short}", "check": "not_null", "description": f"{col} is missing"},
        {"name": f"bad_{col}", "check": "dtype", "description": f"{col} is not an integer"},
        *(extra or []),
    ]


#: The transactions feed's rules, as data. ``datasets/rules/transactions.yaml`` holds the same in YAML.
TRANSACTION_RULES: dict[str, Any] = {
    "table": "transactions",
    "columns": {
        "transaction_id": {"dtype": "int64", "checks": _id_checks("transaction_id", "transaction_id", [
            {"name": "transaction_id_out_of_range", "check": "range", "min": 1}])},
        "order_id": {"dtype": "int64", "checks": _id_checks("order_id", "order_id", [
            {"name": "order_id_out_of_range", "check": "range", "min": 1}])},
        "customer_id": {"dtype": "int64", "checks": _id_checks("customer_id", "customer", [
            {"name": "customer_id_out_of_range", "check": "range", "min": 1}])},
        "store_id": {"dtype": "int64", "checks": _id_checks("store_id", "store", [
            {"name": "store_id_out_of_range", "check": "range", "min": 1},
            {"name": "unknown_store", "check": "referential", "lookup": "stores", "key": "store_id",
             "description": "store_id not in the stores table"}])},
        "product_id": {"dtype": "int64", "checks": _id_checks("product_id", "product", [
            {"name": "product_id_out_of_range", "check": "range", "min": 1},
            {"name": "unknown_product", "check": "referential", "lookup": "products", "key": "product_id",
             "description": "product_id not in the products table"}])},
        "order_date": {"dtype": "datetime", "format": "%Y-%m-%d %H:%M:%S", "checks": [
            {"name": "null_order_date", "check": "not_null"},
            {"name": "unparseable_date", "check": "dtype", "description": "order_date is not a valid date"},
            {"name": "date_too_old", "check": "range", "min": "2000-01-01",
             "description": "order_date before 2000-01-01, before the chain's first store (e.g. a 1900 default)"},
            {"name": "future_date", "check": "no_future", "description": "order_date on or after as_of"},
        ]},
        "quantity": {"dtype": "int64", "checks": _id_checks("quantity", "quantity", [
            {"name": "quantity_out_of_range", "check": "range", "min": 1, "max": 1000}])},
        "amount": {"dtype": "money", "checks": [
            {"name": "null_amount", "check": "not_null"},
            {"name": "unparseable_amount", "check": "dtype", "description": "amount is not a number"},
            {"name": "amount_type_drift", "check": "regex", "pattern": r"-?\d+\.\d{2}", "severity": "warn",
             "description": "amount is not plain 0.00 text (e.g. '$1,234.50'); repaired, not quarantined"},
            {"name": "negative_amount", "check": "range", "min": 0, "exclusive": True,
             "description": "amount is not above 0 (a zero or negative line)"},
            {"name": "amount_out_of_range", "check": "range", "max": 100_000},
        ]},
    },
    "table_checks": [
        {"name": "exact_duplicate", "check": "unique", "columns": "all",
         "description": "an identical earlier row exists (the later copy is flagged)"},
        {"name": "transaction_id_conflict", "check": "unique", "columns": ["transaction_id"],
         "ignore_exact": True, "description": "transaction_id reused by a different row"},
        {"name": "near_duplicate", "check": "custom", "predicate": "near_duplicate",
         "keys": ["order_id", "customer_id", "store_id", "product_id", "quantity", "amount"],
         "time": "order_date", "within": "5min",
         "description": "a re-sent line: same order line a few seconds after an earlier copy"},
        {"name": "duplicate_business_key", "check": "unique", "columns": ["order_id", "product_id"],
         "order_by": "order_date", "ignore_rules": ["exact_duplicate", "near_duplicate"],
         "description": "(order_id, product_id) already seen on an earlier line: a re-send with a new "
                        "transaction_id at the same second or later than near_duplicate's window"},
        {"name": "stale_feed", "check": "freshness", "column": "order_date", "max_age": "3D", "severity": "warn",
         "description": "the newest order is older than as_of - max_age"},
    ],
}


def _fails_when(rule: Rule, column: Column | None) -> str:
    p = dict(rule.params)
    c = rule.check
    if c == "not_null":
        return "missing (empty field)"
    if c == "dtype":
        return {"int64": "not an integer (ASCII digits only)",
                "float64": "not a number",
                "money": "not a plain decimal (`12.50`) or a `$1,234.50` dollar amount",
                "datetime": f"not a `{(column.format if column else None) or '%Y-%m-%d %H:%M:%S'}` timestamp (ISO 8601 "
                            "with a time also accepted; a UTC offset or a date alone is not)",
                "str": "never"}[column.dtype if column else "str"]
    if c == "range":
        lo_op, hi_op = ("≤", "≥") if p.get("exclusive") else ("<", ">")
        date = column is not None and column.dtype == "datetime"
        parts = []
        if p.get("min") is not None:
            parts.append(f"before {p['min']}" if date and not p.get("exclusive") else f"{lo_op} {p['min']:,}"
                         if isinstance(p["min"], (int, float)) else f"{lo_op} {p['min']}")
        if p.get("max") is not None:
            parts.append(f"{hi_op} {p['max']:,}" if isinstance(p["max"], (int, float)) else f"{hi_op} {p['max']}")
        return " or ".join(parts)
    if c == "allowed":
        return f"not one of {list(p['values'])}"
    if c == "regex":
        return f"text not like `{p['pattern']}`"
    if c == "referential":
        return f"not in `{p['lookup']}.{p.get('key', rule.column)}` (skipped: no lookup given)"
    if c == "no_future":
        return "on or after `as_of`"
    if c == "unique":
        cols = "whole line" if p.get("columns") == "all" else "(" + ", ".join(p["columns"]) + ")"
        order = f", earlier by {p['order_by']}" if p.get("order_by") else ""
        extra = ", not counting exact copies" if p.get("ignore_exact") else ""
        if p.get("ignore_rules"):
            extra += ", not counting rows " + " or ".join(p["ignore_rules"]) + " explains"
        return f"repeats an earlier line's {cols}{order}{extra}"
    if c == "custom" and p.get("predicate") == "near_duplicate":
        return (f"same ({', '.join(p['keys'])}) as another line whose {p['time']} is earlier by at most "
                f"{p['within']} (ties decided together)")
    if c == "freshness":
        return f"newest {rule.column} older than `as_of` - {p.get('max_age', '1D')}"
    return rule.description or c


def describe_rules(rules: RuleSet | Mapping[str, Any] | None = None) -> str:
    """The rule set as a Markdown table (rule, column, severity, fails when): the text the data dictionary quotes."""
    rs = _ruleset(rules)
    rows = ["| rule (reason code) | column | severity | fails when |", "|---|---|---|---|"]
    for r in rs.rules:
        col = next((c for c in rs.columns if c.name == r.column), None)
        rows.append(f"| `{r.name}` | {('`' + r.column + '`') if r.column else '(table)'} | {r.severity} | "
                    f"{_fails_when(r, col)} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- duplicates, fast and exact
def duplicated_rows(df: pd.DataFrame, subset: list[str] | None = None, keep: str | bool = "first") -> pd.Series:
    """Same answer as ``df.duplicated(subset, keep=keep)``, several times faster when duplicates are rare.

    One vectorised 64-bit hash per row finds the candidates (equal rows have equal hashes; a rare hash
    collision only adds a candidate), then the exact multi-column check runs on those few rows only.
    """
    cols = list(df.columns) if subset is None else list(subset)
    out = np.zeros(len(df), dtype=bool)
    if not len(df):
        return pd.Series(out, index=df.index)
    h = pd.util.hash_pandas_object(df[cols], index=False).to_numpy()
    cand = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    if len(cand):
        out[cand[df[cols].iloc[cand].duplicated(keep=keep).to_numpy()]] = True
    return pd.Series(out, index=df.index)


# --------------------------------------------------------------------------- custom predicates
def near_duplicate(typed: pd.DataFrame, *, keys: list[str], time: str, within: str = "5min",
                   **_: Any) -> pd.Series:
    """Re-sent rows: a row is flagged when ANOTHER row with the same ``keys`` has a ``time`` strictly earlier
    by at most ``within``.

    Chains are measured link by link: copies at 10:00, 10:04 and 10:08 flag the 10:04 and 10:08 rows (each
    within 5 minutes of an earlier copy), not only those within 5 minutes of the first. Ties are decided
    together: rows with the same keys and the same time get the same verdict (at 10:00, 10:00, 10:00:19,
    10:00:19 the two 10:00:19 rows are flagged, the two 10:00 rows are not), whatever their order in the frame.
    Rows with a missing key or time are never flagged (other rules report them).
    """
    cand = duplicated_rows(typed, keys, keep=False) & typed[keys + [time]].notna().all(axis=1)
    out = np.zeros(len(typed), dtype=bool)
    if not cand.any():
        return pd.Series(out, index=typed.index)
    sub = typed.loc[cand, keys + [time]].copy()
    sub["_pos"] = np.flatnonzero(cand.to_numpy())
    sub = sub.sort_values(keys + [time, "_pos"], kind="stable")
    n = len(sub)
    new_key = np.zeros(n, dtype=bool)
    new_key[0] = True
    for k in keys:
        v = sub[k].to_numpy()
        new_key[1:] |= v[1:] != v[:-1]
    t = sub[time].to_numpy().astype("datetime64[us]").astype("int64")
    new_time = new_key.copy()
    new_time[1:] |= t[1:] != t[:-1]
    idx = np.arange(n)
    run_start = np.maximum.accumulate(np.where(new_time, idx, 0))    # first row of each (keys, time) tie
    group_start = np.maximum.accumulate(np.where(new_key, idx, 0))   # first row of each key group
    prev = run_start - 1                                             # a row of the previous distinct time
    has_prev = prev >= group_start
    gap = np.where(has_prev, t - t[np.maximum(prev, 0)], -1)
    limit = pd.Timedelta(within) // pd.Timedelta(microseconds=1)
    hit = has_prev & (gap > 0) & (gap <= limit)
    out[sub["_pos"].to_numpy()[hit]] = True
    return pd.Series(out, index=typed.index)


#: Named predicates usable from YAML (``check: custom, predicate: <name>``). A predicate takes the typed
#: frame plus the rule's params and returns a boolean Series (True = failing), vectorised.
PREDICATES: dict[str, Callable[..., pd.Series]] = {"near_duplicate": near_duplicate}


# --------------------------------------------------------------------------- running rules
@dataclass
class Context:
    """What rules see: raw and typed frames, parse failures, lookups and the as-of date."""

    raw: pd.DataFrame
    typed: pd.DataFrame
    unparsed: dict[str, pd.Series]
    lookups: Mapping[str, Any]
    as_of: pd.Timestamp
    cache: dict[str, Any] = field(default_factory=dict)
    rules: "RuleSet | None" = None
    masks: dict[str, pd.Series] = field(default_factory=dict)

    def mask_of(self, name: str) -> pd.Series:
        """Another rule's failing mask (evaluated now if it has not run yet)."""
        if name not in self.masks:
            rule = next((r for r in (self.rules.rules if self.rules else ()) if r.name == name), None)
            if rule is None:
                raise ValueError(f"rule {name!r} is referenced but not declared")
            m = evaluate(rule, self)
            self.masks[name] = pd.Series(False, index=self.typed.index) if m is None else m.astype(bool)
        return self.masks[name]


def _exact_duplicates(ctx: Context) -> pd.Series:
    """Later copies of identical rows, computed once per run."""
    if "exact" not in ctx.cache:
        ctx.cache["exact"] = duplicated_rows(ctx.typed)
    return ctx.cache["exact"]


def _typed_scalar(value: Any, dtype: str) -> Any:
    if dtype == "datetime":
        return pd.Timestamp(value)
    return value


def evaluate(rule: Rule, ctx: Context) -> pd.Series | None:
    """The rule's failing mask (True = row fails), or ``None`` when it cannot run (a lookup not given)."""
    idx = ctx.typed.index
    p = dict(rule.params)
    col = ctx.typed[rule.column] if rule.column is not None and rule.column in ctx.typed else None
    if rule.check == "not_null":
        return col.isna() & ~ctx.unparsed[rule.column]
    if rule.check == "dtype":
        return ctx.unparsed[rule.column].copy()
    if rule.check == "range":  # nulls are not_null's job: here they neither pass nor fail silently
        kind = "datetime" if col.dtype.kind == "M" else ""
        lo = None if p.get("min") is None else _typed_scalar(p["min"], kind)
        hi = None if p.get("max") is None else _typed_scalar(p["max"], kind)
        return out_of_range(col, lo, hi, nullable=True, exclusive=bool(p.get("exclusive", False)))
    if rule.check == "allowed":
        return col.notna() & ~col.isin(list(p["values"]))
    if rule.check == "regex":  # a format rule on the text as it arrived; an already-typed column has no text
        src = ctx.raw[rule.column]
        if not (isinstance(src.dtype, pd.StringDtype) or src.dtype == object):
            return pd.Series(False, index=idx)
        text = _as_text(src)
        return text.notna() & ~text.str.fullmatch(p["pattern"]).fillna(False).astype(bool)
    if rule.check == "referential":
        lookup = ctx.lookups.get(p["lookup"])
        if lookup is None:
            return None
        keys = lookup[p.get("key", rule.column)] if isinstance(lookup, pd.DataFrame) else pd.Series(list(lookup))
        keys = parse_int(keys)[0].dropna() if col.dtype == "Int64" else keys
        return col.notna() & ~col.isin(keys.unique())
    if rule.check == "no_future":
        return is_future(col, ctx.as_of)
    if rule.check == "unique":
        cols = p.get("columns", "all")
        every = cols == "all"
        cols = list(ctx.typed.columns) if every else list(cols)
        if p.get("order_by"):  # "earlier" by time (then position), so a copy never outranks its original
            by = p["order_by"]
            order = np.argsort(ctx.typed[by].to_numpy().astype("datetime64[us]").astype("int64")
                               if ctx.typed[by].dtype.kind == "M" else ctx.typed[by].to_numpy(), kind="stable")
            if ctx.typed[by].dtype.kind == "M":  # NaT sorts first as int64 min: put it last instead
                nat = ctx.typed[by].isna().to_numpy()[order]
                order = np.concatenate([order[~nat], order[nat]])
            d = duplicated_rows(ctx.typed.iloc[order].reset_index(drop=True), cols).to_numpy()
            flags = np.zeros(len(order), dtype=bool)
            flags[order] = d
            dup = pd.Series(flags, index=idx)
        else:
            dup = _exact_duplicates(ctx) if every else duplicated_rows(ctx.typed, cols)
        if not every:  # a missing key cannot collide with anything: not_null reports it
            dup = dup & ctx.typed[cols].notna().all(axis=1)
        if p.get("ignore_exact"):
            dup = dup & ~_exact_duplicates(ctx)
        for other in p.get("ignore_rules") or []:  # rows another rule already explains
            dup = dup & ~ctx.mask_of(other)
        return dup
    if rule.check == "custom":
        pred = p.pop("predicate")
        fn = PREDICATES[pred] if isinstance(pred, str) else pred
        mask = fn(ctx.typed, **p)
        if isinstance(mask, np.ndarray):
            mask = pd.Series(mask, index=idx)
        return mask.reindex(idx).fillna(False).astype(bool)
    if rule.check == "freshness":  # a table rule: one failing "row" (the newest) when the feed is stale
        newest = col.max()
        limit = ctx.as_of - pd.Timedelta(p.get("max_age", "1D"))
        fail = pd.Series(False, index=idx)
        if pd.isna(newest) or newest < limit:
            if pd.notna(newest):
                fail.iloc[int(col.reset_index(drop=True).idxmax())] = True
            elif len(idx):
                fail.iloc[0] = True
        return fail
    raise ValueError(f"unknown check {rule.check!r}")  # pragma: no cover - guarded by Rule


def parse_frame(raw: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Parse every declared column of ``raw``; return the typed frame and per-column unparseable masks."""
    missing = [c for c in rules.column_names if c not in raw.columns]
    if missing:
        raise DataQualityError(f"{rules.name}: required column(s) missing: {missing}; got {list(raw.columns)}")
    typed = {}
    unparsed = {}
    for c in rules.columns:
        typed[c.name], unparsed[c.name] = parse_column(raw[c.name], c.dtype, c.format)
        unparsed[c.name] = unparsed[c.name].astype(bool)
    return pd.DataFrame(typed, index=raw.index), unparsed


@dataclass
class RuleResult:
    """One rule's outcome: failing count, rate and a sample of failing row labels and raw values."""

    rule: Rule
    failing: int | None
    n_rows: int
    sample_index: list
    sample_values: list
    note: str = ""

    @property
    def rate(self) -> float | None:
        if self.failing is None:
            return None
        return self.failing / self.n_rows if self.n_rows else 0.0

    @property
    def status(self) -> str:
        if self.failing is None:
            return f"skipped: {self.note}" if self.note else "skipped"
        return "pass" if self.failing == 0 else ("fail" if self.rule.severity == "error" else "warn")


@dataclass
class Report:
    """What :func:`validate` found. Converts to a DataFrame, a dict and JSON; renders as HTML in notebooks."""

    table: str
    n_rows: int
    as_of: pd.Timestamp
    results: list[RuleResult]
    masks: dict[str, pd.Series] = field(repr=False, default_factory=dict)
    typed: pd.DataFrame | None = field(repr=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        """One row per rule, in declaration order."""
        rows = [{
            "rule": r.rule.name, "check": r.rule.check, "column": r.rule.column or "",
            "severity": r.rule.severity, "status": r.status,
            "failing": r.failing if r.failing is not None else pd.NA, "rate": r.rate if r.rate is not None else np.nan,
            "sample_index": r.sample_index, "sample_values": r.sample_values,
        } for r in self.results]
        df = pd.DataFrame(rows, columns=["rule", "check", "column", "severity", "status", "failing", "rate",
                                         "sample_index", "sample_values"])
        df["failing"] = df["failing"].astype("Int64")
        return df.set_index("rule")

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-ready)."""
        return {
            "table": self.table, "n_rows": self.n_rows, "as_of": self.as_of.isoformat(),
            "rules": [{
                "rule": r.rule.name, "check": r.rule.check, "column": r.rule.column, "severity": r.rule.severity,
                "status": r.status, "failing": r.failing, "rate": r.rate,
                "sample_index": [_jsonable(i) for i in r.sample_index],
                "sample_values": [_jsonable(v) for v in r.sample_values],
            } for r in self.results],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @property
    def errors(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "warn"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def failing_counts(self) -> pd.Series:
        """Failing rows per rule that ran (skipped rules left out)."""
        return pd.Series({r.rule.name: r.failing for r in self.results if r.failing is not None},
                         dtype="int64", name="failing")

    def raise_for_errors(self) -> "Report":
        """Raise :class:`DataQualityError` listing EVERY error-severity failure (not only the first)."""
        errs = self.errors
        if errs:
            lines = [f"  - {r.rule.name} ({r.rule.column or 'table'}): {r.failing:,} of {self.n_rows:,} rows "
                     f"({r.rate:.2%}); e.g. rows {r.sample_index[:3]}" for r in errs]
            raise DataQualityError(f"{self.table}: {len(errs)} rule(s) failed:\n" + "\n".join(lines))
        return self

    def __str__(self) -> str:
        head = f"Report[{self.table}] {self.n_rows:,} rows, as_of {self.as_of.date()}: " \
               f"{len(self.errors)} error rule(s) failing, {len(self.warnings)} warning(s)"
        body = [f"  {r.status:>7}  {r.rule.name:<28} {('-' if r.failing is None else f'{r.failing:,}'):>9}"
                for r in self.results if r.status != "pass"]
        return "\n".join([head, *body])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour = {"fail": "#f8d7da", "warn": "#fff3cd", "pass": "#ffffff", "skipped": "#e2e3e5"}
        rows = "".join(
            f"<tr style='background:{colour[r.status.split(':')[0]]}'><td>{_html(r.rule.name)}</td>"
            f"<td>{_html(r.rule.check)}</td><td>{_html(r.rule.column or '')}</td><td>{r.rule.severity}</td>"
            f"<td>{_html(r.status)}</td>"
            f"<td style='text-align:right'>{'' if r.failing is None else f'{r.failing:,}'}</td>"
            f"<td style='text-align:right'>{'' if r.rate is None else f'{r.rate:.3%}'}</td>"
            f"<td><code>{_html(', '.join(map(str, r.sample_values[:3])))}</code></td></tr>" for r in self.results)
        return (f"<p><b>{_html(self.table)}</b>: {self.n_rows:,} rows, as_of {self.as_of.date()}, "
                f"{len(self.errors)} failing error rule(s), {len(self.warnings)} warning(s)</p>"
                "<table><tr><th>rule</th><th>check</th><th>column</th><th>severity</th><th>status</th>"
                f"<th>failing</th><th>rate</th><th>sample</th></tr>{rows}</table>")


def _html(text: str) -> str:
    """HTML-escaped text with ``$`` as an entity, so "$5.99, $6.99" is never typeset as maths in a notebook."""
    return escape(text).replace("$", "&#36;")


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def validate(raw: pd.DataFrame, rules: RuleSet | Mapping[str, Any] | None = None, *, as_of: Any,
             lookups: Mapping[str, Any] | None = None, checks: Iterable[str] | None = None) -> Report:
    """Run every rule (or only those whose check is in ``checks``) over ``raw``; all vectorised."""
    if as_of is None:
        raise ValueError("validate needs an explicit as_of date (never the wall clock)")
    rs = _ruleset(rules)
    as_of = pd.Timestamp(as_of)
    typed, unparsed = parse_frame(raw, rs)
    ctx = Context(raw, typed, unparsed, dict(lookups or {}), as_of, rules=rs)
    results: list[RuleResult] = []
    masks: dict[str, pd.Series] = {}
    wanted = None if checks is None else set(checks)
    for rule in rs.rules:
        if wanted is not None and rule.check not in wanted:
            continue
        mask = ctx.masks[rule.name] if rule.name in ctx.masks else evaluate(rule, ctx)
        if mask is None:
            results.append(RuleResult(rule, None, len(raw), [], [], note=_skip_note(rule)))
            continue
        mask = mask.astype(bool)
        ctx.masks[rule.name] = mask
        masks[rule.name] = mask
        pos = np.flatnonzero(mask.to_numpy())
        sample = pos[:SAMPLE_SIZE]
        if rule.column is not None and rule.column in raw:
            values = [_jsonable(v) for v in raw[rule.column].iloc[sample].tolist()]
        else:
            values = [_jsonable(v) for v in raw.index[sample].tolist()]
        results.append(RuleResult(rule, int(len(pos)), len(raw), [_jsonable(i) for i in raw.index[sample]], values))
    return Report(rs.name, len(raw), as_of, results, masks, typed)


def _skip_note(rule: Rule) -> str:
    if rule.check == "referential":
        return f"no lookup given ({rule.params.get('lookup')})"
    return "could not run"


def _ruleset(rules: RuleSet | Mapping[str, Any] | None) -> RuleSet:
    if rules is None:
        return RuleSet.from_dict(TRANSACTION_RULES)
    if isinstance(rules, RuleSet):
        return rules
    return RuleSet.from_dict(rules)


class Validator:
    """Fluent sugar over :func:`validate`: ``Validator(df, as_of=...).check_nulls().check_types().report()``."""

    _GROUPS = {
        "check_nulls": ("not_null",), "check_types": ("dtype", "regex"), "check_ranges": ("range", "allowed"),
        "check_dates": ("no_future", "freshness"), "check_references": ("referential",),
        "check_duplicates": ("unique",), "check_custom": ("custom",),
    }

    def __init__(self, raw: pd.DataFrame, rules: RuleSet | Mapping[str, Any] | None = None, *, as_of: Any,
                 lookups: Mapping[str, Any] | None = None):
        self.raw, self.rules, self.as_of, self.lookups = raw, rules, as_of, lookups
        self.selected: list[str] = []

    def __getattr__(self, name: str) -> Callable[[], "Validator"]:
        if name in Validator._GROUPS:
            def add() -> "Validator":
                self.selected.extend(Validator._GROUPS[name])
                return self
            return add
        raise AttributeError(name)

    def check_all(self) -> "Validator":
        self.selected.extend(CHECKS)
        return self

    def report(self) -> Report:
        return validate(self.raw, self.rules, as_of=self.as_of, lookups=self.lookups, checks=self.selected)


# --------------------------------------------------------------------------- cleaning without loss
@dataclass
class CleanResult:
    """Kept rows, quarantined rows (with a ``reason``), and the report that decided.

    From a file (:func:`clean_csv`), also what the reader saw: the ``path``, ``blank_lines``,
    ``extra_columns`` (left out of ``kept``), ``had_bom``, ``problems`` (unbalanced quotes, as sentences) and
    ``lines``, the physical-line account: ``lines == header + blank + record_lines`` where ``record_lines``
    counts every line of every kept or quarantined record (:meth:`line_accounting`).
    """

    kept: pd.DataFrame
    quarantine: pd.DataFrame
    reasons: list[str] = field(default_factory=list)
    report: Report | None = field(default=None, repr=False)
    path: Path | None = None
    blank_lines: list[int] = field(default_factory=list, repr=False)
    extra_columns: list[str] = field(default_factory=list)
    had_bom: bool = False
    problems: list[str] = field(default_factory=list, repr=False)
    lines: dict[str, int] | None = field(default=None, repr=False)

    def line_accounting(self) -> dict[str, int]:
        """The physical-line account of the file; raises if a line is unaccounted for (never expected)."""
        if self.lines is None:
            raise ValueError("line_accounting: this result did not come from a file")
        a = dict(self.lines)
        if a["records"] != self.n_in or a["lines"] != a["header"] + a["blank"] + a["record_lines"]:
            raise DataQualityError(f"{self.path}: lines do not add up: {a}, kept+quarantined={self.n_in}")
        return a

    @property
    def n_in(self) -> int:
        return len(self.kept) + len(self.quarantine)

    @property
    def loss_rate(self) -> float:
        return len(self.quarantine) / self.n_in if self.n_in else 0.0

    def summary(self) -> pd.DataFrame:
        """Quarantined rows per reason (declaration order, reasons with rows only) and their share of all rows."""
        counts = self.quarantine["reason"].value_counts() if len(self.quarantine) else pd.Series(dtype="int64")
        order = [r for r in self.reasons if counts.get(r, 0) > 0]
        order += sorted(set(counts.index) - set(order))
        rows = np.array([int(counts[r]) for r in order], dtype="int64")
        out = pd.DataFrame({"rows": rows, "rate": rows / self.n_in if self.n_in else rows * 0.0},
                           index=pd.Index(order, name="reason", dtype="str"))
        return out

    def check_max_loss(self, max_loss: float | None) -> "CleanResult":
        """Raise :class:`MaxLossExceeded` when the quarantined share is above ``max_loss``."""
        if max_loss is not None and self.loss_rate > max_loss:
            s = self.summary()
            detail = "; ".join(f"{r}={int(n):,}" for r, n in s["rows"].items())
            where = f"{self.path}: " if self.path is not None else ""
            raise MaxLossExceeded(
                f"{where}quarantined {len(self.quarantine):,} of {self.n_in:,} rows ({self.loss_rate:.2%}) "
                f"> max_loss {max_loss:.2%}: {detail}", s, self.path)
        return self

    def __repr__(self) -> str:
        return (f"CleanResult(kept={len(self.kept):,}, quarantine={len(self.quarantine):,}, "
                f"loss={self.loss_rate:.2%})")


def split_rows(df: pd.DataFrame, reasons: Mapping[str, Any], *, max_loss: float | None = None) -> CleanResult:
    """Split ``df`` into kept rows and quarantined rows; each row gets the FIRST reason whose mask is True.

    Works on any frame. ``reasons`` maps reason code -> boolean mask aligned to ``df`` (Series with the
    same index, or an array of ``len(df)``). A mask with missing values is an error: decide what NA means.
    """
    if not df.index.is_unique:
        raise ValueError("split_rows: df.index has repeated labels; kept/quarantine could not be disjoint "
                         "(call reset_index first)")
    if "reason" in df.columns:
        raise ValueError("split_rows: df already has a 'reason' column")
    n = len(df)
    code = np.full(n, -1, dtype="int64")
    names = list(reasons)
    for i, name in enumerate(names):
        m = reasons[name]
        if isinstance(m, pd.Series):
            if not m.index.equals(df.index):
                if len(m.index) == n and m.index.is_unique and m.index.isin(df.index).all():
                    m = m.reindex(df.index)
                else:
                    raise ValueError(f"split_rows: mask {name!r} is not aligned with df.index")
            if m.isna().any():
                raise ValueError(f"split_rows: mask {name!r} has {int(m.isna().sum())} missing values; "
                                 "NaN is neither True nor False -- fill it explicitly")
            arr = m.to_numpy(dtype=bool)
        else:
            arr = np.asarray(m)
            if arr.shape != (n,):
                raise ValueError(f"split_rows: mask {name!r} has shape {arr.shape}, expected ({n},)")
            if arr.dtype != bool:
                raise ValueError(f"split_rows: mask {name!r} must be boolean, got {arr.dtype}")
        code[(code < 0) & arr] = i
    keep = code < 0
    kept = df.iloc[np.flatnonzero(keep)]
    q_pos = np.flatnonzero(~keep)
    quarantine = df.iloc[q_pos].copy()
    labels = np.array(names, dtype=object)[code[q_pos]] if len(names) else np.array([], dtype=object)
    quarantine["reason"] = pd.array(labels, dtype="str")
    return CleanResult(kept, quarantine, names).check_max_loss(max_loss)


def cast_kept(kept: pd.DataFrame, rs) -> pd.DataFrame:
    """Kept rows have no missing values left: give each column its final dtype from the rule set."""
    for c in rs.columns:
        if c.dtype == "int64":
            kept[c.name] = kept[c.name].astype("int64")
        elif c.dtype in ("float64", "money"):
            kept[c.name] = kept[c.name].astype("float64")
        elif c.dtype == "datetime":
            kept[c.name] = kept[c.name].astype("datetime64[us]")
    return kept


def clean(raw: pd.DataFrame, *, as_of: Any, stores: pd.DataFrame | None = None,
          products: pd.DataFrame | None = None, max_loss: float | None = None,
          rules: RuleSet | Mapping[str, Any] | None = None) -> CleanResult:
    """Validate the transactions feed and split it: typed ``kept`` rows and raw ``quarantine`` rows with reasons.

    Every error-severity rule is a reason code (first failing rule wins, in declaration order). Type
    drift in ``amount`` ("$1,234.50") is a *warning*: the value is unambiguous, so it is repaired and
    the row kept. Referential rules run only for the lookups given (``stores``, ``products``).
    """
    rs = _ruleset(rules)
    lookups = {k: v for k, v in {"stores": stores, "products": products}.items() if v is not None}
    report = validate(raw, rs, as_of=as_of, lookups=lookups)
    reasons = {r.rule.name: report.masks[r.rule.name] for r in report.results
               if r.rule.severity == "error" and r.rule.name in report.masks}
    res = split_rows(report.typed, reasons)
    kept = cast_kept(res.kept, rs)
    quarantine = raw.loc[res.quarantine.index].copy()
    quarantine["reason"] = res.quarantine["reason"]
    out = CleanResult(kept, quarantine, res.reasons, report)
    return out.check_max_loss(max_loss)


def clean_csv(path: str | Path, *, as_of: Any, stores: pd.DataFrame | None = None,
              products: pd.DataFrame | None = None, max_loss: float | None = None,
              rules: RuleSet | Mapping[str, Any] | None = None, extra: str = "ignore") -> CleanResult:
    """Read a transactions CSV as text and :func:`clean` it; indices are the file's line numbers.

    Lines the reader rejects (wrong column count, repeated header, undecodable bytes, an unbalanced quote)
    join the quarantine with their reason. Every quarantined row carries ``raw_line``: the record exactly as
    it was in the file. The result also carries the reader's notes (blank lines, extra columns, BOM,
    problems) and the physical-line account. For files larger than memory, see :func:`clean_csv_stream`.
    """
    from pharma_kit.readers import READER_REASONS, read_csv_text

    rs = _ruleset(rules)
    read = read_csv_text(path, rs.column_names, extra=extra, keep_raw=True)
    res = clean(read.frame, as_of=as_of, stores=stores, products=products, rules=rs)
    q = res.quarantine
    q["raw_line"] = read.raw_lines.reindex(q.index)
    quarantine = pd.concat([q, read.rejected], axis=0) if len(read.rejected) else q
    quarantine = quarantine.sort_index(kind="stable")
    reasons = res.reasons + [r for r in READER_REASONS if r in set(read.rejected["reason"])]
    out = CleanResult(res.kept, quarantine, reasons, res.report, Path(path), read.blank_lines, read.extra_columns,
                      read.had_bom, read.problems, read.line_accounting())
    out.line_accounting()
    return out.check_max_loss(max_loss)


# --------------------------------------------------------------------------- the same rules in pandera
def pandera_schema(rules: RuleSet | Mapping[str, Any] | None = None, *, as_of: Any,
                   lookups: Mapping[str, Any] | None = None):
    """Translate a rule set into a pandera ``DataFrameSchema`` over the TYPED frame (pandera does not parse).

    Returns ``(schema, names)`` where ``names`` maps pandera's ``(column, check_number)`` (or
    ``(column, "not_nullable")``, ``(None, "unique")``, ``(None, check_number)``) to our rule names.
    Parse failures arrive in pandera as nulls, so compare both on the same typed frame.
    Freshness and ``ignore_exact`` uniqueness have no direct pandera form and are left out.
    """
    import pandera.pandas as pa

    rs = _ruleset(rules)
    as_of = pd.Timestamp(as_of)
    lookups = dict(lookups or {})
    dtype_of = {"int64": "Int64", "float64": "float64", "money": "float64", "datetime": "datetime64[us]", "str": "str"}
    names: dict[tuple, str] = {}
    columns = {}
    for c in rs.columns:
        checks, nullable = [], True
        for r in (r for r in rs.rules if r.column == c.name and r.check not in ("dtype", "freshness", "unique")):
            p = dict(r.params)
            if r.check == "not_null":
                nullable = False
                names[(c.name, "not_nullable")] = r.name
                continue
            if r.check == "range":
                kind = "datetime" if c.dtype == "datetime" else ""
                lo = None if p.get("min") is None else _typed_scalar(p["min"], kind)
                hi = None if p.get("max") is None else _typed_scalar(p["max"], kind)
                ex = bool(p.get("exclusive", False))
                ck = (pa.Check.in_range(lo, hi, include_min=not ex, include_max=not ex)
                      if lo is not None and hi is not None
                      else (pa.Check.gt(lo) if ex else pa.Check.ge(lo)) if lo is not None
                      else (pa.Check.lt(hi) if ex else pa.Check.le(hi)))
            elif r.check == "allowed":
                ck = pa.Check.isin(list(p["values"]))
            elif r.check == "regex":
                ck = pa.Check.str_matches(f"^(?:{p['pattern']})$")
            elif r.check == "no_future":
                ck = pa.Check.lt(as_of)  # future = on or after as_of
            elif r.check == "referential":
                lookup = lookups.get(p["lookup"])
                if lookup is None:
                    continue
                keys = lookup[p.get("key", c.name)] if isinstance(lookup, pd.DataFrame) else pd.Series(list(lookup))
                ck = pa.Check.isin(keys.unique().tolist())
            else:
                continue
            if r.check == "regex" and c.dtype != "str":
                continue  # a format rule on text that pandera never sees (it validates typed values)
            names[(c.name, len(checks))] = r.name
            checks.append(ck)
        columns[c.name] = pa.Column(dtype_of[c.dtype], nullable=nullable, checks=checks, coerce=False)
    frame_checks, unique = [], None
    for r in rs.rules:
        p = dict(r.params)
        if r.check == "unique" and p.get("columns") == "all" and unique is None:
            unique = rs.column_names
            names[(None, "unique")] = r.name
        elif r.check == "custom":
            pred = p.pop("predicate")
            fn = PREDICATES[pred] if isinstance(pred, str) else pred
            names[(None, len(frame_checks))] = r.name
            frame_checks.append(pa.Check(lambda df, fn=fn, p=p: ~fn(df, **p)))
    schema = pa.DataFrameSchema(columns, checks=frame_checks, unique=unique, report_duplicates="exclude_first")
    return schema, names


def pandera_failing_counts(typed: pd.DataFrame, schema: Any, names: Mapping[tuple, str]) -> pd.Series:
    """Validate ``typed`` with pandera (lazy: every failure) and count failing rows per OUR rule name."""
    import pandera.pandas as pa

    try:
        schema.validate(typed, lazy=True)
        return pd.Series({n: 0 for n in names.values()}, dtype="int64", name="failing")
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    out = {n: 0 for n in names.values()}
    frame_level = fc["schema_context"] == "DataFrameSchema"
    fc = fc.assign(column=fc["column"].where(~frame_level, None))
    for (column, check, number), grp in fc.groupby(["column", "check", "check_number"], dropna=False, sort=False):
        col = None if pd.isna(column) else column
        if check == "not_nullable":
            key = (col, "not_nullable")
        elif "uniqueness" in str(check):
            key = (None, "unique")
        else:
            key = (col, int(number))
        if key in names:
            out[names[key]] += int(grp["index"].dropna().nunique())
    return pd.Series(out, dtype="int64", name="failing")


__all__ = [
    "CHECKS", "DTYPES", "describe_rules", "duplicated_rows", "TRANSACTION_RULES", "PREDICATES", "CleanResult", "Column", "Context", "DataQualityError",
    "MaxLossExceeded", "Report", "Rule", "RuleResult", "RuleSet", "Validator", "clean", "clean_csv", "evaluate",
    "is_future", "load_rules", "near_duplicate", "out_of_range", "parse_column", "parse_money", "parse_datetime", "parse_float", "parse_frame", "parse_int",
    "pandera_failing_counts", "pandera_schema", "split_rows", "validate",
]

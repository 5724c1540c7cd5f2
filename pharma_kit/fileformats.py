"""The same table in five files: CSV, Parquet (snappy, zstd), Avro and JSON Lines, written, read back and compared.

What each format keeps, and what it costs (lesson 04, "file formats"):

- **CSV** keeps text only. Types come back only because the reader is told them (:data:`ARROW_SCHEMA`); appends
  and streaming are trivial; there is no column pruning (every byte is scanned) and no predicate pushdown.
- **Parquet** (columnar) stores the types and per-row-group min/max statistics: a reader reads one column
  without touching the others (pruning) and skips row groups whose statistics exclude a filter (pushdown).
  A file is immutable once its footer is written: "appending" means adding a file to a dataset.
- **Avro** (row-oriented, fastavro) stores its writer schema in the header: the types travel with the data,
  files can be appended to (``a+b``) and read record by record. It reads row by row, so reading one column
  still decodes every record. Timestamps are ``timestamp-micros`` (the course's naive local times are stored
  as if they were UTC and made naive again on reading); money is ``decimal(12, 2)`` by default, exact in
  the file, or ``double`` with ``money="double"`` (exact for float64, the warehouse's own choice; either way the
  round trip gives back the same float64 values).
- **JSON Lines** keeps numbers and strings only (dates are ISO text, typed again on reading). It appends and
  streams like CSV, and one bad line need not sink the file: :func:`read_jsonl` quarantines it with its line
  number, as :mod:`pharma_kit.readers` does for CSV.

Schema evolution, the interview question behind the choice (:func:`add_avro_field`, :func:`read_parquet_evolved`):
Avro resolves a reader schema against each file's writer schema: a new field with a default is filled for
old files, a rename is allowed only through ``aliases``, and an incompatible type is refused before a
record is returned (``SchemaResolutionError``). Parquet columns are matched by NAME: ``pyarrow.dataset`` with a
unified schema reads an old file's missing column as nulls (the default is the reader's job, and only for the
files that lack the column), a rename silently reads as an all-null new column, and a retype is cast when
Arrow can (double -> string silently) and refused only when it cannot (double -> int64 with cents).

Bad input raises :class:`~pharma_kit.errors.InputFileError` naming the file and what is wrong: a truncated Avro
file, a Parquet file whose column has an unexpected type, a JSON Lines line that does not parse (when
``on_bad="raise"``; the default quarantines it).
"""
from __future__ import annotations

import copy
import decimal
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.json as pajson
import pyarrow.parquet as pq

from pharma_kit.errors import InputFileError

#: The clean transactions' columns, in order, and the pandas dtypes a round trip must give back.
COLUMNS = ["transaction_id", "order_id", "customer_id", "store_id", "product_id", "order_date", "quantity", "amount"]
INT_COLUMNS = ["transaction_id", "order_id", "customer_id", "store_id", "product_id", "quantity"]
DTYPES: dict[str, str] = {**{c: "int64" for c in INT_COLUMNS}, "order_date": "datetime64[us]", "amount": "float64"}
DTYPES = {c: DTYPES[c] for c in COLUMNS}

#: The same types in Arrow (what CSV and JSON Lines are parsed with, what Parquet files must hold).
ARROW_SCHEMA = pa.schema([(c, pa.timestamp("us") if c == "order_date" else
                           pa.float64() if c == "amount" else pa.int64()) for c in COLUMNS])

#: The field added in the schema-evolution example, and its default for files written before it existed.
NEW_FIELD = "channel"
NEW_FIELD_DEFAULT = "store"

#: Money in Avro: decimal(precision, scale). 12 digits with 2 decimals: up to 9,999,999,999.99.
MONEY_PRECISION, MONEY_SCALE = 12, 2

#: Avro block codec (``deflate`` ships with Python; ``snappy``/``zstandard`` need extra packages).
AVRO_CODEC = "deflate"

#: The reasons :func:`read_jsonl` quarantines a line for.
JSONL_REASONS = ("malformed_json", "not_an_object", "missing_field", "unexpected_field", "wrong_type",
                 "bad_timestamp", "non_utf8_bytes")


# --------------------------------------------------------------------------------------------------
# checks shared by every writer and reader
# --------------------------------------------------------------------------------------------------
def _require_columns(frame: pd.DataFrame, what: str) -> None:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: the frame lacks the columns {missing}")


def _existing(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{p}: the file is empty (0 bytes)")
    return p


def typed(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame``'s ``columns`` (default: all of :data:`COLUMNS` it has) in :data:`DTYPES`, with a fresh RangeIndex."""
    cols = [c for c in COLUMNS if c in frame.columns] if columns is None else list(columns)
    out = frame[cols].reset_index(drop=True)
    return out.astype({c: DTYPES[c] for c in cols if c in DTYPES})


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------
def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, append: bool = False) -> Path:
    """Write (or with ``append=True`` add rows, without a header, to) a CSV. Times as ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    _require_columns(frame, "write_csv")
    path = Path(path)
    table = pa.Table.from_pandas(typed(frame), schema=ARROW_SCHEMA, preserve_index=False)
    header = not (append and path.exists() and path.stat().st_size > 0)
    with pa.OSFile(str(path), "ab" if append else "wb") as sink:
        pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=header))
    return path


def read_csv(path: str | os.PathLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` with explicit types (nothing inferred); ``columns`` to convert only some.

    Even with ``columns`` every byte of the file is read and split: CSV has no column pruning.
    """
    path = _existing(path)
    names = list(columns) if columns is not None else COLUMNS
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={c: ARROW_SCHEMA.field(c).type for c in names}, include_columns=names,
            strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise InputFileError(f"{path}: not a CSV of the transactions with the expected types: {exc}") from None
    return typed(table.to_pandas(), names)


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------
def write_parquet(frame: pd.DataFrame, path: str | os.PathLike, *, compression: str = "zstd",
                  row_group_rows: int = 128 * 1024) -> Path:
    """Write a Parquet file (``compression``: ``snappy``, ``zstd``, ``gzip`` or ``none``) with the Arrow types."""
    _require_columns(frame, "write_parquet")
    extra = [c for c in frame.columns if c not in COLUMNS]
    table = pa.Table.from_pandas(frame[COLUMNS + extra].reset_index(drop=True), preserve_index=False)
    table = table.cast(pa.schema([*ARROW_SCHEMA, *(_plain_strings(table.schema.field(c)) for c in extra)]))
    pq.write_table(table, str(path), compression=compression, row_group_size=row_group_rows)
    return Path(path)


def _plain_strings(f: pa.Field) -> pa.Field:
    """pandas 3's ``str`` columns arrive as ``large_string``; files written at different times agree on ``string``."""
    return f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f


#: Lossless widenings a reader may apply when a file's type is narrower than expected.
_WIDENINGS = {
    pa.int64(): (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16(), pa.uint32()),
    pa.float64(): (pa.float32(),),
    pa.timestamp("us"): (pa.timestamp("s"), pa.timestamp("ms")),
}


def check_parquet_schema(path: str | os.PathLike, expected: pa.Schema = ARROW_SCHEMA,
                         columns: Sequence[str] | None = None) -> pa.Schema:
    """The file's Arrow schema, after checking each expected column is there with the expected type.

    A lossless widening (int32 -> int64, float32 -> float64, ms -> us) is accepted; anything else (a string where
    a number was expected, a float where an integer was, a tz-aware time, ns that may not fit in us) raises
    :class:`InputFileError` naming the file, the column, the expected and the found type.
    """
    path = _existing(path)
    try:
        found = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
    names = list(columns) if columns is not None else expected.names
    for name in names:
        want = expected.field(name).type
        idx = found.get_field_index(name)
        if idx < 0:
            raise InputFileError(f"{path}: column {name!r} is missing (the file has {found.names})")
        got = found.field(name).type
        if got != want and got not in _WIDENINGS.get(want, ()):
            raise InputFileError(f"{path}: column {name!r} has type {got}, expected {want}; the writer changed "
                                 "the type, refusing to guess a conversion")
    return found


def read_parquet(path: str | os.PathLike, columns: Sequence[str] | None = None, *, filters: Any = None,
                 expected: pa.Schema = ARROW_SCHEMA) -> pd.DataFrame:
    """Read a Parquet file, its column types checked against ``expected`` first (:func:`check_parquet_schema`).

    ``columns`` reads only those columns (pruning: the others' pages are never read); ``filters`` (pyarrow's
    ``[("amount", ">", 100)]`` form) skips row groups by their statistics before filtering rows (pushdown).
    """
    names = list(columns) if columns is not None else expected.names
    check_parquet_schema(path, expected, names)
    table = pq.read_table(str(path), columns=names, filters=filters)
    table = table.cast(pa.schema([expected.field(c) for c in names]))
    return typed(table.to_pandas(), names)


# --------------------------------------------------------------------------------------------------
# Avro
# --------------------------------------------------------------------------------------------------
def avro_schema(money: str = "decimal", extra_fields: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The explicit Avro schema of the transactions (a new dict each call).

    ``money="decimal"``: ``amount`` is ``bytes`` with logical type ``decimal(12, 2)``, exact in the file.
    ``money="double"``: a plain IEEE double, exact for float64 and what the warehouse stores; a documented choice.
    ``order_date`` is ``long`` with logical type ``timestamp-micros``.
    """
    if money == "decimal":
        amount: Any = {"type": "bytes", "logicalType": "decimal", "precision": MONEY_PRECISION, "scale": MONEY_SCALE}
    elif money == "double":
        amount = "double"
    else:
        raise ValueError(f"money must be 'decimal' or 'double', not {money!r}")
    fields: list[dict[str, Any]] = [{"name": c, "type": "long"} for c in COLUMNS]
    fields[COLUMNS.index("order_date")] = {"name": "order_date",
                                           "type": {"type": "long", "logicalType": "timestamp-micros"}}
    fields[COLUMNS.index("amount")] = {"name": "amount", "type": amount}
    fields += [dict(f) for f in extra_fields]
    return {"type": "record", "name": "Transaction", "namespace": "larkspur.sales", "fields": fields}


def add_avro_field(schema: Mapping[str, Any], name: str = NEW_FIELD, type_: Any = "string",
                   default: Any = NEW_FIELD_DEFAULT) -> dict[str, Any]:
    """A copy of ``schema`` with one more field that has a ``default`` (what makes old files readable)."""
    out = copy.deepcopy(dict(schema))
    if any(f["name"] == name for f in out["fields"]):
        raise ValueError(f"the schema already has a field {name!r}")
    out["fields"].append({"name": name, "type": type_, "default": default})
    return out


def rename_avro_field(schema: Mapping[str, Any], old: str, new: str, *, alias: bool = True) -> dict[str, Any]:
    """A copy of ``schema`` with ``old`` renamed to ``new``; ``alias=True`` keeps ``old`` as an alias, so files
    written with the old name still resolve (without it, reading them fails: no default for ``new``)."""
    out = copy.deepcopy(dict(schema))
    for f in out["fields"]:
        if f["name"] == old:
            f["name"] = new
            if alias:
                f["aliases"] = [*f.get("aliases", []), old]
            return out
    raise KeyError(f"the schema has no field {old!r}")


def retype_avro_field(schema: Mapping[str, Any], name: str, type_: Any) -> dict[str, Any]:
    """A copy of ``schema`` with the field ``name`` given another type (Avro allows only promotions such as
    int -> long -> float -> double and string <-> bytes; anything else is refused on reading)."""
    out = copy.deepcopy(dict(schema))
    for f in out["fields"]:
        if f["name"] == name:
            f["type"] = type_
            return out
    raise KeyError(f"the schema has no field {name!r}")


def _avro_fields(schema: Mapping[str, Any]) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def _money_type(schema: Mapping[str, Any]) -> str:
    for f in schema["fields"]:
        if f["name"] == "amount":
            t = f["type"]
            return "decimal" if isinstance(t, Mapping) and t.get("logicalType") == "decimal" else "double"
    return "double"


def _avro_columns(frame: pd.DataFrame, schema: Mapping[str, Any]) -> dict[str, list]:
    """Plain Python column lists in the schema's representation (micros for times, Decimal or float for money)."""
    cols: dict[str, list] = {}
    for name in _avro_fields(schema):
        s = frame[name]
        if name == "order_date":
            cols[name] = s.astype("datetime64[us]").astype("int64").tolist()
        elif name == "amount" and _money_type(schema) == "decimal":
            cents = np.rint(s.to_numpy(dtype="float64") * 10**MONEY_SCALE)
            if not np.array_equal(cents / 10**MONEY_SCALE, s.to_numpy(dtype="float64")):
                bad = int(np.flatnonzero(cents / 10**MONEY_SCALE != s.to_numpy(dtype="float64"))[0])
                raise ValueError(f"amount {s.iloc[bad]!r} (row {bad}) is not a whole number of cents; "
                                 "decimal(12, 2) would round it: round it first or write money='double'")
            cols[name] = [decimal.Decimal(int(c)).scaleb(-MONEY_SCALE) for c in cents]
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            cols[name] = s.astype(object).where(s.notna(), None).tolist()  # a missing string is Avro's null
        else:
            cols[name] = s.tolist()
    return cols


def write_avro(frame: pd.DataFrame, path: str | os.PathLike, schema: Mapping[str, Any] | None = None, *,
               codec: str = AVRO_CODEC, append: bool = False, block_rows: int = 16_000) -> Path:
    """Write ``frame`` as an Avro container file with an explicit ``schema`` (default :func:`avro_schema`).

    ``append=True`` adds records to an existing file (its own schema is kept; the frame must fit it).
    """
    import fastavro

    schema = avro_schema() if schema is None else schema
    missing = [c for c in _avro_fields(schema) if c not in frame.columns]
    if missing:
        raise ValueError(f"write_avro: the frame lacks the schema's fields {missing}")
    parsed = fastavro.parse_schema(copy.deepcopy(dict(schema)))
    path = Path(path)
    cols = _avro_columns(frame, schema)
    names = list(cols)
    records = (dict(zip(names, row)) for row in zip(*(cols[n] for n in names)))
    mode = "a+b" if append and path.exists() and path.stat().st_size > 0 else "wb"
    with open(path, mode) as fo:
        fastavro.writer(fo, parsed, records, codec=codec, sync_interval=block_rows * 40)
    return path


def avro_writer_schema(path: str | os.PathLike) -> dict[str, Any]:
    """The schema stored in an Avro file's header (the writer schema)."""
    import fastavro

    path = _existing(path)
    with open(path, "rb") as fo:
        try:
            return fastavro.reader(fo).writer_schema
        except (ValueError, EOFError, StopIteration) as exc:
            raise InputFileError(f"{path}: not an Avro container file (no readable header: {exc})") from None


def read_avro(path: str | os.PathLike, columns: Sequence[str] | None = None, *,
              reader_schema: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read an Avro file into typed columns (amount as float64 whether stored as decimal or double).

    ``reader_schema`` (e.g. :func:`add_avro_field`'s) is resolved against the file's writer schema: new fields get
    their default, aliases map renamed fields, an incompatible type raises :class:`InputFileError` (from fastavro's
    ``SchemaResolutionError``) before any record is returned. ``columns`` projects to those fields (still decoding
    every record: Avro is row-oriented). A truncated or corrupt file raises :class:`InputFileError` saying how many
    records were read before the damage.
    """
    import fastavro
    from fastavro.read import SchemaResolutionError

    path = _existing(path)
    schema = None if reader_schema is None else copy.deepcopy(dict(reader_schema))
    if columns is not None:
        base = schema or avro_writer_schema(path)
        unknown = [c for c in columns if c not in _avro_fields(base)]
        if unknown:
            raise KeyError(f"{path}: no field {unknown} in the schema")
        schema = {**base, "fields": [f for f in base["fields"] if f["name"] in set(columns)]}
    n = 0
    with open(path, "rb") as fo:
        try:
            reader = fastavro.reader(fo, reader_schema=schema)
        except SchemaResolutionError as exc:
            raise InputFileError(f"{path}: the reader schema does not resolve against the file's writer schema: "
                                 f"{exc}") from None
        except (ValueError, EOFError, StopIteration, IndexError) as exc:
            raise InputFileError(f"{path}: not an Avro container file or a truncated header ({exc})") from None
        names = _avro_fields(reader.reader_schema or reader.writer_schema)
        lists: dict[str, list] = {c: [] for c in names}
        appenders = [(c, lists[c].append) for c in names]
        try:
            for rec in reader:
                for c, add in appenders:
                    add(rec[c])
                n += 1
        except SchemaResolutionError as exc:
            raise InputFileError(f"{path}: the reader schema does not resolve against the file's writer schema: "
                                 f"{exc}") from None
        except (ValueError, EOFError, StopIteration, IndexError, TypeError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: truncated or corrupt Avro file: {n:,} records read, then "
                                 f"{type(exc).__name__}: {exc} (at byte {fo.tell():,} of "
                                 f"{path.stat().st_size:,}); the last block is incomplete") from None
    out: dict[str, Any] = {}
    for c in names:
        values = lists[c]
        if c == "order_date":
            times = pd.to_datetime(values, utc=True) if values else pd.DatetimeIndex([], tz="UTC")
            out[c] = pd.Series(times.tz_convert(None), dtype="datetime64[us]")
        elif c == "amount":
            out[c] = pd.Series([float(v) for v in values], dtype="float64")
        elif c in DTYPES:
            out[c] = pd.Series(values, dtype=DTYPES[c])
        else:
            out[c] = pd.Series(values, dtype="str" if all(isinstance(v, str) for v in values) else "object")
    return pd.DataFrame(out, columns=names)


# --------------------------------------------------------------------------------------------------
# JSON Lines
# --------------------------------------------------------------------------------------------------
#: One JSON Lines record; every field but the time is a number, so a format string is exact and ~2x faster than
#: json.dumps of a dict (``{!r}`` of a float is Python's shortest round-trip repr, valid JSON for finite values).
_JSONL_LINE = ("{{" + ",".join(f'"{c}":"{{}}"' if c == "order_date" else f'"{c}":{{!r}}' if c == "amount"
                               else f'"{c}":{{}}' for c in COLUMNS) + "}}\n")


def write_jsonl(frame: pd.DataFrame, path: str | os.PathLike, *, append: bool = False,
                block_rows: int = 100_000) -> Path:
    """One JSON object per line (UTF-8, ``\\n``); times as ISO text with microseconds, floats in Python's exact repr."""
    _require_columns(frame, "write_jsonl")
    path = Path(path)
    frame = typed(frame)
    if len(frame) and not np.isfinite(frame["amount"].to_numpy()).all():
        raise ValueError("write_jsonl: amount holds inf or NaN, which JSON cannot represent")
    with open(path, "a" if append else "w", encoding="utf-8", newline="\n") as fo:
        for start in range(0, len(frame), block_rows):
            part = frame.iloc[start:start + block_rows]
            cols = [part[c].tolist() for c in COLUMNS]
            cols[COLUMNS.index("order_date")] = np.datetime_as_string(part["order_date"].to_numpy(), unit="us").tolist()
            fo.write("".join(_JSONL_LINE.format(*row) for row in zip(*cols)))
    return path


@dataclass
class JsonlRead:
    """A JSON Lines file read with quarantine: typed ``frame`` (fresh RangeIndex), ``rejected`` lines (index =
    physical line number, 1-based; ``reason`` and the ``raw_line`` as it was) and the line account."""

    path: Path
    frame: pd.DataFrame
    rejected: pd.DataFrame
    n_lines: int = 0
    blank_lines: list[int] = field(default_factory=list)

    def line_accounting(self) -> dict[str, int]:
        """Physical lines by role; ``blank + kept + rejected == lines`` always."""
        return {"lines": self.n_lines, "blank": len(self.blank_lines), "kept": len(self.frame),
                "rejected": len(self.rejected)}


def _empty_rejected() -> pd.DataFrame:
    idx = pd.Index([], dtype="int64", name="line")
    return pd.DataFrame({"reason": pd.Series([], dtype="str", index=idx),
                         "raw_line": pd.Series([], dtype="str", index=idx)}, index=idx)


def _jsonl_fast(path: Path) -> pd.DataFrame | None:
    """The whole file through Arrow's JSON reader with the explicit schema, or None when anything is off."""
    try:
        table = pajson.read_json(path, parse_options=pajson.ParseOptions(
            explicit_schema=ARROW_SCHEMA, unexpected_field_behavior="error"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.schema != ARROW_SCHEMA or any(table.column(c).null_count for c in COLUMNS):
        return None  # a missing field reads as null here: let the careful path name the line
    return typed(table.to_pandas())


def _check_record(obj: Any) -> str | None:
    """The quarantine reason for one parsed line, or None when its fields and JSON types are right."""
    if not isinstance(obj, dict):
        return "not_an_object"
    if len(obj) != len(COLUMNS) or obj.keys() != set(COLUMNS):
        return "missing_field" if not set(COLUMNS) <= obj.keys() else "unexpected_field"
    for c in INT_COLUMNS:
        v = obj[c]
        if type(v) is not int:
            return "wrong_type"
    a = obj["amount"]
    if type(a) not in (int, float) or not np.isfinite(a):
        return "wrong_type"
    if not isinstance(obj["order_date"], str):
        return "wrong_type"
    return None


def read_jsonl(path: str | os.PathLike, *, on_bad: str = "quarantine") -> JsonlRead:
    """Read a JSON Lines file of transactions into typed columns.

    A line that is not a JSON object with exactly the expected fields and JSON types (or whose ``order_date`` is
    not an ISO time) is quarantined in ``rejected`` with its 1-based line number, a reason from
    :data:`JSONL_REASONS` and its raw text; blank lines are counted, not rejected. ``on_bad="raise"`` raises
    :class:`InputFileError` naming the first bad line instead. A clean file takes Arrow's fast path; a file with a
    bad line is read again line by line.
    """
    if on_bad not in ("quarantine", "raise"):
        raise ValueError(f"on_bad must be 'quarantine' or 'raise', not {on_bad!r}")
    path = _existing(path)
    raw = path.read_bytes()
    n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    blank_probe = b"\n\n" in raw or raw.startswith(b"\n") or b"\n\r\n" in raw or b"\n \n" in raw
    if not blank_probe:
        fast = _jsonl_fast(path)
        if fast is not None and len(fast) == n_lines:
            return JsonlRead(path, fast, _empty_rejected(), n_lines, [])
    good: list[dict] = []
    bad: list[tuple[int, str, str]] = []
    blank: list[int] = []
    loads = json.loads
    for no, line_b in enumerate(raw.split(b"\n"), start=1):
        if no > n_lines:
            break
        try:
            line = line_b.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((no, "non_utf8_bytes", line_b.decode("utf-8", "replace")))
            continue
        line = line.rstrip("\r")
        if not line.strip():
            blank.append(no)
            continue
        try:
            obj = loads(line)
        except ValueError:
            bad.append((no, "malformed_json", line))
            continue
        reason = _check_record(obj)
        if reason is not None:
            bad.append((no, reason, line))
            continue
        obj["_line"] = no
        good.append(obj)
    frame = pd.DataFrame.from_records(good, columns=[*COLUMNS, "_line"]) if good else \
        pd.DataFrame({c: pd.Series([], dtype="object") for c in [*COLUMNS, "_line"]})
    when = pd.to_datetime(frame["order_date"], format="ISO8601", errors="coerce")
    unparsed = when.isna()
    if unparsed.any():
        for i in np.flatnonzero(unparsed.to_numpy()):
            no = int(frame["_line"].iloc[i])
            bad.append((no, "bad_timestamp", raw.split(b"\n", no)[no - 1].decode("utf-8").rstrip("\r")))
        frame, when = frame[~unparsed], when[~unparsed]
    frame = frame.assign(order_date=when.astype("datetime64[us]")).drop(columns="_line")
    frame = typed(frame)
    bad.sort()
    if bad and on_bad == "raise":
        no, reason, text = bad[0]
        shown = text if len(text) <= 120 else text[:117] + "..."
        raise InputFileError(f"{path}: line {no}: {reason} ({len(bad)} bad line(s) in all): {shown!r}")
    if bad:
        idx = pd.Index([b[0] for b in bad], dtype="int64", name="line")
        rejected = pd.DataFrame({"reason": pd.Series([b[1] for b in bad], dtype="str", index=idx),
                                 "raw_line": pd.Series([b[2] for b in bad], dtype="str", index=idx)}, index=idx)
    else:
        rejected = _empty_rejected()
    return JsonlRead(path, frame, rejected, n_lines, blank)


def read_jsonl_frame(path: str | os.PathLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The typed frame of a JSON Lines file, refusing any bad line (``on_bad="raise"``); ``columns`` to keep some
    (every line is still parsed in full: no pruning)."""
    frame = read_jsonl(path, on_bad="raise").frame
    return frame if columns is None else frame[list(columns)]


# --------------------------------------------------------------------------------------------------
# the formats side by side
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormatSpec:
    """One format: how to write and read it, and what it can do (the table's yes/no columns)."""

    name: str
    suffix: str
    write: Callable[[pd.DataFrame, Path], Path]
    read: Callable[..., pd.DataFrame]
    keeps_types: str
    column_pruning: str
    predicate_pushdown: str
    appends: str
    streaming: str


FORMATS: dict[str, FormatSpec] = {f.name: f for f in [
    FormatSpec("csv", ".csv", write_csv, read_csv,
               keeps_types="no (text; reader supplies types)", column_pruning="no (scans every byte)",
               predicate_pushdown="no", appends="yes (lines)", streaming="yes (line blocks)"),
    FormatSpec("parquet-snappy", ".snappy.parquet", lambda f, p: write_parquet(f, p, compression="snappy"),
               read_parquet, keeps_types="yes (in the footer)", column_pruning="yes (column chunks)",
               predicate_pushdown="yes (row-group min/max)", appends="no (new file per batch)",
               streaming="by row group"),
    FormatSpec("parquet-zstd", ".zstd.parquet", lambda f, p: write_parquet(f, p, compression="zstd"),
               read_parquet, keeps_types="yes (in the footer)", column_pruning="yes (column chunks)",
               predicate_pushdown="yes (row-group min/max)", appends="no (new file per batch)",
               streaming="by row group"),
    FormatSpec("avro", ".avro", lambda f, p: write_avro(f, p), read_avro,
               keeps_types="yes (schema in header)", column_pruning="no (decodes every record)",
               predicate_pushdown="no", appends="yes (blocks)", streaming="yes (record by record)"),
    FormatSpec("jsonl", ".jsonl", write_jsonl, read_jsonl_frame,
               keeps_types="no (numbers, strings)", column_pruning="no (parses every line)",
               predicate_pushdown="no", appends="yes (lines)", streaming="yes (line by line)"),
]}


def write(frame: pd.DataFrame, path: str | os.PathLike, fmt: str) -> Path:
    """Write ``frame`` in the format named ``fmt`` (a key of :data:`FORMATS`)."""
    return _spec(fmt).write(frame, Path(path))


def read(path: str | os.PathLike, fmt: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a file written by :func:`write` back into typed columns (``columns``: only those)."""
    return _spec(fmt).read(Path(path), columns)


def _spec(fmt: str) -> FormatSpec:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt]


def round_trip(frame: pd.DataFrame, fmt: str, directory: str | os.PathLike) -> tuple[pd.DataFrame, Path]:
    """Write ``frame`` as ``fmt`` in ``directory`` and read it back: ``(the frame read, the file)``."""
    path = Path(directory) / f"transactions{_spec(fmt).suffix}"
    write(frame, path, fmt)
    return read(path, fmt), path


def compare_frames(expected: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    """Differences in columns, dtypes and values (exact), as sentences; empty when the frames are identical."""
    problems = []
    if list(expected.columns) != list(got.columns):
        return [f"columns differ: expected {list(expected.columns)}, got {list(got.columns)}"]
    for c in expected.columns:
        if str(expected[c].dtype) != str(got[c].dtype):
            problems.append(f"{c}: dtype {got[c].dtype}, expected {expected[c].dtype}")
    if len(expected) != len(got):
        problems.append(f"{len(got)} rows, expected {len(expected)}")
        return problems
    for c in expected.columns:
        a, b = expected[c].reset_index(drop=True), got[c].reset_index(drop=True)
        same = (a == b) | (a.isna() & b.isna())
        if not bool(same.all()):
            i = int(np.flatnonzero(~same.to_numpy())[0])
            problems.append(f"{c}: row {i} is {b.iloc[i]!r}, expected {a.iloc[i]!r}")
    return problems


# --------------------------------------------------------------------------------------------------
# schema evolution
# --------------------------------------------------------------------------------------------------
def unified_parquet_schema(paths: Iterable[str | os.PathLike],
                           new_fields: Sequence[pa.Field] = (pa.field(NEW_FIELD, pa.string()),)) -> pa.Schema:
    """One schema for files written at different times: ``pa.unify_schemas`` of their schemas plus ``new_fields``.

    Files that disagree on a column's type are refused here (:class:`InputFileError`), not cast silently.
    """
    schemas = []
    for p in paths:
        try:
            found = pq.read_schema(_existing(p)).remove_metadata()
            schemas.append(pa.schema([_plain_strings(f) for f in found]))
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputFileError(f"{p}: not a readable Parquet file ({exc})") from None
    try:
        unified = pa.unify_schemas([*schemas, pa.schema(list(new_fields))])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputFileError(f"the Parquet files disagree on a column's type: {exc}") from None
    return unified.remove_metadata()


def read_parquet_evolved(paths: Sequence[str | os.PathLike], schema: pa.Schema | None = None,
                         defaults: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read Parquet files of several schema versions as one frame in ``schema`` (default: the unified schema).

    ``pyarrow.dataset`` with the unified schema reads a column a file lacks as nulls; the ``defaults``
    (``{"channel": "store"}``) are then filled for the rows of THOSE files only, so a genuine null in a newer
    file stays null. Rows keep the order of ``paths``, then the file order.
    """
    paths = [str(_existing(p)) for p in paths]
    defaults = {NEW_FIELD: NEW_FIELD_DEFAULT} if defaults is None else dict(defaults)
    schema = unified_parquet_schema(paths) if schema is None else schema
    dataset = pads.dataset(paths, schema=schema, format="parquet")
    by_path = {frag.path: frag for frag in dataset.get_fragments()}
    parts = []
    for p in paths:
        frag = by_path[p]
        try:
            table = frag.to_table(schema=schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise InputFileError(f"{p}: cannot read it as {schema}: {exc}") from None
        lacking = set(schema.names) - set(frag.physical_schema.names)
        for name, value in defaults.items():
            if name in lacking:
                i = table.schema.get_field_index(name)
                table = table.set_column(i, schema.field(name),
                                         pa.array([value] * table.num_rows, type=schema.field(name).type))
        parts.append(table)
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    return table.to_pandas()  # the schema's own types (int64, datetime64[us], float64, str), fresh RangeIndex


def conform_frames(parts: Sequence[pd.DataFrame], defaults: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Frames read from files of two schema versions, as one frame in the new schema (the exercise's reference).

    Columns: every column seen (first-seen order), then any defaulted column no part had. A part that LACKS a
    defaulted column gets its default on every row; a part that HAS it keeps its values, nulls included (a
    default stands for a missing field, not for a missing value). Rows in part order, fresh RangeIndex.
    """
    defaults = {NEW_FIELD: NEW_FIELD_DEFAULT} if defaults is None else dict(defaults)
    columns = list(dict.fromkeys([c for p in parts for c in p.columns] + list(defaults)))
    if not parts:
        return pd.DataFrame(columns=columns)
    filled = [p.assign(**{n: v for n, v in defaults.items() if n not in p.columns}) for p in parts]
    out = pd.concat(filled, ignore_index=True)[columns]
    for name in defaults:
        out[name] = out[name].astype("str")
    return out


__all__ = [
    "ARROW_SCHEMA", "AVRO_CODEC", "COLUMNS", "DTYPES", "FORMATS", "FormatSpec", "JSONL_REASONS", "JsonlRead",
    "MONEY_PRECISION", "MONEY_SCALE", "NEW_FIELD", "NEW_FIELD_DEFAULT", "add_avro_field", "avro_schema",
    "avro_writer_schema", "check_parquet_schema", "compare_frames", "conform_frames", "read", "read_avro",
    "read_csv", "read_jsonl", "read_jsonl_frame", "read_parquet", "read_parquet_evolved", "rename_avro_field",
    "retype_avro_field", "round_trip", "typed", "unified_parquet_schema", "write", "write_avro", "write_csv",
    "write_jsonl", "write_parquet",
]

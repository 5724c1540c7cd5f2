"""File formats and dtypes for data bigger than memory: CSV -> month-partitioned Parquet, memory estimates, downcasting.

The conversion streams the CSV block by block (explicit types, nothing inferred) and keeps one Parquet
writer open per month, so memory stays flat and each month ends up in one file. Readers then get
column pruning (read only the columns asked for) and predicate pushdown (skip whole files by partition
and whole row groups by their min/max statistics).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pharma_kit.errors import InputFileError

#: Explicit Arrow types of the transactions feed (narrow where the domain allows it).
TRANSACTION_TYPES: dict[str, pa.DataType] = {
    "transaction_id": pa.int64(),
    "order_id": pa.int64(),
    "customer_id": pa.int64(),
    "store_id": pa.int32(),
    "product_id": pa.int32(),
    "order_date": pa.timestamp("us"),
    "quantity": pa.int32(),
    "amount": pa.float64(),
}

_SIGNED = [np.int8, np.int16, np.int32, np.int64]


# --------------------------------------------------------------------------------------------------
# memory and dtypes
# --------------------------------------------------------------------------------------------------
def estimate_frame_bytes(n_rows: int, dtypes: Mapping[str, str]) -> int:
    """Bytes the columns of an ``n_rows`` frame with fixed-width ``dtypes`` take (``itemsize`` x rows, per column)."""
    total = 0
    for col, dt in dtypes.items():
        d = np.dtype(dt)
        if d.kind in "OUSV":
            raise ValueError(f"column {col!r}: {dt} is not fixed-width; measure it with memory_usage(deep=True)")
        total += d.itemsize * int(n_rows)
    return total


def frame_bytes(frame: pd.DataFrame) -> int:
    """Bytes a frame really holds, strings included (``memory_usage(deep=True)``, index included)."""
    return int(frame.memory_usage(deep=True, index=True).sum())


def smallest_int_dtype(lo: int, hi: int) -> np.dtype:
    """The narrowest signed integer dtype holding every value in ``[lo, hi]``."""
    for t in _SIGNED:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return np.dtype(t)
    raise OverflowError(f"[{lo}, {hi}] does not fit in int64")


def downcast_ints(frame: pd.DataFrame) -> pd.DataFrame:
    """Each NumPy integer column cast to the narrowest signed dtype that holds its min AND max; others untouched."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if not (isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu"):
            continue
        lo, hi = (int(s.min()), int(s.max())) if len(s) else (0, 0)
        out[col] = s.astype(smallest_int_dtype(lo, hi))
    return out


# --------------------------------------------------------------------------------------------------
# CSV -> Parquet partitioned by month
# --------------------------------------------------------------------------------------------------
def month_key(dates: pd.Series) -> pd.Series:
    """The partition key ``YYYY-MM`` (year AND month: January 2024 is not January 2025)."""
    return dates.dt.strftime("%Y-%m").astype("str")


def split_by_month(frame: pd.DataFrame, date: str = "order_date") -> dict[str, pd.DataFrame]:
    """Split one chunk into ``{"YYYY-MM": rows of that month}``, keys sorted, row order kept, index reset."""
    if frame.empty:
        return {}
    keys = month_key(frame[date])
    return {str(k): part.reset_index(drop=True) for k, part in frame.groupby(keys, sort=True)}


@dataclass
class ConversionReport:
    """What a CSV -> Parquet rewrite did: rows, files written and bytes in and out."""

    rows: int
    files: int
    csv_bytes: int
    parquet_bytes: int
    out_dir: str

    @property
    def ratio(self) -> float:
        """CSV size / Parquet size."""
        return self.csv_bytes / self.parquet_bytes if self.parquet_bytes else float("nan")


def csv_to_parquet_by_month(csv_path: str | Path, out_dir: str | Path, *, date: str = "order_date",
                            types: Mapping[str, pa.DataType] | None = None, block_size: int = 16 << 20,
                            compression: str = "zstd", row_group_rows: int = 131_072,
                            progress: bool = False) -> ConversionReport:
    """Rewrite a CSV as hive-partitioned Parquet (``month=YYYY-MM/part-0.parquet``), streaming block by block.

    Every column gets an explicit type (``TRANSACTION_TYPES`` by default). A value that does not parse raises
    :class:`InputFileError` naming the file and row: quarantine bad rows first (``chunked.aggregate_file_report``).
    """
    csv_path, out_dir = Path(csv_path), Path(out_dir)
    if not csv_path.exists():
        raise InputFileError(f"{csv_path}: no such file")
    if csv_path.stat().st_size == 0:
        raise InputFileError(f"{csv_path}: the file is empty (0 bytes, not even a header line)")
    types = dict(TRANSACTION_TYPES if types is None else types)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise InputFileError(f"{out_dir}: the output directory is not empty; pick a fresh one (rewrites must not mix)")
    writers: dict[str, pq.ParquetWriter] = {}
    rows = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=csv_path.stat().st_size, unit="B", unit_scale=True, unit_divisor=1024, desc=csv_path.name)
    source = pa.OSFile(str(csv_path))
    try:
        reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(block_size=block_size),
                                convert_options=pacsv.ConvertOptions(column_types=types))
        for batch in reader:
            if batch.num_rows == 0:
                continue
            if batch.column(date).null_count:
                raise InputFileError(f"{csv_path}: column {date!r} has empty values; they cannot be partitioned")
            month = pc.strftime(batch.column(date), format="%Y-%m").dictionary_encode()
            codes = month.indices.to_numpy(zero_copy_only=False)
            order = np.argsort(codes, kind="stable")
            counts = np.bincount(codes, minlength=len(month.dictionary))
            table = pa.Table.from_batches([batch]).take(pa.array(order))
            start = 0
            for code, n in enumerate(counts):
                if n == 0:
                    continue
                key = month.dictionary[code].as_py()
                if key not in writers:
                    path = out_dir / f"month={key}" / "part-0.parquet"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    writers[key] = pq.ParquetWriter(path, table.schema, compression=compression)
                writers[key].write_table(table.slice(start, int(n)), row_group_size=row_group_rows)
                start += int(n)
            rows += batch.num_rows
            if bar is not None:
                bar.update(max(0, source.tell() - bar.n))
    except pa.ArrowInvalid as exc:
        raise InputFileError(f"{csv_path}: {_name_column(csv_path, str(exc))}") from None
    finally:
        for w in writers.values():
            w.close()
        source.close()
        if bar is not None:
            bar.close()
    written = sorted(out_dir.glob("month=*/*.parquet"))
    return ConversionReport(rows, len(written), csv_path.stat().st_size, sum(p.stat().st_size for p in written),
                            str(out_dir))


def _name_column(path: Path, message: str) -> str:
    """Arrow says "In CSV column #7"; say which column that is."""
    m = re.search(r"In CSV column #(\d+)", message)
    if not m:
        return message
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    i = int(m.group(1))
    return f"column {header[i]!r}: {message}" if i < len(header) else message


def dir_bytes(path: str | Path) -> int:
    """Total size of the files under ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def files_touched(dataset_dir: str | Path, filter_expr) -> tuple[int, int]:
    """(files a filter must open, files in the dataset): partition pruning, counted rather than claimed."""
    import pyarrow.dataset as pads

    ds = pads.dataset(str(dataset_dir), format="parquet", partitioning="hive")
    return len(list(ds.get_fragments(filter=filter_expr))), len(ds.files)


def row_groups_touched(dataset_dir: str | Path, filter_expr) -> tuple[int, int]:
    """(row groups a filter on in-file columns must read, row groups in total): min/max statistics pushdown."""
    import pyarrow.dataset as pads

    ds = pads.dataset(str(dataset_dir), format="parquet", partitioning="hive")
    total = sum(f.metadata.num_row_groups for f in ds.get_fragments())
    kept = sum(len(f.split_by_row_group(filter_expr)) for f in ds.get_fragments(filter=filter_expr))
    return kept, total


__all__ = [
    "TRANSACTION_TYPES", "ConversionReport", "csv_to_parquet_by_month", "dir_bytes", "downcast_ints",
    "estimate_frame_bytes", "files_touched", "frame_bytes", "month_key", "row_groups_touched", "smallest_int_dtype",
    "split_by_month",
]

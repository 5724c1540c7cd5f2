"""The same per-key aggregation on other engines, for comparison: pandas (whole file and the source notes'
``read_csv(chunksize=...)``), DuckDB and Dask; and ``same_result``, which says whether two result tables agree.

Lesson 04 and its benchmark measure :func:`pharma_kit.chunked.aggregate_file` against these.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pharma_kit.chunked.blocks import _check_path, _csv_header
from pharma_kit.chunked.partial import AggSpec


def _finish_pandas(agg: pd.DataFrame, nunique: dict[str, pd.Series], spec: AggSpec) -> pd.DataFrame:
    v = spec.value
    agg = agg.sort_index()
    out = pd.DataFrame({
        spec.by: agg.index.to_numpy(dtype=np.int64),
        "rows": agg["rows"].to_numpy(dtype=np.int64),
        f"{v}_sum": agg["sum"].to_numpy(dtype=np.float64),
    })
    out[f"{v}_mean"] = out[f"{v}_sum"] / out["rows"]
    out[f"{v}_min"] = agg["min"].to_numpy(dtype=np.float64)
    out[f"{v}_max"] = agg["max"].to_numpy(dtype=np.float64)
    if spec.date:
        out[f"last_{spec.date}"] = agg["last"].to_numpy().astype("datetime64[us]")
    for d, s in nunique.items():
        out[f"{d}_nunique"] = s.reindex(agg.index).to_numpy(dtype=np.int64)
    return out


def _read_kwargs(spec: AggSpec) -> dict:
    dtype = {spec.by: "int64", spec.value: "float64", **{d: "int64" for d in spec.distinct}}
    return dict(usecols=spec.columns, dtype=dtype, parse_dates=[spec.date] if spec.date else None)


def aggregate_pandas_whole(path: str | Path, spec: AggSpec = AggSpec()) -> pd.DataFrame:
    """Baseline: read the whole file with pandas, then one groupby (fast, but memory grows with the file)."""
    df = pd.read_csv(path, **_read_kwargs(spec))
    g = df.groupby(spec.by, sort=True)
    named = {"rows": (spec.value, "size"), "sum": (spec.value, "sum"), "min": (spec.value, "min"),
             "max": (spec.value, "max")}
    if spec.date:
        named["last"] = (spec.date, "max")
    agg = g.agg(**named)
    return _finish_pandas(agg, {d: g[d].nunique() for d in spec.distinct}, spec)


def aggregate_pandas_chunks(path: str | Path, spec: AggSpec = AggSpec(), chunk_rows: int = 1_000_000) -> pd.DataFrame:
    """Baseline: the source notes' ``read_csv(chunksize=...)`` loop, with the merge done right (sums and counts)."""
    parts, pairs = [], {d: [] for d in spec.distinct}
    named = {"rows": (spec.value, "size"), "sum": (spec.value, "sum"), "min": (spec.value, "min"),
             "max": (spec.value, "max")}
    if spec.date:
        named["last"] = (spec.date, "max")
    for chunk in pd.read_csv(path, chunksize=chunk_rows, **_read_kwargs(spec)):
        parts.append(chunk.groupby(spec.by).agg(**named))
        for d in spec.distinct:
            pairs[d].append(chunk[[spec.by, d]].drop_duplicates())
    both = pd.concat(parts)
    rule = {"rows": "sum", "sum": "sum", "min": "min", "max": "max", **({"last": "max"} if spec.date else {})}
    agg = both.groupby(level=0).agg(rule)
    nunique = {d: pd.concat(p).drop_duplicates().groupby(spec.by).size() for d, p in pairs.items()}
    return _finish_pandas(agg, nunique, spec)


def aggregate_duckdb(path: str | Path, spec: AggSpec = AggSpec(), threads: int | None = None) -> pd.DataFrame:
    """Baseline: DuckDB's ``read_csv`` with explicit column types + GROUP BY (parallel, spills to disk if needed)."""
    import duckdb

    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        header = _csv_header(Path(path), spec.columns)
        sql_types = {spec.by: "BIGINT", spec.value: "DOUBLE", **{d: "BIGINT" for d in spec.distinct}}
        if spec.date:
            sql_types[spec.date] = "TIMESTAMP"
        types = ", ".join(f"'{c}': '{sql_types.get(c, 'VARCHAR')}'" for c in header)
        q = lambda c: '"' + c.replace('"', '""') + '"'  # noqa: E731
        sel = [f"{q(spec.by)}", "count(*) AS rows", f"sum({q(spec.value)}) AS sum", f"min({q(spec.value)}) AS min",
               f"max({q(spec.value)}) AS max"]
        if spec.date:
            sel.append(f"max({q(spec.date)}) AS last")
        sel += [f"count(DISTINCT {q(d)}) AS {q('n_' + d)}" for d in spec.distinct]
        sql = (f"SELECT {', '.join(sel)} FROM read_csv(?, header=true, columns={{{types}}}) "
               f"GROUP BY 1 ORDER BY 1")
        agg = con.execute(sql, [str(path)]).df().set_index(spec.by)
    finally:
        con.close()
    return _finish_pandas(agg, {d: agg["n_" + d] for d in spec.distinct}, spec)


# --------------------------------------------------------------------------------------------------
# beyond one machine: the same aggregation on Dask
# --------------------------------------------------------------------------------------------------
def aggregate_dask(path: str | Path, spec: AggSpec = AggSpec(), blocksize: str | int = "16MB",
                   scheduler: str = "threads") -> pd.DataFrame:
    """The same table with ``dask.dataframe``: per-partition partials, a tree of merges, the mean at the end.

    Dask's groupby-aggregate is exactly the partial-aggregate pattern (chunk -> combine -> aggregate), so
    the code on a laptop and on a cluster is the same; only the scheduler changes.
    """
    import dask
    import dask.dataframe as dd

    path = Path(path)
    _check_path(path)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        # one partition per Parquet file (dask's own read_parquet trips a pandas 3.1 deprecation)
        import pyarrow.dataset as pads
        import pyarrow.parquet as pq

        files = sorted(pads.dataset(str(path), format="parquet", partitioning="hive").files)
        meta = pq.read_schema(files[0]).empty_table().select(spec.columns).to_pandas()
        ddf = dd.from_map(_read_parquet_columns, files, columns=spec.columns, meta=meta)
    else:
        _csv_header(path, spec.columns)
        ddf = dd.read_csv(str(path), blocksize=blocksize, **_read_kwargs(spec))
    g = ddf.groupby(spec.by)
    named = {"rows": (spec.value, "count"), "sum": (spec.value, "sum"), "min": (spec.value, "min"),
             "max": (spec.value, "max")}
    if spec.date:
        named["last"] = (spec.date, "max")
    agg = g.agg(**named)
    nunique = {d: g[d].nunique() for d in spec.distinct}
    with dask.config.set(scheduler=scheduler):
        agg_pd, *counts = dask.compute(agg, *nunique.values())
    return _finish_pandas(agg_pd, dict(zip(nunique, counts)), spec)


def _read_parquet_columns(file: str, columns: list[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(file, columns=columns).to_pandas()


def same_result(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-9) -> str | None:
    """``None`` when two aggregate tables agree (keys, counts, min/max/dates exactly; sums and means to ``rtol``)."""
    if list(a.columns) != list(b.columns):
        return f"columns differ: {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return f"row counts differ: {len(a)} vs {len(b)}"
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if col.endswith("_sum") or col.endswith("_mean"):
            ok = np.isclose(x.astype(float), y.astype(float), rtol=rtol, atol=0.0, equal_nan=True)
        else:
            ok = x == y
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            return f"column {col!r} differs at row {i}: {x[i]!r} vs {y[i]!r} ({int((~ok).sum())} rows)"
    return None


__all__ = ["aggregate_pandas_whole", "aggregate_pandas_chunks", "aggregate_duckdb", "aggregate_dask", "same_result"]

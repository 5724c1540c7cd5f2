"""Lesson 04's teaching helpers on pandas chunks: per-chunk partial aggregates as DataFrames and the merge rule that
combines them exactly (:func:`chunk_partials`, :func:`combine_partials`, :func:`distinct_per_key`), and the classic
mistake kept for the lesson, a mean of chunk means (:func:`mean_of_chunk_means`, :func:`pandas_chunk_means`,
:func:`wrong_mean_share`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd




def chunk_partials(chunk: pd.DataFrame, by: str = "customer_id", value: str = "amount",
                   date: str = "order_date") -> pd.DataFrame:
    """One chunk's partial aggregates per key (rows, sum, mean, min, max, last date) as a DataFrame."""
    g = chunk.groupby(by, sort=True)
    v = g[value]
    out = pd.DataFrame({"rows": v.size(), f"{value}_sum": v.sum(), f"{value}_mean": v.mean(),
                        f"{value}_min": v.min(), f"{value}_max": v.max(), f"last_{date}": g[date].max()})
    return out.rename_axis(by).reset_index()


def combine_partials(partials: list[pd.DataFrame], by: str = "customer_id", value: str = "amount",
                     date: str = "order_date") -> pd.DataFrame:
    """Merge chunk partials exactly: add rows and sums, min of mins, max of maxes; the mean is sum / rows at the end."""
    both = pd.concat(partials, ignore_index=True)
    g = both.groupby(by, sort=True)
    out = pd.DataFrame({"rows": g["rows"].sum(), f"{value}_sum": g[f"{value}_sum"].sum()})
    out[f"{value}_mean"] = out[f"{value}_sum"] / out["rows"]  # derived only now, from the merged sum and count
    out[f"{value}_min"] = g[f"{value}_min"].min()
    out[f"{value}_max"] = g[f"{value}_max"].max()
    out[f"last_{date}"] = g[f"last_{date}"].max()
    return out.rename_axis(by).reset_index()


def distinct_per_key(chunks: list[pd.DataFrame], by: str = "customer_id", col: str = "order_id") -> pd.Series:
    """Exact distinct ``col`` values per key across chunks: union the (key, value) pairs, then count. Never add counts."""
    pairs = pd.concat([c[[by, col]].drop_duplicates() for c in chunks], ignore_index=True).drop_duplicates()
    return pairs.groupby(by, sort=True).size().astype("int64").rename(f"{col}_nunique")


def mean_of_chunk_means(partials: list[pd.DataFrame], by: str = "customer_id", value: str = "amount") -> pd.Series:
    """The source notes' mistake, kept for the lesson: average each key's chunk means (wrong unless counts are equal)."""
    both = pd.concat([p[[by, f"{value}_mean"]] for p in partials], ignore_index=True)
    return both.groupby(by, sort=True)[f"{value}_mean"].mean()


def wrong_mean_share(exact: pd.Series, naive: pd.Series, rtol: float = 1e-9) -> float:
    """Share of keys whose naive mean differs from the exact one (both indexed by key)."""
    naive = naive.reindex(exact.index)
    wrong = ~np.isclose(naive.to_numpy(), exact.to_numpy(), rtol=rtol, atol=0.0)
    return float(wrong.mean()) if len(wrong) else 0.0


def pandas_chunk_means(path: str | Path, chunk_rows: int, by: str = "customer_id", value: str = "amount",
                       date: str = "order_date") -> tuple[pd.DataFrame, pd.Series]:
    """Read ``path`` with ``read_csv(chunksize=...)``; return the exact combined table and the mean of chunk means."""
    parts = [chunk_partials(c, by, value, date) for c in pd.read_csv(
        path, usecols=[by, value, date], dtype={by: "int64", value: "float64"}, parse_dates=[date],
        chunksize=chunk_rows)]
    exact = combine_partials(parts, by, value, date)
    return exact, mean_of_chunk_means(parts, by, value)

"""Aggregate a CSV or Parquet file larger than memory in one streaming pass, exactly.

The trick is to carry *mergeable* partial aggregates per key (sum, count, min, max, last date and an
exact set of distinct values) and derive the mean only at the very end: a mean of chunk means is wrong
whenever chunks hold different numbers of a key's rows. Blocks are parsed by pyarrow with explicit
column types and only the needed columns; each block is reduced with vectorised NumPy (a key -> slot
lookup table, one sort by (slot, order) and ``ufunc.reduceat``) into running state whose size depends on
the number of keys, not on the file size; exact distinct sets spill to disk past a budget. A pool of
threads parses blocks (and collapses each block's runs of one order's lines) while the main thread folds
the previous block into the state, in file order, with a fixed number of blocks in flight. Every input
row is either aggregated or rejected with its line number.

The package, by job (each module's docstring says what it owns):

- :mod:`~pharma_kit.chunked.keysets`: key -> slot map and exact distinct sets (``KeyMap``, ``PairSet``)
- :mod:`~pharma_kit.chunked.partial`: what to aggregate and the running state (``AggSpec``, ``PartialAggregate``)
- :mod:`~pharma_kit.chunked.blocks`: block reading, prefetching and the ordered thread pool
- :mod:`~pharma_kit.chunked.quarantine`: per-block type checks, rejected rows, ``ChunkReport``
- :mod:`~pharma_kit.chunked.files`: the file-level ``aggregate_file`` / ``aggregate_file_report``
- :mod:`~pharma_kit.chunked.teaching`: lesson 04's pandas helpers and the mean-of-chunk-means mistake

Dependencies point one way: keysets <- partial <- quarantine <- files, blocks <- files; teaching stands alone.
"""
from __future__ import annotations

from pharma_kit.chunked.files import CSV_PARSE_THREADS, DEFAULT_BLOCK_BYTES, aggregate_file, aggregate_file_report
from pharma_kit.chunked.keysets import KeyMap, PairSet, sorted_unique
from pharma_kit.chunked.partial import AggSpec, PartialAggregate
from pharma_kit.chunked.quarantine import REJECT_COLUMNS, ChunkReport
from pharma_kit.chunked.teaching import (
    chunk_partials, combine_partials, distinct_per_key, mean_of_chunk_means, pandas_chunk_means, wrong_mean_share,
)

__all__ = [
    "AggSpec", "ChunkReport", "KeyMap", "PairSet", "PartialAggregate", "DEFAULT_BLOCK_BYTES",
    "aggregate_file", "aggregate_file_report", "chunk_partials", "combine_partials", "mean_of_chunk_means",
    "wrong_mean_share", "pandas_chunk_means", "distinct_per_key",
]

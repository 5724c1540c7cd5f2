"""Arrow string arrays read from their buffers: where each value's bytes start, how long they are, and the bytes.

The fast paths of the reader and the parsers ask questions about every value (its first byte, two digits at a fixed
place, any ``x`` in it) that NumPy answers on these arrays in microseconds, without building a Python string.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa


def chunks(arr: pa.Array | pa.ChunkedArray) -> Iterator[pa.Array]:
    """The chunks of a chunked array, or the array itself."""
    yield from (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr])


def value_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, data)`` of a string or large-string chunk: value ``i`` is ``data[starts[i]:][:lengths[i]]``
    (a null value has length 0)."""
    wide = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
    buf = chunk.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, dtype=np.uint8)
    return offsets[:-1], np.diff(offsets), data


__all__ = ["chunks", "value_bytes"]

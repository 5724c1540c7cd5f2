"""One small tool for block pipelines: ``map`` on a thread pool, results in order, a bounded number in flight.

NumPy, Arrow and most of pandas' heavy lifting release the GIL, so two threads really do parse two blocks at once,
in one process (so one memory budget, measured as one process's peak RSS). Used by lesson 04's chunked reader and
by lesson 01's streaming cleaner.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], threads: int, depth: int) -> Iterator[Any]:
    """``map(fn, items)`` on a pool of ``threads``, in order, at most ``depth`` items in flight: memory stays bounded.

    ``items`` is consumed on the caller's thread (the file is read sequentially); ``fn`` runs on the pool.
    """
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pharma_kit-csv-parse")
    pending: deque = deque()
    try:
        it = iter(items)
        for item in it:
            pending.append(pool.submit(fn, item))
            if len(pending) >= depth:
                break
        while pending:
            result = pending.popleft().result()
            for item in it:  # refill before handing the result over: the pool parses while the caller reduces
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)


__all__ = ["ordered_map"]

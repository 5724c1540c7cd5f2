"""Group keys of any shape for :func:`pharma_kit.fast.customer_metrics`: the partitioned kernel and key preparation.

Three shapes of customer key, one kernel:

- **compact integers** (``max - min`` about the row count or less): the key *is* the slot, ``key - min``.
  Rows are partitioned on the slot's high bits (16,384 customers per partition), so each partition's
  per-customer state is a small array indexed directly: no hashing, no comparison.
- **sparse integers** (hashes, ids from several systems, surrogate keys spread over 1e12): rows are partitioned
  on the high bits of ``key - min`` (a radix partition, so partition ``b`` holds only keys below partition
  ``b + 1``'s), then each partition numbers its own keys with a small open-addressing table sized to the
  customers it holds (it grows by doubling), which stays in the core's cache. The partition's few thousand
  distinct keys are then sorted; partitions come out in key order, so no global sort is needed.
- **strings** shaped ``prefix + zero-padded digits`` (``"C00012345"``): parsed to integers straight from the
  Arrow buffers (one parallel pass), then handled as integers; the index is rebuilt from the numbers. Any
  other string column is factorised (hashing) first.

Distinct orders and products per customer are counted inside the partition, on each customer's few rows
(compare with the earlier rows, or sort the run when it is long), so order and product ids may be any
integers and need no table of their own.
"""
from __future__ import annotations

import numba
import numpy as np
import pandas as pd

_NAT = np.iinfo(np.int64).min  # NaT's int64 view
_SIGN = np.int64(np.iinfo(np.int64).min)  # XOR with this maps uint64 order onto int64 order
#: log2(customers per partition) on the direct path: 16,384 customers' running state fits in L2 cache.
_PART_BITS = 14
#: log2(rows per partition) aimed at on the hashed path (the partition's table holds its distinct keys).
_HASH_ROWS_BITS = 17
#: Row chunks for the parallel partition pass (fixed, so the work split does not depend on the machine).
_ROW_CHUNKS = 8
#: Runs of at most this many rows count distinct values by comparing with earlier rows; longer runs sort.
_SMALL_RUN = 16
_FIB = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier (2**64 / golden ratio)


def readonly(values, dtype) -> np.ndarray:
    """A C-contiguous, read-only view (copy only if the dtype or layout differs).

    pandas 3 hands out read-only arrays, NumPy writable ones; Numba compiles one machine-code version per
    (dtype, layout, writeable) combination. Making every kernel input read-only keeps ONE signature per
    kernel, so a notebook pays the compile (or cache load) once.
    """
    arr = np.ascontiguousarray(values, dtype=dtype)
    view = arr.view()
    view.flags.writeable = False
    return view


@numba.njit(cache=True)
def _min_max(values: np.ndarray) -> tuple[int, int]:
    """Smallest and largest value in one pass (``values.min()`` and ``.max()`` would read the data twice)."""
    lo = values[0]
    hi = values[0]
    for v in values:
        if v < lo:
            lo = v
        elif v > hi:
            hi = v
    return lo, hi


@numba.njit(cache=True)
def _n_distinct_pairs(pairs: np.ndarray, s: int, e: int) -> tuple[int, int]:
    """Distinct values in each column of ``pairs[s:e]`` (scratch: long runs are sorted in place)."""
    if e - s <= _SMALL_RUN:  # a short run: compare each row with the earlier ones
        n0 = 0
        n1 = 0
        for a in range(s, e):
            v0 = pairs[a, 0]
            v1 = pairs[a, 1]
            dup0 = False
            dup1 = False
            for b in range(s, a):
                dup0 |= pairs[b, 0] == v0
                dup1 |= pairs[b, 1] == v1
            n0 += not dup0
            n1 += not dup1
        return n0, n1
    counts = np.zeros(2, np.int64)
    for col in range(2):
        run = pairs[s:e, col].copy()
        run.sort()
        count = 1
        for a in range(1, e - s):
            if run[a] != run[a - 1]:
                count += 1
        counts[col] = count
    return counts[0], counts[1]


@numba.njit(cache=True)
def _hash_slots(p_off, lo, hi, l_slot) -> int:
    """Number the distinct keys of rows ``lo:hi`` in order of first sight (``l_slot[j]``); returns how many.

    Open addressing with linear probing; the table starts at 4,096 entries and doubles when half full, so
    it is sized to the partition's customers, not its rows or the id range. The distinct keys are packed
    into ``p_off[lo:lo + k]`` as they are found (in place: key number ``k`` is written at or before the
    row being read), where the second pass finds them.
    """
    bits = 12
    size = 1 << bits
    tab_key = np.empty(size, np.uint64)
    tab_slot = np.full(size, -1, np.int32)
    k = 0
    for j in range(lo, hi):
        key = p_off[j]
        h = np.int64((key * _FIB) >> np.uint64(64 - bits))
        while True:
            s = tab_slot[h]
            if s < 0:
                tab_key[h] = key
                tab_slot[h] = k
                p_off[lo + k] = key
                l_slot[j] = k
                k += 1
                if 2 * k > size:  # grow: rehash the keys seen so far
                    bits += 1
                    size = 1 << bits
                    tab_key = np.empty(size, np.uint64)
                    tab_slot = np.full(size, -1, np.int32)
                    for q in range(k):
                        kq = p_off[lo + q]
                        hq = np.int64((kq * _FIB) >> np.uint64(64 - bits))
                        while tab_slot[hq] >= 0:
                            hq = (hq + 1) & (size - 1)
                        tab_key[hq] = kq
                        tab_slot[hq] = q
                break
            if tab_key[h] == key:
                l_slot[j] = s
                break
            h = (h + 1) & (size - 1)
    return k


@numba.njit(cache=True, parallel=True)
def _partition_kernel(ukey, ulo, direct, shift, n_parts, amount, dates, orders, products, work, part_start, k_part):
    """Pass 1: split rows into partitions and count each partition's distinct keys (``k_part``).

    ``ukey`` are the keys as uint64 and ``ulo`` their minimum, so ``ukey - ulo`` is each key's offset even
    across the whole int64 range. A stable counting sort (row chunks in parallel) splits rows into
    ``n_parts`` partitions on ``offset >> shift``; then, partitions in parallel, each row gets a local slot
    (direct: the offset's low bits; hashed: :func:`_hash_slots`) and the partition's keys are counted.
    """
    p_slot, p_off, p_amount, p_date, p_order, p_product, l_slot = work
    n = ukey.shape[0]
    part_size = 1 << _PART_BITS
    n_chunks = _ROW_CHUNKS
    hist = np.zeros((n_chunks, n_parts + 1), np.int64)
    for c in numba.prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            hist[c, np.int64((ukey[i] - ulo) >> shift)] += 1
    running = 0
    for b in range(n_parts):
        part_start[b] = running
        for c in range(n_chunks):
            count = hist[c, b]
            hist[c, b] = running  # now: where chunk c writes its first row of partition b
            running += count
    part_start[n_parts] = running
    low_mask = np.uint64(part_size - 1)
    for c in numba.prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            off = ukey[i] - ulo
            b = np.int64(off >> shift)
            j = hist[c, b]
            hist[c, b] = j + 1
            if direct:
                p_slot[j] = np.int16(off & low_mask)
            else:
                p_off[j] = off
            p_amount[j] = amount[i]
            p_date[j] = dates[i]
            p_order[j] = orders[i]
            p_product[j] = products[i]
    for b in numba.prange(n_parts):
        lo, hi = part_start[b], part_start[b + 1]
        if direct:
            seen = np.zeros(part_size, np.bool_)
            k = 0
            for j in range(lo, hi):
                g = p_slot[j]
                if not seen[g]:
                    seen[g] = True
                    k += 1
            k_part[b] = k
        else:
            k_part[b] = _hash_slots(p_off, lo, hi, l_slot)


@numba.njit(cache=True, parallel=True)
def _aggregate_kernel(ulo, direct, shift, work, part_start, k_part, out_start, result):
    """Pass 2, partitions in parallel: per-key sums (Kahan, in row order, like pandas), non-NaN counts, last
    date; a counting sort of the partition's (order, product) pairs by slot, distinct values per slot; then
    the partition's keys in key order at ``result[...][out_start[b]:]``. Row order within a key never
    depends on the thread count, so results are identical on any machine."""
    p_slot, p_off, p_amount, p_date, p_order, p_product, l_slot = work
    r_key, r_total, r_orders, r_mean, r_last, r_products = result
    part_size = 1 << _PART_BITS
    for b in numba.prange(k_part.shape[0]):
        lo, hi = part_start[b], part_start[b + 1]
        if lo == hi:
            continue
        n_local = part_size if direct else k_part[b]
        # per-slot state interleaved, so one row's update touches two cache lines, not five
        st_f = np.zeros((n_local, 2))                 # Kahan sum, compensation
        st_i = np.zeros((n_local, 4), np.int64)       # rows, non-NaN amounts, last date, (padding)
        for g in range(n_local):
            st_i[g, 2] = _NAT
        for j in range(lo, hi):
            g = np.int64(p_slot[j]) if direct else np.int64(l_slot[j])
            st_i[g, 0] += 1
            a = p_amount[j]
            if a == a:  # NaN amounts are skipped, as pandas does
                st_i[g, 1] += 1
                y = a - st_f[g, 1]
                t = st_f[g, 0] + y
                cc = (t - st_f[g, 0]) - y
                st_f[g, 1] = 0.0 if cc != cc else cc  # an infinite amount must not turn the sum into NaN
                st_f[g, 0] = t
            d = p_date[j]
            if d > st_i[g, 2]:  # NaT is int64's minimum: never greater
                st_i[g, 2] = d
        # rank of each slot in key order: slot order on the direct path, a sort of the local keys otherwise
        rank = np.empty(n_local, np.int64)
        if direct:
            k = 0
            for g in range(n_local):
                if st_i[g, 0] > 0:
                    rank[g] = k
                    k += 1
        else:
            order = np.argsort(p_off[lo:lo + n_local])
            for r in range(n_local):
                rank[order[r]] = r
        # counting sort of the partition's (order, product) pairs by slot, then distinct values per slot
        start = np.empty(n_local + 1, np.int64)
        start[0] = 0
        for g in range(n_local):
            start[g + 1] = start[g] + st_i[g, 0]
        pos = start[:n_local].copy()
        pairs = np.empty((hi - lo, 2), np.int64)
        for j in range(lo, hi):
            g = np.int64(p_slot[j]) if direct else np.int64(l_slot[j])
            q = pos[g]
            pairs[q, 0] = p_order[j]
            pairs[q, 1] = p_product[j]
            pos[g] = q + 1
        base = np.uint64(b) << shift
        dst = out_start[b]
        for g in range(n_local):
            if st_i[g, 0] == 0:
                continue
            at = dst + rank[g]
            r_key[at] = (base + np.uint64(g) if direct else p_off[lo + g]) + ulo
            r_total[at] = st_f[g, 0]
            r_mean[at] = st_f[g, 0] / st_i[g, 1] if st_i[g, 1] > 0 else np.nan
            r_last[at] = st_i[g, 2]
            r_orders[at], r_products[at] = _n_distinct_pairs(pairs, start[g], start[g + 1])


def plan(keys: np.ndarray) -> tuple[bool, np.uint64, np.uint64, int]:
    """``(direct, lo, shift, n_parts)`` for int64 ``keys``: the direct path when ``max - min`` is within
    the row count (plus 65,536), else the hashed path with about 2**_HASH_ROWS_BITS rows per partition."""
    n = keys.shape[0]
    lo, hi = (int(v) for v in _min_max(keys))
    span = hi - lo + 1  # Python ints: no overflow even for the full int64 range
    ulo = np.uint64(lo & 0xFFFF_FFFF_FFFF_FFFF)
    if span <= n + (1 << 16):
        return True, ulo, np.uint64(_PART_BITS), ((span - 1) >> _PART_BITS) + 1
    want_parts = max(1, n >> _HASH_ROWS_BITS)
    span_bits = (span - 1).bit_length()
    part_bits = min(want_parts.bit_length(), span_bits)
    shift = span_bits - part_bits
    return False, ulo, np.uint64(shift), ((span - 1) >> shift) + 1


def group_metrics(keys: np.ndarray, amount, dates, orders, products):
    """Run the kernels on int64 ``keys`` (read-only arrays of one length). Returns key-ordered arrays
    ``(keys int64, total, order_count, mean, last (int64), distinct_products)``."""
    n = keys.shape[0]
    if n == 0:
        e = np.empty(0, np.int64)
        return e, np.empty(0), e, np.empty(0), e, e
    direct, ulo, shift, n_parts = plan(keys)
    ukey = keys.view(np.uint64)
    # the big scratch is allocated by NumPy (huge pages; allocating hundreds of MB inside the kernel costs
    # a page fault per 4 KiB); the outputs once the number of keys is known
    work = (np.empty(n if direct else 0, np.int16), np.empty(0 if direct else n, np.uint64),
            np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(0 if direct else n, np.int32))
    k_part = np.zeros(n_parts, np.int64)
    part_start = np.zeros(n_parts + 1, np.int64)
    _partition_kernel(ukey, ulo, direct, shift, np.int64(n_parts), amount, dates, orders, products, work,
                      part_start, k_part)
    out_start = np.zeros(n_parts, np.int64)
    np.cumsum(k_part[:-1], out=out_start[1:])
    k = int(k_part.sum())
    result = (np.empty(k, np.uint64), np.empty(k), np.empty(k, np.int64), np.empty(k), np.empty(k, np.int64),
              np.empty(k, np.int64))
    _aggregate_kernel(ulo, direct, shift, work, part_start, k_part, out_start, result)
    return (result[0].view(np.int64),) + result[1:]


# --------------------------------------------------------------------------------------------------
# key preparation
# --------------------------------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True)
def _parse_prefixed(data, offsets, prefix, width):
    """Parse strings ``prefix + digits`` (all ``width`` bytes long, 1..18 digits) to int64.

    Returns ``(values, ok)``; ``ok`` is False when any string has another length, prefix or a non-digit.
    """
    n = offsets.shape[0] - 1
    values = np.empty(n, np.int64)
    n_prefix = prefix.shape[0]
    bad = 0
    for i in numba.prange(n):
        s = offsets[i]
        if offsets[i + 1] - s != width:
            bad += 1
            continue
        v = 0
        ok = True
        for q in range(n_prefix):
            if data[s + q] != prefix[q]:
                ok = False
        for q in range(s + n_prefix, s + width):
            d = np.int64(data[q]) - 48
            if d < 0 or d > 9:
                ok = False
            v = v * 10 + d
        if not ok:
            bad += 1
        values[i] = v
    return values, bad == 0


@numba.njit(cache=True)
def _format_prefixed(values, prefix, width):
    """The inverse of :func:`_parse_prefixed`: fixed-width bytes, ``prefix`` then zero-padded digits."""
    n = values.shape[0]
    n_prefix = prefix.shape[0]
    data = np.empty(n * width, np.uint8)
    for i in range(n):
        s = i * width
        for q in range(n_prefix):
            data[s + q] = prefix[q]
        v = values[i]
        for q in range(s + width - 1, s + n_prefix - 1, -1):
            data[q] = 48 + v % 10
            v //= 10
    return data


def string_keys(s: pd.Series):
    """Integer keys for a string column, a function mapping the sorted result keys back to an index, and
    whether the fast (parsed) path was taken.

    Fast path: an Arrow-backed column whose values all look like ``prefix + digits`` with one length (so
    numeric order is string order). Otherwise ``pd.factorize(sort=True)`` (hashing): codes are the keys.
    """
    arr = s.array
    pa_array = getattr(arr, "_pa_array", None)
    if pa_array is not None and len(s) > 0:
        import pyarrow as pa

        chunk = pa_array.combine_chunks() if pa_array.num_chunks != 1 else pa_array.chunk(0)
        if pa.types.is_large_string(chunk.type) or pa.types.is_string(chunk.type):
            first = chunk[0].as_py()
            width = len(first.encode())
            digits = len(first) - len(first.rstrip("0123456789"))
            n_prefix = width - digits
            if first.isascii() and 1 <= digits <= 18:
                _, off_buf, data_buf = chunk.buffers()
                off_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
                offsets = np.frombuffer(off_buf, dtype=off_type)[chunk.offset:chunk.offset + len(chunk) + 1]
                data = np.frombuffer(data_buf, dtype=np.uint8)
                prefix = np.frombuffer(first[:n_prefix].encode(), dtype=np.uint8)
                values, ok = _parse_prefixed(readonly(data, np.uint8), readonly(offsets, np.int64),
                                             readonly(prefix, np.uint8), np.int64(width))
                if ok:
                    def to_index(keys: np.ndarray) -> pd.Index:
                        buf = _format_prefixed(keys, prefix, np.int64(width))
                        offs = np.arange(0, (len(keys) + 1) * width, width, dtype=np.int64)
                        strings = pa.Array.from_buffers(pa.large_string(), len(keys),
                                                        [None, pa.py_buffer(offs), pa.py_buffer(buf)])
                        return pd.Index(pd.array(strings, dtype=s.dtype), name=s.name)
                    return readonly(values, np.int64), to_index, True
    codes, uniques = pd.factorize(s, sort=True)
    return readonly(codes, np.int64), lambda keys: pd.Index(uniques.take(keys), name=s.name), False


def integer_keys(s: pd.Series):
    """int64 keys for an integer column and a function giving the result index back in the column's dtype.

    uint64 ids above int64's maximum are kept: XOR with the sign bit maps uint64 order onto int64 order.
    """
    dtype = s.dtype
    if dtype == np.uint64:
        raw = s.to_numpy()
        flipped = readonly(raw.view(np.int64) ^ _SIGN, np.int64)
        return flipped, lambda keys: pd.Index((keys ^ _SIGN).view(np.uint64), name=s.name)
    values = readonly(s.to_numpy(dtype=np.int64), np.int64)
    if dtype == np.int64:
        return values, lambda keys: pd.Index(keys, name=s.name)
    return values, lambda keys: pd.Index(keys, name=s.name).astype(dtype)

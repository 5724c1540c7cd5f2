"""Fast per-customer metrics and rolling means: vectorised NumPy plus small Numba kernels.

Lesson 05's library. Two public functions do the real work:

- :func:`customer_metrics` — total, order count, mean amount, last order date and distinct products per
  customer in O(N + K): ids become array slots (no hashing), rows are partitioned so each partition's
  per-customer state fits in cache, then counted, summed (Kahan, like pandas) and de-duplicated there.
- :func:`rolling_mean` — ``pandas.Series.rolling(window, min_periods).mean()`` in O(N) with compensated
  (Kahan) summation, so a NaN or a huge spike only affects the windows that contain it.

The slow versions the lesson starts from (:func:`customer_metrics_mask_loop`, O(N·K), and
:func:`rolling_mean_window_loop`, O(N·W)) live here too, clearly named, so notebooks and benchmarks time
the same code the tests check. Never call them on real data.
"""
from __future__ import annotations

from typing import overload

import numba
import numpy as np
import pandas as pd

from pharma_kit.errors import DataQualityError

#: Output columns of :func:`customer_metrics`, in order.
METRIC_COLUMNS = ["total", "order_count", "mean_amount", "last_order", "distinct_products"]
REQUIRED_COLUMNS = ["customer_id", "order_id", "product_id", "order_date", "amount"]
_NAT = np.iinfo(np.int64).min  # NaT's int64 view
#: Direct addressing (value - min) is used when the id range is at most this many times the row count
#: (per-slot state is ~50 bytes, so this bounds the memory at ~100 bytes per row); sparser ids are factorised.
_MAX_SPAN_FACTOR = 2


def _readonly(values, dtype) -> np.ndarray:
    """A C-contiguous, read-only view (copy only if the dtype or layout differs).

    pandas 3 hands out read-only arrays, NumPy writable ones; Numba compiles one machine-code version per
    (dtype, layout, writeable) combination. Making every kernel input read-only keeps ONE signature per
    kernel, so a notebook pays the compile (or cache load) once.
    """
    arr = np.ascontiguousarray(values, dtype=dtype)
    view = arr.view()
    view.flags.writeable = False
    return view


# --------------------------------------------------------------------------------------------------
# dense codes for integer ids
# --------------------------------------------------------------------------------------------------
@numba.njit(cache=True)
def _offset_codes(values: np.ndarray, lo: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..K-1 in ascending id order via a direct-address table of size ``span``: O(N + span)."""
    table = np.zeros(span, np.int64)
    n = values.shape[0]
    for i in range(n):
        table[values[i] - lo] = 1
    k = 0
    for j in range(span):
        if table[j] != 0:
            table[j] = k
            k += 1
        else:
            table[j] = -1
    uniques = np.empty(k, np.int64)
    for j in range(span):
        if table[j] >= 0:
            uniques[table[j]] = j + lo
    codes = np.empty(n, np.int64)
    for i in range(n):
        codes[i] = table[values[i] - lo]
    return codes, uniques


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map any int64 ids to codes 0..K-1 (``uniques[codes] == values``, uniques ascending).

    Ids in a compact range use a direct-address table (O(N)); sparse ids (e.g. hashes) fall back to a
    hash factorisation. Value-only ``np.unique`` is avoided: on int64 it is many times slower.
    """
    values = _readonly(values, np.int64)
    if values.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo + 1  # Python ints: no overflow even for the full int64 range
    if span <= _MAX_SPAN_FACTOR * values.size + 1024:
        return _offset_codes(values, lo, span)
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=np.int64)


def group_sum(keys, values) -> pd.Series:
    """Sum ``values`` per distinct key (NaN skipped, like pandas) with one ``np.bincount``: O(N + K).

    Keys may be any integers; they are mapped to dense codes first, because ``bincount`` on raw sparse
    ids would allocate one bin per possible id and drop nothing but lose which bins were real.
    """
    v = np.asarray(values, dtype=np.float64)
    codes, uniques = dense_codes(keys)
    if codes.shape != v.shape:
        raise ValueError(f"group_sum: keys and values differ in shape: {codes.shape} vs {v.shape}")
    sums = np.bincount(codes, weights=np.where(np.isnan(v), 0.0, v), minlength=len(uniques))
    return pd.Series(sums, index=pd.Index(uniques, name="key"), name="total")


# --------------------------------------------------------------------------------------------------
# customer metrics
# --------------------------------------------------------------------------------------------------
#: log2(customers per partition): 16384 customers' running state (sums, counts, dates) fits in L2 cache.
_PART_BITS = 14
#: Row chunks for the parallel partition pass (fixed, so the work split does not depend on the machine).
_ROW_CHUNKS = 8


@numba.njit(cache=True, parallel=True)
def _metrics_kernel(cust, cust_lo, n_slots, amount, dates, orders, order_lo, n_orders, products, product_lo,
                    n_products, work, result):
    """Partitioned aggregation: O(N + K) work, laid out so the random accesses hit cache, not RAM.

    Ids enter as ``id - lo``: the slot of a compact id range (or a dense code, with ``lo = 0``).
    1. Mark the first line of each order and detect an order id shared by two customers (in parallel
       when rows are sorted by order id, else one sequential pass with an owner per order).
    2. Rows are partitioned (a stable counting sort, row chunks in parallel) by ``slot >> _PART_BITS``:
       each partition holds at most 2**_PART_BITS customers, whose state then fits in cache.
    3. Partitions in parallel: sums (Kahan, like pandas, in row order), non-NaN counts, last date, distinct
       orders (first lines); a local counting sort by customer, then a marker array counts distinct products.
    Row order within a customer never depends on the thread count, so results are identical on any machine.
    ``work`` holds the big scratch arrays and ``result`` the zeroed outputs (total, [rows, non-NaN amounts,
    last date, distinct orders], distinct products per slot). The caller allocates them with NumPy, which
    asks the OS for huge pages: allocating hundreds of MB inside the kernel costs a page fault per 4 KiB.
    """
    first_line, p_slot, p_amount, p_date, p_product, p_first, g_product, seen_product = work
    total, istate, distinct_products = result
    n = cust.shape[0]
    n_threads = seen_product.shape[0]  # one marker row per thread
    part_size = 1 << _PART_BITS
    # 1. first line of each order. Fast path: rows sorted by order_id (feeds usually are), so an order's
    # lines are adjacent; otherwise remember each order's first customer (a sequential pass).
    unsorted = 0
    for i in numba.prange(1, n):
        if orders[i] < orders[i - 1]:
            unsorted += 1
    if unsorted == 0:
        shared = 0
        for i in numba.prange(n):
            new_order = i == 0 or orders[i] != orders[i - 1]
            first_line[i] = new_order
            if not new_order and cust[i] != cust[i - 1]:
                shared += 1
        shared_orders = shared > 0
    else:
        owner = np.full(n_orders, -1, np.int64)
        shared_orders = False
        for i in range(n):
            o = orders[i] - order_lo
            g = cust[i] - cust_lo
            w = owner[o]
            first_line[i] = w < 0
            if w < 0:
                owner[o] = g
            elif w != g:
                shared_orders = True
    # 2. partition rows by slot >> _PART_BITS: histogram per row chunk, offsets, scatter per row chunk
    n_parts = ((n_slots - 1) >> _PART_BITS) + 1 if n_slots > 0 else 0
    n_chunks = _ROW_CHUNKS
    hist = np.zeros((n_chunks, n_parts + 1), np.int64)
    for c in numba.prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            hist[c, (cust[i] - cust_lo) >> _PART_BITS] += 1
    part_start = np.zeros(n_parts + 1, np.int64)
    running = 0
    for b in range(n_parts):
        part_start[b] = running
        for c in range(n_chunks):
            count = hist[c, b]
            hist[c, b] = running  # now: where chunk c writes its first row of partition b
            running += count
    part_start[n_parts] = running
    p_order = np.empty(n if shared_orders else 0, np.int32)
    for c in numba.prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            g = cust[i] - cust_lo
            j = hist[c, g >> _PART_BITS]
            hist[c, g >> _PART_BITS] = j + 1
            p_slot[j] = g & (part_size - 1)
            p_amount[j] = amount[i]
            p_date[j] = dates[i]
            p_product[j] = products[i] - product_lo
            p_first[j] = first_line[i]
            if shared_orders:
                p_order[j] = orders[i] - order_lo
    # 3. partitions in parallel; per-thread scratch (allocated once) holds the local state
    seen_product[:, :] = -1
    seen_order = np.full((n_threads if shared_orders else 0, n_orders), -1, np.int64)
    g_order = np.empty(n if shared_orders else 0, np.int32)
    rows_t = np.zeros((n_threads, part_size), np.int64)
    nobs_t = np.zeros((n_threads, part_size), np.int64)
    last_t = np.zeros((n_threads, part_size), np.int64)
    first_t = np.zeros((n_threads, part_size), np.int64)
    sum_t = np.zeros((n_threads, part_size))
    comp_t = np.zeros((n_threads, part_size))
    start_t = np.zeros((n_threads, part_size + 1), np.int64)
    pos_t = np.zeros((n_threads, part_size), np.int64)
    for b in numba.prange(n_parts):
        lo, hi = part_start[b], part_start[b + 1]
        if lo == hi:
            continue
        tid = numba.get_thread_id()
        rows = rows_t[tid]
        nobs = nobs_t[tid]
        last = last_t[tid]
        first_lines = first_t[tid]
        s_sum = sum_t[tid]
        s_comp = comp_t[tid]
        local_start = start_t[tid]
        local_pos = pos_t[tid]
        rows[:] = 0
        nobs[:] = 0
        last[:] = _NAT
        first_lines[:] = 0
        s_sum[:] = 0.0
        s_comp[:] = 0.0
        for j in range(lo, hi):
            g = p_slot[j]
            rows[g] += 1
            a = p_amount[j]
            if a == a:  # NaN amounts are skipped, as pandas does
                nobs[g] += 1
                y = a - s_comp[g]
                t = s_sum[g] + y
                c = (t - s_sum[g]) - y
                s_comp[g] = 0.0 if c != c else c  # an infinite amount must not turn the sum into NaN
                s_sum[g] = t
            d = p_date[j]
            if d != _NAT and d > last[g]:
                last[g] = d
            first_lines[g] += p_first[j]
        # local counting sort by customer, then distinct products (and orders, if shared) per customer
        local_start[0] = lo
        for g in range(part_size):
            local_start[g + 1] = local_start[g] + rows[g]
            local_pos[g] = local_start[g]
        for j in range(lo, hi):
            g = p_slot[j]
            g_product[local_pos[g]] = p_product[j]
            if shared_orders:
                g_order[local_pos[g]] = p_order[j]
            local_pos[g] += 1
        base = b << _PART_BITS
        for g in range(min(part_size, n_slots - base)):
            if rows[g] == 0:
                continue
            slot = base + g
            n_distinct = 0
            for k in range(local_start[g], local_start[g + 1]):
                p = g_product[k]
                if seen_product[tid, p] != slot:
                    seen_product[tid, p] = slot
                    n_distinct += 1
            distinct_products[slot] = n_distinct
            n_orders_g = first_lines[g]
            if shared_orders:  # some order_id appears under two customers: count (customer, order) pairs
                n_orders_g = 0
                for k in range(local_start[g], local_start[g + 1]):
                    o = g_order[k]
                    if seen_order[tid, o] != slot:
                        seen_order[tid, o] = slot
                        n_orders_g += 1
            total[slot] = s_sum[g]
            istate[slot, 0] = rows[g]
            istate[slot, 1] = nobs[g]
            istate[slot, 2] = last[g]
            istate[slot, 3] = n_orders_g


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
def _compact(total, istate, distinct_products, out_total, out_orders, out_mean, out_last, out_products, out_slot):
    """Keep the slots that hold rows (in slot order = id order) and compute the mean: one sequential pass."""
    k = 0
    for slot in range(istate.shape[0]):
        if istate[slot, 0] == 0:
            continue
        out_slot[k] = slot
        out_total[k] = total[slot]
        out_orders[k] = istate[slot, 3]
        out_mean[k] = total[slot] / istate[slot, 1] if istate[slot, 1] > 0 else np.nan
        out_last[k] = istate[slot, 2]
        out_products[k] = distinct_products[slot]
        k += 1


def _slots(values: np.ndarray) -> tuple[np.ndarray, int, int, np.ndarray | None]:
    """``(ids, lo, n_slots, uniques)``: a compact range is used as is (slot = id - lo, ``uniques`` None);
    sparse ids are replaced by dense codes (slot = code, ``uniques`` maps codes back to ids)."""
    if values.size == 0:
        return values, 0, 0, None
    lo, hi = (int(v) for v in _min_max(values))
    span = hi - lo + 1  # Python ints: no overflow even for the full int64 range
    if span <= _MAX_SPAN_FACTOR * values.size + 1024:
        return values, lo, span, None
    codes, uniques = pd.factorize(values, sort=True)
    return _readonly(codes, np.int64), 0, len(uniques), np.asarray(uniques, dtype=np.int64)


def _first_null_row(frame: pd.DataFrame, column: str) -> object:
    """The index label of the first null in ``column`` (for error messages)."""
    return frame.index[np.flatnonzero(frame[column].isna().to_numpy())[0]]


def _id_array(frame: pd.DataFrame, column: str) -> np.ndarray:
    """An id column as int64, or a DataQualityError naming the column and the first bad row."""
    s = frame[column]
    if not isinstance(s.dtype, np.dtype) and s.isna().any():  # NumPy int columns cannot hold nulls
        raise DataQualityError(f"customer_metrics: column {column!r} has nulls (first at row "
                               f"{_first_null_row(frame, column)!r}); drop or repair them before aggregating")
    if not pd.api.types.is_integer_dtype(s.dtype):
        raise DataQualityError(f"customer_metrics: column {column!r} must hold integers, got dtype {s.dtype}")
    return s.to_numpy(dtype=np.int64)


def _check_frame(df: pd.DataFrame) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"customer_metrics expects a DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DataQualityError(f"customer_metrics: missing column(s) {missing}; have {list(df.columns)}")
    if not pd.api.types.is_datetime64_dtype(df["order_date"].dtype):
        raise DataQualityError(f"customer_metrics: column 'order_date' must be datetime64 (parse it first), "
                               f"got dtype {df['order_date'].dtype}")
    if not pd.api.types.is_numeric_dtype(df["amount"].dtype) or pd.api.types.is_bool_dtype(df["amount"].dtype):
        raise DataQualityError(f"customer_metrics: column 'amount' must be numeric, got dtype {df['amount'].dtype}")


def customer_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Per-customer total, order count, mean amount, last order date and distinct products, in O(N + K).

    Matches :func:`customer_metrics_pandas` (the pandas named-agg reference): ``order_count`` is the number
    of DISTINCT ``order_id`` values (an order with three lines counts once); NaN amounts are skipped
    (``total`` of an all-NaN customer is 0.0, its ``mean_amount`` NaN); NaT dates are skipped. Customer ids
    may be any int64 values (sparse, negative, huge). Null ids raise :class:`DataQualityError`.
    """
    _check_frame(df)
    cust = _readonly(_id_array(df, "customer_id"), np.int64)
    orders = _readonly(_id_array(df, "order_id"), np.int64)
    products = _readonly(_id_array(df, "product_id"), np.int64)
    amount = _readonly(df["amount"].to_numpy(dtype=np.float64, na_value=np.nan), np.float64)
    date_dtype = df["order_date"].dtype
    dates = _readonly(df["order_date"].to_numpy().view(np.int64), np.int64)

    cust, cust_lo, n_slots, cust_uniques = _slots(cust)
    orders, order_lo, n_orders, _ = _slots(orders)
    products, product_lo, n_products, _ = _slots(products)
    n = len(cust)
    work = (np.empty(n, np.bool_), np.empty(n, np.int16), np.empty(n),
            np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.bool_),
            np.empty(n, np.int32),  # product slots, counting-sorted by customer within each partition
            np.empty((numba.config.NUMBA_NUM_THREADS, n_products), np.int64))  # a marker row per thread
    total, istate, distinct_products = result = (np.zeros(n_slots), np.zeros((n_slots, 4), np.int64),
                                                 np.zeros(n_slots, np.int64))
    _metrics_kernel(cust, cust_lo, n_slots, amount, dates, orders, order_lo, n_orders, products, product_lo,
                    n_products, work, result)
    k = int(np.count_nonzero(istate[:, 0]))  # customers = slots that hold at least one row
    out = (np.empty(k), np.empty(k, np.int64), np.empty(k), np.empty(k, np.int64), np.empty(k, np.int64),
           np.empty(k, np.int64))
    _compact(total, istate, distinct_products, *out)
    out_total, out_orders, out_mean, out_last, out_products, used = out
    customers = used + cust_lo if cust_uniques is None else cust_uniques[used]
    return pd.DataFrame(
        {
            "total": out_total,
            "order_count": out_orders,
            "mean_amount": out_mean,
            "last_order": out_last.view(date_dtype),
            "distinct_products": out_products,
        },
        index=pd.Index(customers, name="customer_id"),
        copy=False,  # the arrays are ours and fresh: no need for pandas to copy them into blocks
    )


def customer_metrics_pandas(df: pd.DataFrame) -> pd.DataFrame:
    """The reference: pandas groupby with named aggregations (what :func:`customer_metrics` must equal)."""
    _check_frame(df)
    return df.groupby("customer_id").agg(
        total=("amount", "sum"),
        order_count=("order_id", "nunique"),
        mean_amount=("amount", "mean"),
        last_order=("order_date", "max"),
        distinct_products=("product_id", "nunique"),
    )


def customer_metrics_mask_loop(df: pd.DataFrame, customers=None) -> pd.DataFrame:
    """The TRAP, kept for timing only: one boolean mask per customer scans all N rows, so O(N·K).

    It looks vectorised (no per-row Python) but runs K full passes over the data: hours at 10M rows.
    ``customers`` restricts the loop to some ids, to time a few and extrapolate.
    """
    _check_frame(df)
    cust = df["customer_id"].to_numpy()
    amount = df["amount"].to_numpy(dtype=np.float64)
    orders = df["order_id"].to_numpy()
    products = df["product_id"].to_numpy()
    dates = df["order_date"].to_numpy()
    customers = np.sort(pd.unique(cust)) if customers is None else np.sort(np.asarray(customers, dtype=np.int64))
    rows = []
    for c in customers:
        mask = cust == c  # a full pass over N rows, once per customer
        a = amount[mask]
        ok = ~np.isnan(a)
        d = dates[mask]
        rows.append((a[ok].sum(), len(set(orders[mask].tolist())),
                     a[ok].mean() if ok.any() else np.nan, d.max() if len(d) else np.datetime64("NaT"),
                     len(set(products[mask].tolist()))))
    out = pd.DataFrame(rows, columns=METRIC_COLUMNS, index=pd.Index(customers, name="customer_id"))
    out["last_order"] = out["last_order"].astype(df["order_date"].dtype)
    return out


# --------------------------------------------------------------------------------------------------
# rolling mean
# --------------------------------------------------------------------------------------------------
#: From this many values on, ``rolling_mean`` splits the work into chunks run on all cores.
_PARALLEL_MIN_VALUES = 1_000_000
#: Fixed chunk count (not the thread count), so results are identical on any machine.
_ROLLING_CHUNKS = 8


@numba.njit(cache=True)
def _rolling_mean_kernel(x: np.ndarray, window: int, min_periods: int, out: np.ndarray, lo: int, hi: int) -> None:
    """O(N) sliding mean of ``out[lo:hi]``: add the new value, remove the one leaving, Kahan-compensated.

    Starts ``window - 1`` values before ``lo`` so a chunk's first window is complete. Each of the two
    updates carries its own compensation term (one shared term loses the saved bits when a huge value
    leaves). NaNs are counted out (``nobs``) instead of summed, so a NaN only touches the windows holding
    it. Mirrors pandas' kernel: a window of identical values returns that value exactly, and a window of
    non-negative values never returns a tiny negative rounding residue. ``out`` is allocated by the caller
    with NumPy (huge pages: allocating 80 MB inside the kernel costs ~20k page faults).
    """
    start = max(0, lo - window + 1)
    total = 0.0
    comp_add = 0.0
    comp_remove = 0.0
    nobs = 0
    n_negative = 0
    same_run = 0
    prev = np.nan
    for i in range(start, hi):
        if i - window >= start:
            u = x[i - window]
            if u == u:
                nobs -= 1
                y = -u - comp_remove
                t = total + y
                comp_remove = (t - total) - y
                total = t
                if u < 0:
                    n_negative -= 1
        v = x[i]
        if v == v:
            nobs += 1
            y = v - comp_add
            t = total + y
            comp_add = (t - total) - y
            total = t
            if v < 0:
                n_negative += 1
            if v == prev:
                same_run += 1
            else:
                same_run = 1
                prev = v
        if i < lo:
            continue
        if nobs >= min_periods and nobs > 0:
            r = total / nobs
            if same_run >= nobs:
                r = prev
            elif n_negative == 0 and r < 0:
                r = 0.0
            elif n_negative == nobs and r > 0:
                r = 0.0
            out[i] = r
        else:
            out[i] = np.nan


@numba.njit(cache=True, parallel=True)
def _rolling_mean_parallel(x: np.ndarray, window: int, min_periods: int, out: np.ndarray, n_chunks: int) -> None:
    """Run :func:`_rolling_mean_kernel` on ``n_chunks`` contiguous chunks in parallel (each warms up on its own)."""
    n = x.shape[0]
    for c in numba.prange(n_chunks):
        _rolling_mean_kernel(x, window, min_periods, out, c * n // n_chunks, (c + 1) * n // n_chunks)


def _validate_window(window: int, min_periods: int | None) -> tuple[int, int]:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"rolling_mean: window must be a positive integer, got {window!r}")
    if min_periods is None:
        return int(window), int(window)
    if isinstance(min_periods, bool) or not isinstance(min_periods, (int, np.integer)) \
            or not 0 <= min_periods <= window:
        raise ValueError(f"rolling_mean: min_periods must be an integer in [0, window={window}], got {min_periods!r}")
    return int(window), int(min_periods)


@overload
def rolling_mean(values: pd.Series, window: int, min_periods: int | None = None) -> pd.Series: ...
@overload
def rolling_mean(values: np.ndarray | list, window: int, min_periods: int | None = None) -> np.ndarray: ...


def rolling_mean(values, window, min_periods=None):
    """Trailing mean over ``window`` values in O(N): ``pd.Series(values).rolling(window, min_periods).mean()``.

    NaNs are skipped (a window needs ``min_periods`` non-NaN values, default ``window``); compensated
    summation keeps one 1e12 spike from leaving drift behind once it leaves the window. From 1M values
    on, 8 chunks run in parallel (2x on two idle cores; each chunk's sums start afresh, so results may
    differ from the serial path in the last bits).
    A Series in gives a Series out (same index and name); anything else gives a float64 ndarray.
    """
    window, min_periods = _validate_window(window, min_periods)
    x = _readonly(values, np.float64)
    if x.ndim != 1:
        raise ValueError(f"rolling_mean: values must be one-dimensional, got shape {x.shape}")
    n = x.shape[0]
    out = np.empty(n)
    if n >= _PARALLEL_MIN_VALUES and window * _ROLLING_CHUNKS * 16 <= n:
        _rolling_mean_parallel(x, np.int64(window), np.int64(min_periods), out, np.int64(_ROLLING_CHUNKS))
    else:
        _rolling_mean_kernel(x, np.int64(window), np.int64(min_periods), out, np.int64(0), np.int64(n))
    if isinstance(values, pd.Series):
        return pd.Series(out, index=values.index, name=values.name)
    return out


@numba.njit(cache=True, parallel=True)
def rolling_mean_window_loop(values: np.ndarray, window: int) -> np.ndarray:
    """The TRAP, kept for timing only: re-sums every window, O(N·W) (the source notes' kernel, on all cores).

    Same result as ``rolling_mean(values, window, min_periods=1)`` on NaN-free data, W times the work.
    """
    n = values.shape[0]
    out = np.empty(n)
    for i in numba.prange(n):
        lo = max(0, i - window + 1)
        out[i] = values[lo:i + 1].mean()
    return out


__all__ = [
    "METRIC_COLUMNS", "customer_metrics", "customer_metrics_pandas", "customer_metrics_mask_loop",
    "dense_codes", "group_sum", "rolling_mean", "rolling_mean_window_loop",
]

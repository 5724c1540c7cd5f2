"""Fast per-customer metrics and rolling means: vectorised NumPy plus small Numba kernels.

Lesson 05's library. Two public functions do the real work:

- :func:`customer_metrics` — total, order count, mean amount, last order date and distinct products per
  customer in O(N + K): rows are partitioned so each partition's per-customer state fits in cache, then
  counted, summed (Kahan, like pandas) and de-duplicated there. The key's shape picks how a row finds its
  customer (:func:`customer_key_shape`; kernels in :mod:`pharma_kit.fast_keys`): compact ids are array
  slots, sparse ids go through a radix partition and a small per-partition hash table, ``"C000123"``-style
  strings are parsed to numbers.
- :func:`rolling_mean` — ``pandas.Series.rolling(window, min_periods).mean()`` in O(N) with compensated
  (Kahan) summation, so a NaN, an inf or a huge spike only affects the windows that contain it; a sum that
  collapses anyway is recomputed exactly.

The slow versions the lesson starts from (:func:`customer_metrics_mask_loop`, O(N·K), and
:func:`rolling_mean_window_loop`, O(N·W)) live here too, clearly named, so notebooks and benchmarks time
the same code the tests check. Never call them on real data.
"""
from __future__ import annotations

from typing import overload

import numba
import numpy as np
import pandas as pd

from pharma_kit import fast_keys
from pharma_kit.errors import DataQualityError

#: Output columns of :func:`customer_metrics`, in order.
METRIC_COLUMNS = ["total", "order_count", "mean_amount", "last_order", "distinct_products"]
REQUIRED_COLUMNS = ["customer_id", "order_id", "product_id", "order_date", "amount"]
#: ``dense_codes`` uses a direct-address table when the id range is at most this many times the row count.
_MAX_SPAN_FACTOR = 2


_readonly = fast_keys.readonly


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
# customer metrics (the kernel and the key shapes live in pharma_kit.fast_keys)
# --------------------------------------------------------------------------------------------------
_PART_BITS = fast_keys._PART_BITS
_min_max = fast_keys._min_max


def _first_null_row(frame: pd.DataFrame, column: str) -> object:
    """The index label of the first null in ``column`` (for error messages)."""
    return frame.index[np.flatnonzero(frame[column].isna().to_numpy())[0]]


def _check_ids(frame: pd.DataFrame, column: str, allow_strings: bool = False) -> None:
    """Raise a DataQualityError naming the column (and the first null row) unless it holds usable ids."""
    s = frame[column]
    is_string = allow_strings and (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object
                                   or s.dtype == object and len(s) > 0 and s.map(type).eq(str).all())
    if not (isinstance(s.dtype, np.dtype) and s.dtype != object) and s.isna().any():
        raise DataQualityError(f"customer_metrics: column {column!r} has nulls (first at row "
                               f"{_first_null_row(frame, column)!r}); drop or repair them before aggregating")
    if not (pd.api.types.is_integer_dtype(s.dtype) or is_string):
        kinds = "integers or strings" if allow_strings else "integers"
        raise DataQualityError(f"customer_metrics: column {column!r} must hold {kinds}, got dtype {s.dtype}")


def _id_array(frame: pd.DataFrame, column: str) -> np.ndarray:
    """An order/product id column as int64 (only equality matters: uint64 is reinterpreted, not rewritten)."""
    _check_ids(frame, column)
    s = frame[column]
    if s.dtype == np.uint64:
        return _readonly(s.to_numpy().view(np.int64), np.int64)
    return _readonly(s.to_numpy(dtype=np.int64), np.int64)


def _check_frame(df: pd.DataFrame) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"customer_metrics expects a DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DataQualityError(f"customer_metrics: missing column(s) {missing}; have {list(df.columns)}")
    dtype = df["order_date"].dtype
    if not (pd.api.types.is_datetime64_dtype(dtype) or isinstance(dtype, pd.DatetimeTZDtype)):
        raise DataQualityError(f"customer_metrics: column 'order_date' must be datetime64, naive or tz-aware "
                               f"(parse it first), got dtype {dtype}")
    if not pd.api.types.is_numeric_dtype(df["amount"].dtype) or pd.api.types.is_bool_dtype(df["amount"].dtype):
        raise DataQualityError(f"customer_metrics: column 'amount' must be numeric, got dtype {df['amount'].dtype}")


def _date_array(s: pd.Series) -> tuple[np.ndarray, object]:
    """``order_date`` as int64 ticks (UTC instants for tz-aware data) and a function rebuilding the dates."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        ticks = s.array.asi8  # the UTC instants: max is the same moment whatever the zone
        unit = np.dtype(f"datetime64[{dtype.unit}]")
        return _readonly(ticks, np.int64), lambda last: pd.DatetimeIndex(last.view(unit)).tz_localize("UTC") \
            .tz_convert(dtype.tz).array
    return _readonly(s.to_numpy().view(np.int64), np.int64), lambda last: last.view(dtype)


def customer_key_shape(customer_ids) -> str:
    """Which path :func:`customer_metrics` takes for these ids: ``"direct"`` (a compact integer range: the
    id is the array slot), ``"hashed"`` (sparse integers: radix partition + a small hash table per
    partition), ``"parsed"`` (``prefix + digits`` strings, parsed to integers first, then direct or hashed)
    or ``"factorized"`` (other strings: ``pd.factorize``)."""
    s = pd.Series(customer_ids)
    if pd.api.types.is_integer_dtype(s.dtype):
        keys, _ = fast_keys.integer_keys(s)
        return "direct" if len(keys) == 0 or fast_keys.plan(keys)[0] else "hashed"
    keys, _, parsed = fast_keys.string_keys(s)
    if not parsed:
        return "factorized"
    return "parsed, " + ("direct" if fast_keys.plan(keys)[0] else "hashed")


def customer_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Per-customer total, order count, mean amount, last order date and distinct products, in O(N + K).

    Matches :func:`customer_metrics_pandas` (the pandas named-agg reference): ``order_count`` is the number
    of DISTINCT ``order_id`` values (an order with three lines counts once); NaN amounts are skipped
    (``total`` of an all-NaN customer is 0.0, its ``mean_amount`` NaN); NaT dates are skipped. Customer ids
    may be any integers (sparse, negative, huge, uint64 above int64's maximum: the index keeps the column's
    dtype) or strings; ``order_date`` may be naive or tz-aware (``last_order`` keeps the zone). The path is
    chosen from the ids' shape (see :func:`customer_key_shape`). Null ids raise :class:`DataQualityError`.
    """
    _check_frame(df)
    _check_ids(df, "customer_id", allow_strings=True)
    cust_col = df["customer_id"]
    if pd.api.types.is_integer_dtype(cust_col.dtype):
        cust, to_index = fast_keys.integer_keys(cust_col)
    else:
        cust, to_index, _ = fast_keys.string_keys(cust_col)
    orders = _id_array(df, "order_id")
    products = _id_array(df, "product_id")
    amount = _readonly(df["amount"].to_numpy(dtype=np.float64, na_value=np.nan), np.float64)
    dates, to_dates = _date_array(df["order_date"])
    keys, total, order_count, mean, last, n_products = fast_keys.group_metrics(cust, amount, dates, orders, products)
    index = to_index(keys)
    index.name = "customer_id"
    return pd.DataFrame(
        {
            "total": total,
            "order_count": order_count,
            "mean_amount": mean,
            "last_order": to_dates(last),
            "distinct_products": n_products,
        },
        index=index,
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


#: The running sum is recomputed exactly when it collapses below this fraction of the largest value that
#: passed through it since the last recompute (a compensated running sum's error scales with that value).
_COLLAPSE_BITS = 16
_COLLAPSE = 2.0 ** -_COLLAPSE_BITS
_ABS_MASK = 0x7FFF_FFFF_FFFF_FFFF  # clears a float64's sign bit
_INF_BITS = 0x7FF0_0000_0000_0000  # |x| bits at or above this: inf or NaN


@numba.njit(cache=True)
def _max_abs_bits(bits: np.ndarray, a: int, b: int) -> int:
    """Bits of the largest finite ``|x|`` in ``x[a:b]`` (given as int64 bits): integer max, vectorised."""
    seg = bits[a:b]  # indices from 0: no negative-index wraparound test, so the loop vectorises
    m = 0
    for i in range(seg.shape[0]):
        v = seg[i] & _ABS_MASK
        m = max(m, v if v < _INF_BITS else 0)
    return m


@numba.njit(cache=True)
def _any_below(bits: np.ndarray, a: int, b: int, limit_bits: int) -> bool:
    """Whether some ``|x|`` in ``x[a:b]`` (as bits) is below the float whose bits are ``limit_bits``."""
    seg = bits[a:b]
    count = 0
    for i in range(seg.shape[0]):
        count += (seg[i] & _ABS_MASK) < limit_bits
    return count > 0


@numba.njit(cache=True)
def _exact_window_sum(x: np.ndarray, a: int, b: int) -> tuple[float, float]:
    """Sum of the finite values of ``x[a:b]`` (Neumaier's compensated sum: within an ulp or so of
    ``math.fsum`` for a window), and the largest magnitude among them."""
    total = 0.0
    comp = 0.0
    big = 0.0
    for i in range(a, b):
        v = x[i]
        if v - v == 0.0:  # finite: NaN and +-inf are missing values
            t = total + v
            if abs(total) >= abs(v):
                comp += (total - t) + v
            else:
                comp += (v - t) + total
            total = t
            if abs(v) > big:
                big = abs(v)
    return total + comp, big


#: Values per block of the rolling mean: each block runs the lean loop, then one vectorised check of its
#: outputs decides whether it must be redone with the careful (collapse-checking) loop.
_ROLL_BLOCK = 1024


def _make_roll_pass(careful: bool):
    """One pass of the rolling mean over ``[a, b)`` from ``state``; ``careful`` (a compile-time constant)
    adds the per-window collapse check and exact recompute. Returns the state after ``b - 1``."""

    @numba.njit(inline="always")
    def roll_pass(x, window, min_periods, out, start, lo, a, b, state):
        total, comp_add, comp_remove, nobs, n_negative, same_run, prev, big, spent = state
        for i in range(a, b):
            if i - window >= start:
                u = x[i - window]
                if u - u == 0.0:  # finite: NaN and +-inf are missing values
                    nobs -= 1
                    y = -u - comp_remove
                    t = total + y
                    comp_remove = (t - total) - y
                    total = t
                    if u < 0:
                        n_negative -= 1
            v = x[i]
            if v - v == 0.0:
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
                if careful and abs(v) > big:
                    big = abs(v)
            if careful and abs(total) < big * _COLLAPSE:
                if nobs == 0:
                    total = comp_add = comp_remove = big = 0.0  # an empty window: exactly 0, start afresh
                elif i - spent >= window:
                    total, big = _exact_window_sum(x, max(start, i - window + 1), i + 1)
                    comp_add = comp_remove = 0.0
                    spent += window
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
        return total, comp_add, comp_remove, nobs, n_negative, same_run, prev, big, spent

    return roll_pass


_roll_lean = _make_roll_pass(False)
_roll_careful = _make_roll_pass(True)


@numba.njit(cache=True)
def _rolling_mean_kernel(x: np.ndarray, window: int, min_periods: int, out: np.ndarray, lo: int, hi: int) -> None:
    """O(N) sliding mean of ``out[lo:hi]``: add the new value, remove the one leaving, Kahan-compensated.

    Starts ``window - 1`` values before ``lo`` so a chunk's first window is complete. Each of the two
    updates carries its own compensation term (one shared term loses the saved bits when a huge value
    leaves). NaN and +-inf are missing values, as in pandas (which turns inf into NaN before rolling):
    counted out (``nobs``) instead of summed, so they only touch the windows holding them. Mirrors pandas'
    kernel: a window of identical values returns that value exactly, and a window of non-negative values
    never returns a tiny negative rounding residue.

    Beyond pandas: a compensated running sum still collapses when a huge value leaves a window of tiny
    ones (1e15 among 1e-3: pandas returns 0.0). Its error scales with the largest value that passed through
    it (``big``), so a window whose ``|sum| < _COLLAPSE * big`` is recomputed from scratch with
    :func:`_exact_window_sum`. Checking that at every value would slow the lean loop by ~20%, so values run
    in blocks: the lean loop, then a vectorised scan of the block's outputs (``|mean| <= |sum|``); only a
    block where some ``|mean| < _COLLAPSE * big`` is redone with the careful loop. A credit of one value
    per step (a recompute costs ``window``) keeps the total work O(N) even when sums hover at zero.
    ``out`` is allocated by the caller with NumPy (huge pages: allocating 80 MB inside the kernel costs
    ~20k page faults).
    """
    start = max(0, lo - window + 1)
    # state: total, comp_add, comp_remove, nobs, n_negative, same_run, prev, big, spent (recompute credit:
    # i - spent values' worth; each recompute spends window)
    state = (0.0, 0.0, 0.0, 0, 0, 0, np.nan, 0.0, start - 2 * window)
    bits = x.view(np.int64)
    out_bits = out.view(np.int64)
    box = np.empty(1)  # float <-> bits
    box_bits = box.view(np.int64)
    for a in range(start, hi, _ROLL_BLOCK):
        b = min(a + _ROLL_BLOCK, hi)
        after = _roll_lean(x, window, min_periods, out, start, lo, a, b, state)
        # keep the lean pass unless some window may have collapsed: |sum| >= |mean| >= limit is safe.
        # Both scans compare IEEE bit patterns as integers (same order for |x|), so they vectorise.
        box[0] = state[7]
        big_bits = max(box_bits[0], _max_abs_bits(bits, a, b))
        box_bits[0] = big_bits
        limit_bits = max(0, big_bits - (_COLLAPSE_BITS << 52))  # bits of big * 2**-_COLLAPSE_BITS
        suspicious = (after[3] == 0 and after[0] != 0.0) or _any_below(out_bits, max(a, lo), b, limit_bits)
        if suspicious:
            state = _roll_careful(x, window, min_periods, out, start, lo, a, b, state)
        else:
            state = after[:7] + (box[0], after[8])


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

    NaN and +-inf are skipped, as pandas does (a window needs ``min_periods`` finite values, default
    ``window``); compensated summation keeps one 1e12 spike from leaving drift behind once it leaves the
    window, and a sum that collapses (a 1e15 value leaving a window of 1e-3 values) is recomputed exactly,
    so results stay within ~1e-12 of ``math.fsum`` where pandas returns 0.0. From 1M values
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
    "customer_key_shape", "dense_codes", "group_sum", "rolling_mean", "rolling_mean_window_loop",
]

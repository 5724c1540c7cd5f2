"""Compare an expected and an actual answer; describe the first difference in plain words.

Handles DataFrames, Series, NumPy arrays, scalars (with float tolerance), and lists/tuples/dicts of those.
Dtypes are compared only when asked (``check_dtype``): int64 vs Int64 is usually not what an exercise is about.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


class Mismatch(str):
    """A plain-words description of the first difference."""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


def _is_missing(v: Any) -> bool:
    try:
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _scalar_equal(a: Any, b: Any, rtol: float, atol: float) -> bool:
    if _is_missing(a) or _is_missing(b):
        return _is_missing(a) and _is_missing(b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b) and type(a) is not str and type(b) is not str
    if isinstance(a, (int, float, np.integer, np.floating)) and isinstance(b, (int, float, np.integer, np.floating)):
        return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)
    if isinstance(a, (pd.Timestamp, np.datetime64)) or isinstance(b, (pd.Timestamp, np.datetime64)):
        try:
            return pd.Timestamp(a) == pd.Timestamp(b)
        except (TypeError, ValueError):
            return False
    if isinstance(a, (pd.Timedelta, np.timedelta64)) or isinstance(b, (pd.Timedelta, np.timedelta64)):
        try:
            return pd.Timedelta(a) == pd.Timedelta(b)
        except (TypeError, ValueError):
            return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _compare_values(name: str, index: pd.Index, exp: pd.Series, got: pd.Series, rtol: float, atol: float) -> str | None:
    e = exp.to_numpy(dtype=object)
    g = got.to_numpy(dtype=object)
    # fast path for numeric columns
    if pd.api.types.is_numeric_dtype(exp.dtype) and pd.api.types.is_numeric_dtype(got.dtype) \
            and not pd.api.types.is_bool_dtype(exp.dtype) and not pd.api.types.is_bool_dtype(got.dtype):
        ef = exp.astype("float64").to_numpy()
        gf = got.astype("float64").to_numpy()
        both_nan = np.isnan(ef) & np.isnan(gf)
        with np.errstate(invalid="ignore"):
            close = np.isclose(ef, gf, rtol=rtol, atol=atol) | both_nan
        bad = np.flatnonzero(~close)
    else:
        bad = np.array([i for i in range(len(e)) if not _scalar_equal(e[i], g[i], rtol, atol)], dtype=int)
    if len(bad) == 0:
        return None
    i = int(bad[0])
    more = f" ({len(bad)} rows differ in all)" if len(bad) > 1 else ""
    return f"{name}, row {_fmt(index[i])}: expected {_fmt(e[i])}, got {_fmt(g[i])}{more}"


def _compare_frames(exp: pd.DataFrame, got: pd.DataFrame, rtol: float, atol: float, check_dtype: bool,
                    check_order: bool, check_names: bool) -> str | None:
    if list(map(str, exp.columns)) != list(map(str, got.columns)):
        missing = [c for c in exp.columns if c not in got.columns]
        extra = [c for c in got.columns if c not in exp.columns]
        if missing or extra:
            return f"columns differ: missing {missing}, unexpected {extra}"
        return f"column order differs: expected {list(exp.columns)}, got {list(got.columns)}"
    if len(exp) != len(got):
        return f"expected {len(exp)} rows, got {len(got)}"
    if check_names and list(exp.index.names) != list(got.index.names):
        return f"index names differ: expected {list(exp.index.names)}, got {list(got.index.names)}"
    if not check_order:
        try:
            exp = exp.sort_index(kind="stable")
            got = got.sort_index(kind="stable")
            if not exp.index.is_unique or isinstance(exp.index, pd.RangeIndex):
                cols = list(exp.columns)
                exp = exp.sort_values(cols, kind="stable").reset_index(drop=True)
                got = got.sort_values(cols, kind="stable").reset_index(drop=True)
        except TypeError:
            pass
    if not exp.index.equals(got.index):
        diff = np.flatnonzero(exp.index.to_numpy(dtype=object) != got.index.to_numpy(dtype=object))
        i = int(diff[0]) if len(diff) else 0
        return f"index differs at position {i}: expected {_fmt(exp.index[i])}, got {_fmt(got.index[i])}"
    for col in exp.columns:
        if check_dtype and str(exp[col].dtype) != str(got[col].dtype):
            return f"column {col!r}: expected dtype {exp[col].dtype}, got {got[col].dtype}"
        msg = _compare_values(f"column {col!r}", exp.index, exp[col], got[col], rtol, atol)
        if msg:
            return msg
    return None


def compare(expected: Any, got: Any, *, rtol: float = 1e-9, atol: float = 1e-9, check_dtype: bool = False,
            check_order: bool = True, check_names: bool = True) -> Mismatch | None:
    """Return ``None`` when ``got`` matches ``expected``, else a :class:`Mismatch` naming the first difference."""
    kw = dict(rtol=rtol, atol=atol, check_dtype=check_dtype, check_order=check_order, check_names=check_names)
    if got is None and expected is not None:
        return Mismatch("your function returned None (did you forget `return`?)")
    if isinstance(expected, pd.DataFrame):
        if not isinstance(got, pd.DataFrame):
            return Mismatch(f"expected a DataFrame, got {type(got).__name__}")
        m = _compare_frames(expected, got, rtol, atol, check_dtype, check_order, check_names)
        return Mismatch(m) if m else None
    if isinstance(expected, pd.Series):
        if not isinstance(got, pd.Series):
            return Mismatch(f"expected a Series, got {type(got).__name__}")
        if check_names and expected.name != got.name:
            return Mismatch(f"Series name differs: expected {expected.name!r}, got {got.name!r}")
        m = _compare_frames(expected.to_frame("value"), got.to_frame("value"), rtol, atol, check_dtype, check_order,
                            check_names)
        return Mismatch(m) if m else None
    if isinstance(expected, np.ndarray):
        got_arr = np.asarray(got)
        if expected.shape != got_arr.shape:
            return Mismatch(f"expected shape {expected.shape}, got {got_arr.shape}")
        m = _compare_values("array", pd.RangeIndex(expected.size), pd.Series(expected.ravel()),
                            pd.Series(got_arr.ravel()), rtol, atol)
        return Mismatch(m.replace(", row", ", position")) if m else None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Mismatch(f"expected a dict, got {type(got).__name__}")
        if set(expected) != set(got):
            return Mismatch(f"keys differ: missing {sorted(map(str, set(expected) - set(got)))}, "
                            f"unexpected {sorted(map(str, set(got) - set(expected)))}")
        for k in expected:
            m = compare(expected[k], got[k], **kw)
            if m:
                return Mismatch(f"key {k!r}: {m}")
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return Mismatch(f"expected a {type(expected).__name__}, got {type(got).__name__}")
        if len(expected) != len(got):
            return Mismatch(f"expected {len(expected)} items, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            m = compare(e, g, **kw)
            if m:
                return Mismatch(f"item {i}: {m}")
        return None
    if not _scalar_equal(expected, got, rtol, atol):
        return Mismatch(f"expected {_fmt(expected)}, got {_fmt(got)}")
    return None

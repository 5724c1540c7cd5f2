"""Compare an expected and an actual answer; describe the first difference in plain words.

Handles DataFrames, Series, NumPy arrays, scalars (with float tolerance), and lists/tuples/dicts of those.
Dtypes are compared only when asked (``check_dtype``): int64 vs Int64 is usually not what an exercise is about.
Each property a prompt may or may not fix has its own switch, so a question enforces exactly what its prompt
states: ``check_dtype``, ``check_order`` (row order), ``check_series_name`` (a Series' ``.name``),
``check_index_names`` (the index's names) and ``check_index`` (the index labels themselves; off means the rows are
compared by position, so a learner may keep the original index or make a fresh one).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


class Mismatch(str):
    """A plain-words description of the first difference; ``row`` is the first differing row's label, if any."""

    row: Any = None

    @classmethod
    def at(cls, text: str, row: Any = None) -> "Mismatch":
        m = cls(text)
        m.row = row
        return m


class _Found(str):
    """An internal message that remembers the row label it is about."""

    row: Any = None


def _found(text: str, row: Any = None) -> _Found:
    f = _Found(text)
    f.row = row
    return f


def _fmt(v: Any) -> str:
    if isinstance(v, np.generic) and not isinstance(v, (np.datetime64, np.timedelta64)):
        v = v.item()                                  # 6, not np.int64(6)
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
    return _found(f"{name}, row {_fmt(index[i])}: expected {_fmt(e[i])}, got {_fmt(g[i])}{more}", index[i])


def _positional(index: pd.Index) -> bool:
    """A default 0..n-1 index carries no keys (pandas also makes RangeIndex from consecutive integer keys)."""
    return (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and all(n is None for n in index.names))


def _sorted_rows(frame: pd.DataFrame, by_index: bool) -> pd.DataFrame:
    """Rows in a canonical order (index first when it carries the keys, then every column)."""
    if by_index and not _positional(frame.index):
        frame = frame.sort_index(kind="stable")
        if frame.index.is_unique:
            return frame
        cols = list(frame.columns)
        keys = frame.index.to_frame(index=False).set_axis(
            [f"__index_{i}" for i in range(frame.index.nlevels)], axis=1)
        both = pd.concat([keys, frame.reset_index(drop=True)], axis=1)
        order = both.sort_values(list(both.columns), kind="stable").index
        return frame.iloc[order]
    cols = list(frame.columns)
    return frame.reset_index(drop=True).sort_values(cols, kind="stable").reset_index(drop=True)


def _index_hint(exp: pd.DataFrame, got: pd.DataFrame, rtol: float, atol: float) -> str:
    """Why the index differs, when the values themselves match by position."""
    same_values = all(_compare_values("", pd.RangeIndex(len(exp)), exp[c].reset_index(drop=True),
                                      got[c].reset_index(drop=True), rtol, atol) is None for c in exp.columns)
    if not same_values:
        return ""
    if isinstance(exp.index, pd.RangeIndex) and exp.index.start == 0:
        return " (your values are right, but the prompt asks for a fresh 0-based index: try reset_index(drop=True))"
    return " (your values are right in this order, but the index labels differ: check which index the prompt asks for)"


def _compare_frames(exp: pd.DataFrame, got: pd.DataFrame, rtol: float, atol: float, check_dtype: bool,
                    check_order: bool, check_index_names: bool, check_index: bool = True,
                    what: str = "column") -> str | None:
    if list(map(str, exp.columns)) != list(map(str, got.columns)):
        missing = [c for c in exp.columns if c not in got.columns]
        extra = [c for c in got.columns if c not in exp.columns]
        if missing or extra:
            return f"columns differ: missing {missing}, unexpected {extra}"
        return f"column order differs: expected {list(exp.columns)}, got {list(got.columns)}"
    if len(exp) != len(got):
        return f"expected {len(exp)} rows, got {len(got)}"
    if check_index and check_index_names and list(exp.index.names) != list(got.index.names):
        return f"index names differ: expected {list(exp.index.names)}, got {list(got.index.names)}"
    if not check_order:
        try:
            exp = _sorted_rows(exp, check_index)
            got = _sorted_rows(got, check_index)
        except TypeError:
            pass
    if not check_index:
        exp = exp.reset_index(drop=True)
        got = got.reset_index(drop=True)
    if not exp.index.equals(got.index):
        e_ix, g_ix = exp.index.to_numpy(dtype=object), got.index.to_numpy(dtype=object)
        diff = [i for i in range(len(e_ix)) if not _scalar_equal(e_ix[i], g_ix[i], 0.0, 0.0)]
        if diff or exp.index.nlevels != got.index.nlevels:
            i = diff[0] if diff else 0
            return (f"index differs at position {i}: expected {_fmt(exp.index[i])}, got {_fmt(got.index[i])}"
                    + _index_hint(exp, got, rtol, atol))
        got = got.set_axis(exp.index)           # same labels, other index type (e.g. Index vs RangeIndex)
    for col in exp.columns:
        if check_dtype and str(exp[col].dtype) != str(got[col].dtype):
            return f"{what} {col!r}: expected dtype {exp[col].dtype}, got {got[col].dtype}"
        msg = _compare_values(f"{what} {col!r}", exp.index, exp[col], got[col], rtol, atol)
        if msg:
            return msg
    return None


def compare(expected: Any, got: Any, *, rtol: float = 1e-9, atol: float = 1e-9, check_dtype: bool = False,
            check_order: bool = True, check_names: bool = True, check_series_name: bool | None = None,
            check_index_names: bool | None = None, check_index: bool = True) -> Mismatch | None:
    """Return ``None`` when ``got`` matches ``expected``, else a :class:`Mismatch` naming the first difference.

    ``check_names`` is the default for both ``check_series_name`` and ``check_index_names``.
    """
    series_name = check_names if check_series_name is None else check_series_name
    index_names = check_names if check_index_names is None else check_index_names
    kw = dict(rtol=rtol, atol=atol, check_dtype=check_dtype, check_order=check_order,
              check_series_name=series_name, check_index_names=index_names, check_index=check_index)
    if got is None and expected is not None:
        return Mismatch("your function returned None (did you forget `return`?)")
    if isinstance(expected, pd.DataFrame):
        if not isinstance(got, pd.DataFrame):
            return Mismatch(f"expected a DataFrame, got {type(got).__name__}")
        m = _compare_frames(expected, got, rtol, atol, check_dtype, check_order, index_names, check_index)
        return Mismatch.at(m, getattr(m, "row", None)) if m else None
    if isinstance(expected, pd.Series):
        if not isinstance(got, pd.Series):
            return Mismatch(f"expected a Series, got {type(got).__name__}")
        if series_name and expected.name != got.name:
            return Mismatch(f"Series name differs: expected {expected.name!r}, got {got.name!r}")
        label = expected.name if expected.name is not None else "values"
        m = _compare_frames(expected.to_frame(label), got.to_frame(label), rtol, atol, check_dtype, check_order,
                            index_names, check_index, what="Series")
        return Mismatch.at(m, getattr(m, "row", None)) if m else None
    if isinstance(expected, np.ndarray):
        got_arr = np.asarray(got)
        if expected.shape != got_arr.shape:
            return Mismatch(f"expected shape {expected.shape}, got {got_arr.shape}")
        if check_dtype and expected.dtype != got_arr.dtype:
            return Mismatch(f"expected dtype {expected.dtype}, got {got_arr.dtype}")
        m = _compare_values("array", pd.RangeIndex(expected.size), pd.Series(expected.ravel()),
                            pd.Series(got_arr.ravel()), rtol, atol)
        return Mismatch.at(m.replace(", row", ", position"), getattr(m, "row", None)) if m else None
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

"""The SQL checker glue: run a drill's SQL twin (or a learner's query) on in-memory DuckDB as a checkable function.

The twins themselves live beside their drills in :mod:`pharma_kit.drills.topics`.

Every DataFrame argument of a drill is registered as a table of the same name; every scalar argument is a
``$name`` parameter. The runner normalises DuckDB's result (index, Series shape) so the same checker and the
same tolerance apply as for the pandas answer: the comparison is never loosened for SQL.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pandas as pd

Post = Callable[[pd.DataFrame, dict[str, Any]], Any]


def _param(v: Any) -> Any:
    """Python scalars DuckDB binds without surprises."""
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


_BASE: Any = None


def _cursor() -> Any:
    """A fresh cursor on one shared in-memory database: cheap (ms), and its temp tables die with it."""
    global _BASE
    import duckdb

    if _BASE is None:
        _BASE = duckdb.connect()
    return _BASE.cursor()


def run_sql(query: str, tables: dict[str, pd.DataFrame], params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``query`` on in-memory DuckDB with ``tables`` registered; return the last statement's result.

    Each call gets its own cursor (connection), so registered frames and TEMP tables never leak between calls.
    """
    con = _cursor()
    try:
        for name, frame in tables.items():
            con.register(name, frame)
        used = {k: _param(v) for k, v in (params or {}).items() if f"${k}" in query}
        result = con.execute(query, used) if used else con.execute(query)
        return result.df()
    finally:
        con.close()


def split_case(case: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Frames become tables, everything else a parameter."""
    tables = {k: v for k, v in case.items() if isinstance(v, pd.DataFrame)}
    params = {k: v for k, v in case.items() if not isinstance(v, pd.DataFrame)}
    return tables, params


def as_is(df: pd.DataFrame, case: dict[str, Any]) -> pd.DataFrame:
    """The query already returns the reference's shape."""
    return df


def indexed(col: str) -> Post:
    """Post-processor: move ``col`` into the index."""
    def post(df: pd.DataFrame, case: dict[str, Any]) -> pd.DataFrame:
        # an explicit Index: pandas 3's set_index turns consecutive integer keys into a RangeIndex
        return df.drop(columns=col).set_axis(pd.Index(df[col].to_numpy(), name=col), axis=0)
    return post


def series(index: str, value: str, name: str | None = None, index_name: str | None = None) -> Post:
    """Post-processor: a two-column result becomes a Series."""
    def post(df: pd.DataFrame, case: dict[str, Any]) -> pd.Series:
        s = df.set_index(index)[value].rename(name if name is not None else value)
        return s.rename_axis(index_name if index_name is not None else index)
    return post


def json_payloads(case: dict[str, Any]) -> dict[str, Any]:
    """Transport for the JSON drill: each record becomes one JSON text row of table ``raw``."""
    return {"raw": pd.DataFrame({"payload": pd.Series([json.dumps(r) for r in case["records"]], dtype="str")})}


def sql_function(query: str, post: Post = as_is,
                 inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Callable[..., Any]:
    """Wrap a query as a Python function with the drill's signature, so the exercise checker can run it."""
    def answer(**case: Any) -> Any:
        prepared = inputs(case) if inputs is not None else case
        tables, params = split_case(prepared)
        return post(run_sql(query, tables, params), case)

    answer.__name__ = "sql_answer"
    return answer


__all__ = ["run_sql", "sql_function", "split_case", "as_is", "indexed", "series", "json_payloads"]

"""The Larkspur warehouse through SQLAlchemy 2: SQLite by default, PostgreSQL when configured.

Design rules this module enforces (lesson 06):

- **Where**: ``PHARMA_KIT_WAREHOUSE_URL`` (or ``warehouse_url`` in the YAML file named by
  ``PHARMA_KIT_CONFIG``, read by :mod:`pharma_kit.config`; its password only from
  ``PHARMA_KIT_WAREHOUSE_PASSWORD``) names the database; without either, a SQLite file under the project's data
  directory (``PHARMA_KIT_DATA_DIR``, default ``<project>/data``). Nothing to start for the default.
- **Secrets**: a URL's password is never printed: ``repr``, errors and logs use :func:`mask_url`.
- **SQL**: only SQLAlchemy Core constructs with bound parameters; table names are validated
  against the known schema before use. No string is ever pasted into SQL.
- **Idempotent loads**: :meth:`Warehouse.replace_partition` deletes and inserts one (day, source)
  partition *and* its ETL-metadata row in a single transaction, so a retry or a re-run gives the
  same contents and a crash between the delete and the insert rolls back to the previous partition.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url

from pharma_kit.errors import ConfigError, TransientError

URL_ENV = "PHARMA_KIT_WAREHOUSE_URL"
DATA_DIR_ENV = "PHARMA_KIT_DATA_DIR"
CONFIG_ENV = "PHARMA_KIT_CONFIG"
SQLITE_NAME = "warehouse.sqlite"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

metadata = sa.MetaData()

#: One row per cleaned transaction line; a partition is one (sale_date, source).
sales_fact = sa.Table(
    "sales_fact", metadata,
    sa.Column("sale_date", sa.Date, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("transaction_id", sa.BigInteger, nullable=False),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("store_id", sa.BigInteger, nullable=False),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("order_date", sa.DateTime, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("sale_date", "source", "transaction_id", name="pk_sales_fact"),
)

#: One row per (run_date, source): what the last successful load of that partition did.
etl_runs = sa.Table(
    "etl_runs", metadata,
    sa.Column("run_date", sa.Date, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("rows_in", sa.BigInteger, nullable=False),
    sa.Column("kept", sa.BigInteger, nullable=False),
    sa.Column("rejected", sa.BigInteger, nullable=False),
    sa.Column("loaded", sa.BigInteger, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.PrimaryKeyConstraint("run_date", "source", name="pk_etl_runs"),
)

#: The published daily summary per store (refreshed only when the quality check passes).
daily_sales = sa.Table(
    "daily_sales", metadata,
    sa.Column("sale_date", sa.Date, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("store_id", sa.BigInteger, nullable=False),
    sa.Column("orders", sa.BigInteger, nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("revenue", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("sale_date", "source", "store_id", name="pk_daily_sales"),
)

TABLES: dict[str, sa.Table] = {t.name: t for t in (sales_fact, etl_runs, daily_sales)}
FACT_COLUMNS = [c.name for c in sales_fact.columns]
ETL_COLUMNS = [c.name for c in etl_runs.columns]
RUN_STATUSES = ("loaded", "published", "needs_review")


# -- configuration -----------------------------------------------------------------------------------
def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The project's data directory: ``PHARMA_KIT_DATA_DIR`` or ``<project>/data``."""
    env = os.environ if env is None else env
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV])
    return Path(__file__).resolve().parents[1] / "data"


#: The only environment variables the URL depends on (the config loader rejects unknown PHARMA_KIT_* names).
_URL_KEYS = (URL_ENV, "PHARMA_KIT_WAREHOUSE_PASSWORD", CONFIG_ENV)


def resolve_url(url: str | None = None, *, env: Mapping[str, str] | None = None) -> str:
    """The warehouse URL: explicit > config (``PHARMA_KIT_WAREHOUSE_URL`` / ``PHARMA_KIT_CONFIG`` file, password
    from ``PHARMA_KIT_WAREHOUSE_PASSWORD``) > a SQLite file in the data directory."""
    env = os.environ if env is None else env
    if url:
        return url
    relevant = {k: env[k] for k in _URL_KEYS if env.get(k)}
    if URL_ENV in relevant or CONFIG_ENV in relevant:
        try:
            from pharma_kit.config import load_config
        except ImportError:  # pragma: no cover - the lesson-07 loader ships with the package
            if URL_ENV in relevant:
                return relevant[URL_ENV]
            raise ConfigError(f"{CONFIG_ENV} is set but pharma_kit.config is unavailable") from None
        return load_config(env=relevant).warehouse_dsn()
    return sqlite_url(default_data_dir(env) / SQLITE_NAME)


def sqlite_url(path: str | os.PathLike) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite:///{Path(path)}"


def mask_url(url: str | sa.URL) -> str:
    """The URL with its password (and any ``password=`` query value) replaced by ``***``."""
    try:
        u = make_url(url) if isinstance(url, str) else url
    except sa_exc.ArgumentError:
        return "<unparseable warehouse URL>"
    if u.query:
        q = {k: ("***" if "pass" in k.lower() else v) for k, v in u.query.items()}
        u = u.set(query=q)
    return u.render_as_string(hide_password=True)


def validate_table(name: str) -> sa.Table:
    """The schema's table called ``name``; anything else (or a non-identifier) is a ConfigError."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ConfigError(f"invalid table name {name!r}: expected a lower-case SQL identifier")
    if name not in TABLES:
        raise ConfigError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}")
    return TABLES[name]


def _as_date(day: Any) -> dt.date:
    """A ``datetime.date`` from a date, datetime, Timestamp or ISO string."""
    return pd.Timestamp(day).date()


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (drivers do not all adapt NumPy scalars)."""
    cols = list(columns)
    values: dict[str, list] = {}
    for c in cols:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            values[c] = [None if pd.isna(v) else v.to_pydatetime() for v in s]
        else:
            values[c] = s.tolist()
    return [dict(zip(cols, row)) for row in zip(*(values[c] for c in cols))] if len(frame) else []


class Warehouse:
    """A connection to the warehouse; safe to print (the password is masked)."""

    def __init__(self, url: str | None = None, *, env: Mapping[str, str] | None = None, echo: bool = False):
        raw = resolve_url(url, env=env)
        try:
            parsed = make_url(raw)
        except sa_exc.ArgumentError:
            raise ConfigError("the warehouse URL is not a valid SQLAlchemy URL (value not shown)") from None
        self.url_masked = mask_url(parsed)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except (ImportError, sa_exc.ArgumentError) as exc:
            raise ConfigError(f"cannot create an engine for {self.url_masked}: {exc.__class__.__name__}") from None

    def __repr__(self) -> str:
        return f"Warehouse({self.url_masked!r})"

    __str__ = __repr__

    # -- plumbing ------------------------------------------------------------------------------------
    def _begin(self):
        """A transaction; connection failures become TransientError (retryable) with a masked URL."""
        return _Tx(self)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_schema(self) -> None:
        """Create the tables if they are missing (idempotent)."""
        with self._begin() as conn:
            metadata.create_all(conn, checkfirst=True)

    def drop_schema(self) -> None:
        """Drop the course's tables (tests and notebooks start from a clean slate)."""
        with self._begin() as conn:
            metadata.drop_all(conn, checkfirst=True)

    # -- writes --------------------------------------------------------------------------------------
    def _insert_rows(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (a no-op for none): one executemany with bound parameters."""
        if rows:
            conn.execute(table.insert(), rows)

    def replace_partition(self, day: Any, source: str, rows: pd.DataFrame, run: Mapping[str, Any], *,
                          on_deleted: Callable[[Connection], None] | None = None) -> int:
        """Replace the (day, source) partition of ``sales_fact`` and its ``etl_runs`` row atomically.

        Delete-then-insert inside ONE transaction: re-running gives the same contents, and if anything
        fails before the commit (``on_deleted`` is a test seam to inject that crash) the old partition
        is still there. Returns the number of fact rows loaded.
        """
        day = _as_date(day)
        frame = rows.copy()
        frame["sale_date"] = day
        frame["source"] = source
        missing = [c for c in FACT_COLUMNS if c not in frame.columns]
        if missing:
            raise ConfigError(f"replace_partition: rows lack columns {missing}")
        records = _records(frame, FACT_COLUMNS)
        run_row = {**{k: run[k] for k in ETL_COLUMNS if k in run}, "run_date": day, "source": source,
                   "loaded": len(records)}
        lacking = [c for c in ETL_COLUMNS if c not in run_row]
        if lacking:
            raise ConfigError(f"replace_partition: the run record lacks {lacking}")
        part = sa.and_(sales_fact.c.sale_date == day, sales_fact.c.source == source)
        with self._begin() as conn:
            conn.execute(sa.delete(sales_fact).where(part))
            conn.execute(sa.delete(etl_runs).where(sa.and_(etl_runs.c.run_date == day, etl_runs.c.source == source)))
            if on_deleted is not None:
                on_deleted(conn)
            self._insert_rows(conn, sales_fact, records)
            self._insert_rows(conn, etl_runs, [run_row])
        return len(records)

    def replace_daily_sales(self, day: Any, summary: pd.DataFrame) -> int:
        """Replace the day's rows of the published ``daily_sales`` summary in one transaction."""
        day = _as_date(day)
        frame = summary.copy()
        frame["sale_date"] = day
        records = _records(frame, [c.name for c in daily_sales.columns])
        with self._begin() as conn:
            conn.execute(sa.delete(daily_sales).where(daily_sales.c.sale_date == day))
            self._insert_rows(conn, daily_sales, records)
        return len(records)

    def set_status(self, day: Any, status: str, sources: Iterable[str] | None = None) -> int:
        """Set the ``etl_runs`` status of the day's rows (all sources, or those given)."""
        if status not in RUN_STATUSES:
            raise ConfigError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        cond = etl_runs.c.run_date == _as_date(day)
        if sources is not None:
            cond = sa.and_(cond, etl_runs.c.source.in_(list(sources)))
        with self._begin() as conn:
            return conn.execute(sa.update(etl_runs).where(cond).values(status=status)).rowcount

    # -- reads ---------------------------------------------------------------------------------------
    def read_table(self, name: str, *, day: Any = None) -> pd.DataFrame:
        """A whole table (or one day of it), sorted by its primary key, with stable dtypes."""
        table = validate_table(name)
        stmt = sa.select(table)
        if day is not None:
            date_col = table.c.run_date if "run_date" in table.c else table.c.sale_date
            stmt = stmt.where(date_col == _as_date(day))
        stmt = stmt.order_by(*table.primary_key.columns)
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return _normalise(frame, table)

    def partition_counts(self) -> pd.DataFrame:
        """Rows per (sale_date, source) in ``sales_fact``."""
        stmt = (sa.select(sales_fact.c.sale_date, sales_fact.c.source, sa.func.count().label("rows"))
                .group_by(sales_fact.c.sale_date, sales_fact.c.source)
                .order_by(sales_fact.c.sale_date, sales_fact.c.source))
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        frame["sale_date"] = pd.to_datetime(frame["sale_date"]).astype("datetime64[us]")
        frame["rows"] = frame["rows"].astype("int64")
        return frame

    def summarise_day(self, day: Any) -> pd.DataFrame:
        """Per (source, store): distinct orders, units and revenue of ``day`` (computed in the database)."""
        f = sales_fact.c
        stmt = (sa.select(f.source, f.store_id, sa.func.count(sa.distinct(f.order_id)).label("orders"),
                          sa.func.sum(f.quantity).label("units"), sa.func.sum(f.amount).label("revenue"))
                .where(f.sale_date == _as_date(day)).group_by(f.source, f.store_id).order_by(f.source, f.store_id))
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        frame = frame.astype({"source": "str", "store_id": "int64", "orders": "int64", "units": "int64",
                              "revenue": "float64"})
        frame["revenue"] = frame["revenue"].round(2)
        return frame[_summary_columns()]

    def partition_metrics(self, day: Any) -> pd.DataFrame:
        """Per source for ``day``: fact rows, nulls, non-positive amounts, rows dated off the day."""
        day = _as_date(day)
        start = dt.datetime.combine(day, dt.time())
        end = start + dt.timedelta(days=1)
        f = sales_fact.c
        bad_date = sa.or_(f.order_date < start, f.order_date >= end)
        null_any = sa.or_(f.customer_id.is_(None), f.amount.is_(None), f.order_date.is_(None))
        stmt = (sa.select(
            f.source,
            sa.func.count().label("fact_rows"),
            sa.func.sum(sa.case((null_any, 1), else_=0)).label("null_rows"),
            sa.func.sum(sa.case((f.amount <= 0, 1), else_=0)).label("non_positive_amount"),
            sa.func.sum(sa.case((bad_date, 1), else_=0)).label("off_day_rows"),
            sa.func.count(sa.distinct(f.transaction_id)).label("distinct_ids"),
            sa.func.sum(f.amount).label("revenue"),
        ).where(f.sale_date == day).group_by(f.source).order_by(f.source))
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        for c in ("fact_rows", "null_rows", "non_positive_amount", "off_day_rows", "distinct_ids"):
            frame[c] = frame[c].astype("int64")
        frame["revenue"] = frame["revenue"].astype("float64").round(2)
        return frame.astype({"source": "str"})


def _summary_columns() -> list[str]:
    return [c.name for c in daily_sales.columns if c.name != "sale_date"]


def _normalise(frame: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """Give a read-back table the same dtypes on SQLite and PostgreSQL."""
    for col in table.columns:
        name = col.name
        if isinstance(col.type, (sa.Date, sa.DateTime)):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif isinstance(col.type, sa.BigInteger):
            frame[name] = frame[name].astype("int64")
        elif isinstance(col.type, sa.Float):
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].astype("str")
    return frame


class _Tx:
    """``engine.begin()`` that turns connection-level failures into a masked ``TransientError``."""

    def __init__(self, wh: Warehouse):
        self.wh = wh
        self.cm = None

    def __enter__(self) -> Connection:
        try:
            self.cm = self.wh.engine.begin()
            return self.cm.__enter__()
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise TransientError(f"cannot reach the warehouse at {self.wh.url_masked}: "
                                 f"{exc.orig.__class__.__name__ if exc.orig else exc.__class__.__name__}") from None

    def __exit__(self, et, ev, tb) -> bool:
        try:
            self.cm.__exit__(et, ev, tb)
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise TransientError(f"the warehouse at {self.wh.url_masked} failed mid-transaction: "
                                 f"{exc.orig.__class__.__name__ if exc.orig else exc.__class__.__name__}") from None
        if isinstance(ev, sa_exc.OperationalError) and "locked" in str(ev).lower():
            raise TransientError(f"the warehouse at {self.wh.url_masked} is locked; try again") from None
        return False


__all__ = [
    "URL_ENV", "DATA_DIR_ENV", "CONFIG_ENV", "TABLES", "FACT_COLUMNS", "ETL_COLUMNS", "RUN_STATUSES",
    "Warehouse", "default_data_dir", "resolve_url", "sqlite_url", "mask_url", "validate_table",
    "sales_fact", "etl_runs", "daily_sales", "metadata",
]

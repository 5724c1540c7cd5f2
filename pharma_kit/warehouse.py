"""The Larkspur warehouse through SQLAlchemy 2: SQLite by default, PostgreSQL or MariaDB/MySQL when configured.

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
  The same transaction stores the partition's quarantined rows (with their source line numbers) and
  un-publishes the partition's ``daily_sales`` rows: published aggregates are only ever rebuilt by
  ``publish`` from rows that were checked, so they never disagree with the fact table.
- **Never hang, never race**: on PostgreSQL every connection sets ``lock_timeout`` and ``statement_timeout``;
  a lock wait that runs out is a :class:`TransientError` that says so. Two loads of the same partition
  are serialised by a transaction-scoped advisory lock (SQLite serialises writers itself).
- **MariaDB/MySQL** (``mysql+pymysql://``, InnoDB): sessions run READ COMMITTED (no gap locks, so loads of
  different partitions never deadlock) with ``innodb_lock_wait_timeout`` and ``max_statement_time``
  (``max_execution_time`` on MySQL); a load first upserts its partition's ``etl_runs`` row, whose row lock then
  serialises two loads of one partition until commit (the advisory lock's job on PostgreSQL). Times are
  ``DATETIME(6)`` and money ``DOUBLE`` there: a bare ``DATETIME`` keeps whole seconds, a bare ``FLOAT`` is 4 bytes.
- **Fail fast on what a retry cannot fix**: refused credentials, a missing database or an unparseable URL are
  a :class:`ConfigError` (not retried); an unreachable server or a lock timeout is a :class:`TransientError`.
- **Validated keys**: a source is a short lower-case identifier, a partition date lies in
  [``MIN_PARTITION_DAY``, ``MAX_PARTITION_DAY``]; anything else is refused before the transaction starts.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql as sa_mysql
from sqlalchemy.engine import Connection, Engine, make_url

from pharma_kit.errors import ConfigError, DataQualityError, TransientError

URL_ENV = "PHARMA_KIT_WAREHOUSE_URL"
DATA_DIR_ENV = "PHARMA_KIT_DATA_DIR"
CONFIG_ENV = "PHARMA_KIT_CONFIG"
PASSWORD_ENV = "PHARMA_KIT_WAREHOUSE_PASSWORD"
SQLITE_NAME = "warehouse.sqlite"
#: How long a statement may wait for a lock, and run at all, before the database cancels it (PostgreSQL);
#: on SQLite the lock timeout is the busy timeout. Override per ``Warehouse(lock_timeout_s=...)``.
LOCK_TIMEOUT_S = 15.0
STATEMENT_TIMEOUT_S = 600.0
#: Partition dates outside this range are refused (9999-12-31 would overflow "the next day").
MIN_PARTITION_DAY = dt.date(1900, 1, 1)
MAX_PARTITION_DAY = dt.date(2199, 12, 31)
_SOURCE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

metadata = sa.MetaData()

#: SQLAlchemy backend names of the MySQL family (``mysql+pymysql://`` and ``mariadb+pymysql://``).
MYSQL_DIALECTS = ("mysql", "mariadb")
#: Microsecond times and 8-byte floats on every backend (MySQL/MariaDB need explicit variants for both).
_DATETIME = sa.DateTime().with_variant(sa_mysql.DATETIME(fsp=6), *MYSQL_DIALECTS)
_DOUBLE = sa.Float().with_variant(sa_mysql.DOUBLE(asdecimal=False), *MYSQL_DIALECTS)

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
    sa.Column("order_date", _DATETIME, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("amount", _DOUBLE, nullable=False),
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
    sa.Column("duration_s", _DOUBLE, nullable=False),
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
    sa.Column("revenue", _DOUBLE, nullable=False),
    sa.PrimaryKeyConstraint("sale_date", "source", "store_id", name="pk_daily_sales"),
)

#: Every quarantined line of a loaded partition: traceable to the feed's line (``line``) with its reason.
quarantine = sa.Table(
    "quarantine", metadata,
    sa.Column("run_date", sa.Date, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("line", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("run_date", "source", "line", "reason", name="pk_quarantine"),
)

TABLES: dict[str, sa.Table] = {t.name: t for t in (sales_fact, etl_runs, daily_sales, quarantine)}
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
_URL_KEYS = (URL_ENV, PASSWORD_ENV, CONFIG_ENV)
def _check_env_names(env: Mapping[str, str]) -> None:
    """A misspelt warehouse variable (``PHARMA_KIT_WAREHOUSE_PASWORD``) is an error, never silently ignored.

    Names the kit reads elsewhere (``pharma_kit.config.OTHER_ENV``: the test suites' server URLs) are fine.
    """
    try:
        from pharma_kit.config import OTHER_ENV
    except ImportError:  # pragma: no cover - the lesson-07 loader ships with the package
        OTHER_ENV = frozenset()
    ours = (URL_ENV, PASSWORD_ENV)
    for name in sorted(env):
        if not name.startswith("PHARMA_KIT_") or name in ours or name in OTHER_ENV or name == CONFIG_ENV:
            continue
        close = difflib.get_close_matches(name, ours, n=1, cutoff=0.85)
        if name.startswith("PHARMA_KIT_WAREHOUSE") or close:
            hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(ours)}"
            raise ConfigError(f"{name}: unknown warehouse variable in the environment{hint} (value not shown)")


def resolve_url(url: str | None = None, *, env: Mapping[str, str] | None = None) -> str:
    """The warehouse URL: explicit > config (``PHARMA_KIT_WAREHOUSE_URL`` / ``PHARMA_KIT_CONFIG`` file, password
    from ``PHARMA_KIT_WAREHOUSE_PASSWORD``) > a SQLite file in the data directory."""
    env = os.environ if env is None else env
    if url:
        return url
    _check_env_names(env)
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
    except (sa_exc.ArgumentError, ValueError):
        return "<unparseable warehouse URL>"
    if u.host and "@" in u.host:  # an unescaped '@' in the password: everything before the last '@' is secret
        u = u.set(password="***", host=u.host.rsplit("@", 1)[1])
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


def check_day(day: Any) -> dt.date:
    """A partition date, refused (ConfigError) when missing or outside [MIN_PARTITION_DAY, MAX_PARTITION_DAY]."""
    try:
        d = _as_date(day)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(f"invalid partition date {day!r}") from None
    if not isinstance(d, dt.date) or pd.isna(pd.Timestamp(day)):
        raise ConfigError(f"invalid partition date {day!r}")
    if not MIN_PARTITION_DAY <= d <= MAX_PARTITION_DAY:
        raise ConfigError(f"partition date {d.isoformat()} is outside [{MIN_PARTITION_DAY}, {MAX_PARTITION_DAY}]; "
                          "a date this far out is a bug upstream, not a day of sales")
    return d


def check_source(source: Any) -> str:
    """A source name: a short lower-case identifier (``[a-z][a-z0-9_]{0,31}``), else ConfigError."""
    if not isinstance(source, str) or not _SOURCE.fullmatch(source):
        shown = source if isinstance(source, str) and len(source) <= 40 else f"{str(source)[:40]}..."
        raise ConfigError(f"invalid source name {shown!r}: use a lower-case identifier of at most 32 characters")
    return source


def _lock_key(day: dt.date, source: str) -> int:
    """A stable signed 64-bit key for the (day, source) partition's advisory lock."""
    digest = hashlib.sha256(f"pharma_kit.sales_fact|{day.isoformat()}|{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


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

    def __init__(self, url: str | None = None, *, env: Mapping[str, str] | None = None, echo: bool = False,
                 lock_timeout_s: float = LOCK_TIMEOUT_S, statement_timeout_s: float = STATEMENT_TIMEOUT_S):
        raw = resolve_url(url, env=env)
        try:
            parsed = make_url(raw)
        except sa_exc.ArgumentError:
            raise ConfigError("the warehouse URL is not a valid SQLAlchemy URL (value not shown)") from None
        except ValueError:  # e.g. a non-numeric port
            raise ConfigError("the warehouse URL has an invalid port (value not shown)") from None
        self.url_masked = mask_url(parsed)
        if parsed.host and "@" in parsed.host:
            raise ConfigError(f"the warehouse URL {self.url_masked} is ambiguous: its password contains '@'. "
                              f"Write it as %40 in the URL, or better, set {PASSWORD_ENV}")
        for name, value in (("lock_timeout_s", lock_timeout_s), ("statement_timeout_s", statement_timeout_s)):
            if not (isinstance(value, (int, float)) and 0 < value < 86_400):
                raise ConfigError(f"{name} must be a number of seconds in (0, 86400), got {value!r}")
        self.lock_timeout_s, self.statement_timeout_s = float(lock_timeout_s), float(statement_timeout_s)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": self.lock_timeout_s}
        else:
            kwargs["pool_pre_ping"] = True
            if self.dialect == "postgresql":
                opts = (f"-c lock_timeout={int(self.lock_timeout_s * 1000)} "
                        f"-c statement_timeout={int(self.statement_timeout_s * 1000)}")
                kwargs["connect_args"] = {"options": opts}
                if "connect_timeout" not in parsed.query:
                    kwargs["connect_args"]["connect_timeout"] = 10
            elif self.dialect in MYSQL_DIALECTS:
                kwargs["isolation_level"] = "READ COMMITTED"
                if "connect_timeout" not in parsed.query:
                    kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except (ImportError, sa_exc.ArgumentError) as exc:
            raise ConfigError(f"cannot create an engine for {self.url_masked}: {exc.__class__.__name__}") from None
        if self.dialect in MYSQL_DIALECTS:
            sa.event.listen(self.engine, "connect", _mysql_session(self.lock_timeout_s, self.statement_timeout_s))

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
                          rejected: pd.DataFrame | None = None,
                          on_deleted: Callable[[Connection], None] | None = None) -> int:
        """Replace the (day, source) partition of ``sales_fact``, its ``etl_runs`` row and its quarantine atomically.

        Delete-then-insert inside ONE transaction: re-running gives the same contents, and if anything
        fails before the commit (``on_deleted`` is a test seam to inject that crash) the old partition
        is still there. The partition's published ``daily_sales`` rows are removed in the same transaction
        (``publish`` rebuilds them once the new rows pass the check). On PostgreSQL the transaction first
        takes an advisory lock on (day, source), so two loads of one partition run one after the other.
        ``rejected`` (optional): the quarantined rows, with a ``line`` and a ``reason`` column.
        Returns the number of fact rows loaded.
        """
        day = check_day(day)
        source = check_source(source)
        frame = rows.copy()
        frame["sale_date"] = day
        frame["source"] = source
        missing = [c for c in FACT_COLUMNS if c not in frame.columns]
        if missing:
            raise ConfigError(f"replace_partition: rows lack columns {missing}")
        dupes = frame["transaction_id"].duplicated()
        if dupes.any():
            raise DataQualityError(f"replace_partition {day} {source}: transaction_id "
                                   f"{frame.loc[dupes, 'transaction_id'].iloc[0]} appears more than once")
        records = _records(frame, FACT_COLUMNS)
        run_row = {**{k: run[k] for k in ETL_COLUMNS if k in run}, "run_date": day, "source": source,
                   "loaded": len(records)}
        lacking = [c for c in ETL_COLUMNS if c not in run_row]
        if lacking:
            raise ConfigError(f"replace_partition: the run record lacks {lacking}")
        q_records = _quarantine_records(day, source, rejected)
        part = sa.and_(sales_fact.c.sale_date == day, sales_fact.c.source == source)
        with self._begin() as conn:
            if self.dialect == "postgresql":  # serialise loads of this partition; waits at most lock_timeout
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    sa.cast(sa.literal(_lock_key(day, source)), sa.BigInteger))))
            elif self.dialect in MYSQL_DIALECTS:  # InnoDB: the etl_runs row's lock, held until commit
                upsert = sa_mysql.insert(etl_runs).values(**run_row)
                conn.execute(upsert.on_duplicate_key_update(status=upsert.inserted.status))
            conn.execute(sa.delete(sales_fact).where(part))
            conn.execute(sa.delete(etl_runs).where(sa.and_(etl_runs.c.run_date == day, etl_runs.c.source == source)))
            conn.execute(sa.delete(quarantine).where(sa.and_(quarantine.c.run_date == day,
                                                             quarantine.c.source == source)))
            conn.execute(sa.delete(daily_sales).where(sa.and_(daily_sales.c.sale_date == day,
                                                              daily_sales.c.source == source)))
            if on_deleted is not None:
                on_deleted(conn)
            self._insert_rows(conn, sales_fact, records)
            self._insert_rows(conn, etl_runs, [run_row])
            self._insert_rows(conn, quarantine, q_records)
        return len(records)

    def volume_history(self, source: str, day: Any, weeks: int = 4) -> pd.DataFrame:
        """``run_date, rows_in`` of ``source``'s loads in the ``weeks`` weeks before ``day`` (``day`` excluded)."""
        day, source = check_day(day), check_source(source)
        start = day - dt.timedelta(days=7 * int(weeks))
        r = etl_runs.c
        stmt = (sa.select(r.run_date, r.rows_in).where(r.source == source, r.run_date >= start, r.run_date < day)
                .order_by(r.run_date))
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=["run_date", "rows_in"])
        frame["run_date"] = pd.to_datetime(frame["run_date"]).astype("datetime64[us]")
        frame["rows_in"] = frame["rows_in"].astype("int64")
        return frame

    def replace_daily_sales(self, day: Any, summary: pd.DataFrame, sources: Iterable[str] | None = None,
                            status: str | None = None) -> int:
        """Replace the day's rows of the published ``daily_sales`` summary in one transaction.

        ``sources``: replace only these sources' rows (others stay as published); None = the whole day.
        ``status``: also set these sources' ``etl_runs`` status in the same transaction.
        """
        day = check_day(day)
        frame = summary.copy()
        if sources is not None:
            sources = [check_source(s) for s in sources]
            frame = frame[frame["source"].isin(sources)]
        frame["sale_date"] = day
        records = _records(frame, [c.name for c in daily_sales.columns])
        cond = daily_sales.c.sale_date == day
        run_cond = etl_runs.c.run_date == day
        if sources is not None:
            cond = sa.and_(cond, daily_sales.c.source.in_(sources))
            run_cond = sa.and_(run_cond, etl_runs.c.source.in_(sources))
        if status is not None and status not in RUN_STATUSES:
            raise ConfigError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        with self._begin() as conn:
            conn.execute(sa.delete(daily_sales).where(cond))
            self._insert_rows(conn, daily_sales, records)
            if status is not None:
                conn.execute(sa.update(etl_runs).where(run_cond).values(status=status))
        return len(records)

    def set_status(self, day: Any, status: str, sources: Iterable[str] | None = None) -> int:
        """Set the ``etl_runs`` status of the day's rows (all sources, or those given)."""
        if status not in RUN_STATUSES:
            raise ConfigError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        cond = etl_runs.c.run_date == check_day(day)
        if sources is not None:
            cond = sa.and_(cond, etl_runs.c.source.in_([check_source(s) for s in sources]))
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

    def summarise_day(self, day: Any, sources: Iterable[str] | None = None) -> pd.DataFrame:
        """Per (source, store): distinct orders, units and revenue of ``day`` (computed in the database)."""
        f = sales_fact.c
        cond = f.sale_date == check_day(day)
        if sources is not None:
            cond = sa.and_(cond, f.source.in_([check_source(s) for s in sources]))
        stmt = (sa.select(f.source, f.store_id, sa.func.count(sa.distinct(f.order_id)).label("orders"),
                          sa.func.sum(f.quantity).label("units"), sa.func.sum(f.amount).label("revenue"))
                .where(cond).group_by(f.source, f.store_id).order_by(f.source, f.store_id))
        with self._begin() as conn:
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        frame = frame.astype({"source": "str", "store_id": "int64", "orders": "int64", "units": "int64",
                              "revenue": "float64"})
        frame["revenue"] = frame["revenue"].round(2)
        return frame[_summary_columns()]

    def partition_metrics(self, day: Any) -> pd.DataFrame:
        """Per source for ``day``: fact rows, nulls, non-positive amounts, rows dated off the day."""
        day = check_day(day)
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


def _quarantine_records(day: dt.date, source: str, rejected: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Quarantine rows for the warehouse: line, reason and the raw values as one JSON text."""
    if rejected is None or not len(rejected):
        return []
    if "line" not in rejected.columns or "reason" not in rejected.columns:
        raise ConfigError("replace_partition: rejected rows need a 'line' and a 'reason' column")
    values = rejected.drop(columns=[c for c in ("line", "reason") if c in rejected.columns])
    texts = values.astype("object").where(values.notna(), None).to_dict(orient="records")
    import json
    return [{"run_date": day, "source": source, "line": int(line), "reason": str(reason),
             "record": json.dumps(rec, default=str, sort_keys=True)}
            for line, reason, rec in zip(rejected["line"], rejected["reason"], texts)]


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


#: PostgreSQL SQLSTATEs a retry cannot fix: bad credentials, no such database/role, no permission.
_CONFIG_SQLSTATES = {"28P01": "the warehouse refused the credentials",
                     "28000": "the warehouse refused the login",
                     "3D000": "the warehouse database does not exist",
                     "42501": "the warehouse user lacks a privilege"}
_CONFIG_MESSAGES = ("password authentication failed", "no password supplied", "authentication failed",
                    "does not exist", "permission denied", "pg_hba.conf")


#: MySQL/MariaDB error codes a retry cannot fix.
_CONFIG_MYSQL_CODES = {1045: "the warehouse refused the credentials",
                       1044: "the warehouse refused access to the database",
                       1049: "the warehouse database does not exist",
                       1142: "the warehouse user lacks a privilege",
                       1227: "the warehouse user lacks a privilege"}


def _mysql_session(lock_timeout_s: float, statement_timeout_s: float):
    """A ``connect`` hook: the session's lock wait and statement time limits (MariaDB and MySQL name them apart)."""
    lock_s = max(1, math.ceil(lock_timeout_s))  # innodb_lock_wait_timeout counts whole seconds

    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT VERSION()")
            mariadb = "mariadb" in str(cur.fetchone()[0]).lower()
            cur.execute("SET SESSION innodb_lock_wait_timeout = %s", (lock_s,))
            if mariadb:
                cur.execute("SET SESSION max_statement_time = %s", (float(statement_timeout_s),))
            else:
                cur.execute("SET SESSION max_execution_time = %s", (int(statement_timeout_s * 1000),))
        finally:
            cur.close()

    return on_connect


def _classify(wh: Warehouse, exc: BaseException, during: str) -> Exception | None:
    """The project error for a database failure: ConfigError (fail now), TransientError (retry), or None."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    orig = exc.orig
    name = orig.__class__.__name__ if orig is not None else exc.__class__.__name__
    state = getattr(orig, "sqlstate", None)
    text = str(orig).lower() if orig is not None else ""
    where = f"the warehouse at {wh.url_masked}"
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    if wh.dialect in MYSQL_DIALECTS and code is not None:
        if code == 1205:
            return TransientError(f"{where}: gave up waiting for a lock after {wh.lock_timeout_s:g} s "
                                  f"(innodb_lock_wait_timeout) {during}: another session holds the partition (a "
                                  "concurrent load or a stuck transaction); retry later, or find the blocker in "
                                  "information_schema.innodb_lock_waits")
        if code == 1213:
            return TransientError(f"{where}: the transaction was chosen as a deadlock victim {during}; retry")
        if code in (1969, 3024):
            return TransientError(f"{where}: a statement ran longer than {wh.statement_timeout_s:g} s "
                                  f"(max_statement_time) {during}")
        if code in _CONFIG_MYSQL_CODES:
            return ConfigError(f"{where}: {_CONFIG_MYSQL_CODES[code]} ({name} {code}); check the URL and "
                               f"{PASSWORD_ENV}. Not retried: the same settings fail the same way")
    if state == "55P03" or "lock timeout" in text or "lock wait timeout" in text:
        return TransientError(f"{where}: gave up waiting for a lock after {wh.lock_timeout_s:g} s (lock_timeout) "
                              f"{during}: another session holds the partition (a concurrent load or a stuck "
                              "transaction); retry later, or find the blocker in pg_locks")
    if state == "57014" or "statement timeout" in text:
        return TransientError(f"{where}: a statement ran longer than {wh.statement_timeout_s:g} s "
                              f"(statement_timeout) {during}")
    if state in _CONFIG_SQLSTATES:
        return ConfigError(f"{where}: {_CONFIG_SQLSTATES[state]} ({name}); check the URL and "
                           f"{PASSWORD_ENV}. Not retried: the same settings fail the same way")
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        if any(m in text for m in _CONFIG_MESSAGES):
            return ConfigError(f"{where}: connection refused by the server's authentication or configuration "
                               f"({name}); check the URL and {PASSWORD_ENV}. Not retried")
        if "locked" in text:
            return TransientError(f"{where} is locked (waited {wh.lock_timeout_s:g} s) {during}; try again")
        return TransientError(f"cannot reach the warehouse at {wh.url_masked} {during}: {name}")
    return None


class _Tx:
    """``engine.begin()`` that turns database failures into masked project errors (see :func:`_classify`)."""

    def __init__(self, wh: Warehouse):
        self.wh = wh
        self.cm = None

    def __enter__(self) -> Connection:
        try:
            self.cm = self.wh.engine.begin()
            return self.cm.__enter__()
        except sa_exc.DBAPIError as exc:
            err = _classify(self.wh, exc, "while connecting")
            if err is None:
                raise
            raise err from None

    def __exit__(self, et, ev, tb) -> bool:
        try:
            self.cm.__exit__(et, ev, tb)
        except sa_exc.DBAPIError as exc:
            err = _classify(self.wh, exc, "while committing")
            if err is None:
                raise
            raise err from None
        if ev is not None:
            err = _classify(self.wh, ev, "during the transaction")
            if err is not None:
                raise err from None
        return False


__all__ = [
    "URL_ENV", "DATA_DIR_ENV", "CONFIG_ENV", "PASSWORD_ENV", "TABLES", "LOCK_TIMEOUT_S", "STATEMENT_TIMEOUT_S",
    "MIN_PARTITION_DAY", "MAX_PARTITION_DAY", "check_day", "check_source", "quarantine", "FACT_COLUMNS", "ETL_COLUMNS", "RUN_STATUSES",
    "MYSQL_DIALECTS", "Warehouse", "default_data_dir", "resolve_url", "sqlite_url", "mask_url", "validate_table",
    "sales_fact", "etl_runs", "daily_sales", "metadata",
]

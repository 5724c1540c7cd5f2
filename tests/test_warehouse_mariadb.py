"""The warehouse on MariaDB (MySQL-compatible, InnoDB, PyMySQL): the same tests as SQLite and PostgreSQL.

Every test of ``tests/test_warehouse.py`` that takes the ``warehouse``/``warehouse_url`` fixtures, and every test of
``tests/test_pipeline.py`` that takes ``wh``, is collected here again with those fixtures pointing at MariaDB:
idempotent partitions, a crash between DELETE and INSERT (an exception, and a process killed with ``os._exit``),
a re-run of the same date, lock and statement timeouts, two loads of one partition at once, dtypes. Tests that
are PostgreSQL's own skip themselves; MariaDB's own (session settings, refused credentials, DATETIME(6), DOUBLE)
follow below.

The leg runs when ``PHARMA_KIT_WAREHOUSE_URL_MYSQL`` names a server, e.g. the throwaway one from
``bash .ci/with_mariadb.sh <command>``, and skips with that instruction otherwise (CI sets
``PHARMA_KIT_REQUIRE_MYSQL=1``: a missing server is then a failure).
"""
from __future__ import annotations

import inspect
import os

import pandas as pd
import pytest
import sqlalchemy as sa
import test_pipeline as _pipeline_tests
import test_warehouse as _warehouse_tests
from sqlalchemy.engine import make_url

from pharma_kit.data import clean_transactions
from pharma_kit.errors import ConfigError, TransientError
from pharma_kit.warehouse import Warehouse

MYSQL_ENV = "PHARMA_KIT_WAREHOUSE_URL_MYSQL"
MYSQL_SKIP = (f"MariaDB leg skipped: {MYSQL_ENV} is not set. Run it with `bash .ci/with_mariadb.sh .venv/bin/pytest "
              f"tests/test_warehouse_mariadb.py` (needs Debian's mariadb-server: apt-get install mariadb-server), or "
              f"point {MYSQL_ENV} at any mysql+pymysql:// URL.")


def mysql_url() -> str:
    url = os.environ.get(MYSQL_ENV)
    if not url:
        if os.environ.get("PHARMA_KIT_REQUIRE_MYSQL") == "1":  # CI: a missing server is a failure, not a skip
            pytest.fail(f"PHARMA_KIT_REQUIRE_MYSQL=1 but {MYSQL_ENV} is not set")
        pytest.skip(MYSQL_SKIP)
    return url


def _fresh(url: str) -> str:
    with Warehouse(url) as wh:
        wh.drop_schema()
        wh.create_schema()
    return url


@pytest.fixture
def warehouse_url() -> str:
    """A URL to an empty warehouse on MariaDB (overrides pg_fixtures' two-backend fixture in this module)."""
    return _fresh(mysql_url())


@pytest.fixture
def warehouse(warehouse_url):
    with Warehouse(warehouse_url) as wh:
        yield wh


@pytest.fixture
def wh():
    """The pipeline tests' warehouse, on MariaDB."""
    with Warehouse(_fresh(mysql_url())) as w:
        yield w


def _collect(module, fixtures: set[str]) -> dict:
    out = {}
    for name, fn in vars(module).items():
        if name.startswith("test_") and inspect.isfunction(fn) and fixtures & set(inspect.signature(fn).parameters):
            out[name] = fn
    return out


_REUSED = {**_collect(_warehouse_tests, {"warehouse", "warehouse_url"}), **_collect(_pipeline_tests, {"wh"})}
globals().update(_REUSED)


def test_the_shared_tests_are_collected_here():
    assert "test_error_between_delete_and_insert_keeps_the_old_partition" in _REUSED
    assert "test_process_killed_between_delete_and_insert_keeps_the_old_partition" in _REUSED
    assert "test_run_day_twice_gives_identical_warehouse" in _REUSED
    assert "test_reloading_a_partition_is_idempotent" in _REUSED


# -- MariaDB's own ---------------------------------------------------------------------------------
DAY = "2025-06-02"


def test_it_is_mariadb_on_innodb_with_read_committed(warehouse):
    assert warehouse.dialect in ("mysql", "mariadb")
    with warehouse.engine.connect() as conn:
        assert "mariadb" in conn.execute(sa.text("SELECT VERSION()")).scalar().lower()
        engines = conn.execute(sa.text(
            "SELECT table_name, engine FROM information_schema.tables WHERE table_schema = DATABASE()")).all()
        assert engines and {e for _, e in engines} == {"InnoDB"}
        assert conn.execute(sa.text("SELECT @@tx_isolation")).scalar() == "READ-COMMITTED"


def test_sessions_carry_lock_and_statement_timeouts(warehouse_url):
    with Warehouse(warehouse_url, lock_timeout_s=2, statement_timeout_s=30) as wh:
        with wh.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT @@innodb_lock_wait_timeout")).scalar() == 2
            assert float(conn.execute(sa.text("SELECT @@max_statement_time")).scalar()) == 30.0
    with pytest.raises(TransientError, match="statement"):
        with Warehouse(warehouse_url, statement_timeout_s=0.5) as slow:
            with slow._begin() as conn:
                conn.execute(sa.text("SELECT SLEEP(3)"))


def test_times_keep_their_microseconds_and_money_is_a_double(warehouse):
    rows = clean_transactions(5, 3, as_of="2025-06-03", days=1)
    rows["order_date"] = rows["order_date"] + pd.to_timedelta([1, 999_999, 500_000, 0, 123_456], unit="us")
    rows["amount"] = [0.1 + 0.2, 1e-7, 123456.789012345, 5.49, 1 / 3]
    warehouse.replace_partition(DAY, "retail", rows, {"rows_in": 5, "kept": 5, "rejected": 0, "duration_s": 0.1,
                                                      "status": "loaded"})
    got = warehouse.read_table("sales_fact").sort_values("transaction_id").reset_index(drop=True)
    pd.testing.assert_series_equal(got["order_date"], rows["order_date"].reset_index(drop=True), check_names=False)
    assert got["amount"].tolist() == rows["amount"].tolist()  # exact: DOUBLE, not MySQL's 4-byte FLOAT
    with warehouse.engine.connect() as conn:
        cols = dict(conn.execute(sa.text(
            "SELECT column_name, column_type FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = 'sales_fact'")).all())
    assert cols["order_date"] == "datetime(6)" and cols["amount"] == "double"


def test_wrong_password_is_a_config_error_not_a_transient_one(warehouse_url):
    url = make_url(warehouse_url)
    for bad in (url.set(password="not-the-password"), url.set(password=""), url.set(database="no_such_db")):
        wh = Warehouse(bad.render_as_string(hide_password=False))
        with pytest.raises(ConfigError) as info:
            wh.create_schema()
        msg = str(info.value)
        assert "not-the-password" not in msg and ("credentials" in msg or "refused" in msg or "database" in msg), msg
        wh.close()


def test_dialect_notes_hold(warehouse_url):
    """docs/DIALECTS.md's MariaDB column, checked: implicit commit on DDL, DATETIME truncates to seconds,
    "..." is a string literal, FLOAT is 4 bytes, ON DUPLICATE KEY UPDATE is the upsert."""
    import datetime as dt

    engine = sa.create_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            for t in ("kv", "ddl_probe", "ts"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {t}"))
            conn.execute(sa.text("CREATE TABLE kv (k INTEGER PRIMARY KEY, v VARCHAR(10), f FLOAT, d DOUBLE)"))
            conn.execute(sa.text("INSERT INTO kv VALUES (1, 'a', 0, 0)"))
            conn.execute(sa.text("INSERT INTO kv (k, v) VALUES (1, 'b') ON DUPLICATE KEY UPDATE v = VALUE(v)"))
            assert conn.execute(sa.text("SELECT v FROM kv")).scalar() == "b"
            assert conn.execute(sa.text('SELECT "v" FROM kv')).scalar() == "v"  # a string, not the column
            assert conn.execute(sa.text("SELECT `v` FROM kv")).scalar() == "b"
            conn.execute(sa.text("UPDATE kv SET f = :x, d = :x"), {"x": 1 / 3})
            f, d = conn.execute(sa.text("SELECT f, d FROM kv")).one()
            assert d == 1 / 3 and f != 1 / 3 and abs(f - 1 / 3) < 1e-6
            conn.execute(sa.text("CREATE TABLE ts (t DATETIME, t6 DATETIME(6))"))
            when = dt.datetime(2025, 1, 1, 10, 0, 0, 999_999)
            conn.execute(sa.text("INSERT INTO ts VALUES (:t, :t)"), {"t": when})
            assert conn.execute(sa.text("SELECT t, t6 FROM ts")).one() == (when.replace(microsecond=0), when)
        with pytest.raises(RuntimeError):
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO kv (k, v) VALUES (2, 'x')"))
                conn.execute(sa.text("CREATE TABLE ddl_probe (a INTEGER)"))  # commits the INSERT above
                raise RuntimeError("roll back")
        with engine.connect() as conn:
            assert sa.inspect(conn).has_table("ddl_probe")
            assert conn.execute(sa.text("SELECT count(*) FROM kv WHERE k = 2")).scalar() == 1
        with engine.begin() as conn:
            for t in ("kv", "ddl_probe", "ts"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {t}"))
    finally:
        engine.dispose()

"""The warehouse on SQLite and (when configured) PostgreSQL: idempotent partitions, atomicity, masking, safety."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from pg_fixtures import warehouse, warehouse_url  # noqa: F401  (fixtures)

from pharma_kit.data import clean_transactions
from pharma_kit.errors import ConfigError, TransientError
from pharma_kit.warehouse import (ETL_COLUMNS, FACT_COLUMNS, Warehouse, mask_url, resolve_url, sqlite_url,
                                  validate_table)

DAY = "2025-06-02"


def _rows(n: int, seed: int, day: str = DAY) -> pd.DataFrame:
    """n clean, typed lines all dated ``day``."""
    return clean_transactions(n, seed, as_of=pd.Timestamp(day) + pd.Timedelta(days=1), days=1)


def _run(n: int) -> dict:
    return {"rows_in": n + 2, "kept": n, "rejected": 2, "duration_s": 0.5, "status": "loaded"}


# -- configuration and secrets ----------------------------------------------------------------------
def test_default_is_a_sqlite_file_in_the_data_dir(tmp_path):
    assert resolve_url(env={"PHARMA_KIT_DATA_DIR": str(tmp_path)}) == sqlite_url(tmp_path / "warehouse.sqlite")


def test_env_url_wins_and_password_can_come_from_its_own_variable():
    env = {"PHARMA_KIT_WAREHOUSE_URL": "postgresql+psycopg://etl@db.example:5432/dw",
           "PHARMA_KIT_WAREHOUSE_PASSWORD": "s3cr3t!", "PHARMA_KIT_WAREHOUSE_URL_PG": "ignored"}
    url = resolve_url(env=env)
    assert url.startswith("postgresql+psycopg://etl:") and "db.example:5432/dw" in url
    assert "s3cr3t" in url.replace("%21", "!")  # the engine gets it ...
    assert "s3cr3t" not in mask_url(url) and "***" in mask_url(url)  # ... nobody else does


def test_config_file_names_the_warehouse(tmp_path):
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text("warehouse_url: sqlite:////tmp/from-config.sqlite\n", encoding="utf-8")
    assert resolve_url(env={"PHARMA_KIT_CONFIG": str(cfg)}) == "sqlite:////tmp/from-config.sqlite"


def test_password_never_in_repr_str_or_errors():
    wh = Warehouse("postgresql+psycopg://larkspur:hunter2-top@127.0.0.1:9/dw?connect_timeout=1")
    assert "hunter2" not in repr(wh) and "hunter2" not in str(wh) and "***" in repr(wh)
    with pytest.raises(TransientError) as info:  # nothing listens on port 9
        wh.create_schema()
    assert "hunter2" not in str(info.value) and "127.0.0.1" in str(info.value)
    assert "hunter2" not in mask_url("postgresql://u@h/db?password=hunter2")


@pytest.mark.parametrize("name", ["sales_fact; DROP TABLE etl_runs", "Sales_Fact", "pg_user", "", "x" * 80])
def test_table_names_are_validated(name):
    with pytest.raises(ConfigError):
        validate_table(name)


def test_invalid_url_is_a_config_error_without_echoing_it():
    with pytest.raises(ConfigError) as info:
        Warehouse("not a url :: pw=hunter2")
    assert "hunter2" not in str(info.value)


# -- idempotent, atomic partitions (both backends) ---------------------------------------------------
def test_reloading_a_partition_is_idempotent(warehouse):
    a, b = _rows(120, 1), _rows(80, 2, "2025-06-03")
    warehouse.replace_partition(DAY, "retail", a, _run(120))
    warehouse.replace_partition("2025-06-03", "retail", b, _run(80))
    first = warehouse.read_table("sales_fact")
    for _ in range(2):  # a retry, then a re-run: same contents, no duplicates
        warehouse.replace_partition(DAY, "retail", a, _run(120))
    again = warehouse.read_table("sales_fact")
    pd.testing.assert_frame_equal(first, again)
    assert len(again) == 200
    assert list(again.columns) == FACT_COLUMNS
    runs = warehouse.read_table("etl_runs")
    assert list(runs.columns) == ETL_COLUMNS and len(runs) == 2
    assert runs["loaded"].tolist() == [120, 80]


def test_replace_swaps_the_partition_and_leaves_others_alone(warehouse):
    warehouse.replace_partition(DAY, "retail", _rows(100, 1), _run(100))
    warehouse.replace_partition(DAY, "online", _rows(50, 3), _run(50))
    warehouse.replace_partition(DAY, "retail", _rows(30, 4), _run(30))  # smaller: old rows must go
    counts = warehouse.partition_counts()
    assert counts.set_index("source")["rows"].to_dict() == {"online": 50, "retail": 30}
    fact = warehouse.read_table("sales_fact", day=DAY)
    expected = _rows(30, 4).sort_values("transaction_id").reset_index(drop=True)
    got = fact[fact["source"] == "retail"].reset_index(drop=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=True)


def test_error_between_delete_and_insert_keeps_the_old_partition(warehouse):
    old = _rows(90, 5)
    warehouse.replace_partition(DAY, "retail", old, _run(90))
    before = warehouse.read_table("sales_fact"), warehouse.read_table("etl_runs")

    def crash(conn):
        raise RuntimeError("power cut between DELETE and INSERT")

    with pytest.raises(RuntimeError, match="power cut"):
        warehouse.replace_partition(DAY, "retail", _rows(10, 6), _run(10), on_deleted=crash)
    pd.testing.assert_frame_equal(warehouse.read_table("sales_fact"), before[0])
    pd.testing.assert_frame_equal(warehouse.read_table("etl_runs"), before[1])


def test_process_killed_between_delete_and_insert_keeps_the_old_partition(warehouse, warehouse_url):
    """A real crash: the loading process dies (os._exit) after its DELETE; the database rolls back."""
    warehouse.replace_partition(DAY, "retail", _rows(70, 7), _run(70))
    before = warehouse.read_table("sales_fact")
    code = textwrap.dedent(f"""
        import os
        from pharma_kit.data import clean_transactions
        from pharma_kit.warehouse import Warehouse
        wh = Warehouse(os.environ["WH_URL"])
        rows = clean_transactions(5, 8, as_of="2025-06-03", days=1)
        run = {{"rows_in": 5, "kept": 5, "rejected": 0, "duration_s": 0.0, "status": "loaded"}}
        wh.replace_partition("{DAY}", "retail", rows, run, on_deleted=lambda conn: os._exit(3))
    """)
    env = {**os.environ, "WH_URL": warehouse_url}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr[-2000:]
    pd.testing.assert_frame_equal(warehouse.read_table("sales_fact"), before)


def test_metrics_summary_and_status(warehouse):
    rows = _rows(60, 9)
    warehouse.replace_partition(DAY, "retail", rows, _run(60))
    m = warehouse.partition_metrics(DAY)
    assert m.loc[0, "fact_rows"] == 60 and m.loc[0, "null_rows"] == 0 and m.loc[0, "off_day_rows"] == 0
    assert m.loc[0, "revenue"] == pytest.approx(rows["amount"].sum(), abs=0.01)
    s = warehouse.summarise_day(DAY)
    assert s["units"].sum() == rows["quantity"].sum()
    assert s["orders"].sum() == rows.groupby("store_id")["order_id"].nunique().sum()
    assert warehouse.replace_daily_sales(DAY, s) == len(s)
    assert warehouse.replace_daily_sales(DAY, s) == len(s)  # idempotent
    assert len(warehouse.read_table("daily_sales")) == len(s)
    assert warehouse.set_status(DAY, "published") == 1
    assert warehouse.read_table("etl_runs")["status"].tolist() == ["published"]
    with pytest.raises(ConfigError):
        warehouse.set_status(DAY, "done'; --")


def test_same_dtypes_on_every_backend(warehouse):
    warehouse.replace_partition(DAY, "retail", _rows(20, 10), _run(20))
    dtypes = {c: str(t) for c, t in warehouse.read_table("sales_fact").dtypes.items()}
    assert dtypes == {"sale_date": "datetime64[us]", "source": "str", "transaction_id": "int64", "order_id": "int64",
                      "customer_id": "int64", "store_id": "int64", "product_id": "int64",
                      "order_date": "datetime64[us]", "quantity": "int64", "amount": "float64"}


# -- issue 17: never hang, never race, fail fast on config, validate keys ------------------------------
import sqlite3  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


def _hold_lock(url: str):
    """Another session that holds a lock on the (DAY, retail) partition's etl_runs row; returns release()."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # SQLite locks the whole file for writers
        return lambda: (conn.rollback(), conn.close())
    engine = sa.create_engine(url)
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(sa.text("SELECT * FROM etl_runs WHERE run_date = :d AND source = 'retail' FOR UPDATE"),
                 {"d": DAY})
    return lambda: (tx.rollback(), conn.close(), engine.dispose())


def test_a_load_blocked_by_a_lock_gives_up_with_a_transient_error(warehouse, warehouse_url):
    warehouse.replace_partition(DAY, "retail", _rows(40, 1), _run(40))
    before = warehouse.read_table("sales_fact")
    release = _hold_lock(warehouse_url)
    outcome: dict = {}

    def load():
        t0 = time.perf_counter()
        try:
            with Warehouse(warehouse_url, lock_timeout_s=1.0) as wh:
                wh.replace_partition(DAY, "retail", _rows(10, 2), _run(10))
            outcome["result"] = "loaded"
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["result"] = exc
        outcome["seconds"] = time.perf_counter() - t0

    th = threading.Thread(target=load, daemon=True)
    th.start()
    th.join(timeout=20)
    hung = th.is_alive()
    release()
    th.join(timeout=20)
    assert not hung, "the load was still waiting for the lock after 20 s (no lock_timeout)"
    err = outcome["result"]
    assert isinstance(err, TransientError), err
    assert "lock" in str(err) and "1 s" in str(err) and outcome["seconds"] < 10
    pd.testing.assert_frame_equal(warehouse.read_table("sales_fact"), before)


def test_postgres_sessions_carry_lock_and_statement_timeouts(warehouse):
    if warehouse.dialect != "postgresql":
        pytest.skip("PostgreSQL settings")
    with Warehouse(os.environ["PHARMA_KIT_WAREHOUSE_URL_PG"], lock_timeout_s=2, statement_timeout_s=30) as wh:
        with wh.engine.connect() as conn:
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "2s"
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "30s"
        with pytest.raises(TransientError, match="statement_timeout"):
            with Warehouse(os.environ["PHARMA_KIT_WAREHOUSE_URL_PG"], statement_timeout_s=0.2) as slow:
                with slow._begin() as conn:
                    conn.execute(sa.text("SELECT pg_sleep(2)"))


def test_two_loads_of_one_partition_at_once_are_serialised(warehouse, warehouse_url):
    """Both start on an empty partition; each sleeps between its DELETE and INSERT. Without a per-partition
    lock the second INSERT hits the primary key (UniqueViolation on PostgreSQL)."""
    a, b = _rows(30, 11), _rows(30, 12)
    b["transaction_id"] = a["transaction_id"].to_numpy()  # same keys: a race would collide
    results: dict = {}
    gate = threading.Barrier(2)

    def load(name, rows):
        try:
            with Warehouse(warehouse_url) as wh:
                gate.wait()
                wh.replace_partition(DAY, "retail", rows, _run(30), on_deleted=lambda conn: time.sleep(1.0))
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001
            results[name] = exc

    threads = [threading.Thread(target=load, args=(n, r)) for n, r in (("a", a), ("b", b))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert results == {"a": "ok", "b": "ok"}, results
    fact = warehouse.read_table("sales_fact").drop(columns=["sale_date", "source"])
    got = fact.sort_values("transaction_id").reset_index(drop=True)
    exp = [r.sort_values("transaction_id").reset_index(drop=True)[got.columns] for r in (a, b)]
    assert any(got.equals(e) for e in exp)  # exactly one of the two loads, never a mix
    assert len(warehouse.read_table("etl_runs")) == 1


def test_wrong_password_is_a_config_error_not_a_transient_one(warehouse):
    if warehouse.dialect != "postgresql":
        pytest.skip("authentication is PostgreSQL's")
    url = make_url(os.environ["PHARMA_KIT_WAREHOUSE_URL_PG"])
    for bad in (url.set(password="not-the-password"), url.set(password="")):
        wh = Warehouse(bad.render_as_string(hide_password=False))
        with pytest.raises(ConfigError) as info:
            wh.create_schema()
        msg = str(info.value)
        assert "not-the-password" not in msg and ("credentials" in msg or "authentication" in msg), msg
        wh.close()


@pytest.mark.parametrize("source", ["x" * 40, "Retail", "re tail", "", "retail;--", 7])
def test_source_names_are_validated(warehouse, source):
    with pytest.raises(ConfigError, match="invalid source"):
        warehouse.replace_partition(DAY, source, _rows(5, 1), _run(5))
    assert len(warehouse.read_table("sales_fact")) == 0


def test_an_absurd_date_is_refused_before_the_transaction(warehouse):
    with pytest.raises(ConfigError, match="outside"):
        warehouse.replace_partition("9999-12-31", "retail", _rows(5, 1), _run(5))
    assert len(warehouse.read_table("sales_fact")) == 0 and len(warehouse.read_table("etl_runs")) == 0


def test_a_password_with_an_at_sign_never_leaks():
    raw = "postgresql+psycopg://larkspur:p@ssw0rd@127.0.0.1:9/db"
    assert "ssw0rd" not in mask_url(raw) and mask_url(raw).endswith("larkspur:***@127.0.0.1:9/db")
    with pytest.raises(ConfigError, match="%40") as info:  # ambiguous: refused, with the fix in the message
        Warehouse(raw)
    assert "ssw0rd" not in str(info.value)
    ok = Warehouse("postgresql+psycopg://larkspur:p%40ssw0rd@127.0.0.1:9/db")
    assert "ssw0rd" not in repr(ok) and "127.0.0.1:9" in repr(ok)


def test_a_non_numeric_port_is_a_config_error():
    with pytest.raises(ConfigError, match="port"):
        Warehouse("postgresql+psycopg://larkspur@127.0.0.1:fivefourthreetwo/db")
    assert mask_url("postgresql+psycopg://u:pw@h:abc/db") == "<unparseable warehouse URL>"


def test_a_misspelt_password_variable_is_flagged_by_resolve_url():
    env = {"PHARMA_KIT_WAREHOUSE_URL": "postgresql+psycopg://etl@db.example:5432/dw",
           "PHARMA_KIT_WAREHOUSE_PASWORD": "s3cr3t"}
    with pytest.raises(ConfigError, match="did you mean PHARMA_KIT_WAREHOUSE_PASSWORD") as info:
        resolve_url(env=env)
    assert "s3cr3t" not in str(info.value)
    with pytest.raises(ConfigError):
        Warehouse(env=env)

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

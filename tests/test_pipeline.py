"""The ETL task logic without Airflow: partitioned staging, lossless cleaning, idempotent loads, scoring."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pharma_kit import pipeline as pl
from pharma_kit.data import DEFECT_KINDS, TRANSACTION_COLUMNS, generate
from pharma_kit.errors import ConfigError, DataQualityError, InputFileError
from pharma_kit.quality import MaxLossExceeded
from pharma_kit.warehouse import Warehouse, sqlite_url

DAY = pd.Timestamp("2025-06-03")  # a Tuesday


@pytest.fixture
def wh(tmp_path):
    with Warehouse(sqlite_url(tmp_path / "wh.sqlite")) as w:
        yield w


def test_pipeline_does_not_import_airflow():
    code = "import sys, pharma_kit.pipeline; print('airflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_as_day_and_seeds():
    import datetime as dt
    aware = dt.datetime(2025, 6, 3, 0, 0, tzinfo=dt.timezone.utc)
    assert pl.as_day(aware) == DAY == pl.as_day("2025-06-03 17:45")
    with pytest.raises(ConfigError):
        pl.as_day(None)
    assert pl.source_seed(DAY, "retail") == pl.source_seed("2025-06-03", "retail")  # stable across calls
    seeds = {pl.source_seed(DAY + pd.Timedelta(days=i), s) for i in range(5) for s in pl.SOURCES}
    assert len(seeds) == 15
    with pytest.raises(ConfigError):
        pl.source_seed(DAY, "../etc")


def test_extract_writes_one_deterministic_partition_per_source_and_day(tmp_path):
    a = pl.extract(DAY, "retail", data_dir=tmp_path)
    assert a["raw_path"] == str(tmp_path / "staging/raw/source=retail/dt=2025-06-03/part.parquet")
    assert a["origin"] == "generator" and a["rows_in"] == pl.feed_rows(DAY, "retail")
    first = pd.read_parquet(a["raw_path"])
    pl.extract(DAY, "retail", data_dir=tmp_path)
    pd.testing.assert_frame_equal(first, pd.read_parquet(a["raw_path"]))
    b = pl.extract(DAY, "online", data_dir=tmp_path)
    assert b["raw_path"] != a["raw_path"] and b["rows_in"] < a["rows_in"]
    assert not list((tmp_path / "staging").rglob("*.tmp"))  # temp files renamed away


def test_extract_prefers_the_landing_file_and_fails_clearly_without_input(tmp_path):
    with pytest.raises(InputFileError, match="landing/clinic/2025-06-03.csv"):
        pl.extract(DAY, "clinic", data_dir=tmp_path, simulate=False)
    assert pl.available_sources(DAY, tmp_path, simulate=False) == []
    pl.land_feed(DAY, "clinic", tmp_path, rows=120)
    assert pl.available_sources(DAY, tmp_path, simulate=False) == ["clinic"]
    ex = pl.extract(DAY, "clinic", data_dir=tmp_path, simulate=False)
    assert ex["origin"] == "landing" and ex["rows_in"] == 120


def test_transform_is_lossless_and_matches_the_ground_truth(tmp_path):
    ex = pl.extract(DAY, "retail", data_dir=tmp_path)
    st = pl.transform(DAY, "retail", data_dir=tmp_path)
    kept, rejected = pd.read_parquet(st["clean_path"]), pd.read_parquet(st["rejected_path"])
    assert st["rows_in"] == ex["rows_in"] == len(kept) + len(rejected) == st["kept"] + st["rejected"]
    assert list(kept.columns) == TRANSACTION_COLUMNS and kept["order_date"].dt.normalize().eq(DAY).all()
    truth = generate(ex["rows_in"], pl.source_seed(DAY, "retail"), as_of=DAY + pd.Timedelta(days=1), days=1,
                     n_stores=pl.N_STORES, n_products=pl.N_PRODUCTS).defect_counts()
    expected = {k: int(v) for k, v in truth.items() if v and k != "amount_type_drift"}  # drift is repaired
    assert st["reasons"] == dict(sorted(expected.items()))
    assert rejected["reason"].notna().all() and set(rejected["reason"]) == set(expected)


def test_rows_of_another_day_and_broken_lines_are_rejected_not_dropped(tmp_path):
    path = pl.land_feed(DAY, "online", tmp_path, rows=100, defect_scale=0)
    lines = path.read_text(encoding="utf-8").splitlines()
    moved = lines[1].replace("2025-06-03", "2025-06-01")
    path.write_text("\n".join([lines[0], moved, *lines[2:], "1,2,3"]) + "\n", encoding="utf-8")
    ex = pl.extract(DAY, "online", data_dir=tmp_path, simulate=False)
    st = pl.transform(DAY, "online", data_dir=tmp_path)
    assert ex["rows_in"] == st["rows_in"] == 101
    assert st["reasons"] == {"outside_partition": 1, "wrong_column_count": 1} and st["kept"] == 99


def test_max_loss_gate_writes_rejects_but_nothing_loadable(tmp_path):
    pl.extract(DAY, "online", data_dir=tmp_path, defect_scale=8)
    with pytest.raises(MaxLossExceeded) as info:
        pl.transform(DAY, "online", data_dir=tmp_path, max_loss=0.10)
    assert isinstance(info.value, DataQualityError) and "null_customer" in str(info.value)
    part = pl.partition_dir(tmp_path, "clean", "online", DAY)
    assert (part / "rejected.parquet").is_file() and not (part / "part.parquet").exists()
    with pytest.raises(InputFileError, match="run transform first"):
        pl.load(DAY, "online", data_dir=tmp_path, warehouse=None, stats={})


def _contents(wh: Warehouse) -> dict[str, pd.DataFrame]:
    return {"fact": wh.read_table("sales_fact"), "runs": wh.read_table("etl_runs").drop(columns="duration_s"),
            "daily": wh.read_table("daily_sales")}


def test_run_day_twice_gives_identical_warehouse(tmp_path, wh):
    r1 = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    first = _contents(wh)
    r2 = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    for k, v in _contents(wh).items():
        pd.testing.assert_frame_equal(v, first[k])
    assert r1["branch"] == r2["branch"] == "publish" and r1["quality"]["score"] == 1.0
    runs = first["runs"]
    assert (runs["rows_in"] == runs["kept"] + runs["rejected"]).all() and (runs["loaded"] == runs["kept"]).all()
    assert set(runs["status"]) == {"published"} and len(first["fact"]) == runs["loaded"].sum()


def test_a_failing_source_loads_nothing_for_the_day(tmp_path, wh):
    pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    before = _contents(wh)
    with pytest.raises(MaxLossExceeded):
        pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, defect_scale={"clinic": 8})
    with pytest.raises(MaxLossExceeded):
        pl.run_day(DAY + pd.Timedelta(days=1), data_dir=tmp_path, warehouse=wh, defect_scale={"clinic": 8})
    for k, v in _contents(wh).items():
        pd.testing.assert_frame_equal(v, before[k])


def test_quality_score_and_branch(tmp_path, wh):
    r = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, defect_scale={"online": 2})
    assert r["branch"] == "flag_for_review" and r["quality"]["checks"]["reject_share_ok"] is False
    assert r["quality"]["score"] == pytest.approx(7 / 8)
    assert set(wh.read_table("etl_runs")["status"]) == {"needs_review"}
    # tamper with the warehouse behind the pipeline's back: the check must notice
    bad = pd.read_parquet(pl.partition_dir(tmp_path, "clean", "retail", DAY) / "part.parquet")
    bad.loc[0, "amount"] = -1.0
    wh.replace_partition(DAY, "retail", bad, {"rows_in": len(bad), "kept": len(bad), "rejected": 0,
                                              "duration_s": 0.0, "status": "loaded"})
    rep = pl.quality_check(DAY, wh, pl.SOURCES, review_share=1.0)
    assert rep.checks["positive_amounts"] is False and rep.score < 1.0
    assert pl.choose_branch(rep.score) == "flag_for_review" and pl.choose_branch(1.0) == "publish"
    missing = pl.quality_check(DAY, wh, [*pl.SOURCES, "mail"])
    assert missing.checks["all_sources_loaded"] is False


def test_notification_is_written_and_overwritten(tmp_path, wh):
    pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    s = pl.run_summary(DAY, wh)
    path = pl.write_notification(tmp_path, DAY, s)
    assert path.name == "2025-06-03.json" and pl.write_notification(tmp_path, DAY, s) == path
    assert s["loaded"] == sum(v["loaded"] for v in s["sources"].values()) > 0

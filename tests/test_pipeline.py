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


# -- issue 17: volume guard, publish what was checked, data intervals, edges ---------------------------
def _header_only(tmp_path, day, source="retail"):
    path = pl.landing_file(tmp_path, source, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(TRANSACTION_COLUMNS) + "\n", encoding="utf-8")
    return path


def test_a_header_only_feed_fails_the_volume_guard_and_keeps_the_published_day(tmp_path, wh):
    pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    before = _contents(wh)
    assert (before["fact"]["source"] == "retail").sum() > 300
    _header_only(tmp_path, DAY)
    with pytest.raises(pl.VolumeAnomaly, match="retail: an empty feed") as info:
        pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    assert isinstance(info.value, DataQualityError) and "expected_low_volume=['retail']" in str(info.value)
    for k, v in _contents(wh).items():  # nothing replaced: fact, metadata and published summary as before
        pd.testing.assert_frame_equal(v, before[k])


def test_an_expected_empty_feed_is_loaded_and_the_published_day_follows_the_fact(tmp_path, wh):
    pl.run_day(DAY, data_dir=tmp_path, warehouse=wh)
    _header_only(tmp_path, DAY)
    r = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, expected_low_volume=["retail"])
    assert r["branch"] == "publish"
    c = _contents(wh)
    assert "retail" not in set(c["fact"]["source"]) and "retail" not in set(c["daily"]["source"])
    runs = c["runs"].set_index("source")
    assert runs.loc["retail", ["rows_in", "kept", "loaded"]].tolist() == [0, 0, 0]
    fact = c["fact"].groupby("source")["amount"].sum().round(2)
    daily = c["daily"].groupby("source")["revenue"].sum().round(2)
    pd.testing.assert_series_equal(fact, daily, check_names=False, atol=0.05)


def test_a_low_feed_against_the_same_weekday_median_fails(tmp_path, wh):
    weeks = [DAY - pd.Timedelta(weeks=k) for k in (4, 3, 2, 1)]
    for d in weeks:
        pl.run_day(d, data_dir=tmp_path, warehouse=wh, sources=["clinic"])
    # a Monday in between is much smaller than a Tuesday, and must not lower the Tuesday baseline
    pl.run_day(DAY - pd.Timedelta(days=1), data_dir=tmp_path, warehouse=wh, sources=["clinic"], rows_per_day=40)
    base = pl.volume_baseline(wh.volume_history("clinic", DAY), DAY)
    assert base == pytest.approx(pd.Series([pl.feed_rows(d, "clinic") for d in weeks]).median())
    pl.land_feed(DAY, "clinic", tmp_path, rows=int(base * 0.4))
    with pytest.raises(pl.VolumeAnomaly, match="below 50% of the median"):
        pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, sources=["clinic"])
    assert not (wh.read_table("etl_runs")["run_date"] == DAY).any()
    pl.land_feed(DAY, "clinic", tmp_path, rows=int(base * 0.6))  # a quiet day, not an outage
    assert pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, sources=["clinic"])["branch"] == "publish"
    # configurable: a stricter ratio refuses the same feed
    with pytest.raises(pl.VolumeAnomaly):
        pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, sources=["clinic"], min_volume_ratio=0.9)


def test_volume_verdict_edges():
    hist = pd.DataFrame({"run_date": pd.to_datetime(["2025-05-27", "2025-06-02", "2025-06-03", "2025-06-10"]),
                         "rows_in": [100, 10, 500, 900]})
    v = pl.volume_verdict
    assert v(0, hist.iloc[:0], DAY) == "empty" and v(1, hist.iloc[:0], DAY) == "ok"  # no baseline yet
    assert v(49, hist, DAY) == "low" and v(50, hist, DAY) == "ok"  # only 05-27 counts: same weekday, before the day
    assert v(49, hist, DAY, min_ratio=0.4) == "ok"


def test_partition_day_comes_from_the_data_interval():
    import datetime as dt
    utc = dt.timezone.utc
    start, end = dt.datetime(2025, 6, 2, tzinfo=utc), dt.datetime(2025, 6, 3, tzinfo=utc)
    assert pl.partition_day(start, end) == pd.Timestamp("2025-06-02")
    assert pl.partition_day(end, end) == pd.Timestamp("2025-06-02")  # an empty interval: the day that just ended
    with pytest.raises(ConfigError):
        pl.partition_day(end, start)


def test_publish_acts_only_on_the_checked_sources(tmp_path, wh):
    r = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, defect_scale={"online": 2})
    assert r["branch"] == "flag_for_review"
    again = pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, sources=["retail"])
    assert again["branch"] == "publish" and again["quality"]["details"]["sources"] == ["retail"]
    assert set(wh.read_table("daily_sales")["source"]) == {"retail"}
    status = wh.read_table("etl_runs").set_index("source")["status"].to_dict()
    assert status == {"clinic": "needs_review", "online": "needs_review", "retail": "published"}
    with pytest.raises(ConfigError):
        pl.publish(DAY, wh, None)


@pytest.mark.parametrize("day", ["9999-12-31", "1066-10-14"])
def test_an_absurd_date_is_refused_before_anything_is_written(tmp_path, wh, day):
    with pytest.raises(ConfigError, match="outside"):
        pl.run_day(day, data_dir=tmp_path, warehouse=wh)
    wh.create_schema()
    assert len(wh.read_table("sales_fact")) == 0 and not (tmp_path / "staging").exists()


def test_quarantined_rows_keep_their_source_line_up_to_the_warehouse(tmp_path, wh):
    path = pl.land_feed(DAY, "online", tmp_path, rows=60, defect_scale=0)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7].replace("2025-06-03", "2025-06-01")  # line 8 of the file: another day
    lines.insert(20, "1,2,3")                                # line 21: a broken line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pl.run_day(DAY, data_dir=tmp_path, warehouse=wh, sources=["online"], simulate=False)
    rejected = pd.read_parquet(pl.partition_dir(tmp_path, "clean", "online", DAY) / "rejected.parquet")
    assert rejected[["line", "reason"]].values.tolist() == [[8, "outside_partition"], [21, "wrong_column_count"]]
    q = wh.read_table("quarantine")
    assert q[["line", "reason"]].values.tolist() == [[8, "outside_partition"], [21, "wrong_column_count"]]
    assert "2025-06-01" in q.loc[0, "record"]
    assert lines[7].split(",")[0] in q.loc[0, "record"]  # the transaction_id of that line

"""The real Airflow DAG, run with ``dag.test()`` in ONE subprocess (one initdb) whose results the tests assert.

Airflow reads ``AIRFLOW_HOME`` at its first import, so the scenarios run in a child process with every
location pointed into ``tmp``: nothing is written to ``~/airflow``. The child (``python tests/test_dag.py OUT``)
runs, in order: DagBag import + structure; the first run as the TIMETABLE schedules it (the run triggered at
D0 + 1 day must load D0, the day its data interval covers), then a 3-date backfill that starts with the same
date (so that date runs twice); the review branch, then a partial re-run of that day with one source (it must
publish that source only); a forced quality failure; a crash injected between DELETE and INSERT (a transient
error, so it is retried first); the failed day again without input (the sensor soft-fails: the skip must
replace the "failed" notification); a header-only feed (the volume guard fails the day and keeps the old
partition), then the same feed declared expected; and a misspelt password variable (a config error: not
retried). 13 runs, one initdb: ~1.5 min on an idle 2-core machine, ~3 min when it is busy.

Every run is triggered at ``day + 1`` (the morning after, as the scheduler does) and loads ``day``.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = ROOT / "dags" / "pharmacy_pipeline.py"
DAG_ID = "larkspur_pharmacy_pipeline"
D = ["2025-06-02", "2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06", "2025-06-07", "2025-06-08"]


# ============================================================== the child process (imports Airflow)
def _fingerprint(wh) -> dict:
    """Warehouse contents as comparable values: a hash of each table (durations excluded) + row counts."""
    from pharma_kit.warehouse import TABLES

    out = {}
    for name in ("sales_fact", "etl_runs", "daily_sales", "quarantine"):
        if name not in TABLES:  # (an older schema, when this driver runs against the code before issue 17)
            continue
        t = wh.read_table(name)
        if name == "etl_runs":
            t = t.drop(columns="duration_s")
        out[name] = {"rows": int(len(t)), "sha": hashlib.sha256(t.to_csv(index=False).encode()).hexdigest()}
    out["partitions"] = {f"{r.sale_date:%Y-%m-%d}/{r.source}": int(r.rows) for r in wh.partition_counts().itertuples()}
    out["status"] = {f"{r.run_date:%Y-%m-%d}/{r.source}": r.status for r in wh.read_table("etl_runs").itertuples()}
    daily = wh.read_table("daily_sales")
    out["published"] = {f"{d:%Y-%m-%d}": sorted(g["source"].unique()) for d, g in daily.groupby("sale_date")}
    out["revenue"] = {f"{d:%Y-%m-%d}/{s}": round(float(v), 2)
                      for (d, s), v in daily.groupby(["sale_date", "source"])["revenue"].sum().items()}
    fact = wh.read_table("sales_fact")
    out["fact_revenue"] = {f"{d:%Y-%m-%d}/{s}": round(float(v), 2)
                           for (d, s), v in fact.groupby(["sale_date", "source"])["amount"].sum().items()}
    return out


def _partition(start, end):
    """The day a data interval covers (the rule under test, restated here: the day before an empty interval's end)."""
    import pandas as pd

    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    day = start if end > start else end - pd.Timedelta(microseconds=1)
    return day.tz_localize(None).normalize()


def _drive(out_path: str) -> None:  # pragma: no cover - runs in the child
    import time

    t_start = time.perf_counter()
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import BaseSensorOperator
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.utils import db

    from pharma_kit.errors import TransientError
    from pharma_kit.warehouse import Warehouse

    db.initdb()
    print(f"INITDB done at {time.perf_counter() - t_start:.1f}s", file=sys.stderr)
    bag = DagBag(dag_folder=str(DAG_FILE.parent))
    res: dict = {"import_errors": {k: str(v)[:500] for k, v in bag.import_errors.items()}}
    dag = bag.get_dag(DAG_ID)
    t = dag.task_dict
    res["structure"] = {
        "tasks": sorted(t), "timetable": type(dag.timetable).__name__, "catchup": dag.catchup,
        "mapped": sorted(k for k, v in t.items() if getattr(v, "is_mapped", False)),
        "sensor": isinstance(t["wait_for_inputs"], BaseSensorOperator),
        "sensor_soft_fail": t["wait_for_inputs"].soft_fail, "sensor_mode": t["wait_for_inputs"].mode,
        "branch_downstream": sorted(t["choose_path"].downstream_task_ids),
        "notify_trigger_rule": getattr(t["notify"].trigger_rule, "value", str(t["notify"].trigger_rule)),
        "retries": t["extract"].retries if hasattr(t["extract"], "retries") else None,
        "backoff": t["load"].partial_kwargs.get("retry_exponential_backoff") if hasattr(t["load"], "partial_kwargs") else None,
        "quality_retries": t["check_quality"].retries, "quality_backoff": t["check_quality"].retry_exponential_backoff,
        "retry_policy": type(t["check_quality"].retry_policy).__name__,
        "callbacks": [bool(dag.on_success_callback), bool(dag.on_failure_callback)],
        "upstream_of_load": sorted(t["load"].upstream_task_ids),
        "execution_timeout_s": {k: (v.partial_kwargs.get("execution_timeout") if getattr(v, "is_mapped", False)
                                    else v.execution_timeout) for k, v in t.items() if k != "wait_for_inputs"},
    }
    res["structure"]["execution_timeout_s"] = {k: (v.total_seconds() if v is not None else None)
                                               for k, v in res["structure"]["execution_timeout_s"].items()}
    # the schedule itself: the run after the one covering [D0 - 1 day, D0) -- what the scheduler would create
    utc = pendulum.UTC
    d0 = pendulum.parse(D[0], tz=utc)
    timetable = dag.timetable
    if not hasattr(timetable, "next_dagrun_info"):  # an SDK-side timetable (e.g. schedule="@daily")
        from airflow.serialization.encoders import coerce_to_core_timetable
        timetable = coerce_to_core_timetable(timetable)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(d0.subtract(days=1), d0),
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
    res["scheduled"] = {"run_after": info.run_after.isoformat(),
                        "interval": [info.data_interval.start.isoformat(), info.data_interval.end.isoformat()],
                        "partition": f"{_partition(info.data_interval.start, info.data_interval.end):%Y-%m-%d}"}
    wh = Warehouse()
    runs = res["runs"] = []
    data = Path(os.environ["PHARMA_KIT_DATA_DIR"])
    notes = data / "notifications"

    def run(day: str, conf: dict | None = None, label: str = "", trigger: object = None) -> dict:
        t0 = time.perf_counter()
        # always pass every overridable param: in-process dag.test() reuses the task objects, and a
        # previous run's conf can linger in their params
        full = {"defect_scale": {}, "simulate": True, "sources": ["retail", "online", "clinic"],
                "expected_low_volume": [], **(conf or {})}
        when = trigger if trigger is not None else pendulum.parse(day, tz=utc).add(days=1)  # the morning after
        dr = dag.test(logical_date=when, run_conf=full)
        print(f"RUN {label} {day} {dr.state} {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        tis = {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: [str(ti.state), ti.try_number]
               for ti in dr.get_task_instances()}
        note = notes / f"{day}.json"
        r = {"label": label, "day": day, "state": str(dr.state), "tis": tis, "wh": _fingerprint(wh),
             "interval": [str(dr.data_interval_start), str(dr.data_interval_end)], "logical_date": str(dr.logical_date),
             "note": json.loads(note.read_text()) if note.exists() else None,
             "seconds": round(time.perf_counter() - t0, 1)}
        runs.append(r)
        return r

    run(D[0], label="first", trigger=info.run_after)  # exactly the scheduled run's trigger time
    for d in D[0:3]:  # a backfill of 3 dates; its first date re-runs D[0]: the "twice" check
        run(d, label="backfill")
    run(D[4], {"defect_scale": {"online": 2}}, label="review")
    run(D[4], {"sources": ["retail"]}, label="partial_rerun")
    run(D[5], {"defect_scale": {"online": 8}}, label="quality_fail")

    original = Warehouse._insert_rows

    def crash(self, conn, table, rows):
        if table.name == "sales_fact":
            raise TransientError("injected: connection dropped after DELETE, before INSERT")
        return original(self, conn, table, rows)

    Warehouse._insert_rows = crash
    try:
        run(D[1], label="crash")
    finally:
        Warehouse._insert_rows = original
    run(D[5], {"simulate": False}, label="no_input")  # the day that failed above, now without input
    header = data / "landing" / "retail" / f"{D[0]}.csv"
    header.parent.mkdir(parents=True, exist_ok=True)
    header.write_text("transaction_id,order_id,customer_id,store_id,product_id,order_date,quantity,amount\n")
    run(D[0], label="header_only")
    run(D[0], {"expected_low_volume": ["retail"]}, label="header_only_expected")
    header.unlink()
    saved = {k: os.environ.get(k) for k in ("PHARMA_KIT_WAREHOUSE_URL", "PHARMA_KIT_WAREHOUSE_PASWORD")}
    os.environ["PHARMA_KIT_WAREHOUSE_URL"] = "postgresql+psycopg://larkspur@127.0.0.1:9/dw?connect_timeout=1"
    os.environ["PHARMA_KIT_WAREHOUSE_PASWORD"] = "typo-in-the-name"
    try:
        run(D[3], label="config_typo")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    res["notifications"] = {p.stem: json.loads(p.read_text()) for p in sorted(notes.glob("*.json"))}
    Path(out_path).write_text(json.dumps(res, indent=1, default=str))


MONTHLY_DAG_ID = "larkspur_monthly_rebuild"
MONTH_DAYS = ["2025-05-01", "2025-05-02", "2025-05-31"]   # staged days of May (June 1st is staged too: not May)


def _drive_monthly(out_path: str) -> None:  # pragma: no cover - runs in the child
    """The monthly rebuild DAG through dag.test: in-process, on a LocalCluster named by the environment, then an
    unreachable and a malformed scheduler address."""
    import socket
    import time

    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.utils import db

    from pharma_kit import cluster as cl
    from pharma_kit import pipeline as pl

    db.initdb()
    bag = DagBag(dag_folder=str(DAG_FILE.parent))
    res: dict = {"import_errors": {k: str(v)[:500] for k, v in bag.import_errors.items()}, "runs": []}
    dag = bag.get_dag(MONTHLY_DAG_ID)
    utc = pendulum.UTC
    timetable = dag.timetable
    if not hasattr(timetable, "next_dagrun_info"):
        from airflow.serialization.encoders import coerce_to_core_timetable
        timetable = coerce_to_core_timetable(timetable)
    may = DataInterval(pendulum.datetime(2025, 5, 1, tz=utc), pendulum.datetime(2025, 6, 1, tz=utc))
    info = timetable.next_dagrun_info(last_automated_data_interval=may,
                                      restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
    res["scheduled"] = {"run_after": info.run_after.isoformat(),
                        "interval": [info.data_interval.start.isoformat(), info.data_interval.end.isoformat()],
                        "month": str(pl.partition_month(info.data_interval.start, info.data_interval.end))}
    data = Path(os.environ["PHARMA_KIT_DATA_DIR"])
    for day in MONTH_DAYS + ["2025-06-01"]:
        for source in pl.SOURCES:
            pl.extract(day, source, data_dir=data, rows_per_day=300)
            pl.transform(day, source, data_dir=data, max_loss=None)
    mart = pl.monthly_mart_file(data, "2025-05")

    def run(label: str, conf: dict | None = None) -> dict:
        t0 = time.perf_counter()
        mart.unlink(missing_ok=True)
        (mart.parent / "_manifest.json").unlink(missing_ok=True)
        full = {"month": "", "sources": list(pl.SOURCES), **(conf or {})}
        dr = dag.test(logical_date=pendulum.datetime(2025, 6, 1, tz=utc), run_conf=full)  # the run of June 1st
        tis = {ti.task_id: [str(ti.state), ti.try_number] for ti in dr.get_task_instances()}
        manifest = mart.parent / "_manifest.json"
        r = {"label": label, "state": str(dr.state), "tis": tis, "seconds": round(time.perf_counter() - t0, 1),
             "interval": [str(dr.data_interval_start), str(dr.data_interval_end)],
             "manifest": json.loads(manifest.read_text()) if manifest.exists() else None}
        print(f"MONTHLY {label} {dr.state} {r['seconds']}s", file=sys.stderr)
        res["runs"].append(r)
        return r

    os.environ.pop(cl.SCHEDULER_ENV, None)
    run("in_process")
    with cl.local_client(n_workers=2, threads_per_worker=1) as client:
        os.environ[cl.SCHEDULER_ENV] = client.scheduler.address
        try:
            r = run("cluster")
            r["scheduler"] = client.scheduler.address
        finally:
            os.environ.pop(cl.SCHEDULER_ENV, None)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    free = s.getsockname()[1]
    s.close()
    for label, address in (("unreachable", f"tcp://127.0.0.1:{free}"), ("malformed", "127.0.0.1:8786")):
        os.environ[cl.SCHEDULER_ENV] = address
        try:
            run(label)
        finally:
            os.environ.pop(cl.SCHEDULER_ENV, None)
    run("param_month", {"month": "2025-05"})
    res["mart_dir"] = str(mart.parent)
    res["data_dir"] = str(data)
    Path(out_path).write_text(json.dumps(res, indent=1, default=str))


# ============================================================== the tests (no Airflow import here)
@pytest.fixture(scope="module")
def airflow_results(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("airflow")
    home_airflow = Path.home() / "airflow"
    existed = home_airflow.exists()
    env = {**os.environ,
           "AIRFLOW_HOME": str(tmp / "airflow_home"), "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "PHARMA_KIT_DATA_DIR": str(tmp / "data"),
           "PHARMA_KIT_WAREHOUSE_URL": f"sqlite:///{tmp / 'data' / 'warehouse.sqlite'}",
           "PHARMA_DAG_RETRIES": "1", "PHARMA_DAG_RETRY_DELAY_S": "1",
           "PHARMA_DAG_SENSOR_TIMEOUT_S": "2", "PHARMA_DAG_SENSOR_POKE_S": "1", "PHARMA_DAG_TASK_TIMEOUT_S": "120",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("PHARMA_KIT_CONFIG", None)
    out = tmp / "results.json"
    log = tmp / "airflow.log"
    with open(log, "w") as fh:
        proc = subprocess.run([sys.executable, __file__, str(out)], env=env, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=900, cwd=str(tmp))
    tail = log.read_text(errors="replace")[-4000:]
    assert proc.returncode == 0 and out.exists(), f"the Airflow driver failed (log {log}):\n{tail}"
    assert existed or not home_airflow.exists(), "something wrote ~/airflow"
    assert (tmp / "airflow_home").is_dir()
    res = json.loads(out.read_text())
    res["_runs"] = {r["label"] + ("" if r["label"] != "backfill" else r["day"]): r for r in res["runs"]}
    res["_log"] = str(log)
    return res


def _states(run: dict, prefix: str) -> list[str]:
    return [v[0] for k, v in sorted(run["tis"].items()) if k.split("[")[0] == prefix]


def test_dagbag_imports_without_errors(airflow_results):
    assert airflow_results["import_errors"] == {}


def test_dag_structure(airflow_results):
    s = airflow_results["structure"]
    assert s["tasks"] == ["check_quality", "check_volume", "choose_path", "extract", "flag_for_review", "load",
                          "notify", "publish", "record_skip", "transform", "wait_for_inputs"]
    assert s["timetable"] == "CronTriggerTimetable" and s["catchup"] is False
    assert s["mapped"] == ["extract", "load", "transform"]
    assert s["sensor"] and s["sensor_soft_fail"] and s["sensor_mode"] == "reschedule"
    assert s["branch_downstream"] == ["flag_for_review", "publish"]
    assert s["notify_trigger_rule"] == "none_failed_min_one_success"
    assert s["quality_retries"] == 1 and s["quality_backoff"] == 2.0  # PHARMA_DAG_RETRIES=1 in this test
    assert s["retry_policy"] == "ExceptionRetryPolicy" and s["callbacks"] == [True, True]
    assert s["upstream_of_load"] == ["check_volume"]  # the volume guard sits before every load


def test_every_task_has_an_execution_timeout(airflow_results):
    """A hung lock or query fails the try (and is retried) instead of blocking the DAG forever."""
    timeouts = airflow_results["structure"]["execution_timeout_s"]
    assert set(timeouts) >= {"record_skip", "extract", "transform", "check_volume", "load", "check_quality", "publish", "notify"}
    assert set(timeouts.values()) == {120.0}  # PHARMA_DAG_TASK_TIMEOUT_S=120 in this test


def test_the_scheduled_run_loads_the_day_its_data_interval_covers(airflow_results):
    """From the timetable itself: the run triggered at D0 + 1 day covers [D0, D0 + 1 day) and loads D0."""
    sched = airflow_results["scheduled"]
    assert sched["run_after"].startswith("2025-06-03T00:00")
    assert [x[:10] for x in sched["interval"]] == ["2025-06-02", "2025-06-03"] and sched["partition"] == D[0]
    first = airflow_results["_runs"]["first"]
    assert first["state"] == "success" and first["logical_date"].startswith("2025-06-03")
    assert [x[:10] for x in first["interval"]] == ["2025-06-02", "2025-06-03"]
    assert {k.split("/")[0] for k in first["wh"]["partitions"]} == {D[0]}  # not the day that has just begun


def test_one_date_twice_gives_identical_warehouse(airflow_results):
    runs = airflow_results["_runs"]
    first, again = runs["first"], runs["backfill" + D[0]]
    assert first["state"] == again["state"] == "success"
    assert first["wh"] == again["wh"]
    assert set(first["wh"]["partitions"]) == {f"{D[0]}/{s}" for s in ("clinic", "online", "retail")}
    assert _states(first, "extract") == ["success"] * 3 and _states(first, "publish") == ["success"]
    assert _states(first, "flag_for_review") == ["skipped"] and _states(first, "record_skip") == ["skipped"]


def test_backfill_of_three_dates(airflow_results):
    runs = airflow_results["_runs"]
    for d in D[0:3]:
        assert runs["backfill" + d]["state"] == "success"
    wh = runs["backfill" + D[2]]["wh"]
    assert sorted({k.split("/")[0] for k in wh["partitions"]}) == D[:3]
    assert wh["etl_runs"]["rows"] == 9 and set(wh["status"].values()) == {"published"}
    assert wh["sales_fact"]["rows"] == sum(wh["partitions"].values())
    assert len(set(wh["partitions"].values())) > 3  # volumes differ by weekday and source
    assert wh["partitions"][f"{D[0]}/retail"] == runs["first"]["wh"]["partitions"][f"{D[0]}/retail"]


def test_low_score_takes_the_review_branch(airflow_results):
    r = airflow_results["_runs"]["review"]
    assert r["state"] == "success"
    assert _states(r, "flag_for_review") == ["success"] and _states(r, "publish") == ["skipped"]
    assert {v for k, v in r["wh"]["status"].items() if k.startswith(D[4])} == {"needs_review"}
    assert D[4] not in r["wh"]["published"]  # nothing of a day under review is published


def test_a_partial_rerun_publishes_only_what_it_checked(airflow_results):
    """The day under review re-run with sources=["retail"]: retail is checked and published, online is not."""
    r = airflow_results["_runs"]["partial_rerun"]
    assert r["state"] == "success" and _states(r, "publish") == ["success"]
    assert _states(r, "extract") == ["success"]  # one lane: retail
    assert r["wh"]["published"][D[4]] == ["retail"]
    status = {k.split("/")[1]: v for k, v in r["wh"]["status"].items() if k.startswith(D[4])}
    assert status == {"clinic": "needs_review", "online": "needs_review", "retail": "published"}


def test_forced_quality_failure_fails_the_run_and_loads_nothing(airflow_results):
    runs = airflow_results["_runs"]
    r = runs["quality_fail"]
    assert r["state"] == "failed"
    assert sorted(_states(r, "transform")) == ["failed", "success", "success"]  # only 'online' is bad ...
    failed = [v for k, v in r["tis"].items() if k.startswith("transform") and v[0] == "failed"]
    assert failed == [["failed", 1]]  # ... and a DataQualityError is not retried
    assert _states(r, "load") == ["upstream_failed"]
    assert r["wh"] == runs["partial_rerun"]["wh"]  # ... so not even the good sources of that day were loaded
    assert not any(k.startswith(D[5]) for k in r["wh"]["partitions"])


def test_crash_between_delete_and_insert_keeps_previous_partition(airflow_results):
    r = airflow_results["_runs"]["crash"]
    assert r["state"] == "failed"
    loads = [v for k, v in r["tis"].items() if k.startswith("load")]
    assert len(loads) == 3 and all(v == ["failed", 2] for v in loads)  # transient: retried once, then failed
    assert r["wh"] == airflow_results["_runs"]["quality_fail"]["wh"]
    assert r["wh"]["partitions"][f"{D[1]}/retail"] > 0
    assert r["note"]["run_status"] == "failed"


def test_no_input_skips_the_run_and_writes_the_skip(airflow_results):
    runs = airflow_results["_runs"]
    r = runs["no_input"]
    assert r["state"] == "success"
    assert {k: v[0] for k, v in r["tis"].items() if v[0] != "skipped"} == {"record_skip": "success"}
    assert not any(k.startswith(D[5]) for k in r["wh"]["partitions"])
    assert runs["quality_fail"]["note"]["run_status"] == "failed"  # the same day failed before ...
    assert r["note"]["run_status"] == "skipped" and "no input" in r["note"]["reason"]  # ... the skip replaces it


def test_a_header_only_feed_fails_the_volume_guard_and_keeps_the_partition(airflow_results):
    runs = airflow_results["_runs"]
    before, r = runs["no_input"]["wh"], runs["header_only"]
    assert r["state"] == "failed"
    assert _states(r, "check_volume") == ["failed"] and r["tis"]["check_volume"][1] == 1  # not retried
    assert _states(r, "load") == ["upstream_failed"]
    assert r["wh"] == before  # every table exactly as before: the published retail day survives
    assert r["wh"]["partitions"][f"{D[0]}/retail"] > 300
    assert r["note"]["run_status"] == "failed"


def test_an_expected_empty_feed_loads_and_stays_consistent(airflow_results):
    """Declared with expected_low_volume, the empty retail feed replaces the partition; the published
    aggregates follow the fact table (no retail revenue left behind)."""
    r = airflow_results["_runs"]["header_only_expected"]
    assert r["state"] == "success" and _states(r, "publish") == ["success"]
    assert f"{D[0]}/retail" not in r["wh"]["partitions"]
    assert r["wh"]["published"][D[0]] == ["clinic", "online"]
    assert f"{D[0]}/retail" not in r["wh"]["revenue"]
    assert all(r["wh"]["fact_revenue"][k] == v for k, v in r["wh"]["revenue"].items())


def test_published_aggregates_always_match_the_fact_table(airflow_results):
    for r in airflow_results["runs"]:
        wh = r["wh"]
        assert all(wh["fact_revenue"][k] == v for k, v in wh["revenue"].items()), r["label"]


def test_a_misspelt_password_variable_fails_at_once(airflow_results):
    r = airflow_results["_runs"]["config_typo"]
    assert r["state"] == "failed"
    assert r["tis"]["check_volume"] == ["failed", 1]  # a ConfigError: no retry
    log = Path(airflow_results["_log"]).read_text(errors="replace")
    assert "PHARMA_KIT_WAREHOUSE_PASWORD" in log and "typo-in-the-name" not in log


def test_callbacks_write_a_summary(airflow_results):
    runs = airflow_results["_runs"]
    assert runs["first"]["note"]["run_status"] == "success" and runs["first"]["note"]["loaded"] > 0
    assert runs["quality_fail"]["note"]["run_status"] == "failed" and runs["quality_fail"]["note"]["loaded"] == 0
    notes = airflow_results["notifications"]
    assert notes[D[1]]["run_status"] == "failed"  # the crash run's failure callback


def test_dag_file_avoids_the_source_notes_traps():
    text = DAG_FILE.read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in text.splitlines())  # comments may name the traps
    body = code.split('"""', 2)[2]  # skip the module docstring
    for trap in ("CURRENT_DATE", "datetime.now", "utcnow", "/tmp", "if_exists", "lambda", "execute(",
                 "password", "create_engine"):
        assert trap not in body, trap


# ============================================================== the monthly rebuild DAG (issue 20)
@pytest.fixture(scope="module")
def monthly_results(tmp_path_factory) -> dict:
    """One child process: initdb, stage 3 days of May and June 1st, then 5 dag.test runs of the monthly DAG."""
    tmp = tmp_path_factory.mktemp("airflow_monthly")
    env = {**os.environ,
           "AIRFLOW_HOME": str(tmp / "airflow_home"), "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "PHARMA_KIT_DATA_DIR": str(tmp / "data"),
           "PHARMA_KIT_WAREHOUSE_URL": f"sqlite:///{tmp / 'data' / 'warehouse.sqlite'}",
           "PHARMA_DAG_RETRIES": "1", "PHARMA_DAG_RETRY_DELAY_S": "1", "PHARMA_DAG_TASK_TIMEOUT_S": "120",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("PHARMA_KIT_CONFIG", None)
    env.pop("PHARMA_KIT_DASK_SCHEDULER", None)
    out = tmp / "results.json"
    log = tmp / "airflow.log"
    with open(log, "w") as fh:
        proc = subprocess.run([sys.executable, __file__, "--monthly", str(out)], env=env, stdout=fh,
                              stderr=subprocess.STDOUT, timeout=600, cwd=str(tmp))
    tail = log.read_text(errors="replace")[-4000:]
    assert proc.returncode == 0 and out.exists(), f"the monthly Airflow driver failed (log {log}):\n{tail}"
    res = json.loads(out.read_text())
    res["_runs"] = {r["label"]: r for r in res["runs"]}
    return res


def test_monthly_dag_imports_and_is_scheduled_for_the_month_that_ended(monthly_results):
    assert monthly_results["import_errors"] == {}
    scheduled = monthly_results["scheduled"]          # the run after May's: triggered July 1st, rebuilds June
    assert scheduled["run_after"].startswith("2025-07-01T00:00")
    assert scheduled["interval"][0].startswith("2025-06-01") and scheduled["interval"][1].startswith("2025-07-01")
    assert scheduled["month"] == "2025-06"
    first = monthly_results["_runs"]["in_process"]    # the run of June 1st covers May
    assert first["interval"][0].startswith("2025-05-01") and first["interval"][1].startswith("2025-06-01")


def test_monthly_rebuild_in_process_and_on_the_cluster_give_the_same_table(monthly_results):
    runs = monthly_results["_runs"]
    local, remote, by_param = runs["in_process"], runs["cluster"], runs["param_month"]
    for r in (local, remote, by_param):
        assert r["state"] == "success" and r["tis"]["rebuild_month"] == ["success", 1], r
        assert r["manifest"]["month"] == "2025-05" and r["manifest"]["files"] == 3 * 3   # 3 days x 3 sources
    assert local["manifest"]["where"] == "in-process" == by_param["manifest"]["where"]
    assert remote["manifest"]["where"] == remote["scheduler"] and remote["scheduler"].startswith("tcp://127.0.0.1:")
    assert local["manifest"]["digest"] == remote["manifest"]["digest"] == by_param["manifest"]["digest"]
    assert local["manifest"]["rows"] == remote["manifest"]["rows"] > 0


def test_monthly_mart_equals_an_independent_recomputation(monthly_results, tmp_path):
    """The mart file against lesson 04's stream over the same staged files (and June 1st is not in May)."""
    import pandas as pd

    from pharma_kit import chunked as ch
    from pharma_kit import engines
    from pharma_kit import pipeline as pl

    data = Path(monthly_results["data_dir"])
    files = pl.month_staging_files(data, "2025-05")
    assert len(files) == 9 and not any("2025-06" in str(f) for f in files)
    both = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    assert both["order_date"].dt.strftime("%Y-%m").eq("2025-05").all()
    both.to_parquet(tmp_path / "may.parquet", index=False)
    expected = ch.aggregate_file(tmp_path / "may.parquet", progress=False)
    mart = pd.read_parquet(Path(monthly_results["mart_dir"]) / "part.parquet")
    assert engines.same_result(expected, mart) is None


def test_monthly_rebuild_bad_scheduler_fails_fast_and_clearly(monthly_results):
    runs = monthly_results["_runs"]
    unreachable, malformed = runs["unreachable"], runs["malformed"]
    assert unreachable["state"] == "failed" and unreachable["manifest"] is None
    assert unreachable["tis"]["rebuild_month"] == ["failed", 2]      # TransientError: retried once, then failed
    assert malformed["state"] == "failed" and malformed["manifest"] is None
    assert malformed["tis"]["rebuild_month"] == ["failed", 1]        # ConfigError: not retried
    assert unreachable["seconds"] < 60 and malformed["seconds"] < 60  # no hang (dag.test itself takes seconds)


if __name__ == "__main__":  # the child process
    if sys.argv[1] == "--monthly":
        _drive_monthly(sys.argv[2])
    else:
        _drive(sys.argv[1])

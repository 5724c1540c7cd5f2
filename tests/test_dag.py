"""The real Airflow DAG, run with ``dag.test()`` in ONE subprocess (one initdb) whose results the tests assert.

Airflow reads ``AIRFLOW_HOME`` at its first import, so the scenarios run in a child process with every
location pointed into ``tmp``: nothing is written to ``~/airflow``. The child (``python tests/test_dag.py OUT``)
runs, in order: DagBag import + structure; one date, then a 3-date backfill that starts with the same date
(so that date runs twice); the review branch; a forced quality failure; a crash injected between DELETE and
INSERT (a transient error, so it is retried first); and a day without input (the sensor soft-fails, the run
is skipped). 8 runs, one initdb: ~45 s on an idle 2-core machine, ~90 s when it is busy.
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
    out = {}
    for name in ("sales_fact", "etl_runs", "daily_sales"):
        t = wh.read_table(name)
        if name == "etl_runs":
            t = t.drop(columns="duration_s")
        out[name] = {"rows": int(len(t)), "sha": hashlib.sha256(t.to_csv(index=False).encode()).hexdigest()}
    out["partitions"] = {f"{r.sale_date:%Y-%m-%d}/{r.source}": int(r.rows) for r in wh.partition_counts().itertuples()}
    out["status"] = {f"{r.run_date:%Y-%m-%d}/{r.source}": r.status for r in wh.read_table("etl_runs").itertuples()}
    return out


def _drive(out_path: str) -> None:  # pragma: no cover - runs in the child
    import time

    t_start = time.perf_counter()
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import BaseSensorOperator
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
        "tasks": sorted(t), "schedule": str(dag.schedule), "catchup": dag.catchup,
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
    }
    wh = Warehouse()
    runs = res["runs"] = []

    def run(day: str, conf: dict | None = None, label: str = "") -> dict:
        t0 = time.perf_counter()
        # always pass every overridable param: in-process dag.test() reuses the task objects, and a
        # previous run's conf can linger in their params
        full = {"defect_scale": {}, "simulate": True, **(conf or {})}
        dr = dag.test(logical_date=pendulum.parse(day), run_conf=full)
        print(f"RUN {label} {day} {dr.state} {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        tis = {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: [str(ti.state), ti.try_number]
               for ti in dr.get_task_instances()}
        r = {"label": label, "day": day, "state": str(dr.state), "tis": tis, "wh": _fingerprint(wh)}
        runs.append(r)
        return r

    run(D[0], label="first")
    for d in D[0:3]:  # a backfill of 3 dates; its first date re-runs D[0]: the "twice" check
        run(d, label="backfill")
    run(D[4], {"defect_scale": {"online": 2}}, label="review")
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
    run(D[6], {"simulate": False}, label="no_input")
    notes = Path(os.environ["PHARMA_KIT_DATA_DIR"]) / "notifications"
    res["notifications"] = {p.stem: json.loads(p.read_text()) for p in sorted(notes.glob("*.json"))}
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
           "PHARMA_DAG_SENSOR_TIMEOUT_S": "2", "PHARMA_DAG_SENSOR_POKE_S": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("PHARMA_KIT_CONFIG", None)
    out = tmp / "results.json"
    log = tmp / "airflow.log"
    with open(log, "w") as fh:
        proc = subprocess.run([sys.executable, __file__, str(out)], env=env, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=300, cwd=str(tmp))
    tail = log.read_text(errors="replace")[-4000:]
    assert proc.returncode == 0 and out.exists(), f"the Airflow driver failed (log {log}):\n{tail}"
    assert existed or not home_airflow.exists(), "something wrote ~/airflow"
    assert (tmp / "airflow_home").is_dir()
    res = json.loads(out.read_text())
    res["_runs"] = {r["label"] + ("" if r["label"] != "backfill" else r["day"]): r for r in res["runs"]}
    return res


def _states(run: dict, prefix: str) -> list[str]:
    return [v[0] for k, v in sorted(run["tis"].items()) if k.split("[")[0] == prefix]


def test_dagbag_imports_without_errors(airflow_results):
    assert airflow_results["import_errors"] == {}


def test_dag_structure(airflow_results):
    s = airflow_results["structure"]
    assert s["tasks"] == ["check_quality", "choose_path", "extract", "flag_for_review", "load", "notify",
                          "publish", "transform", "wait_for_inputs"]
    assert s["schedule"] == "@daily" and s["catchup"] is False
    assert s["mapped"] == ["extract", "load", "transform"]
    assert s["sensor"] and s["sensor_soft_fail"] and s["sensor_mode"] == "reschedule"
    assert s["branch_downstream"] == ["flag_for_review", "publish"]
    assert s["notify_trigger_rule"] == "none_failed_min_one_success"
    assert s["quality_retries"] == 1 and s["quality_backoff"] == 2.0  # PHARMA_DAG_RETRIES=1 in this test
    assert s["retry_policy"] == "ExceptionRetryPolicy" and s["callbacks"] == [True, True]
    assert s["upstream_of_load"] == ["transform"]


def test_one_date_twice_gives_identical_warehouse(airflow_results):
    runs = airflow_results["_runs"]
    first, again = runs["first"], runs["backfill" + D[0]]
    assert first["state"] == again["state"] == "success"
    assert first["wh"] == again["wh"]
    assert set(first["wh"]["partitions"]) == {f"{D[0]}/{s}" for s in ("clinic", "online", "retail")}
    assert _states(first, "extract") == ["success"] * 3 and _states(first, "publish") == ["success"]
    assert _states(first, "flag_for_review") == ["skipped"]


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


def test_forced_quality_failure_fails_the_run_and_loads_nothing(airflow_results):
    runs = airflow_results["_runs"]
    r = runs["quality_fail"]
    assert r["state"] == "failed"
    assert sorted(_states(r, "transform")) == ["failed", "success", "success"]  # only 'online' is bad ...
    failed = [v for k, v in r["tis"].items() if k.startswith("transform") and v[0] == "failed"]
    assert failed == [["failed", 1]]  # ... and a DataQualityError is not retried
    assert _states(r, "load") == ["upstream_failed"]
    assert r["wh"] == runs["review"]["wh"]  # ... so not even the good sources of that day were loaded
    assert not any(k.startswith(D[5]) for k in r["wh"]["partitions"])


def test_crash_between_delete_and_insert_keeps_previous_partition(airflow_results):
    r = airflow_results["_runs"]["crash"]
    assert r["state"] == "failed"
    loads = [v for k, v in r["tis"].items() if k.startswith("load")]
    assert len(loads) == 3 and all(v == ["failed", 2] for v in loads)  # transient: retried once, then failed
    assert r["wh"] == airflow_results["_runs"]["quality_fail"]["wh"]
    assert r["wh"]["partitions"][f"{D[1]}/retail"] > 0


def test_no_input_skips_the_run(airflow_results):
    r = airflow_results["_runs"]["no_input"]
    assert r["state"] == "success"
    assert set(v[0] for v in r["tis"].values()) == {"skipped"}
    assert not any(k.startswith(D[6]) for k in r["wh"]["partitions"])


def test_callbacks_write_a_summary(airflow_results):
    notes = airflow_results["notifications"]
    assert notes[D[0]]["run_status"] == "success" and notes[D[0]]["loaded"] > 0
    assert notes[D[1]]["run_status"] == "failed"  # the crash run's failure callback
    assert notes[D[5]]["run_status"] == "failed" and notes[D[5]]["loaded"] == 0


def test_dag_file_avoids_the_source_notes_traps():
    text = DAG_FILE.read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in text.splitlines())  # comments may name the traps
    body = code.split('"""', 2)[2]  # skip the module docstring
    for trap in ("CURRENT_DATE", "datetime.now", "utcnow", "/tmp", "if_exists", "lambda", "execute(",
                 "password", "create_engine"):
        assert trap not in body, trap


if __name__ == "__main__":  # the child process
    _drive(sys.argv[1])

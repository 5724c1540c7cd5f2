"""Run the lesson-06 DAG locally with Airflow's ``dag.test()``, quietly: Airflow's log goes to a file.

Airflow reads ``AIRFLOW_HOME`` when it is first imported and then logs a few hundred lines per run (migrations,
deprecation notices, one block per task). A notebook wants the outcome, not the noise, so :func:`run_dag`
runs the DAG in a child process (``python -m pharma_kit.dagrun SPEC OUT``) whose stdout and stderr go to
``<work_dir>/airflow.log``, and returns compact tables::

    res = run_dag([{"day": "2025-06-02"}], work_dir=WORK / "airflow")
    res.tasks      # run, task, map_index, state, try, seconds (one row per task instance)
    res.runs       # label, day, state, logical_date, data interval
    res.schedule   # what the DAG's own timetable schedules next: trigger time, data interval, partition day
    res.log_path   # the full Airflow log, for the curious

Each run is triggered the morning after its ``day`` (``logical_date = day + 1 day``, as the daily
``CronTriggerTimetable`` does), so it loads ``day``: the partition comes from the data interval.
This module imports Airflow only in the child process; importing it costs nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

DAG_ID = "larkspur_pharmacy_pipeline"
ROOT = Path(__file__).resolve().parents[1]
DAGS_FOLDER = ROOT / "dags"


@dataclass
class DagRunResult:
    """What :func:`run_dag` found: one row per run, one row per task instance, the schedule, the log."""

    runs: pd.DataFrame
    tasks: pd.DataFrame
    schedule: dict[str, str]
    log_path: Path
    import_errors: dict[str, str]

    def states(self, label: str) -> dict[str, list[str]]:
        """``{task: [state of each map index]}`` for one run (deterministic: no timings)."""
        t = self.tasks[self.tasks["run"] == label].sort_values(["task", "map_index"])
        return {k: g["state"].tolist() for k, g in t.groupby("task", sort=True)}


def run_dag(runs: Iterable[Mapping[str, Any]], *, work_dir: str | os.PathLike, warehouse_url: str | None = None,
            data_dir: str | os.PathLike | None = None, dags_folder: str | os.PathLike = DAGS_FOLDER,
            env: Mapping[str, str] | None = None, timeout_s: float = 900) -> DagRunResult:
    """Run ``runs`` (dicts: ``day``, optional ``conf`` and ``label``) through ``dag.test()`` in one child process.

    ``work_dir`` holds ``AIRFLOW_HOME``, the log and (unless ``data_dir`` is given) the data directory with a
    SQLite warehouse. Raises ``RuntimeError`` naming the log when the child fails (not when a DAG run fails:
    a failed run is a result, shown in ``runs``).
    """
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    data = Path(data_dir) if data_dir is not None else work / "data"
    spec = [{"label": str(r.get("label", r["day"])), "day": str(r["day"]), "conf": dict(r.get("conf", {}))}
            for r in runs]
    spec_path, out_path, log_path = work / "runs.json", work / "results.json", work / "airflow.log"
    spec_path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    out_path.unlink(missing_ok=True)
    child_env = {**os.environ, **(env or {}),
                 "AIRFLOW_HOME": str(work / "home"), "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dags_folder)),
                 "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PHARMA_KIT_DATA_DIR": str(data),
                 "PHARMA_KIT_WAREHOUSE_URL": warehouse_url or f"sqlite:///{data / 'warehouse.sqlite'}",
                 "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    child_env.setdefault("PHARMA_DAG_RETRY_DELAY_S", "1")
    with open(log_path, "w", encoding="utf-8") as fh:
        proc = subprocess.run([sys.executable, "-m", "pharma_kit.dagrun", str(spec_path), str(out_path)],
                              env=child_env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout_s, cwd=str(work))
    if proc.returncode != 0 or not out_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"the Airflow child process failed (exit {proc.returncode}); log: {log_path}\n{tail}")
    res = json.loads(out_path.read_text(encoding="utf-8"))
    tasks = pd.DataFrame(res["tasks"], columns=["run", "task", "map_index", "state", "try", "seconds"])
    tasks = tasks.astype({"run": "str", "task": "str", "map_index": "int64", "state": "str", "try": "int64",
                          "seconds": "float64"}).sort_values(["run", "task", "map_index"], kind="stable")
    order = {r["label"]: i for i, r in enumerate(spec)}
    tasks = tasks.sort_values("run", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    runs_df = pd.DataFrame(res["runs"], columns=["label", "day", "state", "logical_date", "interval_start",
                                                 "interval_end"])
    return DagRunResult(runs_df, tasks, res["schedule"], log_path, res["import_errors"])


def _child(spec_path: str, out_path: str) -> None:  # pragma: no cover - runs in the child process
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.utils import db

    from pharma_kit import pipeline as pl

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    db.initdb()
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    out: dict[str, Any] = {"import_errors": {k: str(v)[:500] for k, v in bag.import_errors.items()},
                           "runs": [], "tasks": [], "schedule": {}}
    dag = bag.get_dag(DAG_ID)
    utc = pendulum.UTC
    if spec:  # what the timetable itself schedules after the run that covered the first day's eve
        d0 = pendulum.parse(spec[0]["day"], tz=utc)
        timetable = dag.timetable
        if not hasattr(timetable, "next_dagrun_info"):  # an SDK-side timetable (e.g. schedule="@daily")
            from airflow.serialization.encoders import coerce_to_core_timetable
            timetable = coerce_to_core_timetable(timetable)
        info = timetable.next_dagrun_info(
            last_automated_data_interval=DataInterval(d0.subtract(days=1), d0),
            restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
        iv = info.data_interval
        out["schedule"] = {"timetable": type(dag.timetable).__name__, "trigger": info.run_after.isoformat(),
                           "interval_start": iv.start.isoformat(), "interval_end": iv.end.isoformat(),
                           "partition": f"{pl.partition_day(iv.start, iv.end):%Y-%m-%d}"}
    for run in spec:
        conf = {"defect_scale": {}, "simulate": True, "sources": list(pl.SOURCES), "expected_low_volume": [],
                **run["conf"]}  # every overridable param: in-process runs reuse task objects
        when = pendulum.parse(run["day"], tz=utc).add(days=1)
        dr = dag.test(logical_date=when, run_conf=conf)
        out["runs"].append({"label": run["label"], "day": run["day"], "state": str(dr.state),
                            "logical_date": dr.logical_date.isoformat(),
                            "interval_start": dr.data_interval_start.isoformat(),
                            "interval_end": dr.data_interval_end.isoformat()})
        for ti in dr.get_task_instances():
            out["tasks"].append({"run": run["label"], "task": ti.task_id, "map_index": int(ti.map_index),
                                 "state": str(getattr(ti.state, "value", ti.state)), "try": int(ti.try_number),
                                 "seconds": round(float(ti.duration or 0.0), 2)})
    Path(out_path).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    _child(sys.argv[1], sys.argv[2])

"""Larkspur Pharmacies' daily ETL as an Airflow 3 DAG: thin TaskFlow wiring over ``pharma_kit.pipeline``.

    wait_for_inputs (sensor, soft-fail = skip the day; then record_skip writes the skip as the day's notice)
      -> extract.expand(source=...) -> transform.expand(...) -> check_volume -> load.expand(...)
      -> check_quality -> choose_path (branch) -> publish | flag_for_review -> notify

What it avoids, on purpose (the source notes' traps and the production ones):
- every task partitions by the run's **data interval**, never the clock (``CURRENT_DATE`` breaks backfills) and
  never the trigger time: the schedule is a daily ``CronTriggerTimetable`` at 00:00 UTC with a one-day
  ``interval``, so the run triggered at 2025-06-03T00:00 (logical date 2025-06-03) loads 2025-06-02;
- a feed that is empty or below ``min_volume_ratio`` of its usual same-weekday volume fails the day before any
  partition is replaced (``check_volume``), unless the run param ``expected_low_volume`` names the source;
- publish/flag act only on the sources this run checked (a partial re-run never publishes unchecked data);
- every task has an ``execution_timeout`` and the warehouse sets ``lock_timeout``/``statement_timeout``, so a
  stuck lock fails (and is retried) instead of hanging;
- staging files live under ``staging/<zone>/source=<s>/dt=<day>/`` (no shared ``/tmp`` names);
- loads replace their (day, source) partition in one transaction (a retry cannot append duplicates);
- sources fan out with ``.expand`` (no ``lambda`` built in a ``for`` loop, no late-binding closure);
- locations and credentials come from the environment (``PHARMA_KIT_DATA_DIR``, ``PHARMA_KIT_WAREHOUSE_URL``);
- SQL goes through SQLAlchemy Core with bound parameters (``pharma_kit.warehouse``), never a raw string.

Retries back off exponentially, but only for errors that may pass: a data-quality, volume, config or
credentials error fails the task at once (``ExceptionRetryPolicy``). Tuning for tests: ``PHARMA_DAG_RETRIES``,
``PHARMA_DAG_RETRY_DELAY_S``, ``PHARMA_DAG_SENSOR_TIMEOUT_S``, ``PHARMA_DAG_SENSOR_POKE_S``,
``PHARMA_DAG_TASK_TIMEOUT_S`` (read at parse time).

Run params (``dag.test(run_conf=...)`` or "Trigger with config"): ``sources``, ``rows_per_day``, ``simulate``,
``max_loss``, ``review_share``, ``defect_scale``, ``min_volume_ratio`` and ``expected_low_volume`` (a list of
sources whose empty or low feed is expected today, e.g. ``["clinic"]`` on a clinic closure day).
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from dateutil.relativedelta import relativedelta
from airflow.sdk import (ExceptionRetryPolicy, Param, PokeReturnValue, RetryAction, RetryRule, TriggerRule, dag,
                         get_current_context, task)
from airflow.timetables.trigger import CronTriggerTimetable

try:
    import pharma_kit  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`: the package sits next to dags/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pharma_kit import pipeline as pl
from pharma_kit.errors import ConfigError, DataQualityError, InputFileError, TransientError
from pharma_kit.warehouse import Warehouse, default_data_dir

log = logging.getLogger("pharma_kit.dags.pharmacy_pipeline")

DAG_ID = "larkspur_pharmacy_pipeline"
RETRIES = int(os.environ.get("PHARMA_DAG_RETRIES", "2"))
RETRY_DELAY = timedelta(seconds=float(os.environ.get("PHARMA_DAG_RETRY_DELAY_S", "300")))
SENSOR_TIMEOUT_S = float(os.environ.get("PHARMA_DAG_SENSOR_TIMEOUT_S", str(6 * 3600)))
SENSOR_POKE_S = float(os.environ.get("PHARMA_DAG_SENSOR_POKE_S", "300"))
#: No task may run longer than this (a hung lock or a stuck query fails the try instead of blocking the DAG).
TASK_TIMEOUT = timedelta(seconds=float(os.environ.get("PHARMA_DAG_TASK_TIMEOUT_S", str(30 * 60))))
#: Daily at 00:00 UTC; each run covers the day that just ended: data interval [trigger - 1 day, trigger).
TIMETABLE = CronTriggerTimetable("0 0 * * *", timezone="UTC", interval=timedelta(days=1))
SOURCE_PATTERN = "^[a-z][a-z0-9_]{0,31}$"

#: Retry only what may pass; bad data or bad config fails at once (retrying gives the same answer).
RETRY_POLICY = ExceptionRetryPolicy(rules=[
    RetryRule(exception=[DataQualityError, ConfigError, InputFileError], action=RetryAction.FAIL,
              reason="bad data or configuration: a retry cannot fix it"),
    RetryRule(exception=TransientError, action=RetryAction.RETRY, reason="transient: back off and retry"),
])


def data_dir() -> Path:
    """Where landing/staging/notification files live: ``PHARMA_KIT_DATA_DIR`` or ``<project>/data``."""
    return default_data_dir()


def warehouse() -> Warehouse:
    """The warehouse named by ``PHARMA_KIT_WAREHOUSE_URL`` (or config), else SQLite in the data dir."""
    return Warehouse()


def run_day() -> Any:
    """The partition day of the running task's DAG run: from its data interval (see ``pl.partition_day``)."""
    ctx = get_current_context()
    return pl.partition_day(ctx["data_interval_start"], ctx["data_interval_end"])


def _notify_run(context: Any, status: str) -> None:
    """DAG callback: log a one-line summary and write it as the day's notification (never raises).

    A run whose every task was skipped gets a context without ``dag_run``; its notice is written by the
    ``record_skip`` task instead (it must replace a previous run's "failed" notice for the same day).
    """
    try:
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "data_interval_start", None)
        end = getattr(dag_run, "data_interval_end", None)
        if dag_run is None or start is None or end is None:
            log.info("Larkspur ETL run %s %s (%s): no data interval, nothing to report", context.get("run_id"),
                     status, context.get("reason", ""))
            return
        day = pl.partition_day(start, end)
        note = data_dir() / "notifications" / f"{day:%Y-%m-%d}.json"
        if note.exists():  # this very run recorded a skip (record_skip): that is the notice, keep it
            old = json.loads(note.read_text(encoding="utf-8"))
            if old.get("run_status") == "skipped" and old.get("run_id") == str(getattr(dag_run, "run_id", "")):
                log.info("Larkspur ETL run %s skipped for %s (no input)", old["run_id"], old["day"])
                return
        with warehouse() as wh:
            wh.create_schema()
            summary = pl.run_summary(day, wh)
        summary["run_status"] = status
        summary["run_id"] = str(getattr(dag_run, "run_id", ""))
        pl.write_notification(data_dir(), day, summary)
        log.info("Larkspur ETL %s for %s: loaded %s rows, rejected %s, sources %s", status, summary["day"],
                 summary["loaded"], summary["rejected"], sorted(summary["sources"]))
    except Exception:  # a notifier must not hide the run's own outcome
        log.exception("could not send the run notification")


def on_run_success(context: Any) -> None:
    """Callback for a successful run."""
    _notify_run(context, "success")


def on_run_failure(context: Any) -> None:
    """Callback for a failed run."""
    _notify_run(context, "failed")



#: retries with exponential backoff for transient errors only, and a time limit, for every task of both DAGs
DEFAULT_ARGS = {
    "owner": "data-eng",
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "retry_policy": RETRY_POLICY,
    "execution_timeout": TASK_TIMEOUT,
}

@dag(
    dag_id=DAG_ID,
    description="Larkspur Pharmacies: daily, idempotent, partitioned ETL of the transaction feeds",
    schedule=TIMETABLE,
    start_date=pendulum.datetime(2025, 6, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["larkspur", "etl", "lesson06"],
    default_args=DEFAULT_ARGS,
    params={
        "sources": Param(list(pl.SOURCES), type="array", items={"type": "string", "pattern": SOURCE_PATTERN},
                         minItems=1, description="feeds to load"),
        "rows_per_day": Param(pl.DEFAULT_ROWS_PER_DAY, type="integer", minimum=1, description="simulated volume"),
        "simulate": Param(True, type="boolean", description="generate a feed when no landing file exists"),
        "max_loss": Param(pl.DEFAULT_MAX_LOSS, type="number", minimum=0, maximum=1),
        "review_share": Param(pl.DEFAULT_REVIEW_SHARE, type="number", minimum=0, maximum=1),
        "defect_scale": Param({}, type="object", description="per-source defect multiplier (drills)"),
        "min_volume_ratio": Param(pl.DEFAULT_MIN_VOLUME_RATIO, type="number", minimum=0, maximum=1,
                                  description="volume guard: fail below this share of the same-weekday median"),
        "expected_low_volume": Param([], type="array", items={"type": "string", "pattern": SOURCE_PATTERN},
                                     description="sources whose empty or low feed is expected for this run"),
    },
    on_success_callback=on_run_success,
    on_failure_callback=on_run_failure,
    doc_md=__doc__,
)
def larkspur_pharmacy_pipeline():
    @task.sensor(poke_interval=SENSOR_POKE_S, timeout=SENSOR_TIMEOUT_S, mode="reschedule", soft_fail=True)
    def wait_for_inputs(params: dict | None = None) -> PokeReturnValue:
        """Done when every source's input for the day exists; on timeout the run is skipped, not failed."""
        found = pl.available_sources(run_day(), data_dir(), params["sources"], simulate=params["simulate"])
        return PokeReturnValue(is_done=len(found) == len(params["sources"]), xcom_value=found)

    @task(trigger_rule=TriggerRule.ALL_SKIPPED)
    def record_skip(params: dict | None = None) -> dict:
        """Runs only when the sensor was skipped (no input): the day's notice must say so, replacing an older one."""
        day = run_day()
        with warehouse() as wh:
            wh.create_schema()
            summary = pl.run_summary(day, wh)
        summary.update(run_status="skipped", run_id=str(get_current_context()["run_id"]),
                       reason=f"no input for {sorted(params['sources'])} before the sensor timed out: "
                              "this run loaded nothing (the warehouse keeps what earlier runs loaded)")
        pl.write_notification(data_dir(), day, summary)
        log.info("Larkspur ETL skipped for %s: no input", summary["day"])
        return {"day": summary["day"], "run_status": "skipped"}

    @task(max_active_tis_per_dagrun=4)
    def extract(source: str, params: dict | None = None) -> dict:
        """Stage one source's raw feed for the run's day (small XCom: paths and counts)."""
        return pl.extract(run_day(), source, data_dir=data_dir(), rows_per_day=params["rows_per_day"],
                          simulate=params["simulate"], defect_scale=float(params["defect_scale"].get(source, 1.0)))

    @task
    def transform(extracted: dict, params: dict | None = None) -> dict:
        """Clean with quarantine, then the max-loss gate (non-retryable on failure)."""
        return pl.transform(run_day(), extracted["source"], data_dir=data_dir(), max_loss=params["max_loss"],
                            extract_s=extracted["extract_s"])

    @task
    def check_volume(cleaned: list, params: dict | None = None) -> list:
        """The volume guard, before ANY partition is replaced: empty or far-below-usual feeds fail the day."""
        with warehouse() as wh:
            return pl.check_volume(run_day(), list(cleaned), wh, min_ratio=params["min_volume_ratio"],
                                   expected_low=params["expected_low_volume"])

    @task
    def load(stats: dict) -> dict:
        """Replace the (day, source) partition, its metadata row and its quarantine in one transaction."""
        with warehouse() as wh:
            return pl.load(run_day(), stats["source"], data_dir=data_dir(), warehouse=wh, stats=stats)

    @task
    def check_quality(loads: list, params: dict | None = None) -> dict:
        """Score the loaded day from the warehouse itself: the sources THIS run loaded, and only those."""
        with warehouse() as wh:
            sources = [x["source"] for x in loads]
            return pl.quality_check(run_day(), wh, sources, review_share=params["review_share"]).to_dict()

    @task.branch
    def choose_path(report: dict) -> str:
        """Publish a clean day; flag a doubtful one for review."""
        return pl.choose_branch(report["score"])

    @task(task_id="publish")
    def publish(report: dict) -> int:
        """Refresh the published daily summary of the checked sources (idempotent)."""
        with warehouse() as wh:
            return pl.publish(run_day(), wh, report["details"]["sources"])

    @task(task_id="flag_for_review")
    def flag_for_review(report: dict) -> int:
        """Keep the data, but mark the checked sources as needing a human look."""
        with warehouse() as wh:
            return pl.flag_for_review(run_day(), wh, report["details"]["sources"])

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def notify() -> dict:
        """Log and persist the day's summary after whichever branch ran."""
        day = run_day()
        with warehouse() as wh:
            summary = pl.run_summary(day, wh)
        pl.write_notification(data_dir(), day, summary)
        log.info("Larkspur ETL summary %s", summary)
        return {"day": summary["day"], "loaded": summary["loaded"], "rejected": summary["rejected"]}

    sources = wait_for_inputs()
    sources >> record_skip()
    staged = extract.expand(source=sources)
    cleaned = transform.expand(extracted=staged)
    guarded = check_volume(cleaned)
    loaded = load.expand(stats=guarded)
    report = check_quality(loaded)
    path = choose_path(report)
    path >> [publish(report), flag_for_review(report)] >> notify()


larkspur_pharmacy_pipeline()


# ============================================================== the monthly rebuild (issue 20)
MONTHLY_DAG_ID = "larkspur_monthly_rebuild"
#: At 00:00 UTC on the 1st of each month; the run covers the month that just ended: [1st of last month, 1st).
MONTHLY_TIMETABLE = CronTriggerTimetable("0 0 1 * *", timezone="UTC", interval=relativedelta(months=1))


@dag(
    dag_id=MONTHLY_DAG_ID,
    description="Larkspur Pharmacies: rebuild a month of per-customer aggregates from the clean staging Parquet",
    schedule=MONTHLY_TIMETABLE,
    start_date=pendulum.datetime(2025, 6, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["larkspur", "monthly", "lesson04", "dask"],
    default_args=DEFAULT_ARGS,
    params={
        "month": Param("", type="string", pattern="^([0-9]{4}-[0-9]{2})?$",
                       description="YYYY-MM to rebuild; empty: the month this run's data interval covers"),
        "sources": Param(list(pl.SOURCES), type="array", items={"type": "string", "pattern": SOURCE_PATTERN},
                         minItems=1, description="feeds whose clean staging files are aggregated"),
    },
    doc_md="""Monthly rebuild: lesson 04's per-customer aggregation over a month of clean staging Parquet, on the
Dask cluster named by ``PHARMA_KIT_DASK_SCHEDULER`` (``tcp://host:port``) or in the worker's process when it is
unset (same table either way). An unreachable scheduler is transient (retried); a malformed address is a
config error (fails at once). Output: ``marts/customer_month/month=YYYY-MM/part.parquet`` + ``_manifest.json``.""",
)
def larkspur_monthly_rebuild():
    @task
    def rebuild_month(params: dict | None = None) -> dict:
        """Recompute the month's aggregates (on the cluster when one is named) and replace its mart file."""
        ctx = get_current_context()
        month = params["month"] or pl.partition_month(ctx["data_interval_start"], ctx["data_interval_end"])
        return pl.rebuild_month(month, data_dir=data_dir(), sources=params["sources"])

    rebuild_month()


larkspur_monthly_rebuild()

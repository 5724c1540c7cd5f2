"""Larkspur Pharmacies' daily ETL as an Airflow 3 DAG: thin TaskFlow wiring over ``pharma_kit.pipeline``.

    wait_for_inputs (sensor, soft-fail = skip the day)
      -> extract.expand(source=...) -> transform.expand(...) -> load.expand(...)   (one lane per source)
      -> check_quality -> choose_path (branch) -> publish | flag_for_review -> notify

What it avoids, on purpose (the source notes' traps):
- every task partitions by the run's **logical date**, never the clock (``CURRENT_DATE`` breaks backfills);
- staging files live under ``staging/<zone>/source=<s>/dt=<day>/`` (no shared ``/tmp`` names);
- loads replace their (day, source) partition in one transaction (a retry cannot append duplicates);
- sources fan out with ``.expand`` (no ``lambda`` built in a ``for`` loop, no late-binding closure);
- locations and credentials come from the environment (``PHARMA_KIT_DATA_DIR``, ``PHARMA_KIT_WAREHOUSE_URL``);
- SQL goes through SQLAlchemy Core with bound parameters (``pharma_kit.warehouse``), never a raw string.

Retries back off exponentially, but only for errors that may pass: a data-quality or config error fails
the task at once (``ExceptionRetryPolicy``). Tuning for tests: ``PHARMA_DAG_RETRIES``,
``PHARMA_DAG_RETRY_DELAY_S``, ``PHARMA_DAG_SENSOR_TIMEOUT_S``, ``PHARMA_DAG_SENSOR_POKE_S`` (read at parse time).
"""
from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import ExceptionRetryPolicy, Param, PokeReturnValue, RetryAction, RetryRule, TriggerRule, dag, task

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


def _notify_run(context: Any, status: str) -> None:
    """DAG callback: log a one-line summary and write it as the day's notification (never raises)."""
    try:
        dag_run = context.get("dag_run")
        if dag_run is None or dag_run.logical_date is None:  # e.g. every task skipped: nothing was loaded
            log.info("Larkspur ETL run %s %s (%s): nothing loaded", context.get("run_id"), status,
                     context.get("reason", ""))
            return
        day = pl.as_day(dag_run.logical_date)
        with warehouse() as wh:
            wh.create_schema()
            summary = pl.run_summary(day, wh)
        summary["run_status"] = status
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


@dag(
    dag_id=DAG_ID,
    description="Larkspur Pharmacies: daily, idempotent, partitioned ETL of the transaction feeds",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 6, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["larkspur", "etl", "lesson06"],
    default_args={
        "owner": "data-eng",
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "retry_policy": RETRY_POLICY,
    },
    params={
        "sources": Param(list(pl.SOURCES), type="array", description="feeds to load"),
        "rows_per_day": Param(pl.DEFAULT_ROWS_PER_DAY, type="integer", minimum=1, description="simulated volume"),
        "simulate": Param(True, type="boolean", description="generate a feed when no landing file exists"),
        "max_loss": Param(pl.DEFAULT_MAX_LOSS, type="number", minimum=0, maximum=1),
        "review_share": Param(pl.DEFAULT_REVIEW_SHARE, type="number", minimum=0, maximum=1),
        "defect_scale": Param({}, type="object", description="per-source defect multiplier (drills)"),
    },
    on_success_callback=on_run_success,
    on_failure_callback=on_run_failure,
    doc_md=__doc__,
)
def larkspur_pharmacy_pipeline():
    @task.sensor(poke_interval=SENSOR_POKE_S, timeout=SENSOR_TIMEOUT_S, mode="reschedule", soft_fail=True)
    def wait_for_inputs(params: dict | None = None, logical_date: Any = None) -> PokeReturnValue:
        """Done when every source's input for the day exists; on timeout the run is skipped, not failed."""
        found = pl.available_sources(logical_date, data_dir(), params["sources"], simulate=params["simulate"])
        return PokeReturnValue(is_done=len(found) == len(params["sources"]), xcom_value=found)

    @task(max_active_tis_per_dagrun=4)
    def extract(source: str, params: dict | None = None, logical_date: Any = None) -> dict:
        """Stage one source's raw feed for the logical date (small XCom: paths and counts)."""
        return pl.extract(logical_date, source, data_dir=data_dir(), rows_per_day=params["rows_per_day"],
                          simulate=params["simulate"], defect_scale=float(params["defect_scale"].get(source, 1.0)))

    @task
    def transform(extracted: dict, params: dict | None = None, logical_date: Any = None) -> dict:
        """Clean with quarantine, then the max-loss gate (non-retryable on failure)."""
        return pl.transform(logical_date, extracted["source"], data_dir=data_dir(), max_loss=params["max_loss"],
                            extract_s=extracted["extract_s"])

    @task
    def load(stats: dict, logical_date: Any = None) -> dict:
        """Replace the (day, source) partition and its metadata row in one transaction."""
        with warehouse() as wh:
            return pl.load(logical_date, stats["source"], data_dir=data_dir(), warehouse=wh, stats=stats)

    @task
    def check_quality(loads: list, params: dict | None = None, logical_date: Any = None) -> dict:
        """Score the loaded day from the warehouse itself."""
        with warehouse() as wh:
            sources = [x["source"] for x in loads]
            return pl.quality_check(logical_date, wh, sources, review_share=params["review_share"]).to_dict()

    @task.branch
    def choose_path(report: dict) -> str:
        """Publish a clean day; flag a doubtful one for review."""
        return pl.choose_branch(report["score"])

    @task(task_id="publish")
    def publish(logical_date: Any = None) -> int:
        """Refresh the published daily summary (idempotent)."""
        with warehouse() as wh:
            return pl.publish(logical_date, wh)

    @task(task_id="flag_for_review")
    def flag_for_review(logical_date: Any = None) -> int:
        """Keep the data, but mark the day as needing a human look."""
        with warehouse() as wh:
            return pl.flag_for_review(logical_date, wh)

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def notify(logical_date: Any = None) -> dict:
        """Log and persist the day's summary after whichever branch ran."""
        with warehouse() as wh:
            summary = pl.run_summary(logical_date, wh)
        pl.write_notification(data_dir(), logical_date, summary)
        log.info("Larkspur ETL summary %s", summary)
        return {"day": summary["day"], "loaded": summary["loaded"], "rejected": summary["rejected"]}

    sources = wait_for_inputs()
    staged = extract.expand(source=sources)
    cleaned = transform.expand(extracted=staged)
    loaded = load.expand(stats=cleaned)
    report = check_quality(loaded)
    path = choose_path(report)
    path >> [publish(), flag_for_review()] >> notify()


larkspur_pharmacy_pipeline()

"""The Larkspur daily ETL as plain functions: extract, transform, load, check, publish (no Airflow here).

Each step takes the run's **logical date** (``day``) and explicit locations, so it can be re-run for any
date (a backfill) and gives the same result every time (idempotent):

- ``extract``: the day's feed of one source -> ``staging/raw/source=<s>/dt=<day>/part.parquet``.
  The feed is the upstream file ``landing/<s>/<day>.csv`` when it exists; otherwise (``simulate=True``)
  it is generated deterministically from (day, source): seed = SHA-256 of ``"<day>|<source>"``, one day of
  history with ``as_of = day + 1``, so the feed holds that day's rows plus its defects (future-dated and
  unparseable dates included; the cleaner rejects them with reasons).
- ``transform``: lesson 01's :func:`pharma_kit.quality.clean` (``as_of = day + 1``) plus one more reason,
  ``outside_partition`` (a row dated another day); kept rows and ``rejected.parquet`` (raw values + reason)
  are written side by side in ``staging/clean/source=<s>/dt=<day>/``. Then the max-loss gate.
- ``check_volume``: the volume guard, before any partition is replaced: an empty feed, or one below
  ``min_ratio`` (default 50 %) of the trailing median of the same source on the same weekday (last 4 weeks),
  fails the day (:class:`VolumeAnomaly`, not retried) and keeps the old partitions, unless the run says the
  low volume is expected (``expected_low_volume=[source, ...]``, the DAG's run param of the same name).
- ``load``: replaces the (day, source) partition, its ETL-metadata row and its quarantine in one transaction
  (and un-publishes that partition's ``daily_sales`` rows until ``publish`` has checked it).
- ``quality_check``: queries the warehouse and returns a score in [0, 1]; ``publish`` / ``flag_for_review``
  act on the sources this run checked, and only those.

The partition a scheduled run loads is the **day its data interval covers** (:func:`partition_day`): with a
daily ``CronTriggerTimetable`` the run triggered at 2025-06-03T00:00 loads 2025-06-02, the day that just ended.
Every feed keeps its source line numbers (``line``) from the landing file to the warehouse's quarantine table.

Every write goes to a path derived from (zone, source, day) through a unique temporary file and an
atomic rename: two runs never share a file name, and a crash never leaves half a file behind.

Once a month, ``rebuild_month`` recomputes the month's per-customer aggregates (lesson 04's job) from the
clean staging files into ``marts/customer_month/month=YYYY-MM/``: on the Dask cluster named by
``PHARMA_KIT_DASK_SCHEDULER`` when it is set, in-process otherwise, with the same table either way.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from pharma_kit.data import TRANSACTION_COLUMNS, WEEKDAY_FACTORS, DefectRates, generate, write_csv
from pharma_kit.errors import ConfigError, DataQualityError, InputFileError, TransientError
from pharma_kit.quality import MaxLossExceeded, clean
from pharma_kit.readers import read_csv_text
from pharma_kit.warehouse import Warehouse, check_day, check_source

#: The feeds mapped over by the DAG (one extract/transform/load per source and day).
SOURCES: tuple[str, ...] = ("retail", "online", "clinic")
DEFAULT_ROWS_PER_DAY = 400
#: Above this quarantined share the day is not loaded at all (non-retryable DataQualityError).
DEFAULT_MAX_LOSS = 0.10
#: Above this quarantined share the day is loaded but flagged for review instead of published.
DEFAULT_REVIEW_SHARE = 0.05
#: Minimum quality score to publish.
PUBLISH_THRESHOLD = 1.0
#: The volume guard: a feed below this share of its trailing same-weekday median is refused ...
DEFAULT_MIN_VOLUME_RATIO = 0.5
#: ... where the median is taken over the same weekday of this many previous weeks.
DEFAULT_VOLUME_WEEKS = 4
N_STORES, N_PRODUCTS = 25, 300
#: Relative volume of each simulated source (unknown sources count 1.0).
SOURCE_SHARE: dict[str, float] = {"retail": 1.0, "online": 0.5, "clinic": 0.25}


# -- dates, names and paths ----------------------------------------------------------------------
def as_day(value: Any) -> pd.Timestamp:
    """The partition day of a logical date (tz-aware datetimes are taken in UTC), at midnight.

    Dates outside the warehouse's partition range (e.g. 9999-12-31) are a ConfigError, raised before any load.
    """
    if value is None:
        raise ConfigError("the run has no logical date; trigger it with one (e.g. dag.test(logical_date=...))")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(f"invalid run date {value!r}") from None
    if ts is pd.NaT:
        raise ConfigError("the run has no logical date; trigger it with one (e.g. dag.test(logical_date=...))")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    check_day(ts)
    return ts.normalize().as_unit("us")


def partition_day(data_interval_start: Any, data_interval_end: Any) -> pd.Timestamp:
    """The day a run loads, from its **data interval** (the period the run is about), never its trigger time.

    A daily interval ``[2025-06-02, 2025-06-03)`` loads 2025-06-02. An empty interval (``start == end``: a cron
    trigger timetable without ``interval=``, which gives every run the interval of its trigger instant) means
    "the period that just ended": the day before ``end``. With ``CronTriggerTimetable`` the logical date is the
    trigger time, i.e. the start of the day that has just begun, whose feed does not exist yet.
    """
    if data_interval_start is None or data_interval_end is None:
        raise ConfigError("the run has no data interval; trigger it with a logical date")
    start, end = pd.Timestamp(data_interval_start), pd.Timestamp(data_interval_end)
    if end < start:
        raise ConfigError(f"data interval ends before it starts: [{start}, {end})")
    if end == start:
        return as_day(end - pd.Timedelta(microseconds=1))
    return as_day(start)


def _check_source(source: str) -> str:
    return check_source(source)


def source_seed(day: Any, source: str) -> int:
    """A stable seed for (day, source): SHA-256, not ``hash()`` (which changes per process)."""
    digest = hashlib.sha256(f"{as_day(day):%Y-%m-%d}|{_check_source(source)}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def partition_dir(data_dir: str | os.PathLike, zone: str, source: str, day: Any) -> Path:
    """``<data_dir>/staging/<zone>/source=<source>/dt=<YYYY-MM-DD>``: one folder per partition."""
    return Path(data_dir) / "staging" / zone / f"source={_check_source(source)}" / f"dt={as_day(day):%Y-%m-%d}"


def landing_file(data_dir: str | os.PathLike, source: str, day: Any) -> Path:
    """Where an upstream system drops the day's feed: ``<data_dir>/landing/<source>/<YYYY-MM-DD>.csv``."""
    return Path(data_dir) / "landing" / _check_source(source) / f"{as_day(day):%Y-%m-%d}.csv"


def _write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write through a unique temp file in the target folder, then rename: atomic, never a shared name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def reference_lookups() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store and product ids every Larkspur feed may reference (the generator's default catalogue)."""
    stores = pd.DataFrame({"store_id": np.arange(1, N_STORES + 1, dtype="int64")})
    products = pd.DataFrame({"product_id": 1000 + np.arange(N_PRODUCTS, dtype="int64")})
    return stores, products


def partition_window(logical_date: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The half-open UTC interval ``[day, day + 1)`` a run loads: from its logical date, never the clock."""
    start = as_day(logical_date)
    return start, start + pd.Timedelta(days=1)


def replace_partition_frame(existing: pd.DataFrame, day: Any, rows: pd.DataFrame,
                            date_col: str = "sale_date") -> pd.DataFrame:
    """Delete-then-insert on a DataFrame: drop ``day``'s rows of ``existing``, add ``rows``; other days untouched.

    The in-memory twin of :meth:`Warehouse.replace_partition`: running it twice equals running it once.
    Rows are returned sorted by ``date_col`` (stable), with a fresh index.
    """
    day = as_day(day)
    keep = existing[existing[date_col].dt.normalize() != day]
    out = pd.concat([keep, rows.astype(existing.dtypes.to_dict()) if len(existing.columns) else rows],
                    ignore_index=True)
    return out.sort_values(date_col, kind="stable").reset_index(drop=True)


def bind_sources(fn: Callable[[str], Any], sources: Iterable[str]) -> dict[str, Callable[[], Any]]:
    """One zero-argument callable per source, each bound to ITS source (``functools.partial``, no late binding)."""
    return {s: functools.partial(fn, s) for s in sources}


#: What a retry can fix. Everything else in pharma_kit's hierarchy (bad data, bad config) fails at once.
RETRYABLE: tuple[type[BaseException], ...] = (TransientError, ConnectionError, TimeoutError)


def should_retry(exc: BaseException, try_number: int, max_tries: int) -> bool:
    """Retry only transient failures, and only while attempts remain (``try_number`` is 1-based)."""
    return try_number < max_tries and isinstance(exc, RETRYABLE)


# -- sources --------------------------------------------------------------------------------------
def feed_rows(day: Any, source: str, rows_per_day: int = DEFAULT_ROWS_PER_DAY) -> int:
    """Rows a simulated feed has: ``rows_per_day`` x the source's share x the weekday profile (Saturday busiest)."""
    return max(50, int(round(rows_per_day * SOURCE_SHARE.get(source, 1.0) * WEEKDAY_FACTORS[as_day(day).day_of_week])))


def simulate_feed(day: Any, source: str, rows: int | None = None, *, defect_scale: float = 1.0) -> pd.DataFrame:
    """The raw feed ``source`` would send for ``day``: deterministic in (day, source, rows, defect_scale).

    ``rows=None`` takes :func:`feed_rows` of the default daily volume.
    """
    rows = feed_rows(day, source) if rows is None else rows
    if not 0 <= defect_scale <= 10:
        raise ConfigError(f"defect_scale must be in [0, 10], got {defect_scale}")
    base = asdict(DefectRates())
    rates = DefectRates(**{k: min(1.0, v * defect_scale) for k, v in base.items()})
    ds = generate(int(rows), source_seed(day, source), as_of=as_day(day) + pd.Timedelta(days=1), days=1,
                  rates=rates, n_stores=N_STORES, n_products=N_PRODUCTS)
    return ds.transactions


def land_feed(day: Any, source: str, data_dir: str | os.PathLike, rows: int | None = None,
              *, defect_scale: float = 1.0) -> Path:
    """Play the upstream system: drop ``source``'s CSV for ``day`` into the landing zone."""
    path = landing_file(data_dir, source, day)
    write_csv(simulate_feed(day, source, rows, defect_scale=defect_scale), path)
    return path


def available_sources(day: Any, data_dir: str | os.PathLike, sources: Iterable[str] = SOURCES, *,
                      simulate: bool = True) -> list[str]:
    """The sources whose input for ``day`` exists (all of them when feeds are simulated)."""
    return [s for s in sources if simulate or landing_file(data_dir, s, day).is_file()]


# -- extract ---------------------------------------------------------------------------------------
#: The column that carries each row's line number in its source file, from staging to the quarantine table.
LINE = "line"


def _with_line(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its index (the source line numbers) as a leading ``line`` column."""
    out = frame.copy()
    out.index = out.index.rename(LINE)
    return out.reset_index().astype({LINE: "int64"})


def _by_line(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`_with_line`: index by ``line`` (older staging files without it: 2, 3, ...)."""
    if LINE in frame.columns:
        return frame.set_index(LINE)
    return frame.set_axis(pd.RangeIndex(2, len(frame) + 2, name=LINE), axis=0)

def extract(day: Any, source: str, *, data_dir: str | os.PathLike, rows_per_day: int = DEFAULT_ROWS_PER_DAY,
            simulate: bool = True, defect_scale: float = 1.0) -> dict[str, Any]:
    """Stage ``source``'s raw feed for ``day`` as Parquet; return a small, JSON-able summary (an XCom)."""
    t0 = time.perf_counter()
    day = as_day(day)
    src = landing_file(data_dir, source, day)
    out = partition_dir(data_dir, "raw", source, day)
    unreadable = out / "unreadable.parquet"
    if src.is_file():
        read = read_csv_text(src, TRANSACTION_COLUMNS)
        raw, origin = read.frame, "landing"   # indexed by the file's line numbers
        if len(read.rejected):
            _write_parquet(_with_line(read.rejected), unreadable)
        elif unreadable.exists():
            unreadable.unlink()
    elif simulate:
        rows = feed_rows(day, source, rows_per_day)
        raw, origin = simulate_feed(day, source, rows, defect_scale=defect_scale), "generator"
        raw.index = pd.RangeIndex(2, len(raw) + 2, name=LINE)  # the lines land_feed would write them on
        if unreadable.exists():
            unreadable.unlink()
    else:
        raise InputFileError(f"no input for source {source!r} on {day:%Y-%m-%d}: expected {src}")
    _write_parquet(_with_line(raw), out / "part.parquet")
    n_bad = len(pd.read_parquet(unreadable)) if unreadable.exists() else 0
    return {"day": f"{day:%Y-%m-%d}", "source": source, "origin": origin, "raw_path": str(out / "part.parquet"),
            "rows_in": int(len(raw) + n_bad), "extract_s": round(time.perf_counter() - t0, 4)}


# -- transform -------------------------------------------------------------------------------------
def transform(day: Any, source: str, *, data_dir: str | os.PathLike, max_loss: float | None = DEFAULT_MAX_LOSS,
              extract_s: float = 0.0) -> dict[str, Any]:
    """Clean the staged feed: rejected rows (raw values + reason), the max-loss gate, then the kept rows.

    The rejected file is written *before* the gate, so a failed day can still be inspected; the kept
    file only after it, so a failed day leaves nothing loadable behind.
    Raises :class:`~pharma_kit.quality.MaxLossExceeded` (a non-retryable ``DataQualityError``) when too much is rejected.
    """
    t0 = time.perf_counter()
    day = as_day(day)
    raw_dir = partition_dir(data_dir, "raw", source, day)
    raw_path = raw_dir / "part.parquet"
    if not raw_path.is_file():
        raise InputFileError(f"{raw_path}: no staged feed for {source} on {day:%Y-%m-%d}; run extract first")
    raw = _by_line(pd.read_parquet(raw_path))
    stores, products = reference_lookups()
    res = clean(raw, as_of=day + pd.Timedelta(days=1), stores=stores, products=products)
    kept = res.kept
    off_day = kept["order_date"].dt.normalize() != day
    quarantine = res.quarantine
    if off_day.any():
        moved = raw.loc[kept.index[off_day.to_numpy()]].copy()
        moved["reason"] = pd.Series("outside_partition", index=moved.index, dtype="str")
        quarantine = pd.concat([quarantine, moved])
        kept = kept.loc[~off_day]
    quarantine = quarantine.sort_index(kind="stable")
    rows_in = len(raw)
    unreadable = raw_dir / "unreadable.parquet"
    if unreadable.exists():
        lines = _by_line(pd.read_parquet(unreadable))
        rows_in += len(lines)
        quarantine = pd.concat([quarantine, lines]).sort_index(kind="stable")
    if rows_in != len(kept) + len(quarantine):  # the lossless invariant, checked on every run
        raise DataQualityError(f"{source} {day:%Y-%m-%d}: {rows_in} rows in but {len(kept)} kept + "
                               f"{len(quarantine)} rejected")
    out = partition_dir(data_dir, "clean", source, day)
    _write_parquet(_with_line(quarantine), out / "rejected.parquet")  # each row keeps its source line
    share = len(quarantine) / rows_in if rows_in else 0.0
    reasons = quarantine["reason"].value_counts().sort_index()
    stats = {"day": f"{day:%Y-%m-%d}", "source": source, "clean_path": str(out / "part.parquet"),
             "rejected_path": str(out / "rejected.parquet"), "rows_in": int(rows_in), "kept": int(len(kept)),
             "rejected": int(len(quarantine)), "reasons": {str(k): int(v) for k, v in reasons.items()},
             "seconds": round(extract_s + time.perf_counter() - t0, 4)}
    if max_loss is not None and share > max_loss:
        detail = ", ".join(f"{k}={v}" for k, v in stats["reasons"].items())
        (out / "part.parquet").unlink(missing_ok=True)  # no kept file a later load could pick up
        raise MaxLossExceeded(f"{source} {day:%Y-%m-%d}: rejected {len(quarantine)} of {rows_in} rows "
                              f"({share:.1%}) > max_loss {max_loss:.1%} ({detail}); see {out / 'rejected.parquet'}")
    _write_parquet(kept.reset_index(drop=True)[TRANSACTION_COLUMNS], out / "part.parquet")
    return stats


# -- the volume guard ------------------------------------------------------------------------------
class VolumeAnomaly(DataQualityError):
    """A feed is empty or far below its usual volume: the old partition is kept (not retryable)."""


def volume_baseline(history: pd.DataFrame, day: Any, weeks: int = DEFAULT_VOLUME_WEEKS) -> float | None:
    """Median ``rows_in`` of the loads on the same weekday as ``day`` in the ``weeks`` weeks before it (or None).

    ``history``: ``run_date, rows_in`` of ONE source; rows of ``day`` itself or later, and other weekdays,
    are ignored (a Sunday is compared with Sundays, not with a busy Saturday).
    """
    day = as_day(day)
    d = pd.to_datetime(history["run_date"]).dt.normalize()
    same = (d < day) & (d >= day - pd.Timedelta(weeks=weeks)) & (d.dt.day_of_week == day.day_of_week)
    vals = history.loc[same.to_numpy(), "rows_in"]
    return float(vals.median()) if len(vals) else None


def volume_verdict(rows_in: int, history: pd.DataFrame, day: Any, *, min_ratio: float = DEFAULT_MIN_VOLUME_RATIO,
                   weeks: int = DEFAULT_VOLUME_WEEKS) -> str:
    """``"empty"`` (no rows at all), ``"low"`` (< ``min_ratio`` x the trailing same-weekday median) or ``"ok"``.

    With no same-weekday history yet there is no baseline: any non-empty feed is ``"ok"``.
    """
    if rows_in == 0:
        return "empty"
    base = volume_baseline(history, day, weeks)
    return "low" if base is not None and rows_in < min_ratio * base else "ok"


def check_volume(day: Any, stats: Iterable[Mapping[str, Any]], warehouse: Warehouse, *,
                 min_ratio: float = DEFAULT_MIN_VOLUME_RATIO, weeks: int = DEFAULT_VOLUME_WEEKS,
                 expected_low: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Guard every source's volume BEFORE any partition of the day is replaced; returns ``stats`` unchanged.

    Raises :class:`VolumeAnomaly` naming every source whose feed is empty or low, unless that source is in
    ``expected_low`` (the run was told: a store closure, a holiday, a source retired). Nothing is loaded then,
    so the published day stays as it was.
    """
    day = as_day(day)
    if not (isinstance(min_ratio, (int, float)) and 0 <= min_ratio <= 1):
        raise ConfigError(f"min_volume_ratio must be in [0, 1], got {min_ratio!r}")
    expected = {check_source(s) for s in expected_low}
    stats = [dict(st) for st in stats]
    warehouse.create_schema()
    bad = []
    for st in stats:
        src = check_source(st["source"])
        history = warehouse.volume_history(src, day, weeks)
        verdict = volume_verdict(int(st["rows_in"]), history, day, min_ratio=min_ratio, weeks=weeks)
        base = volume_baseline(history, day, weeks)
        st["volume"] = {"verdict": verdict, "baseline": base, "expected_low": src in expected}
        if verdict != "ok" and src not in expected:
            what = "an empty feed" if verdict == "empty" else (
                f"{st['rows_in']} rows, below {min_ratio:.0%} of the median {base:g} of the last {weeks} "
                f"{day:%A}s")
            bad.append(f"{src}: {what}")
    if bad:
        raise VolumeAnomaly(f"{day:%Y-%m-%d}: volume guard failed, nothing was loaded and the published partitions "
                            f"are unchanged ({'; '.join(bad)}). If this volume is expected, re-run with "
                            f"expected_low_volume={sorted(b.split(':')[0] for b in bad)}")
    return stats


# -- load ------------------------------------------------------------------------------------------
def load(day: Any, source: str, *, data_dir: str | os.PathLike, warehouse: Warehouse,
         stats: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the (day, source) partition, its ETL-metadata row and its quarantine, in one transaction."""
    t0 = time.perf_counter()
    day = as_day(day)
    source = check_source(source)
    path = partition_dir(data_dir, "clean", source, day) / "part.parquet"
    if not path.is_file():
        raise InputFileError(f"{path}: no cleaned partition for {source} on {day:%Y-%m-%d}; run transform first")
    kept = pd.read_parquet(path)
    rejected_path = path.with_name("rejected.parquet")
    rejected = pd.read_parquet(rejected_path) if rejected_path.is_file() else None
    if rejected is not None and LINE not in rejected.columns:
        rejected = _with_line(_by_line(rejected))
    warehouse.create_schema()
    run = {"rows_in": int(stats["rows_in"]), "kept": int(stats["kept"]), "rejected": int(stats["rejected"]),
           "duration_s": 0.0, "status": "loaded"}
    run["duration_s"] = round(float(stats.get("seconds", 0.0)) + time.perf_counter() - t0, 4)
    loaded = warehouse.replace_partition(day, source, kept, run, rejected=rejected)
    return {"day": f"{day:%Y-%m-%d}", "source": source, **{k: run[k] for k in ("rows_in", "kept", "rejected")},
            "loaded": int(loaded), "status": "loaded"}


# -- after the load ----------------------------------------------------------------------------------
@dataclass
class QualityReport:
    """The post-load check of one day: named pass/fail checks and their share passed (the score)."""

    day: str
    checks: dict[str, bool]
    score: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Small and JSON-able: fit for an XCom."""
        return {"day": self.day, "score": self.score, "checks": dict(self.checks), "details": self.details}


def quality_check(day: Any, warehouse: Warehouse, sources: Iterable[str] = SOURCES, *,
                  review_share: float = DEFAULT_REVIEW_SHARE) -> QualityReport:
    """Query the warehouse about ``day`` and score it: the share of checks that pass (1.0 = all)."""
    day = as_day(day)
    sources = sorted(sources)
    m = warehouse.partition_metrics(day).set_index("source")
    runs = warehouse.read_table("etl_runs", day=day).set_index("source")
    both = runs.join(m, how="left")  # a partition loaded with 0 rows has no metrics row: it counts as 0s
    counts = ["fact_rows", "null_rows", "non_positive_amount", "off_day_rows", "distinct_ids"]
    both[counts] = both[counts].fillna(0).astype("int64")
    present = [s for s in sources if s in runs.index]
    b = both.loc[present] if present else both.iloc[:0]
    share = (b["rejected"] / b["rows_in"].where(b["rows_in"] > 0)).fillna(0.0) if len(b) else pd.Series(dtype=float)
    checks = {
        "all_sources_loaded": len(present) == len(sources) and len(sources) > 0,
        "rows_match_metadata": bool(((b["fact_rows"] == b["loaded"]) & (b["loaded"] == b["kept"])).all()),
        "every_row_accounted": bool((b["rows_in"] == b["kept"] + b["rejected"]).all()),
        "no_missing_values": bool((b["null_rows"] == 0).all()),
        "positive_amounts": bool((b["non_positive_amount"] == 0).all()),
        "dates_in_partition": bool((b["off_day_rows"] == 0).all()),
        "unique_transactions": bool((b["distinct_ids"] == b["fact_rows"]).all()),
        "reject_share_ok": bool((share <= review_share).all()),
    }
    score = round(sum(checks.values()) / len(checks), 4)
    details = {"rejected_share": {s: round(float(v), 4) for s, v in share.items()},
               "fact_rows": {s: int(v) for s, v in b["fact_rows"].items()} if len(b) else {}}
    details["sources"] = list(sources)  # what this check covered: publish acts on these, and only these
    return QualityReport(f"{day:%Y-%m-%d}", checks, score, details)


def choose_branch(score: float, threshold: float = PUBLISH_THRESHOLD) -> str:
    """``"publish"`` when the score reaches the threshold, else ``"flag_for_review"``."""
    return "publish" if score >= threshold else "flag_for_review"


def _checked(sources: Iterable[str] | None) -> list[str]:
    if sources is None or isinstance(sources, str):
        raise ConfigError("publish/flag_for_review need the list of sources the quality check covered")
    return sorted({check_source(s) for s in sources})


def publish(day: Any, warehouse: Warehouse, sources: Iterable[str]) -> int:
    """Refresh ``daily_sales`` of the CHECKED ``sources`` only, and mark their runs published (one transaction).

    A partial re-run (``sources=["retail"]``) must not publish another source's rows that nobody checked.
    Returns the number of summary rows written.
    """
    day, sources = as_day(day), _checked(sources)
    if not sources:
        return 0
    return warehouse.replace_daily_sales(day, warehouse.summarise_day(day, sources), sources, status="published")


def flag_for_review(day: Any, warehouse: Warehouse, sources: Iterable[str]) -> int:
    """Mark the checked sources' runs ``needs_review`` (loaded, not published: their daily_sales rows are absent)."""
    day, sources = as_day(day), _checked(sources)
    return warehouse.set_status(day, "needs_review", sources) if sources else 0


def run_summary(day: Any, warehouse: Warehouse) -> dict[str, Any]:
    """What a notification says about ``day``: rows in/kept/rejected/loaded per source and statuses."""
    day = as_day(day)
    runs = warehouse.read_table("etl_runs", day=day)
    per = {r.source: {"rows_in": int(r.rows_in), "kept": int(r.kept), "rejected": int(r.rejected),
                      "loaded": int(r.loaded), "status": r.status} for r in runs.itertuples()}
    return {"day": f"{day:%Y-%m-%d}", "sources": per,
            "loaded": int(runs["loaded"].sum()) if len(runs) else 0,
            "rejected": int(runs["rejected"].sum()) if len(runs) else 0}


def write_notification(data_dir: str | os.PathLike, day: Any, payload: Mapping[str, Any]) -> Path:
    """Persist a notification (what a chat message would say) as ``notifications/<day>.json``; overwrites."""
    path = Path(data_dir) / "notifications" / f"{as_day(day):%Y-%m-%d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True, default=str)
    os.replace(tmp, path)
    return path


def run_day(day: Any, *, data_dir: str | os.PathLike, warehouse: Warehouse, sources: Iterable[str] = SOURCES,
            rows_per_day: int = DEFAULT_ROWS_PER_DAY, simulate: bool = True, max_loss: float | None = DEFAULT_MAX_LOSS,
            review_share: float = DEFAULT_REVIEW_SHARE, defect_scale: Mapping[str, float] | None = None,
            min_volume_ratio: float = DEFAULT_MIN_VOLUME_RATIO,
            expected_low_volume: Iterable[str] = ()) -> dict[str, Any]:
    """The whole day without Airflow (what the DAG wires up): every source, then check, branch and publish.

    All transforms and the volume guard run before any load, so a quality or volume failure in one source
    loads nothing for the day. Only the sources of this run are checked and published.
    """
    day = as_day(day)
    sources = [check_source(s) for s in sources]
    scale = dict(defect_scale or {})
    todo = available_sources(day, data_dir, sources, simulate=simulate)
    if not todo:
        return {"day": f"{day:%Y-%m-%d}", "skipped": True}
    stats = []
    for s in todo:
        ex = extract(day, s, data_dir=data_dir, rows_per_day=rows_per_day, simulate=simulate,
                     defect_scale=scale.get(s, 1.0))
        stats.append(transform(day, s, data_dir=data_dir, max_loss=max_loss, extract_s=ex["extract_s"]))
    stats = check_volume(day, stats, warehouse, min_ratio=min_volume_ratio, expected_low=expected_low_volume)
    loads = [load(day, st["source"], data_dir=data_dir, warehouse=warehouse, stats=st) for st in stats]
    report = quality_check(day, warehouse, todo, review_share=review_share)
    branch = choose_branch(report.score)
    (publish if branch == "publish" else flag_for_review)(day, warehouse, todo)
    return {"day": f"{day:%Y-%m-%d}", "loads": loads, "quality": report.to_dict(), "branch": branch,
            "summary": run_summary(day, warehouse)}


# -- the monthly rebuild (lesson 04's aggregation, on a Dask cluster when one is named) ----------
#: Where the monthly per-customer aggregates go: ``<data_dir>/marts/customer_month/month=YYYY-MM/part.parquet``.
MONTHLY_MART = "customer_month"


def as_month(value: Any) -> pd.Period:
    """A month from ``"YYYY-MM"``, a date or a timestamp (tz-aware ones in UTC); anything else is a ConfigError."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        try:
            return pd.Period(value.strip(), freq="M")
        except ValueError:
            pass
    try:
        return as_day(value).to_period("M")
    except ConfigError:
        raise ConfigError(f"not a month: {value!r} (expected 'YYYY-MM' or a date)") from None


def partition_month(data_interval_start: Any, data_interval_end: Any) -> pd.Period:
    """The month a monthly run rebuilds: the month its data interval starts in (an empty interval: the month
    before its end, as :func:`partition_day` does for days). The run triggered on 2025-07-01 rebuilds 2025-06."""
    return partition_day(data_interval_start, data_interval_end).to_period("M")


def month_staging_files(data_dir: str | os.PathLike, month: Any, sources: Iterable[str] = SOURCES) -> list[Path]:
    """The clean staging files of every day of ``month`` for ``sources`` (days without a file are skipped)."""
    month = as_month(month)
    files = []
    for source in sources:
        for day in pd.date_range(month.start_time, month.end_time.normalize(), freq="D"):
            path = partition_dir(data_dir, "clean", source, day) / "part.parquet"
            if path.is_file():
                files.append(path)
    return files


def monthly_mart_file(data_dir: str | os.PathLike, month: Any) -> Path:
    return Path(data_dir) / "marts" / MONTHLY_MART / f"month={as_month(month)}" / "part.parquet"


def table_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's values (columns in order, floats rounded to 9 significant digits): equal tables, equal
    digests, whichever engine computed them."""
    h = hashlib.sha256(",".join(frame.columns).encode())
    for col in frame.columns:
        values = frame[col].to_numpy()
        if values.dtype.kind == "f":
            values = np.array([float(f"{v:.9g}") for v in values])
        h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def rebuild_month(month: Any, *, data_dir: str | os.PathLike, sources: Iterable[str] = SOURCES,
                  scheduler: str | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Recompute one month of per-customer aggregates from the clean staging Parquet and replace the month's mart file.

    The aggregation is lesson 04's (rows, sum, mean, min, max, last order date, distinct orders per customer), run
    by :func:`pharma_kit.cluster.aggregate_files`: on the Dask scheduler named by ``scheduler`` or
    ``$PHARMA_KIT_DASK_SCHEDULER`` (``tcp://host:port``) when set, in this process otherwise; the table is the same
    either way. An unreachable scheduler raises :class:`TransientError` (retry), a malformed address
    :class:`ConfigError` (don't). The mart file is replaced atomically; a ``_manifest.json`` beside it says
    where and from what it was computed.
    """
    from pharma_kit import cluster

    month = as_month(month)
    sources = [check_source(s) for s in sources]
    files = month_staging_files(data_dir, month, sources)
    if not files:
        raise InputFileError(f"no clean staging files for {month} ({', '.join(sources)}) under "
                             f"{Path(data_dir) / 'staging' / 'clean'}: run the daily loads first")
    address = cluster.parse_scheduler_address(scheduler) if scheduler else cluster.scheduler_address(env)
    t0 = time.perf_counter()
    if address:
        client = cluster.connect(address)
        try:
            table, run = cluster.aggregate_files([str(f) for f in files], client)
        finally:
            client.close()
    else:
        table, run = cluster.aggregate_files([str(f) for f in files])
    out = _write_parquet(table, monthly_mart_file(data_dir, month))
    manifest = {"month": str(month), "where": run.where, "files": len(files), "sources": sources,
                "rows": int(run.rows_read), "customers": int(len(table)), "revenue": round(float(table["amount_sum"].sum()), 2),
                "digest": table_digest(table), "path": str(out), "tasks": run.tasks_run,
                "seconds": round(time.perf_counter() - t0, 3)}
    mpath = out.parent / "_manifest.json"
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
    os.replace(tmp, mpath)
    return manifest


__all__ = [
    "SOURCES", "SOURCE_SHARE", "feed_rows", "DEFAULT_MIN_VOLUME_RATIO", "DEFAULT_VOLUME_WEEKS", "LINE",
    "VolumeAnomaly", "volume_baseline", "volume_verdict", "check_volume", "partition_day", "DEFAULT_ROWS_PER_DAY", "DEFAULT_MAX_LOSS", "DEFAULT_REVIEW_SHARE", "PUBLISH_THRESHOLD",
    "MaxLossExceeded", "QualityReport", "as_day", "source_seed", "partition_dir", "landing_file", "reference_lookups",
    "simulate_feed", "land_feed", "available_sources", "extract", "transform", "load", "quality_check",
    "choose_branch", "publish", "partition_window", "replace_partition_frame", "bind_sources", "RETRYABLE",
    "should_retry", "flag_for_review", "run_summary", "write_notification", "run_day",
    "MONTHLY_MART", "as_month", "partition_month", "month_staging_files", "monthly_mart_file", "table_digest",
    "rebuild_month",
]

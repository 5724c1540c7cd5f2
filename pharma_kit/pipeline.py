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
- ``load``: replaces the (day, source) partition and its ETL-metadata row in one transaction.
- ``quality_check``: queries the warehouse and returns a score in [0, 1]; ``publish`` / ``flag_for_review``.

Every write goes to a path derived from (zone, source, day) through a unique temporary file and an
atomic rename: two runs never share a file name, and a crash never leaves half a file behind.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
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
from pharma_kit.warehouse import Warehouse

#: The feeds mapped over by the DAG (one extract/transform/load per source and day).
SOURCES: tuple[str, ...] = ("retail", "online", "clinic")
DEFAULT_ROWS_PER_DAY = 400
#: Above this quarantined share the day is not loaded at all (non-retryable DataQualityError).
DEFAULT_MAX_LOSS = 0.10
#: Above this quarantined share the day is loaded but flagged for review instead of published.
DEFAULT_REVIEW_SHARE = 0.05
#: Minimum quality score to publish.
PUBLISH_THRESHOLD = 1.0
N_STORES, N_PRODUCTS = 25, 300
#: Relative volume of each simulated source (unknown sources count 1.0).
SOURCE_SHARE: dict[str, float] = {"retail": 1.0, "online": 0.5, "clinic": 0.25}


# -- dates, names and paths ----------------------------------------------------------------------
def as_day(value: Any) -> pd.Timestamp:
    """The partition day of a logical date (tz-aware datetimes are taken in UTC), at midnight."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ConfigError("the run has no logical date; trigger it with one (e.g. dag.test(logical_date=...))")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize().as_unit("us")


def _check_source(source: str) -> str:
    if not isinstance(source, str) or not source.isidentifier() or not source.islower() or len(source) > 32:
        raise ConfigError(f"invalid source name {source!r}: use a short lower-case identifier")
    return source


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
        raw, origin = read.frame, "landing"
        if len(read.rejected):
            _write_parquet(read.rejected.reset_index(drop=True), unreadable)
        elif unreadable.exists():
            unreadable.unlink()
    elif simulate:
        rows = feed_rows(day, source, rows_per_day)
        raw, origin = simulate_feed(day, source, rows, defect_scale=defect_scale), "generator"
        if unreadable.exists():
            unreadable.unlink()
    else:
        raise InputFileError(f"no input for source {source!r} on {day:%Y-%m-%d}: expected {src}")
    _write_parquet(raw.reset_index(drop=True), out / "part.parquet")
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
    raw = pd.read_parquet(raw_path)
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
        lines = pd.read_parquet(unreadable)
        rows_in += len(lines)
        quarantine = pd.concat([quarantine, lines], ignore_index=True)
    if rows_in != len(kept) + len(quarantine):  # the lossless invariant, checked on every run
        raise DataQualityError(f"{source} {day:%Y-%m-%d}: {rows_in} rows in but {len(kept)} kept + "
                               f"{len(quarantine)} rejected")
    out = partition_dir(data_dir, "clean", source, day)
    _write_parquet(quarantine.reset_index(drop=True), out / "rejected.parquet")
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


# -- load ------------------------------------------------------------------------------------------
def load(day: Any, source: str, *, data_dir: str | os.PathLike, warehouse: Warehouse,
         stats: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the (day, source) partition and record its ETL-metadata row, in one transaction."""
    t0 = time.perf_counter()
    day = as_day(day)
    path = partition_dir(data_dir, "clean", source, day) / "part.parquet"
    if not path.is_file():
        raise InputFileError(f"{path}: no cleaned partition for {source} on {day:%Y-%m-%d}; run transform first")
    kept = pd.read_parquet(path)
    warehouse.create_schema()
    run = {"rows_in": int(stats["rows_in"]), "kept": int(stats["kept"]), "rejected": int(stats["rejected"]),
           "duration_s": 0.0, "status": "loaded"}
    run["duration_s"] = round(float(stats.get("seconds", 0.0)) + time.perf_counter() - t0, 4)
    loaded = warehouse.replace_partition(day, source, kept, run)
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
    both = m.join(runs, how="outer")
    present = [s for s in sources if s in m.index and s in runs.index]
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
    return QualityReport(f"{day:%Y-%m-%d}", checks, score, details)


def choose_branch(score: float, threshold: float = PUBLISH_THRESHOLD) -> str:
    """``"publish"`` when the score reaches the threshold, else ``"flag_for_review"``."""
    return "publish" if score >= threshold else "flag_for_review"


def publish(day: Any, warehouse: Warehouse) -> int:
    """Refresh the day's ``daily_sales`` summary and mark its runs published; returns summary rows."""
    day = as_day(day)
    n = warehouse.replace_daily_sales(day, warehouse.summarise_day(day))
    warehouse.set_status(day, "published")
    return n


def flag_for_review(day: Any, warehouse: Warehouse) -> int:
    """Mark the day's runs ``needs_review`` (the data stays loaded but is not published)."""
    return warehouse.set_status(as_day(day), "needs_review")


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
            review_share: float = DEFAULT_REVIEW_SHARE, defect_scale: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The whole day without Airflow (what the DAG wires up): every source, then check, branch and publish.

    All transforms run before any load, so a quality failure in one source loads nothing for the day.
    """
    day = as_day(day)
    scale = dict(defect_scale or {})
    todo = available_sources(day, data_dir, sources, simulate=simulate)
    if not todo:
        return {"day": f"{day:%Y-%m-%d}", "skipped": True}
    stats = []
    for s in todo:
        ex = extract(day, s, data_dir=data_dir, rows_per_day=rows_per_day, simulate=simulate,
                     defect_scale=scale.get(s, 1.0))
        stats.append(transform(day, s, data_dir=data_dir, max_loss=max_loss, extract_s=ex["extract_s"]))
    loads = [load(day, st["source"], data_dir=data_dir, warehouse=warehouse, stats=st) for st in stats]
    report = quality_check(day, warehouse, todo, review_share=review_share)
    branch = choose_branch(report.score)
    publish(day, warehouse) if branch == "publish" else flag_for_review(day, warehouse)
    return {"day": f"{day:%Y-%m-%d}", "loads": loads, "quality": report.to_dict(), "branch": branch,
            "summary": run_summary(day, warehouse)}


__all__ = [
    "SOURCES", "SOURCE_SHARE", "feed_rows", "DEFAULT_ROWS_PER_DAY", "DEFAULT_MAX_LOSS", "DEFAULT_REVIEW_SHARE", "PUBLISH_THRESHOLD",
    "MaxLossExceeded", "QualityReport", "as_day", "source_seed", "partition_dir", "landing_file", "reference_lookups",
    "simulate_feed", "land_feed", "available_sources", "extract", "transform", "load", "quality_check",
    "choose_branch", "publish", "partition_window", "replace_partition_frame", "bind_sources", "RETRYABLE",
    "should_retry", "flag_for_review", "run_summary", "write_notification", "run_day",
]

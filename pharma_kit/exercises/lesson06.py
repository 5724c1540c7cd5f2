"""Lesson 06 exercises: the Airflow anti-patterns of the source notes, fixed as checked functions."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np
import pandas as pd

from pharma_kit import pipeline
from pharma_kit.errors import ConfigError, DataQualityError, InputFileError, TransientError
from pharma_kit.exercises.core import Question
from pharma_kit.quality import MaxLossExceeded

# --------------------------------------------------------------------------- q1: the logical-date window
_ZONES = ["UTC", "Europe/Berlin", "America/Chicago", "Asia/Tokyo"]


def _window_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    edge = [
        {"logical_date": pd.Timestamp("2025-06-03")},
        {"logical_date": pd.Timestamp("2025-06-03 00:00", tz="UTC")},
        {"logical_date": pd.Timestamp("2025-06-03 01:30", tz="Europe/Berlin")},  # still June 2nd in UTC
        {"logical_date": pd.Timestamp("2025-06-02 21:00", tz="America/Chicago")},  # already June 3rd in UTC
        {"logical_date": dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc)},
        {"logical_date": "2025-12-31"},
    ]
    base = pd.Timestamp("2024-01-01", tz="UTC")
    rand = [{"logical_date": (base + pd.Timedelta(minutes=int(rng.integers(0, 800 * 1440))))
             .tz_convert(_ZONES[int(rng.integers(0, len(_ZONES)))])} for _ in range(6)]
    return edge + rand


def _kind(value: Any) -> str:
    return "a pd.Timestamp" if isinstance(value, pd.Timestamp) else f"a {type(value).__name__}, not a pd.Timestamp"


def _window_runner(fn: Callable, case: dict[str, Any]) -> list:
    """The two ends as returned (never converted), plus their kinds: the prompt asks for pd.Timestamps."""
    start, end = fn(**case)
    return [start, end, _kind(start), _kind(end)]


def _window_clock(logical_date):
    today = pd.Timestamp.now().normalize()  # CURRENT_DATE: the trap  # clock-ok: the trap this exercise is about
    return today - pd.Timedelta(days=1), today


def _window_local_date(logical_date):
    start = pd.Timestamp(logical_date).tz_localize(None).normalize()  # wall-clock date, not the UTC date
    return start, start + pd.Timedelta(days=1)


def _window_inclusive(logical_date):
    start = pipeline.as_day(logical_date)
    return start, start + pd.Timedelta(hours=23, minutes=59, seconds=59)  # BETWEEN ... 23:59:59 loses a second


def _window_dates(logical_date):
    start = pipeline.as_day(logical_date).date()  # datetime.date: compares unequal to a Timestamp in pandas
    return start, start + dt.timedelta(days=1)


def _window_to_datetime_utc(logical_date):
    start = pd.to_datetime(logical_date, utc=True).tz_localize(None).normalize()  # naive input is taken as UTC
    return start, start + pd.DateOffset(days=1)


def _window_floor(logical_date):
    ts = pd.Timestamp(logical_date)
    if ts.tz is not None:
        ts = ts.tz_convert(None)  # to UTC, then drop the zone
    start = ts.floor("D")
    return start, start + pd.Timedelta(hours=24)


q1 = Question(
    name="l06_partition_window",
    prompt=("Write partition_window(logical_date) -> (start, end): the half-open interval [start, end) of the ONE "
            "day a run loads, from the run's logical date (a date, string or tz-aware datetime; take the date in "
            "UTC). Both ends are tz-naive pd.Timestamps at midnight. Never read the clock."),
    hints=["The clock (CURRENT_DATE, datetime.now()) makes a backfill reload today's data under an old date.",  # clock-ok: prose
           "Convert a tz-aware value to UTC first (ts.tz_convert('UTC').tz_localize(None)), then .normalize().",
           "end = start + 1 day, exclusive: '23:59:59' misses anything in the last second."],
    reference=pipeline.partition_window,
    cases=_window_cases,
    runner=_window_runner,
    wrong_answers={"uses the clock (CURRENT_DATE)": _window_clock,
                   "local date instead of the UTC date": _window_local_date,
                   "inclusive end at 23:59:59": _window_inclusive,
                   "datetime.date ends, not pd.Timestamps": _window_dates},
    right_answers={"pd.to_datetime(utc=True), normalize": _window_to_datetime_utc,
                   "tz_convert(None), floor('D')": _window_floor},
    explanation="A run is about its logical date; re-running it next month must load the same day.",
)


# --------------------------------------------------------------------------- q2: idempotent partition load
def _table(rng: np.random.Generator, days: list[str], n: int, timed: bool = True) -> pd.DataFrame:
    """Sales of ``days``; ``timed`` gives every sale a time of day (whole seconds), as a real sale_date has."""
    d = pd.to_datetime(np.array(days)[rng.integers(0, len(days), n)]).astype("datetime64[us]")
    if timed:
        d = d + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    return pd.DataFrame({"sale_date": d, "transaction_id": rng.integers(1, 10_000, n).astype("int64"),
                         "amount": np.round(rng.uniform(1, 200, n), 2)})


def _replace_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    days = ["2025-06-01", "2025-06-02", "2025-06-03"]
    empty = _table(rng, days, 0)
    new = _table(rng, ["2025-06-02"], 5)
    # the edges of the day: its first and last microsecond, and the next day's midnight (not part of the day)
    edges = pd.DataFrame({"sale_date": pd.to_datetime(["2025-06-01 23:59:59.999999", "2025-06-02 00:00:00",
                                                       "2025-06-02 13:45:10", "2025-06-02 23:59:59.999999",
                                                       "2025-06-03 00:00:00"], format="ISO8601").astype("datetime64[us]"),
                          "transaction_id": np.array([11, 12, 13, 14, 15], dtype="int64"),
                          "amount": [5.0, 6.0, 7.0, 8.0, 9.0]})
    return [
        {"existing": pd.concat([edges, _table(rng, days, 7)], ignore_index=True), "day": "2025-06-02", "rows": new},
        {"existing": empty, "day": "2025-06-02", "rows": new},                      # first load ever
        {"existing": _table(rng, days, 9), "day": "2025-06-02", "rows": new.iloc[:0]},  # the day is now empty
        {"existing": _table(rng, ["2025-06-01"], 6), "day": "2025-06-03", "rows": _table(rng, ["2025-06-03"], 3)},
        _random_replace_case(rng, days),
    ]


def _random_replace_case(rng: np.random.Generator, days: list[str]) -> dict[str, Any]:
    day = days[int(rng.integers(0, 3))]
    return {"existing": _table(rng, days, int(rng.integers(5, 40)), timed=bool(rng.random() < 0.7)), "day": day,
            "rows": _table(rng, [day], int(rng.integers(0, 8)))}


def _replace_runner(fn: Callable, case: dict[str, Any]) -> pd.DataFrame:
    """Load, then load again (a retry): the result must be the same as one clean load (rows in any order)."""
    once = fn(case["existing"], case["day"], case["rows"])
    return fn(once, case["day"], case["rows"])


def _replace_exact_timestamp(existing, day, rows):
    keep = existing[existing["sale_date"] != pd.Timestamp(day)]  # only the sales at exactly midnight match
    return pd.concat([keep, rows], ignore_index=True)


def _replace_closed_interval(existing, day, rows):
    start = pd.Timestamp(day)
    same_day = existing["sale_date"].between(start, start + pd.Timedelta(days=1))  # both ends inclusive
    return pd.concat([existing[~same_day], rows], ignore_index=True)


def _replace_by_date_string(existing, day, rows):
    keep = existing[existing["sale_date"].dt.strftime("%Y-%m-%d") != pd.Timestamp(day).strftime("%Y-%m-%d")]
    return pd.concat([keep, rows], ignore_index=True)


def _replace_half_open_range(existing, day, rows):
    start = pd.Timestamp(day)
    on_day = (existing["sale_date"] >= start) & (existing["sale_date"] < start + pd.Timedelta(days=1))
    return pd.concat([rows, existing.loc[~on_day]]).reset_index(drop=True)  # new rows first: order is free


def _replace_append(existing, day, rows):
    return pd.concat([existing, rows], ignore_index=True)  # if_exists='append': a retry duplicates


def _replace_everything(existing, day, rows):
    return rows.reset_index(drop=True)  # if_exists='replace': drops every other day


def _replace_dedupe(existing, day, rows):
    out = pd.concat([existing, rows], ignore_index=True)
    return out.drop_duplicates().reset_index(drop=True)  # hides retries, keeps stale rows of the day


q2 = Question(
    name="l06_replace_partition",
    prompt=("Write replace_partition(existing, day, rows) -> DataFrame: the table after loading `rows` as the "
            "complete contents of `day` (compare existing['sale_date'] by day). Other days stay as they are. "
            "The checker runs your function twice in a row (a retry): the result must not change."),
    hints=["Appending (to_sql(if_exists='append')) doubles the day when a task retries after a partial load.",
           "Keep existing rows whose sale_date is NOT the day, then concat the new rows.",
           "A sale at 13:45 on the day is part of the day: compare dates (e.g. .dt.normalize()), not timestamps."],
    reference=pipeline.replace_partition_frame,
    cases=_replace_cases,
    runner=_replace_runner,
    wrong_answers={"append (duplicates on retry)": _replace_append,
                   "replace the whole table": _replace_everything,
                   "append + drop_duplicates": _replace_dedupe,
                   "compares timestamps exactly (misses sales after midnight)": _replace_exact_timestamp,
                   "closed interval: also drops the next day's midnight": _replace_closed_interval},
    right_answers={"date strings": _replace_by_date_string, "half-open range, new rows first": _replace_half_open_range},
    check_dtype=False,
    check_order=False,  # the prompt fixes no row order ...
    check_index=False,  # ... and no index
    explanation="Delete-and-insert of the partition (in one transaction in a database) makes a retry harmless.",
)


# --------------------------------------------------------------------------- q3: one task per source, no closures
def _bind_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    pool = ["retail", "online", "clinic", "mail", "kiosk", "depot"]
    k = int(rng.integers(2, len(pool) + 1))
    return [{"sources": ["retail", "online", "clinic"]}, {"sources": ["retail"]}, {"sources": []},
            {"sources": list(rng.permutation(pool)[:k])}]


def _extract_label(source: str) -> str:
    return f"extract:{source}"


def _bind_runner(fn: Callable, case: dict[str, Any]) -> dict[str, str]:
    bound = fn(_extract_label, case["sources"])
    return {k: v() for k, v in sorted(bound.items())}


def _bind_late(fn, sources):
    out = {}
    for source in sources:
        out[source] = lambda: fn(source)  # late binding: every callable sees the LAST source
    return out


def _bind_first_only(fn, sources):
    sources = list(sources)
    return {s: (lambda s0=sources[0]: fn(s0)) for s in sources}


def _bind_default_argument(fn, sources):
    return {source: (lambda s=source: fn(s)) for source in sources}


def _bind_factory(fn, sources):
    def make(source):
        def run():
            return fn(source)
        return run

    out = {}
    for source in sources:
        out[source] = make(source)
    return out


q3 = Question(
    name="l06_bind_sources",
    prompt=("Write bind_sources(fn, sources) -> dict: for each source a zero-argument callable that runs "
            "fn(source) for THAT source. (In the DAG, `extract.expand(source=...)` does this for you.)"),
    hints=["`lambda: fn(source)` inside a for loop reads `source` when it is CALLED, i.e. after the loop ended.",
           "Bind the value when the callable is made, not when it is called: functools.partial and default "
           "arguments are evaluated right away."],
    reference=pipeline.bind_sources,
    cases=_bind_cases,
    runner=_bind_runner,
    wrong_answers={"lambda in a loop (late binding)": _bind_late, "binds one source for all": _bind_first_only},
    right_answers={"default argument": _bind_default_argument, "a closure factory": _bind_factory},
    explanation="Closures capture variables, not values; partial (or a default argument) captures the value.",
)


# --------------------------------------------------------------------------- q4: retry or fail fast
def _locked_error(message: str) -> TransientError:
    """A library's own transient error: a subclass, so only isinstance() recognises it (made on demand, so
    pharma_kit's tree of PipelineError subclasses stays its own)."""
    cls = type("WarehouseLockedError", (TransientError,), {"__doc__": "The table is locked by another load."})
    return cls(message)


_EXC = [TransientError("warehouse connection reset"), ConnectionError("socket closed"), TimeoutError("slow"),
        ConnectionResetError("peer reset"),
        FileNotFoundError("feed.csv"),  # an OSError, like ConnectionError, but waiting will not create the file
        MaxLossExceeded("31% rejected > 10%"), DataQualityError("negative amounts"), ConfigError("bad URL"),
        InputFileError("feed.csv: line 7 has 5 fields"), KeyError("amount"), ValueError("bad literal")]


def _retry_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = [{"exc": e, "try_number": 1, "max_tries": 3} for e in [*_EXC, _locked_error("table locked")]]
    cases += [{"exc": TransientError("reset"), "try_number": 3, "max_tries": 3},
              {"exc": ConnectionError("closed"), "try_number": 2, "max_tries": 3},
              {"exc": TransientError("reset"), "try_number": 1, "max_tries": 1}]
    for _ in range(1):
        m = int(rng.integers(1, 6))
        cases.append({"exc": _EXC[int(rng.integers(0, len(_EXC)))], "try_number": int(rng.integers(1, m + 1)),
                      "max_tries": m})
    return cases


def _retry_everything(exc, try_number, max_tries):
    return try_number < max_tries  # retries a data-quality failure: same input, same failure, 3x the time


def _retry_forever(exc, try_number, max_tries):
    return isinstance(exc, (TransientError, ConnectionError, TimeoutError))  # never gives up


def _retry_pipeline_errors(exc, try_number, max_tries):
    from pharma_kit.errors import PipelineError
    return try_number < max_tries and isinstance(exc, PipelineError)


def _retry_exact_type(exc, try_number, max_tries):
    return try_number < max_tries and type(exc) in (TransientError, ConnectionError, TimeoutError)  # no subclasses


def _retry_any_oserror(exc, try_number, max_tries):
    return try_number < max_tries and isinstance(exc, (TransientError, OSError))  # FileNotFoundError is an OSError


def _retry_one_try_too_many(exc, try_number, max_tries):
    return try_number <= max_tries and isinstance(exc, (TransientError, ConnectionError, TimeoutError))


def _retry_union_type(exc, try_number, max_tries):
    if try_number >= max_tries:
        return False
    return isinstance(exc, TransientError | ConnectionError | TimeoutError)


def _retry_by_reraising(exc, try_number, max_tries):
    try:
        raise exc
    except (TransientError, ConnectionError, TimeoutError):
        return try_number < max_tries
    except Exception:
        return False


q4 = Question(
    name="l06_should_retry",
    prompt=("Write should_retry(exc, try_number, max_tries) -> bool: retry only failures that may pass on their "
            "own (TransientError, ConnectionError, TimeoutError), and only while try_number < max_tries. "
            "A DataQualityError, ConfigError or InputFileError must fail at once."),
    hints=["Retrying a bad-data failure wastes the retries and delays the alert: the same input fails the same way.",
           "isinstance accepts a tuple of classes.",
           "ConnectionResetError is a ConnectionError, and FileNotFoundError is an OSError too: which test "
           "recognises a subclass, and which class is too wide?"],
    reference=pipeline.should_retry,
    cases=_retry_cases,
    wrong_answers={"retries every exception": _retry_everything, "ignores the retry budget": _retry_forever,
                   "retries every PipelineError": _retry_pipeline_errors,
                   "type(exc) in (...): misses subclasses": _retry_exact_type,
                   "retries every OSError (FileNotFoundError too)": _retry_any_oserror,
                   "try_number <= max_tries: one try too many": _retry_one_try_too_many},
    right_answers={"isinstance with a union type": _retry_union_type, "re-raise and catch": _retry_by_reraising},
    explanation="The DAG encodes the same rule in an ExceptionRetryPolicy: quality/config errors FAIL, transient RETRY.",
)


# --------------------------------------------------------------------------- q5: the volume guard
_MON = pd.Timestamp("2025-06-02")  # a Monday


def _hist(pairs: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"run_date": pd.to_datetime([d for d, _ in pairs]).astype("datetime64[us]"),
                         "rows_in": np.array([n for _, n in pairs], dtype="int64")})


def _volume_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    sun = pd.Timestamp("2025-06-08")  # a Sunday: quiet, compared with Sundays only
    busy_week = [(f"2025-06-0{d}", 400) for d in range(2, 8)]  # Mon..Sat of the same week, all busy
    sundays = [("2025-05-18", 100), ("2025-05-25", 110), ("2025-06-01", 90)]
    edge = [
        {"rows_in": 0, "history": _hist(sundays), "day": sun},                       # header-only feed
        {"rows_in": 0, "history": _hist([]), "day": sun},                            # empty, no history either
        {"rows_in": 7, "history": _hist([]), "day": sun},                            # no baseline yet: ok
        {"rows_in": 90, "history": _hist(sundays + busy_week), "day": sun},          # quiet Sunday is normal
        {"rows_in": 40, "history": _hist(sundays + busy_week), "day": sun},          # a real drop
        # one outage among the same weekdays: the median shrugs it off, a mean does not
        {"rows_in": 45, "history": _hist([("2025-05-11", 100), ("2025-05-18", 100), ("2025-05-25", 0),
                                          ("2025-06-01", 100)]), "day": sun},
        # the day itself (an earlier run) and a later week (a backfill) are not part of the baseline
        {"rows_in": 80, "history": _hist([("2025-06-01", 100), ("2025-06-08", 1000), ("2025-06-15", 1000)]),
         "day": sun},
        # older than the window: ignored
        {"rows_in": 60, "history": _hist([("2025-04-13", 1000), ("2025-04-20", 1000), ("2025-04-27", 1000),
                                          ("2025-06-01", 100)]), "day": sun},
        # exactly at the ratio is not below it; a stricter ratio and a shorter window
        {"rows_in": 50, "history": _hist(sundays[1:] + [("2025-05-11", 50)]), "day": sun},
        {"rows_in": 85, "history": _hist(sundays), "day": sun, "min_ratio": 0.9},
        {"rows_in": 60, "history": _hist([("2025-05-18", 1000), ("2025-05-25", 100), ("2025-06-01", 100)]),
         "day": sun, "weeks": 2},
    ]
    rand = []
    for _ in range(6):
        day = _MON + pd.Timedelta(days=int(rng.integers(0, 60)))
        profile = rng.integers(50, 500, 7)
        back = pd.date_range(day - pd.Timedelta(days=int(rng.integers(14, 50))), day + pd.Timedelta(days=14))
        keep = rng.random(len(back)) < 0.85
        vols = [int(profile[d.day_of_week] * rng.uniform(0.7, 1.3)) if rng.random() > 0.08 else 0 for d in back]
        h = _hist([(f"{d:%Y-%m-%d}", v) for d, v, k in zip(back, vols, keep) if k])
        h = h.iloc[rng.permutation(len(h))].reset_index(drop=True)  # any order
        rows = int(profile[day.day_of_week] * rng.choice([0.0, 0.2, 0.45, 0.55, 0.9, 1.1]))
        case = {"rows_in": rows, "history": h, "day": day}
        if rng.random() < 0.3:
            case["min_ratio"] = float(rng.choice([0.3, 0.7]))
        if rng.random() < 0.3:
            case["weeks"] = int(rng.integers(1, 7))
        rand.append(case)
    return edge + rand


def _same_weekday(history, day, weeks):
    d = history["run_date"]
    return history.loc[(d < day) & (d >= day - pd.Timedelta(weeks=weeks)) & (d.dt.day_of_week == day.day_of_week),
                       "rows_in"]


def _volume_all_weekdays(rows_in, history, day, min_ratio=0.5, weeks=4):
    if rows_in == 0:
        return "empty"
    d = history["run_date"]
    vals = history.loc[(d < day) & (d >= day - pd.Timedelta(weeks=weeks)), "rows_in"]  # every weekday mixed
    return "low" if len(vals) and rows_in < min_ratio * vals.median() else "ok"


def _volume_mean(rows_in, history, day, min_ratio=0.5, weeks=4):
    if rows_in == 0:
        return "empty"
    vals = _same_weekday(history, day, weeks)
    return "low" if len(vals) and rows_in < min_ratio * vals.mean() else "ok"  # one outage drags it down


def _volume_any_date(rows_in, history, day, min_ratio=0.5, weeks=4):
    if rows_in == 0:
        return "empty"
    d = history["run_date"]
    vals = history.loc[d.dt.day_of_week == day.day_of_week, "rows_in"]  # the day itself, later days, old weeks
    return "low" if len(vals) and rows_in < min_ratio * vals.median() else "ok"


def _volume_empty_only(rows_in, history, day, min_ratio=0.5, weeks=4):
    return "empty" if rows_in == 0 else "ok"  # the max-loss gate's blind spot: 0 rejected of 3 rows is fine


def _volume_loop(rows_in, history, day, min_ratio=0.5, weeks=4):
    if rows_in == 0:
        return "empty"
    wanted = {day - pd.Timedelta(days=7 * k) for k in range(1, weeks + 1)}
    vals = sorted(int(n) for d, n in zip(history["run_date"], history["rows_in"]) if d in wanted)
    if not vals:
        return "ok"
    mid = len(vals) // 2
    median = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
    return "low" if rows_in < min_ratio * median else "ok"


def _volume_isin(rows_in, history, day, min_ratio=0.5, weeks=4):
    if rows_in == 0:
        return "empty"
    days = [day - pd.DateOffset(weeks=k) for k in range(1, weeks + 1)]
    same = history[history["run_date"].isin(days)]["rows_in"].to_numpy()
    if same.size == 0:
        return "ok"
    return "low" if rows_in < min_ratio * np.median(same) else "ok"


q5 = Question(
    name="l06_volume_guard",
    prompt=("Write volume_verdict(rows_in, history, day, min_ratio=0.5, weeks=4) -> str, the volume guard that runs "
            "BEFORE a partition is replaced. `day` is a pd.Timestamp at midnight; `history` is a DataFrame with "
            "columns run_date (datetime64, midnight) and rows_in (int): earlier loads of ONE source, in any order; "
            "it may also hold `day` itself (an earlier run) and later days (a backfill). Return 'empty' when "
            "rows_in == 0. Otherwise the baseline is the MEDIAN rows_in of the loads on the same weekday as `day` "
            "in the `weeks` weeks before it (day - 7, day - 14, ..., day - 7*weeks days): return 'low' when there is "
            "such a load and rows_in < min_ratio * baseline, else 'ok'."),
    hints=["A header-only feed has 0 rows and 0 rejected: a max-loss gate (rejected / rows) lets it through, "
           "and the load then replaces a good day with nothing.",
           "Compare a Sunday with Sundays: weekday volumes differ by 2-3x. The median ignores one outage in the "
           "baseline; a mean does not.",
           "days = [day - pd.Timedelta(weeks=k) for k in range(1, weeks + 1)]; "
           "same = history.loc[history['run_date'].isin(days), 'rows_in']"],
    reference=pipeline.volume_verdict,
    cases=_volume_cases,
    wrong_answers={"median over every weekday": _volume_all_weekdays, "mean instead of median": _volume_mean,
                   "baseline includes the day itself and later days": _volume_any_date,
                   "only an empty feed is caught": _volume_empty_only},
    right_answers={"loop over the weekly dates": _volume_loop, "isin + numpy median": _volume_isin},
    explanation=("Guard volume before the partition is replaced, and fail the load (keeping yesterday's good "
                 "partition) unless the run is told the low volume is expected: a store closure, a holiday."),
)

QUESTIONS = [q1, q2, q3, q4, q5]
__all__ = ["q1", "q2", "q3", "q4", "q5", "QUESTIONS"]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

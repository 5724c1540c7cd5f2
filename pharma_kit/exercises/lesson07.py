"""Lesson 07 exercises: production patterns (backoff, transient-only retry, chained errors, config validation, testing time).

Answers that are behaviours rather than values (a retry loop, an error wrapper, a test function) are run by
a ``runner`` that turns (answer, case) into something observable: the calls and sleeps made, the exception
type, message and ``__cause__``, or which implementations a learner's test accepts.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import numpy as np

from pharma_kit.config import config_problems
from pharma_kit.errors import ConfigError, DataQualityError, PipelineError, TransientError
from pharma_kit.exercises.core import Question
from pharma_kit.monitor import is_stale
from pharma_kit.resilience import backoff_schedule, retry, translate_errors

# The references retry for real; keep their per-attempt log lines out of the learner's notebook.
_QUIET = logging.getLogger("pharma_kit.exercises.lesson07.quiet")
_QUIET.setLevel(logging.CRITICAL + 1)


# --- q1: the backoff schedule -------------------------------------------------------------------------------

def backoff_waits_reference(attempts: int, base_delay: float, max_delay: float, jitter: float,
                            draws: list[float]) -> list[float]:
    """Waits between ``attempts`` tries: capped doubling, then up to ``jitter`` taken off using ``draws``."""
    it = iter(draws)
    return backoff_schedule(attempts, base_delay=base_delay, max_delay=max_delay, jitter=jitter,
                            rng=lambda: next(it))


def _q1_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = [
        dict(attempts=1, base_delay=0.5, max_delay=30.0, jitter=0.1, draws=[]),  # one try: no waits
        dict(attempts=4, base_delay=0.5, max_delay=30.0, jitter=0.0, draws=[0.3, 0.6, 0.9]),
        dict(attempts=8, base_delay=1.0, max_delay=10.0, jitter=0.0, draws=[0.5] * 7),  # the cap bites
        dict(attempts=8, base_delay=1.0, max_delay=10.0, jitter=0.2, draws=[0.5] * 7),  # jitter after the cap
        dict(attempts=5, base_delay=2.0, max_delay=60.0, jitter=1.0, draws=[0.0, 0.25, 0.5, 0.999]),  # full jitter
        dict(attempts=3, base_delay=0.0, max_delay=5.0, jitter=0.5, draws=[0.1, 0.2]),
    ]
    for _ in range(3):
        n = int(rng.integers(2, 12))
        cases.append(dict(attempts=n, base_delay=float(rng.choice([0.1, 0.5, 1.0, 3.0])),
                          max_delay=float(rng.choice([2.0, 10.0, 30.0])), jitter=float(rng.choice([0.0, 0.1, 0.5])),
                          draws=[float(u) for u in rng.random(n - 1)]))
    return cases


def _q1_no_cap(attempts, base_delay, max_delay, jitter, draws):
    return [base_delay * 2 ** (k - 1) * (1 - jitter * draws[k - 1]) for k in range(1, attempts)]


def _q1_jitter_adds(attempts, base_delay, max_delay, jitter, draws):
    return [min(max_delay, base_delay * 2 ** (k - 1)) * (1 + jitter * draws[k - 1]) for k in range(1, attempts)]


def _q1_jitter_before_cap(attempts, base_delay, max_delay, jitter, draws):
    return [min(max_delay, base_delay * 2 ** (k - 1) * (1 - jitter * draws[k - 1])) for k in range(1, attempts)]


def _q1_one_wait_too_many(attempts, base_delay, max_delay, jitter, draws):
    draws = list(draws) + [0.0]
    return [min(max_delay, base_delay * 2 ** (k - 1)) * (1 - jitter * draws[k - 1]) for k in range(1, attempts + 1)]


def _q1_doubling_loop(attempts, base_delay, max_delay, jitter, draws):
    waits, delay = [], base_delay
    for k in range(attempts - 1):
        waits.append(min(delay, max_delay) * (1 - jitter * draws[k]))
        delay *= 2
    return waits


def _q1_numpy(attempts, base_delay, max_delay, jitter, draws):
    k = np.arange(attempts - 1)
    capped = np.minimum(max_delay, base_delay * 2.0 ** k)
    return (capped * (1 - jitter * np.asarray(draws[:attempts - 1], dtype=float))).tolist()


q1 = Question(
    name="l07_backoff_schedule",
    prompt=("Write backoff_waits(attempts, base_delay, max_delay, jitter, draws) -> list of the waits between "
            "`attempts` tries (so attempts - 1 of them). Wait k (k = 1, 2, ...) is "
            "min(max_delay, base_delay * 2**(k-1)), then shrunk by jitter: multiply by (1 - jitter * draws[k-1]). "
            "`draws` are the random numbers in [0, 1), one per wait, passed in so the result is testable."),
    hints=["attempts tries have attempts - 1 gaps between them: range(1, attempts).",
           "Cap first, then apply jitter: jitter only ever shortens a wait, so max_delay stays a true maximum and "
           "clients stuck at the cap still spread out.",
           "Check yourself on attempts=8, base_delay=1, max_delay=10, jitter=0: 1, 2, 4, 8, 10, 10, 10."],
    reference=backoff_waits_reference,
    cases=_q1_cases,
    wrong_answers={"no cap: waits grow without bound": _q1_no_cap,
                   "jitter added on top: a wait can exceed max_delay": _q1_jitter_adds,
                   "jitter before the cap: every capped client waits exactly max_delay (a thundering herd)":
                       _q1_jitter_before_cap,
                   "one wait too many (attempts counted as retries)": _q1_one_wait_too_many},
    right_answers={"a doubling delay in a loop": _q1_doubling_loop, "numpy, then .tolist()": _q1_numpy},
    solution_text=("def backoff_waits(attempts, base_delay, max_delay, jitter, draws):\n"
                   "    return [min(max_delay, base_delay * 2 ** (k - 1)) * (1 - jitter * draws[k - 1])\n"
                   "            for k in range(1, attempts)]"),
    explanation=("Exponential growth backs off a struggling service; the cap keeps one wait sane; jitter applied "
                 "after the cap de-synchronises clients that all failed at the same moment."),
)


# --- q2: a transient-only retry -------------------------------------------------------------------------------

def call_with_retry_reference(fn: Callable[[], Any], attempts: int, base_delay: float,
                              sleep: Callable[[float], Any]) -> Any:
    """Call ``fn`` up to ``attempts`` times, retrying only TransientError, waiting base_delay * 2**k between."""
    return retry(on=(TransientError,), attempts=attempts, base_delay=base_delay, max_delay=float("inf"), jitter=0.0,
                 sleep=sleep, logger=_QUIET)(fn)()


def _locked_error(message: str) -> TransientError:
    """A library's own transient error: a subclass of TransientError, so `except TransientError` catches it.

    Made on demand, so the lesson's printed tree of PipelineError subclasses shows only pharma_kit's own errors.
    """
    cls = type("WarehouseLockedError", (TransientError,), {"__doc__": "The table is locked by another load."})
    return cls(message)


def _scripted(script: list[str]) -> tuple[Callable[[], str], list[int]]:
    """A fake flaky call: each call consumes the next outcome of ``script``."""
    calls: list[int] = []

    def fake() -> str:
        calls.append(1)
        n = len(calls)
        outcome = script[min(n, len(script)) - 1]
        if outcome == "transient":
            raise TransientError(f"connection reset on call {n}")
        if outcome == "locked":
            raise _locked_error(f"table locked on call {n}")
        if outcome == "quality":
            raise DataQualityError(f"12 negative amounts (call {n})")
        if outcome == "value":
            raise ValueError(f"unexpected column (call {n})")
        return f"rows from call {n}"

    return fake, calls


def _q2_runner(answer: Callable, case: dict[str, Any]) -> dict[str, Any]:
    fake, calls = _scripted(case["script"])
    sleeps: list[float] = []
    try:
        outcome = f"returned {answer(fn=fake, attempts=case['attempts'], base_delay=case['base_delay'], sleep=sleeps.append)!r}"
    except NotImplementedError:  # the untouched stub: "not attempted"
        raise
    except Exception as exc:  # which error escaped, and from which call, is part of the answer
        outcome = f"raised {type(exc).__name__}: {exc}"
    return {"outcome": outcome, "calls": len(calls), "sleeps": sleeps}


def _q2_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = [
        dict(script=["ok"], attempts=4, base_delay=0.5),
        dict(script=["transient", "transient", "ok"], attempts=4, base_delay=0.5),
        dict(script=["transient", "transient", "transient", "ok"], attempts=4, base_delay=1.0),  # succeeds on the last try
        dict(script=["transient"] * 6, attempts=3, base_delay=0.25),  # runs out: re-raise the last error
        dict(script=["quality", "ok"], attempts=4, base_delay=0.5),  # bad data: fail at once
        dict(script=["transient", "quality", "ok"], attempts=4, base_delay=0.5),
        dict(script=["value", "ok"], attempts=4, base_delay=0.5),  # undeclared error: not ours to retry
        dict(script=["transient", "ok"], attempts=1, base_delay=0.5),  # one attempt means no retry
        dict(script=["locked", "transient", "ok"], attempts=4, base_delay=0.5),  # a TransientError subclass
        dict(script=["transient", "locked", "locked"], attempts=3, base_delay=1.0),  # re-raise the subclass itself
    ]
    kinds = np.array(["transient", "transient", "transient", "quality", "ok"])
    for _ in range(3):
        script = [str(k) for k in rng.choice(kinds, size=int(rng.integers(1, 7)))] + ["ok"]
        cases.append(dict(script=script, attempts=int(rng.integers(1, 6)), base_delay=float(rng.choice([0.1, 0.5, 2.0]))))
    return cases


def _q2_retries_everything(fn, attempts, base_delay, sleep):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception:
            if attempt == attempts - 1:
                raise
            sleep(base_delay * 2**attempt)


def _q2_constant_delay(fn, attempts, base_delay, sleep):
    for attempt in range(attempts):
        try:
            return fn()
        except TransientError:
            if attempt == attempts - 1:
                raise
            sleep(base_delay)


def _q2_attempts_as_retries(fn, attempts, base_delay, sleep):
    for attempt in range(attempts + 1):
        try:
            return fn()
        except TransientError:
            if attempt == attempts:
                raise
            sleep(base_delay * 2**attempt)


def _q2_exact_type(fn, attempts, base_delay, sleep):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            if type(exc) is not TransientError or attempt == attempts - 1:  # a subclass is not retried
                raise
            sleep(base_delay * 2**attempt)


def _q2_while_doubling(fn, attempts, base_delay, sleep):
    tries, delay = 0, base_delay
    while True:
        tries += 1
        try:
            return fn()
        except TransientError:
            if tries >= attempts:
                raise
            sleep(delay)
            delay *= 2


def _q2_remember_last(fn, attempts, base_delay, sleep):
    last = None
    for k in range(attempts):
        if k > 0:
            sleep(base_delay * 2 ** (k - 1))
        try:
            return fn()
        except TransientError as exc:
            last = exc
    raise last


def _q2_returns_none_when_exhausted(fn, attempts, base_delay, sleep):
    for attempt in range(attempts):
        try:
            return fn()
        except TransientError:
            if attempt < attempts - 1:
                sleep(base_delay * 2**attempt)
    return None


q2 = Question(
    name="l07_transient_retry",
    prompt=("Write call_with_retry(fn, attempts, base_delay, sleep): call fn() and return its result. On a "
            "TransientError, call sleep(base_delay * 2**k) (k = 0, 1, ...) and try again, up to `attempts` tries in "
            "total; after the last failed try re-raise that TransientError. Any other exception (a DataQualityError, "
            "a ValueError) propagates at once, with no retry. Use the `sleep` you are given, never time.sleep."),
    hints=["A for loop over range(attempts) with try/except TransientError around fn().",
           "Catch TransientError only: a DataQualityError is not transient, and retrying it just fails three times "
           "slower. Re-raise with a bare `raise` on the last attempt; do not return None.",
           "Count on paper for attempts=3: call, sleep(base_delay), call, sleep(2 * base_delay), call, re-raise. "
           "Three calls, two sleeps."],
    reference=call_with_retry_reference,
    cases=_q2_cases,
    runner=_q2_runner,
    wrong_answers={"retries every exception (the source notes' trap)": _q2_retries_everything,
                   "no backoff: the same delay every time": _q2_constant_delay,
                   "attempts counted as retries (one call too many)": _q2_attempts_as_retries,
                   "swallows the error and returns None when retries run out": _q2_returns_none_when_exhausted,
                   "type(exc) is TransientError: a subclass is not retried": _q2_exact_type},
    right_answers={"a while loop with a doubling delay": _q2_while_doubling,
                   "sleep before each retry, raise the last error after the loop": _q2_remember_last},
    solution_text=("def call_with_retry(fn, attempts, base_delay, sleep):\n"
                   "    for k in range(attempts):\n        try:\n            return fn()\n"
                   "        except TransientError:\n            if k == attempts - 1:\n                raise\n"
                   "            sleep(base_delay * 2 ** k)\n\n"
                   "# in production: pharma_kit.resilience.retry(on=(TransientError,), attempts=..., ...)"),
    explanation=("Retry what can change on its own (a dropped connection); fail fast on what cannot (bad data, "
                 "bad config). Injecting `sleep` makes the whole schedule testable in microseconds."),
)


# --- q3: wrap errors without losing the traceback ----------------------------------------------------------------

def run_step_reference(step: Callable[[], Any], context: str) -> Any:
    """Run ``step``; translate foreign errors into the pharma_kit hierarchy with ``raise ... from``."""
    with translate_errors(context):
        return step()


_ERRORS: dict[str, Callable[[str], BaseException]] = {
    "ValueError": ValueError, "KeyError": KeyError, "FileNotFoundError": FileNotFoundError,
    "ConnectionResetError": ConnectionResetError, "TimeoutError": TimeoutError,
    "DataQualityError": DataQualityError, "TransientError": TransientError,
    "BrokenPipeError": BrokenPipeError, "PermissionError": PermissionError, "ConfigError": ConfigError,
}


def _q3_runner(answer: Callable, case: dict[str, Any]) -> dict[str, Any]:
    original = _ERRORS[case["error"]](case["message"]) if case["error"] else None

    def step() -> str:
        if original is not None:
            raise original
        return "42 rows"

    try:
        return {"returned": answer(step=step, context=case["context"])}
    except PipelineError as exc:
        return {"raised": type(exc).__name__, "message": str(exc),
                "cause": type(exc.__cause__).__name__ if exc.__cause__ is not None else "(no __cause__)",
                "cause_is_the_original": exc.__cause__ is original,
                "passed_through_unchanged": exc is original}


def _q3_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = [
        dict(error=None, message="", context="loading sales.csv"),
        dict(error="ValueError", message="could not convert 'N/A' to float", context="parsing amount"),
        dict(error="KeyError", message="store_id", context="joining stores"),
        dict(error="ConnectionResetError", message="peer reset", context="writing to the warehouse"),
        dict(error="TimeoutError", message="read timed out", context="fetching the extract"),
        dict(error="DataQualityError", message="12 negative amounts", context="validating"),
        dict(error="TransientError", message="lock held", context="writing"),
        dict(error="FileNotFoundError", message="feed.csv", context="reading the feed"),  # an OSError, not transient
        dict(error="BrokenPipeError", message="pipe closed", context="streaming"),  # a ConnectionError subclass
        dict(error="ConfigError", message="bad URL", context="connecting"),  # a PipelineError: unchanged
    ]
    names = sorted(_ERRORS)
    for i in range(3):
        cases.append(dict(error=str(rng.choice(names)), message=f"detail {int(rng.integers(1000))}",
                          context=f"step {i}"))
    return cases


def _q3_no_from(step, context):
    try:
        return step()
    except PipelineError:
        raise
    except (ConnectionError, TimeoutError) as exc:
        raise TransientError(f"{context}: {type(exc).__name__}: {exc}")
    except Exception as exc:
        raise PipelineError(f"{context}: {type(exc).__name__}: {exc}")


def _q3_from_none(step, context):
    try:
        return step()
    except PipelineError:
        raise
    except (ConnectionError, TimeoutError) as exc:
        raise TransientError(f"{context}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        raise PipelineError(f"{context}: {type(exc).__name__}: {exc}") from None


def _q3_oserror_is_transient(step, context):
    try:
        return step()
    except PipelineError:
        raise
    except (OSError, TimeoutError) as exc:  # FileNotFoundError is an OSError too: waiting will not create it
        raise TransientError(f"{context}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        raise PipelineError(f"{context}: {type(exc).__name__}: {exc}") from exc


def _q3_one_except(step, context):
    try:
        return step()
    except Exception as exc:
        if isinstance(exc, PipelineError):
            raise
        kind = TransientError if isinstance(exc, (ConnectionError, TimeoutError)) else PipelineError
        raise kind(f"{context}: {type(exc).__name__}: {exc}") from exc


def _q3_set_cause(step, context):
    try:
        return step()
    except PipelineError:
        raise
    except Exception as exc:
        transient = isinstance(exc, ConnectionError) or isinstance(exc, TimeoutError)
        new = (TransientError if transient else PipelineError)(f"{context}: {type(exc).__name__}: {exc}")
        new.__cause__ = exc  # what `raise new from exc` does
        raise new


def _q3_wraps_everything(step, context):
    try:
        return step()
    except Exception as exc:
        raise PipelineError(f"{context}: {type(exc).__name__}: {exc}") from exc


q3 = Question(
    name="l07_chained_errors",
    prompt=("Write run_step(step, context): return step(). If it raises a pharma_kit error (any PipelineError, "
            "e.g. DataQualityError), let it propagate unchanged. If it raises ConnectionError or TimeoutError "
            "(built-ins that mean 'try again later'), raise TransientError; any other Exception becomes "
            "PipelineError. The new message is f'{context}: {type(exc).__name__}: {exc}', and the original "
            "exception must stay attached as __cause__ so its traceback is not lost."),
    hints=["Three except clauses, most specific first: PipelineError (bare `raise`), then "
           "(ConnectionError, TimeoutError), then Exception.",
           "`raise NewError(...) from exc` sets __cause__ and prints 'The above exception was the direct cause'. "
           "Without `from`, Python only keeps __context__ ('During handling ... another exception occurred'), "
           "which reads as a bug in the handler; `from None` throws the original away.",
           "ConnectionResetError and BrokenPipeError are ConnectionErrors; FileNotFoundError is an OSError but "
           "not a ConnectionError: only the first kind may pass on its own."],
    reference=run_step_reference,
    cases=_q3_cases,
    runner=_q3_runner,
    wrong_answers={"wraps without `from` (the source notes' trap: no __cause__)": _q3_no_from,
                   "`from None`: the original traceback is thrown away": _q3_from_none,
                   "wraps everything: double-wraps DataQualityError, hides transient errors from retry":
                       _q3_wraps_everything,
                   "every OSError made transient (FileNotFoundError too)": _q3_oserror_is_transient},
    right_answers={"one except clause, isinstance inside": _q3_one_except, "__cause__ set by hand": _q3_set_cause},
    solution_text=("def run_step(step, context):\n    try:\n        return step()\n    except PipelineError:\n"
                   "        raise\n    except (ConnectionError, TimeoutError) as exc:\n"
                   "        raise TransientError(f'{context}: {type(exc).__name__}: {exc}') from exc\n"
                   "    except Exception as exc:\n"
                   "        raise PipelineError(f'{context}: {type(exc).__name__}: {exc}') from exc\n\n"
                   "# in production: with pharma_kit.resilience.translate_errors(context): ..."),
    explanation=("A wrapper adds context for the reader of the log; `from exc` keeps the evidence. Keeping "
                 "transient built-ins transient is what lets the retry decorator see them."),
)


# --- q4: validate a config ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchSettings:
    """The small settings schema the exercise validates (same rules as PipelineConfig)."""

    chunk_size: int = field(metadata={"min": 1, "max": 10_000_000})
    max_reject_rate: float = field(default=0.05, metadata={"min": 0.0, "max": 1.0})
    log_level: str = field(default="INFO", metadata={"choices": ("DEBUG", "INFO", "WARNING", "ERROR")})


def validate_settings_reference(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (key, kind) problem of ``raw`` against BatchSettings, sorted."""
    return sorted((p.key, p.kind) for p in config_problems(raw, BatchSettings))


def _q4_runner(answer: Callable, case: dict[str, Any]) -> list[tuple[str, str]]:
    return answer(raw=case["raw"])  # as returned: the prompt asks for a sorted list


def _q4_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = [
        {"raw": {"chunk_size": 50_000}},
        {"raw": {"chunk_size": 50_000, "max_reject_rate": 0, "log_level": "DEBUG"}},  # an int is a fine float
        {"raw": {}},
        {"raw": {"chunk_size": 0}},
        {"raw": {"chunk_size": True}},  # YAML `yes`: a bool is not an int
        {"raw": {"chunk_size": "50000"}},
        {"raw": {"chunk_size": 50_000, "max_reject_rate": 1.5, "log_level": "LOUD"}},
        {"raw": {"chunk_size": 50_000, "chunksize": 10, "max_reject_rate": "5%"}},
        {"raw": {"max_reject_rate": None, "log_level": 3, "colour": "blue"}},
        {"raw": {"chunk_size": 20_000_000, "max_reject_rate": False}},
        {"raw": {"chunk_size": 50_000, "max_reject_rate": float("nan")}},  # NaN fails every comparison
        {"raw": {"chunk_size": float("inf"), "max_reject_rate": float("inf")}},
        {"raw": {"chunk_size": 1, "max_reject_rate": float("-inf"), "log_level": "ERROR"}},
    ]
    values = {
        "chunk_size": [1, 10_000_000, 10_000_001, -5, 2.5, True, "10", None],
        "max_reject_rate": [0, 1, 0.5, -0.1, 1.01, "high", True, None, float("nan"), float("inf")],
        "log_level": ["INFO", "ERROR", "info", "VERBOSE", 10, None],
        "chunk_sise": [5], "retries": [3],
    }
    for _ in range(4):
        raw = {}
        for key, options in values.items():
            if rng.random() < (0.75 if key in {"chunk_size", "max_reject_rate", "log_level"} else 0.2):
                raw[key] = options[int(rng.integers(len(options)))]
        cases.append({"raw": raw})
    return cases


_Q4_RULES = {"chunk_size": (int, 1, 10_000_000), "max_reject_rate": (float, 0.0, 1.0)}
_Q4_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _q4_core(raw, *, bool_is_int=False, ignore_unknown=False, float_needs_float=False, first_only=False,
             nan_passes=False, unsorted=False):
    problems = []
    for key in raw:
        if key not in {"chunk_size", "max_reject_rate", "log_level"} and not ignore_unknown:
            problems.append((key, "unknown"))
    if "chunk_size" not in raw:
        problems.append(("chunk_size", "missing"))
    for key, (kind, lo, hi) in _Q4_RULES.items():
        if key not in raw:
            continue
        v = raw[key]
        ok_types = (int,) if kind is int else ((float,) if float_needs_float else (int, float))
        if not isinstance(v, ok_types) or (isinstance(v, bool) and not bool_is_int):
            problems.append((key, "type"))
        elif (v < lo or v > hi) if nan_passes else not lo <= v <= hi:
            problems.append((key, "range"))
    if "log_level" in raw:
        v = raw["log_level"]
        if not isinstance(v, str):
            problems.append(("log_level", "type"))
        elif v not in _Q4_LEVELS:
            problems.append(("log_level", "range"))
    problems = problems if unsorted else sorted(problems)
    return problems[:1] if first_only else problems


_Q4_SCHEMA = {
    "chunk_size": lambda v: "type" if type(v) is not int else (None if 1 <= v <= 10_000_000 else "range"),
    "max_reject_rate": lambda v: "type" if type(v) not in (int, float) else (
        None if math.isfinite(v) and 0 <= v <= 1 else "range"),
    "log_level": lambda v: "type" if type(v) is not str else (
        None if v in ("DEBUG", "INFO", "WARNING", "ERROR") else "range"),
}


def _q4_schema_table(raw):
    problems = set()
    if "chunk_size" not in raw:
        problems.add(("chunk_size", "missing"))
    for key, value in raw.items():
        if key not in _Q4_SCHEMA:
            problems.add((key, "unknown"))
        elif (kind := _Q4_SCHEMA[key](value)) is not None:
            problems.add((key, kind))
    return sorted(problems)


def _q4_one_key_at_a_time(raw):
    out = [[key, "unknown"] for key in raw if key not in ("chunk_size", "max_reject_rate", "log_level")]
    if "chunk_size" not in raw:
        out.append(["chunk_size", "missing"])
    elif isinstance(raw["chunk_size"], bool) or not isinstance(raw["chunk_size"], int):
        out.append(["chunk_size", "type"])
    elif raw["chunk_size"] < 1 or raw["chunk_size"] > 10_000_000:
        out.append(["chunk_size", "range"])
    if "max_reject_rate" in raw:
        rate = raw["max_reject_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            out.append(["max_reject_rate", "type"])
        elif not (0.0 <= rate <= 1.0):  # False for NaN as well
            out.append(["max_reject_rate", "range"])
    if "log_level" in raw:
        level = raw["log_level"]
        if not isinstance(level, str):
            out.append(["log_level", "type"])
        elif level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            out.append(["log_level", "range"])
    out.sort()
    return out


q4 = Question(
    name="l07_validate_config",
    prompt=("Write validate_settings(raw) -> list of (key, kind) for every problem in the parsed-YAML dict `raw`, "
            "sorted. Schema: chunk_size int, REQUIRED, 1..10_000_000; max_reject_rate float (an int is fine), "
            "default 0.05, 0..1; log_level str, default 'INFO', one of DEBUG/INFO/WARNING/ERROR. "
            "Kinds: 'unknown' (a key not in the schema), 'missing' (chunk_size absent), 'type' (wrong type; "
            "None and bools are wrong types for numbers), 'range' (outside the bounds, NaN and inf included, or "
            "not an allowed level). "
            "One problem per key at most; report them all, not just the first."),
    hints=["Loop over raw's keys for 'unknown', check 'missing' once, then each known key: type first, and "
           "only a well-typed value gets a range check.",
           "isinstance(True, int) is True in Python: YAML `chunk_size: yes` would sneak through. Exclude bool "
           "explicitly. For the float, accept int or float (but not bool). And NaN: `nan < 0` and `nan > 1` are "
           "both False.",
           "The library does this generically: pharma_kit.config.config_problems(raw, SettingsClass) walks a "
           "dataclass's fields and their metadata (min, max, choices)."],
    reference=validate_settings_reference,
    cases=_q4_cases,
    runner=_q4_runner,
    wrong_answers={"accepts a bool as a number (isinstance(True, int))": lambda raw: _q4_core(raw, bool_is_int=True),
                   "ignores unknown keys: a typo silently keeps the default": lambda raw: _q4_core(raw, ignore_unknown=True),
                   "rejects an int where a float is expected": lambda raw: _q4_core(raw, float_needs_float=True),
                   "stops at the first problem": lambda raw: _q4_core(raw, first_only=True),
                   "`v < lo or v > hi`: NaN passes (it disables the reject limit)":
                       lambda raw: _q4_core(raw, nan_passes=True),
                   "problems in the order found, not sorted": lambda raw: _q4_core(raw, unsorted=True)},
    right_answers={"a table of per-key checks, type() and math.isfinite": _q4_schema_table,
                   "one key at a time, lists of [key, kind]": _q4_one_key_at_a_time},
    solution_text=("def validate_settings(raw):\n    rules = {'chunk_size': (int, 1, 10_000_000), "
                   "'max_reject_rate': (float, 0.0, 1.0)}\n    levels = ('DEBUG', 'INFO', 'WARNING', 'ERROR')\n"
                   "    problems = [(k, 'unknown') for k in raw if k not in {*rules, 'log_level'}]\n"
                   "    if 'chunk_size' not in raw:\n        problems.append(('chunk_size', 'missing'))\n"
                   "    for key, (kind, lo, hi) in rules.items():\n        if key not in raw:\n            continue\n"
                   "        v = raw[key]\n        types = (int,) if kind is int else (int, float)\n"
                   "        if isinstance(v, bool) or not isinstance(v, types):\n"
                   "            problems.append((key, 'type'))\n        elif not lo <= v <= hi:\n"
                   "            problems.append((key, 'range'))\n    if 'log_level' in raw:\n"
                   "        v = raw['log_level']\n        if not isinstance(v, str):\n"
                   "            problems.append(('log_level', 'type'))\n        elif v not in levels:\n"
                   "            problems.append(('log_level', 'range'))\n    return sorted(problems)"),
    explanation=("Validate everything at start-up and report every problem with its key: one failed deploy "
                 "instead of five, and never a silent default hiding a typo."),
)


# --- q5: test a function that uses time ---------------------------------------------------------------------------

def is_stale_test_reference(is_stale: Callable[[datetime, timedelta, datetime], bool]) -> None:
    """A test that pins the clock and probes the boundary: it must fail for every broken implementation."""
    now = datetime(2025, 6, 30, 6, 0)
    day = timedelta(hours=24)
    assert is_stale(now - timedelta(hours=25), day, now) is True
    assert is_stale(now - day, day, now) is False  # exactly max_age old is still fresh
    assert is_stale(now - timedelta(hours=1), day, now) is False
    assert is_stale(now - timedelta(days=3), day, now) is True


def _stale_ge(last, max_age, now):
    return now - last >= max_age


def _stale_wall_clock(last, max_age, now):
    return datetime.now() - last > max_age  # ignores the `now` it was given  # clock-ok: the trap this exercise is about


def _stale_swapped(last, max_age, now):
    return last - now > max_age


def _stale_seconds_only(last, max_age, now):
    return (now - last).seconds > max_age.seconds  # .seconds drops whole days


IMPLEMENTATIONS: dict[str, Callable[[datetime, timedelta, datetime], bool]] = {
    "correct": is_stale,
    "boundary uses >=": _stale_ge,
    "reads the wall clock": _stale_wall_clock,
    "subtraction swapped": _stale_swapped,
    "timedelta.seconds (drops days)": _stale_seconds_only,
}


def _q5_runner(answer: Callable, case: dict[str, Any]) -> str:
    try:
        answer(IMPLEMENTATIONS[case["implementation"]])
    except AssertionError:
        return f"{case['implementation']}: test fails"
    return f"{case['implementation']}: test passes"


def _q5_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    names = list(IMPLEMENTATIONS)
    return [{"implementation": names[i]} for i in rng.permutation(len(names))]


def _q5_table_driven(is_stale):
    now = datetime(2030, 1, 1, 0, 0)  # any fixed instant will do, even one in the future
    six_hours = timedelta(hours=6)
    for age, expected in [(timedelta(hours=7), True), (six_hours, False), (timedelta(0), False),
                          (timedelta(hours=30), True), (timedelta(hours=5, minutes=59), False)]:
        assert is_stale(now - age, six_hours, now) == expected, (age, expected)


def _q5_around_the_boundary(is_stale):
    now = datetime(2024, 2, 29, 12, 0)
    max_age = timedelta(days=2)
    assert not is_stale(now - max_age, max_age, now)
    assert is_stale(now - max_age - timedelta(microseconds=1), max_age, now)
    assert not is_stale(now - timedelta(seconds=1), max_age, now)
    assert is_stale(now - timedelta(weeks=1), max_age, now)


def _q5_happy_path_only(is_stale):
    now = datetime(2025, 6, 30, 6, 0)
    assert is_stale(now - timedelta(days=3), timedelta(hours=24), now)


def _q5_uses_real_now(is_stale):
    now = datetime.now()  # clock-ok: the trap this exercise is about
    day = timedelta(hours=24)
    assert is_stale(now - timedelta(hours=25), day, now) is True
    assert is_stale(now - day, day, now) is False


def _q5_cannot_fail(is_stale):
    now = datetime(2025, 6, 30, 6, 0)
    result = is_stale(now - timedelta(hours=24), timedelta(hours=24), now)
    assert result in (True, False)


q5 = Question(
    name="l07_test_time",
    prompt=("Write a test, test_is_stale(is_stale), for a function is_stale(last_success, max_age, now) -> bool "
            "that says whether the last successful load is OLDER than max_age at time `now` (exactly max_age old "
            "is still fresh). Your test receives an implementation and asserts on it; check() runs it against the "
            "correct one (it must pass) and against broken ones (it must fail each). Never read the real clock."),
    hints=["Pin time: now = datetime(2025, 6, 30, 6, 0). A test that reads datetime.now() gives a different "  # clock-ok: the trap this exercise is about
           "answer every run and cannot catch an implementation that ignores `now`.",
           "Probe the boundary (exactly 24 h old), both sides of it, and an age of several days (timedelta.seconds "
           "ignores whole days).",
           "For each broken implementation, name one input where it answers differently from the correct one, "
           "and assert the correct answer there."],
    reference=is_stale_test_reference,
    cases=_q5_cases,
    runner=_q5_runner,
    wrong_answers={"tests only the happy path": _q5_happy_path_only,
                   "reads the real clock in the test": _q5_uses_real_now,
                   "a test that cannot fail": _q5_cannot_fail},
    right_answers={"table-driven, a 6-hour max_age": _q5_table_driven,
                   "one microsecond either side of the boundary": _q5_around_the_boundary},
    explanation=("Code that takes `now` (or a clock) as a parameter is testable at the boundary, instantly and "
                 "identically on every run; mutants (>=, wall clock, .seconds) are how you know a test has teeth."),
)


QUESTIONS = [q1, q2, q3, q4, q5]

__all__ = ["BatchSettings", "IMPLEMENTATIONS", "QUESTIONS", "q1", "q2", "q3", "q4", "q5"]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

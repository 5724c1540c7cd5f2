"""Retries done right: only transient errors, exponential backoff with jitter, a cap, a deadline, a log line per attempt.

Everything that touches time or randomness is injectable (``sleep``, ``clock``, ``rng``), so a test can
assert the exact backoff sequence instantly and deterministically::

    sleeps = []
    @retry(on=(TransientError,), attempts=4, base_delay=0.5, jitter=0.0, sleep=sleeps.append)
    def fetch(): ...

The schedule: before retry ``k`` (k = 1, 2, ...) wait ``min(max_delay, base_delay * factor**(k-1))``,
then shrink it by a random share of at most ``jitter`` (``jitter=1`` is "full jitter": uniform in (0, cap]).
Jitter only ever shortens a wait, so ``max_delay`` is a true upper bound.

``translate_errors`` wraps foreign exceptions into the pharma_kit hierarchy *with* ``raise ... from``,
so the original traceback stays attached as ``__cause__``.
"""
from __future__ import annotations

import functools
import logging
import math
import random
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from pharma_kit.errors import (
    ConfigError,
    DataQualityError,
    InputFileError,
    PipelineError,
    TransientError,
)

F = TypeVar("F", bound=Callable[..., Any])

#: Never retried, even when ``on`` is broad (e.g. ``Exception``): the same input fails the same way.
NEVER_RETRY: tuple[type[BaseException], ...] = (DataQualityError, ConfigError, InputFileError)

#: Built-in exceptions that usually mean "try again later"; ``translate_errors`` maps them to TransientError.
TRANSIENT_BUILTINS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)

_LOG = logging.getLogger(__name__)


def backoff_delay(retry_number: int, *, base_delay: float = 0.5, max_delay: float = 30.0, factor: float = 2.0,
                  jitter: float = 0.0, u: float = 0.0) -> float:
    """Seconds to wait before retry ``retry_number`` (1-based); pure, so the schedule can be property-tested.

    ``u`` in [0, 1) is the random draw; the wait is ``cap * (1 - jitter * u)`` with
    ``cap = min(max_delay, base_delay * factor ** (retry_number - 1))``.
    """
    if retry_number < 1:
        raise ValueError(f"retry_number must be >= 1, got {retry_number}")
    try:
        grown = base_delay * factor ** (retry_number - 1) if base_delay else 0.0
    except OverflowError:  # factor**k outgrows a float long after it passed max_delay
        grown = math.inf
    cap = min(max_delay, grown)
    return cap * (1.0 - jitter * u)


def backoff_schedule(attempts: int, *, base_delay: float = 0.5, max_delay: float = 30.0, factor: float = 2.0,
                     jitter: float = 0.0, rng: Callable[[], float] = random.random) -> list[float]:
    """The waits between ``attempts`` tries (``attempts - 1`` of them), drawing jitter from ``rng``."""
    _validate(attempts, base_delay, max_delay, factor, jitter, None)
    return [
        backoff_delay(k, base_delay=base_delay, max_delay=max_delay, factor=factor, jitter=jitter,
                      u=rng() if jitter else 0.0)
        for k in range(1, attempts)
    ]


def _validate(attempts: int, base_delay: float, max_delay: float, factor: float, jitter: float,
              deadline: float | None) -> None:
    """Reject nonsense settings when the decorator is applied, not at 3 a.m. on the first failure."""
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts must be an int >= 1 (total tries, including the first), got {attempts!r}")
    if base_delay < 0 or max_delay < 0:
        raise ValueError(f"delays must be >= 0, got base_delay={base_delay!r}, max_delay={max_delay!r}")
    if factor < 1:
        raise ValueError(f"factor must be >= 1 (waits never shrink), got {factor!r}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    if deadline is not None and deadline <= 0:
        raise ValueError(f"deadline must be > 0 seconds or None, got {deadline!r}")


def _as_tuple(on: Any) -> tuple[type[BaseException], ...]:
    if isinstance(on, type) and issubclass(on, BaseException):
        return (on,)
    if isinstance(on, tuple) and on and all(isinstance(c, type) and issubclass(c, BaseException) for c in on):
        return on
    if callable(on):
        raise TypeError("retry must be called: write @retry() or @retry(on=(TransientError,)), not bare @retry")
    raise TypeError(f"on= must be an exception class or a non-empty tuple of them, got {on!r}")


def retry(on: type[BaseException] | tuple[type[BaseException], ...] = (TransientError,), *, attempts: int = 4,
          base_delay: float = 0.5, max_delay: float = 30.0, factor: float = 2.0, jitter: float = 0.1,
          deadline: float | None = None, sleep: Callable[[float], Any] = time.sleep,
          clock: Callable[[], float] = time.monotonic, rng: Callable[[], float] = random.random,
          logger: logging.Logger | logging.LoggerAdapter | None = None,
          never: tuple[type[BaseException], ...] = NEVER_RETRY) -> Callable[[F], F]:
    """Retry the decorated function on the exceptions in ``on`` (transient ones only), with capped jittered backoff.

    ``attempts`` counts every try (4 = 1 call + 3 retries). ``deadline`` (seconds, measured with ``clock``
    from the first call) stops retrying when the next wait would overrun it. Exceptions in ``never``
    (data-quality, config, bad input) propagate at once even if ``on`` is broad. When retries run out
    the *last original exception* is re-raised, unchanged in type and traceback, with a note saying so.
    """
    kinds = _as_tuple(on)
    _validate(attempts, base_delay, max_delay, factor, jitter, deadline)
    log = logger if logger is not None else _LOG

    def decorate(fn: F) -> F:
        name = getattr(fn, "__qualname__", None) or type(fn).__qualname__  # callable objects have no __qualname__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except never:
                    raise  # not transient: retrying cannot fix wrong data or a wrong setting
                except kinds as exc:
                    cause = f"{type(exc).__name__}: {exc}"
                    fields = {"task": name, "attempt": attempt, "attempts": attempts, "error": type(exc).__name__}
                    if attempt == attempts:
                        log.error("%s: attempt %d/%d failed (%s); giving up", name, attempt, attempts, cause,
                                  extra=fields)
                        exc.add_note(f"retry: gave up on {name} after {attempts} attempts")
                        raise
                    delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, factor=factor,
                                          jitter=jitter, u=rng() if jitter else 0.0)
                    if deadline is not None and (clock() - start) + delay > deadline:
                        log.error("%s: attempt %d/%d failed (%s); next wait %.3fs would pass the %.3gs deadline; "
                                  "giving up", name, attempt, attempts, cause, delay, deadline, extra=fields)
                        exc.add_note(f"retry: gave up on {name} after {attempt} attempts (deadline {deadline}s)")
                        raise
                    log.warning("%s: attempt %d/%d failed (%s); retrying in %.3fs", name, attempt, attempts, cause,
                                delay, extra={**fields, "delay_s": round(delay, 6)})
                    sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

        return wrapper  # type: ignore[return-value]

    return decorate


@contextmanager
def translate_errors(context: str, *, transient: tuple[type[BaseException], ...] = TRANSIENT_BUILTINS
                     ) -> Iterator[None]:
    """Re-raise foreign exceptions as pharma_kit errors, chained with ``from`` so the original traceback survives.

    pharma_kit's own errors pass through untouched (no double wrapping); ``transient`` built-ins
    (connection drops, timeouts) become :class:`TransientError` so ``retry`` can see them; anything
    else becomes a :class:`PipelineError`. ``context`` says what was being done ("loading sales.csv").
    """
    try:
        yield
    except PipelineError:
        raise
    except transient as exc:
        raise TransientError(f"{context}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        raise PipelineError(f"{context}: {type(exc).__name__}: {exc}") from exc


__all__ = [
    "NEVER_RETRY",
    "TRANSIENT_BUILTINS",
    "backoff_delay",
    "backoff_schedule",
    "retry",
    "translate_errors",
]

"""Resilience review: a retry decorator that retries every exception with no backoff.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import inspect
import time
from typing import Callable

import numpy as np

from pharma_kit.drills.helpers import Case, question
from pharma_kit.drills.model import Drill, retry_runner
from pharma_kit.errors import DataQualityError, TransientError

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 75


# === review-retry-everything =========================================================================================

def cases_retry(rng: np.random.Generator) -> list[Case]:
    fixed = [
        {"script": ["ok"], "attempts": 3, "base_delay": 1.0},
        {"script": ["transient", "transient", "ok"], "attempts": 3, "base_delay": 0.5},
        {"script": ["transient", "transient", "transient"], "attempts": 3, "base_delay": 1.0},
        {"script": ["quality", "ok"], "attempts": 3, "base_delay": 1.0},
        {"script": ["transient", "quality", "ok"], "attempts": 4, "base_delay": 2.0},
        # a bug or a bad setting is not transient either: it must propagate at once, not be retried
        {"script": ["other", "ok"], "attempts": 3, "base_delay": 1.0},
        {"script": ["transient", "other", "ok"], "attempts": 3, "base_delay": 1.0},
    ]
    kinds = np.array(["transient", "quality", "ok"])
    script = list(kinds[rng.choice(3, 5, p=[0.6, 0.1, 0.3])]) + ["ok"]
    return fixed + [{"script": script, "attempts": int(rng.integers(2, 6)), "base_delay": float(rng.integers(1, 4))}]


def example_retry() -> Case:
    return cases_retry(np.random.default_rng(0))[1]


def call_with_retry(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                    sleep: Callable[[float], None] = time.sleep) -> object:
    """Call ``op``; retry only TransientError, with exponential backoff; data errors fail at once."""
    for i in range(attempts):
        try:
            return op()
        except TransientError:
            if i == attempts - 1:
                raise
            sleep(base_delay * 2 ** i)
    raise ValueError(f"attempts must be >= 1, got {attempts}")


#: ``solution()`` prints this: the reference with the imports it needs, so it runs when pasted
CALL_WITH_RETRY_SOLUTION = ("import time\nfrom typing import Callable\n\nfrom pharma_kit.errors import TransientError\n\n\n"
                            + inspect.getsource(call_with_retry))


def retry_everything(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                     sleep: Callable[[float], None] = time.sleep) -> object:
    """The reviewed code: retries every exception (a data error is not transient) with a constant delay."""
    for i in range(attempts):
        try:
            return op()
        except Exception:
            if i == attempts - 1:
                raise
            sleep(base_delay)
    return None


def retry_all_but_quality(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                          sleep: Callable[[float], None] = time.sleep) -> object:
    for i in range(attempts):
        try:
            return op()
        except DataQualityError:
            raise
        except Exception:
            if i == attempts - 1:
                raise
            sleep(base_delay * 2 ** i)
    return None


def retry_no_backoff(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                     sleep: Callable[[float], None] = time.sleep) -> object:
    for i in range(attempts):
        try:
            return op()
        except TransientError:
            if i == attempts - 1:
                raise
            sleep(base_delay)
    return None


def call_with_retry_while(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                          sleep: Callable[[float], None] = time.sleep) -> object:
    """Right answer: a while loop; only TransientError is retried."""
    attempt = 0
    while True:
        try:
            return op()
        except TransientError:
            attempt += 1
            if attempt >= attempts:
                raise
            sleep(base_delay * 2 ** (attempt - 1))


def call_with_retry_delays(op: Callable[[], object], attempts: int = 3, base_delay: float = 1.0,
                           sleep: Callable[[float], None] = time.sleep) -> object:
    """Right answer: the delays computed up front; the last failure re-raised."""
    delays = [base_delay * 2 ** i for i in range(attempts - 1)] + [None]
    for delay in delays:
        try:
            return op()
        except TransientError:
            if delay is None:
                raise
            sleep(delay)
    return None


REVIEW_RETRY_EVERYTHING = Drill(
    id="review-retry-everything", title="Review: a retry that retries everything", topic="resilience", level=2,
    code='''
def call_with_retry(op, attempts=3, delay=1.0):
    for i in range(attempts):
        try:
            return op()
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(delay)     # (and the original never imported time)
''',
    options={"A": "It should catch BaseException.",
             "B": "It retries every exception: a data-quality error fails the same way three times. And a "
                  "constant delay, no backoff.",
             "C": "range should start at 1.",
             "D": "The last exception is swallowed."},
    answer="B",
    why="Only transient failures are worth retrying. Catch TransientError only, back off exponentially "
        "(base_delay * 2**i), and let DataQualityError fail fast.",
    question=question("review-retry-everything",
                      "Fix it: call_with_retry(op, attempts=3, base_delay=1.0, sleep=time.sleep) retries only "
                      "pharma_kit.errors.TransientError, sleeping base_delay * 2**i after failed attempt i (i from 0); "
                      "re-raises the last TransientError after `attempts` tries; any other exception propagates at once. "
                      "The checker drives it with a scripted op ('transient' raises TransientError, 'quality' raises "
                      "DataQualityError, 'other' raises ValueError, 'ok' returns 42) and a fake sleep that records the delays.",
                      call_with_retry, cases_retry,
                      ["except TransientError, not except Exception.", "sleep(base_delay * 2 ** i).",
                       "Use the sleep argument (the checker records the delays)."],
                      {"the code under review": retry_everything, "no backoff": retry_no_backoff,
                       "still retries every error except a data-quality one": retry_all_but_quality},
                      right={"a while loop": call_with_retry_while,
                             "delays computed up front": call_with_retry_delays},
                      runner=retry_runner, solution_text=CALL_WITH_RETRY_SOLUTION),
    example=example_retry,
    signature="(op, attempts=3, base_delay=1.0, sleep=time.sleep)",
    stub_imports="import time\n\nfrom pharma_kit.errors import DataQualityError, TransientError\n",
    complexity="O(attempts).",
    listens_for=["Transient vs permanent errors.", "Backoff with jitter and a cap; idempotent operations."])

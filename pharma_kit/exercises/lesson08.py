"""Lesson 08 exercises: interview drills. Each question IS a drill's question (same checker, same hidden cases).

Only the notebook's questions are listed here; the whole bank (26 drills with SQL twins, 8 code reviews) lives in
:mod:`pharma_kit.drills`, and ``tests/test_drills.py`` proves every one of them honest.
"""
from __future__ import annotations

from pharma_kit.drills import bank
from pharma_kit.drills.model import Drill
from pharma_kit.exercises.core import Question

#: The notebook's exercises, in lesson order (grouped by topic).
NOTEBOOK_DRILLS: list[str] = [
    "dedup-latest",            # dedup
    "named-aggregation",       # aggregation
    "percent-of-total",
    "monthly-resample",        # time series
    "running-total",           # window functions
    "top-n-per-group",         # ranking
    "gaps-and-islands",        # gaps and islands
    "sessionize",              # sessionization
    "anti-join",               # joins
    "idempotent-upsert",       # SCD and upserts
    "first-last-per-group",    # product analytics
    "review-mean-of-means",    # what's wrong with this code
]

DRILLS: list[Drill] = [bank.get(i) for i in NOTEBOOK_DRILLS]

q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12 = (d.question for d in DRILLS)

QUESTIONS: list[Question] = [q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12]


def drill(q: Question) -> Drill:
    """The drill behind a question: its SQL twin, complexity note and interviewer notes."""
    return bank.get(q.name)


__all__ = ["DRILLS", "NOTEBOOK_DRILLS", "QUESTIONS", "drill"] + [f"q{i}" for i in range(1, 13)]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

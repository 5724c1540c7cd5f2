"""One home per drill (issue 18): the bank is assembled from the topic modules, and every drill is complete.

A drill's prompt, hints, cases, reference, wrong and right answers, SQL twin, complexity note and interviewer
notes all live in one topic module under ``pharma_kit/drills/topics/``; nothing about one drill lives elsewhere
(shared frame makers sit in ``pharma_kit/drills/helpers.py``).
"""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from pharma_kit.drills import bank, helpers
from pharma_kit.drills.model import Drill

DRILLS_DIR = Path(bank.__file__).parent

#: the bank's ids, in order, when it was split into topic modules: none may disappear or move
LEGACY_ORDER = [
    "dedup-latest", "named-aggregation", "median-per-group", "percent-of-total", "monthly-resample",
    "month-over-month", "running-total", "rolling-7-days", "top-n-per-group", "second-highest", "gaps-and-islands",
    "longest-streak", "sessionize", "scd2-merge", "idempotent-upsert", "late-arriving-data", "as-of-join",
    "anti-join", "join-explosion", "pivot", "unpivot", "flatten-json", "cohort-retention", "funnel",
    "first-last-per-group", "new-vs-returning", "review-dedup-keep-first", "review-qcut-ties",
    "review-mean-of-means", "review-resample-m", "review-series-column", "review-now-recency",
    "review-retry-everything", "review-append-on-retry",
]


def test_ids_are_unique_and_keep_their_order():
    ids = [d.id for d in bank.ALL]
    assert len(ids) == len(set(ids))
    kept = [i for i in ids if i in LEGACY_ORDER]
    assert kept == LEGACY_ORDER, "a drill disappeared or moved in the bank"
    assert bank.ALL == bank.DRILLS + bank.REVIEWS
    assert all(d.kind == "drill" for d in bank.DRILLS) and all(d.kind == "review" for d in bank.REVIEWS)


def test_every_drill_in_a_topic_module_is_in_the_bank():
    found = {id(v) for mod in bank.topic_modules() for v in vars(mod).values() if isinstance(v, Drill)}
    assert found == {id(d) for d in bank.ALL}


def test_drills_package_keeps_only_the_machinery():
    files = {p.name for p in DRILLS_DIR.glob("*.py")}
    assert files == {"__init__.py", "__main__.py", "bank.py", "cli.py", "helpers.py", "mode.py", "model.py", "sql.py"}
    # no SQL twin, reference or case maker of a single drill is left in the machinery
    for name in ("bank.py", "sql.py", "model.py", "helpers.py"):
        tree = ast.parse((DRILLS_DIR / name).read_text(encoding="utf-8"))
        consts = [n.targets[0].id for n in tree.body if isinstance(n, ast.Assign)
                  and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Constant)
                  and isinstance(n.value.value, str) and "SELECT" in n.value.value]
        assert not consts, f"{name} holds SQL twins {consts}: they belong in their topic module"


def _home_of(fn) -> str:
    return getattr(fn, "__module__", "")


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_every_drill_is_complete_and_lives_in_one_module(drill):
    home = bank.HOME[drill.id]
    q = drill.question
    # every part is present
    assert q.name == drill.id
    assert len(q.prompt) > 60, "prompt"
    assert q.hints and all(h.strip() for h in q.hints), "hints"
    assert callable(q.cases) and callable(q.reference) and callable(drill.example), "cases, reference, example"
    assert q.wrong_answers and all(callable(f) for f in q.wrong_answers.values()), "wrong answers"
    assert isinstance(q.right_answers, dict) and all(callable(f) for f in q.right_answers.values()), "right answers"
    assert drill.complexity.strip() and drill.listens_for and all(x.strip() for x in drill.listens_for)
    if drill.kind == "drill":
        assert drill.sql and "select" in drill.sql.lower(), "SQL twin"
        assert len(q.hints) >= 2
    else:
        assert drill.code and drill.options and drill.answer in drill.options and drill.why, "review parts"
    # ... and defined in its topic module (or a shared helper), nowhere else
    parts = {"reference": q.reference, "cases": q.cases, "example": drill.example,
             **{f"wrong {k!r}": f for k, f in q.wrong_answers.items()},
             **{f"right {k!r}": f for k, f in q.right_answers.items()}}
    for what, fn in parts.items():
        assert _home_of(fn) in (home, helpers.__name__), f"{drill.id}: {what} is defined in {_home_of(fn)}, not {home}"
    source = inspect.getsource(__import__(home, fromlist=["_"]))
    assert f'id="{drill.id}"' in source


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_case_count_is_fixed(drill):
    a = drill.question.cases(np.random.default_rng(1))
    b = drill.question.cases(np.random.default_rng(2))
    assert len(a) == len(b) > 0


def test_topic_modules_stay_small():
    for mod in bank.topic_modules():
        lines = Path(mod.__file__).read_text(encoding="utf-8").count("\n")
        assert lines <= 700, f"{mod.__name__} has {lines} lines: split the topic"

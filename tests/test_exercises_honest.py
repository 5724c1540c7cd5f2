"""Every exercise check is honest: the reference passes, an untouched stub is "not attempted", and every
known wrong answer (the classic mistake the question is about) is rejected."""
from __future__ import annotations

import importlib

import pytest

from pharma_kit.exercises import lesson_modules
from pharma_kit.exercises.core import Question

QUESTIONS: list[tuple[str, Question]] = []
for _mod in lesson_modules():
    for _q in importlib.import_module(f"pharma_kit.exercises.{_mod}").QUESTIONS:
        QUESTIONS.append((_mod, _q))

IDS = [f"{m}-{q.name}" for m, q in QUESTIONS]
WRONG = [(m, q, label) for m, q in QUESTIONS for label in q.wrong_answers]
WRONG_IDS = [f"{m}-{q.name}-{label}" for m, q, label in WRONG]


def _stub(*args, **kwargs):
    raise NotImplementedError("Your code here")


def test_every_lesson_module_has_questions():
    assert QUESTIONS, "no exercise modules found"
    names = [q.name for _, q in QUESTIONS]
    assert len(names) == len(set(names)), "question names must be unique"


@pytest.mark.parametrize(("module", "question"), QUESTIONS, ids=IDS)
def test_reference_passes(module, question):
    result = question.check(question.reference, seed=7)
    assert result.status == "correct", str(result)


@pytest.mark.parametrize(("module", "question"), QUESTIONS, ids=IDS)
def test_stub_is_not_attempted(module, question):
    result = question.check(_stub, seed=7)
    assert result.status == "not attempted", str(result)


@pytest.mark.parametrize(("module", "question"), QUESTIONS, ids=IDS)
def test_every_question_names_a_wrong_answer(module, question):
    assert question.wrong_answers, f"{question.name} has no known wrong answer to prove its check honest"
    assert question.hints, f"{question.name} has no hints"


@pytest.mark.parametrize(("module", "question", "label"), WRONG, ids=WRONG_IDS)
def test_wrong_answer_is_rejected(module, question, label):
    result = question.check(question.wrong_answers[label], seed=7)
    assert result.status in ("incorrect", "error"), f"{label!r} was accepted: {result}"

"""Every check is fair as well as honest (issue 14): it accepts every correct answer that honours its prompt and
rejects the classic bug, on many seeds, not one; and every ``solution()`` text passes ``check()`` when pasted.

The right answers are written from the prompt alone, in other idioms (another pandas method, plain numpy, a loop,
another row order or index where the prompt fixes none); they live beside the question as ``right_answers``.
"""
from __future__ import annotations

import importlib

import pytest

from pharma_kit.exercises import lesson_modules
from pharma_kit.exercises.core import Question, notebook_solutions

SEEDS = range(20)


def _all_questions() -> list[Question]:
    out: dict[str, Question] = {}
    for mod in lesson_modules():
        for q in importlib.import_module(f"pharma_kit.exercises.{mod}").QUESTIONS:
            out[q.name] = q
    from pharma_kit.drills import bank

    for d in bank.ALL:
        out.setdefault(d.question.name, d.question)
    return list(out.values())


QUESTIONS = _all_questions()
IDS = [q.name for q in QUESTIONS]
RIGHT = [(q, label) for q in QUESTIONS for label in q.right_answers]
WRONG = [(q, label) for q in QUESTIONS for label in q.wrong_answers]


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_every_question_has_two_right_answers(question):
    assert len(question.right_answers) >= 2, (
        f"{question.name}: write at least two correct answers from the prompt alone (right_answers)")


@pytest.mark.parametrize(("question", "label"), RIGHT, ids=[f"{q.name}-{lab}" for q, lab in RIGHT])
def test_right_answer_passes_on_every_seed(question, label):
    # the fixed edge cases once (they do not depend on the seed), then one freshly seeded round per seed
    fn = question.right_answers[label]
    result = question._check(fn, seed=0, rounds=0)
    assert result.status == "correct", f"edge cases: the correct answer {label!r} was rejected: {result}"
    for seed in SEEDS:
        result = question._check(fn, seed=seed, rounds=1, edge=False)
        assert result.status == "correct", f"seed {seed}: the correct answer {label!r} was rejected: {result}"


@pytest.mark.parametrize(("question", "label"), WRONG, ids=[f"{q.name}-{lab}" for q, lab in WRONG])
def test_wrong_answer_fails_on_every_seed(question, label):
    # check() always runs the fixed edge cases first: a bug they catch is caught on every seed
    fn = question.wrong_answers[label]
    if question._check(fn, seed=0, rounds=0).status in ("incorrect", "error"):
        return
    for seed in SEEDS:
        result = question._check(fn, seed=seed)
        assert result.status in ("incorrect", "error"), f"seed {seed}: the wrong answer {label!r} passed: {result}"


def _function_name(question: Question) -> str:
    solved = notebook_solutions().get(question.name)
    return solved["function"] if solved else question.reference.__name__


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_solution_text_passes_check_when_pasted(question):
    code = question.solution_code()
    namespace: dict = {"__name__": "__solution__"}
    exec(compile(code, f"<solution of {question.name}>", "exec"), namespace)  # a fresh namespace, nothing else
    fn = namespace.get(_function_name(question))
    assert callable(fn), f"{question.name}: the solution text does not define {_function_name(question)}()"
    result = question.check(fn, seed=0)
    assert result.status == "correct", f"{question.name}: the pasted solution fails: {result}"


def test_every_notebook_exercise_has_its_solution_text():
    from pharma_kit.exercises import all_questions

    missing = [q.name for q in all_questions() if q.name not in notebook_solutions()]
    assert not missing, f"no solved notebook cell found for {missing}: run `make exercises`"


def test_solution_texts_are_generated_from_the_solved_notebooks():
    from pathlib import Path

    from pharma_kit.course.learner import SOLUTIONS_JSON, render_solutions

    root = Path(__file__).resolve().parents[1]
    assert SOLUTIONS_JSON.read_text(encoding="utf-8") == render_solutions(root / "solutions"), \
        "pharma_kit/exercises/solutions.json is stale: run `make exercises`"

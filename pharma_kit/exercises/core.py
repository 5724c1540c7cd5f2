"""The exercise core: a question is a prompt, staged hints, a reference, a hidden-case maker and known wrong answers.

``check(answer)`` runs the learner's function on hidden cases (fixed edge cases first, then freshly
seeded random ones) against the reference and reports the first difference in plain words.
An untouched stub raises ``NotImplementedError``; ``check`` reports that as "not attempted" and never raises.
"""
from __future__ import annotations

import copy
import inspect
import secrets
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from pharma_kit.exercises.compare import Mismatch, compare

#: Markers the course runner counts in executed notebooks; keep them stable.
MARK_CORRECT = "✅ Correct"
MARK_INCORRECT = "❌ Incorrect"
MARK_NOT_ATTEMPTED = "⏳ Not attempted"
MARK_ERROR = "💥 Error"

CaseMaker = Callable[[np.random.Generator], list[dict[str, Any]]]


@dataclass
class CheckResult:
    """What ``Question.check`` found; prints itself in a notebook."""

    question: str
    status: str  # "correct" | "incorrect" | "not attempted" | "error"
    message: str
    cases_run: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        mark = {
            "correct": MARK_CORRECT,
            "incorrect": MARK_INCORRECT,
            "not attempted": MARK_NOT_ATTEMPTED,
            "error": MARK_ERROR,
        }[self.status]
        return f"{mark} [{self.question}] {self.message}"

    def __repr__(self) -> str:
        return str(self)


def _copy_case(case: dict[str, Any]) -> dict[str, Any]:
    """Deep copy so neither the reference nor the learner can mutate the other's input."""
    out = {}
    for k, v in case.items():
        if isinstance(v, (pd.DataFrame, pd.Series)):
            out[k] = v.copy(deep=True)
        elif isinstance(v, np.ndarray):
            out[k] = v.copy()
        else:
            try:
                out[k] = copy.deepcopy(v)
            except Exception:  # pragma: no cover - uncopyable objects (engines, modules) are shared
                out[k] = v
    return out


def call_with_case(fn: Callable, case: dict[str, Any]) -> Any:
    """Default runner: call ``fn(**case)``."""
    return fn(**case)


def _describe_case(case: dict[str, Any], limit: int = 160) -> str:
    parts = []
    for k, v in case.items():
        if isinstance(v, pd.DataFrame):
            parts.append(f"{k}=<DataFrame {v.shape[0]}x{v.shape[1]}>")
        elif isinstance(v, pd.Series):
            parts.append(f"{k}=<Series len {len(v)}>")
        elif isinstance(v, np.ndarray):
            parts.append(f"{k}=<array shape {v.shape}>")
        else:
            r = repr(v)
            parts.append(f"{k}={r if len(r) < 60 else r[:57] + '...'}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DemoText(str):
    """A string that prints without quotes in a notebook."""

    def __repr__(self) -> str:
        return str(self)


@dataclass
class Question:
    """One checked exercise (Kaggle learntools' model): ``check``, ``hint`` and ``solution``."""

    name: str
    prompt: str
    reference: Callable
    cases: CaseMaker
    hints: list[str] = field(default_factory=list)
    wrong_answers: dict[str, Callable] = field(default_factory=dict)
    #: correct answers written from the prompt alone, in other idioms (tests prove each passes on >= 20 seeds)
    right_answers: dict[str, Callable] = field(default_factory=dict)
    runner: Callable[[Callable, dict[str, Any]], Any] = call_with_case
    rtol: float = 1e-9
    atol: float = 1e-9
    check_dtype: bool = False
    check_order: bool = True
    check_names: bool = True
    random_rounds: int = 3
    solution_text: str | None = None
    explanation: str = ""

    # -- the learner-facing API -------------------------------------------------
    def check(self, answer: Callable | None = None, seed: int | None = None) -> CheckResult:
        """Run ``answer`` on hidden cases and compare with the reference.

        ``seed=None`` draws a fresh seed for the random rounds (edge cases always run first),
        so a solution cannot be tuned to one fixed input.
        """
        if answer is None:
            return CheckResult(self.name, "not attempted", "pass your function, e.g. q.check(my_function)")
        fixed_seed = seed if seed is not None else secrets.randbits(32)
        # round 0 is the question's own deterministic edge cases; the rest are seeded freshly
        rounds: list[list[dict[str, Any]]] = [self.cases(np.random.default_rng(12345))]
        for r in range(self.random_rounds):
            rounds.append(self.cases(np.random.default_rng([fixed_seed, r])))
        n = 0
        for cases in rounds:
            for case in cases:
                n += 1
                expected = self.runner(self.reference, _copy_case(case))
                try:
                    got = self.runner(answer, _copy_case(case))
                except NotImplementedError:
                    return CheckResult(self.name, "not attempted", "replace the stub with your code, then run check() again")
                except Exception as exc:  # the learner's bug, reported in one line
                    return CheckResult(
                        self.name,
                        "error",
                        f"your function raised {type(exc).__name__}: {exc} (case {n}: {_describe_case(case)})",
                        n,
                    )
                mismatch = compare(
                    expected,
                    got,
                    rtol=self.rtol,
                    atol=self.atol,
                    check_dtype=self.check_dtype,
                    check_order=self.check_order,
                    check_names=self.check_names,
                )
                if mismatch is not None:
                    return CheckResult(self.name, "incorrect", f"case {n} ({_describe_case(case)}): {mismatch}", n)
        return CheckResult(self.name, "correct", f"all {n} hidden cases match the reference", n)

    def demo_wrong(self, label: str, seed: int = 0) -> str:
        """Run the named classic wrong answer through ``check`` (a fixed seed, so the text is reproducible).

        The result is returned as a line starting with "Demo", so course-run counters don't mistake it for an exercise.
        """
        if label not in self.wrong_answers:
            raise KeyError(f"{self.name} has no wrong answer {label!r}; known: {sorted(self.wrong_answers)}")
        result = self.check(self.wrong_answers[label], seed=seed)
        return DemoText(f"Demo of the wrong answer {label!r} -> {result}")

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1-based); hints get more specific as ``n`` grows."""
        if not self.hints:
            print(f"[{self.name}] no hints for this one: re-read the prompt.")
            return
        n = max(1, min(n, len(self.hints)))
        print(f"💡 Hint {n}/{len(self.hints)} [{self.name}]: {self.hints[n - 1]}")

    def solution(self) -> None:
        """Print the reference solution (and why it is right)."""
        text = self.solution_text or textwrap.dedent(inspect.getsource(self.reference))
        print(f"📖 Solution [{self.name}]\n{text.rstrip()}")
        if self.explanation:
            print(f"\nWhy: {self.explanation}")

    def show(self) -> None:
        """Print the prompt."""
        print(f"📝 [{self.name}] {self.prompt}")

    def __repr__(self) -> str:
        return f"Question({self.name!r})"


__all__ = [
    "CheckResult",
    "Question",
    "Mismatch",
    "call_with_case",
    "MARK_CORRECT",
    "MARK_INCORRECT",
    "MARK_NOT_ATTEMPTED",
    "MARK_ERROR",
]

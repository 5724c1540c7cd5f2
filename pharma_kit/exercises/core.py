"""The exercise core: a question is a prompt, staged hints, a reference, a hidden-case maker and known wrong answers.

``check(answer)`` runs the learner's function on hidden cases (fixed edge cases first, then freshly
seeded random ones) against the reference and reports the first difference in plain words.
An untouched stub raises ``NotImplementedError``; ``check`` reports that as "not attempted" and never raises.
"""
from __future__ import annotations

import copy
import functools
import inspect
import json
import secrets
import textwrap
from dataclasses import dataclass, field
from importlib import resources
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

    _shown: bool = field(default=False, repr=False, compare=False)

    def show(self) -> None:
        """Print the verdict once (a later display of the same result prints nothing)."""
        if not self._shown:
            self._shown = True
            print(self)

    def _ipython_display_(self) -> None:  # the notebook's display hook: never show the same verdict twice
        self.show()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


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


@functools.lru_cache(maxsize=1)
def notebook_solutions() -> dict[str, dict[str, str]]:
    """{question name: {"function", "notebook", "code"}}: the solved notebooks' exercise cells (package data)."""
    try:
        text = resources.files("pharma_kit.exercises").joinpath("solutions.json").read_text(encoding="utf-8")
    except FileNotFoundError:  # pragma: no cover - a source tree before `make exercises`
        return {}
    return json.loads(text)


_COMMON_IMPORTS = {"np": "import numpy as np", "pd": "import pandas as pd", "math": "import math",
                   "functools": "import functools", "re": "import re", "time": "import time",
                   "datetime": "import datetime"}


def _with_imports(code: str) -> str:
    """Prepend the common imports a solution text uses but does not import itself, so it runs when pasted."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    bound = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names}
    needed = [line for name, line in _COMMON_IMPORTS.items() if name in used and name not in bound]
    return ("\n".join(needed) + "\n\n\n" if needed else "") + code


SMALL_INPUT_ROWS = 12


def _show_small_input(case: dict[str, Any], row: Any = None) -> str:
    """The failing case's tables when they are small (<= 12 rows), the differing row marked with ``->``."""
    parts = []
    for k, v in case.items():
        if isinstance(v, pd.Series):
            v = v.to_frame(v.name if v.name is not None else k)
        if not isinstance(v, pd.DataFrame) or len(v) > SMALL_INPUT_ROWS:
            continue
        if len(v) == 0:
            parts.append(f"{k}: (empty, columns {list(v.columns)})")
            continue
        marks = ["-> " if row is not None and _same_label(ix, row) else "   " for ix in v.index]
        body = v.to_string().splitlines()
        head = body[: len(body) - len(v)]
        lines = ["   " + line for line in head] + [m + line for m, line in zip(marks, body[len(head):])]
        parts.append(f"{k}:\n" + "\n".join(lines))
    return ("\n\nthe input of that case:\n" + "\n".join(parts)) if parts else ""


def _same_label(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


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
    #: finer switches (None: follow ``check_names``); enforce a property if and only if the prompt states it
    check_series_name: bool | None = None
    check_index_names: bool | None = None
    #: compare index labels; False compares rows by position (the prompt does not fix the index)
    check_index: bool = True
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
        result = self._check(answer, seed)
        from pharma_kit.exercises.progress import record

        record(self.name, result.status)
        if _in_notebook():
            result.show()             # shown even when check() is not the cell's last line; returned all the same
        return result

    def _check(self, answer: Callable, seed: int | None, rounds: int | None = None,
               edge: bool = True) -> CheckResult:
        """``check`` without recording; ``rounds``/``edge`` let the fairness tests sweep many seeds cheaply."""
        fixed_seed = seed if seed is not None else secrets.randbits(32)
        n_random = self.random_rounds if rounds is None else rounds
        # round 0 is the question's own deterministic edge cases; the rest are seeded freshly
        rounds: list[list[dict[str, Any]]] = [self.cases(np.random.default_rng(12345))] if edge else []
        for r in range(n_random):
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
                    check_series_name=self.check_series_name,
                    check_index_names=self.check_index_names,
                    check_index=self.check_index,
                )
                if mismatch is not None:
                    shown = _show_small_input(case, getattr(mismatch, "row", None))
                    return CheckResult(self.name, "incorrect",
                                       f"case {n} ({_describe_case(case)}): {mismatch}{shown}", n)
        return CheckResult(self.name, "correct", f"all {n} hidden cases match the reference", n)

    def demo_wrong(self, label: str, seed: int = 0) -> str:
        """Run the named classic wrong answer through ``check`` (a fixed seed, so the text is reproducible).

        The result is returned as a line starting with "Demo", so course-run counters don't mistake it for an exercise.
        """
        if label not in self.wrong_answers:
            raise KeyError(f"{self.name} has no wrong answer {label!r}; known: {sorted(self.wrong_answers)}")
        result = self._check(self.wrong_answers[label], seed=seed)     # a demo is not the learner's attempt
        return DemoText(f"Demo of the wrong answer {label!r} -> {result}")

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1-based); hints get more specific as ``n`` grows."""
        if not self.hints:
            print(f"[{self.name}] no hints for this one: re-read the prompt.")
            return
        if n > len(self.hints):
            print(f"[{self.name}] there are only {len(self.hints)} hints, and you have seen them all: "
                  "compare your answer with the first difference check() reports, or call .solution().")
            return
        n = max(1, n)
        print(f"💡 Hint {n}/{len(self.hints)} [{self.name}]: {self.hints[n - 1]}")

    def solution_code(self) -> str:
        """Self-contained code that passes ``check`` when pasted: the solved notebook's cell, else the reference."""
        solved = notebook_solutions().get(self.name)
        if solved:
            return solved["code"]
        return _with_imports(self.solution_text or textwrap.dedent(inspect.getsource(self.reference)))

    def solution(self) -> None:
        """Print a solution that passes ``check`` when pasted (and why it is right)."""
        print(f"📖 Solution [{self.name}]\n{self.solution_code().rstrip()}")
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

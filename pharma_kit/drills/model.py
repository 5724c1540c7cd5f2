"""A drill wraps an exercise ``Question`` (same checker, same hidden cases) with interview metadata.

Metadata: topic, level, a small example, staged hints (the question's), the SQL twin, a complexity note,
"what the interviewer listens for" and the classic wrong answers (the question's ``wrong_answers``).
A review drill ("what's wrong with this code") adds the code under review and labelled options.
"""
from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from pharma_kit.drills.sql import Post, as_is, sql_function
from pharma_kit.errors import DataQualityError, TransientError
from pharma_kit.exercises.core import CheckResult, Question

LEVELS = {1: "warm-up", 2: "core", 3: "stretch"}


@dataclass
class Drill:
    """One interview drill: a checked question plus what an interviewer expects around it."""

    id: str
    title: str
    topic: str
    level: int
    question: Question
    example: Callable[[], dict[str, Any]]
    complexity: str
    listens_for: list[str]
    sql: str | None = None
    sql_post: Post = as_is
    sql_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    signature: str | None = None
    stub_imports: str = "import numpy as np\nimport pandas as pd\n"
    # review drills only
    code: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    answer: str | None = None
    why: str = ""

    # -- identity ----------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return "review" if self.code else "drill"

    @property
    def func_name(self) -> str:
        return self.question.reference.__name__

    @property
    def wrong_answers(self) -> dict[str, Callable]:
        return self.question.wrong_answers

    def call_signature(self) -> str:
        """``(a, b, gap_minutes=30)``: the learner's function signature, without annotations."""
        if self.signature:
            return self.signature
        parts = []
        for p in inspect.signature(self.question.reference).parameters.values():
            parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
        return "(" + ", ".join(parts) + ")"

    # -- showing -----------------------------------------------------------------------------------------
    def example_output(self) -> Any:
        """The reference's answer on the example input (computed, so it can never drift from the reference)."""
        return self.question.runner(self.question.reference, self.example())

    def show(self, example: bool = True) -> None:
        """Print the prompt, the signature and a worked example (and for a review, the code and options)."""
        print(f"📝 [{self.id}] {self.title} · topic: {self.topic} · level {self.level} ({LEVELS[self.level]})")
        print(textwrap.fill(self.question.prompt, 100))
        if self.code:
            print("\nThe code under review:\n" + textwrap.indent(self.code.strip("\n"), "    "))
            print("\nWhat is wrong? (name it with .name_bug('A'...))")
            for k, v in self.options.items():
                print(f"  {k}) {v}")
            print(f"\nThen write the fixed version: def {self.func_name}{self.call_signature()}")
        else:
            print(f"\nWrite: def {self.func_name}{self.call_signature()}")
        if example:
            print("\nExample input:")
            for k, v in self.example().items():
                print(f"{k} =\n{_render(v)}" if isinstance(v, (pd.DataFrame, pd.Series)) else f"{k} = {_render(v)}")
            print("Expected output:")
            print(_render(self.example_output()))

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (they get more specific)."""
        self.question.hint(n)

    def solution(self) -> None:
        """Print the pandas reference, the SQL twin, the complexity note and what the interviewer listens for."""
        self.question.solution()
        if self.sql:
            print("\n🦆 SQL twin (DuckDB):\n" + textwrap.indent(self.sql.strip("\n"), "    "))
        print(f"\n⏱ Complexity: {self.complexity}")
        print("👂 The interviewer listens for:")
        for item in self.listens_for:
            print(f"  - {item}")
        if self.wrong_answers:
            print("🪤 Classic wrong answers (the checker rejects each):")
            for name in self.wrong_answers:
                print(f"  - {name}")

    # -- checking ----------------------------------------------------------------------------------------
    def check(self, answer: Callable | None = None, seed: int | None = None) -> CheckResult:
        """Check a pandas answer on the hidden cases (the exercise checker, unchanged)."""
        return self.question.check(answer, seed=seed)

    def sql_answer(self, query: str | None = None) -> Callable[..., Any]:
        """A function with the drill's signature that runs ``query`` (default: the SQL twin) on DuckDB."""
        q = query if query is not None else self.sql
        if not q:
            raise ValueError(f"drill {self.id!r} has no SQL twin")
        return sql_function(q, self.sql_post, self.sql_inputs)

    def check_sql(self, query: str | None = None, seed: int | None = None) -> CheckResult:
        """Check a SQL answer (default: the drill's own twin) against the pandas reference on the same cases."""
        return self.question.check(self.sql_answer(query), seed=seed)

    def name_bug(self, letter: str) -> bool:
        """For a review: say whether ``letter`` names the bug, and why."""
        if not self.code:
            raise ValueError(f"drill {self.id!r} is not a code review")
        key = str(letter).strip().upper()
        if key not in self.options:
            raise ValueError(f"choose one of {sorted(self.options)}, got {letter!r}")
        ok = key == self.answer
        print(("✅ Yes: " if ok else f"❌ Not {key}. ") + (self.why if ok else "Look again at what the code does on ties, "
                                                                                "nulls, retries or the calendar."))
        return ok

    def stub(self) -> str:
        """A stub file for the terminal drill mode: a header the CLI reads back, and a function to fill in."""
        prompt = textwrap.fill(self.question.prompt, 96, initial_indent="# ", subsequent_indent="# ")
        parts = [f"# pharma-kit drill: {self.id}", f"# {self.title} (topic: {self.topic}, level {self.level})", prompt]
        if self.code:
            parts.append("#\n# The code under review:\n" + textwrap.indent(self.code.strip("\n"), "#     "))
        parts.append(self.stub_imports)
        parts.append(f"\ndef {self.func_name}{self.call_signature()}:\n    raise NotImplementedError(\"Your code here\")\n")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"Drill({self.id!r}, topic={self.topic!r}, level={self.level})"


def _render(v: Any) -> str:
    if isinstance(v, (pd.DataFrame, pd.Series)):
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return v.to_string()
    return repr(v)


# --- runners ----------------------------------------------------------------------------------------------
def twice(arg: str) -> Callable[[Callable, dict[str, Any]], Any]:
    """Runner for load drills: run once, then again on its own output (a retry). Both results are compared."""
    def runner(fn: Callable, case: dict[str, Any]) -> list[Any]:
        once = fn(**case)
        again = fn(**{**case, arg: once})
        return [once, again]
    return runner


def retry_runner(fn: Callable, case: dict[str, Any]) -> dict[str, Any]:
    """Runner for the retry review: a scripted flaky operation and a fake sleep record what the function did.

    Script steps: 'transient' raises TransientError, 'quality' DataQualityError, 'other' a ValueError (a bug or a
    bad setting: not transient either), 'ok' returns 42. An error the operation raised and the function let through
    is part of the outcome; any other exception is the function's own bug and propagates.
    """
    script = list(case["script"])
    calls: list[int] = []
    sleeps: list[float] = []
    raised: list[BaseException] = []

    def op() -> int:
        calls.append(1)
        kind = script[len(calls) - 1] if len(calls) <= len(script) else "ok"
        exc: Exception | None = None
        if kind == "transient":
            exc = TransientError(f"attempt {len(calls)}: connection reset by the warehouse")
        elif kind == "quality":
            exc = DataQualityError("row 3: amount is negative")
        elif kind == "other":
            exc = ValueError("config: batch_size must be a positive integer, got 'ten'")
        if exc is not None:
            raised.append(exc)
            raise exc
        return 42

    try:
        outcome = f"returned {fn(op, attempts=case['attempts'], base_delay=case['base_delay'], sleep=sleeps.append)}"
    except Exception as exc:
        if not any(exc is e for e in raised):
            raise
        outcome = f"raised {type(exc).__name__}"
    return {"outcome": outcome, "calls": len(calls), "sleeps": sleeps}


__all__ = ["Drill", "LEVELS", "twice", "retry_runner"]

"""Checked exercises: one thin module per lesson (``lesson00`` ... ``lesson08``), each with a ``QUESTIONS`` list.

Usage in a notebook::

    from pharma_kit.exercises import lesson01 as ex
    ex.q1.show(); ex.q1.check(my_function); ex.q1.hint(1); ex.q1.solution()
"""
from __future__ import annotations

import importlib
import pkgutil

from pharma_kit.exercises.core import CheckResult, Question


def lesson_modules() -> list[str]:
    """Names of the lesson exercise modules that exist, in lesson order."""
    import pharma_kit.exercises as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("lesson"))


def all_questions() -> list[Question]:
    """Every question of every lesson, in order."""
    out: list[Question] = []
    for name in lesson_modules():
        mod = importlib.import_module(f"pharma_kit.exercises.{name}")
        out.extend(mod.QUESTIONS)
    return out


__all__ = ["CheckResult", "Question", "all_questions", "lesson_modules"]

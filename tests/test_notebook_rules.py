"""Rules every solved notebook follows, checked statically: notebooks assert results, never timings.

A shared 2-core machine can slow any single run several times, so an `assert t_a / t_b > 2` makes `make course`
fail for reasons that have nothing to do with the course (issue 13). Speed targets live in `benchmarks/`.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from pharma_kit.course.learner import lesson_notebooks as _lessons  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(_lessons(ROOT / "solutions"))
CLOCKS = {"perf_counter", "perf_counter_ns", "monotonic", "time", "process_time", "best_of", "timeit"}


def _code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    src = []
    for c in cells:
        if c["cell_type"] == "code":
            lines = "".join(c["source"]).splitlines()
            src.append("\n".join(l for l in lines if not l.lstrip().startswith(("%", "!"))))
    return "\n\n".join(src)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _calls_clock(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in CLOCKS:
                return True
    return False


def timing_asserts(source: str) -> list[str]:
    """Assert statements that depend, directly or through assignments, on a clock reading."""
    tree = ast.parse(source)
    timed: set[str] = set()
    changed = True
    while changed:                      # propagate taint through assignments until nothing changes
        changed = False
        for n in ast.walk(tree):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and n.value is not None:
                if _calls_clock(n.value) or _names(n.value) & timed:
                    targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                    new = set().union(*(_names(t) for t in targets)) - timed
                    if new:
                        timed |= new
                        changed = True
    return [ast.unparse(n) for n in ast.walk(tree)
            if isinstance(n, ast.Assert) and (_names(n.test) & timed or _calls_clock(n.test))]


def test_detector_catches_a_timing_assert():
    src = "import time\nt0 = time.perf_counter()\nx = 1\nt = time.perf_counter() - t0\nr = t * 2\nassert r < 5\nassert x == 1"
    assert timing_asserts(src) == ["assert r < 5"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_never_asserts_a_timing(path):
    assert timing_asserts(_code(path)) == []


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_opens_with_what_you_learn_and_closes_with_a_recap(path):
    md = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown"]
    assert "## What you'll learn" in md[1], "the cell after the title says what you'll learn"
    assert any(m.startswith("## Recap") and "**Next" in m for m in md[-3:]), "a recap and what comes next at the end"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_shows_its_prompt_above_the_stub_and_has_one_heading_style(path):
    import re

    cells = _cells(path)
    for i, c in enumerate(cells):
        text = "".join(c["source"])
        if c["cell_type"] != "code" or "# BEGIN SOLUTION" not in text:
            continue
        q = re.search(r"^ex\.(q\d+)\.check\(", text, re.M).group(1)
        prompt = cells[i - 1]
        assert "".join(prompt["source"]).strip() == f"ex.{q}.show()" and \
            "prompt" in prompt.get("metadata", {}).get("tags", []), f"cell {i}: no prompt cell above the stub"
        assert f"ex.{q}.show()" not in text, f"cell {i}: the prompt is shown above, not in the stub's cell"
    if path.stem.startswith("08"):
        return
    headings = re.findall(r"^#{2,4} *(?:Exercise|Q) *\d+.*$", "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), re.M)
    assert headings and all(re.match(r"^### Exercise \d+ · \S", h) for h in headings), headings

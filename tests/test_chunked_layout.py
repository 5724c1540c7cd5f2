"""Lesson 04's engine is a package split by job (issue 18): small files, each saying what it owns, no cycles,
and every public name still importable from ``pharma_kit.chunked``."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pharma_kit.chunked as ch

PKG = Path(ch.__file__).parent
MODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__init__")


def test_every_module_is_small_and_says_what_it_owns():
    assert set(MODULES) == {"blocks", "files", "keysets", "partial", "quarantine", "teaching"}
    for name in MODULES:
        text = (PKG / f"{name}.py").read_text(encoding="utf-8")
        assert text.count("\n") <= 400, f"chunked/{name}.py is over 400 lines"
        doc = ast.get_docstring(ast.parse(text))
        assert doc and len(doc) > 120, f"chunked/{name}.py needs a paragraph saying what it owns"


def test_no_import_cycles_inside_the_package():
    deps = {}
    for name in MODULES:
        tree = ast.parse((PKG / f"{name}.py").read_text(encoding="utf-8"))
        deps[name] = {n.module.rsplit(".", 1)[-1] for n in ast.walk(tree)
                      if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("pharma_kit.chunked.")}

    def reaches(a: str, b: str, seen: frozenset = frozenset()) -> bool:
        return any(d == b or (d not in seen and reaches(d, b, seen | {d})) for d in deps[a])

    assert not [m for m in MODULES if reaches(m, m)], deps
    # the teaching helpers and the key bookkeeping stand alone
    assert deps["teaching"] == set() and deps["keysets"] == set() and deps["blocks"] == set()


def test_public_names_are_importable_from_the_package():
    for name in ch.__all__:
        assert hasattr(ch, name), name
    # the lesson's names, as notebooks, tests, benchmarks and other modules use them
    for name in ("AggSpec", "ChunkReport", "KeyMap", "PairSet", "PartialAggregate", "DEFAULT_BLOCK_BYTES",
                 "aggregate_file", "aggregate_file_report", "chunk_partials", "combine_partials",
                 "mean_of_chunk_means", "pandas_chunk_means", "wrong_mean_share", "distinct_per_key"):
        obj = getattr(ch, name)
        if callable(obj) and hasattr(obj, "__module__"):
            home = importlib.import_module(obj.__module__)
            assert getattr(home, name) is obj


def test_lesson_modules_do_not_import_the_course_machinery():
    for name in MODULES:
        text = (PKG / f"{name}.py").read_text(encoding="utf-8")
        assert "pharma_kit.exercises" not in text and "pharma_kit.course" not in text

"""Make the learner's copies: ``notebooks/`` from ``solutions/``, solution regions stubbed, outputs cleared.

One source (the solved notebook) gives both copies, so they cannot drift apart; a test regenerates
in memory and fails when ``notebooks/`` differs by a single byte.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
STUB = 'raise NotImplementedError("Your code here")'
_BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\s*$")
_END_RE = re.compile(r"^[ \t]*# END SOLUTION\s*$")


class SolutionMarkerError(ValueError):
    """A BEGIN/END SOLUTION pair is unbalanced or misplaced; the message names the notebook and cell."""


def stub_source(source: str, where: str = "<cell>") -> str:
    """Replace every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region with an indented stub."""
    out: list[str] = []
    inside: str | None = None
    for lineno, line in enumerate(source.splitlines(), start=1):
        m = _BEGIN_RE.match(line)
        if m:
            if inside is not None:
                raise SolutionMarkerError(f"{where}, line {lineno}: nested {BEGIN}")
            inside = m.group("indent")
            if not inside:
                raise SolutionMarkerError(f"{where}, line {lineno}: {BEGIN} must be indented inside a function body")
            out.append(f"{inside}# YOUR CODE HERE")
            out.append(f"{inside}{STUB}")
            continue
        if _END_RE.match(line):
            if inside is None:
                raise SolutionMarkerError(f"{where}, line {lineno}: {END} without {BEGIN}")
            inside = None
            continue
        if inside is None:
            out.append(line)
    if inside is not None:
        raise SolutionMarkerError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def learner_notebook(nb: nbformat.NotebookNode, name: str = "<notebook>") -> nbformat.NotebookNode:
    """Return the learner copy of a solved notebook (a new object; the input is untouched)."""
    new = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(new.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "solution-only" in tags:
            continue
        if cell.cell_type == "code":
            cell.source = stub_source(cell.source, f"{name}, cell {i}")
            cell.outputs = []
            cell.execution_count = None
        meta = dict(cell.get("metadata", {}))
        for volatile in ("execution", "papermill", "collapsed", "scrolled"):
            meta.pop(volatile, None)
        cell.metadata = nbformat.from_dict(meta)
        cells.append(cell)
    new.cells = cells
    meta = dict(new.metadata)
    meta.pop("papermill", None)
    new.metadata = nbformat.from_dict(meta)
    return new


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the one canonical way (stable bytes)."""
    return nbformat.writes(nb, version=4) + "\n"


def build_learner_copies(solutions: Path, notebooks: Path, write: bool = True) -> dict[str, str]:
    """Generate every learner copy; returns {file name: text}. With ``write``, also writes them (and removes strays)."""
    solutions, notebooks = Path(solutions), Path(notebooks)
    texts: dict[str, str] = {}
    for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts[path.name] = render(learner_notebook(nb, path.name))
    if write:
        notebooks.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            target = notebooks / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
        for stray in notebooks.glob("[0-9][0-9]_*.ipynb"):
            if stray.name not in texts:
                stray.unlink()
    return texts

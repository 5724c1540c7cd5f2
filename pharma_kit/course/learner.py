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


_LESSON_NAME = re.compile(r"^\d\d_[^.]+\.ipynb$")


def lesson_notebooks(folder: Path) -> list[Path]:
    """``NN_name.ipynb`` files of a folder, in order (not the ``.executing.ipynb`` temporaries of a store)."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb") if _LESSON_NAME.match(p.name))


#: what ``Question.solution()`` prints for notebook exercises, generated from solutions/ by ``make exercises``
SOLUTIONS_JSON = Path(__file__).resolve().parents[1] / "exercises" / "solutions.json"


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
            if "prompt" not in tags:          # a prompt cell keeps its output: the task is visible before any run
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


MANIFEST = ".generated-sha256"


class LearnerWorkError(RuntimeError):
    """Regenerating would overwrite notebooks a learner has edited; the message names them."""


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(texts: dict[str, str]) -> str:
    """``<sha256>  <file>`` per generated copy: how ``make exercises`` tells a learner's edits from its own output."""
    return "".join(f"{_sha(t)}  {name}\n" for name, t in sorted(texts.items()))


def edited_by_learner(notebooks: Path, texts: dict[str, str]) -> list[str]:
    """Learner notebooks that differ both from what the generator wrote last time and from what it would write now."""
    notebooks = Path(notebooks)
    known: dict[str, str] = {}
    manifest = notebooks / MANIFEST
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            known[name] = digest
    edited = []
    for name, text in sorted(texts.items()):
        target = notebooks / name
        if not target.exists():
            continue
        on_disk = target.read_text(encoding="utf-8")
        if on_disk != text and _sha(on_disk) != known.get(name):
            edited.append(name)
    return edited


def build_learner_copies(solutions: Path, notebooks: Path, write: bool = True, force: bool = False,
                         solutions_json: Path | None = None) -> dict[str, str]:
    """Generate every learner copy; returns {file name: text}. With ``write``, also writes them (and removes strays).

    A learner's own work is never overwritten silently: when a notebook differs from the copy the generator last
    wrote, :class:`LearnerWorkError` names it, unless ``force``.
    """
    solutions, notebooks = Path(solutions), Path(notebooks)
    texts: dict[str, str] = {}
    for path in lesson_notebooks(solutions):
        nb = nbformat.read(path, as_version=4)
        texts[path.name] = render(learner_notebook(nb, path.name))
    if write and not force:
        edited = edited_by_learner(notebooks, texts)
        if edited:
            raise LearnerWorkError(
                f"not regenerating: {', '.join(f'notebooks/{n}' for n in edited)} hold(s) your own edits. "
                "Save them elsewhere (e.g. copy to my_work/), or run `make exercises FORCE=1` to replace them.")
    if write and solutions_json is not None:    # the package's solution texts: only for the course's own folders
        text = render_solutions(solutions)
        if not solutions_json.exists() or solutions_json.read_text(encoding="utf-8") != text:
            solutions_json.write_text(text, encoding="utf-8")
    if write:
        notebooks.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            target = notebooks / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
        for stray in lesson_notebooks(notebooks):
            if stray.name not in texts:
                stray.unlink()
        manifest = notebooks / MANIFEST
        if not manifest.exists() or manifest.read_text(encoding="utf-8") != manifest_text(texts):
            manifest.write_text(manifest_text(texts), encoding="utf-8")
    return texts


# -- solution texts: what ``Question.solution()`` prints, taken from the solved notebooks ------------------------
_EX_IMPORT_RE = re.compile(
    r"^(?:from pharma_kit\.exercises import (lesson\d\d)|import pharma_kit\.exercises\.(lesson\d\d)) as ex\s*$", re.M)
_CHECK_RE = re.compile(r"^ex\.(q\d+)\.check\((\w+)\)", re.M)


def _used_names(code: str) -> set[str]:
    import ast

    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}


def _import_lines(sources: list[str]) -> list[tuple[str, set[str]]]:
    """Every top-level import statement of the given cells, with the names it binds."""
    import ast

    out: list[tuple[str, set[str]]] = []
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = {(a.asname or a.name).split(".")[0] for a in node.names}
                out.append((ast.unparse(node), names))
    return out


def solution_code(cell_source: str, earlier_cells: list[str]) -> str:
    """The exercise cell's solved code, self-contained: the imports it needs, then its definitions."""
    lines = []
    for line in cell_source.splitlines():
        if line.startswith("ex."):
            break
        if _BEGIN_RE.match(line) or _END_RE.match(line):
            continue
        lines.append(line)
    body = "\n".join(lines).strip("\n")
    used = _used_names(body)
    own = {text for text, _ in _import_lines([body])}
    needed, seen = [], set()
    for text, names in _import_lines(earlier_cells):
        if names & used and text not in own and text not in seen:
            needed.append(text)
            seen.add(text)
    return ("\n".join(needed) + "\n\n\n" if needed else "") + body + "\n"


def extract_solutions(solutions: Path) -> dict[str, dict[str, str]]:
    """{question name: {"function": stub's name, "notebook": file, "code": self-contained solved code}}."""
    import importlib

    out: dict[str, dict[str, str]] = {}
    for path in lesson_notebooks(solutions):
        nb = nbformat.read(path, as_version=4)
        code_cells = [c.source for c in nb.cells if c.cell_type == "code"]
        m = next((m for src in code_cells for m in [_EX_IMPORT_RE.search(src)] if m), None)
        if m is None:
            continue
        module = importlib.import_module(f"pharma_kit.exercises.{m.group(1) or m.group(2)}")
        for i, src in enumerate(code_cells):
            if BEGIN not in src:
                continue
            check = _CHECK_RE.search(src)
            if check is None:
                raise SolutionMarkerError(f"{path.name}: a solution cell without an ex.qN.check(fn) call")
            question = getattr(module, check.group(1))
            out[question.name] = {"function": check.group(2), "notebook": path.name,
                                  "code": solution_code(src, code_cells[:i])}
    return out


def render_solutions(solutions: Path) -> str:
    import json

    return json.dumps(extract_solutions(solutions), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

"""notebooks/ is exactly what the generator makes from solutions/, and every learner copy runs headless."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from pharma_kit.course.execute import count_checks, execute
from pharma_kit.course.learner import SolutionMarkerError, build_learner_copies, stub_source

from pharma_kit.course.learner import lesson_notebooks as _lessons  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(_lessons(ROOT / "solutions"))


def test_notebooks_folder_is_exactly_the_generated_copies():
    texts = build_learner_copies(ROOT / "solutions", ROOT / "notebooks", write=False)
    assert texts, "no solution notebooks"
    on_disk = {p.name for p in _lessons(ROOT / "notebooks")}
    assert on_disk == set(texts), "notebooks/ and solutions/ hold different lessons: run `make exercises`"
    for name, text in texts.items():
        assert (ROOT / "notebooks" / name).read_text(encoding="utf-8") == text, f"{name} is stale: run `make exercises`"


def test_stub_source_replaces_regions_and_keeps_the_rest():
    src = "def f(x):\n    y = 1\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION\n\nq.check(f)"
    out = stub_source(src)
    assert "return x + y" not in out and 'raise NotImplementedError("Your code here")' in out
    assert out.startswith("def f(x):\n    y = 1\n    # YOUR CODE HERE") and out.endswith("q.check(f)")


@pytest.mark.parametrize("src, message", [
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "must be indented"),
    ("def f():\n    # BEGIN SOLUTION\n    pass", "without # END"),
    ("def f():\n    # END SOLUTION", "without # BEGIN"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION", "nested"),
])
def test_stub_source_rejects_bad_markers(src, message):
    with pytest.raises(SolutionMarkerError, match=message):
        stub_source(src, "nb.ipynb, cell 3")


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_have_a_parameters_cell_and_no_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged 'parameters'"
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"stored error output in {path.name}"
            assert not (out.output_type == "stream" and out.name == "stderr" and "Warning" in out.text), \
                f"stored warning in {path.name}: {out.text[:200]}"
        for volatile in ("execution", "papermill"):
            assert volatile not in cell.metadata, f"volatile metadata {volatile!r} stored in {path.name}"
    counts = count_checks(nb)
    assert counts["incorrect"] == counts["error"] == counts["not attempted"] == 0, counts


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_learner_copy_runs_headless_and_reports_not_attempted(path, tmp_path):
    learner = ROOT / "notebooks" / path.name
    result = execute(learner, tmp_path / path.name)
    assert result.ok, f"{learner.name} failed headless: {result.error}"
    # a check may pass in the learner copy only where the solved notebook checks pharma_kit's own reference
    # (a demo cell with no solution region), never where the learner was meant to write code
    solved = nbformat.read(path, as_version=4)
    solved_correct = count_checks(solved)["correct"]
    solved.cells = [c for c in solved.cells if "# BEGIN SOLUTION" not in c.source]
    demos = count_checks(solved)["correct"]
    assert result.checks["error"] == 0 and result.checks["incorrect"] == 0, result.checks
    assert result.checks["correct"] <= demos, (result.checks, demos)
    assert result.checks["correct"] + result.checks["not attempted"] == solved_correct, (result.checks, solved_correct)
    assert result.checks["not attempted"] >= 1, "a lesson needs at least one exercise"


def test_manifest_records_the_generated_copies():
    from pharma_kit.course.learner import MANIFEST, manifest_text

    texts = build_learner_copies(ROOT / "solutions", ROOT / "notebooks", write=False)
    assert (ROOT / "notebooks" / MANIFEST).read_text(encoding="utf-8") == manifest_text(texts), \
        "notebooks/.generated-sha256 is stale: run `make exercises`"


def test_regenerating_never_overwrites_a_learners_edits(tmp_path):
    import shutil

    from pharma_kit.course.learner import SOLUTIONS_JSON, LearnerWorkError

    package_texts = SOLUTIONS_JSON.read_bytes()
    sol, nbs = tmp_path / "solutions", tmp_path / "notebooks"
    sol.mkdir()
    shutil.copy(SOLUTIONS[0], sol / SOLUTIONS[0].name)
    build_learner_copies(sol, nbs)                                  # first generation
    mine = nbs / SOLUTIONS[0].name
    mine.write_text(mine.read_text(encoding="utf-8").replace("YOUR CODE HERE", "my answer"), encoding="utf-8")
    build_learner_copies(sol, nbs, write=False)                     # reading never touches it
    with pytest.raises(LearnerWorkError, match=SOLUTIONS[0].name):
        build_learner_copies(sol, nbs)
    assert "my answer" in mine.read_text(encoding="utf-8")          # still there
    build_learner_copies(sol, nbs, force=True)
    assert "my answer" not in mine.read_text(encoding="utf-8")
    build_learner_copies(sol, nbs)                                  # the generator's own output is not "edited"
    assert SOLUTIONS_JSON.read_bytes() == package_texts             # a folder elsewhere never rewrites the package

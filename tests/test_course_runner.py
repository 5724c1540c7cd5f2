"""`make course`'s runner: executes notebooks, counts checks, writes HTML and an index, fails on a broken notebook."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pharma_kit.course.runner import run_course


def _nb(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_run_course_summary_html_and_exit_codes(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    _nb(src / "01_good.ipynb", "x = 1", "print('✅ Correct [q] fine')\nprint('⏳ Not attempted [q2] stub')")
    assert run_course(src, tmp_path / "build") == 0
    out = capsys.readouterr().out
    assert "01_good" in out and "1/2" in out and "1/1 notebooks ok" in out
    index = (tmp_path / "build" / "html" / "index.html").read_text()
    assert "01_good.html" in index and (tmp_path / "build" / "html" / "01_good.html").exists()

    _nb(src / "02_bad.ipynb", "raise RuntimeError('boom')")
    assert run_course(src, tmp_path / "build2") == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "1/2 notebooks ok" in out


def test_run_course_with_no_notebooks(tmp_path, capsys):
    assert run_course(tmp_path, tmp_path / "b") == 1


def test_stored_outputs_drop_progress_bars_but_keep_real_stderr():
    from pharma_kit.course.execute import strip_volatile

    nb = new_notebook(cells=[new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="\rfeed.csv:   0%|          | 0.00/10.8M [00:00<?, ?B/s]"),
        nbformat.v4.new_output("stream", name="stderr", text="\n"),      # what tqdm's close leaves behind
        nbformat.v4.new_output("stream", name="stderr", text="a real warning\n"),
        nbformat.v4.new_output("stream", name="stdout", text="12%|## | done\n"),
    ]
    kept = strip_volatile(nb).cells[0].outputs
    assert [o["text"] for o in kept] == ["a real warning\n", "12%|## | done\n"]


def test_stored_outputs_join_a_cells_stream_chunks():
    """How prints are split into chunks depends on when the kernel flushed (the machine's load): stored, they are one."""
    from pharma_kit.course.execute import strip_volatile

    nb = new_notebook(cells=[new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "shown"}),
        nbformat.v4.new_output("stream", name="stdout", text="d\n"),
        nbformat.v4.new_output("stream", name="stdout", text="e"),
    ]
    kept = strip_volatile(nb).cells[0].outputs
    assert [o.get("text", o.get("data", {}).get("text/plain")) for o in kept] == ["a\nb\n", "w\n", "c\n", "shown",
                                                                                   "d\ne"]


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "solutions").glob("*.ipynb")),
                         ids=lambda p: p.name)
def test_stored_notebooks_have_no_split_streams(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        outs = cell.get("outputs", [])
        for a, b in zip(outs, outs[1:]):
            split = a.get("output_type") == b.get("output_type") == "stream" and a.get("name") == b.get("name")
            assert not split, f"{path.name} cell {i}: two {a.get('name')} chunks stored (re-store the notebook)"

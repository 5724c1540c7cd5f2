"""Execute notebooks headless (papermill) with the pinned, deterministic environment.

Every way the course runs a notebook (storing solution outputs, the course run, the tests) goes
through :func:`execute`, so they all see the same environment variables and working directory.
"""
from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from pharma_kit.exercises.core import MARK_CORRECT, MARK_ERROR, MARK_INCORRECT, MARK_NOT_ATTEMPTED

ROOT = Path(__file__).resolve().parents[2]

#: What makes outputs reproducible: stable hashing, stable traceback cell names, no debugger chatter.
DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",
    "IPYKERNEL_CELL_NAME": "<IPY-INPUT>",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TZ": "UTC",
    "PHARMA_KIT_RECORD": "0",   # headless runs of the solved notebooks are not a learner's attempts
}


def prepare_env() -> None:
    """Set the deterministic environment in this process (kernels inherit it)."""
    for k, v in DETERMINISTIC_ENV.items():
        os.environ[k] = v
    # a private IPython profile: no user startup files, no history in ~/.ipython, and the kernel's own log kept out
    # of the progress output: its "TCP without encryption" notice (loopback only here), and the "KeyboardInterrupt
    # caught in kernel." that jupyter_client's shutdown (an interrupt, then a shutdown request) provokes now and then
    # at ERROR level. A cell's error reaches papermill and the report, not this log.
    profile = ROOT / "build" / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    config = profile / "ipython_kernel_config.py"
    text = "c.IPKernelApp.log_level = 'CRITICAL'\nc.HistoryManager.enabled = False\n"
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    os.environ["IPYTHONDIR"] = str(profile.parent)
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


_PROGRESS_LINE = re.compile(r"^\s*[^\n]*\d+%\|[^\n]*\|[^\n]*$")


def is_progress_bar(output: dict) -> bool:
    """A text progress bar (tqdm) written to stderr: wall-clock output, stale the moment it is stored."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    text = "".join(output.get("text", ""))
    parts = [p for p in re.split(r"[\r\n]+", text) if p.strip()]
    if not parts:                    # the bare newline tqdm writes on close, in its own stream chunk
        return "\n" in text or "\r" in text
    return all(_PROGRESS_LINE.match(p) for p in parts)


def coalesce_streams(outputs: list) -> list:
    """Consecutive stdout (or stderr) outputs as one: how a cell's prints are split into chunks depends on when the
    kernel flushed, i.e. on the machine's load, not on the results."""
    merged: list = []
    for o in outputs:
        prev = merged[-1] if merged else None
        if (o.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == o.get("name")):
            prev["text"] = "".join(prev.get("text", "")) + "".join(o.get("text", ""))
        else:
            merged.append(o)
    return merged


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove wall-clock metadata (papermill/nbclient timings) and progress bars, and join a cell's stream chunks,
    so stored bytes depend only on results. A learner running the notebook live still sees the bar."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            cell.outputs = coalesce_streams([o for o in cell.outputs if not is_progress_bar(o)])
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.metadata.get("tags") == []:
            cell.metadata.pop("tags")
    return nb


@dataclass
class RunResult:
    """One notebook's headless run."""

    name: str
    seconds: float
    ok: bool
    error: str
    checks: dict[str, int]
    output: Path

    @property
    def checks_text(self) -> str:
        total = sum(self.checks.values())
        return f"{self.checks.get('correct', 0)}/{total}" if total else "-"


def count_checks(nb: nbformat.NotebookNode) -> dict[str, int]:
    """Count exercise check results printed in an executed notebook."""
    marks = {"correct": MARK_CORRECT, "incorrect": MARK_INCORRECT, "not attempted": MARK_NOT_ATTEMPTED,
             "error": MARK_ERROR}
    counts = {k: 0 for k in marks}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts = []
            if out.get("output_type") == "stream":
                texts.append(out.get("text", ""))
            elif "data" in out:
                texts.append(out["data"].get("text/plain", ""))
            for text in texts:
                for line in text.splitlines():
                    for k, m in marks.items():
                        if line.startswith(m) or line.startswith("'" + m):
                            counts[k] += 1
    return counts


def execute(source: Path, output: Path, parameters: dict | None = None, timeout: int = 600) -> RunResult:
    """Run ``source`` headless with papermill into ``output`` (cwd = the source's folder)."""
    import papermill as pm

    prepare_env()
    source, output = Path(source), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error = ""
    try:
        pm.execute_notebook(str(source), str(output), parameters=parameters or {}, cwd=str(source.parent),
                            kernel_name="python3", progress_bar=False, log_output=False,
                            execution_timeout=timeout, report_mode=False)
        ok = True
    except Exception as exc:  # papermill raises PapermillExecutionError with the failing cell
        ok = False
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    seconds = time.perf_counter() - t0
    nb = nbformat.read(output, as_version=4) if output.exists() else nbformat.v4.new_notebook()
    return RunResult(source.stem, seconds, ok, error, count_checks(nb), output)


def store(path: Path, timeout: int = 600) -> RunResult:
    """Execute a solution notebook in place and keep only deterministic content."""
    path = Path(path).resolve()
    tmp = path.with_suffix(".executing.ipynb")
    try:
        result = execute(path, tmp, timeout=timeout)
        if not result.ok:
            raise RuntimeError(f"{path.name} failed: {result.error}")
        nb = strip_volatile(nbformat.read(tmp, as_version=4))
        text = nbformat.writes(nb, version=4) + "\n"
        path.write_text(text, encoding="utf-8")
    finally:
        tmp.unlink(missing_ok=True)
    return result


def nbval(paths: list[str]) -> int:
    """Run nbval on the given notebooks with the project's sanitize file; returns pytest's exit code."""
    import subprocess

    prepare_env()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "-o", "addopts=", *paths]
    return subprocess.call(cmd, cwd=ROOT)


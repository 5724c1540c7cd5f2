"""``make course``: run every solved notebook headless, render HTML, print a summary table.

Exits non-zero if any notebook fails, so an instructor's CI goes red on a broken lesson.
"""
from __future__ import annotations

from pathlib import Path

from pharma_kit.course.execute import ROOT, RunResult, execute


def summary_table(results: list[RunResult]) -> str:
    """The plain-text summary printed at the end of a course run."""
    width = max([len(r.name) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  {'seconds':>7}  {'status':<6}  checks passed", "-" * (width + 32)]
    for r in results:
        lines.append(f"{r.name:<{width}}  {r.seconds:>7.1f}  {'ok' if r.ok else 'FAILED':<6}  {r.checks_text}")
    total = sum(r.seconds for r in results)
    lines.append("-" * (width + 32))
    lines.append(f"{'total':<{width}}  {total:>7.1f}  {sum(r.ok for r in results)}/{len(results)} notebooks ok")
    return "\n".join(lines)


def run_course(source_dir: Path = ROOT / "solutions", build_dir: Path = ROOT / "build",
               pattern: str = "[0-9][0-9]_*.ipynb", html_out: bool = True) -> int:
    """Execute every notebook in ``source_dir`` into ``build_dir``; returns a process exit code."""
    paths = sorted(p for p in Path(source_dir).glob(pattern) if ".executing." not in p.name)
    if not paths:
        print(f"no notebooks matching {pattern} in {source_dir}")
        return 1
    results: list[RunResult] = []
    for i, path in enumerate(paths, start=1):
        print(f"[{i}/{len(paths)}] {path.stem} ...", end=" ", flush=True)
        r = execute(path, Path(build_dir) / "executed" / path.name)
        results.append(r)
        print(f"{'ok' if r.ok else 'FAILED'} in {r.seconds:.1f}s, checks {r.checks_text}"
              + (f"  <- {r.error}" if r.error else ""), flush=True)
    print()
    print(summary_table(results))
    if html_out:
        from pharma_kit.course.site import build_site

        status = {Path(r.name).stem: (r.ok, f"{r.checks_text} checks, {r.seconds:.0f} s") for r in results}
        executed = {Path(r.name).stem: r.output for r in results if r.output.exists()}
        index = build_site(source_dir, Path(build_dir) / "html", status=status, sources=executed)
        print(f"\nCourse home page: {index}")
    return 0 if all(r.ok for r in results) else 1

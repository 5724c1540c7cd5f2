"""``make course``: run every solved notebook headless, render HTML, print a summary table.

Exits non-zero if any notebook fails, so an instructor's CI goes red on a broken lesson.
"""
from __future__ import annotations

import html
from pathlib import Path

from pharma_kit.course.execute import ROOT, RunResult, execute


def _render_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")


def _index(results: list[RunResult], html_dir: Path) -> Path:
    rows = "\n".join(
        f"<tr><td><a href='{html.escape(r.name)}.html'>{html.escape(r.name)}</a></td>"
        f"<td>{r.seconds:.1f}</td><td class='{'ok' if r.ok else 'fail'}'>{'ok' if r.ok else 'FAILED'}</td>"
        f"<td>{html.escape(r.checks_text)}</td><td>{html.escape(r.error)}</td></tr>"
        for r in results
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pharma-kit course run</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}
.ok{{color:#176117}}.fail{{color:#a11;font-weight:bold}}</style></head>
<body><h1>pharma-kit: Larkspur Pharmacies data-engineering course</h1>
<p>Every lesson executed headless with papermill. Click a lesson to read it with its outputs.</p>
<table><tr><th>notebook</th><th>seconds</th><th>status</th><th>exercise checks passed</th><th>error</th></tr>
{rows}
</table></body></html>
"""
    index = html_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


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
    paths = sorted(Path(source_dir).glob(pattern))
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
        if html_out and r.output.exists():
            _render_html(r.output, Path(build_dir) / "html" / f"{path.stem}.html")
    print()
    print(summary_table(results))
    if html_out:
        print(f"\nHTML: {_index(results, Path(build_dir) / 'html')}")
    return 0 if all(r.ok for r in results) else 1

"""The course as a small offline website: a home page, one page per lesson, a glossary and a cheat sheet.

Lesson pages are the solved notebooks rendered by nbconvert, with a real title, links to home / previous / next,
a notice that they are the solved version, and no script loaded from a CDN (the pages work offline).
``build_site`` renders from notebooks that already hold outputs (the stored ``solutions/`` or a fresh course run).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from pharma_kit.course.execute import ROOT
from pharma_kit.course.learner import BEGIN, lesson_notebooks

DOCS = ROOT / "docs"

#: lesson number -> (what you'll build, estimated learner time in minutes)
LESSON_CARDS: dict[str, tuple[str, int]] = {
    "00": ("a tour of the feed and its injected defects; your first checked exercises", 30),
    "01": ("a rule-driven validator with a structured report, and cleaning that quarantines instead of dropping", 75),
    "02": ("tie-proof RFM scores and a segment map covering all 125 codes, on synthetic and real (CDNOW) data", 60),
    "03": ("zero-filled daily series, STL seasonality, and an anomaly detector scored on planted events", 75),
    "04": ("exact streaming aggregates over files larger than memory, month-partitioned Parquet, Dask", 60),
    "05": ("from an O(N·K) loop to bincount and Numba kernels, measured against pandas, DuckDB and polars", 60),
    "06": ("an idempotent, partitioned daily Airflow 3 DAG that loads SQLite or PostgreSQL", 75),
    "07": ("transient-only retries with backoff, structured logs, typed config, monitoring and tests", 75),
    "08": ("timed, checked interview drills with SQL twins, and a terminal drill mode", 90),
}

HOW_TO = """<ol>
<li>Open a lesson from <code>notebooks/</code> in JupyterLab (<code>make lab</code>) and run the cells from the top.</li>
<li>An exercise is a function whose body is a stub. Replace <code>raise NotImplementedError</code> with your code.</li>
<li>Run the cell: <code>ex.qN.check(your_function)</code> runs it on hidden, freshly generated cases and tells you
the first difference, with the failing input when it is small. ⏳ means not attempted yet.</li>
<li>Stuck? <code>ex.qN.hint(1)</code>, <code>ex.qN.hint(2)</code>, then <code>ex.qN.solution()</code>.</li>
<li><code>pharma-kit progress</code> (terminal) or <code>ex.progress()</code> (notebook) shows what you have solved
and what is next. <code>pharma-kit drill</code> starts timed interview drills.</li>
</ol>"""

STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#1d1d1f}h1{margin-bottom:.2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{font-size:.85rem;color:#555}.small{font-size:.8rem;color:#666}.ok{color:#176117}.fail{color:#a11;font-weight:bold}
a{color:#0b5cad}code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}"""

NAV_STYLE = ("position:sticky;top:0;z-index:10;background:#0b5cad;color:#fff;padding:.5rem 1rem;"
             "font-family:system-ui,sans-serif;font-size:.95rem")


@dataclass
class Lesson:
    number: str
    stem: str
    title: str
    blurb: str
    minutes: int
    exercises: int


def lesson_info(path: Path) -> Lesson:
    """Title (the notebook's first heading), card text and exercise count of one lesson notebook."""
    nb = nbformat.read(path, as_version=4)
    title = path.stem
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                title = m.group(1).strip()
                break
    title = re.sub(r"^(Lesson\s+)?\d\d\s*[·—-]\s*", "", title)
    number = path.stem[:2]
    blurb, minutes = LESSON_CARDS.get(number, ("", 45))
    exercises = sum(1 for c in nb.cells if c.cell_type == "code" and BEGIN in c.source)
    return Lesson(number, path.stem, title, blurb, minutes, exercises)


_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"'](?:https?:)?//[^\"']*[\"'][^>]*>\s*</script>", re.I)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//[^\"']*[\"'][^>]*>", re.I)


def external_references(page: str) -> list[str]:
    """Scripts or stylesheets a page would fetch from the network (an offline page has none)."""
    found = [m.group(0) for m in re.finditer(r"<script\b[^>]*\bsrc\s*=\s*[\"'](?:https?:)?//[^\"']*[\"']", page, re.I)]
    found += [m.group(0) for m in _EXTERNAL_LINK.finditer(page)]
    found += re.findall(r"import\s[^;\n]*?from\s+[\"']https?://[^\"']+[\"']", page)
    return found


def _offline(page: str) -> str:
    page = _EXTERNAL_SCRIPT.sub("", page)
    return _EXTERNAL_LINK.sub("", page)


def _nav(lessons: list[Lesson], i: int) -> str:
    prev = (f"<a style='color:#fff' href='{lessons[i - 1].stem}.html'>← {html.escape(lessons[i - 1].number)} "
            f"{html.escape(lessons[i - 1].title)}</a>") if i > 0 else ""
    nxt = (f"<a style='color:#fff' href='{lessons[i + 1].stem}.html'>{html.escape(lessons[i + 1].number)} "
           f"{html.escape(lessons[i + 1].title)} →</a>") if i + 1 < len(lessons) else ""
    me = lessons[i]
    return (f"<nav id='course-nav' style='{NAV_STYLE}'><a style='color:#fff;font-weight:bold' href='index.html'>"
            f"⌂ Course home</a> · {prev}{' · ' if prev and nxt else ''}{nxt}"
            f"<div style='font-size:.85rem;margin-top:.25rem'>You are reading the <b>solved</b> version of lesson "
            f"{html.escape(me.number)}, with its outputs. Work the exercises in "
            f"<code style='background:#fff2;color:#fff'>notebooks/{html.escape(me.stem)}.ipynb</code>.</div></nav>")


def render_lesson(path: Path, lessons: list[Lesson], i: int) -> str:
    from nbconvert import HTMLExporter

    from pharma_kit.course.execute import strip_volatile

    nb = strip_volatile(nbformat.read(path, as_version=4))
    title = f"{lessons[i].number} · {lessons[i].title} — pharma-kit"
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _offline(body)
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    return re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + _nav(lessons, i), body, count=1)


def _markdown_page(md_path: Path, title: str) -> str:
    import mistune

    body = mistune.html(md_path.read_text(encoding="utf-8"))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><p><a href='index.html'>⌂ Course home</a></p>{body}</body></html>\n")


def home_page(lessons: list[Lesson], status: dict[str, tuple[bool, str]] | None = None) -> str:
    rows = []
    for les in lessons:
        st = ""
        if status is not None:
            ok, checks = status.get(les.stem, (False, "not run"))
            st = (f"<td class='small {'ok' if ok else 'fail'}'>{'ok' if ok else 'FAILED'}"
                  f"<br>{html.escape(checks)}</td>")
        rows.append(f"<tr><td>{les.number}</td><td><a href='{les.stem}.html'><b>{html.escape(les.title)}</b></a>"
                    f"<br><span class='small'>You'll build: {html.escape(les.blurb)}</span></td>"
                    f"<td>~{les.minutes} min</td><td>{les.exercises}</td>{st}</tr>")
    total = sum(les.minutes for les in lessons)
    status_head = "<th class='small'>last run<br>(checks passed)</th>" if status is not None else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pharma-kit · data engineering in Python, hands-on</title>
<style>{STYLE}</style></head><body>
<h1>pharma-kit</h1>
<p>A hands-on course in data engineering with Python (pandas 3, NumPy, Numba, Airflow 3), on one realistic domain:
the nightly sales feed of <i>Larkspur Pharmacies</i>, a fictional chain. {len(lessons)} lessons, about
{total // 60} h {total % 60:02d} min of work, {sum(les.exercises for les in lessons)} checked exercises.</p>
<p><a href="glossary.html">Glossary</a> · <a href="cheatsheet.html">Cheat sheet of the patterns</a></p>
<h2>Lessons</h2>
<table><tr><th>#</th><th>lesson</th><th>time</th><th>exercises</th>{status_head}</tr>
{chr(10).join(rows)}
</table>
<h2>How to work an exercise</h2>
{HOW_TO}
<p class="small">These pages show the solved notebooks with their stored outputs. The learner copies, with stubs,
are in <code>notebooks/</code>.</p>
</body></html>
"""


def build_site(source_dir: Path = ROOT / "solutions", html_dir: Path = ROOT / "build" / "html",
               status: dict[str, tuple[bool, str]] | None = None, sources: dict[str, Path] | None = None) -> Path:
    """Write the home page, every lesson page, the glossary and the cheat sheet; returns the home page's path.

    ``sources`` maps a lesson stem to an executed copy to render instead of the stored notebook.
    """
    paths = lesson_notebooks(source_dir)
    lessons = [lesson_info(p) for p in paths]
    html_dir = Path(html_dir)
    html_dir.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        src = (sources or {}).get(path.stem, path)
        (html_dir / f"{path.stem}.html").write_text(render_lesson(src, lessons, i), encoding="utf-8")
    (html_dir / "glossary.html").write_text(_markdown_page(DOCS / "GLOSSARY.md", "Glossary · pharma-kit"),
                                            encoding="utf-8")
    (html_dir / "cheatsheet.html").write_text(_markdown_page(DOCS / "CHEATSHEET.md", "Cheat sheet · pharma-kit"),
                                              encoding="utf-8")
    index = html_dir / "index.html"
    index.write_text(home_page(lessons, status), encoding="utf-8")
    return index


__all__ = ["LESSON_CARDS", "build_site", "external_references", "home_page", "lesson_info"]

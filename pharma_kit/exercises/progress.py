"""A learner's progress: every ``check()`` verdict, recorded in ``$PHARMA_KIT_HOME/checks.jsonl``.

``PHARMA_KIT_HOME`` defaults to ``~/.pharma_kit``; ``PHARMA_KIT_RECORD=0`` turns recording off (the tests and the
headless course run do that, so a learner's record only ever holds the learner's own attempts).
``pharma-kit progress`` and ``ex.progress()`` print the same summary: per lesson, solved / attempted / not started,
and the next exercise to do.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def home() -> Path:
    """``$PHARMA_KIT_HOME``, defaulting to ``~/.pharma_kit``."""
    return Path(os.environ.get("PHARMA_KIT_HOME") or Path.home() / ".pharma_kit").expanduser()


def checks_path() -> Path:
    return home() / "checks.jsonl"


def recording() -> bool:
    return os.environ.get("PHARMA_KIT_RECORD", "1").strip().lower() not in ("0", "false", "no", "off")


def record(question: str, status: str) -> None:
    """Append one verdict. Never raises: a read-only home must not break a learner's check()."""
    if not recording() or status not in ("correct", "incorrect", "error"):
        return
    try:
        path = checks_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"question": question, "status": status}) + "\n")
    except OSError:
        pass


def verdicts(path: Path | None = None) -> dict[str, set[str]]:
    """{question: the set of statuses it has had}; unreadable lines are skipped."""
    path = path or checks_path()
    out: dict[str, set[str]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            out.setdefault(str(item["question"]), set()).add(str(item["status"]))
        except (ValueError, KeyError, TypeError):
            continue
    return out


@dataclass
class LessonProgress:
    lesson: str
    questions: list[str]
    solved: list[str]
    attempted: list[str]

    @property
    def not_started(self) -> list[str]:
        return [q for q in self.questions if q not in self.solved and q not in self.attempted]

    @property
    def next_up(self) -> str | None:
        return next((q for q in self.questions if q not in self.solved), None)


def lessons() -> list[tuple[str, list[str]]]:
    """(lesson label, question names in order) for every lesson, then the whole drill bank."""
    import importlib

    from pharma_kit.exercises import lesson_modules

    out = []
    for mod in lesson_modules():
        names = [q.name for q in importlib.import_module(f"pharma_kit.exercises.{mod}").QUESTIONS]
        out.append((f"lesson {mod[-2:]}", names))
    try:
        from pharma_kit.drills import bank

        out.append(("drill bank", [d.question.name for d in bank.ALL]))
    except ImportError:  # pragma: no cover
        pass
    return out


def summary(path: Path | None = None) -> list[LessonProgress]:
    seen = verdicts(path)
    rows = []
    for label, names in lessons():
        solved = [q for q in names if "correct" in seen.get(q, ())]
        attempted = [q for q in names if q in seen and q not in solved]
        rows.append(LessonProgress(label, names, solved, attempted))
    return rows


def report(path: Path | None = None) -> str:
    """The progress table as text."""
    rows = summary(path)
    width = max(len(r.lesson) for r in rows)
    lines = [f"{'':<{width}}  solved  attempted  not started  next", "-" * (width + 60)]
    for r in rows:
        nxt = r.next_up or "all solved"
        lines.append(f"{r.lesson:<{width}}  {len(r.solved):>3}/{len(r.questions):<3} {len(r.attempted):>6}"
                     f"  {len(r.not_started):>11}  {nxt}")
    total = sum(len(r.questions) for r in rows)
    done = sum(len(r.solved) for r in rows)
    lines.append("-" * (width + 60))
    first = next((r for r in rows if r.next_up), None)
    lines.append(f"{done} of {total} solved." + (f" Next: {first.next_up} ({first.lesson})." if first else ""))
    if not recording():
        lines.append("(recording is off: PHARMA_KIT_RECORD=0)")
    lines.append(f"record: {path or checks_path()}")
    return "\n".join(lines)


def progress() -> None:
    """Print the progress table (``ex.progress()`` in a notebook)."""
    print(report())


__all__ = ["checks_path", "home", "progress", "record", "report", "summary", "verdicts"]

"""Drill mode: pick an unseen problem, time the attempt, keep progress in a small local JSON file.

The progress file is ``$PHARMA_KIT_HOME/progress.json`` (default ``~/.pharma_kit/progress.json``).
Timing uses a monotonic clock that callers (and tests) can replace; elapsed times are printed only by
``DrillSession.check`` so a notebook can tag just that cell ``nbval-ignore-output``.
"""
from __future__ import annotations

import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pharma_kit.drills import bank
from pharma_kit.drills.model import Drill
from pharma_kit.errors import ConfigError
from pharma_kit.exercises.core import CheckResult

Clock = Callable[[], float]


# --- the progress file ------------------------------------------------------------------------------------
def progress_path() -> Path:
    """``$PHARMA_KIT_HOME/progress.json``, defaulting to ``~/.pharma_kit/progress.json``."""
    home = os.environ.get("PHARMA_KIT_HOME") or str(Path.home() / ".pharma_kit")
    return Path(home).expanduser() / "progress.json"


def load_progress(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per-drill progress records; an absent file means no progress yet."""
    p = Path(path) if path is not None else progress_path()
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: progress file is not valid JSON (line {exc.lineno}): {exc.msg}; "
                          "delete it to start afresh") from None
    drills = data.get("drills", {}) if isinstance(data, dict) else None
    if not isinstance(drills, dict):
        raise ConfigError(f"{p}: expected an object with a 'drills' mapping")
    return drills


def save_progress(records: dict[str, dict[str, Any]], path: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so an interrupted write never corrupts progress."""
    p = Path(path) if path is not None else progress_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".progress-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "drills": records}, fh, indent=1, sort_keys=True)
    os.replace(tmp, p)
    return p


def record(drill_id: str, path: Path | None = None, **update: Any) -> dict[str, Any]:
    """Merge ``update`` into one drill's record: counters add up, ``solved`` flags never go back to False."""
    records = load_progress(path)
    rec = records.setdefault(drill_id, {"seen": 0, "attempts": 0, "solved": False, "hints": 0})
    for key, value in update.items():
        if key in ("seen", "attempts", "hints"):
            rec[key] = rec.get(key, 0) + int(value)
        elif key in ("solved", "sql_solved", "bug_named"):
            rec[key] = bool(rec.get(key, False)) or bool(value)
        elif key == "seconds":
            if value is not None:
                best = rec.get("best_seconds")
                rec["best_seconds"] = round(float(value) if best is None else min(best, float(value)), 1)
        else:
            rec[key] = value
    save_progress(records, path)
    return rec


def summary(path: Path | None = None) -> pd.DataFrame:
    """One row per drill: what is done, attempts, best time. Sorted by topic, level, id."""
    records = load_progress(path)
    rows = []
    for d in bank.ALL:
        rec = records.get(d.id, {})
        rows.append({"id": d.id, "kind": d.kind, "topic": d.topic, "level": d.level,
                     "seen": rec.get("seen", 0) > 0, "attempts": rec.get("attempts", 0),
                     "solved": rec.get("solved", False), "sql_solved": rec.get("sql_solved", False),
                     "best_seconds": rec.get("best_seconds")})
    return pd.DataFrame(rows).sort_values(["topic", "level", "id"]).reset_index(drop=True)


# --- picking and timing -----------------------------------------------------------------------------------
def choose(topic: str | None = None, level: int | None = None, seed: int | None = None, kind: str | None = None,
           path: Path | None = None) -> Drill:
    """A random drill matching the filters, preferring unseen ones, then unsolved ones."""
    pool = sorted(bank.select(topic=topic, level=level, kind=kind), key=lambda d: d.id)
    if not pool:
        raise ConfigError(f"no drill matches topic={topic!r}, level={level!r}, kind={kind!r}; "
                          f"topics: {', '.join(bank.TOPICS)}; levels: 1, 2, 3")
    records = load_progress(path)
    unseen = [d for d in pool if records.get(d.id, {}).get("seen", 0) == 0]
    unsolved = [d for d in pool if not records.get(d.id, {}).get("solved", False)]
    candidates = unseen or unsolved or pool
    return random.Random(seed).choice(candidates)


class DrillSession:
    """A timed attempt at one drill: ``check``, ``hint``, ``solution``, ``check_sql``, ``name_bug``."""

    def __init__(self, drill: Drill, path: Path | None = None, clock: Clock = time.perf_counter) -> None:
        self.drill = drill
        self.path = path
        self.clock = clock
        self.started = clock()
        self.hints_used = 0
        self.solved_in: float | None = None

    def elapsed(self) -> float:
        """Seconds since the drill was picked."""
        return self.clock() - self.started

    def show(self) -> None:
        self.drill.show()

    def hint(self, n: int | None = None) -> None:
        """Show hint ``n``, or the next one not yet shown."""
        self.hints_used = n if n is not None else self.hints_used + 1
        record(self.drill.id, self.path, hints=1)
        self.drill.hint(self.hints_used)

    def solution(self) -> None:
        record(self.drill.id, self.path, solution_viewed=True)
        self.drill.solution()

    def check(self, answer: Callable | None = None, seed: int | None = None) -> CheckResult:
        """Check the answer, print the time taken (this line varies run to run) and record progress."""
        result = self.drill.check(answer, seed=seed)
        result.show()                 # once: check() may already have shown it in a notebook
        if result.status == "not attempted":
            return result
        secs = self.elapsed()
        if result.passed and self.solved_in is None:
            self.solved_in = secs
        record(self.drill.id, self.path, attempts=1, solved=result.passed, seconds=secs if result.passed else None)
        print(f"⏱ {secs:.1f} s since the drill was picked" + (f", {self.hints_used} hint(s) used" if self.hints_used else ""))
        return result

    def check_sql(self, query: str | None = None, seed: int | None = None) -> CheckResult:
        """Check a SQL answer on DuckDB against the pandas reference."""
        result = self.drill.check_sql(query, seed=seed)
        result.show()
        record(self.drill.id, self.path, sql_solved=result.passed)
        return result

    def name_bug(self, letter: str) -> bool:
        ok = self.drill.name_bug(letter)
        record(self.drill.id, self.path, bug_named=ok)
        return ok

    def __getattr__(self, name: str) -> Any:
        # everything else (id, topic, question, stub, ...) comes from the drill
        return getattr(self.__dict__["drill"], name) if "drill" in self.__dict__ else super().__getattribute__(name)

    def __repr__(self) -> str:
        return f"DrillSession({self.drill.id!r})"


def pick(topic: str | None = None, level: int | None = None, seed: int | None = None, kind: str | None = None,
         path: Path | str | None = None, show: bool = True, clock: Clock = time.perf_counter) -> DrillSession:
    """Pick a random unseen drill (filters: topic substring, level 1-3, kind), show it and start the clock."""
    p = Path(path) if path is not None else None
    drill = choose(topic=topic, level=level, seed=seed, kind=kind, path=p)
    record(drill.id, p, seen=1)
    if show:
        drill.show()
        print("\n⏱ Clock started. Write your function, then drill.check(your_function); "
              "drill.hint() for a hint, drill.solution() to give up.")
    return DrillSession(drill, path=p, clock=clock)


__all__ = ["DrillSession", "choose", "load_progress", "pick", "progress_path", "record", "save_progress", "summary"]

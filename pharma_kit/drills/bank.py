"""The drill bank, assembled by discovery: every ``Drill`` defined at module level in :mod:`pharma_kit.drills.topics`.

Topic modules are visited in their ``ORDER``, and within a module in definition order; the bank lists the drills
first, then the "what's wrong with this code" reviews. A drill is defined in exactly one place (its topic module);
``tests/test_drill_bank.py`` proves every drill complete and every id unique.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from pharma_kit.drills import topics
from pharma_kit.drills.model import Drill


def topic_modules() -> list[ModuleType]:
    """Every module of :mod:`pharma_kit.drills.topics`, in bank order (its ``ORDER``, then its name)."""
    mods = [importlib.import_module(f"{topics.__name__}.{info.name}") for info in pkgutil.iter_modules(topics.__path__)]
    missing = [m.__name__ for m in mods if not isinstance(getattr(m, "ORDER", None), int)]
    if missing:
        raise ImportError(f"drill topic modules without an integer ORDER: {missing}")
    return sorted(mods, key=lambda m: (m.ORDER, m.__name__))


def discover() -> dict[str, tuple[Drill, str]]:
    """{drill id: (drill, defining module)} in bank order; a drill id defined (or imported) twice is an error."""
    found: dict[str, tuple[Drill, str]] = {}
    for mod in topic_modules():
        for value in vars(mod).values():
            if not isinstance(value, Drill):
                continue
            if value.id in found:
                raise ValueError(f"drill {value.id!r} is defined in {found[value.id][1]} and again in {mod.__name__}: "
                                 "a drill lives in exactly one topic module")
            found[value.id] = (value, mod.__name__)
    return found


_FOUND = discover()

DRILLS: list[Drill] = [d for d, _ in _FOUND.values() if d.kind == "drill"]
REVIEWS: list[Drill] = [d for d, _ in _FOUND.values() if d.kind == "review"]
ALL: list[Drill] = DRILLS + REVIEWS
#: drill id -> the topic module that defines it
HOME: dict[str, str] = {i: mod for i, (_, mod) in _FOUND.items()}
_BY_ID = {d.id: d for d in ALL}
TOPICS: list[str] = sorted({d.topic for d in ALL})


def get(drill_id: str) -> Drill:
    """The drill with this id (KeyError names the known ids)."""
    try:
        return _BY_ID[drill_id]
    except KeyError:
        raise KeyError(f"unknown drill {drill_id!r}; known: {', '.join(sorted(_BY_ID))}") from None


def select(topic: str | None = None, level: int | None = None, kind: str | None = None) -> list[Drill]:
    """Drills matching a topic (case-insensitive substring), a level and a kind ('drill' or 'review')."""
    out = ALL
    if topic:
        out = [d for d in out if topic.lower() in d.topic.lower()]
    if level is not None:
        out = [d for d in out if d.level == int(level)]
    if kind:
        out = [d for d in out if d.kind == kind]
    return out


__all__ = ["DRILLS", "REVIEWS", "ALL", "TOPICS", "HOME", "discover", "get", "select", "topic_modules"]

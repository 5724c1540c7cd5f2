"""Interview drills: 26 checked problems with SQL twins (DuckDB), 8 code reviews and a timed drill mode.

Usage in a notebook::

    from pharma_kit.drills import pick, get
    drill = pick(topic="window", level=2, seed=7)   # shows an unseen problem and starts the clock
    drill.check(my_function); drill.hint(1); drill.solution(); drill.check_sql("SELECT ...")

From a terminal: ``pharma-kit drill`` (or ``python -m pharma_kit.drills``); see ``--help``.
"""
from __future__ import annotations

from pharma_kit.drills.bank import ALL, DRILLS, REVIEWS, TOPICS, get, select
from pharma_kit.drills.mode import DrillSession, pick, progress_path, summary
from pharma_kit.drills.model import Drill

__all__ = ["ALL", "DRILLS", "REVIEWS", "TOPICS", "Drill", "DrillSession", "get", "pick", "progress_path", "select",
           "summary"]

"""Sessionization drill: number each user's sessions after a gap of inactivity.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, int_ids, minute_grid, question, ts
from pharma_kit.drills.model import Drill

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 70


# === sessionize ======================================================================================================

def events_frame(user_id, event_id, ts_values) -> pd.DataFrame:
    return pd.DataFrame({"user_id": pd.Series(user_id, dtype="int64"), "event_id": pd.Series(event_id, dtype="int64"),
                         "ts": ts(ts_values)})


def example_sessions() -> Case:
    return {"events": events_frame([1, 1, 1, 2], [1, 2, 3, 4], ["2025-03-01 09:00", "2025-03-01 09:20",
                                                                "2025-03-01 10:30", "2025-03-01 09:05"]),
            "gap_minutes": 30}


def cases_sessions(rng: np.random.Generator) -> list[Case]:
    exact = events_frame([1, 1, 1, 2, 2], [5, 4, 3, 2, 1], ["2025-03-01 09:00", "2025-03-01 09:30", "2025-03-01 09:30",
                                                            "2025-03-01 09:35", "2025-03-01 10:10"])
    empty = events_frame([], [], [])
    # gaps of 2 days 10 minutes and of exactly 1 day: .dt.seconds sees 10 minutes and 0 seconds
    days = events_frame([3, 3, 3, 3], [1, 2, 3, 4], ["2025-03-01 09:00", "2025-03-03 09:10", "2025-03-04 09:10",
                                                    "2025-03-04 09:20"])
    n = 50
    rand = events_frame(int_ids(rng, n, 4), rng.permutation(n) + 1, list(minute_grid(rng, n, 1, 10)))
    return [{"events": example_sessions()["events"], "gap_minutes": 30}, {"events": exact, "gap_minutes": 30},
            {"events": empty, "gap_minutes": 30}, {"events": days, "gap_minutes": 30}, {"events": rand, "gap_minutes": 30},
            {"events": rand, "gap_minutes": 45}]


def sessionize(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Number each user's sessions from 1: a new session starts after more than ``gap_minutes`` of inactivity."""
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e.groupby("user_id")["ts"].diff()
    new = gap.isna() | (gap > pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


def sessions_inclusive_gap(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e.groupby("user_id")["ts"].diff()
    new = gap.isna() | (gap >= pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


def sessions_dt_seconds(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e.groupby("user_id")["ts"].diff()
    new = gap.isna() | (gap.dt.seconds > gap_minutes * 60)     # .dt.seconds is the seconds PART: days are lost
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


def sessions_global_diff(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    gap = e["ts"].diff()
    new = gap.isna() | (gap > pd.Timedelta(minutes=gap_minutes))
    e["session_id"] = new.astype("int64").groupby(e["user_id"]).cumsum()
    return e


SESSIONIZE_SQL = """
WITH e AS (
    SELECT *, LAG(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) AS prev_ts FROM events
)
SELECT user_id, event_id, ts,
       SUM(CASE WHEN prev_ts IS NULL OR ts - prev_ts > to_minutes($gap_minutes) THEN 1 ELSE 0 END)
           OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS session_id
FROM e
ORDER BY user_id, ts, event_id
"""


def sessionize_loop(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Right answer: one pass over the sorted events, comparing each gap in seconds."""
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    ids, prev_user, prev_ts, n = [], None, None, 0
    for u, t in zip(e["user_id"], e["ts"]):
        if u != prev_user:
            n = 1
        elif (t - prev_ts).total_seconds() > gap_minutes * 60:
            n += 1
        ids.append(n)
        prev_user, prev_ts = u, t
    e["session_id"] = pd.Series(ids, dtype="int64")
    return e


def sessionize_numpy(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Right answer: NumPy differences on the sorted arrays, then a per-user cumulative sum."""
    e = events.sort_values(["user_id", "ts", "event_id"], ignore_index=True)
    u, t = e["user_id"].to_numpy(), e["ts"].to_numpy()
    new = np.ones(len(e), dtype="int64")
    new[1:] = (u[1:] != u[:-1]) | ((t[1:] - t[:-1]) > np.timedelta64(gap_minutes * 60, "s"))
    e["session_id"] = pd.Series(new).groupby(u).cumsum().to_numpy()
    return e


SESSIONIZE = Drill(
    id="sessionize", title="Sessionization with 30 minutes of inactivity", topic="sessionization", level=2,
    question=question("sessionize",
                      "`events` has user_id, event_id, ts (duplicate timestamps happen). Sort by user_id, ts, event_id "
                      "and add session_id, numbered from 1 per user: a new session starts at a user's first event and "
                      "whenever the gap since the user's previous event is MORE than gap_minutes (exactly gap_minutes "
                      "stays in the session). Return the sorted frame with a fresh index.",
                      sessionize, cases_sessions,
                      ["diff() of ts within each user gives the gaps.",
                       "New-session flag = first event OR gap > threshold; cumsum the flag per user.",
                       "Strictly greater: a 30-minute gap is still the same session."],
                      {">= splits sessions at exactly the threshold": sessions_inclusive_gap,
                       "gap.dt.seconds drops whole days of the gap": sessions_dt_seconds,
                       "diff across users (no groupby): a user's first event looks at the previous user":
                           sessions_global_diff},
                      right={"a loop comparing total_seconds()": sessionize_loop,
                             "NumPy diffs and a per-user cumsum": sessionize_numpy}),
    example=example_sessions,
    sql=SESSIONIZE_SQL,
    complexity="O(N log N) sort, then O(N) diff and cumsum. SQL: LAG + running SUM of new-session flags.",
    listens_for=["The flag-then-cumsum pattern (same as gaps and islands).",
                 "Boundary semantics (> vs >=) stated, and a deterministic order for equal timestamps.",
                 "Partitioning by user so windows never leak across users."])

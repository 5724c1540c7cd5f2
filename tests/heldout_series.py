"""A held-out family of daily sales series for lesson 03's anomaly detector (issue 16).

Written independently of ``pharma_kit.data`` and ``pharma_kit.events`` (it imports neither, nor any
``pharma_kit`` module) and with other shapes than the course's generator, so that a detector whose defaults
were chosen on the course's data can be scored on series it has never seen:

- a different week: busy Mondays (x1.35), quiet Sundays (x0.55), Saturday below the weekday level;
- a different year: a summer peak (a Gaussian bump in July) instead of a winter one, plus a 12 %/year trend;
- a x1.3 level shift (a new store format, say) on a random day in the middle of the series: not an anomaly;
- multiplicative (log-normal) noise, so the day-to-day spread grows with the level;
- the stores are shut every 25 December (sales 0.0): a known closure, not an anomaly;
- planted events, the positives: one-day ``spike`` s (x1.6-2.4), one-day ``drop`` s (x0.30-0.55) and
  multi-day ``outage`` s (2-4 days at x0.0-0.25);
- a feed gap: 4-7 days with no data (NaN), neither an anomaly nor a zero.

The parameters below were fixed before the detector was run on this family and are not to be tuned
against it. ``tests/test_detector_heldout.py`` scores the detector on seeds 0-5; lesson 03 loads this file to
show the same score next to the in-sample one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HELDOUT_SEEDS = tuple(range(6))
EVENT_KINDS = ("spike", "drop", "outage")
N_DAYS = 913                       # about 2.5 years
FIRST_DAY = "2021-11-01"           # so that three 25 Decembers fall inside
LEVEL = 20_000.0
WEEK = np.array([1.35, 1.05, 1.00, 1.00, 1.10, 0.85, 0.55])  # Monday .. Sunday
NOISE_SIGMA = 0.05                 # log-normal, multiplicative
PLAN = (("spike", 8), ("drop", 8), ("outage", 3))
EDGE = 28                          # no planted event within this many days of either end


@dataclass
class HeldoutSeries:
    """One series with its truth: ``sales`` (NaN on feed-gap days), ``events`` (date, kind), ``closures``."""

    sales: pd.Series
    events: pd.DataFrame
    closures: pd.DatetimeIndex
    gap_days: pd.DatetimeIndex
    shift_day: pd.Timestamp

    def truth(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.events["date"].unique()).sort_values()


def make_series(seed: int) -> HeldoutSeries:
    """The held-out series of ``seed``: shapes, level shift, noise, closures, events and a feed gap."""
    rng = np.random.default_rng([seed, 1616])
    dates = pd.date_range(FIRST_DAY, periods=N_DAYS, freq="D", name="date")
    t = np.arange(N_DAYS) / 365.25
    doy = dates.day_of_year.to_numpy()
    summer = 1.0 + 0.30 * np.exp(-0.5 * ((doy - 196) / 28.0) ** 2)
    shift_at = int(rng.integers(int(0.35 * N_DAYS), int(0.65 * N_DAYS)))
    shift = np.where(np.arange(N_DAYS) >= shift_at, 1.3, 1.0)
    mean = LEVEL * WEEK[dates.day_of_week.to_numpy()] * summer * (1.0 + 0.12 * t) * shift
    y = mean * np.exp(rng.normal(0.0, NOISE_SIGMA, N_DAYS))

    closed = (dates.month == 12) & (dates.day == 25)
    busy = closed.copy()                          # days an event may not touch (with a margin)
    for i in np.flatnonzero(closed):
        busy[max(0, i - 2):i + 3] = True
    busy[max(0, shift_at - 2):shift_at + 2] = True

    rows = []
    for kind, count in PLAN:
        for _ in range(count):
            length = int(rng.integers(2, 5)) if kind == "outage" else 1
            ok = [i for i in range(EDGE, N_DAYS - EDGE - length) if not busy[max(0, i - 5):i + length + 5].any()]
            first = int(rng.choice(ok))
            if kind == "spike":
                factor = rng.uniform(1.6, 2.4)
            elif kind == "drop":
                factor = rng.uniform(0.30, 0.55)
            else:
                factor = rng.uniform(0.0, 0.25)
            y[first:first + length] *= factor
            busy[first:first + length] = True
            rows += [(dates[i], kind) for i in range(first, first + length)]

    # the feed gap: no data, away from events and closures
    gap_len = int(rng.integers(4, 8))
    ok = [i for i in range(EDGE, N_DAYS - EDGE - gap_len) if not busy[max(0, i - 3):i + gap_len + 3].any()]
    g0 = int(rng.choice(ok))
    y[closed] = 0.0
    y = np.round(y, 2)
    y[g0:g0 + gap_len] = np.nan
    events = pd.DataFrame(rows, columns=["date", "kind"]).sort_values("date", ignore_index=True)
    return HeldoutSeries(pd.Series(y, index=dates, name="sales"), events, dates[closed], dates[g0:g0 + gap_len],
                         dates[shift_at])


def score(flags: pd.Series, series: HeldoutSeries) -> pd.DataFrame:
    """Counts per event kind (tp, fn) plus false alarms, for one series: plain set arithmetic, no pharma_kit."""
    flagged = set(flags.index[flags.to_numpy(dtype=bool)])
    truth = series.events
    out = {}
    for kind in EVENT_KINDS:
        days = set(truth.loc[truth["kind"] == kind, "date"])
        out[kind] = {"tp": len(days & flagged), "fn": len(days - flagged), "fp": 0}
    fp = flagged - set(truth["date"])
    out["false alarm"] = {"tp": 0, "fn": 0, "fp": len(fp)}
    return pd.DataFrame(out).T


def pooled(table: pd.DataFrame) -> dict[str, float]:
    """Pooled precision and recall from a table of tp, fn, fp counts."""
    tp, fn, fp = (int(table[c].sum()) for c in ("tp", "fn", "fp"))
    return {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0}

"""Plant known events in Larkspur's sales and report exactly where they went: ground truth for anomaly detection.

Two kinds of event, handled two ways:

- **Chain-wide sales events** (``promotion``, ``holiday_spike``, ``outage``) scale the expected volume of
  whole days. They go through the generator's own ``day_multipliers`` parameter, so the generator draws
  the extra (or missing) orders itself. These are the anomalies a detector should find.
- **Store gaps** (``closed``, ``feed_missing``) make one store's data *absent* for some days. The
  generator has no per-store switch, so :func:`generate_with_events` post-processes its frame: it removes
  that store's rows on those days and returns them in ``removed`` with the reason, so every generated
  row is kept or accounted for. A gap is "no data", not "no sales": the time-series code turns it into
  ``NaN``, never into a zero, and it is not an anomaly to flag.

Everything is seeded and dated from ``as_of``; nothing reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pharma_kit.data import AS_OF, DAYS_OF_HISTORY, DefectRates, generate

#: Chain-wide kinds (multiply the day's expected volume) and store-level kinds (remove a store's rows).
SALES_EVENT_KINDS: tuple[str, ...] = ("promotion", "holiday_spike", "outage")
GAP_KINDS: tuple[str, ...] = ("closed", "feed_missing")
_EDGE_START, _EDGE_END = 56, 21  # days kept free of planted sales events at each end of the history


@dataclass(frozen=True)
class PlantedEvent:
    """One planted event: ``days`` consecutive days from ``start``; ``store_id`` set only for store gaps."""

    kind: str
    start: pd.Timestamp
    days: int = 1
    factor: float = 1.0
    store_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SALES_EVENT_KINDS + GAP_KINDS:
            raise ValueError(f"PlantedEvent.kind must be one of {SALES_EVENT_KINDS + GAP_KINDS}, got {self.kind!r}")
        if not isinstance(self.days, (int, np.integer)) or self.days < 1:
            raise ValueError(f"PlantedEvent.days must be a positive integer, got {self.days!r}")
        if self.kind in SALES_EVENT_KINDS:
            if self.store_id is not None:
                raise ValueError(f"a {self.kind!r} event is chain-wide: store_id must be None")
            if not self.factor > 0:
                raise ValueError(f"PlantedEvent.factor must be > 0 for {self.kind!r}, got {self.factor!r}")
        elif self.store_id is None:
            raise ValueError(f"a {self.kind!r} gap needs a store_id")
        object.__setattr__(self, "start", pd.Timestamp(self.start).normalize())

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The calendar days the event covers."""
        return pd.date_range(self.start, periods=self.days, freq="D")


@dataclass
class PlantedData:
    """What :func:`generate_with_events` returns: the feed plus the ground truth of what was planted."""

    transactions: pd.DataFrame
    events: pd.DataFrame  # one row per planted event: kind, start, end (inclusive), days, factor, store_id
    removed: pd.DataFrame  # transaction_id, store_id, order_date, reason: rows taken out by store gaps
    stores: pd.DataFrame
    start: pd.Timestamp  # first day of history (inclusive)
    as_of: pd.Timestamp  # the day after the last day of history (exclusive end)
    generated_rows: int

    def anomaly_days(self) -> pd.DatetimeIndex:
        """Days of chain-wide sales events: the positives a detector is scored against."""
        return anomaly_days(self.events)

    def gaps(self) -> pd.DataFrame:
        """Store gaps (``closed`` / ``feed_missing``): days with no data, as store_id, start, end, kind."""
        g = self.events[self.events["kind"].isin(GAP_KINDS)]
        return g[["store_id", "start", "end", "kind"]].reset_index(drop=True)


def default_events(as_of: pd.Timestamp | str = AS_OF, days: int = DAYS_OF_HISTORY, seed: int = 0,
                   n_stores: int = 25) -> list[PlantedEvent]:
    """The lesson's default plan: promotions, holiday spikes, outages and a few store gaps, well apart.

    Holiday spikes sit on the two days before each 25 December in range (a fixed calendar rule); promotions
    and outages are placed at seeded random days at least 10 days apart, 8 weeks after the start of the
    history (a trailing detector needs that much baseline) and 3 weeks before its end (where a decomposition
    is least reliable).
    """
    as_of = pd.Timestamp(as_of).normalize()
    start = as_of - pd.Timedelta(days=days)
    rng = np.random.default_rng([seed, 3])
    events: list[PlantedEvent] = []
    taken = np.zeros(days, dtype=bool)

    def block(first: int, length: int, margin: int = 10) -> None:
        taken[max(0, first - margin):first + length + margin] = True

    for year in range(start.year, as_of.year + 1):
        eve = pd.Timestamp(year=year, month=12, day=23)
        first = (eve - start).days
        if _EDGE_START <= first and first + 2 <= days - _EDGE_END:
            events.append(PlantedEvent("holiday_spike", eve, days=2, factor=1.9))
            block(first, 2)

    plan = [("promotion", 3, 1.8)] * 4 + [("promotion", 2, 1.7)] * 2 + [("outage", 1, 0.3)] * 3
    for kind, length, factor in plan:
        free = np.flatnonzero(~taken[_EDGE_START:days - _EDGE_END - length]) + _EDGE_START
        free = free[[not taken[f:f + length].any() for f in free]]
        if len(free) == 0:
            raise ValueError(f"default_events: no room for another {length}-day event in {days} days")
        first = int(rng.choice(free))
        events.append(PlantedEvent(kind, start + pd.Timedelta(days=first), days=length, factor=factor))
        block(first, length)

    # store gaps: two closures (refit) and two missing feeds, on different stores
    gap_stores = rng.choice(np.arange(1, n_stores + 1), size=min(4, n_stores), replace=False)
    for i, sid in enumerate(gap_stores):
        kind = "closed" if i < 2 else "feed_missing"
        length = 6 if kind == "closed" else 3
        first = int(rng.integers(0, days - length))
        events.append(PlantedEvent(kind, start + pd.Timedelta(days=first), days=length, store_id=int(sid)))
    return sorted(events, key=lambda e: (e.start, e.kind, e.store_id or 0))


def events_frame(events: list[PlantedEvent]) -> pd.DataFrame:
    """Events as a table (one row each, sorted by start): kind, start, end (inclusive), days, factor, store_id."""
    rows = sorted(events, key=lambda e: (e.start, e.kind, e.store_id or 0))
    return pd.DataFrame({
        "kind": pd.Series([e.kind for e in rows], dtype="str"),
        "start": pd.Series([e.start for e in rows], dtype="datetime64[us]"),
        "end": pd.Series([e.start + pd.Timedelta(days=e.days - 1) for e in rows], dtype="datetime64[us]"),
        "days": pd.Series([int(e.days) for e in rows], dtype="int64"),
        "factor": pd.Series([float(e.factor) if e.kind in SALES_EVENT_KINDS else np.nan for e in rows],
                            dtype="float64"),
        "store_id": pd.Series([e.store_id for e in rows], dtype="Int64"),
    })


def day_multipliers(events: list[PlantedEvent]) -> pd.Series:
    """Date -> volume factor for the chain-wide events (overlapping events multiply); the generator's input."""
    parts = [pd.Series(e.factor, index=e.dates) for e in events if e.kind in SALES_EVENT_KINDS]
    if not parts:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"), name="factor")
    s = pd.concat(parts)
    out = s.groupby(level=0).prod()
    out.index.name = "date"
    return out.rename("factor")


def anomaly_days(events: pd.DataFrame | list[PlantedEvent]) -> pd.DatetimeIndex:
    """Sorted, unique days covered by chain-wide sales events (store gaps are not anomalies)."""
    frame = events if isinstance(events, pd.DataFrame) else events_frame(events)
    sales = frame[frame["kind"].isin(SALES_EVENT_KINDS)]
    days = [pd.date_range(s, e, freq="D") for s, e in zip(sales["start"], sales["end"])]
    if not days:
        return pd.DatetimeIndex([], dtype="datetime64[us]", name="date")
    idx = days[0].append(days[1:]) if len(days) > 1 else days[0]
    return pd.DatetimeIndex(idx.unique().sort_values(), name="date").as_unit("us")


def apply_store_gaps(transactions: pd.DataFrame, events: list[PlantedEvent]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove each gapped store's rows on its gap days; return (kept rows, removed rows with their reason).

    This is the post-processing that stands in for a per-store switch the generator does not have.
    """
    day = transactions["order_date"].dt.normalize()
    reason = pd.Series(pd.NA, index=transactions.index, dtype="str")
    for e in events:
        if e.kind not in GAP_KINDS:
            continue
        hit = (transactions["store_id"] == e.store_id) & (day >= e.start) & (day < e.start + pd.Timedelta(days=e.days))
        reason = reason.mask(hit & reason.isna(), e.kind)
    gone = reason.notna()
    removed = transactions.loc[gone, ["transaction_id", "store_id", "order_date"]].copy()
    removed["reason"] = reason[gone].astype("str")
    return transactions.loc[~gone].reset_index(drop=True), removed.reset_index(drop=True)


def generate_with_events(n_rows: int = 200_000, seed: int = 0, events: list[PlantedEvent] | None = None, *,
                         as_of: pd.Timestamp | str = AS_OF, days: int = DAYS_OF_HISTORY,
                         n_stores: int = 25, **kwargs) -> PlantedData:
    """Clean, typed transactions with ``events`` planted (``None`` = :func:`default_events`) and the truth about them."""
    as_of = pd.Timestamp(as_of).normalize()
    if events is None:
        events = default_events(as_of, days, seed, n_stores=n_stores)
    for e in events:
        if e.store_id is not None and not 1 <= e.store_id <= n_stores:
            raise ValueError(f"event {e.kind!r} on {e.start.date()}: store_id {e.store_id} is not in 1..{n_stores}")
    ds = generate(n_rows, seed, as_of=as_of, rates=DefectRates.none(), days=days, n_stores=n_stores,
                  day_multipliers=day_multipliers(events), **kwargs)
    kept, removed = apply_store_gaps(ds.transactions, events)
    return PlantedData(kept, events_frame(events), removed, ds.stores, as_of - pd.Timedelta(days=days), as_of,
                       len(ds.transactions))


def score_flags(flags: pd.Series, truth_days: pd.DatetimeIndex) -> dict[str, float]:
    """Day-level precision and recall of boolean ``flags`` (indexed by day) against the planted days.

    Only days present in ``flags`` count: a planted day outside the scored range is neither hit nor missed.
    Precision of no flags is 1.0 by convention (nothing claimed, nothing wrong); recall with no positives is 1.0.
    """
    if not pd.api.types.is_bool_dtype(flags.dtype):
        raise TypeError(f"score_flags: flags must be boolean, got dtype {flags.dtype}")
    truth = pd.Series(flags.index.isin(truth_days), index=flags.index)
    tp = int((flags & truth).sum())
    fp = int((flags & ~truth).sum())
    fn = int((~flags & truth).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall}


__all__ = [
    "GAP_KINDS", "SALES_EVENT_KINDS", "PlantedData", "PlantedEvent", "anomaly_days", "apply_store_gaps",
    "day_multipliers", "default_events", "events_frame", "generate_with_events", "score_flags",
]

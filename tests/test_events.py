"""Planted events: the generator gets them through day_multipliers, store gaps by post-processing, truth reported."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharma_kit import events as ev
from pharma_kit import timeseries as ts
from pharma_kit.data import AS_OF, DAYS_OF_HISTORY, clean_transactions


@pytest.fixture(scope="module")
def planted() -> ev.PlantedData:
    return ev.generate_with_events(200_000, 0)


def test_default_events_are_deterministic_apart_and_inside_the_history():
    a, b = ev.default_events(seed=0), ev.default_events(seed=0)
    assert a == b
    assert ev.default_events(seed=1) != a
    start = AS_OF - pd.Timedelta(days=DAYS_OF_HISTORY)
    sales = [e for e in a if e.kind in ev.SALES_EVENT_KINDS]
    kinds = pd.Series([e.kind for e in a]).value_counts().to_dict()
    assert kinds == {"promotion": 6, "outage": 3, "holiday_spike": 2, "closed": 2, "feed_missing": 2}
    # holiday spikes sit on the two days before Christmas
    assert sorted(e.start.strftime("%m-%d") for e in a if e.kind == "holiday_spike") == ["12-23", "12-23"]
    days = np.concatenate([(e.dates - start).days.to_numpy() for e in sales])
    assert days.min() >= 56 and days.max() < DAYS_OF_HISTORY - 21
    # at least 10 clear days between any two chain-wide events
    spans = sorted((int((e.start - start).days), int((e.start - start).days) + e.days - 1) for e in sales)
    assert all(nxt[0] - prev[1] > 10 for prev, nxt in zip(spans, spans[1:]))


def test_planted_event_validation():
    with pytest.raises(ValueError, match="kind"):
        ev.PlantedEvent("flash_sale", "2024-01-01")
    with pytest.raises(ValueError, match="store_id"):
        ev.PlantedEvent("closed", "2024-01-01", days=2)
    with pytest.raises(ValueError, match="chain-wide"):
        ev.PlantedEvent("promotion", "2024-01-01", factor=1.5, store_id=3)
    with pytest.raises(ValueError, match="factor"):
        ev.PlantedEvent("outage", "2024-01-01", factor=0.0)
    with pytest.raises(ValueError, match="days"):
        ev.PlantedEvent("promotion", "2024-01-01", days=0, factor=2.0)
    with pytest.raises(ValueError, match="not in 1..25"):
        ev.generate_with_events(1_000, 0, [ev.PlantedEvent("closed", "2024-01-01", store_id=99)])


def test_day_multipliers_multiply_overlaps_and_skip_store_gaps():
    events = [
        ev.PlantedEvent("promotion", "2024-03-01", days=3, factor=2.0),
        ev.PlantedEvent("outage", "2024-03-02", factor=0.5),
        ev.PlantedEvent("closed", "2024-03-01", days=5, store_id=4),
    ]
    m = ev.day_multipliers(events)
    assert m.to_dict() == {pd.Timestamp("2024-03-01"): 2.0, pd.Timestamp("2024-03-02"): 1.0,
                           pd.Timestamp("2024-03-03"): 2.0}
    assert ev.day_multipliers([]).empty
    assert list(ev.anomaly_days(events).strftime("%m-%d")) == ["03-01", "03-02", "03-03"]


def test_no_events_gives_exactly_the_plain_generator():
    plain = clean_transactions(20_000, 3)
    got = ev.generate_with_events(20_000, 3, events=[])
    pd.testing.assert_frame_equal(got.transactions, plain)
    assert got.removed.empty and got.events.empty


def test_every_generated_row_is_kept_or_accounted_for(planted):
    assert len(planted.transactions) + len(planted.removed) == planted.generated_rows == 200_000
    assert set(planted.removed["reason"]) == {"closed", "feed_missing"}
    assert not planted.removed["transaction_id"].isin(planted.transactions["transaction_id"]).any()
    day = planted.transactions["order_date"].dt.normalize()
    for g in planted.gaps().itertuples():
        in_gap = (planted.transactions["store_id"] == g.store_id) & day.between(g.start, g.end)
        assert not in_gap.any(), f"store {g.store_id} still has rows in its {g.kind} gap"
        r = planted.removed[planted.removed["store_id"] == g.store_id]
        assert r["order_date"].dt.normalize().between(g.start, g.end).all() and len(r) > 0


def test_planted_events_move_the_sales_by_about_their_factor(planted):
    daily = ts.daily_sales(planted.transactions, planted.start, planted.as_of)
    # compare each event day with the same weekday one and two weeks either side (no event there: 10-day spacing)
    ratios = {}
    for e in planted.events.itertuples():
        if e.kind not in ev.SALES_EVENT_KINDS:
            continue
        for d in pd.date_range(e.start, e.end):
            ref = daily.reindex([d + pd.Timedelta(weeks=w) for w in (-2, -1, 1, 2)]).mean()
            ratios.setdefault(e.kind, []).append(daily[d] / ref)
    assert np.mean(ratios["promotion"]) > 1.5
    assert np.mean(ratios["holiday_spike"]) > 1.5
    assert np.mean(ratios["outage"]) < 0.45
    assert len(planted.anomaly_days()) == 23


def test_events_frame_and_gaps_table(planted):
    f = planted.events
    assert list(f.columns) == ["kind", "start", "end", "days", "factor", "store_id"]
    assert (f["end"] - f["start"]).dt.days.add(1).eq(f["days"]).all()
    assert f["start"].is_monotonic_increasing
    assert f.loc[f["kind"].isin(ev.GAP_KINDS), "factor"].isna().all()
    assert f.loc[f["kind"].isin(ev.SALES_EVENT_KINDS), "store_id"].isna().all()
    assert list(planted.gaps().columns) == ["store_id", "start", "end", "kind"]


def test_score_flags_counts():
    idx = pd.date_range("2024-01-01", periods=6, name="date")
    flags = pd.Series([True, True, False, False, True, False], index=idx)
    truth = pd.DatetimeIndex(["2024-01-01", "2024-01-03", "2024-01-05", "2023-12-01"])  # last one out of range
    s = ev.score_flags(flags, truth)
    assert (s["tp"], s["fp"], s["fn"]) == (2, 1, 1)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    none = ev.score_flags(pd.Series(False, index=idx), pd.DatetimeIndex([]))
    assert none["precision"] == 1.0 and none["recall"] == 1.0
    with pytest.raises(TypeError, match="boolean"):
        ev.score_flags(pd.Series(1.0, index=idx), truth)

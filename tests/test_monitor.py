"""performance_monitor: exact figures with injected clocks, the block's own peak memory, one log record."""
from __future__ import annotations

import logging
import tracemalloc
from datetime import datetime, timedelta

import numpy as np
import pytest

from pharma_kit.monitor import MIB, Measurement, is_stale, performance_monitor


def ticking(*values: float):
    it = iter(values)
    return lambda: next(it)


def test_figures_from_injected_clocks(caplog):
    with caplog.at_level(logging.INFO, logger="pharma_kit.monitor"):
        with performance_monitor("rfm", clock=ticking(10.0, 12.5), cpu_clock=ticking(1.0, 2.25), rss=lambda: 64 * MIB,
                                 track_memory=False, rows_in=1000) as m:
            pass
    assert (m.wall_s, m.cpu_s, m.rss_mib, m.peak_mib, m.ok) == (2.5, 1.25, 64.0, None, True)
    (rec,) = caplog.records
    assert rec.getMessage() == "rfm done: wall=2.500s cpu=1.250s peak=n/a"
    assert (rec.task, rec.wall_s, rec.cpu_s, rec.rows_in, rec.ok) == ("rfm", 2.5, 1.25, 1000, True)


def test_peak_memory_sees_a_temporary_array_freed_inside_the_block():
    with performance_monitor("alloc", rss=None) as m:
        big = np.ones(4 * MIB // 8)  # 4 MiB, freed before the block ends
        del big
    assert 3.9 <= m.peak_mib <= 5.0
    assert m.rss_mib is None
    assert not tracemalloc.is_tracing()  # the monitor stopped what it started


def test_peak_is_the_blocks_own_not_what_was_already_allocated():
    keep = np.ones(8 * MIB // 8)  # allocated before; tracing starts later, so it is not counted
    with performance_monitor("small", rss=None) as m:
        x = np.ones(MIB // 8)
        del x
    assert 0.9 <= m.peak_mib <= 2.0
    del keep


def test_nested_blocks_each_get_their_peak_and_outer_includes_inner():
    with performance_monitor("outer", rss=None) as outer:
        a = np.ones(2 * MIB // 8)
        with performance_monitor("inner", rss=None) as inner:
            b = np.ones(6 * MIB // 8)
            del b
        del a
    assert 5.9 <= inner.peak_mib <= 7.0
    assert 7.9 <= outer.peak_mib <= 9.0  # 2 MiB held + 6 MiB inside inner
    assert not tracemalloc.is_tracing()


def test_external_tracing_is_left_running():
    tracemalloc.start()
    try:
        with performance_monitor("x", rss=None) as m:
            y = np.ones(MIB // 8)
            del y
        assert tracemalloc.is_tracing()
        assert m.peak_mib >= 0.9
    finally:
        tracemalloc.stop()


def test_failure_is_logged_at_error_and_reraised(caplog):
    with caplog.at_level(logging.INFO, logger="pharma_kit.monitor"), pytest.raises(ZeroDivisionError):
        with performance_monitor("load", track_memory=False, rss=None) as m:
            1 / 0
    assert m.ok is False
    (rec,) = caplog.records
    assert rec.levelname == "ERROR" and "load failed" in rec.getMessage()


def test_decorator_measures_each_call_into_the_sink():
    results: list[Measurement] = []
    log = logging.getLogger("test.monitor.sink")

    @performance_monitor("square", sink=results.append, track_memory=False, rss=None, logger=log, kind="demo")
    def square(x):
        return x * x

    assert [square(3), square(4)] == [9, 16]
    assert [m.name for m in results] == ["square", "square"]
    assert results[0] is not results[1]
    assert all(m.wall_s >= 0 and m.cpu_s >= 0 for m in results)
    row = results[0].as_row()
    assert row["kind"] == "demo" and "fields" not in row and row["name"] == "square"


def test_real_clocks_and_rss_are_sane():
    with performance_monitor("spin") as m:
        sum(i * i for i in range(20_000))
    assert m.wall_s > 0 and m.cpu_s >= 0 and m.rss_mib > 1 and m.peak_mib >= 0


def test_same_monitor_cannot_nest_itself():
    mon = performance_monitor("once", track_memory=False, rss=None)
    with mon:
        with pytest.raises(RuntimeError, match="already running"):
            mon.__enter__()
    with mon as again:  # sequential reuse is fine
        pass
    assert again.ok


@pytest.mark.parametrize("age, stale", [(timedelta(hours=25), True), (timedelta(hours=24), False),
                                        (timedelta(0), False), (timedelta(hours=23, minutes=59), False)])
def test_is_stale_boundary(age, stale):
    now = datetime(2025, 6, 30, 6, 0)
    assert is_stale(now - age, timedelta(hours=24), now) is stale


def test_is_stale_rejects_negative_max_age():
    with pytest.raises(ValueError):
        is_stale(datetime(2025, 6, 30), timedelta(hours=-1), datetime(2025, 6, 30))

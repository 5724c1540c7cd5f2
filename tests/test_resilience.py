"""Retry decorator and error translation: exact backoff sequences with injected sleep/clock/rng, no real waiting."""
from __future__ import annotations

import logging
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharma_kit.errors import ConfigError, DataQualityError, InputFileError, PipelineError, TransientError
from pharma_kit.resilience import backoff_delay, backoff_schedule, retry, translate_errors


class Flaky:
    """Raises the given exceptions in order, then returns "ok"; counts calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_exact_backoff_sequence_without_jitter(sleeps):
    flaky = Flaky(TransientError("a"), TransientError("b"), TransientError("c"))
    fn = retry(attempts=4, base_delay=0.5, max_delay=30, jitter=0.0, sleep=sleeps.append)(flaky)
    assert fn() == "ok"
    assert flaky.calls == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped_by_max_delay(sleeps):
    flaky = Flaky(*[TransientError(str(i)) for i in range(6)])
    fn = retry(attempts=7, base_delay=1, max_delay=5, jitter=0.0, sleep=sleeps.append)(flaky)
    assert fn() == "ok"
    assert sleeps == [1, 2, 4, 5, 5, 5]


def test_jitter_uses_injected_rng_and_only_shortens(sleeps):
    draws = iter([0.0, 0.5, 1.0 - 1e-12])
    flaky = Flaky(TransientError("a"), TransientError("b"), TransientError("c"))
    fn = retry(attempts=4, base_delay=2, max_delay=30, jitter=0.5, sleep=sleeps.append, rng=lambda: next(draws))(flaky)
    assert fn() == "ok"
    assert sleeps == pytest.approx([2.0, 4.0 * 0.75, 8.0 * 0.5])


@pytest.mark.parametrize("error", [DataQualityError("negative amounts"), ConfigError("bad key"),
                                   InputFileError("sales.csv: empty"), ValueError("not declared")])
def test_non_transient_errors_fail_fast(error, sleeps):
    flaky = Flaky(error)
    fn = retry(attempts=5, sleep=sleeps.append)(flaky)
    with pytest.raises(type(error)):
        fn()
    assert flaky.calls == 1
    assert sleeps == []


def test_data_quality_is_never_retried_even_with_broad_on(sleeps):
    flaky = Flaky(DataQualityError("bad rows"))
    fn = retry(on=Exception, attempts=5, sleep=sleeps.append)(flaky)
    with pytest.raises(DataQualityError):
        fn()
    assert flaky.calls == 1


def test_gives_up_after_attempts_and_reraises_original(sleeps):
    original = TransientError("connection reset")
    flaky = Flaky(*[original] * 10)
    fn = retry(attempts=3, base_delay=0.1, jitter=0.0, sleep=sleeps.append)(flaky)
    with pytest.raises(TransientError) as info:
        fn()
    assert info.value is original
    assert flaky.calls == 3
    assert sleeps == [0.1, 0.2]
    assert any("gave up" in note and "3 attempts" in note for note in info.value.__notes__)


def test_note_names_the_function(sleeps):
    @retry(attempts=2, base_delay=0, jitter=0.0, sleep=sleeps.append)
    def load_sales():
        raise TransientError("timeout")

    with pytest.raises(TransientError) as info:
        load_sales()
    assert "load_sales" in info.value.__notes__[-1]
    assert load_sales.__name__ == "load_sales"  # functools.wraps kept the name


def test_deadline_stops_before_a_wait_would_overrun(sleeps):
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    flaky = Flaky(*[TransientError("busy")] * 10)
    fn = retry(attempts=10, base_delay=1, max_delay=100, jitter=0.0, deadline=6.5, sleep=fake_sleep,
               clock=lambda: now[0])(flaky)
    with pytest.raises(TransientError) as info:
        fn()
    # waits 1, 2 (t=3); the next wait of 4 would end at 7 > 6.5
    assert sleeps == [1, 2]
    assert flaky.calls == 3
    assert "deadline" in info.value.__notes__[-1]


def test_each_attempt_is_logged_with_its_cause(caplog, sleeps):
    flaky = Flaky(TransientError("socket closed"), TransientError("socket closed"))
    fn = retry(attempts=3, base_delay=0.25, jitter=0.0, sleep=sleeps.append)(flaky)
    with caplog.at_level(logging.WARNING, logger="pharma_kit.resilience"):
        fn()
    records = [r for r in caplog.records if r.name == "pharma_kit.resilience"]
    assert [r.attempt for r in records] == [1, 2]
    assert all("TransientError: socket closed" in r.getMessage() for r in records)
    assert [r.delay_s for r in records] == [0.25, 0.5]
    assert {r.task for r in records} == {"Flaky"}


def test_give_up_is_logged_at_error_to_the_given_logger(caplog, sleeps):
    log = logging.getLogger("test.retry.custom")
    fn = retry(attempts=2, base_delay=0, jitter=0.0, sleep=sleeps.append, logger=log)(Flaky(*[TransientError("x")] * 3))
    with caplog.at_level(logging.WARNING, logger="test.retry.custom"), pytest.raises(TransientError):
        fn()
    levels = [r.levelname for r in caplog.records if r.name == "test.retry.custom"]
    assert levels == ["WARNING", "ERROR"]


def test_passes_arguments_and_return_value(sleeps):
    @retry(attempts=2, sleep=sleeps.append)
    def add(a, b=0):
        return a + b

    assert add(2, b=3) == 5
    assert sleeps == []


def test_custom_on_tuple(sleeps):
    flaky = Flaky(ConnectionError("reset"), TimeoutError("slow"))
    fn = retry(on=(ConnectionError, TimeoutError), attempts=3, base_delay=1, jitter=0.0, sleep=sleeps.append)(flaky)
    assert fn() == "ok"
    assert sleeps == [1, 2]


@pytest.mark.parametrize("kwargs, message", [
    ({"attempts": 0}, "attempts"),
    ({"attempts": 2.5}, "attempts"),
    ({"attempts": True}, "attempts"),
    ({"base_delay": -1}, "delays"),
    ({"factor": 0.5}, "factor"),
    ({"jitter": 1.5}, "jitter"),
    ({"deadline": 0}, "deadline"),
])
def test_bad_settings_rejected_at_decoration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        retry(**kwargs)


def test_bare_decorator_is_a_clear_type_error():
    with pytest.raises(TypeError, match="must be called"):
        @retry
        def f():  # pragma: no cover - never called
            return 1


@pytest.mark.parametrize("on", [(), "TransientError", (TransientError, 3)])
def test_bad_on_rejected(on):
    with pytest.raises(TypeError, match="exception class"):
        retry(on=on)


def test_backoff_delay_rejects_retry_zero_and_survives_huge_exponents():
    with pytest.raises(ValueError):
        backoff_delay(0)
    assert backoff_delay(10_000, base_delay=1, max_delay=60, factor=3.0) == 60  # float overflow
    assert backoff_delay(10_000, base_delay=1, max_delay=60, factor=3) == 60  # huge int
    assert backoff_delay(3, base_delay=0, max_delay=60) == 0


def test_backoff_schedule_length_and_values():
    assert backoff_schedule(1) == []
    assert backoff_schedule(5, base_delay=1, max_delay=4, jitter=0.0) == [1, 2, 4, 4]
    assert backoff_schedule(3, base_delay=1, jitter=1.0, rng=lambda: 0.5) == [0.5, 1.0]


# --- properties of the schedule: monotone without jitter, always bounded ------------------------------------

settings = dict(
    attempts=st.integers(1, 40),
    base_delay=st.floats(0, 100, allow_nan=False),
    max_delay=st.floats(0, 1000, allow_nan=False),
    factor=st.floats(1, 10, allow_nan=False),
)


@given(**settings)
def test_schedule_without_jitter_is_monotone_and_capped(attempts, base_delay, max_delay, factor):
    waits = backoff_schedule(attempts, base_delay=base_delay, max_delay=max_delay, factor=factor, jitter=0.0)
    assert len(waits) == attempts - 1
    assert all(a <= b for a, b in zip(waits, waits[1:]))
    assert all(0 <= w <= max_delay for w in waits)


@given(**settings, jitter=st.floats(0, 1), u=st.floats(0, 1, exclude_max=True))
def test_jittered_wait_is_within_its_band(attempts, base_delay, max_delay, factor, jitter, u):
    for k in range(1, attempts):
        cap = backoff_delay(k, base_delay=base_delay, max_delay=max_delay, factor=factor)
        w = backoff_delay(k, base_delay=base_delay, max_delay=max_delay, factor=factor, jitter=jitter, u=u)
        assert cap * (1 - jitter) - 1e-9 <= w <= cap <= max_delay


# --- translate_errors: wrap with `from`, never double-wrap -----------------------------------------------------

def test_translate_keeps_the_cause_and_its_traceback():
    def parse():
        int("twelve")

    with pytest.raises(PipelineError) as info:
        with translate_errors("parsing store_id"):
            parse()
    err = info.value
    assert type(err) is PipelineError
    assert isinstance(err.__cause__, ValueError)
    assert "parsing store_id: ValueError" in str(err)
    text = "".join(traceback.format_exception(err))
    assert "The above exception was the direct cause" in text
    assert "in parse" in text  # the original frame survives


def test_translate_maps_transient_builtins_to_transient_error():
    with pytest.raises(TransientError) as info:
        with translate_errors("connecting"):
            raise ConnectionResetError("peer reset")
    assert isinstance(info.value.__cause__, ConnectionResetError)


def test_translate_passes_pipeline_errors_through_unchanged():
    original = DataQualityError("12 negative amounts")
    with pytest.raises(DataQualityError) as info:
        with translate_errors("validating"):
            raise original
    assert info.value is original


def test_translate_then_retry_works_together(sleeps):
    calls = []

    @retry(attempts=3, base_delay=1, jitter=0.0, sleep=sleeps.append)
    def fetch():
        calls.append(1)
        with translate_errors("fetching"):
            if len(calls) < 3:
                raise TimeoutError("read timed out")
        return "rows"

    assert fetch() == "rows"
    assert sleeps == [1, 2]

"""Logging setup: no import side effects, idempotent, structured fields in text and JSON, rotating file."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from pharma_kit.logs import (
    JsonFormatter,
    KeyValueFormatter,
    bind,
    extra_fields,
    log_fields,
    reset_logging,
    setup_logging,
)

NAME = "pharma_kit_test_logs"  # a private logger so the real "pharma_kit" logger is untouched


@pytest.fixture
def stream():
    buf = io.StringIO()
    yield buf
    reset_logging(NAME)


def test_import_has_no_side_effects():
    code = ("import logging; before = (list(logging.root.handlers), logging.getLogger('pharma_kit').handlers[:]);"
            "import pharma_kit.logs, pharma_kit.resilience, pharma_kit.monitor, pharma_kit.config;"
            "after = (list(logging.root.handlers), logging.getLogger('pharma_kit').handlers[:]);"
            "assert before == after == ([], []), after; print('clean')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "clean"


def test_calling_twice_adds_no_duplicate_handlers(stream):
    setup_logging(name=NAME, stream=stream, timestamps=False)
    log = setup_logging(name=NAME, stream=stream, timestamps=False)
    assert len(log.handlers) == 1
    logging.getLogger(f"{NAME}.child").info("hello")
    assert stream.getvalue() == f"INFO {NAME}.child: hello\n"


def test_foreign_handlers_are_left_alone(stream):
    log = logging.getLogger(NAME)
    foreign = logging.NullHandler()
    log.addHandler(foreign)
    try:
        setup_logging(name=NAME, stream=stream)
        setup_logging(name=NAME, stream=stream)
        assert log.handlers.count(foreign) == 1 and len(log.handlers) == 2
        reset_logging(NAME)
        assert log.handlers == [foreign]
    finally:
        log.removeHandler(foreign)


def test_structured_fields_in_text_sorted(stream):
    setup_logging(name=NAME, stream=stream, timestamps=False)
    log = bind(logging.getLogger(f"{NAME}.pipeline"), run_date="2025-06-30", task="load")
    log.info("loaded %s", "sales", extra={"rows_in": 1000, "rows_out": 987})
    assert stream.getvalue() == (f"INFO {NAME}.pipeline: loaded sales | rows_in=1000 rows_out=987 "
                                 "run_date=2025-06-30 task=load\n")


def test_level_filters_and_string_or_int_level(stream):
    setup_logging("warning", name=NAME, stream=stream, timestamps=False)
    log = logging.getLogger(NAME)
    log.info("hidden")
    log.warning("shown")
    assert stream.getvalue() == f"WARNING {NAME}: shown\n"
    setup_logging(logging.DEBUG, name=NAME, stream=stream, timestamps=False)
    assert log.level == logging.DEBUG


def test_timestamps_on_by_default(stream):
    setup_logging(name=NAME, stream=stream)
    logging.getLogger(NAME).info("x")
    line = stream.getvalue()
    assert line[:4].isdigit() and line.rstrip().endswith(f"INFO {NAME}: x")


def test_bind_merges_and_call_extra_wins():
    base = bind(logging.getLogger(NAME), task="load", run_date="2025-06-30")
    more = bind(base, task="transform")
    assert more.extra == {"task": "transform", "run_date": "2025-06-30"}
    adapter = logging.LoggerAdapter(logging.getLogger(NAME), {"a": 1})
    assert bind(adapter, b=2).logger is logging.getLogger(NAME)
    msg, kwargs = base.process("m", {"extra": {"task": "override"}})
    assert kwargs["extra"] == {"task": "override", "run_date": "2025-06-30"}


def test_rotating_json_file(tmp_path, stream):
    path = tmp_path / "logs" / "pipeline.jsonl"
    setup_logging(name=NAME, console=False, log_file=path, json_lines=True, timestamps=False, max_bytes=300,
                  backup_count=2)
    log = bind(logging.getLogger(NAME), task="quality")
    for i in range(20):
        log.info("checked", extra={"rows_in": i})
    reset_logging(NAME)  # closes the file
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["pipeline.jsonl", "pipeline.jsonl.1", "pipeline.jsonl.2"]  # rotated, capped at 2 backups
    last = [json.loads(line) for line in path.read_text().splitlines()][-1]
    assert last == {"level": "INFO", "logger": NAME, "message": "checked", "rows_in": 19, "task": "quality"}


def test_text_file_and_console_together(tmp_path, stream):
    path = tmp_path / "p.log"
    setup_logging(name=NAME, stream=stream, log_file=path, timestamps=False)
    logging.getLogger(NAME).warning("disk %d%% full", 91)
    reset_logging(NAME)
    assert path.read_text() == stream.getvalue() == f"WARNING {NAME}: disk 91% full\n"


def test_file_in_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup_logging(name=NAME, console=False, log_file="here.log", timestamps=False)
    logging.getLogger(NAME).info("x")
    reset_logging(NAME)
    assert (tmp_path / "here.log").read_text() == f"INFO {NAME}: x\n"


def test_json_formatter_with_timestamp_and_exception():
    try:
        raise ValueError("bad amount")
    except ValueError:
        record = logging.getLogger(NAME).makeRecord(NAME, logging.ERROR, "f", 1, "failed", (), sys.exc_info(),
                                                    extra={"run_date": __import__("datetime").date(2025, 6, 30)})
    out = json.loads(JsonFormatter().format(record))
    assert out["ts"].endswith("+00:00") and out["run_date"] == "2025-06-30"
    assert "ValueError: bad amount" in out["exc"]


def test_text_formatter_keeps_traceback_below_fields():
    try:
        raise KeyError("store_id")
    except KeyError:
        record = logging.getLogger(NAME).makeRecord(NAME, logging.ERROR, "f", 1, "oops", (), sys.exc_info(),
                                                    extra={"task": "load"})
    text = KeyValueFormatter(timestamps=False).format(record)
    first, rest = text.split("\n", 1)
    assert first == f"ERROR {NAME}: oops | task=load"
    assert rest.startswith("Traceback")


def test_propagate_default_off_and_restored(stream):
    log = logging.getLogger(NAME)
    assert log.propagate is True
    setup_logging(name=NAME, stream=stream)
    assert log.propagate is False
    setup_logging(name=NAME, stream=stream, propagate=True)
    assert log.propagate is True
    reset_logging(NAME)
    assert log.propagate is True and log.level == logging.NOTSET and log.handlers == []


def test_log_fields_and_extra_fields(caplog):
    with caplog.at_level(logging.INFO, logger=NAME):
        log_fields(logging.getLogger(NAME), "figures", {"rows_out": 5, "task": "t"})
    (rec,) = caplog.records
    assert extra_fields(rec) == {"rows_out": 5, "task": "t"}


"""Logging set up once, on purpose: console + rotating file, optional JSON lines, structured extra fields.

Importing this module changes nothing. ``setup_logging`` configures one named logger (``"pharma_kit"`` by
default, so every ``logging.getLogger(__name__)`` in the package inherits it) and replaces, rather than
adds to, the handlers it installed before: calling it twice never doubles a line. Extra fields
(``run_date``, ``task``, ``rows_in``, ``rows_out`` ...) ride on each record via ``extra=`` or :func:`bind`
and come out as ``key=value`` in text or as keys in JSON::

    log = bind(logging.getLogger("pharma_kit.pipeline"), run_date="2025-06-30", task="load")
    log.info("loaded", extra={"rows_in": 1000, "rows_out": 987})
    # INFO pharma_kit.pipeline: loaded | rows_in=1000 rows_out=987 run_date=2025-06-30 task=load

``timestamps=False`` drops the clock from every line: what a notebook or a golden-file test wants.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
from datetime import datetime, timezone
from typing import IO, Any, Mapping, MutableMapping

#: LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", (), None))) | {"message", "asctime"}
_MARK = "_pharma_kit_handler"
_SAVED_PROPAGATE = "_pharma_kit_saved_propagate"


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record carries beyond the standard ones, sorted by name."""
    return {k: v for k, v in sorted(vars(record).items()) if k not in _STANDARD and not k.startswith("_")}


class KeyValueFormatter(logging.Formatter):
    """Human-readable line, then the extra fields as ``key=value`` in a stable (sorted) order."""

    def __init__(self, timestamps: bool = True) -> None:
        fmt = "%(levelname)s %(name)s: %(message)s"
        super().__init__(f"%(asctime)s {fmt}" if timestamps else fmt)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = extra_fields(record)
        if fields:
            kv = " ".join(f"{k}={v}" for k, v in fields.items())
            head, sep, tail = line.partition("\n")  # keep a traceback below the fields
            line = f"{head} | {kv}{sep}{tail}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, optional), ``level``, ``logger``, ``message``, extras, ``exc``."""

    def __init__(self, timestamps: bool = True) -> None:
        super().__init__()
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {}
        if self.timestamps:
            out["ts"] = datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")
        out.update(level=record.levelname, logger=record.name, message=record.getMessage())
        out.update(extra_fields(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class ContextAdapter(logging.LoggerAdapter):
    """A LoggerAdapter that *merges* its bound fields with a call's ``extra=`` (the call wins)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def bind(logger: logging.Logger | logging.LoggerAdapter, **fields: Any) -> ContextAdapter:
    """A logger that adds ``fields`` (run_date, task, ...) to every record; binding again adds more."""
    if isinstance(logger, ContextAdapter):
        return ContextAdapter(logger.logger, {**(logger.extra or {}), **fields})
    if isinstance(logger, logging.LoggerAdapter):
        logger = logger.logger
    return ContextAdapter(logger, fields)


def _remove_ours(log: logging.Logger) -> None:
    for h in list(log.handlers):
        if getattr(h, _MARK, False):
            log.removeHandler(h)
            h.close()


def setup_logging(level: int | str = "INFO", *, name: str = "pharma_kit", console: bool = True,
                  stream: IO[str] | None = None, log_file: str | os.PathLike[str] | None = None,
                  json_lines: bool = False, max_bytes: int = 5_000_000, backup_count: int = 3,
                  timestamps: bool = True, propagate: bool = False) -> logging.Logger:
    """Configure logger ``name``: console (text) and/or a rotating ``log_file`` (text, or JSON lines). Idempotent.

    Handlers from an earlier call are closed and replaced, never duplicated. ``propagate=False`` (default)
    keeps records from also reaching the root logger's handlers (no double lines under a host that
    configured root); pass ``True`` when a host such as pytest's ``caplog`` or Airflow must see them too.
    """
    log = logging.getLogger(name)
    _remove_ours(log)
    if not hasattr(log, _SAVED_PROPAGATE):
        setattr(log, _SAVED_PROPAGATE, log.propagate)
    log.setLevel(level.upper() if isinstance(level, str) else level)
    log.propagate = propagate
    handlers: list[logging.Handler] = []
    if console:
        h: logging.Handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
        h.setFormatter(KeyValueFormatter(timestamps))
        handlers.append(h)
    if log_file is not None:
        path = os.fspath(log_file)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        h = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backup_count,
                                                 encoding="utf-8", delay=True)
        h.setFormatter(JsonFormatter(timestamps) if json_lines else KeyValueFormatter(timestamps))
        handlers.append(h)
    for h in handlers:
        setattr(h, _MARK, True)
        log.addHandler(h)
    return log


def reset_logging(name: str = "pharma_kit") -> None:
    """Undo :func:`setup_logging`: close and remove its handlers, restore ``propagate`` and the level."""
    log = logging.getLogger(name)
    _remove_ours(log)
    if hasattr(log, _SAVED_PROPAGATE):
        log.propagate = getattr(log, _SAVED_PROPAGATE)
        delattr(log, _SAVED_PROPAGATE)
    log.setLevel(logging.NOTSET)


def log_fields(logger: logging.Logger | logging.LoggerAdapter, message: str, fields: Mapping[str, Any],
               level: int = logging.INFO) -> None:
    """Log ``message`` with ``fields`` as structured extras (a convenience for dict-shaped figures)."""
    logger.log(level, message, extra=dict(fields))


__all__ = [
    "ContextAdapter",
    "JsonFormatter",
    "KeyValueFormatter",
    "bind",
    "extra_fields",
    "log_fields",
    "reset_logging",
    "setup_logging",
]

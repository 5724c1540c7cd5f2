"""The exception hierarchy every module raises from: one root, and a clear line between retryable and not.

``TransientError`` is the only branch a retry should ever catch; a ``DataQualityError`` means the data
is wrong, and retrying will not make it right.
"""
from __future__ import annotations


class PipelineError(Exception):
    """Root of every error pharma_kit raises on purpose."""


class DataQualityError(PipelineError):
    """The data broke a rule. Not retryable: the same input fails the same way."""


class ConfigError(PipelineError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""


class InputFileError(PipelineError, ValueError):
    """An input file is missing, empty or malformed; the message names the file, column and line."""


class TransientError(PipelineError):
    """A failure that may succeed on retry (a dropped connection, a locked file, a timeout)."""


__all__ = ["PipelineError", "DataQualityError", "ConfigError", "InputFileError", "TransientError"]

"""Typed pipeline configuration: defaults < YAML file < ``PHARMA_KIT_*`` environment variables, validated up front.

Every problem is reported at once, each naming its key and where the value came from: an unknown key
(with a "did you mean"), a wrong type, a missing required value, an out-of-range value, or a secret
found in a file. Secrets come from the environment only and print as ``********``::

    cfg = load_config("datasets/config/pipeline.example.yaml", env=os.environ)
    engine = create_engine(cfg.warehouse_dsn())          # the only place the password appears

Environment names: ``PHARMA_KIT_`` + the key in upper case, ``__`` for a nested key
(``PHARMA_KIT_CHUNK_SIZE=50000``, ``PHARMA_KIT_RETRY__ATTEMPTS=6``). ``PHARMA_KIT_CONFIG`` names the file.
An unknown ``PHARMA_KIT_*`` name is a problem (a typo must not be ignored) unless listed in :data:`OTHER_ENV`.
Environment values are text and are parsed by the field's type; YAML values must already have the right type
(``true`` is not an int, ``"10"`` is not a number). Relative paths are taken as given (relative to the
working directory).
"""
from __future__ import annotations

import difflib
import math
import os
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Mapping
import yaml
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from pharma_kit.errors import ConfigError

ENV_PREFIX = "PHARMA_KIT_"
#: The environment variable naming the YAML file; not itself a setting.
CONFIG_PATH_ENV = "PHARMA_KIT_CONFIG"
#: PHARMA_KIT_* names that other parts of the kit read (not settings). Any other unknown PHARMA_KIT_* name is
#: reported as a problem, so a typo such as PHARMA_KIT_CHUNKSIZE fails loudly instead of being ignored.
OTHER_ENV = frozenset({CONFIG_PATH_ENV, "PHARMA_KIT_HOME", "PHARMA_KIT_WAREHOUSE_URL_PG", "PHARMA_KIT_REQUIRE_PG",
                       "PHARMA_KIT_WAREHOUSE_URL_MYSQL", "PHARMA_KIT_REQUIRE_MYSQL", "PHARMA_KIT_DASK_SCHEDULER",
                       "PHARMA_KIT_RECORD", "PHARMA_KIT_REQUIRE_BROWSER"})
MASK = "********"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Secret:
    """A string that never prints: ``repr``/``str`` show a mask; call ``.get()`` where the value is really needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = str(value)

    def get(self) -> str:
        """The real value; use it at the point of use, never in a log line."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Problem:
    """One configuration problem: the dotted key, its kind and a message naming key and source."""

    key: str
    kind: str  # "unknown" | "missing" | "type" | "range" | "secret"
    message: str


def _setting(default: Any = MISSING, **meta: Any) -> Any:
    """A dataclass field with validation metadata (``min``, ``max``, ``gt``, ``choices``, ``env_only``, ``help``)."""
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RetrySettings:
    """How ``pharma_kit.resilience.retry`` backs off; pass ``**cfg.retry.as_kwargs()``."""

    attempts: int = _setting(4, min=1, max=20, help="total tries, including the first")
    base_delay: float = _setting(0.5, min=0.0, max=600.0, help="seconds before the first retry")
    max_delay: float = _setting(30.0, min=0.0, max=3600.0, help="cap on any single wait, seconds")
    jitter: float = _setting(0.1, min=0.0, max=1.0, help="largest random share taken off a wait")
    deadline: float | None = _setting(None, gt=0.0, max=86_400.0, help="give up after this many seconds")

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``retry(...)``."""
        return {"attempts": self.attempts, "base_delay": self.base_delay, "max_delay": self.max_delay,
                "jitter": self.jitter, "deadline": self.deadline}

    def _cross_problems(self, prefix: str) -> list[Problem]:
        if self.max_delay < self.base_delay:
            return [Problem(f"{prefix}max_delay", "range",
                            f"{prefix}max_delay: {self.max_delay} is below {prefix}base_delay {self.base_delay}")]
        return []


@dataclass(frozen=True)
class PipelineConfig:
    """Everything the Larkspur pipeline reads from its environment, typed and validated."""

    warehouse_url: str = _setting(help="SQLAlchemy URL without the password, e.g. postgresql+psycopg://etl@db/dw")
    warehouse_password: Secret | None = _setting(None, env_only=True, help="PHARMA_KIT_WAREHOUSE_PASSWORD")
    data_dir: Path = _setting(Path("data"), help="where raw extracts land")
    chunk_size: int = _setting(100_000, min=1, max=50_000_000, help="rows per chunk")
    max_reject_rate: float = _setting(0.05, min=0.0, max=1.0, help="share of rows quality may reject")
    retry: RetrySettings = field(default_factory=RetrySettings)
    log_level: str = _setting("INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
    log_file: Path | None = _setting(None, help="rotating log file; none = console only")
    json_logs: bool = _setting(False, help="write the log file as JSON lines")

    def warehouse_dsn(self) -> str:
        """The full connection URL with the password put back in: hand it to the engine, never to a logger.

        Built with SQLAlchemy's URL object, so a password with ``@``, ``:`` or ``/`` is escaped correctly.
        """
        if self.warehouse_password is None:
            return self.warehouse_url
        url = parse_url(self.warehouse_url, "warehouse_url")
        if url.username is None:
            raise ConfigError("warehouse_password is set but warehouse_url names no user to attach it to")
        return url.set(password=self.warehouse_password.get()).render_as_string(hide_password=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for printing or logging; secrets stay masked."""
        return _as_dict(self)


def _as_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if is_dataclass(v):
            out[f.name] = _as_dict(v)
        elif isinstance(v, Secret):
            out[f.name] = MASK
        elif isinstance(v, Path):
            out[f.name] = str(v)
        else:
            out[f.name] = v
    return out


# --- the generic validator ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Value:
    value: Any
    source: str  # "pipeline.yaml" or "env PHARMA_KIT_X"
    text: bool   # True when it came from the environment and still needs parsing


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


def _leaf_keys(cls: type, prefix: str = "") -> dict[str, tuple[Any, Any, type]]:
    """Dotted key -> (type hint, dataclass field, owner class) for every leaf setting."""
    out: dict[str, tuple[Any, Any, type]] = {}
    hints = _hints(cls)
    for f in fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and is_dataclass(tp):
            out.update(_leaf_keys(tp, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = (tp, f, cls)
    return out


def env_name(key: str) -> str:
    """The environment variable that overrides dotted ``key``."""
    return ENV_PREFIX + key.upper().replace(".", "__")


def _unknown(key: str, source: str, known: list[str]) -> Problem:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return Problem(key, "unknown", f"{key}: unknown setting (from {source}){hint}")


def _flatten(raw: Any, cls: type, source: str, prefix: str, out: dict[str, _Value], problems: list[Problem]) -> None:
    if not isinstance(raw, Mapping):
        where = prefix[:-1] if prefix else "the configuration"
        problems.append(Problem(prefix[:-1] or "<root>", "type",
                                f"{where}: expected a mapping of key: value (from {source}), got {type(raw).__name__}"))
        return
    hints = _hints(cls)
    names = {f.name for f in fields(cls)}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            problems.append(_unknown(dotted, source, [f"{prefix}{n}" for n in names]))
            continue
        tp = hints[key]
        if isinstance(tp, type) and is_dataclass(tp):
            _flatten({} if value is None else value, tp, source, dotted + ".", out, problems)
        else:
            out[dotted] = _Value(value, source, text=False)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(key: str, tp: Any, v: _Value) -> tuple[Any, Problem | None]:
    """Parse/check one value against its type hint; returns (value, problem)."""
    base, optional = _unwrap_optional(tp)
    value = v.value
    if v.text and isinstance(value, str) and optional and value.strip().lower() in {"", "none", "null"}:
        return None, None
    if value is None:
        if optional:
            return None, None
        return None, Problem(key, "type", f"{key}: expected {_type_name(base)}, got null (from {v.source})")
    bad = Problem(key, "type", f"{key}: expected {_type_name(base)}, got {type(value).__name__} {value!r} "
                               f"(from {v.source})")
    if v.text:
        text = str(value).strip()
        try:
            if base is bool:
                if text.lower() in _TRUE:
                    return True, None
                if text.lower() in _FALSE:
                    return False, None
                return None, bad
            if base is int:
                return int(text), None
            if base is float:
                return float(text), None
        except ValueError:
            return None, bad
        if base is Path:
            return Path(text), None
        if base is Secret:
            return Secret(str(value)), None
        return str(value), None
    # values from a file must already have the right type; bool is not an int here
    if base is bool:
        return (value, None) if isinstance(value, bool) else (None, bad)
    if base is int:
        return (value, None) if isinstance(value, int) and not isinstance(value, bool) else (None, bad)
    if base is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (float(value), None) if ok else (None, bad)
    if base is Path:
        return (Path(value), None) if isinstance(value, str) else (None, bad)
    if base is Secret:
        return (Secret(value), None) if isinstance(value, str) else (None, bad)
    return (value, None) if isinstance(value, str) else (None, bad)


def parse_url(text: str, key: str = "warehouse_url") -> URL:
    """Parse a database URL with SQLAlchemy's ``make_url``; ConfigError (value not shown) when it cannot be.

    A URL whose host still contains ``@`` had an unescaped ``@`` in its password: that is ambiguous, so refused.
    """
    try:
        url = make_url(text)
    except sa_exc.ArgumentError:
        raise ConfigError(f"{key}: not a valid database URL (value not shown)") from None
    except ValueError:
        raise ConfigError(f"{key}: the URL's port is not a number (value not shown)") from None
    if url.host and "@" in url.host:
        raise ConfigError(f"{key}: the URL is ambiguous: its password contains '@' (write it as %40, or better, "
                          f"set {env_name('warehouse_password')})")
    return url


def _check_range(key: str, value: Any, meta: Mapping[str, Any], source: str) -> Problem | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):  # NaN compares False with every bound
        return Problem(key, "range", f"{key}: {value!r} is not a finite number (from {source})")
    if "choices" in meta and value not in meta["choices"]:
        return Problem(key, "range", f"{key}: {value!r} is not one of {list(meta['choices'])} (from {source})")
    if "min" in meta and value < meta["min"]:
        return Problem(key, "range", f"{key}: {value!r} is below the minimum {meta['min']} (from {source})")
    if "gt" in meta and value <= meta["gt"]:
        return Problem(key, "range", f"{key}: {value!r} must be greater than {meta['gt']} (from {source})")
    if "max" in meta and value > meta["max"]:
        return Problem(key, "range", f"{key}: {value!r} is above the maximum {meta['max']} (from {source})")
    return None


def _build(cls: type, values: dict[str, Any], prefix: str = "") -> Any:
    hints = _hints(cls)
    kwargs = {}
    for f in fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and is_dataclass(tp):
            kwargs[f.name] = _build(tp, values, f"{prefix}{f.name}.")
        elif f"{prefix}{f.name}" in values:
            kwargs[f.name] = values[f"{prefix}{f.name}"]
    return cls(**kwargs)


def _cross(obj: Any, prefix: str = "") -> list[Problem]:
    out: list[Problem] = []
    hook = getattr(obj, "_cross_problems", None)
    if hook is not None:
        out.extend(hook(prefix))
    for f in fields(obj):
        v = getattr(obj, f.name)
        if is_dataclass(v):
            out.extend(_cross(v, f"{prefix}{f.name}."))
    return out


def _split_url_password(key: str, v: _Value) -> tuple[_Value, str | None, Problem | None]:
    """Take a password out of a URL: an error in a file, moved into the secret when from the environment."""
    if not isinstance(v.value, str):
        return v, None, None
    try:
        url = parse_url(v.value, key)
    except ConfigError as exc:
        return v, None, Problem(key, "type", f"{exc} (from {v.source})")
    if not url.password:
        return v, None, None
    if not v.text:
        return v, None, Problem(key, "secret", f"{key}: the URL in {v.source} contains a password; remove it and "
                                               f"set {env_name('warehouse_password')} in the environment")
    bare = URL.create(url.drivername, username=url.username, host=url.host, port=url.port, database=url.database,
                      query=url.query).render_as_string(hide_password=False)
    return _Value(bare, v.source, True), str(url.password), None


def collect(raw: Mapping[str, Any] | None, env: Mapping[str, str] | None = None, cls: type = PipelineConfig,
            source: str = "<dict>") -> tuple[Any | None, list[Problem]]:
    """Merge ``raw`` (a parsed file) and ``env`` over ``cls``'s defaults; return (config or None, every problem)."""
    problems: list[Problem] = []
    merged: dict[str, _Value] = {}
    _flatten({} if raw is None else raw, cls, source, "", merged, problems)
    leaves = _leaf_keys(cls)
    for name in sorted((env or {}).keys()):
        if not name.startswith(ENV_PREFIX) or name in OTHER_ENV:
            continue
        key = name[len(ENV_PREFIX):].lower().replace("__", ".")
        if key not in leaves:
            close = difflib.get_close_matches(key, list(leaves), n=1)
            hint = f"; did you mean {env_name(close[0])}?" if close else ""
            problems.append(Problem(name, "unknown", f"{name}: unknown setting in the environment{hint}"))
            continue
        merged[key] = _Value(env[name], f"env {name}", text=True)  # type: ignore[index]

    values: dict[str, Any] = {}
    url_password: str | None = None
    for key, (tp, f, _owner) in leaves.items():
        meta = f.metadata
        if key not in merged:
            if f.default is MISSING and f.default_factory is MISSING:
                problems.append(Problem(key, "missing", f"{key}: required; set it in the YAML file or {env_name(key)}"))
            continue
        v = merged[key]
        if meta.get("env_only") and not v.text:
            problems.append(Problem(key, "secret", f"{key}: secrets are read from the environment only "
                                                   f"({env_name(key)}), never from {v.source}"))
            continue
        if key == "warehouse_url":
            v, pw, problem = _split_url_password(key, v)
            if problem:
                problems.append(problem)
                continue
            url_password = pw
        value, problem = _convert(key, tp, v)
        if problem is None:
            problem = _check_range(key, value, meta, v.source)
        if problem:
            problems.append(problem)
        else:
            values[key] = value
    if url_password is not None and "warehouse_password" in leaves:
        if "warehouse_password" in values and values["warehouse_password"].get() != url_password:
            problems.append(Problem("warehouse_password", "secret", "warehouse_password: the environment gives two "
                                    "different passwords (in the URL and in PHARMA_KIT_WAREHOUSE_PASSWORD)"))
        else:
            values["warehouse_password"] = Secret(url_password)
    if problems:
        return None, problems
    obj = _build(cls, values)
    problems.extend(_cross(obj))
    return (None, problems) if problems else (obj, [])


def config_problems(raw: Mapping[str, Any] | None, cls: type = PipelineConfig,
                    env: Mapping[str, str] | None = None, source: str = "<dict>") -> list[Problem]:
    """Every problem with ``raw`` (and ``env``) for settings class ``cls``; empty when valid."""
    return collect(raw, env, cls, source)[1]


def _raise(problems: list[Problem]) -> None:
    lines = "\n".join(f"  - {p.message}" for p in problems)
    err = ConfigError(f"invalid configuration ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}")
    err.problems = problems  # type: ignore[attr-defined]
    raise err


def parse_config(raw: Mapping[str, Any] | None, env: Mapping[str, str] | None = None, cls: type = PipelineConfig,
                 source: str = "<dict>") -> Any:
    """Build a validated ``cls`` from a parsed mapping plus environment overrides, or raise one ConfigError."""
    obj, problems = collect(raw, env, cls, source)
    if problems:
        _raise(problems)
    return obj


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> PipelineConfig:
    """Load the pipeline configuration: ``path`` (or ``$PHARMA_KIT_CONFIG``, or none) then ``PHARMA_KIT_*`` overrides.

    ``env`` defaults to ``os.environ``; pass a dict in tests.
    """
    env = os.environ if env is None else env
    if path is None:
        path = env.get(CONFIG_PATH_ENV) or None
    raw: Any = None
    source = "<defaults>"
    if path is not None:
        p = Path(path)
        source = p.name
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"configuration file not found: {p}") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    return parse_config(raw, env, PipelineConfig, source)


__all__ = [
    "CONFIG_PATH_ENV",
    "ENV_PREFIX",
    "OTHER_ENV",
    "PipelineConfig",
    "Problem",
    "RetrySettings",
    "Secret",
    "collect",
    "config_problems",
    "env_name",
    "load_config",
    "parse_config",
    "parse_url",
]

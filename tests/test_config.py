"""Typed config: YAML + env overrides, every problem named by key, secrets from the environment only, never printed."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pharma_kit.config import (
    MASK,
    PipelineConfig,
    RetrySettings,
    Secret,
    config_problems,
    env_name,
    load_config,
    parse_config,
)
from pharma_kit.errors import ConfigError, PipelineError

EXAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "config" / "pipeline.example.yaml"
URL = "postgresql+psycopg://etl@db.example:5432/dw"


def kinds(raw, env=None, cls=PipelineConfig):
    return sorted((p.key, p.kind) for p in config_problems(raw, cls, env=env))


@pytest.fixture
def yaml_file(tmp_path):
    def write(text: str) -> Path:
        p = tmp_path / "pipeline.yaml"
        p.write_text(text, encoding="utf-8")
        return p
    return write


def test_example_file_loads_with_expected_values():
    cfg = load_config(EXAMPLE, env={})
    assert cfg.warehouse_url.startswith("postgresql+psycopg://larkspur_etl@")
    assert cfg.chunk_size == 100_000
    assert cfg.retry == RetrySettings(attempts=4, base_delay=0.5, max_delay=30.0, jitter=0.1, deadline=300.0)
    assert cfg.warehouse_password is None
    assert cfg.data_dir == Path("data/raw")
    assert cfg.log_file is None and cfg.json_logs is False


def test_defaults_apply_when_only_required_given():
    cfg = parse_config({"warehouse_url": URL})
    assert cfg == PipelineConfig(warehouse_url=URL)
    assert cfg.retry.as_kwargs() == {"attempts": 4, "base_delay": 0.5, "max_delay": 30.0, "jitter": 0.1,
                                     "deadline": None}


def test_env_overrides_file_and_is_parsed_by_type(yaml_file):
    p = yaml_file(f"warehouse_url: {URL}\nchunk_size: 10\njson_logs: false\n")
    env = {"PHARMA_KIT_CHUNK_SIZE": " 2500 ", "PHARMA_KIT_RETRY__ATTEMPTS": "7", "PHARMA_KIT_JSON_LOGS": "yes",
           "PHARMA_KIT_RETRY__DEADLINE": "12.5", "PHARMA_KIT_LOG_FILE": "logs/p.log", "OTHER_VAR": "ignored"}
    cfg = load_config(p, env=env)
    assert (cfg.chunk_size, cfg.retry.attempts, cfg.json_logs) == (2500, 7, True)
    assert cfg.retry.deadline == 12.5
    assert cfg.log_file == Path("logs/p.log")


def test_config_path_from_environment(yaml_file):
    p = yaml_file(f"warehouse_url: {URL}\nchunk_size: 99\n")
    cfg = load_config(env={"PHARMA_KIT_CONFIG": str(p)})
    assert cfg.chunk_size == 99


def test_env_none_string_clears_an_optional():
    cfg = parse_config({"warehouse_url": URL, "retry": {"deadline": 60}}, env={"PHARMA_KIT_RETRY__DEADLINE": "none"})
    assert cfg.retry.deadline is None


@pytest.mark.parametrize("raw, env, expected", [
    ({"warehouse_url": URL, "chunk_sise": 5}, None, [("chunk_sise", "unknown")]),
    ({"warehouse_url": URL, "retry": {"atempts": 5}}, None, [("retry.atempts", "unknown")]),
    ({"warehouse_url": URL}, {"PHARMA_KIT_CHUNKSIZE": "5"}, [("PHARMA_KIT_CHUNKSIZE", "unknown")]),
    ({}, None, [("warehouse_url", "missing")]),
    ({"warehouse_url": URL, "chunk_size": "100"}, None, [("chunk_size", "type")]),
    ({"warehouse_url": URL, "chunk_size": True}, None, [("chunk_size", "type")]),
    ({"warehouse_url": URL, "chunk_size": 2.0}, None, [("chunk_size", "type")]),
    ({"warehouse_url": URL, "json_logs": "true"}, None, [("json_logs", "type")]),
    ({"warehouse_url": URL, "max_reject_rate": False}, None, [("max_reject_rate", "type")]),
    ({"warehouse_url": 5}, None, [("warehouse_url", "type")]),
    ({"warehouse_url": URL, "data_dir": 3}, None, [("data_dir", "type")]),
    ({"warehouse_url": URL, "chunk_size": None}, None, [("chunk_size", "type")]),
    ({"warehouse_url": URL, "retry": 3}, None, [("retry", "type")]),
    ({"warehouse_url": URL}, {"PHARMA_KIT_CHUNK_SIZE": "lots"}, [("chunk_size", "type")]),
    ({"warehouse_url": URL}, {"PHARMA_KIT_JSON_LOGS": "maybe"}, [("json_logs", "type")]),
    ({"warehouse_url": URL}, {"PHARMA_KIT_MAX_REJECT_RATE": "five%"}, [("max_reject_rate", "type")]),
    ({"warehouse_url": URL, "chunk_size": 0}, None, [("chunk_size", "range")]),
    ({"warehouse_url": URL, "max_reject_rate": 1.5}, None, [("max_reject_rate", "range")]),
    ({"warehouse_url": URL, "retry": {"deadline": 0}}, None, [("retry.deadline", "range")]),
    ({"warehouse_url": URL, "log_level": "LOUD"}, None, [("log_level", "range")]),
    ({"warehouse_url": URL, "retry": {"base_delay": 10, "max_delay": 1}}, None, [("retry.max_delay", "range")]),
    ({"warehouse_url": URL, "warehouse_password": "hunter2"}, None, [("warehouse_password", "secret")]),
    ({"warehouse_url": "postgresql://etl:hunter2@db/dw"}, None, [("warehouse_url", "secret")]),
])
def test_each_problem_is_named_by_key_and_kind(raw, env, expected):
    assert kinds(raw, env) == expected


def test_all_problems_reported_at_once_in_one_config_error():
    raw = {"chunk_size": -1, "max_reject_rate": "high", "retry": {"attempts": 99}, "colour": "blue"}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, source="nightly.yaml")
    err = info.value
    assert isinstance(err, PipelineError)
    assert sorted((p.key, p.kind) for p in err.problems) == [
        ("chunk_size", "range"), ("colour", "unknown"), ("max_reject_rate", "type"), ("retry.attempts", "range"),
        ("warehouse_url", "missing")]
    text = str(err)
    assert text.startswith("invalid configuration (5 problems):")
    for key in ("chunk_size", "colour", "max_reject_rate", "retry.attempts", "warehouse_url"):
        assert key in text
    assert "(from nightly.yaml)" in text


def test_unknown_key_suggests_the_close_one():
    (p,) = config_problems({"warehouse_url": URL, "chunk_sise": 5})
    assert "did you mean 'chunk_size'?" in p.message
    (p,) = config_problems({"warehouse_url": URL}, env={"PHARMA_KIT_CHUNKSIZE": "5"})
    assert "did you mean PHARMA_KIT_CHUNK_SIZE?" in p.message


def test_single_problem_message_is_singular():
    with pytest.raises(ConfigError, match=r"\(1 problem\):"):
        parse_config({})


def test_top_level_must_be_a_mapping(yaml_file):
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(yaml_file("- just\n- a list\n"), env={})


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path, yaml_file):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        load_config(yaml_file("warehouse_url: [unclosed\n"), env={})
    assert info.value.__cause__ is not None


def test_empty_file_means_defaults(yaml_file):
    cfg = load_config(yaml_file(""), env={"PHARMA_KIT_WAREHOUSE_URL": URL})
    assert cfg.chunk_size == 100_000


# --- secrets ------------------------------------------------------------------------------------------------

def test_password_from_env_is_masked_everywhere_but_the_dsn():
    cfg = parse_config({"warehouse_url": URL}, env={"PHARMA_KIT_WAREHOUSE_PASSWORD": "p@ss:word"})
    for text in (repr(cfg), str(cfg), str(cfg.as_dict()), repr(cfg.warehouse_password), str(cfg.warehouse_password)):
        assert "p@ss" not in text
    assert MASK in repr(cfg)
    assert cfg.as_dict()["warehouse_password"] == MASK
    assert cfg.warehouse_password.get() == "p@ss:word"
    assert cfg.warehouse_dsn() == "postgresql+psycopg://etl:p%40ss%3Aword@db.example:5432/dw"


def test_password_inside_env_url_is_moved_into_the_secret():
    cfg = parse_config(None, env={"PHARMA_KIT_WAREHOUSE_URL": "postgresql://etl:s3cret@db/dw"})
    assert cfg.warehouse_url == "postgresql://etl@db/dw"
    assert "s3cret" not in repr(cfg)
    assert cfg.warehouse_dsn() == "postgresql://etl:s3cret@db/dw"


def test_two_different_passwords_are_a_problem():
    env = {"PHARMA_KIT_WAREHOUSE_URL": "postgresql://etl:one@db/dw", "PHARMA_KIT_WAREHOUSE_PASSWORD": "two"}
    assert kinds(None, env) == [("warehouse_password", "secret")]
    env["PHARMA_KIT_WAREHOUSE_PASSWORD"] = "one"
    assert parse_config(None, env=env).warehouse_password == Secret("one")


def test_dsn_without_password_and_without_user():
    assert parse_config({"warehouse_url": "sqlite:///dw.db"}).warehouse_dsn() == "sqlite:///dw.db"
    cfg = parse_config({"warehouse_url": "sqlite:///dw.db"}, env={"PHARMA_KIT_WAREHOUSE_PASSWORD": "x"})
    with pytest.raises(ConfigError, match="names no user"):
        cfg.warehouse_dsn()


def test_secret_value_semantics():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b") and Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1
    assert f"{Secret('a')}" == MASK


def test_config_is_frozen():
    cfg = parse_config({"warehouse_url": URL})
    with pytest.raises(AttributeError):
        cfg.chunk_size = 5  # type: ignore[misc]


def test_other_kit_variables_are_not_settings_and_not_errors():
    env = {"PHARMA_KIT_WAREHOUSE_URL": URL, "PHARMA_KIT_HOME": "/tmp/x", "PHARMA_KIT_WAREHOUSE_URL_PG": "pg"}
    assert parse_config(None, env=env).warehouse_url == URL


def test_env_name():
    assert env_name("retry.attempts") == "PHARMA_KIT_RETRY__ATTEMPTS"


# --- the validator is generic over any settings dataclass (the lesson's exercise uses a small one) -----------

@dataclass(frozen=True)
class Small:
    batch: int = field(metadata={"min": 1})
    name: str = "x"


def test_generic_validator_on_another_dataclass():
    assert kinds({"batch": 0, "nme": "y"}, cls=Small) == [("batch", "range"), ("nme", "unknown")]
    assert parse_config({"batch": 3}, cls=Small) == Small(batch=3)


def test_env_false_and_non_env_only_secret_from_a_mapping():
    @dataclass(frozen=True)
    class WithToken:
        token: Secret | None = None
        verbose: bool = True

    got = parse_config({"token": "abc"}, env={"PHARMA_KIT_VERBOSE": "off"}, cls=WithToken)
    assert got.token.get() == "abc" and got.verbose is False
    assert kinds({"token": 5}, cls=WithToken) == [("token", "type")]


# --- issue 14/17: non-finite thresholds, URL parsing with SQLAlchemy, ports ----------------------------------
@pytest.mark.parametrize("raw, env, key", [
    ({"warehouse_url": URL, "max_reject_rate": float("nan")}, None, "max_reject_rate"),
    ({"warehouse_url": URL}, {"PHARMA_KIT_MAX_REJECT_RATE": "nan"}, "max_reject_rate"),
    ({"warehouse_url": URL}, {"PHARMA_KIT_MAX_REJECT_RATE": "NaN"}, "max_reject_rate"),
    ({"warehouse_url": URL}, {"PHARMA_KIT_RETRY__DEADLINE": "inf"}, "retry.deadline"),
    ({"warehouse_url": URL, "retry": {"max_delay": float("inf")}}, None, "retry.max_delay"),
    ({"warehouse_url": URL, "retry": {"base_delay": float("-inf")}}, None, "retry.base_delay"),
    ({"warehouse_url": URL}, {"PHARMA_KIT_RETRY__JITTER": "nan"}, "retry.jitter"),
])
def test_non_finite_numbers_are_range_problems(raw, env, key):
    assert (key, "range") in kinds(raw, env)


def test_a_nan_threshold_from_yaml_fails_load_config(yaml_file):
    p = yaml_file(f"warehouse_url: {URL}\nmax_reject_rate: .nan\n")
    with pytest.raises(ConfigError, match="max_reject_rate: nan is not a finite number"):
        load_config(p, env={})


def test_a_non_numeric_port_is_a_config_problem_not_a_value_error():
    assert kinds({"warehouse_url": "postgresql+psycopg://etl@db:abc/dw"}) == [("warehouse_url", "type")]
    with pytest.raises(ConfigError, match="port"):
        PipelineConfig(warehouse_url="postgresql://etl@db:abc/dw", warehouse_password=Secret("x")).warehouse_dsn()


def test_dsn_escapes_a_password_with_special_characters():
    from sqlalchemy.engine import make_url
    pw = "p@ss:w/rd%?#"
    cfg = parse_config({"warehouse_url": "postgresql+psycopg://etl@db:5432/dw"},
                       env={"PHARMA_KIT_WAREHOUSE_PASSWORD": pw})
    u = make_url(cfg.warehouse_dsn())
    assert (u.username, u.password, u.host, u.port, u.database) == ("etl", pw, "db", 5432, "dw")


def test_an_unescaped_at_in_an_env_url_password_is_refused_without_echo():
    probs = config_problems(None, env={"PHARMA_KIT_WAREHOUSE_URL": "postgresql://etl:p@ssw0rd@db/dw"})
    assert [(p.key, p.kind) for p in probs] == [("warehouse_url", "type")]
    assert "ssw0rd" not in probs[0].message and "%40" in probs[0].message

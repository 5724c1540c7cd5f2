"""The drill bank is honest: for every drill the reference passes, the stub is 'not attempted', every classic
wrong answer fails, and the SQL twin agrees with the pandas reference on the same hidden cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharma_kit.drills import bank
from pharma_kit.drills.sql import run_sql
from pharma_kit.exercises.compare import compare

SEED = 11  # a fixed seed for the random rounds, so a failure reproduces; check() itself seeds freshly


def _stub(*args, **kwargs):
    raise NotImplementedError("Your code here")


# --- the bank's shape ---------------------------------------------------------------------------------------
def test_bank_size_and_twins():
    assert len(bank.DRILLS) >= 25
    assert all(d.sql for d in bank.DRILLS), "every drill has a SQL twin"
    assert len(bank.REVIEWS) >= 5
    assert len({d.id for d in bank.ALL}) == len(bank.ALL), "ids are unique"


REQUIRED_TOPICS = {  # issue topic -> the drill that covers it
    "dedup keeping the latest record": "dedup-latest",
    "named aggregation vs apply": "named-aggregation",
    "resampling ('ME')": "monthly-resample",
    "top-N per group": "top-n-per-group",
    "running totals / window functions": "running-total",
    "gaps and islands": "gaps-and-islands",
    "sessionization": "sessionize",
    "SCD type 2 merge": "scd2-merge",
    "anti-join": "anti-join",
    "join explosion detection": "join-explosion",
    "pivot": "pivot",
    "unpivot": "unpivot",
    "cohort retention": "cohort-retention",
    "funnel conversion": "funnel",
    "first/last per group": "first-last-per-group",
    "percent of total": "percent-of-total",
    "median per group": "median-per-group",
    "late-arriving data": "late-arriving-data",
    "idempotent upsert": "idempotent-upsert",
    "flattening nested JSON": "flatten-json",
}


@pytest.mark.parametrize("topic", sorted(REQUIRED_TOPICS))
def test_required_topic_is_covered(topic):
    d = bank.get(REQUIRED_TOPICS[topic])
    assert d.kind == "drill" and d.sql


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_metadata_is_complete(drill, capsys):
    assert drill.question.name == drill.id
    assert len(drill.question.prompt) > 60
    assert len(drill.question.hints) >= 1 and (drill.kind == "review" or len(drill.question.hints) >= 2)
    assert drill.complexity and drill.listens_for
    assert drill.level in (1, 2, 3) and drill.topic
    assert drill.wrong_answers, "at least one classic wrong answer"
    # the example is small and the reference answers it
    example = drill.example()
    for v in example.values():
        if isinstance(v, pd.DataFrame):
            assert 0 < len(v) <= 12
    assert drill.example_output() is not None
    drill.show()
    out = capsys.readouterr().out
    assert drill.id in out and "Expected output" in out


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_cases_are_fixed_in_number_and_deterministic_in_round_zero(drill):
    a = drill.question.cases(np.random.default_rng(1))
    b = drill.question.cases(np.random.default_rng(2))
    assert len(a) == len(b) >= 3
    c1 = drill.question.cases(np.random.default_rng(12345))
    c2 = drill.question.cases(np.random.default_rng(12345))
    for x, y in zip(c1, c2):
        assert compare(x, y) is None


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_drill_is_honest(drill):
    ref = drill.check(drill.question.reference)  # fresh seed, like a learner's check
    assert ref.passed, ref.message
    stub = drill.check(_stub)
    assert stub.status == "not attempted", stub
    for name, wrong in drill.wrong_answers.items():
        result = drill.check(wrong, seed=SEED)
        assert not result.passed, f"wrong answer {name!r} passed with seed {SEED}"


@pytest.mark.parametrize("drill", bank.DRILLS, ids=lambda d: d.id)
def test_sql_twin_agrees_with_pandas_reference(drill):
    result = drill.check_sql(seed=SEED)
    assert result.passed, f"seed {SEED}: {result.message}"


def test_a_wrong_sql_answer_fails():
    d = bank.get("anti-join")
    wrong = "SELECT * FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders) ORDER BY customer_id"
    result = d.check_sql(wrong, seed=3)
    assert not result.passed
    inner = "SELECT DISTINCT c.* FROM customers c JOIN orders o USING (customer_id) ORDER BY c.customer_id"
    assert not d.check_sql(inner, seed=3).passed


@pytest.mark.parametrize("drill", bank.REVIEWS, ids=lambda d: d.id)
def test_review_names_its_bug(drill, capsys):
    assert drill.code and drill.answer in drill.options and len(drill.options) >= 3
    assert any(name.startswith("the code under review") for name in drill.wrong_answers), \
        "the reviewed code itself must be proven wrong"
    assert drill.name_bug(drill.answer) is True
    for letter in drill.options:
        if letter != drill.answer:
            assert drill.name_bug(letter.lower()) is False
    with pytest.raises(ValueError):
        drill.name_bug("Z")


@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_stub_file_defines_the_function_and_is_not_attempted(drill):
    namespace: dict = {}
    exec(compile(drill.stub(), f"<stub {drill.id}>", "exec"), namespace)
    fn = namespace[drill.func_name]
    assert drill.check(fn, seed=1).status == "not attempted"


# --- other correct answers pass (the checker is not tuned to one implementation) -----------------------------
def dedup_with_window(records):
    r = records.sort_values(["customer_id", "updated_at", "ingest_id"], ascending=[True, False, False],
                            na_position="last")
    return r.groupby("customer_id").head(1).reset_index(drop=True)


def anti_join_with_indicator(customers, orders):
    m = customers.merge(orders[["customer_id"]].dropna().drop_duplicates(), on="customer_id", how="left",
                        indicator=True)
    return m.loc[m["_merge"] == "left_only", list(customers.columns)].sort_values("customer_id").reset_index(drop=True)


def sessionize_by_transform(events, gap_minutes=30):
    e = events.sort_values(["user_id", "ts", "event_id"]).reset_index(drop=True)
    prev = e.groupby("user_id")["ts"].shift()
    e["session_id"] = ((prev.isna()) | (e["ts"] - prev > pd.Timedelta(minutes=gap_minutes))).astype(int)
    e["session_id"] = e.groupby("user_id")["session_id"].cumsum()
    return e


@pytest.mark.parametrize("drill_id, fn", [("dedup-latest", dedup_with_window),
                                          ("anti-join", anti_join_with_indicator),
                                          ("sessionize", sessionize_by_transform)])
def test_alternative_correct_answers_pass(drill_id, fn):
    result = bank.get(drill_id).check(fn)
    assert result.passed, result.message


def test_run_sql_isolates_calls():
    """Temp tables and registered frames do not leak from one call to the next."""
    df = pd.DataFrame({"x": [1, 2]})
    run_sql("CREATE TEMP TABLE t AS SELECT 1 AS k; SELECT * FROM d", {"d": df})
    out = run_sql("SELECT COUNT(*) AS n FROM duckdb_tables() WHERE table_name IN ('t', 'd')", {})
    assert int(out["n"].iloc[0]) == 0


def test_select_and_get():
    assert {d.topic for d in bank.select(topic="WINDOW")} == {"window functions"}
    assert all(d.level == 3 for d in bank.select(level=3))
    assert all(d.kind == "review" for d in bank.select(kind="review"))
    with pytest.raises(KeyError, match="known"):
        bank.get("no-such-drill")


# --- issue 14: the boundary where each classic bug lives is a FIXED case (round 0), not left to chance --------
BOUNDARY_BUGS = [
    ("sessionize", "gap.dt.seconds drops whole days of the gap"),
    ("cohort-retention", "month difference ignoring the year"),
    ("review-retry-everything", "still retries every error except a data-quality one"),
    ("review-append-on-retry", "drop_duplicates(keep='last') on the key keeps rows the batch no longer has"),
    ("review-append-on-retry", "append then drop_duplicates keeps stale rows"),
]


@pytest.mark.parametrize(("drill_id", "label"), BOUNDARY_BUGS)
def test_classic_bug_fails_on_a_fixed_edge_case(drill_id, label):
    q = bank.get(drill_id).question
    fixed = len(q.cases(np.random.default_rng(12345)))
    result = q.check(q.wrong_answers[label], seed=0)
    assert result.status in ("incorrect", "error") and result.cases_run <= fixed, result


# --- issue 14: an index, order or name is checked if and only if the prompt asks for it -------------------------
@pytest.mark.parametrize("drill", bank.ALL, ids=lambda d: d.id)
def test_index_is_checked_only_when_the_prompt_fixes_it(drill):
    q = drill.question
    prompt = q.prompt.lower()
    if not q.check_index:
        assert "fresh" not in prompt and "index" not in prompt, "the prompt fixes an index the checker ignores"
    elif "fresh" not in prompt:
        expected = q.runner(q.reference, q.cases(np.random.default_rng(0))[0])
        frames = expected if isinstance(expected, list) else [expected]
        assert all("index" in prompt or not isinstance(f, pd.DataFrame) for f in frames), (
            "the checker compares index labels, but the prompt asks for neither a fresh index nor a named one")


def test_all_null_sums_are_stated_in_the_prompt():
    for drill_id in ("named-aggregation", "percent-of-total", "monthly-resample", "month-over-month", "running-total",
                     "top-n-per-group", "pivot", "rolling-7-days"):
        prompt = bank.get(drill_id).question.prompt
        assert "null" in prompt and ("0 when all" in prompt or "only null" in prompt or "NaN when" in prompt), drill_id

"""Drill mode: pick() prefers unseen drills and times attempts; progress lives in $PHARMA_KIT_HOME/progress.json;
the terminal mode (pharma-kit drill) works non-interactively (--list, --stub, --check, --hint, --solution) and
interactively with scripted input."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from pharma_kit.drills import bank, cli, mode
from pharma_kit.errors import ConfigError

CORRECT_DEDUP = '''# pharma-kit drill: dedup-latest
import pandas as pd


def latest_record(records):
    ordered = records.sort_values(["customer_id", "updated_at", "ingest_id"], na_position="first", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").reset_index(drop=True)
'''

WRONG_DEDUP = '''# pharma-kit drill: dedup-latest
def latest_record(records):
    return records.sort_values("updated_at").drop_duplicates("customer_id", keep="first").reset_index(drop=True)
'''


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PHARMA_KIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


# --- progress file ----------------------------------------------------------------------------------------
def test_progress_path_honours_env_and_defaults_to_home(monkeypatch, tmp_path):
    assert mode.progress_path() == tmp_path / "home" / "progress.json"
    monkeypatch.delenv("PHARMA_KIT_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert mode.progress_path() == tmp_path / "user" / ".pharma_kit" / "progress.json"


def test_record_accumulates_and_solved_never_regresses(home):
    mode.record("sessionize", attempts=1, solved=True, seconds=42.25)
    mode.record("sessionize", attempts=1, solved=False, seconds=None)
    rec = mode.record("sessionize", attempts=1, solved=True, seconds=30.0)
    assert rec["attempts"] == 3 and rec["solved"] is True and rec["best_seconds"] == 30.0
    on_disk = json.loads((home / "progress.json").read_text())
    assert on_disk["drills"]["sessionize"]["attempts"] == 3
    table = mode.summary()
    assert table.loc[table["id"] == "sessionize", "solved"].item()
    assert int(table["solved"].sum()) == 1 and len(table) == len(bank.ALL)


def test_corrupt_progress_file_is_a_clear_error(home):
    home.mkdir(parents=True)
    (home / "progress.json").write_text("{not json")
    with pytest.raises(ConfigError, match="progress.json"):
        mode.load_progress()


# --- pick and the timed session ---------------------------------------------------------------------------
def test_pick_is_seeded_and_prefers_unseen(capsys):
    first = mode.choose(topic="gaps", seed=3)
    assert first.id == mode.choose(topic="gaps", seed=3).id
    seen = set()
    for _ in range(len(bank.select(topic="gaps"))):
        s = mode.pick(topic="gaps", seed=3, show=False)
        seen.add(s.drill.id)
    assert seen == {d.id for d in bank.select(topic="gaps")}, "each pick shows a drill not seen before"
    with pytest.raises(ConfigError, match="no drill matches"):
        mode.pick(topic="astrology")


def test_session_times_the_attempt_and_records_progress(capsys):
    clock = FakeClock()
    session = mode.pick(topic="dedup", level=1, kind="drill", seed=0, clock=clock)
    assert session.drill.id == "dedup-latest"
    shown = capsys.readouterr().out
    assert "Clock started" in shown and "Expected output" in shown
    assert session.check().status == "not attempted"
    clock.t += 12.34
    session.hint()
    wrong = session.check(bank.get("dedup-latest").wrong_answers[next(iter(bank.get("dedup-latest").wrong_answers))])
    assert not wrong.passed
    clock.t += 50.0
    ok = session.check(bank.get("dedup-latest").question.reference)
    assert ok.passed
    out = capsys.readouterr().out
    assert "⏱ 62.3 s" in out and "1 hint(s)" in out
    rec = mode.load_progress()["dedup-latest"]
    assert rec["attempts"] == 2 and rec["solved"] and rec["best_seconds"] == 62.3 and rec["hints"] == 1
    assert session.check_sql().passed
    assert mode.load_progress()["dedup-latest"]["sql_solved"]


def test_session_name_bug_records(capsys):
    s = mode.pick(kind="review", seed=1, show=False)
    assert s.name_bug(s.drill.answer)
    assert mode.load_progress()[s.drill.id]["bug_named"]


# --- terminal mode ----------------------------------------------------------------------------------------
def test_cli_list_show_hint_solution(capsys):
    assert cli.run(_args("--list")) == 0
    out = capsys.readouterr().out
    assert "dedup-latest" in out and f"0/{len(bank.ALL)} solved" in out
    assert cli.run(_args("--show", "funnel")) == 0
    assert "Expected output" in capsys.readouterr().out
    assert cli.run(_args("--hint", "2", "--id", "funnel")) == 0
    assert "Hint 2/" in capsys.readouterr().out
    assert cli.run(_args("--hint", "1")) == 2  # needs --id
    assert cli.run(_args("--solution", "anti-join")) == 0
    assert "NOT EXISTS" in capsys.readouterr().out
    assert cli.run(_args("--show", "nope")) == 2
    assert cli.run(_args("--progress")) == 0


def test_cli_stub_then_check(tmp_path, capsys):
    assert cli.run(_args("--stub", "dedup-latest", "--dir", str(tmp_path))) == 0
    stub = tmp_path / "drill_dedup_latest.py"
    assert stub.exists()
    assert cli.run(_args("--check", str(stub))) == 1
    assert "Not attempted" in capsys.readouterr().out
    stub.write_text(WRONG_DEDUP)
    assert cli.run(_args("--check", str(stub))) == 1
    assert "Incorrect" in capsys.readouterr().out
    stub.write_text(CORRECT_DEDUP)
    assert cli.run(_args("--check", str(stub))) == 0
    assert "Correct" in capsys.readouterr().out
    assert mode.load_progress()["dedup-latest"]["solved"]
    # --stub never overwrites an edited file
    assert cli.run(_args("--stub", "dedup-latest", "--dir", str(tmp_path))) == 0
    assert stub.read_text() == CORRECT_DEDUP


def test_cli_check_reports_broken_files(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("# pharma-kit drill: sessionize\ndef sessionize(events, gap_minutes=30)\n    return events\n")
    assert cli.run(_args("--check", str(bad))) == 2
    assert "SyntaxError" in capsys.readouterr().out
    other = tmp_path / "other.py"
    other.write_text("def something_else():\n    pass\n")
    assert cli.run(_args("--check", str(other))) == 2  # no header and no --id
    assert cli.run(_args("--check", str(other), "--id", "sessionize")) == 2
    assert "no function named sessionize" in capsys.readouterr().out
    assert cli.run(_args("--check", str(tmp_path / "missing.py"))) == 2


def test_cli_checks_sql_files(tmp_path, capsys):
    good = tmp_path / "anti.sql"
    good.write_text("-- pharma-kit drill: anti-join\n" + bank.get("anti-join").sql)
    assert cli.run(_args("--check", str(good))) == 0
    bad = tmp_path / "anti_bad.sql"
    bad.write_text("-- pharma-kit drill: anti-join\nSELECT * FROM customers "
                   "WHERE customer_id NOT IN (SELECT customer_id FROM orders) ORDER BY customer_id\n")
    assert cli.run(_args("--check", str(bad), "--id", "anti-join")) == 1


def test_cli_interactive_with_scripted_input(tmp_path, capsys):
    stub = tmp_path / "drill_dedup_latest.py"
    answers = iter(["h", "", "done"])  # a hint, a failing check on the stub, then a check after solving

    def fake_input(prompt: str) -> str:
        answer = next(answers)
        if answer == "done":
            stub.write_text(CORRECT_DEDUP)
            return ""
        return answer

    clock = FakeClock()
    code = cli.interactive(_args("--id", "dedup-latest", "--dir", str(tmp_path)), input_fn=fake_input, clock=clock)
    assert code == 0
    out = capsys.readouterr().out
    assert "Stub written" in out and "Hint 1/" in out and "Not attempted" in out and "Correct" in out
    rec = mode.load_progress()["dedup-latest"]
    assert rec["solved"] and rec["hints"] == 1 and rec["seen"] == 1


def test_cli_interactive_quit_and_eof(tmp_path):
    assert cli.interactive(_args("--id", "pivot", "--dir", str(tmp_path)), input_fn=lambda p: "q") == 1

    def eof(prompt: str) -> str:
        raise EOFError

    assert cli.interactive(_args("--topic", "json", "--dir", str(tmp_path)), input_fn=eof) == 1
    assert (tmp_path / "drill_flatten_json.py").exists()


def test_main_entry_point(capsys):
    assert cli.main(["--show", "unpivot"]) == 0
    assert "unpivot" in capsys.readouterr().out


def test_cli_sql_stub_round_trip(tmp_path, capsys):
    out = tmp_path / "late.sql"
    assert cli.run(_args("--stub", "late-arriving-data", "--out", str(out))) == 0
    text = out.read_text()
    assert text.startswith("-- pharma-kit drill: late-arriving-data") and "$watermark" in text
    assert cli.run(_args("--check", str(out))) == 1  # 'SELECT 1' is not the answer
    out.write_text(text.replace("SELECT 1;", bank.get("late-arriving-data").sql))
    assert cli.run(_args("--check", str(out))) == 0


def test_stored_notebook_shows_no_timing_outside_ignored_cells():
    """Timing lines vary run to run: they may appear only in cells tagged nbval-ignore-output."""
    import nbformat

    path = Path(__file__).resolve().parents[1] / "solutions" / "08_interview_drills.ipynb"
    nb = nbformat.read(path, as_version=4)
    timed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
        if re.search(r"⏱ [\d.]+ s|[\d.]+ s, named agg", text):
            timed += 1
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), cell.source[:80]
    assert timed >= 1, "the drill-mode timing cell should be in the notebook"
    assert any("pick(" in c.source for c in nb.cells if c.cell_type == "code")


# --- the terminal's own wording and bookkeeping (issue 14 §3) ------------------------------------------------
def test_terminal_not_attempted_speaks_terminal(tmp_path, capsys):
    stub = tmp_path / "drill_dedup_latest.py"
    assert cli.run(_args("--stub", "dedup-latest", "--out", str(stub))) == 0
    capsys.readouterr()
    assert cli.run(_args("--check", str(stub))) == 1
    out = capsys.readouterr().out
    assert "Not attempted" in out and "check()" not in out and "--check" in out
    assert "dedup-latest" not in mode.load_progress() or not mode.load_progress()["dedup-latest"].get("attempts")


def test_untouched_sql_stub_is_not_attempted(tmp_path, capsys):
    out = tmp_path / "late.sql"
    assert cli.run(_args("--stub", "late-arriving-data", "--out", str(out))) == 0
    capsys.readouterr()
    assert cli.run(_args("--check", str(out))) == 1
    text = capsys.readouterr().out
    assert "Not attempted" in text and "Incorrect" not in text
    assert not mode.load_progress().get("late-arriving-data", {}).get("sql_solved")


def test_viewing_the_solution_is_recorded(tmp_path, capsys):
    code = cli.interactive(_args("--id", "pivot", "--dir", str(tmp_path)), input_fn=lambda p: "s")
    assert code == 1
    assert mode.load_progress()["pivot"]["solution_viewed"] is True
    assert cli.run(_args("--solution", "unpivot")) == 0
    assert mode.load_progress()["unpivot"]["solution_viewed"] is True


def test_rechecking_a_solved_file_sets_no_best_time_and_keeps_the_file(tmp_path, capsys):
    stub = tmp_path / "drill_dedup_latest.py"
    stub.write_text(CORRECT_DEDUP)                      # solved in an earlier session
    clock = FakeClock()
    code = cli.interactive(_args("--id", "dedup-latest", "--dir", str(tmp_path)), input_fn=lambda p: "", clock=clock)
    assert code == 0
    out = capsys.readouterr().out
    assert "Stub written" not in out and "already holds your edits" in out
    assert stub.read_text() == CORRECT_DEDUP
    rec = mode.load_progress()["dedup-latest"]
    assert rec["solved"] and rec.get("best_seconds") is None


def test_fresh_stub_solved_in_session_records_its_time(tmp_path, capsys):
    stub = tmp_path / "drill_dedup_latest.py"
    clock = FakeClock()

    def solve(prompt: str) -> str:
        stub.write_text(CORRECT_DEDUP)
        clock.t += 42.0
        return ""

    assert cli.interactive(_args("--id", "dedup-latest", "--dir", str(tmp_path)), input_fn=solve, clock=clock) == 0
    assert mode.load_progress()["dedup-latest"]["best_seconds"] == 42.0


def test_terminal_hint_past_the_last(tmp_path, capsys):
    n = len(bank.get("pivot").question.hints)
    answers = iter(["h"] * (n + 1) + ["q"])
    assert cli.interactive(_args("--id", "pivot", "--dir", str(tmp_path)), input_fn=lambda p: next(answers)) == 1
    out = capsys.readouterr().out
    assert f"Hint {n}/{n}" in out and "No more hints" in out and ".solution()" not in out
    assert mode.load_progress()["pivot"]["hints"] == n

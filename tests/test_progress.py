"""A learner's progress: check() verdicts are recorded in $PHARMA_KIT_HOME and summarised per lesson."""
from __future__ import annotations

import subprocess
import sys

import pytest

from pharma_kit.exercises import lesson00, progress


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PHARMA_KIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHARMA_KIT_RECORD", "1")
    return tmp_path / "home"


def test_verdicts_are_recorded_and_summarised(home):
    q1, q2 = lesson00.QUESTIONS[0], lesson00.QUESTIONS[1]
    q1.check(q1.reference, seed=1)
    q2.check(next(iter(q2.wrong_answers.values())), seed=1)
    q2.check(lambda *a, **k: (_ for _ in ()).throw(NotImplementedError()), seed=1)  # a stub: not recorded
    q1.demo_wrong(next(iter(q1.wrong_answers)))                                      # a demo: not recorded
    seen = progress.verdicts()
    assert seen == {q1.name: {"correct"}, q2.name: {"incorrect"}}
    row = progress.summary()[0]
    assert row.lesson == "lesson 00" and row.solved == [q1.name] and row.attempted == [q2.name]
    assert row.next_up == q2.name
    text = progress.report()
    assert "lesson 00" in text and f"Next: {q2.name} (lesson 00)" in text and "drill bank" in text


def test_recording_off_and_unwritable_home_never_break_check(tmp_path, monkeypatch):
    monkeypatch.setenv("PHARMA_KIT_RECORD", "0")
    monkeypatch.setenv("PHARMA_KIT_HOME", str(tmp_path / "h"))
    q = lesson00.QUESTIONS[0]
    assert q.check(q.reference, seed=1).passed and not (tmp_path / "h").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PHARMA_KIT_RECORD", "1")
    monkeypatch.setenv("PHARMA_KIT_HOME", str(blocker / "sub"))     # cannot be created
    assert q.check(q.reference, seed=1).passed


def test_cli_progress_prints_the_table(home):
    env_home = str(home)
    proc = subprocess.run([sys.executable, "-m", "pharma_kit.cli", "progress"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PHARMA_KIT_HOME": env_home, "HOME": env_home})
    assert proc.returncode == 0, proc.stderr
    assert "solved" in proc.stdout and "Next: l00_" in proc.stdout


def test_every_lesson_module_offers_progress():
    import importlib

    from pharma_kit.exercises import lesson_modules

    for mod in lesson_modules():
        assert importlib.import_module(f"pharma_kit.exercises.{mod}").progress is progress.progress, mod

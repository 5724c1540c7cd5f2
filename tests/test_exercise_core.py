"""The checker itself: it reports the first difference in plain words and never raises on a learner's bug."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharma_kit.exercises.compare import compare
from pharma_kit.exercises.core import MARK_CORRECT, MARK_NOT_ATTEMPTED, Question


def _cases(rng):
    n = int(rng.integers(5, 20))
    return [{"df": pd.DataFrame({"k": rng.integers(0, 3, n), "v": rng.random(n)})}]


def _ref(df):
    return df.groupby("k")["v"].sum()


Q = Question(name="t_sum", prompt="sum v per k", reference=_ref, cases=_cases, hints=["groupby", "sum"],
             wrong_answers={"mean": lambda df: df.groupby("k")["v"].mean()})


def test_statuses_and_markers():
    assert Q.check(_ref).status == "correct" and str(Q.check(_ref)).startswith(MARK_CORRECT)

    def stub(df):
        raise NotImplementedError

    assert str(Q.check(stub)).startswith(MARK_NOT_ATTEMPTED)
    assert Q.check(None).status == "not attempted"
    assert Q.check(lambda df: 1 / 0).status == "error"
    assert "ZeroDivisionError" in Q.check(lambda df: 1 / 0).message
    r = Q.check(Q.wrong_answers["mean"], seed=1)
    assert r.status == "incorrect" and "expected" in r.message and "got" in r.message


def test_learner_cannot_mutate_the_reference_input():
    def sneaky(df):
        df["v"] = 0.0  # mutates its input: must not change what the reference sees
        return _ref(df)

    assert Q.check(sneaky).status == "incorrect"


def test_fresh_seeds_differ_but_fixed_seed_repeats():
    assert Q.check(Q.wrong_answers["mean"], seed=3).message == Q.check(Q.wrong_answers["mean"], seed=3).message


def test_hint_solution_show_and_demo(capsys):
    Q.hint(1); Q.hint(99); Q.solution(); Q.show()
    out = capsys.readouterr().out
    assert "Hint 1/2" in out and "seen them all" in out and "def _ref" in out and "sum v per k" in out
    assert str(Q.demo_wrong("mean")).startswith("Demo of the wrong answer 'mean'")
    with pytest.raises(KeyError):
        Q.demo_wrong("nope")


@pytest.mark.parametrize("expected, got, fragment", [
    (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 3]}), "column 'a', row 1: expected 2, got 3"),
    (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"b": [1, 2]}), "missing ['a']"),
    (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1]}), "expected 2 rows, got 1"),
    (pd.DataFrame({"a": [1, 2]}), [1, 2], "expected a DataFrame"),
    (pd.Series([1.0], name="x"), pd.Series([1.0], name="y"), "name differs"),
    (pd.Series([1.0, np.nan]), pd.Series([1.0, 0.0]), "row 1: expected nan, got 0"),
    (np.array([1.0, 2.0]), np.array([1.0, 2.5]), "position 1"),
    (np.array([1.0, 2.0]), np.array([1.0]), "shape"),
    ({"a": 1}, {"a": 2}, "key 'a'"),
    ({"a": 1}, {"b": 1}, "keys differ"),
    ([1, 2], [1], "expected 2 items"),
    ((1, "x"), (1, "y"), "item 1"),
    (0.3, 0.30001, "expected 0.3"),
    ("B", "C", "expected 'B', got 'C'"),
    (3, None, "returned None"),
    (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02"), "expected"),
    (True, "True", "expected True"),
])
def test_compare_names_the_difference(expected, got, fragment):
    m = compare(expected, got)
    assert m is not None and fragment in m, m


@pytest.mark.parametrize("expected, got, kw", [
    (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1.0, 2.0]}), {}),
    (pd.Series([0.1 + 0.2]), pd.Series([0.3]), {}),
    (pd.DataFrame({"a": [2, 1]}, index=[1, 0]), pd.DataFrame({"a": [1, 2]}), {"check_order": False}),
    (pd.Series([None, "x"], dtype="str"), pd.Series([np.nan, "x"], dtype="object"), {}),
    (pd.Timestamp("2025-01-01"), np.datetime64("2025-01-01"), {}),
    (pd.Timedelta("1D"), np.timedelta64(1, "D"), {}),
    ({"a": [1, 2]}, {"a": [1, 2]}, {}),
])
def test_compare_accepts_equivalent_answers(expected, got, kw):
    assert compare(expected, got, **kw) is None


def test_compare_dtype_when_asked():
    m = compare(pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1.0]}), check_dtype=True)
    assert m and "dtype" in m


def test_each_property_is_enforced_only_when_asked():
    exp = pd.Series([1.0, 2.0], index=pd.Index([10, 20], name="store"), name="total")
    renamed = exp.rename("amount").rename_axis("k")
    assert compare(exp, renamed) is not None                                   # names checked by default
    assert compare(exp, renamed, check_series_name=False, check_index_names=False) is None
    assert "Series name" in compare(exp, renamed, check_index_names=False)
    assert "index names" in compare(exp, renamed, check_series_name=False)
    kept = pd.DataFrame({"v": [3, 4]}, index=[7, 9])
    fresh = pd.DataFrame({"v": [3, 4]})
    assert "reset_index(drop=True)" in compare(fresh, kept)                     # the hint names the cause
    assert compare(fresh, kept, check_index=False) is None                      # positional when the prompt is silent
    assert compare(fresh, pd.DataFrame({"v": [4, 3]}, index=[9, 7]), check_index=False, check_order=False) is None
    assert compare(fresh, pd.DataFrame({"v": [4, 5]}), check_index=False, check_order=False) is not None
    assert "dtype" in compare(np.array([1, 2]), np.array([1.0, 2.0]), check_dtype=True)


def test_failure_shows_a_small_input_and_marks_the_row():
    def cases(rng):
        return [{"df": pd.DataFrame({"k": [1, 2, 3], "v": [1.0, 2.0, 3.0]}, index=[5, 6, 7])}]

    q = Question(name="t_double", prompt="double v", reference=lambda df: df["v"] * 2, cases=cases,
                 hints=["x"], wrong_answers={})
    r = q.check(lambda df: df["v"].where(df["k"] != 2, 0) * 2, seed=0)
    assert r.status == "incorrect" and "the input of that case" in r.message
    marked = [line for line in r.message.splitlines() if line.startswith("->")]
    assert len(marked) == 1 and marked[0].split()[1] == "6"
    assert "Series 'v', row 6" in r.message


def test_in_a_notebook_the_verdict_shows_once_even_mid_cell(monkeypatch, capsys):
    import pharma_kit.exercises.core as core

    monkeypatch.setattr(core, "_in_notebook", lambda: True)
    r = Q.check(_ref, seed=1)                      # not the last line of a cell: still shown
    assert capsys.readouterr().out.startswith(MARK_CORRECT)
    r._ipython_display_()                          # the cell's last line displays it again: nothing more
    assert capsys.readouterr().out == "" and r.passed


def test_a_keyed_range_index_is_not_mistaken_for_row_numbers():
    # pandas 3 makes a RangeIndex from consecutive integer keys (set_index, Series(dict)): those are keys
    exp = pd.Series([1.0, 2.0], index=pd.Index([1, 2], name="k"))
    assert compare(exp, pd.Series([1.0, 2.0], index=pd.RangeIndex(1, 3, name="k")), check_order=False) is None
    assert compare(exp, pd.Series([2.0, 1.0], index=pd.Index([2, 1], name="k")), check_order=False) is None
    dup = pd.DataFrame({"v": [1, 2, 2]}, index=[5, 5, 6])
    assert compare(dup, pd.DataFrame({"v": [2, 1, 2]}, index=[5, 5, 6]), check_order=False) is None
    assert compare(dup, pd.DataFrame({"v": [2, 2, 1]}, index=[5, 5, 6]), check_order=False) is not None

"""The Arrow fast path of the parsers gives exactly the general code's answer, value for value.

``parse_int``, ``parse_float(money=True)`` and ``parse_datetime`` (default format) cast the values that match a
strict pattern with Arrow in one call and give only the others to the general code. Arrow alone would be wrong in
places (it reads "0x10" as 16, a 19-digit number, "inf", and rolls 30 February over to 1 March), so every spelling
below is mixed at random into columns and the two answers are compared.
"""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from pharma_kit.quality import (
    _parse_datetime_general, _parse_float_general, _parse_int_general, parse_datetime, parse_float, parse_int,
)

INTS = ["1", "007", "120329", "999999999999999999", "1000000000000000000", "9223372036854775807", "-5", "+5",
        " 12 ", "\t3", "0x10", "1e3", "5.0", "１２", "10000९", "", "  ", "-", "1_000", "NaN", None]
MONEY = ["9.49", "12.5", "0.00", "-3", "+1.50", "00012.50", "$1,234.50", "-$6.99", "$1,2,3", "12.50 USD", "1.2e3",
         "1.2E3", "inf", "nan", "NaN", ".5", "5.", " 12.5 ", "1" + "0" * 400, "-0.0", "１２.５", "", None]
DATES = ["2024-06-01 10:15:00", "2024-02-29 23:59:59", "2023-02-29 00:00:00", "2024-02-30 10:00:00",
         "2024-04-31 01:00:00", "2024-12-31 23:59:59", "2024-06-01 23:59:60", "2024-06-01 24:00:00",
         "0000-01-01 00:00:00", "9999-12-31 23:59:59", "1900-01-01 00:00:00", "2024-6-1 10:15:00",
         " 2024-06-01 10:15:00", "2024-06-01T10:15:00", "2024-06-01 10:15:00+02:00", "2024-06-01", "31/12/2024",
         "2024-13-01 00:00:00", "２０２４-06-01 10:15:00", "N/A", "", None]


def column(values: list, seed: int, n: int = 300) -> pd.Series:
    rng = random.Random(seed)
    picks = [rng.choice(values) for _ in range(n)]
    if seed % 3 == 0:  # mostly clean columns take the fast path for most rows: the usual case
        picks = [values[0] if rng.random() < 0.9 else p for p in picks]
    return pd.Series(picks, dtype="str", index=pd.RangeIndex(100, 100 + n, name="line"))


def same(a: tuple[pd.Series, pd.Series], b: tuple[pd.Series, pd.Series]) -> None:
    pd.testing.assert_series_equal(a[0], b[0])
    pd.testing.assert_series_equal(a[1].astype(bool), b[1].astype(bool))


@pytest.mark.parametrize("seed", range(12))
def test_int_fast_path_equals_general(seed):
    s = column(INTS, seed)
    same(parse_int(s), _parse_int_general(s))


@pytest.mark.parametrize("seed", range(12))
def test_money_fast_path_equals_general(seed):
    s = column(MONEY, seed)
    same(parse_float(s, money=True), _parse_float_general(s, money=True))


@pytest.mark.parametrize("seed", range(12))
def test_datetime_fast_path_equals_general(seed):
    s = column(DATES, seed)
    same(parse_datetime(s), _parse_datetime_general(s, "%Y-%m-%d %H:%M:%S", "reject", "reject"))


def test_every_spelling_alone():
    """Each spelling as a whole column (all fast, or all general), and after a clean value."""
    for values, fast, general in ((INTS, parse_int, _parse_int_general),
                                  (MONEY, lambda s: parse_float(s, money=True),
                                   lambda s: _parse_float_general(s, money=True)),
                                  (DATES, parse_datetime,
                                   lambda s: _parse_datetime_general(s, "%Y-%m-%d %H:%M:%S", "reject", "reject"))):
        for v in values:
            for col in ([v, v], [values[0], v]):
                s = pd.Series(col, dtype="str")
                same(fast(s), general(s))


def test_arrow_alone_would_be_wrong():
    """The boundaries the pattern and the round-trip guard are there for."""
    v, bad = parse_int(pd.Series(["0x10", "9223372036854775807", "12"], dtype="str"))
    assert bad.tolist() == [True, True, False] and v.iloc[2] == 12
    v, bad = parse_datetime(pd.Series(["2024-02-30 10:00:00", "2024-02-29 10:00:00"], dtype="str"))
    assert bad.tolist() == [True, False] and v.iloc[1] == pd.Timestamp("2024-02-29 10:00:00")
    v, bad = parse_float(pd.Series(["inf", "1" + "0" * 400, "9.49"], dtype="str"), money=True)
    assert bad.tolist() == [True, True, False] and np.isnan(v.iloc[0]) and v.iloc[2] == 9.49

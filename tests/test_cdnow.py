"""CDNOW: the real log read offline, its known defects quarantined, and every customer accounted for."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pharma_kit import cdnow, rfm
from pharma_kit.errors import InputFileError


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return cdnow.read_cdnow()


@pytest.fixture(scope="module")
def cleaned(raw):
    return cdnow.clean_cdnow(raw)


def test_reads_the_whole_log_typed(raw):
    assert len(raw) == cdnow.CDNOW_ROWS == 69_659
    assert raw["customer_id"].nunique() == cdnow.CDNOW_CUSTOMERS == 23_570
    assert raw["order_date"].min() == pd.Timestamp("1997-01-01")
    assert raw["order_date"].max() == pd.Timestamp("1998-06-30") == cdnow.CDNOW_AS_OF - pd.Timedelta(days=1)
    assert {c: str(t) for c, t in raw.dtypes.items()} == {
        "line": "int64", "order_id": "int64", "customer_id": "int64", "order_date": "datetime64[us]",
        "quantity": "int64", "amount": "float64"}
    assert raw["order_id"].is_unique and raw["line"].iloc[0] == 2  # line 1 is the header
    first = raw.iloc[0]
    assert (first["customer_id"], first["quantity"], first["amount"]) == (1, 1, 11.77)


def test_locating_the_file_does_not_import_lifetimes():
    code = ("import sys, warnings; warnings.simplefilter('error'); from pharma_kit import cdnow; "
            "p = cdnow.cdnow_path(); assert p.name == 'CDNOW_master.txt' and p.is_file(); "
            "assert 'lifetimes' not in sys.modules, 'lifetimes was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_known_defects_are_quarantined_with_reasons(raw, cleaned):
    assert len(cleaned.kept) + len(cleaned.quarantine) == len(raw)
    assert cleaned.summary()["rows"].to_dict() == {"exact_duplicate": 255, "zero_amount": 80}
    assert not cleaned.kept.duplicated(subset=["customer_id", "order_date", "quantity", "amount"]).any()
    assert cleaned.kept["amount"].gt(0).all()
    # the later copy is quarantined, the first one kept
    dup = cleaned.quarantine[cleaned.quarantine["reason"].eq("exact_duplicate")].iloc[0]
    twin = cleaned.kept[(cleaned.kept[["customer_id", "order_date", "quantity", "amount"]]
                         == dup[["customer_id", "order_date", "quantity", "amount"]]).all(axis=1)]
    assert len(twin) == 1 and twin["line"].item() < dup["line"]


def test_rfm_on_cdnow_accounts_for_every_customer(raw, cleaned):
    res = rfm.rfm_segments(cleaned.kept, cdnow.CDNOW_AS_OF)
    acc = rfm.account_customers(raw["customer_id"], res)
    assert acc["customers"].sum() == cdnow.CDNOW_CUSTOMERS
    assert acc.loc["not scored: every row quarantined", "customers"] == 68  # their only lines were $0
    assert res.scored["recency_days"].min() == 1
    assert res.scored["frequency"].sum() == len(cleaned.kept)  # one line = one purchase in CDNOW
    s = res.summary()
    assert s["customers"].sum() == len(res.scored) and s["revenue_share"].sum() == pytest.approx(1.0)
    # everyone first bought in Q1 1997: 18 months later, nobody is New
    assert s.loc["New", "customers"] == 0
    # half the customers bought once: with shared tie scores they all get F = 1
    one_timers = res.scored["frequency"].eq(1)
    assert one_timers.mean() > 0.45 and res.scored.loc[one_timers, "f"].eq(1).all()


def _write(tmp_path, text: str):
    p = tmp_path / "cdnow.txt"
    p.write_text(text)
    return p


def test_a_bad_value_names_file_column_and_line(tmp_path):
    p = _write(tmp_path, " customer_id  date number_of_cds  dollar_value\n 00001 19970101  1 11.77\n"
                         " 00002 19970230  1 12.00\n")
    with pytest.raises(InputFileError, match=r"cdnow.txt: column 'date', line 3: cannot parse '19970230'"):
        cdnow.read_cdnow(p)
    p = _write(tmp_path, "customer_id date number_of_cds dollar_value\n1 19970101 1.5 11.77\n")
    with pytest.raises(InputFileError, match=r"column 'number_of_cds', line 2"):
        cdnow.read_cdnow(p)


def test_wrong_header_or_missing_file(tmp_path):
    p = _write(tmp_path, "id date cds value\n1 19970101 1 11.77\n")
    with pytest.raises(InputFileError, match="header must be"):
        cdnow.read_cdnow(p)
    with pytest.raises(InputFileError, match="file not found"):
        cdnow.read_cdnow(tmp_path / "missing.txt")
    p = _write(tmp_path, "customer_id date number_of_cds dollar_value\n")
    with pytest.raises(InputFileError, match="no data lines"):
        cdnow.read_cdnow(p)


def test_a_small_file_reads_and_cleans(tmp_path):
    p = _write(tmp_path, "customer_id date number_of_cds dollar_value\n1 19970101 1 11.77\n"
                         "1 19970101 1 11.77\n2 19970105 2 0.00\n3 19970106 1 -4.00\n")
    res = cdnow.load_cdnow(p)
    assert res.kept["line"].tolist() == [2]
    assert res.quarantine.set_index("line")["reason"].to_dict() == {
        3: "exact_duplicate", 4: "zero_amount", 5: "negative_amount"}

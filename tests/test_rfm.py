"""RFM: as-of metrics, tie-proof scores, a complete 125-code map, and agreement with independent computations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharma_kit import rfm
from pharma_kit.data import AS_OF, clean_transactions
from pharma_kit.errors import DataQualityError, InputFileError

SEGMENTS = {"Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention", "About to Sleep",
            "At Risk", "Can't Lose Them", "Hibernating", "Lost"}


def tx(rows: list[tuple]) -> pd.DataFrame:
    """Tiny typed feed from (order_id, customer_id, 'YYYY-MM-DD HH:MM', amount) tuples."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"]).astype("datetime64[us]")
    df["amount"] = df["amount"].astype("float64")
    return df


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return clean_transactions(30_000, seed=3)


# --------------------------------------------------------------------------- metrics
def test_metrics_by_hand():
    df = tx([
        (1, 10, "2025-06-29 18:00", 5.0),   # order 1 has three lines: one order
        (1, 10, "2025-06-29 18:00", 7.5),
        (1, 10, "2025-06-29 18:00", 2.5),
        (2, 10, "2025-06-01 09:00", 10.0),
        (3, 20, "2025-05-31 23:59", 4.0),
    ])
    m = rfm.rfm_metrics(df, "2025-06-30")
    assert list(m.index) == [10, 20]
    assert m.loc[10, "frequency"] == 2  # not 4 rows
    assert m.loc[10, "recency_days"] == 1  # bought yesterday
    assert m.loc[20, "recency_days"] == 30  # the time of day does not matter
    assert m.loc[10, "revenue"] == pytest.approx(25.0)
    assert m.loc[10, "monetary"] == pytest.approx(25.0)
    per_order = rfm.rfm_metrics(df, "2025-06-30", monetary="mean_order")
    assert per_order.loc[10, "monetary"] == pytest.approx(12.5)
    assert per_order.loc[10, "revenue"] == pytest.approx(25.0)


def test_frequency_counts_orders_not_rows(synth):
    m = rfm.rfm_metrics(synth, AS_OF)
    expected = synth.groupby("customer_id")["order_id"].nunique()
    rows = synth.groupby("customer_id").size()
    pd.testing.assert_series_equal(m["frequency"], expected.astype("int64"), check_names=False)
    assert (rows > expected).any(), "the generator has multi-line orders, so rows must differ from orders"


def test_metrics_match_a_naive_groupby(synth):
    m = rfm.rfm_metrics(synth, AS_OF)
    last = synth.groupby("customer_id")["order_date"].max()
    rec = (AS_OF - last.dt.normalize()).dt.days
    assert m["recency_days"].astype("int64").equals(rec.astype("int64").rename("recency_days"))
    np.testing.assert_allclose(m["monetary"], synth.groupby("customer_id")["amount"].sum(), rtol=1e-12)


def test_float_noise_cannot_break_a_money_tie():
    df = tx([(1, 10, "2025-06-01 10:00", 0.1), (2, 10, "2025-06-02 10:00", 0.2),  # 0.1 + 0.2 != 0.3 in floats
             (3, 20, "2025-06-01 10:00", 0.3), (4, 20, "2025-06-02 10:00", 0.0)])
    m = rfm.rfm_metrics(df, AS_OF)
    assert m.loc[10, "monetary"] == m.loc[20, "monetary"] == 0.3
    assert rfm.quintile_scores(m["monetary"]).nunique() == 1


def test_as_of_is_explicit_and_shifts_recency_exactly(synth):
    with pytest.raises(ValueError, match="as_of is required"):
        rfm.rfm_metrics(synth, None)
    a = rfm.rfm_metrics(synth, AS_OF)
    b = rfm.rfm_metrics(synth, AS_OF + pd.Timedelta(days=10))
    assert (b["recency_days"] - a["recency_days"]).eq(10).all()
    assert a[["frequency", "monetary"]].equals(b[["frequency", "monetary"]])
    with pytest.raises(ValueError, match="midnight"):
        rfm.rfm_metrics(synth, "2025-06-30 12:00")


def test_rows_on_or_after_as_of_are_refused(synth):
    with pytest.raises(DataQualityError, match=r"on or after as_of=2025-01-01.*'order_date'"):
        rfm.rfm_metrics(synth, "2025-01-01")


@pytest.mark.parametrize("mutate, pattern", [
    (lambda d: d.drop(columns="order_id"), r"missing column\(s\) \['order_id'\]"),
    (lambda d: d.assign(order_date=d["order_date"].astype("str")), "'order_date' must be datetime64"),
    (lambda d: d.assign(amount=d["amount"].astype("str")), "'amount' must be numeric"),
    (lambda d: d.assign(amount=d["amount"].where(d.index != 3)), r"'amount' has 1 null\(s\), first at row 3"),
])
def test_bad_input_names_the_column(synth, mutate, pattern):
    with pytest.raises(DataQualityError, match=pattern):
        rfm.rfm_metrics(mutate(synth.head(50).copy()), AS_OF)


def test_an_order_with_two_customers_is_an_error():
    df = tx([(1, 10, "2025-06-01 10:00", 5.0), (1, 11, "2025-06-01 10:00", 5.0)])
    with pytest.raises(DataQualityError, match="order 1 .* more than one customer"):
        rfm.rfm_metrics(df, AS_OF)


def test_returns_and_zero_spend_are_set_aside_with_reasons():
    df = tx([
        (1, 10, "2025-06-01 10:00", 20.0), (2, 10, "2025-06-20 10:00", -5.0),   # net 15, the return is no order
        (3, 11, "2025-06-02 10:00", 8.0), (4, 11, "2025-06-03 10:00", -8.0),    # returned everything
        (5, 12, "2025-06-04 10:00", -3.0),                                      # only a return
        (6, 13, "2025-06-05 10:00", 0.0),                                       # only a $0 line
        (7, 14, "2025-05-01 10:00", 9.0),
    ])
    m = rfm.rfm_metrics(df, AS_OF)
    assert m.loc[10, "frequency"] == 1 and m.loc[10, "revenue"] == pytest.approx(15.0)
    assert m.loc[10, "recency_days"] == 29  # the later return does not refresh recency
    assert pd.isna(m.loc[12, "recency_days"]) and m.loc[12, "frequency"] == 0
    res = rfm.rfm_segments(df, AS_OF)
    assert sorted(res.scored.index) == [10, 14]
    assert res.unscored["reason"].to_dict() == {
        11: rfm.NOT_SCORED_NO_NET_SPEND, 12: rfm.NOT_SCORED_NO_PURCHASE, 13: rfm.NOT_SCORED_NO_PURCHASE}
    acc = rfm.account_customers(df["customer_id"], res)
    assert acc["customers"].sum() == 5 and acc.loc["scored", "customers"] == 2
    with pytest.raises(DataQualityError, match="without purchases"):
        rfm.score_rfm(m)


# --------------------------------------------------------------------------- scores
HEAVY_TIES = [
    pd.Series([7.0] * 40, name="x"),                                         # everyone equal
    pd.Series([1.0] * 60 + [2.0] * 25 + [3.0] * 10 + [9.0] * 5, name="x"),   # real frequency shape
    pd.Series([0.0] * 99 + [1.0], name="x"),
    pd.Series([3.0, 3.0], name="x"),                                         # fewer values than scores
]


@pytest.mark.parametrize("values", HEAVY_TIES)
def test_qcut_fails_on_these_ties_but_scores_do_not(values):
    if values.nunique() < len(values):
        with pytest.raises(ValueError, match="Bin edges must be unique"):
            pd.qcut(values, 5, labels=[1, 2, 3, 4, 5])
    for ties in ("min", "first"):
        for reverse in (False, True):
            s = rfm.quintile_scores(values, ties=ties, reverse=reverse)
            assert s.between(1, 5).all() and s.index.equals(values.index)
    shared = rfm.quintile_scores(values, ties="min")
    assert shared.groupby(values).nunique().eq(1).all(), "equal values must share a score"


def test_min_ties_give_the_block_the_bucket_where_it_starts():
    values = pd.Series([1.0] * 60 + [2.0] * 25 + [3.0] * 10 + [9.0] * 5)
    s = rfm.quintile_scores(values, ties="min")
    assert s.groupby(values).first().to_dict() == {1.0: 1, 2.0: 4, 3.0: 5, 9.0: 5}
    r = rfm.quintile_scores(values, ties="min", reverse=True)  # low value = best
    assert r.groupby(values).first().to_dict() == {1.0: 3, 2.0: 1, 3.0: 1, 9.0: 1}


def test_first_ties_give_exact_ntile_sizes_and_match_duckdb():
    duckdb = pytest.importorskip("duckdb")
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"customer_id": np.arange(1003), "v": rng.integers(0, 6, 1003).astype("float64")})
    s = rfm.quintile_scores(df["v"], ties="first")
    assert s.value_counts().sort_index().tolist() == [201, 201, 201, 200, 200]
    sql = duckdb.sql("SELECT NTILE(5) OVER (ORDER BY v, customer_id) AS a, "
                     "NTILE(5) OVER (ORDER BY v DESC, customer_id) AS b FROM df ORDER BY customer_id").df()
    assert (sql["a"].to_numpy() == s.to_numpy()).all()
    assert (sql["b"].to_numpy() == rfm.quintile_scores(df["v"], ties="first", reverse=True).to_numpy()).all()


def test_without_ties_both_rules_agree_and_are_monotone():
    v = pd.Series(np.random.default_rng(1).permutation(137).astype("float64"))
    a, b = rfm.quintile_scores(v, ties="min"), rfm.quintile_scores(v, ties="first")
    assert a.equals(b)
    assert a[v.sort_values().index].is_monotonic_increasing


def test_scores_refuse_nulls_and_unknown_rules():
    with pytest.raises(DataQualityError, match="null"):
        rfm.quintile_scores(pd.Series([1.0, None]))
    with pytest.raises(ValueError, match="ties must be"):
        rfm.quintile_scores(pd.Series([1.0]), ties="dense")


@pytest.mark.parametrize("ties", ["min", "first"])
def test_shuffled_input_gives_identical_segments(synth, ties):
    a = rfm.rfm_segments(synth, AS_OF, ties=ties).scored
    shuffled = synth.sample(frac=1.0, random_state=11).reset_index(drop=True)
    b = rfm.rfm_segments(shuffled, AS_OF, ties=ties).scored
    pd.testing.assert_frame_equal(a, b)


def test_recent_customers_score_high_on_r(synth):
    s = rfm.rfm_segments(synth, AS_OF).scored
    by_r = s.groupby("r")["recency_days"].agg(["min", "max"])
    assert (by_r["max"].iloc[1:].to_numpy() <= by_r["min"].iloc[:-1].to_numpy()).all()
    assert s.loc[s["recency_days"].idxmin(), "r"] == 5


# --------------------------------------------------------------------------- segment map
def test_the_shipped_map_covers_all_125_codes_with_11_names():
    sm = rfm.load_segment_map()
    codes = {f"{r}{f}{m}" for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert len(sm.table) == 125 and set(sm.table["code"]) == codes
    assert set(sm.names) == SEGMENTS and sm.names[0] == "Champions" and sm.names[-1] == "Lost"
    lookup = sm.table.set_index("code")["segment"]
    assert lookup["555"] == "Champions" and lookup["111"] == "Lost" and lookup["155"] == "Can't Lose Them"
    assert lookup["511"] == "New" and lookup["515"] == "New"  # one order is one order, however big
    assert lookup["333"] == "Need Attention" and lookup["211"] == "Hibernating"


def test_every_code_gets_a_segment_through_assign():
    grid = pd.DataFrame([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
                        columns=["r", "f", "m"])
    out = rfm.assign_segments(grid)
    assert out["segment"].notna().all() and out["code"].is_unique
    assert out.loc[out["code"].eq("545"), "segment"].item() == "Champions"


def _write_map(tmp_path, rows: pd.DataFrame):
    p = tmp_path / "map.csv"
    rows.to_csv(p, index=False)
    return p


def test_an_incomplete_map_is_refused(tmp_path):
    notes_map = {"555": "Champions", "554": "Champions", "544": "Champions", "545": "Champions",
                 "543": "Loyal", "444": "Loyal", "435": "Loyal", "355": "Potential Loyalist",
                 "354": "Potential Loyalist", "345": "Potential Loyalist", "111": "Lost", "112": "Lost",
                 "121": "Lost"}
    rows = pd.DataFrame({"code": list(notes_map), "segment": list(notes_map.values())})
    rows["r"], rows["f"], rows["m"] = (rows["code"].str[i].astype("int64") for i in range(3))
    rows["segment_rank"] = rows["segment"].map({"Champions": 1, "Loyal": 2, "Potential Loyalist": 3, "Lost": 11})
    with pytest.raises(InputFileError, match=r"112 of 125 codes have no segment, e.g. \['113'"):
        rfm.load_segment_map(_write_map(tmp_path, rows))


@pytest.mark.parametrize("edit, pattern", [
    (lambda t: pd.concat([t, t.head(1)]), "appears more than once"),
    (lambda t: t.assign(code=t["code"].where(t.index != 5, "999")), "does not match r, f, m"),
    (lambda t: t.assign(segment_rank=t["segment_rank"].where(t.index != 0, 99)), "more than one segment_rank"),
    (lambda t: t.assign(r=t["r"].where(t.index != 2, 6)), "must be 1..5"),
])
def test_a_broken_map_is_refused(tmp_path, edit, pattern):
    table = rfm.load_segment_map().table
    with pytest.raises(InputFileError, match=pattern):
        rfm.load_segment_map(_write_map(tmp_path, edit(table)))
    with pytest.raises(InputFileError, match="not found"):
        rfm.load_segment_map(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- summary, chart, pipeline
def test_summary_is_complete_and_adds_up(synth):
    res = rfm.rfm_segments(synth, AS_OF)
    s = res.summary()
    assert list(s.index) == list(res.seg_map.names)
    assert s["customers"].sum() == len(res.scored) == res.n_customers
    assert s["share"].sum() == pytest.approx(1.0) and s["revenue_share"].sum() == pytest.approx(1.0)
    assert s["revenue"].sum() == pytest.approx(synth["amount"].sum())
    champions, lost = s.loc["Champions"], s.loc["Lost"]
    assert champions["recency_days"] < lost["recency_days"] and champions["frequency"] > lost["frequency"]
    assert list(s.columns) == ["customers", "share", "recency_days", "frequency", "monetary", "revenue",
                               "revenue_share"]


def test_plot_segments_draws_two_bars_per_segment(synth):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = rfm.rfm_segments(synth, AS_OF).summary()
    ax = rfm.plot_segments(s)
    assert len(ax.patches) == 2 * len(s)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(s.index)
    plt.close(ax.figure)


def test_metrics_do_not_depend_on_row_order():
    """Sorted order ids take a hash-free path; shuffled rows take pd.factorize: both must agree exactly."""
    from pharma_kit.data import AS_OF, clean_transactions

    tx = clean_transactions(5_000, seed=3)
    shuffled = tx.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(rfm.rfm_metrics(tx, AS_OF), rfm.rfm_metrics(shuffled, AS_OF))
    assert rfm._order_codes(tx["order_id"].to_numpy())[1].tolist() == pd.unique(tx["order_id"]).tolist()


# --------------------------------------------------------------------------- issue 16 §4: edges, on data made here
def _random_feed(seed: int, n_rows: int = 400, n_customers: int = 60) -> pd.DataFrame:
    """Plain numpy/pandas, no pharma_kit: lines of orders over 90 days, amounts in cents."""
    rng = np.random.default_rng(seed)
    order = np.sort(rng.integers(1, n_rows // 2, n_rows))
    owner = rng.integers(1, n_customers + 1, order.max() + 1)
    when = pd.Timestamp("2025-04-01") + pd.to_timedelta(rng.integers(0, 90 * 86_400, order.max() + 1), unit="s")
    return pd.DataFrame({"order_id": order, "customer_id": owner[order],
                         "order_date": pd.Series(when[order]).astype("datetime64[us]").to_numpy(),
                         "amount": rng.integers(100, 9_000, n_rows) / 100.0})


def test_tz_aware_dates_are_cut_in_the_datas_own_calendar():
    zone = "America/New_York"
    df = tx([(1, 10, "2025-06-29 23:30", 5.0), (2, 20, "2025-06-28 00:15", 3.0)])
    df["order_date"] = df["order_date"].dt.tz_localize(zone)
    m = rfm.rfm_metrics(df, pd.Timestamp("2025-06-30", tz=zone))
    assert m["recency_days"].tolist() == [1, 2]  # 23:30 in New York is 03:30 the next UTC day: still 1 day ago
    # the same instants stored in UTC, as_of given in New York: the data's calendar is now UTC
    utc = df.assign(order_date=df["order_date"].dt.tz_convert("UTC"))
    with pytest.raises(ValueError, match="midnight.*zone"):
        rfm.rfm_metrics(utc, pd.Timestamp("2025-06-30", tz=zone))
    assert rfm.rfm_metrics(utc, pd.Timestamp("2025-07-01", tz="UTC"))["recency_days"].tolist() == [1, 3]
    # an independent oracle on random data: local calendar days by hand
    feed = _random_feed(7)
    aware = feed.assign(order_date=feed["order_date"].dt.tz_localize("UTC").dt.tz_convert(zone))
    as_of = pd.Timestamp("2025-07-01", tz=zone)
    got = rfm.rfm_metrics(aware, as_of)["recency_days"].astype("int64")
    local_day = aware["order_date"].dt.tz_localize(None).dt.normalize()
    want = (pd.Timestamp("2025-07-01") - local_day.groupby(aware["customer_id"]).max()).dt.days
    pd.testing.assert_series_equal(got, want.sort_index().astype("int64"), check_names=False)


def test_mixing_naive_and_aware_dates_is_a_clear_error():
    df = tx([(1, 10, "2025-06-29 23:30", 5.0)])
    aware = df.assign(order_date=df["order_date"].dt.tz_localize("Europe/Berlin"))
    with pytest.raises(DataQualityError, match=r"time-zone aware \(Europe/Berlin\).*as_of.*naive.*tz='Europe/Berlin'"):
        rfm.rfm_metrics(aware, "2025-06-30")
    with pytest.raises(DataQualityError, match="as_of=.*aware but column 'order_date' is naive"):
        rfm.rfm_metrics(df, pd.Timestamp("2025-06-30", tz="UTC"))
    with pytest.raises(DataQualityError, match="on or after as_of"):
        rfm.rfm_metrics(aware, pd.Timestamp("2025-06-29", tz="Europe/Berlin"))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_non_finite_amounts_are_refused_like_nulls(bad):
    feed = _random_feed(8)
    feed.loc[17, "amount"] = bad
    with pytest.raises(DataQualityError, match=r"'amount' has 1 non-finite value\(s\).*first at row 17"):
        rfm.rfm_metrics(feed, "2025-07-01")
    with pytest.raises(DataQualityError, match="non-finite"):
        rfm.rfm_segments(feed, "2025-07-01")
    rfm.rfm_segments(feed.drop(index=17), "2025-07-01")  # quarantined, the rest scores


def test_too_few_customers_or_full_ties_are_said_in_the_result():
    one = tx([(1, 10, "2025-06-29 12:00", 50.0)])
    res = rfm.rfm_segments(one, "2025-06-30")
    assert res.scored[["r", "f", "m"]].iloc[0].tolist() == [1, 1, 1]  # the arithmetic: NTILE over one row
    assert len(res.notes) == 1 and "only 1 customer scored" in res.notes[0]
    rng = np.random.default_rng(9)
    for n in (2, 3, 4):
        feed = tx([(i, i, f"2025-06-{int(rng.integers(1, 29)):02d} 10:00", float(rng.integers(1, 99)))
                   for i in range(1, n + 1)])
        r = rfm.rfm_segments(feed, "2025-06-30")
        assert any("fewer than 5" in note for note in r.notes)
        assert r.scored[["r", "f", "m"]].to_numpy().max() <= n
    # every customer identical: frequency 1 and $20 each, bought the same day
    same = tx([(i, i, "2025-06-20 10:00", 20.0) for i in range(1, 31)])
    r = rfm.rfm_segments(same, "2025-06-30")
    assert (r.scored[["r", "f", "m"]] == 1).all().all()
    assert len(r.notes) == 3 and all("carries no information" in note for note in r.notes)
    assert rfm.rfm_segments(_random_feed(10), "2025-07-01").notes == ()


def test_mean_order_rounds_money_to_cents_before_ranking():
    df = tx([(1, 10, "2025-06-01 10:00", 0.10), (2, 10, "2025-06-02 10:00", 0.10), (3, 10, "2025-06-03 10:00", 0.10),
             (4, 20, "2025-06-04 10:00", 0.10)] + [(5 + i, 30 + i, "2025-06-05 10:00", 5.0 + i) for i in range(8)])
    m = rfm.rfm_metrics(df, "2025-06-30", monetary="mean_order")
    assert 0.30 / 3 != 0.10 and m.loc[10, "monetary"] == m.loc[20, "monetary"] == 0.10
    s = rfm.score_rfm(m)
    assert s.loc[10, "m"] == s.loc[20, "m"]
    # random data: monetary is cents, and equals round(revenue / frequency, 2) computed independently
    feed = _random_feed(11)
    m = rfm.rfm_metrics(feed, "2025-07-01", monetary="mean_order")
    g = feed.groupby("customer_id")
    want = (g["amount"].sum().round(2) / g["order_id"].nunique()).round(2)
    np.testing.assert_array_equal(m["monetary"].to_numpy(), want.sort_index().to_numpy())

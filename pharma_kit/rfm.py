"""RFM customer segmentation that is reproducible, tie-proof and complete.

- **Metrics** (:func:`rfm_metrics`) are computed against an explicit ``as_of`` date, never the clock.
  Recency is whole days from the customer's last purchase day to ``as_of`` (bought yesterday = 1).
  Frequency counts *distinct orders*, not transaction lines. ``revenue`` is the customer's net spend
  (purchases minus returns), rounded to cents so that the row order cannot nudge a sum and break a
  tie; ``monetary`` is either that total (``monetary="total"``, the default: it ranks customers by
  what they are worth) or the average net spend per order (``monetary="mean_order"``: basket size,
  independent of frequency).
- **Returns and zero spend**: a line with ``amount > 0`` is a purchase, ``amount < 0`` a return,
  ``amount == 0`` neither. Recency and frequency use purchase lines only; revenue nets returns in.
  Customers with no purchase line, or whose net spend is not positive, are not scored (they would
  distort the quintiles); :func:`rfm_segments` returns them in ``unscored`` with a reason, so every
  customer is accounted for.
- **Scores** (:func:`quintile_scores`) are 1-5 by quintiles and never fail on ties. Both tie rules
  are SQL's ``NTILE(5)`` bucket of a position: ``ties="first"`` ranks tied values by customer id
  (exact quintile sizes, matches ``NTILE(5) OVER (ORDER BY value, customer_id)``); ``ties="min"``
  (the default) gives a whole tied block the bucket of its first position, so identical customers
  always share a score (bins can be uneven; with heavy ties some scores are unused). Recency is
  reversed: the most recent customers score 5.
- **Segments** come from a data file (``pharma_kit/resources/rfm_segments.csv``, shipped as package data) that maps all 125 codes to one
  of 11 names; :func:`load_segment_map` refuses a map that misses a code.

Everything is vectorised: a handful of group-bys and array look-ups, no per-customer Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from pharma_kit.errors import DataQualityError, InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

#: The shipped 125-code segment map.
SEGMENT_MAP_PATH = Path(__file__).resolve().parent / "resources" / "rfm_segments.csv"
#: Scores run 1..N_SCORES (quintiles).
N_SCORES = 5
NOT_SCORED_NO_PURCHASE = "no purchase line (only returns or $0 lines)"
NOT_SCORED_NO_NET_SPEND = "net spend <= 0 (returns cancel the purchases)"

Ties = Literal["min", "first"]
Monetary = Literal["total", "mean_order"]
METRIC_COLUMNS = ["recency_days", "frequency", "revenue", "monetary"]


# --------------------------------------------------------------------------- metrics
def _show(value: object) -> str:
    """A value as the user would type it (``7``, not ``np.int64(7)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_columns(tx: pd.DataFrame, customer: str, order: str, date: str, amount: str) -> None:
    """Fail early, naming the column and first bad row, instead of a pandas traceback later."""
    missing = [c for c in (customer, order, date, amount) if c not in tx.columns]
    if missing:
        raise DataQualityError(f"rfm: missing column(s) {missing}; the frame has {list(tx.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(tx[date]):
        raise DataQualityError(f"rfm: column {date!r} must be datetime64, got {tx[date].dtype}; parse it first")
    if not pd.api.types.is_numeric_dtype(tx[amount]) or pd.api.types.is_bool_dtype(tx[amount]):
        raise DataQualityError(f"rfm: column {amount!r} must be numeric, got {tx[amount].dtype}; clean it first")
    for col in (customer, order, date, amount):
        nulls = tx[col].isna().to_numpy()
        if nulls.any():
            first = tx.index[int(np.argmax(nulls))]
            raise DataQualityError(f"rfm: column {col!r} has {int(nulls.sum())} null(s), first at row {_show(first)}; "
                                   "quarantine them before scoring")
    # inf is not money: +inf would be scored as infinite revenue, -inf would silently cancel every purchase
    amt = tx[amount].to_numpy()
    if amt.dtype.kind == "f":
        bad = ~np.isfinite(amt)
        if bad.any():
            first = tx.index[int(np.argmax(bad))]
            raise DataQualityError(f"rfm: column {amount!r} has {int(bad.sum())} non-finite value(s) (inf or -inf), "
                                   f"first at row {_show(first)}: {_show(amt[bad][0])}; quarantine them before scoring")


def _local_calendar(dates: pd.Series, as_of: pd.Timestamp, date: str) -> tuple[pd.Series, pd.Timestamp]:
    """Dates and ``as_of`` on one naive wall clock: an aware column is read in its own zone (its calendar days)."""
    tz = dates.dt.tz if isinstance(dates.dtype, pd.DatetimeTZDtype) else None
    if tz is None:
        if as_of.tz is not None:
            raise DataQualityError(f"rfm: as_of={as_of} is time-zone aware but column {date!r} is naive; pass a naive "
                                   f"as_of such as pd.Timestamp({str(as_of.date())!r}) on the data's own clock")
        return dates, as_of
    if as_of.tz is None:
        raise DataQualityError(f"rfm: column {date!r} is time-zone aware ({tz}) but as_of={as_of.date()} is naive; "
                               f"say which calendar day ends the history: as_of=pd.Timestamp({str(as_of.date())!r}, "
                               f"tz={str(tz)!r})")
    # days are cut in the data's own zone: 23:30 in New York is that New York day, not the next UTC day
    return dates.dt.tz_localize(None), as_of.tz_convert(tz).tz_localize(None)


def _check_input(tx: pd.DataFrame, dates: pd.Series, as_of: pd.Timestamp, date: str) -> None:
    """No row on or after ``as_of`` (both on the same wall clock)."""
    late = (dates >= as_of).to_numpy()
    if late.any():
        first = tx.index[int(np.argmax(late))]
        raise DataQualityError(f"rfm: {int(late.sum())} row(s) dated on or after as_of={as_of.date()} in column "
                               f"{date!r}, first at row {_show(first)}; pick a later as_of or filter them out")


def _order_codes(orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes for order ids. Feeds usually arrive in order-id order: then an order is a run of equal ids
    and a cumulative sum of "id changed" gives the codes with no hashing; otherwise ``pd.factorize``."""
    if orders.dtype.kind in "iu" and len(orders) > 1 and bool((orders[1:] >= orders[:-1]).all()):
        new = np.empty(len(orders), dtype=bool)
        new[0] = True
        np.not_equal(orders[1:], orders[:-1], out=new[1:])
        return np.cumsum(new) - 1, orders[new]
    return pd.factorize(orders, sort=False)


def rfm_metrics(tx: pd.DataFrame, as_of: pd.Timestamp | str, *, monetary: Monetary = "total",
                customer: str = "customer_id", order: str = "order_id", date: str = "order_date",
                amount: str = "amount") -> pd.DataFrame:
    """Recency (days), frequency (distinct orders), revenue (net) and monetary per customer, as of ``as_of``.

    Indexed by customer id (sorted). Customers with no purchase line get frequency 0 and a null recency.
    """
    if monetary not in ("total", "mean_order"):
        raise ValueError(f"monetary must be 'total' or 'mean_order', got {monetary!r}")
    if as_of is None:
        raise ValueError("as_of is required: RFM is always 'as of' a date (never now())")
    as_of = pd.Timestamp(as_of)
    _check_columns(tx, customer, order, date, amount)
    dates, as_of_local = _local_calendar(tx[date], as_of, date)
    if as_of_local != as_of_local.normalize():
        where = f" in the data's zone ({tx[date].dt.tz})" if as_of.tz is not None else ""
        raise ValueError(f"as_of must be a date (midnight){where}, got {as_of}")
    as_of = as_of_local
    _check_input(tx, dates, as_of, date)

    # one hash pass per key column, then plain array arithmetic on dense codes (no per-customer Python)
    cust, cust_ids = pd.factorize(tx[customer].to_numpy(), sort=False)
    n_cust = len(cust_ids)
    amt = tx[amount].to_numpy(dtype="float64")
    # money: round sums to cents, so the summation order (row order) cannot nudge a value and break a tie
    revenue = np.round(np.bincount(cust, weights=amt, minlength=n_cust), 2)
    buy = amt > 0
    if not buy.all():
        cust_b, orders_b, dates_b = cust[buy], tx[order].to_numpy()[buy], dates.to_numpy()[buy]
    else:
        cust_b, orders_b, dates_b = cust, tx[order].to_numpy(), dates.to_numpy()
    # frequency: each distinct order counts once, however many lines it has; an order has one customer
    order_code, order_ids = _order_codes(orders_b)
    owner = np.empty(len(order_ids), dtype="int64")
    owner[order_code] = cust_b
    clash = owner[order_code] != cust_b
    if clash.any():
        i = int(np.argmax(clash))
        raise DataQualityError(f"rfm: order {_show(order_ids[order_code[i]])} in column {order!r} belongs to more than one "
                               f"customer (e.g. {_show(cust_ids[cust_b[i]])} and {_show(cust_ids[owner[order_code[i]]])})")
    frequency = np.bincount(owner, minlength=n_cust)
    # recency: whole days from the last purchase day to as_of
    us = dates_b.astype("datetime64[us]").view("int64")
    last = np.full(n_cust, np.iinfo(np.int64).min, dtype="int64")
    np.maximum.at(last, cust_b, us)
    day_us = 86_400_000_000
    as_of_day = np.datetime64(as_of, "us").astype("int64") // day_us
    recency = pd.array(as_of_day - last // day_us, dtype="Int64")
    recency[frequency == 0] = pd.NA

    order_by_id = np.argsort(cust_ids, kind="stable")
    out = pd.DataFrame({
        "recency_days": recency[order_by_id],
        "frequency": frequency[order_by_id].astype("int64"),
        "revenue": revenue[order_by_id],
    }, index=pd.Index(cust_ids[order_by_id], name=customer))
    if monetary == "total":
        out["monetary"] = out["revenue"]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            per = out["revenue"].to_numpy() / out["frequency"].to_numpy()
        # money again: $0.30 over 3 orders is $0.10 an order, exactly like $0.10 over 1 (float division gives
        # 0.09999999999999999, a lower rank under ties="min"); round to cents before anything ranks it
        out["monetary"] = np.where(out["frequency"].to_numpy() > 0, np.round(per, 2), np.nan)
    return out


# --------------------------------------------------------------------------- scores
def ntile(pos0: np.ndarray, n_rows: int, n: int = N_SCORES) -> np.ndarray:
    """SQL NTILE(n) bucket (1..n) of 0-based positions among ``n_rows``: the first ``n_rows % n`` buckets get one extra."""
    pos0 = np.asarray(pos0, dtype="int64")
    q, rem = divmod(int(n_rows), n)
    big = rem * (q + 1)
    return np.where(pos0 < big, pos0 // (q + 1), rem + (pos0 - big) // max(q, 1)) + 1


def quintile_scores(values: pd.Series, *, reverse: bool = False, ties: Ties = "min", n: int = N_SCORES) -> pd.Series:
    """Score ``values`` 1..n by quantile buckets (5 = highest, or lowest with ``reverse``); never fails on ties.

    ``ties="first"``: tied values are ordered by their position (sort by customer id first), so the
    buckets have exact sizes, like ``NTILE(n) OVER (ORDER BY value, id)``. ``ties="min"``: a tied block
    takes the bucket of its first position, so equal values always share a score.
    """
    if ties not in ("min", "first"):
        raise ValueError(f"ties must be 'min' or 'first', got {ties!r}")
    if values.isna().any():
        raise DataQualityError(f"quintile_scores: {int(values.isna().sum())} null value(s) in {values.name!r}")
    x = values.astype("float64")
    if reverse:
        x = -x
    pos0 = x.rank(method="min" if ties == "min" else "first").to_numpy().astype("int64") - 1
    return pd.Series(ntile(pos0, len(x), n).astype("int8"), index=values.index, name=values.name)


def score_rfm(metrics: pd.DataFrame, *, ties: Ties = "min") -> pd.DataFrame:
    """Add r, f, m scores (1-5, recency reversed) to scoreable metrics; rows are ordered by customer id first."""
    bad = metrics["frequency"].le(0) | metrics["monetary"].isna() | metrics["revenue"].le(0)
    if bad.any():
        raise DataQualityError(f"score_rfm: {int(bad.sum())} customer(s) without purchases or net spend, first "
                               f"{_show(metrics.index[bad.to_numpy()][0])}; use rfm_segments() to set them aside")
    out = metrics.sort_index()
    out["r"] = quintile_scores(out["recency_days"], reverse=True, ties=ties)
    out["f"] = quintile_scores(out["frequency"], ties=ties)
    out["m"] = quintile_scores(out["monetary"], ties=ties)
    return out


_DIMENSIONS = (("r", "recency_days"), ("f", "frequency"), ("m", "monetary"))


def score_notes(scored: pd.DataFrame, ties: Ties = "min") -> tuple[str, ...]:
    """Plain-language notes on scores that are not quintile positions: too few customers, or a fully tied column.

    With fewer than 5 customers there are no quintiles: NTILE(5) over n rows uses buckets 1..n, so a lone
    customer scores 1 on everything (a "Lost" customer who bought yesterday). With every value tied,
    ``ties="min"`` gives everyone 1 and ``ties="first"`` spreads them by customer id alone. Neither is wrong
    arithmetic, but neither says anything about the customer, so the result says so.
    """
    n = len(scored)
    notes: list[str] = []
    if n == 1:
        notes.append(f"only 1 customer scored, fewer than {N_SCORES}: there are no quintiles, and a lone customer "
                     "scores 1 on r, f and m whatever they did; do not read the segment as a position in a customer base")
    elif 1 < n < N_SCORES:
        notes.append(f"only {n} customers scored, fewer than {N_SCORES}: there are no quintiles, scores are ranks "
                     f"1..{n} among these customers; do not read the segments as positions in a customer base")
    if n >= 2:
        for score, col in _DIMENSIONS:
            values = scored[col].to_numpy()
            if (values == values[0]).all():
                how = ("all score 1" if ties == "min" else "scores follow customer id order only")
                notes.append(f"every customer has the same {col} ({_show(values[0])}): {score} carries no "
                             f"information (ties={ties!r}: {how})")
    return tuple(notes)


# --------------------------------------------------------------------------- segments
@dataclass(frozen=True)
class SegmentMap:
    """The 125-code map as arrays: ``segment_of[100*r + 10*f + m]`` is a segment number, ``names`` best to worst."""

    table: pd.DataFrame
    names: tuple[str, ...]
    segment_of: np.ndarray = field(repr=False)


def load_segment_map(path: str | Path | None = None) -> SegmentMap:
    """Read and validate the segment map file (``#`` lines are comments); see :func:`segment_map_from_table`."""
    path = Path(path) if path is not None else SEGMENT_MAP_PATH
    if not path.is_file():
        raise InputFileError(f"{path}: segment map file not found")
    table = pd.read_csv(path, comment="#", dtype={"code": "str", "segment": "str"})
    return segment_map_from_table(table, source=str(path))


def segment_map_from_table(table: pd.DataFrame, source: str = "segment map") -> SegmentMap:
    """Validate a code -> segment table: all 125 codes present once, r/f/m match the code, one rank per name."""
    need = ["code", "r", "f", "m", "segment", "segment_rank"]
    if [c for c in need if c not in table.columns]:
        raise InputFileError(f"{source}: columns must include {need}, got {list(table.columns)}")
    table = table.reset_index(drop=True)
    for c in ("r", "f", "m"):
        if not table[c].between(1, N_SCORES).all():
            bad = table.index[~table[c].between(1, N_SCORES)][0]
            raise InputFileError(f"{source}: column {c!r} must be 1..{N_SCORES}, data row {bad + 1} has "
                                 f"{_show(table[c][bad])}")
    code_txt = table["r"].astype("str") + table["f"].astype("str") + table["m"].astype("str")
    if not code_txt.eq(table["code"].astype("str")).all():
        bad = int(np.flatnonzero(~code_txt.eq(table["code"].astype("str")).to_numpy())[0])
        raise InputFileError(f"{source}: data row {bad + 1}: code {table['code'][bad]!r} does not match r, f, m")
    dup = table["code"].duplicated()
    if dup.any():
        raise InputFileError(f"{source}: code {table['code'][dup].iloc[0]!r} appears more than once")
    every = {f"{r}{f}{m}" for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    missing = sorted(every - set(table["code"]))
    if missing:
        raise InputFileError(f"{source}: {len(missing)} of 125 codes have no segment, e.g. {missing[:5]}")
    if table["segment"].isna().any() or table["segment"].astype("str").str.strip().eq("").any():
        raise InputFileError(f"{source}: every code needs a non-empty segment name")
    ranks = table.groupby("segment")["segment_rank"].nunique()
    if ranks.gt(1).any():
        raise InputFileError(f"{source}: segment {ranks.index[ranks.gt(1)][0]!r} has more than one segment_rank")
    order = table.drop_duplicates("segment").sort_values(["segment_rank", "segment"])["segment"]
    names = tuple(str(n) for n in order)
    number = {s: i for i, s in enumerate(names)}
    segment_of = np.full(1000, -1, dtype="int64")
    segment_of[(table["r"] * 100 + table["f"] * 10 + table["m"]).to_numpy()] = table["segment"].map(number).to_numpy()
    return SegmentMap(table=table, names=names, segment_of=segment_of)


def assign_segments(scored: pd.DataFrame, seg_map: SegmentMap | None = None) -> pd.DataFrame:
    """Add ``code`` (e.g. "545") and ``segment`` (categorical, best to worst) by array look-up."""
    seg_map = seg_map or load_segment_map()
    out = scored.copy()
    code_num = out["r"].to_numpy().astype("int64") * 100 + out["f"].to_numpy() * 10 + out["m"].to_numpy()
    seg = seg_map.segment_of[code_num]
    if (seg < 0).any():  # pragma: no cover - load_segment_map guarantees coverage
        raise DataQualityError(f"assign_segments: code {int(code_num[seg < 0][0])} has no segment")
    code_names = np.array([f"{c:03d}" for c in range(1000)], dtype=object)
    out["code"] = pd.Series(code_names[code_num], index=out.index, dtype="str")
    out["segment"] = pd.Categorical.from_codes(seg, categories=list(seg_map.names), ordered=True)
    return out


def segment_summary(segmented: pd.DataFrame, seg_map: SegmentMap | None = None) -> pd.DataFrame:
    """Per segment, best to worst (empty ones too): customers, share, mean recency/frequency/monetary, revenue share."""
    g = segmented.groupby("segment", observed=False)
    out = pd.DataFrame({
        "customers": g.size().astype("int64"),
        "recency_days": g["recency_days"].mean().astype("float64"),
        "frequency": g["frequency"].mean(),
        "monetary": g["monetary"].mean(),
        "revenue": g["revenue"].sum(),
    })
    total_c, total_r = out["customers"].sum(), out["revenue"].sum()
    out.insert(1, "share", out["customers"] / total_c if total_c else 0.0)
    out["revenue_share"] = out["revenue"] / total_r if total_r else 0.0
    out.index = pd.Index(out.index.astype("str"), name="segment", dtype="str")
    return out


def plot_segments(summary: pd.DataFrame, ax: Axes | None = None, title: str = "RFM segments") -> Axes:
    """Horizontal bars: each segment's share of customers next to its share of revenue."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    y = np.arange(len(summary))
    ax.barh(y - 0.2, summary["share"] * 100, height=0.4, label="% of customers")
    ax.barh(y + 0.2, summary["revenue_share"] * 100, height=0.4, label="% of revenue")
    ax.set_yticks(y, list(summary.index))
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


# --------------------------------------------------------------------------- the whole pipeline
@dataclass
class RFMResult:
    """What :func:`rfm_segments` returns: scored customers, the ones set aside (with a reason), and the settings."""

    scored: pd.DataFrame
    unscored: pd.DataFrame
    as_of: pd.Timestamp
    ties: str
    monetary: str
    seg_map: SegmentMap = field(repr=False)
    #: Warnings about the scores themselves (fewer than 5 customers, a fully tied column); empty when all is well.
    notes: tuple[str, ...] = ()

    @property
    def n_customers(self) -> int:
        return len(self.scored) + len(self.unscored)

    def summary(self) -> pd.DataFrame:
        """The segment summary table of the scored customers."""
        return segment_summary(self.scored, self.seg_map)


def rfm_segments(tx: pd.DataFrame, as_of: pd.Timestamp | str, *, ties: Ties = "min", monetary: Monetary = "total",
                 seg_map: SegmentMap | None = None, customer: str = "customer_id", order: str = "order_id",
                 date: str = "order_date", amount: str = "amount") -> RFMResult:
    """Metrics, scores and segments for every customer in ``tx`` as of ``as_of``; unscoreable ones set aside with a reason."""
    seg_map = seg_map or load_segment_map()
    metrics = rfm_metrics(tx, as_of, monetary=monetary, customer=customer, order=order, date=date, amount=amount)
    no_buy = metrics["frequency"].eq(0).to_numpy()
    no_net = ~no_buy & ~(metrics["revenue"].to_numpy() > 0)
    unscored = metrics.loc[no_buy | no_net].copy()
    unscored["reason"] = pd.Series(np.where(no_buy[no_buy | no_net], NOT_SCORED_NO_PURCHASE, NOT_SCORED_NO_NET_SPEND),
                                   index=unscored.index, dtype="str")
    scored = score_rfm(metrics.loc[~(no_buy | no_net)], ties=ties)
    scored["recency_days"] = scored["recency_days"].astype("int64")
    scored = assign_segments(scored, seg_map)
    return RFMResult(scored, unscored, pd.Timestamp(as_of), ties, monetary, seg_map, score_notes(scored, ties))


def account_customers(customer_ids: pd.Series | pd.Index | np.ndarray, result: RFMResult) -> pd.DataFrame:
    """Every customer of the raw feed, counted once: scored, set aside (per reason), or all rows quarantined."""
    every = pd.Index(pd.unique(np.asarray(customer_ids)))
    seen = result.scored.index.union(result.unscored.index)
    gone = every.difference(seen)
    stray = seen.difference(every)
    if len(stray):
        raise DataQualityError(f"account_customers: {len(stray)} scored customer(s) not in the raw feed, e.g. {_show(stray[0])}")
    counts = {"scored": len(result.scored)}
    for reason in (NOT_SCORED_NO_PURCHASE, NOT_SCORED_NO_NET_SPEND):
        counts[f"not scored: {reason}"] = int(result.unscored["reason"].eq(reason).sum())
    counts["not scored: every row quarantined"] = len(gone)
    out = pd.DataFrame({"customers": pd.Series(counts, dtype="int64")})
    out.index = pd.Index(out.index, name="status", dtype="str")
    out["share"] = out["customers"] / len(every) if len(every) else 0.0
    return out


__all__ = [
    "account_customers", "N_SCORES", "METRIC_COLUMNS", "SEGMENT_MAP_PATH", "NOT_SCORED_NO_PURCHASE", "NOT_SCORED_NO_NET_SPEND",
    "RFMResult", "SegmentMap", "rfm_metrics", "ntile", "quintile_scores", "score_rfm", "load_segment_map", "segment_map_from_table",
    "assign_segments", "segment_summary", "plot_segments", "rfm_segments", "score_notes",
]

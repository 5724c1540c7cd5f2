"""Seeded, vectorised generator for Larkspur Pharmacies' transactions (a fictional chain).

One call makes the whole world: stores, products, customers and transaction lines, plus defects
injected at exact, configurable rates with a ground-truth table saying which row carries which defect.
No per-row Python: 10M rows take seconds. Same seed and size give byte-identical output.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Iterable

import numpy as np
import pandas as pd

CHAIN_NAME = "Larkspur Pharmacies"
#: The course's fixed "today". Everything that needs a clock takes an ``as_of`` and defaults to this.
AS_OF = pd.Timestamp("2025-06-30")
DAYS_OF_HISTORY = 730

TRANSACTION_COLUMNS = [
    "transaction_id", "order_id", "customer_id", "store_id", "product_id", "order_date", "quantity", "amount",
]

_CITIES = [
    "Ashford", "Brookhaven", "Cedar Falls", "Dunmore", "Elmstead", "Fairhollow", "Glenwick", "Harrowgate",
    "Ivybridge", "Juniper Bay", "Kestrel Point", "Linden Vale", "Marrow Creek", "Northbury", "Oakhurst",
    "Pinecrest", "Quillfield", "Rosemont", "Stonebridge", "Thornbury", "Umberlee", "Valewood", "Westerly",
    "Yarrowby", "Zephyr Hills",
]
_REGIONS = ["North", "South", "East", "West"]
# category: (share of catalogue, median price in dollars, is_rx)
_CATEGORIES = {
    "Prescription": (0.30, 24.0, True),
    "Pain & Cold": (0.15, 9.0, False),
    "Vitamins": (0.15, 14.0, False),
    "Personal Care": (0.15, 7.5, False),
    "Beauty": (0.10, 12.0, False),
    "Baby": (0.05, 16.0, False),
    "Grocery": (0.10, 4.0, False),
}
# Monday..Sunday: Saturdays are busy, Sundays quiet (shorter opening hours)
WEEKDAY_FACTORS = np.array([1.00, 0.95, 0.95, 1.00, 1.10, 1.25, 0.70])

_BAD_DATES = np.array(["2024-02-30 10:15:00", "N/A", "13/45/2024", "yesterday", "2024-00-10", "##########"])


@dataclass(frozen=True)
class DefectRates:
    """Share of rows carrying each defect. Counts are exact: ``round(rate * n_rows)`` rows per kind.

    Every defective row carries exactly one defect, so per-kind precision and recall are well defined.
    """

    null_customer: float = 0.010
    null_amount: float = 0.005
    negative_amount: float = 0.005
    future_date: float = 0.003
    unparseable_date: float = 0.003
    amount_type_drift: float = 0.010
    unknown_store: float = 0.002
    unknown_product: float = 0.002
    exact_duplicate: float = 0.005
    near_duplicate: float = 0.003

    @classmethod
    def none(cls) -> "DefectRates":
        """No defects at all: a clean, typed dataset."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"DefectRates.{f.name} must be a number in [0, 1], got {v!r}")
        if sum(asdict(self).values()) > 0.5:
            raise ValueError("DefectRates: the rates add up to more than 0.5; at least half the rows must be clean")

    @property
    def any(self) -> bool:
        return any(v > 0 for v in asdict(self).values())


DEFECT_KINDS: tuple[str, ...] = tuple(f.name for f in fields(DefectRates))
#: Defects that live in a single row (the rest are duplicates of another row).
ROW_DEFECTS: tuple[str, ...] = tuple(k for k in DEFECT_KINDS if not k.endswith("duplicate"))


@dataclass
class Dataset:
    """What :func:`generate` returns.

    - ``transactions``: the feed as it lands. With defects, ``amount`` and ``order_date`` are text
      (as in the CSV) and ``customer_id`` is a nullable ``Int64``; without defects, every column is typed.
    - ``truth``: one boolean column per defect kind, aligned with ``transactions``' index.
    - ``stores``, ``products``, ``customers``: the lookups (referential checks use them).
    - ``as_of``: the date "today" was when the feed was generated.
    """

    transactions: pd.DataFrame
    truth: pd.DataFrame
    stores: pd.DataFrame
    products: pd.DataFrame
    customers: pd.DataFrame
    as_of: pd.Timestamp
    seed: int

    def clean_rows(self) -> pd.DataFrame:
        """The rows that carry no defect, typed: the ground truth a cleaner should keep."""
        ok = ~self.truth.any(axis=1)
        return to_typed(self.transactions.loc[ok]).reset_index(drop=True)

    def defect_counts(self) -> pd.Series:
        """Rows per defect kind (ground truth)."""
        return self.truth.sum().astype("int64").rename("rows")


def to_typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Parse a defect-free feed frame into its typed form (``amount`` float64, ``order_date`` datetime64)."""
    out = frame.copy()
    if not pd.api.types.is_datetime64_any_dtype(out["order_date"]):
        out["order_date"] = pd.to_datetime(out["order_date"], format="%Y-%m-%d %H:%M:%S")
    if not pd.api.types.is_float_dtype(out["amount"]):
        out["amount"] = pd.to_numeric(out["amount"]).astype("float64")
    if out["customer_id"].isna().any():
        raise ValueError("to_typed: customer_id has nulls; clean them first")
    out["customer_id"] = out["customer_id"].astype("int64")
    return out


def make_stores(n_stores: int, rng: np.random.Generator, start: pd.Timestamp) -> pd.DataFrame:
    ids = np.arange(1, n_stores + 1, dtype="int64")
    city = np.array([_CITIES[i % len(_CITIES)] for i in range(n_stores)], dtype=object)
    suffix = np.array(["" if i < len(_CITIES) else f" {i // len(_CITIES) + 1}" for i in range(n_stores)], dtype=object)
    return pd.DataFrame({
        "store_id": ids,
        "store_name": [f"{CHAIN_NAME.split()[0]} {c}{s}" for c, s in zip(city, suffix)],
        "city": city + suffix,
        "region": np.array(_REGIONS, dtype=object)[rng.integers(0, len(_REGIONS), n_stores)],
        "opened_on": start - pd.to_timedelta(rng.integers(200, 4000, n_stores), unit="D"),
    }).astype({"store_name": "str", "city": "str", "region": "str"})


def make_products(n_products: int, rng: np.random.Generator) -> pd.DataFrame:
    names = list(_CATEGORIES)
    shares = np.array([v[0] for v in _CATEGORIES.values()])
    cat_idx = np.sort(rng.choice(len(names), size=n_products, p=shares / shares.sum()))
    median = np.array([v[1] for v in _CATEGORIES.values()])[cat_idx]
    price_cents = np.maximum(99, np.round(median * np.exp(rng.normal(0, 0.45, n_products)) * 100 / 50) * 50 - 1)
    ids = 1000 + np.arange(n_products, dtype="int64")
    cats = np.array(names, dtype=object)[cat_idx]
    return pd.DataFrame({
        "product_id": ids,
        "product_name": [f"{c} item {i:04d}" for c, i in zip(cats, ids)],
        "category": cats,
        "is_rx": np.array([v[2] for v in _CATEGORIES.values()])[cat_idx],
        "unit_price": price_cents.astype("int64") / 100.0,
    }).astype({"product_name": "str", "category": "str"})


def daily_intensity(start: pd.Timestamp, days: int, day_multipliers: pd.Series | None = None) -> pd.Series:
    """Expected relative volume per day: weekday profile x yearly season x gentle growth (x planted events)."""
    dates = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days) / 365.25
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (dates.day_of_year.to_numpy() - 15) / 365.25)  # winter colds peak
    w = WEEKDAY_FACTORS[dates.day_of_week.to_numpy()] * season * (1.0 + 0.08 * t)
    s = pd.Series(w, index=dates, name="intensity")
    if day_multipliers is not None:
        s = s * day_multipliers.reindex(dates).fillna(1.0).to_numpy()
    return s


def _alias_draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """``size`` i.i.d. indices with probability proportional to ``weights`` (alias method, O(1) per draw).

    One uniform per draw: its integer part picks the column, its fractional part flips the column's coin.
    """
    from pharma_kit.data_kernels import alias_table

    prob, alias = alias_table(np.asarray(weights, dtype=np.float64))
    u = rng.random(size) * len(weights)
    col = u.astype(np.int64)
    return np.where(u - col < prob[col], col, alias[col])


def _poisson_cdf(lam: float, kmax: int = 30) -> np.ndarray:
    """Cumulative Poisson(lam) probabilities, k = 0..kmax (last forced to 1): inverse-CDF sampling from one
    uniform per draw, cheaper than NumPy's Poisson sampler for a small mean."""
    pmf = np.empty(kmax + 1)
    pmf[0] = np.exp(-lam)
    for k in range(1, kmax + 1):
        pmf[k] = pmf[k - 1] * lam / k
    cdf = np.cumsum(pmf)
    cdf[-1] = 1.0
    return cdf


def _clean_lines(n: int, rng: np.random.Generator, start: pd.Timestamp, days: int, stores: pd.DataFrame,
                 products: pd.DataFrame, n_customers: int, day_multipliers: pd.Series | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` defect-free, typed transaction lines, sorted by time; also the customers table."""
    n_stores = len(stores)
    # customers: sparse, increasing ids; skewed activity (a few regulars, a long tail)
    cust_ids = 100_000 + np.arange(n_customers, dtype="int64") * 3 + rng.integers(0, 3, n_customers)
    activity = rng.gamma(0.8, 1.0, n_customers) + 0.02
    home_store = rng.integers(0, n_stores, n_customers)
    customers = pd.DataFrame({"customer_id": cust_ids, "home_store_id": stores["store_id"].to_numpy()[home_store]})

    # orders: 1 + Poisson(0.7) lines each, enough orders to fill n lines
    est = int(n / 1.7 * 1.15) + 16
    lines = 1 + np.searchsorted(_poisson_cdf(0.7), rng.random(est), side="left")
    ends = np.cumsum(lines)
    n_orders = int(np.searchsorted(ends, n, side="left")) + 1
    lines = lines[:n_orders].copy()
    lines[-1] -= int(ends[n_orders - 1] - n)

    # order times: one multinomial over (day, minute) cells gives counts already in time order: no sort needed
    day_w = daily_intensity(start, days, day_multipliers).to_numpy()
    open_minutes = 13 * 60  # 08:00-21:00
    cell_w = np.repeat(day_w / open_minutes, open_minutes)
    per_cell = rng.multinomial(n_orders, cell_w / cell_w.sum())
    cell = np.repeat(np.arange(len(cell_w), dtype="int64"), per_cell)
    minute_of = (cell // open_minutes) * 1440 + 8 * 60 + cell % open_minutes
    order_us = np.datetime64(start, "us").astype("int64") + minute_of * 60_000_000

    # who and where: independent of time, so drawing them in time order is still i.i.d.
    cust_idx = _alias_draw(rng, activity, n_orders)
    at_home = rng.random(n_orders) < 0.85
    store_idx = np.where(at_home, home_store[cust_idx], rng.integers(0, n_stores, n_orders))

    # expand orders to lines (orders are in time order, so order_id follows time)
    pop = rng.gamma(0.6, 1.0, len(products)) + 0.01
    prod_idx = _alias_draw(rng, pop, n)
    qty = 1 + np.searchsorted(_poisson_cdf(0.35), rng.random(n), side="left")
    price_cents = np.round(products["unit_price"].to_numpy() * 100).astype("int64")
    from pharma_kit.data_kernels import expand_orders

    order_id, cust_line, store_line, time_line, amount = expand_orders(
        lines, order_us, cust_ids[cust_idx], stores["store_id"].to_numpy().astype("int64")[store_idx], prod_idx,
        len(products), price_cents, qty, rng.random(n))

    df = pd.DataFrame({
        "transaction_id": np.arange(1, n + 1, dtype="int64"),
        "order_id": order_id,
        "customer_id": cust_line,
        "store_id": store_line,
        "product_id": products["product_id"].to_numpy()[prod_idx],
        "order_date": time_line.view("datetime64[us]"),
        "quantity": qty,
        "amount": amount,
    }, copy=False)  # no consolidation copy: each column keeps its own array
    return df, customers


def _format_amount(values: np.ndarray, dollar: bool = False) -> pd.Series:
    """Vectorised money formatting: 1234.5 -> "1234.50" (or "$1,234.50" with ``dollar``)."""
    cents = np.round(np.abs(values) * 100).astype("int64")
    whole = pd.Series(cents // 100)
    frac = pd.Series(cents % 100).astype("str").str.zfill(2)
    sign = pd.Series(np.where(values < 0, "-", ""), dtype="str")
    if dollar:
        # thousands separators for values up to 999,999,999
        w = whole.to_numpy()
        hi, mid, lo = w // 1_000_000, (w // 1000) % 1000, w % 1000
        s_lo = pd.Series(lo).astype("str")
        s_mid = pd.Series(mid).astype("str")
        big = pd.Series(hi).astype("str") + "," + s_mid.str.zfill(3) + "," + s_lo.str.zfill(3)
        med = s_mid + "," + s_lo.str.zfill(3)
        txt = np.where(hi > 0, big, np.where(mid > 0, med, s_lo))
        return sign + "$" + pd.Series(txt, dtype="str") + "." + frac
    return sign + whole.astype("str") + "." + frac


def generate(n_rows: int = 10_000, seed: int = 0, *, as_of: pd.Timestamp | str = AS_OF,
             rates: DefectRates | None = None, n_stores: int = 25, n_products: int = 300,
             n_customers: int | None = None, days: int = DAYS_OF_HISTORY,
             day_multipliers: pd.Series | None = None) -> Dataset:
    """Generate ``n_rows`` transaction lines ending the day before ``as_of``, with defects at ``rates``.

    ``rates=None`` uses the default :class:`DefectRates`; pass ``DefectRates.none()`` for clean, typed data.
    ``day_multipliers`` (date -> factor) plants known events such as promotions or outages.
    """
    if not isinstance(n_rows, (int, np.integer)) or isinstance(n_rows, bool) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if n_stores < 1 or n_products < 1 or days < 1:
        raise ValueError("n_stores, n_products and days must be at least 1")
    as_of = pd.Timestamp(as_of).normalize()
    rates = DefectRates() if rates is None else rates
    n_customers = n_customers or max(20, int(n_rows) // 12)
    rng = np.random.default_rng(seed)
    start = as_of - pd.Timedelta(days=days)
    stores = make_stores(n_stores, rng, start)
    products = make_products(n_products, rng)

    counts = {k: int(round(getattr(rates, k) * n_rows)) for k in DEFECT_KINDS}
    n_dup = counts["exact_duplicate"] + counts["near_duplicate"]
    n_base = int(n_rows) - n_dup
    if n_base < 1:
        raise ValueError("too many duplicates for this size")
    base, customers = _clean_lines(n_base, rng, start, days, stores, products, n_customers, day_multipliers)
    truth = {k: np.zeros(n_base, dtype=bool) for k in DEFECT_KINDS}

    if not rates.any:
        return Dataset(base, pd.DataFrame(truth), stores, products, customers, as_of, int(seed))

    # one permutation hands out disjoint rows to the single-row defects; the remaining rows are clean
    perm = rng.permutation(n_base)
    pos = 0
    picked: dict[str, np.ndarray] = {}
    for k in ROW_DEFECTS:
        picked[k] = np.sort(perm[pos:pos + counts[k]])
        truth[k][picked[k]] = True
        pos += counts[k]
    if pos + n_dup > n_base:
        raise ValueError("n_rows too small for these defect rates")
    sources = np.sort(perm[pos:pos + n_dup])  # clean rows that get a duplicate
    dup_kind = np.zeros(n_dup, dtype=bool)
    dup_kind[rng.permutation(n_dup)[:counts["near_duplicate"]]] = True  # True = near duplicate

    amount = base["amount"].to_numpy().copy()
    amount[picked["negative_amount"]] *= -1
    amount_txt = _format_amount(amount)
    drift = picked["amount_type_drift"]
    amount_txt.iloc[drift] = _format_amount(amount[drift], dollar=True).to_numpy()
    amount_txt.iloc[picked["null_amount"]] = None

    order_us = base["order_date"].to_numpy().astype("datetime64[us]").astype("int64")
    fut = picked["future_date"]
    order_us[fut] = (np.datetime64(as_of, "us").astype("int64")
                     + rng.integers(1, 120, len(fut)) * 86_400_000_000 + rng.integers(8 * 60, 21 * 60, len(fut)) * 60_000_000)
    date_txt = pd.Series(order_us.astype("datetime64[us]")).astype("str")
    date_txt.iloc[picked["unparseable_date"]] = _BAD_DATES[rng.integers(0, len(_BAD_DATES), len(picked["unparseable_date"]))]

    customer = base["customer_id"].astype("Int64")
    customer.iloc[picked["null_customer"]] = pd.NA
    store = base["store_id"].to_numpy().copy()
    store[picked["unknown_store"]] = 900 + rng.integers(0, 99, len(picked["unknown_store"]))
    product = base["product_id"].to_numpy().copy()
    product[picked["unknown_product"]] = 90_000 + rng.integers(0, 9_999, len(picked["unknown_product"]))

    feed = pd.DataFrame({
        "transaction_id": base["transaction_id"].to_numpy(),
        "order_id": base["order_id"].to_numpy(),
        "customer_id": customer,
        "store_id": store,
        "product_id": product,
        "order_date": date_txt.astype("str"),
        "quantity": base["quantity"].to_numpy(),
        "amount": amount_txt.astype("str"),
    })
    truth_df = pd.DataFrame(truth)

    # duplicates: exact copies, or a re-sent line (new transaction_id, a few seconds later); placed right after the source
    dups = feed.iloc[sources].copy()
    near = np.flatnonzero(dup_kind)
    dups.iloc[near, dups.columns.get_loc("transaction_id")] = n_base + 1 + np.arange(len(near))
    shifted = (order_us[sources[near]] + rng.integers(1, 60, len(near)) * 1_000_000).astype("datetime64[us]")
    dups.iloc[near, dups.columns.get_loc("order_date")] = pd.Series(shifted).astype("str").to_numpy()
    dup_truth = pd.DataFrame({k: np.zeros(n_dup, dtype=bool) for k in DEFECT_KINDS})
    dup_truth["exact_duplicate"] = ~dup_kind
    dup_truth["near_duplicate"] = dup_kind

    key = np.concatenate([np.arange(n_base, dtype="float64"), sources + 0.5])
    order = np.argsort(key, kind="stable")
    transactions = pd.concat([feed, dups], ignore_index=True).iloc[order].reset_index(drop=True)
    truth_all = pd.concat([truth_df, dup_truth], ignore_index=True).iloc[order].reset_index(drop=True)
    return Dataset(transactions, truth_all, stores, products, customers, as_of, int(seed))


def clean_transactions(n_rows: int = 10_000, seed: int = 0, *, as_of: pd.Timestamp | str = AS_OF,
                       **kwargs) -> pd.DataFrame:
    """Typed, defect-free transactions: the quick start for lessons that are not about cleaning."""
    return generate(n_rows, seed, as_of=as_of, rates=DefectRates.none(), **kwargs).transactions


def write_csv(frame: pd.DataFrame, path, chunk_rows: int = 1_000_000, progress: bool = False) -> None:
    """Write a feed frame to CSV in chunks (deterministic bytes, ``\\n`` line endings)."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    starts: Iterable[int] = range(0, max(len(frame), 1), chunk_rows)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(list(starts), desc=f"writing {path.name}", unit="chunk")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for i, s in enumerate(starts):
            frame.iloc[s:s + chunk_rows].to_csv(fh, index=False, header=(i == 0), lineterminator="\n",
                                                float_format="%.2f", date_format="%Y-%m-%d %H:%M:%S")


__all__ = [
    "AS_OF", "CHAIN_NAME", "DEFECT_KINDS", "ROW_DEFECTS", "TRANSACTION_COLUMNS", "DefectRates", "Dataset",
    "generate", "clean_transactions", "daily_intensity", "to_typed", "write_csv",
]

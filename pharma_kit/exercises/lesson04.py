"""Lesson 04 exercises: merging partial aggregates, distinct counts across chunks, memory, dtypes, the Parquet rewrite."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit import chunked, fileformats, formats
from pharma_kit.data import clean_transactions
from pharma_kit.exercises.core import Question


def _feed(rng: np.random.Generator, n: int, customers: int) -> pd.DataFrame:
    return clean_transactions(n, int(rng.integers(0, 2**31)), n_customers=customers, n_stores=3, n_products=20)


def _chunks(frame: pd.DataFrame, rng: np.random.Generator, n_chunks: int, shuffle: bool = True) -> list[pd.DataFrame]:
    """Cut a feed into chunks of unequal size (shuffled first, so an order or a customer spans chunks)."""
    if shuffle:
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    cuts = np.sort(rng.choice(np.arange(1, len(frame)), size=min(n_chunks - 1, len(frame) - 1), replace=False))
    bounds = [0, *cuts.tolist(), len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in zip(bounds[:-1], bounds[1:])]


# --- q1: merge partial aggregates ----------------------------------------------------------------
def _partials_cases(rng):
    cases = []
    one = _feed(rng, 40, 6)
    cases.append({"partials": [chunked.chunk_partials(one)]})  # a single chunk: nothing to merge
    # equal counts per customer in every chunk: the one case where the mean of means happens to be right
    rows = pd.DataFrame({"customer_id": [1, 2, 1, 2], "amount": [1.0, 3.0, 5.0, 11.0],
                         "order_date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01", "2024-03-01"])})
    cases.append({"partials": [chunked.chunk_partials(rows.iloc[:2]), chunked.chunk_partials(rows.iloc[2:])]})
    # unequal counts (1 row vs 3 rows for customer 5: mean of means 5.5, true mean 3.25), partials not sorted
    uneven = pd.DataFrame({"customer_id": [5, 9, 5, 5, 5], "amount": [10.0, 2.0, 1.0, 1.0, 1.0],
                           "order_date": pd.to_datetime(["2024-12-31 23:59", "2024-06-01 00:00", "2025-01-01 00:00",
                                                         "2024-02-29 00:00", "2024-03-01 00:00"])})
    cases.append({"partials": [chunked.chunk_partials(uneven.iloc[1:]).iloc[::-1],
                               chunked.chunk_partials(uneven.iloc[:1])]})
    # a customer in one chunk only, and an empty chunk
    feed = _feed(rng, 300, 12)
    parts = [chunked.chunk_partials(c) for c in _chunks(feed, rng, 4)]
    cases.append({"partials": parts + [chunked.chunk_partials(feed.iloc[:0])]})
    cases.append({"partials": [chunked.chunk_partials(c) for c in _chunks(_feed(rng, 1000, 30), rng, 5)]})
    return cases


def _mean_of_means(partials):
    both = pd.concat(partials, ignore_index=True)
    out = both.groupby("customer_id", sort=True).agg(
        rows=("rows", "sum"), amount_sum=("amount_sum", "sum"), amount_mean=("amount_mean", "mean"),
        amount_min=("amount_min", "min"), amount_max=("amount_max", "max"),
        last_order_date=("last_order_date", "max")).reset_index()
    return out


def _last_chunk_date(partials):
    both = pd.concat(partials, ignore_index=True)
    out = both.groupby("customer_id", sort=True).agg(
        rows=("rows", "sum"), amount_sum=("amount_sum", "sum"), amount_min=("amount_min", "min"),
        amount_max=("amount_max", "max"), last_order_date=("last_order_date", "last")).reset_index()
    out.insert(3, "amount_mean", out["amount_sum"] / out["rows"])
    return out


_PARTIAL_COLS = ["customer_id", "rows", "amount_sum", "amount_mean", "amount_min", "amount_max", "last_order_date"]


def _combine_named_agg(partials):
    both = pd.concat(partials)
    out = both.groupby("customer_id").agg(
        rows=("rows", "sum"), amount_sum=("amount_sum", "sum"), amount_min=("amount_min", "min"),
        amount_max=("amount_max", "max"), last_order_date=("last_order_date", "max")).reset_index()
    out["amount_mean"] = out["amount_sum"] / out["rows"]
    return out[_PARTIAL_COLS]


def _combine_dict_loop(partials):
    acc = {}
    for part in partials:
        for r in part.itertuples(index=False):
            if r.customer_id not in acc:
                acc[r.customer_id] = [r.rows, r.amount_sum, r.amount_min, r.amount_max, r.last_order_date]
            else:
                a = acc[r.customer_id]
                a[0] += r.rows
                a[1] += r.amount_sum
                a[2] = min(a[2], r.amount_min)
                a[3] = max(a[3], r.amount_max)
                a[4] = max(a[4], r.last_order_date)
    records = [(c, n, s, s / n, lo, hi, last) for c, (n, s, lo, hi, last) in sorted(acc.items())]
    return pd.DataFrame(records, columns=_PARTIAL_COLS)


q1 = Question(
    name="l04_combine_partials",
    prompt=("Each chunk of a big file was reduced to one row per customer: customer_id, rows, amount_sum, "
            "amount_mean, amount_min, amount_max, last_order_date. Combine the list `partials` into the exact "
            "per-customer table with the same columns, sorted by customer_id (RangeIndex)."),
    reference=chunked.combine_partials,
    cases=_partials_cases,
    hints=["Which of the columns can be combined across chunks, and which cannot? A mean of means weights a "
           "chunk with 1 row like a chunk with 1,000.",
           "Add rows and amount_sum; min of mins; max of maxes and of dates; then amount_mean = amount_sum / rows.",
           "Named aggregation (.agg(rows=('rows', 'sum'), ...)) gives each column its own function in one call; "
           "compute amount_mean last, from the merged totals."],
    wrong_answers={"mean of chunk means": _mean_of_means, "last chunk's date instead of the latest": _last_chunk_date},
    right_answers={"named aggregation, mean afterwards": _combine_named_agg,
                   "a dict of running totals, one pass": _combine_dict_loop},
    explanation="Sums, counts, mins and maxes are mergeable; a mean is not. Carry sum and count, divide at the end.",
)


# --- q2: distinct counts across chunks ----------------------------------------------------------
def _distinct_cases(rng):
    lone = pd.DataFrame({"customer_id": [7, 7, 7], "order_id": [1, 1, 2]})
    # order 1's lines land in two chunks (the second chunk keeps its original index 1): adding counts gives 3
    cases = [{"chunks": [lone]}, {"chunks": [lone.iloc[[0, 2]], lone.iloc[[1]], lone.iloc[:0]]}]
    feed = _feed(rng, 400, 10)[["customer_id", "order_id"]]
    cases.append({"chunks": _chunks(feed, rng, 5)})
    cases.append({"chunks": _chunks(_feed(rng, 3000, 60)[["customer_id", "order_id"]], rng, 9)})
    return cases


def _sum_of_nunique(chunks):
    per = [c.groupby("customer_id")["order_id"].nunique() for c in chunks]
    return pd.concat(per).groupby(level=0).sum().astype("int64").rename("order_id_nunique")


def _counts_lines(chunks):
    both = pd.concat(chunks, ignore_index=True)
    return both.groupby("customer_id").size().astype("int64").rename("order_id_nunique")  # lines, not orders


def _distinct_concat_nunique(chunks):
    both = pd.concat(chunks, ignore_index=True)
    return both.groupby("customer_id")["order_id"].nunique().rename("order_id_nunique")


def _distinct_set_per_customer(chunks):
    seen = {}
    for chunk in chunks:
        for customer, order in zip(chunk["customer_id"].tolist(), chunk["order_id"].tolist()):
            seen.setdefault(customer, set()).add(order)
    counts = pd.Series({c: len(orders) for c, orders in sorted(seen.items())}, name="order_id_nunique")
    return counts.rename_axis("customer_id")


q2 = Question(
    name="l04_distinct_across_chunks",
    prompt=("Each element of `chunks` is a DataFrame with customer_id and order_id (an order can have several lines "
            "and can be split across chunks). Return the exact number of distinct orders per customer as an int64 "
            "Series named 'order_id_nunique', indexed by customer_id (index name 'customer_id', sorted)."),
    reference=chunked.distinct_per_key,
    cases=_distinct_cases,
    hints=["Adding each chunk's nunique counts an order twice when its lines land in two chunks.",
           "Keep the distinct (customer_id, order_id) PAIRS, union them across chunks, and count at the end."],
    wrong_answers={"adds per-chunk distinct counts": _sum_of_nunique, "counts order lines, not orders": _counts_lines},
    right_answers={"concat, then nunique": _distinct_concat_nunique,
                   "a set of orders per customer": _distinct_set_per_customer},
    check_dtype=True,
    explanation="Distinct counts are not additive; the set of pairs is. Exact distinct needs memory per distinct pair.",
)


# --- q3: memory estimate -------------------------------------------------------------------------
def _memory_cases(rng):
    return [
        {"n_rows": 0, "dtypes": {"a": "int64"}},
        {"n_rows": 10, "dtypes": {"flag": "bool", "qty": "int8"}},
        {"n_rows": 3, "dtypes": {"when": "datetime64[ns]", "half": "float16", "big": "uint64"}},
        {"n_rows": 10_000_000, "dtypes": {"customer_id": "int64", "store_id": "int16", "amount": "float64",
                                          "order_date": "datetime64[us]", "quantity": "int8"}},
        {"n_rows": int(rng.integers(1, 10**8)), "dtypes": {"x": "float32", "y": "uint16", "z": "int32"}},
    ]


def _everything_8_bytes(n_rows, dtypes):
    return n_rows * len(dtypes) * 8


def _with_index(n_rows, dtypes):
    return n_rows * (sum(np.dtype(d).itemsize for d in dtypes.values()) + 8)  # memory_usage() counts the index


def _bytes_from_dtype_names(n_rows, dtypes):
    import re

    total = 0
    for d in dtypes.values():
        bits = re.findall(r"\d+", d)
        total += int(bits[0]) // 8 if bits else 1  # int16 -> 2 bytes; bool -> 1
    return n_rows * total


def _bytes_of_one_record(n_rows, dtypes):
    record = np.dtype([(name, d) for name, d in dtypes.items()])  # a packed struct: one row
    return n_rows * record.itemsize


q3 = Question(
    name="l04_memory_estimate",
    prompt=("Return how many bytes a DataFrame of `n_rows` rows takes for the fixed-width `dtypes` "
            "({column: dtype string}); ignore the index. Check yourself against `memory_usage(index=False)`."),
    reference=formats.estimate_frame_bytes,
    cases=_memory_cases,
    hints=["Each column holds n_rows values of one dtype; how many bytes is one value?",
           "`np.dtype('int16').itemsize` is 2: the bytes one value of that dtype takes."],
    wrong_answers={"assumes 8 bytes per value": _everything_8_bytes, "counts an 8-byte index too": _with_index},
    right_answers={"bytes read off the dtype names": _bytes_from_dtype_names,
                   "one packed record times n_rows": _bytes_of_one_record},
)


# --- q4: downcasting -----------------------------------------------------------------------------
def _downcast_cases(rng):
    edges = pd.DataFrame({
        "i8_top": np.array([0, 127], dtype="int64"), "i16_top": np.array([0, 128], dtype="int64"),
        "i8_bottom": np.array([-128, 3], dtype="int64"), "i16_bottom": np.array([-129, 3], dtype="int64"),
        "i32": np.array([-1, 40_000], dtype="int64"), "i64": np.array([0, 2**31], dtype="int64"),
        "amount": np.array([1.25, 2.5]), "city": pd.Series(["Ashford", "Oakhurst"], dtype="str"),
    })
    feed = _feed(rng, 500, 30)
    return [{"frame": edges}, {"frame": edges.iloc[:0]}, {"frame": feed},
            {"frame": pd.DataFrame({"delta": rng.integers(-300, 300, 50)})}]


def _by_max_only(frame):
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind in "iu":
            hi = int(out[col].max()) if len(out) else 0
            for t in ("int8", "int16", "int32", "int64"):
                if hi <= np.iinfo(t).max:
                    out[col] = out[col].astype(t)
                    break
    return out


def _unsigned(frame):
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind in "iu":
            out[col] = pd.to_numeric(out[col], downcast="unsigned")
    return out


def _downcast_to_numeric(frame):
    out = frame.copy()
    for col in out.select_dtypes("integer").columns:
        out[col] = pd.to_numeric(out[col], downcast="integer")
    return out


def _downcast_between(frame):
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_integer_dtype(out[col]):
            for t in (np.int8, np.int16, np.int32, np.int64):
                info = np.iinfo(t)
                if out[col].between(info.min, info.max).all():
                    out[col] = out[col].astype(t)
                    break
    return out


q4 = Question(
    name="l04_downcast_ints",
    prompt=("Return a copy of `frame` where every integer column has the narrowest SIGNED integer dtype "
            "(int8/int16/int32/int64) that holds all its values; leave other columns alone. An empty column "
            "becomes int8."),
    reference=formats.downcast_ints,
    cases=_downcast_cases,
    hints=["A dtype must hold the column's minimum as well as its maximum: -129 does not fit in int8.",
           "np.iinfo('int8').min and .max give a type's range: try the types from the narrowest up."],
    wrong_answers={"looks at the maximum only (negatives wrap)": _by_max_only, "unsigned types": _unsigned},
    right_answers={"pd.to_numeric(downcast='integer')": _downcast_to_numeric,
                   "Series.between each type's range": _downcast_between},
    check_dtype=True,
)


# --- q5: the Parquet rewrite's partition key --------------------------------------------------------
def _month_cases(rng):
    two_years = pd.DataFrame({
        "order_date": pd.to_datetime(["2024-01-31 23:59:00", "2025-01-01 00:00:00", "2024-01-01 08:00:00",
                                      "2024-02-01 00:00:00"]).astype("datetime64[us]"),
        "amount": [1.0, 2.0, 3.0, 4.0]})
    feed = _feed(rng, 800, 20)
    return [{"frame": two_years}, {"frame": two_years.iloc[:1]}, {"frame": two_years.iloc[:0]},
            {"frame": feed.iloc[rng.permutation(len(feed))]}]


def _month_number_only(frame):
    if frame.empty:
        return {}
    key = frame["order_date"].dt.strftime("%m")
    return {k: part.reset_index(drop=True) for k, part in frame.groupby(key, sort=True)}


def _keeps_index(frame):
    if frame.empty:
        return {}
    key = frame["order_date"].dt.strftime("%Y-%m")
    return {k: part for k, part in frame.groupby(key, sort=True)}


def _sorted_by_date(frame):
    if frame.empty:
        return {}
    key = frame["order_date"].dt.strftime("%Y-%m")
    return {k: part.sort_values("order_date").reset_index(drop=True) for k, part in frame.groupby(key)}


def _split_by_period(frame):
    months = frame["order_date"].dt.to_period("M")
    return {str(m): part.reset_index(drop=True) for m, part in frame.groupby(months)}


def _split_mask_loop(frame):
    key = pd.Series([f"{d.year}-{d.month:02d}" for d in frame["order_date"]], index=frame.index, dtype=object)
    out = {}
    for k in sorted(key.unique()):
        out[k] = frame[key == k].reset_index(drop=True)
    return out


q5 = Question(
    name="l04_split_by_month",
    prompt=("Before writing a chunk to month-partitioned Parquet, split it: return {\"YYYY-MM\": rows of that "
            "month} for the chunk `frame` (order_date is datetime64), each part in its original row order with a "
            "fresh RangeIndex. An empty frame gives {}."),
    reference=formats.split_by_month,
    cases=_month_cases,
    hints=["January 2024 and January 2025 are different partitions.",
           "Group by a 'YYYY-MM' key built from order_date (strftime or to_period), and look at the index each "
           "part keeps."],
    wrong_answers={"month number only (years collide)": _month_number_only, "keeps the chunk's index": _keeps_index,
                   "sorts each month by date (not the original order)": _sorted_by_date},
    right_answers={"to_period('M') keys": _split_by_period, "a mask per month": _split_mask_loop},
)

# --- q6: schema evolution, a new column with a default ------------------------------------------------
_CHANNELS = np.array(["store", "web", "app"], dtype=object)


def _with_channel(part: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A part as a newer file holds it: a ``channel`` column, with at least one genuine null (unknown channel)."""
    channel = pd.Series(rng.choice(_CHANNELS, size=len(part)), dtype="str")
    if len(part):
        channel.iloc[int(rng.integers(0, len(part)))] = None
    return part.reset_index(drop=True).assign(channel=channel)


def _small_feed(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """n typed transaction lines, cheap to make (the check builds many)."""
    start = pd.Timestamp("2025-06-01").value // 1000 - int(rng.integers(0, 86_400 * 30)) * 1_000_000
    return pd.DataFrame({
        "transaction_id": np.arange(1, n + 1, dtype="int64"), "order_id": 5_000_000 + np.arange(n, dtype="int64") // 2,
        "customer_id": rng.integers(100_000, 100_020, n), "store_id": rng.integers(1, 4, n),
        "product_id": rng.integers(1, 21, n),
        "order_date": pd.to_datetime(start + np.sort(rng.integers(0, 86_400 * 10**6, n)), unit="us"),
        "quantity": rng.integers(1, 4, n), "amount": rng.integers(149, 9_999, n) / 100})


def _evolution_cases(rng):
    feed = _small_feed(rng, 60)
    old_a, old_b, new_a, new_b = feed.iloc[:3], feed.iloc[3:5], feed.iloc[5:9], feed.iloc[9:12]
    cases = [
        {"parts": [old_a.reset_index(drop=True), _with_channel(new_a, rng)]},            # old file, then new
        {"parts": [_with_channel(new_b, rng), old_b.reset_index(drop=True), feed.iloc[:0]]},  # new first; empty old
        {"parts": [old_a.reset_index(drop=True), old_b.reset_index(drop=True)]},        # only old files
        {"parts": [_with_channel(new_a, rng), _with_channel(new_b, rng)]},              # only new files
    ]
    # a random mix: at least one non-empty old file and one new file (with a null)
    k = int(rng.integers(3, 6))
    bounds = np.sort(rng.choice(np.arange(13, 60), size=k - 1, replace=False)).tolist()
    chunks = [feed.iloc[a:b].reset_index(drop=True) for a, b in zip([12, *bounds], [*bounds, 60])]
    kinds = ["old", "new"] + [str(rng.choice(["old", "new"])) for _ in range(k - 2)]
    order = rng.permutation(k)
    cases.append({"parts": [chunks[i] if kinds[i] == "old" else _with_channel(chunks[i], rng) for i in order]})
    return cases


def _fillna_after_concat(parts):
    return pd.concat(parts, ignore_index=True).fillna({"channel": "store"})


def _concat_only(parts):
    return pd.concat(parts, ignore_index=True)


def _default_keeps_file_index(parts):
    return pd.concat([p if "channel" in p.columns else p.assign(channel="store") for p in parts])


def _assign_per_file(parts):
    fixed = [p if "channel" in p.columns else p.assign(channel="store") for p in parts]
    return pd.concat(fixed, ignore_index=True)


def _marker_then_where(parts):
    tagged = [p.assign(_has_channel="channel" in p.columns) for p in parts]
    out = pd.concat(tagged, ignore_index=True)
    if "channel" not in out.columns:
        out["channel"] = None
    out["channel"] = out["channel"].where(out["_has_channel"].astype(bool), "store")
    return out.drop(columns="_has_channel")


q6 = Question(
    name="l04_schema_evolution",
    prompt=("Files written before the `channel` column existed lack it; newer files have it, and there a null "
            "means 'channel unknown'. Given `parts` (one DataFrame per file, in file order), return one DataFrame "
            "in the new schema: the old columns in their order, then `channel`. Rows from a file WITHOUT the "
            "column get the schema's default \"store\"; rows from a file WITH it keep their values, nulls "
            "included. Rows in file order, with a fresh RangeIndex."),
    reference=fileformats.conform_frames,
    cases=_evolution_cases,
    hints=["A default stands for a missing FIELD, not for a missing value: decide file by file, before "
           "concatenating.",
           "For each part that lacks `channel`, add it filled with \"store\"; then pd.concat(..., "
           "ignore_index=True)."],
    wrong_answers={"fillna('store') after concat (a known-unknown becomes 'store')": _fillna_after_concat,
                   "concat alone (old rows left null)": _concat_only,
                   "keeps each file's index": _default_keeps_file_index},
    right_answers={"assign per file, then concat": _assign_per_file,
                   "a has-column marker, then where": _marker_then_where},
    explanation=("Avro's reader-schema default and a Parquet dataset's unified schema both act per FILE: a file "
                 "written before the column existed gets the default; a newer file's null is data."),
)
q_schema_evolution = q6

QUESTIONS = [q1, q2, q3, q4, q5, q6]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401

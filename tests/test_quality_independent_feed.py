"""Lesson 01's validator on a feed it was never tuned to.

The feed here is written by this module alone: it does not use ``pharma_kit.data`` (its own seeded rendering of
clean rows with Python's ``random``, its own lookups, times with seconds, its own defect spellings) and keeps its
own per-line truth. The test asserts, per defect kind the rules promise, precision and recall of exactly 1.0,
the repaired values, and an exact physical-line account (every line is the header, a blank line, or a line of a
kept or quarantined record).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
import pytest

from pharma_kit.quality import clean_csv

COLUMNS = ["transaction_id", "order_id", "customer_id", "store_id", "product_id", "order_date", "quantity", "amount"]
AS_OF = datetime(2025, 6, 30)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@dataclass
class Feed:
    lines: list[str] = field(default_factory=list)          # physical lines, without line endings
    truth: dict[int, str] = field(default_factory=dict)     # line -> expected quarantine reason
    repaired: dict[int, dict] = field(default_factory=dict)  # line -> expected typed values of a kept, repaired row
    clean: dict[int, dict] = field(default_factory=dict)    # line -> expected typed values of a kept clean row
    blank: int = 0

    def add(self, text: str) -> int:
        self.lines.append(text)
        return len(self.lines)


def _csv_field(v: str) -> str:
    return f'"{v}"' if ("," in v or '"' in v) else v


def _render(row: dict) -> str:
    return ",".join(_csv_field(row[c]) for c in COLUMNS)


def make_feed(seed: int, n_orders: int = 1500) -> tuple[Feed, pd.DataFrame, pd.DataFrame]:
    rng = random.Random(seed)
    stores = pd.DataFrame({"store_id": list(range(11, 41))})
    products = pd.DataFrame({"product_id": list(range(2001, 2401))})
    price = {p: rng.randint(99, 9999) for p in products["product_id"]}   # cents
    start = AS_OF - timedelta(days=700)

    rows: list[dict] = []
    tid = 700_000
    oid = 9_000_000
    for _ in range(n_orders):
        oid += rng.randint(1, 3)
        when = start + timedelta(days=rng.randrange(699), seconds=rng.randrange(8 * 3600, 21 * 3600))
        cust, store = rng.randint(400_000, 499_999), rng.randint(11, 40)
        for prod in rng.sample(range(2001, 2401), rng.randint(1, 4)):
            tid += 1
            qty = rng.randint(1, 5)
            cents = qty * price[prod]
            rows.append({"transaction_id": str(tid), "order_id": str(oid), "customer_id": str(cust),
                         "store_id": str(store), "product_id": str(prod), "order_date": when.strftime("%Y-%m-%d %H:%M:%S"),
                         "quantity": str(qty), "amount": f"{cents // 100}.{cents % 100:02d}",
                         "_typed": {"transaction_id": tid, "order_id": oid, "customer_id": cust, "store_id": store,
                                    "product_id": prod, "order_date": pd.Timestamp(when), "quantity": qty,
                                    "amount": cents / 100}})

    # defects: each on its own clean row, one defect per row
    def amount_of(r):
        return r["_typed"]["amount"]

    def money(c):  # dollars with a thousands grouping
        return f"${c // 100:,}.{c % 100:02d}"

    edits = [  # (column, new text from the row, expected reason or None = repaired (typed change))
        ("amount", lambda r: r["amount"] + " USD", "unparseable_amount", None),
        ("amount", lambda r: money(round(amount_of(r) * 100) + 100_000), None, lambda r: {"amount": amount_of(r) + 1000}),
        ("amount", lambda r: f" {amount_of(r):.1f} " if round(amount_of(r) * 100) % 10 == 0 else f" {r['amount']} ",
         None, lambda r: {}),
        ("amount", lambda r: f"{amount_of(r):.1e}", "unparseable_amount", None),
        ("amount", lambda r: "-" + r["amount"], "negative_amount", None),
        ("amount", lambda r: "0.00", "negative_amount", None),
        ("amount", lambda r: "", "null_amount", None),
        ("order_date", lambda r: "2024-13-01", "unparseable_date", None),
        ("order_date", lambda r: "31/12/2024", "unparseable_date", None),
        ("order_date", lambda r: "2024-02-30 " + r["order_date"][11:], "unparseable_date", None),
        ("order_date", lambda r: r["order_date"][:10] + "T" + r["order_date"][11:], None, lambda r: {}),
        ("order_date", lambda r: r["order_date"] + "+02:00", "unparseable_date", None),
        ("order_date", lambda r: "2025-06-30 " + r["order_date"][11:], "future_date", None),
        ("order_date", lambda r: "1899-12-31 " + r["order_date"][11:], "date_too_old", None),
        ("customer_id", lambda r: r["customer_id"].translate(FULLWIDTH), "bad_customer_id", None),
        ("customer_id", lambda r: r["customer_id"][:-1] + r["customer_id"][-1].translate(DEVANAGARI),
         "bad_customer_id", None),
        ("customer_id", lambda r: "NaN", "bad_customer_id", None),
        ("customer_id", lambda r: r["customer_id"] + ".0", "bad_customer_id", None),
        ("customer_id", lambda r: "0", "customer_id_out_of_range", None),
        ("customer_id", lambda r: "", "null_customer", None),
        ("order_id", lambda r: "-" + r["order_id"], "order_id_out_of_range", None),
        ("quantity", lambda r: r["quantity"].translate(FULLWIDTH), "bad_quantity", None),
        ("quantity", lambda r: "0", "quantity_out_of_range", None),
        ("store_id", lambda r: "0", "store_id_out_of_range", None),
        ("store_id", lambda r: str(rng.randint(500, 900)), "unknown_store", None),
        ("product_id", lambda r: str(rng.randint(50_000, 60_000)), "unknown_product", None),
        ("transaction_id", lambda r: "", "null_transaction_id", None),
        ("transaction_id", lambda r: "-" + r["transaction_id"], "transaction_id_out_of_range", None),
        ("order_id", lambda r: r["order_id"] + "x", "bad_order_id", None),
        ("store_id", lambda r: "", "null_store", None),
        ("store_id", lambda r: "1" + r["store_id"].translate(FULLWIDTH), "bad_store_id", None),
        ("product_id", lambda r: r["product_id"] + ".5", "bad_product_id", None),
        ("order_date", lambda r: "", "null_order_date", None),
        ("quantity", lambda r: "", "null_quantity", None),
        ("amount", lambda r: "250000.00", "amount_out_of_range", None),
    ]
    k = 8  # rows per spelling
    picks = rng.sample(range(len(rows)), k * len(edits) + 4 * k)
    for j, (col, make, reason, typed_change) in enumerate(edits):
        for i in picks[j * k:(j + 1) * k]:
            r = rows[i]
            r[col] = make(r)
            r["_reason"] = reason
            if typed_change is not None:
                r["_typed"] = {**r["_typed"], **typed_change(r)}
                r["_repaired"] = True
    resend_src = picks[len(edits) * k:]

    # re-sends and copies of clean rows: (delay, new transaction_id?, place before the original in the file?, reason)
    kinds = [(timedelta(0), True, False, "duplicate_business_key"),       # same second, new transaction_id
             (timedelta(seconds=37), True, True, "near_duplicate"),       # half a minute later, listed FIRST
             (timedelta(minutes=10), True, False, "duplicate_business_key"),
             (timedelta(0), False, False, "exact_duplicate")]
    inserts: dict[int, list[dict]] = {}
    for j, (delay, new_tid, before, reason) in enumerate(kinds):
        for i in resend_src[j * k:(j + 1) * k]:
            src = rows[i]
            copy = {c: src[c] for c in COLUMNS}
            when = pd.Timestamp(src["order_date"]) + delay
            copy["order_date"] = when.strftime("%Y-%m-%d %H:%M:%S")
            if new_tid:
                tid += 1
                copy["transaction_id"] = str(tid)
            copy["_reason"] = reason
            inserts.setdefault(i, []).append((before, copy))
    # a line reusing another clean line's transaction_id for a different sale
    untouched = [i for i in range(len(rows)) if not ({"_reason", "_repaired"} & set(rows[i])) and i not in inserts]
    for i, j in zip(untouched[:k], untouched[-k:]):
        other = {c: rows[j][c] for c in COLUMNS}
        other["transaction_id"] = rows[i]["transaction_id"]
        other["order_id"] = str(8_000_000 + i)  # its own order, so only the id collides
        other["_reason"] = "transaction_id_conflict"
        inserts.setdefault(i, []).append((False, other))

    feed = Feed()
    feed.add(",".join(COLUMNS))

    def put(r: dict) -> None:
        line = feed.add(_render(r))
        if r.get("_reason"):
            feed.truth[line] = r["_reason"]
        elif r.get("_repaired"):
            feed.repaired[line] = r["_typed"]
        else:
            feed.clean[line] = r["_typed"]

    for i, r in enumerate(rows):
        for before, extra in inserts.get(i, []):
            if before:
                put(extra)
        put(r)
        for before, extra in inserts.get(i, []):
            if not before:
                put(extra)
        if i % 397 == 0:  # blank lines and broken lines scattered through the file
            feed.add("")
            feed.blank += 1
        if i % 601 == 5:
            feed.truth[feed.add(",".join(r[c] for c in COLUMNS[:5]))] = "wrong_column_count"
        if i % 743 == 9:
            feed.truth[feed.add(",".join(COLUMNS))] = "repeated_header"
        if i % 911 == 13:
            bad = {c: r[c] for c in COLUMNS}
            bad["order_id"], bad["amount"] = str(7_000_000 + i), '"' + r["amount"]
            feed.truth[feed.add(",".join(bad[c] for c in COLUMNS))] = "unbalanced_quote"
    return feed, stores, products


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_every_promised_kind_is_found_exactly_on_an_independent_feed(tmp_path, seed):
    feed, stores, products = make_feed(seed)
    path = tmp_path / f"independent_{seed}.csv"
    path.write_text("\n".join(feed.lines) + "\n", encoding="utf-8", newline="")
    res = clean_csv(path, as_of=AS_OF, stores=stores, products=products)

    # exact physical-line accounting
    a = res.line_accounting()
    assert a["lines"] == len(feed.lines) and a["blank"] == feed.blank and a["header"] == 1
    expected_lines = set(feed.truth) | set(feed.repaired) | set(feed.clean)
    assert set(res.kept.index) | set(res.quarantine.index) == expected_lines
    assert a["record_lines"] == len(expected_lines)

    # per kind: precision and recall exactly 1.0
    got = res.quarantine["reason"]
    truth = pd.Series(feed.truth)
    kinds = sorted(set(truth))
    assert len(kinds) == 31, kinds
    table = []
    for kind in kinds:
        flagged = set(got.index[got == kind])
        actual = set(truth.index[truth == kind])
        tp = len(flagged & actual)
        table.append((kind, len(actual), len(flagged), tp / max(len(flagged), 1), tp / len(actual)))
    bad = [t for t in table if t[3] != 1.0 or t[4] != 1.0]
    assert not bad, bad
    assert set(got.index) == set(truth.index)

    # kept rows: the clean ones with their exact values, the repaired ones with the repaired values
    expect = pd.DataFrame.from_dict({**feed.clean, **feed.repaired}, orient="index")[COLUMNS].sort_index()
    kept = res.kept.sort_index()
    assert list(kept.index) == list(expect.index)
    for c in COLUMNS:
        if c == "amount":
            assert (kept[c] - expect[c].astype("float64")).abs().max() < 1e-9
        elif c == "order_date":
            assert (kept[c] == pd.to_datetime(expect[c]).astype("datetime64[us]")).all()
        else:
            assert (kept[c] == expect[c].astype("int64")).all(), c
    # every quarantined row carries its line as it was
    assert (res.quarantine["raw_line"] == pd.Series({n: feed.lines[n - 1] for n in res.quarantine.index})).all()

"""JSON drill: flatten nested order records to one row per order line.

Each drill is one block: its example and case maker, its pandas reference, its classic wrong answers,
its SQL twin and the ``Drill`` itself (prompt, hints, right answers, complexity, what the interviewer
listens for). The bank (:mod:`pharma_kit.drills.bank`) finds every ``Drill`` defined here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit.drills.helpers import Case, question
from pharma_kit.drills.model import Drill
from pharma_kit.drills.sql import json_payloads

#: where this topic's drills sit in the bank (modules are assembled in ORDER)
ORDER = 120


# === flatten-json ====================================================================================================

def example_flatten() -> Case:
    return {"records": [
        {"order_id": 1, "customer": {"id": 7, "tier": "gold"},
         "lines": [{"sku": "VIT-C", "qty": 2, "price": 4.5}, {"sku": "PLASTER", "qty": 1, "price": 2.0}]},
        {"order_id": 2, "customer": {"id": 8}, "lines": []},
    ]}


def cases_flatten(rng: np.random.Generator) -> list[Case]:
    out = [example_flatten(), {"records": [{"order_id": 5, "customer": {"id": 1, "tier": None},
                                            "lines": [{"sku": "A", "qty": 1, "price": 1.0}]}]}]
    recs = []
    for oid in rng.permutation(12) + 1:
        cust = {"id": int(rng.integers(1, 6))}
        if rng.random() < 0.7:
            cust["tier"] = str(rng.choice(["bronze", "silver", "gold"]))
        lines = [{"sku": f"SKU-{int(rng.integers(1, 9))}", "qty": int(rng.integers(1, 4)),
                  "price": float(rng.integers(1, 40)) / 2} for _ in range(int(rng.integers(0, 4)))]
        recs.append({"order_id": int(oid), "customer": cust, "lines": lines})
    out.append({"records": recs})
    return out


def flatten_orders(records: list[dict]) -> pd.DataFrame:
    """One row per order line from nested order records; an order without lines keeps one row of nulls."""
    cols = ["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]
    if not records:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    head = pd.json_normalize(records, max_level=1)
    head = head.reindex(columns=["order_id", "customer.id", "customer.tier", "lines"])
    head = head.rename(columns={"customer.id": "customer_id", "customer.tier": "tier"})
    exploded = head.explode("lines", ignore_index=True)
    has_line = exploded["lines"].map(lambda x: isinstance(x, dict))
    lines = pd.json_normalize([x if isinstance(x, dict) else {} for x in exploded["lines"]])
    lines = lines.reindex(columns=["sku", "qty", "price"])
    out = pd.concat([exploded.drop(columns="lines"), lines], axis=1)
    out["line_no"] = has_line.astype("int64").groupby(out["order_id"]).cumsum().where(has_line)
    return out[cols].sort_values(["order_id", "line_no"], kind="stable").reset_index(drop=True)


def flatten_record_path(records: list[dict]) -> pd.DataFrame:
    flat = pd.json_normalize(records, record_path="lines", meta=["order_id", ["customer", "id"], ["customer", "tier"]],
                             errors="ignore")
    flat = flat.rename(columns={"customer.id": "customer_id", "customer.tier": "tier"})
    flat["line_no"] = flat.groupby("order_id").cumcount() + 1
    return flat[["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]] \
        .sort_values(["order_id", "line_no"]).reset_index(drop=True)


def flatten_tier_required(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        base = {"order_id": r["order_id"], "customer_id": r["customer"]["id"], "tier": r["customer"]["tier"]}
        for i, line in enumerate(r["lines"], start=1):
            rows.append({**base, "line_no": i, **line})
        if not r["lines"]:
            rows.append({**base, "line_no": None, "sku": None, "qty": None, "price": None})
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]) \
        .sort_values(["order_id", "line_no"]).reset_index(drop=True)


FLATTEN_ORDERS_SQL = """
WITH r AS (SELECT CAST(payload AS JSON) AS j FROM raw),
o AS (
    SELECT CAST(j->>'order_id' AS BIGINT) AS order_id,
           CAST(j->'customer'->>'id' AS BIGINT) AS customer_id,
           j->'customer'->>'tier' AS tier,
           CAST(j->'lines' AS JSON[]) AS lines
    FROM r
)
SELECT o.order_id, o.customer_id, o.tier, l.line_no,
       l.line->>'sku' AS sku, CAST(l.line->>'qty' AS BIGINT) AS qty, CAST(l.line->>'price' AS DOUBLE) AS price
FROM o LEFT JOIN LATERAL (SELECT UNNEST(o.lines) AS line, generate_subscripts(o.lines, 1) AS line_no) l ON TRUE
ORDER BY o.order_id, l.line_no
"""


def flatten_orders_loop(records: list[dict]) -> pd.DataFrame:
    """Right answer: plain loops; an order without lines keeps one row of nulls."""
    cols = ["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]
    rows = []
    for r in records:
        cust = r.get("customer") or {}
        base = [r["order_id"], cust.get("id"), cust.get("tier")]
        lines = r.get("lines") or []
        for i, line in enumerate(lines, start=1):
            rows.append(base + [i, line.get("sku"), line.get("qty"), line.get("price")])
        if not lines:
            rows.append(base + [None, None, None, None])
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["order_id", "line_no"], na_position="first", kind="stable")


def flatten_orders_record_path(records: list[dict]) -> pd.DataFrame:
    """Right answer: json_normalize(record_path='lines') for the lines, plus the orders without any."""
    cols = ["order_id", "customer_id", "tier", "line_no", "sku", "qty", "price"]
    heads = pd.DataFrame([{"order_id": r["order_id"], "customer_id": r["customer"].get("id"),
                           "tier": r["customer"].get("tier"), "n": len(r["lines"])} for r in records])
    if heads.empty:
        return pd.DataFrame(columns=cols)
    lines = pd.json_normalize(records, record_path="lines", meta=["order_id"])
    if len(lines):
        lines["line_no"] = lines.groupby("order_id").cumcount() + 1
    lines = lines.reindex(columns=["order_id", "line_no", "sku", "qty", "price"])
    out = heads.merge(lines, on="order_id", how="left").drop(columns="n")
    return out[cols].sort_values(["order_id", "line_no"], kind="stable")


FLATTEN_JSON = Drill(
    id="flatten-json", title="Flatten nested order records", topic="json", level=2,
    question=question("flatten-json",
                      "`records` is a list of dicts like {'order_id': 1, 'customer': {'id': 7, 'tier': 'gold'}, "
                      "'lines': [{'sku': ..., 'qty': ..., 'price': ...}, ...]}; 'tier' may be missing or None and "
                      "'lines' may be empty. Return one row per line with order_id, customer_id, tier, line_no (1-based "
                      "position in the list), sku, qty, price; an order without lines keeps ONE row with nulls in the "
                      "line columns. Sort by order_id, line_no.",
                      flatten_orders, cases_flatten,
                      ["pd.json_normalize flattens nested dicts ('customer.id').",
                       "json_normalize(record_path='lines') silently drops orders whose list is empty: explode instead.",
                       "explode() turns [] into one NaN row: that is the 'keep every order' behaviour you want."],
                      {"json_normalize(record_path=...) drops orders without lines": flatten_record_path,
                       "assumes every customer has a tier (KeyError)": flatten_tier_required},
                      right={"plain loops": flatten_orders_loop,
                             "json_normalize(record_path=...)": flatten_orders_record_path}, check_index=False),
    example=example_flatten,
    sql=FLATTEN_ORDERS_SQL, sql_inputs=json_payloads,
    complexity="O(total lines); json_normalize is a Python-level walk, fine for API pages, not for GBs "
               "(use DuckDB read_json or pyarrow).",
    listens_for=["Every input record accounted for (empty lists, missing keys).",
                 "Schema drift handling: optional keys, explicit columns.",
                 "Where it runs at scale: read_json_auto / UNNEST in the warehouse."])

"""CSV, Parquet (snappy, zstd), Avro and JSON Lines: exact round trips, appends, schema evolution and bad input.

Round trips use 50k clean rows (the benchmark uses 1M); equality is exact, values AND dtypes.
Nothing here asserts a timing: the measured table is printed by ``benchmarks/bench_formats.py``.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from pharma_kit import fileformats as ff
from pharma_kit.data import clean_transactions
from pharma_kit.errors import InputFileError

N = 50_000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return clean_transactions(N, seed=21)


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return clean_transactions(500, seed=7)


# -- round trips: values and types --------------------------------------------------------------------
@pytest.mark.parametrize("fmt", list(ff.FORMATS))
def test_round_trip_keeps_values_and_types(fmt, frame, tmp_path):
    got, path = ff.round_trip(frame, fmt, tmp_path)
    assert ff.compare_frames(frame, got) == []
    pd.testing.assert_frame_equal(got, frame, check_exact=True)
    assert {c: str(t) for c, t in got.dtypes.items()} == ff.DTYPES
    assert path.stat().st_size > 0


def test_avro_money_as_double_round_trips_too(frame, tmp_path):
    path = ff.write_avro(frame, tmp_path / "t.avro", ff.avro_schema(money="double"))
    pd.testing.assert_frame_equal(ff.read_avro(path), frame, check_exact=True)
    assert {f["name"]: f["type"] for f in ff.avro_writer_schema(path)["fields"]}["amount"] == "double"


def test_avro_schema_is_explicit_timestamp_micros_and_decimal(frame, tmp_path):
    path = ff.write_avro(frame.head(10), tmp_path / "t.avro")
    types = {f["name"]: f["type"] for f in ff.avro_writer_schema(path)["fields"]}
    assert types["order_date"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert types["amount"] == {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
    assert all(types[c] == "long" for c in ff.INT_COLUMNS)


def test_decimal_money_refuses_fractions_of_a_cent(small, tmp_path):
    bad = small.copy()
    bad.loc[3, "amount"] = 1.005
    with pytest.raises(ValueError, match="cents"):
        ff.write_avro(bad, tmp_path / "t.avro")
    ff.write_avro(bad, tmp_path / "ok.avro", ff.avro_schema(money="double"))  # the documented float choice
    assert ff.read_avro(tmp_path / "ok.avro").loc[3, "amount"] == 1.005


def test_round_trip_of_sub_second_times_and_epoch_edges(small, tmp_path):
    edge = small.head(4).copy()
    edge["order_date"] = pd.to_datetime(["1969-12-31 23:59:59.999999", "1970-01-01 00:00:00.000000",
                                         "2024-02-29 12:00:00.000001", "2038-01-19 03:14:08.500000"]).astype(
        "datetime64[us]")
    for fmt in ff.FORMATS:
        got, _ = ff.round_trip(edge, fmt, tmp_path)
        pd.testing.assert_frame_equal(got, edge.reset_index(drop=True), check_exact=True, obj=fmt)


@pytest.mark.parametrize("fmt", list(ff.FORMATS))
def test_one_column_read(fmt, small, tmp_path):
    path = tmp_path / f"t{ff.FORMATS[fmt].suffix}"
    ff.write(small, path, fmt)
    got = ff.read(path, fmt, ["amount"])
    pd.testing.assert_frame_equal(got, small[["amount"]], check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "avro", "jsonl"])
def test_row_formats_append(fmt, small, tmp_path):
    path = tmp_path / f"t{ff.FORMATS[fmt].suffix}"
    writer = {"csv": ff.write_csv, "avro": ff.write_avro, "jsonl": ff.write_jsonl}[fmt]
    writer(small.iloc[:200], path)
    writer(small.iloc[200:], path, append=True)
    pd.testing.assert_frame_equal(ff.read(path, fmt), small, check_exact=True)


def test_parquet_prunes_columns_and_pushes_predicates_down(frame, tmp_path):
    path = ff.write_parquet(frame.sort_values("order_date"), tmp_path / "t.parquet", row_group_rows=5_000)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == N // 5_000
    cut = frame["order_date"].sort_values().iloc[N - 4_000]
    got = ff.read_parquet(path, ["order_date", "amount"], filters=[("order_date", ">=", cut)])
    assert list(got.columns) == ["order_date", "amount"] and (got["order_date"] >= cut).all()
    assert len(got) == int((frame["order_date"] >= cut).sum())
    # pushdown: the row groups a reader must open, from the footer's statistics alone
    col = meta.schema.to_arrow_schema().get_field_index("order_date")
    needed = [g for g in range(meta.num_row_groups)
              if meta.row_group(g).column(col).statistics.max >= cut.to_pydatetime()]
    assert len(needed) <= 2


def test_format_table_properties_are_complete():
    for spec in ff.FORMATS.values():
        for prop in ("keeps_types", "column_pruning", "predicate_pushdown", "appends", "streaming"):
            assert getattr(spec, prop).split()[0] in {"yes", "no", "by"}, (spec.name, prop)
    assert ff.FORMATS["parquet-zstd"].column_pruning.startswith("yes")
    assert ff.FORMATS["avro"].column_pruning.startswith("no")


# -- bad input --------------------------------------------------------------------------------------
def test_truncated_avro_is_a_clear_input_file_error(frame, tmp_path):
    path = ff.write_avro(frame, tmp_path / "t.avro")
    data = path.read_bytes()
    cut = tmp_path / "cut.avro"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputFileError, match=r"truncated or corrupt Avro file: [\d,]+ records read") as info:
        ff.read_avro(cut)
    assert str(cut) in str(info.value)
    head = tmp_path / "head.avro"
    head.write_bytes(data[:20])
    with pytest.raises(InputFileError, match="not an Avro container file"):
        ff.read_avro(head)
    empty = tmp_path / "empty.avro"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        ff.read_avro(empty)


def _jsonl_with(tmp_path, small, replace: dict[int, str], name="t.jsonl"):
    path = ff.write_jsonl(small, tmp_path / name)
    lines = path.read_text(encoding="utf-8").split("\n")
    for no, text in replace.items():
        lines[no - 1] = text
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_jsonl_malformed_line_is_quarantined_with_its_line_number(small, tmp_path):
    path = ff.write_jsonl(small, tmp_path / "t.jsonl")
    lines = path.read_text(encoding="utf-8").split("\n")
    broken = lines[41][:-7]  # the line lost its tail: '...,"amount":12.' -> invalid JSON
    lines[41] = broken
    path.write_text("\n".join(lines), encoding="utf-8")
    res = ff.read_jsonl(path)
    assert res.rejected.index.tolist() == [42]
    assert res.rejected.loc[42, "reason"] == "malformed_json" and res.rejected.loc[42, "raw_line"] == broken
    expected = small.drop(index=41).reset_index(drop=True)
    pd.testing.assert_frame_equal(res.frame, expected, check_exact=True)
    assert res.line_accounting() == {"lines": 500, "blank": 0, "kept": 499, "rejected": 1}
    with pytest.raises(InputFileError, match=r"line 42: malformed_json") as info:
        ff.read_jsonl(path, on_bad="raise")
    assert str(path) in str(info.value)


def test_jsonl_each_kind_of_bad_line_has_its_reason(small, tmp_path):
    row = json.loads(ff.write_jsonl(small.head(1), tmp_path / "one.jsonl").read_text().strip())
    cases = {
        3: ("[1, 2, 3]", "not_an_object"),
        5: (json.dumps({k: v for k, v in row.items() if k != "amount"}), "missing_field"),
        7: (json.dumps({**row, "note": "x"}), "unexpected_field"),
        9: (json.dumps({**row, "amount": "12.50"}), "wrong_type"),
        11: (json.dumps({**row, "store_id": True}), "wrong_type"),
        13: (json.dumps({**row, "order_date": "31/12/2024"}), "bad_timestamp"),
        15: ("", None),  # a blank line: counted, not rejected
    }
    path = _jsonl_with(tmp_path, small, {no: text for no, (text, _) in cases.items()})
    res = ff.read_jsonl(path)
    assert res.rejected["reason"].to_dict() == {no: r for no, (_, r) in cases.items() if r}
    assert res.blank_lines == [15]
    acc = res.line_accounting()
    assert acc["blank"] + acc["kept"] + acc["rejected"] == acc["lines"] == 500
    assert set(res.rejected["reason"]) <= set(ff.JSONL_REASONS)
    assert {c: str(t) for c, t in res.frame.dtypes.items()} == ff.DTYPES


def test_jsonl_non_utf8_line_is_quarantined(small, tmp_path):
    path = ff.write_jsonl(small.head(5), tmp_path / "t.jsonl")
    data = path.read_bytes().split(b"\n")
    data[2] = b'{"caf\xe9": 1}'
    path.write_bytes(b"\n".join(data))
    res = ff.read_jsonl(path)
    assert res.rejected["reason"].to_dict() == {3: "non_utf8_bytes"} and len(res.frame) == 4


def test_parquet_with_an_unexpected_type_is_refused(small, tmp_path):
    table = pa.Table.from_pandas(small.assign(amount=small["amount"].map("{:.2f}".format)), preserve_index=False)
    path = tmp_path / "drift.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputFileError, match=r"column 'amount' has type (string|large_string), expected double"):
        ff.read_parquet(path)
    pd.testing.assert_frame_equal(ff.read_parquet(path, ["order_id"]), small[["order_id"]])  # others still readable
    narrow = pa.Table.from_pandas(small.astype({"store_id": "int32", "amount": "float32"}), preserve_index=False)
    pq.write_table(narrow, tmp_path / "narrow.parquet")
    got = ff.read_parquet(tmp_path / "narrow.parquet")  # a lossless widening is accepted, and cast
    assert got["store_id"].dtype == "int64" and got["store_id"].equals(small["store_id"])
    tz = pa.Table.from_pandas(small.assign(order_date=small["order_date"].dt.tz_localize("UTC")),
                              preserve_index=False)
    pq.write_table(tz, tmp_path / "tz.parquet")
    with pytest.raises(InputFileError, match="order_date"):
        ff.read_parquet(tmp_path / "tz.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputFileError, match="not a readable Parquet file"):
        ff.read_parquet(tmp_path / "junk.parquet")
    with pytest.raises(InputFileError, match="no such file"):
        ff.read_parquet(tmp_path / "missing.parquet")


# -- schema evolution --------------------------------------------------------------------------------
def _new_rows(small: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    channel = pd.Series(rng.choice(["store", "web", "app"], size=len(small)), dtype="str")
    channel[::50] = None  # unknown channel: a genuine null, NOT the default
    return small.assign(channel=channel)


def test_avro_reader_schema_fills_the_new_field_with_its_default(small, tmp_path):
    v1 = ff.avro_schema()
    v2 = ff.add_avro_field(v1)
    old = ff.write_avro(small, tmp_path / "old.avro", v1)
    new_rows = _new_rows(small)
    v2_writer = ff.add_avro_field(v1, type_=["null", "string"], default=None)  # writers may leave it unknown
    new = ff.write_avro(new_rows, tmp_path / "new.avro", v2_writer)
    got_old = ff.read_avro(old, reader_schema=v2)
    assert list(got_old.columns) == ff.COLUMNS + ["channel"] and (got_old["channel"] == "store").all()
    pd.testing.assert_frame_equal(got_old[ff.COLUMNS], small, check_exact=True)
    got_new = ff.read_avro(new, reader_schema=ff.add_avro_field(v1, type_=["null", "string"], default=None))
    assert got_new["channel"].isna().sum() == new_rows["channel"].isna().sum() > 0
    assert ff.read_avro(old, reader_schema=ff.add_avro_field(v1, type_=["string", "null"]))["channel"].eq("store").all()
    with pytest.raises(InputFileError, match="does not resolve"):  # a non-null reader type cannot take a null
        ff.read_avro(new, reader_schema=v2)


def test_avro_rename_needs_an_alias_and_a_retype_is_refused(small, tmp_path):
    v1 = ff.avro_schema()
    path = ff.write_avro(small, tmp_path / "old.avro", v1)
    with pytest.raises(InputFileError, match="No default value for field units"):
        ff.read_avro(path, reader_schema=ff.rename_avro_field(v1, "quantity", "units", alias=False))
    got = ff.read_avro(path, reader_schema=ff.rename_avro_field(v1, "quantity", "units"))
    assert got["units"].tolist() == small["quantity"].tolist()
    with pytest.raises(InputFileError, match="long is not string"):
        ff.read_avro(path, reader_schema=ff.retype_avro_field(v1, "quantity", "string"))
    promoted = ff.read_avro(path, reader_schema=ff.retype_avro_field(v1, "quantity", "double"))  # a promotion
    assert promoted["quantity"].tolist() == small["quantity"].astype(float).tolist()


def test_parquet_unified_schema_default_only_for_old_files(small, tmp_path):
    old = ff.write_parquet(small.iloc[:300], tmp_path / "old.parquet")
    new_rows = _new_rows(small.iloc[300:].reset_index(drop=True))
    new = ff.write_parquet(new_rows, tmp_path / "new.parquet")
    schema = ff.unified_parquet_schema([old, new])
    assert schema.names == ff.COLUMNS + ["channel"]
    got = ff.read_parquet_evolved([old, new])
    assert got.iloc[:300]["channel"].eq("store").all()
    pd.testing.assert_series_equal(got.iloc[300:]["channel"].reset_index(drop=True), new_rows["channel"],
                                   check_names=False)
    pd.testing.assert_frame_equal(got[ff.COLUMNS], small, check_exact=True)
    # the trap: fill_null on the whole column also overwrites the newer files' genuine nulls
    naive = pads.dataset([str(old), str(new)], schema=schema).to_table().to_pandas()
    assert naive["channel"].isna().sum() == 300 + new_rows["channel"].isna().sum()
    exp = ff.conform_frames([small.iloc[:300], new_rows])
    pd.testing.assert_frame_equal(got, exp, check_exact=True)


def test_parquet_rename_reads_as_nulls_and_retype_is_cast_or_refused(small, tmp_path):
    path = ff.write_parquet(small, tmp_path / "old.parquet")
    renamed = pa.schema([pa.field("units" if f.name == "quantity" else f.name, f.type) for f in ff.ARROW_SCHEMA])
    got = pads.dataset(str(path), schema=renamed).to_table()
    assert got.column("units").null_count == len(small)  # silently: matched by name, the data is "gone"
    retyped = pa.schema([pa.field("amount", pa.int64()) if f.name == "amount" else f for f in ff.ARROW_SCHEMA])
    with pytest.raises(InputFileError, match="truncated"):  # 5.49 -> 5: Arrow refuses the unsafe cast
        ff.read_parquet_evolved([path], schema=retyped, defaults={})
    as_text = pa.schema([pa.field("amount", pa.string()) if f.name == "amount" else f for f in ff.ARROW_SCHEMA])
    cast = ff.read_parquet_evolved([path], schema=as_text, defaults={})  # ... but double -> string is cast quietly
    assert cast["amount"].iloc[0] == str(small["amount"].iloc[0])
    drift = pa.Table.from_pandas(small.assign(quantity=small["quantity"].astype(str)), preserve_index=False)
    pq.write_table(drift, tmp_path / "drift.parquet")
    with pytest.raises(InputFileError, match="disagree"):
        ff.unified_parquet_schema([path, tmp_path / "drift.parquet"])


def test_conform_frames_edges(small):
    new = _new_rows(small.head(4))
    out = ff.conform_frames([new, small.head(0), small.head(2)])
    pd.testing.assert_series_equal(out["channel"].iloc[:4], new["channel"], check_names=False)
    assert out["channel"].tolist()[4:] == ["store", "store"] and out["channel"].isna().sum() == 1
    assert out.index.equals(pd.RangeIndex(6)) and str(out["channel"].dtype) == "str"
    assert list(ff.conform_frames([small.head(0)]).columns) == ff.COLUMNS + ["channel"]


# -- the lesson 04 exercise on schema evolution ------------------------------------------------------
def test_schema_evolution_exercise_is_honest_and_fair():
    from pharma_kit.exercises import lesson04

    q = lesson04.q_schema_evolution
    assert q.check(q.reference, seed=0).status == "correct"

    def stub(parts):
        raise NotImplementedError("Your code here")

    assert q.check(stub, seed=0).status == "not attempted"
    assert len(q.right_answers) >= 2 and q.wrong_answers
    if q in lesson04.QUESTIONS:
        return  # tests/test_exercises_honest.py and test_exercises_fair.py prove it on 20 seeds
    for seed in range(20):
        for label, fn in q.right_answers.items():
            assert q.check(fn, seed=seed).status == "correct", (label, seed)
        for label, fn in q.wrong_answers.items():
            assert q.check(fn, seed=seed).status in ("incorrect", "error"), (label, seed)


def test_jsonl_refuses_values_json_cannot_hold(small, tmp_path):
    bad = small.head(3).copy()
    bad.loc[1, "amount"] = float("inf")
    with pytest.raises(ValueError, match="inf or NaN"):
        ff.write_jsonl(bad, tmp_path / "t.jsonl")
    line = ff.write_jsonl(small.head(1), tmp_path / "ok.jsonl").read_text(encoding="utf-8")
    assert json.loads(line)["order_date"] == small["order_date"].iloc[0].isoformat(timespec="microseconds")

"""The evidence store's building blocks: the fixed schema, the manifest, the parts, DuckDB reads.

Real Parquet files in ``tmp_path``, no mocks. ``convert_logs`` end to end is
in ``tests/scale/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load.event_store import (
    MANIFEST,
    STORE_COLUMNS,
    STORE_SCHEMA,
    EventStoreWriter,
    is_event_store,
    new_manifest,
    open_events,
    read_events,
    read_manifest,
    store_parts,
    to_store_table,
    write_manifest,
)

TS = pa.timestamp("ns", tz="UTC")


def _ts(*seconds: float | None) -> pa.Array:
    return pa.array([None if s is None else int(s * 1e9) for s in seconds], pa.int64()).cast(TS)


def _table_nested() -> pa.Table:
    """Three rows; ``attrs`` has an int and a nested field: set, a row without attrs, a row with every field null."""
    attrs_type = pa.struct([("x", pa.int64()), ("n", pa.struct([("k", pa.list_(pa.int64())), ("s", pa.string())]))])
    return pa.table(
        {
            "ts": _ts(1710410400, 1710410401, None),
            "service": ["api", "api", None],
            "msg": ["a", "b", "c"],
            "status": pa.array([200, None, 503], pa.int32()),
            "attrs": pa.array(
                [{"x": 1, "n": {"k": [1, 2], "s": "é"}}, None, {"x": None, "n": None}],
                attrs_type,
            ),
            "line_no": pa.array([1, 2, 3], pa.int32()),
            "source_file": ["a.log"] * 3,
        }
    )


def _table_scalars() -> pa.Table:
    """Other attrs fields (string, bool, float) and columns of other types than the store's."""
    return pa.table(
        {
            "ts": _ts(1710410402, 1710410403),
            "service": ["db", "db"],
            "level": ["error", "info"],
            "msg": ["d", "e"],
            "latency_ms": pa.array([1.5, None], pa.float32()),
            "attrs": pa.array([{"y": "s", "b": True, "f": 1.5}, {"y": None, "b": False, "f": None}]),
            "line_no": [1, 2],
            "source_file": ["b.log", "b.log"],
            "parse_ok": [True, True],
        }
    )


def _attrs(table: pa.Table) -> list[dict[str, str] | None]:
    return [None if m is None else dict(m) for m in table.column("attrs").to_pylist()]


# --------------------------------------------------------------------------- to_store_table


def test_to_store_table_gives_the_fixed_schema_whatever_the_attrs_fields() -> None:
    a, b = to_store_table(_table_nested()), to_store_table(_table_scalars())
    assert a.schema == STORE_SCHEMA and b.schema == STORE_SCHEMA
    assert a.column_names == STORE_COLUMNS
    both = pa.concat_tables([a, b])  # no promotion needed: the types never differ
    assert both.num_rows == 5 and both.schema == STORE_SCHEMA


def test_to_store_table_attrs_values_as_text_nested_as_json_nulls_kept() -> None:
    a = to_store_table(_table_nested())
    first, no_attrs, all_null = _attrs(a)
    assert first is not None and set(first) == {"x", "n"}
    assert first["x"] == "1"
    assert json.loads(first["n"]) == {"k": [1, 2], "s": "é"}  # nested value: JSON text
    assert no_attrs is None  # a row without attrs stays null, not an empty map
    assert all_null == {}  # a row whose fields are all null: no keys (a null value is no key)
    b = to_store_table(_table_scalars())
    assert _attrs(b) == [{"y": "s", "b": "true", "f": "1.5"}, {"b": "false"}]


def test_to_store_table_casts_columns_and_fills_missing_ones() -> None:
    a = to_store_table(_table_nested())
    assert a.column("status").to_pylist() == [200, None, 503]  # int32 → int64, null kept
    assert a.column("line_no").type == pa.int64()
    assert a.column("service").to_pylist() == ["api", "api", None]
    for missing in ("level", "trace_id", "error_layer", "retryable", "error_rule", "parse_ok"):
        assert a.column(missing).null_count == 3, missing
    b = to_store_table(_table_scalars())
    assert b.column("latency_ms").type == pa.float64() and b.column("latency_ms").to_pylist() == [1.5, None]


def test_to_store_table_without_attrs_and_with_empty_or_null_attrs() -> None:
    bare = to_store_table(pa.table({"msg": ["a", "b"]}))
    assert bare.schema == STORE_SCHEMA and _attrs(bare) == [None, None]
    empty_struct = pa.table({"msg": ["a", "b"], "attrs": pa.array([{}, None], pa.struct([]))})
    assert _attrs(to_store_table(empty_struct)) == [{}, None]
    null_typed = pa.table({"msg": ["a", "b"], "attrs": pa.nulls(2)})
    assert _attrs(to_store_table(null_typed)) == [None, None]
    as_map = pa.table({"msg": ["a"], "attrs": pa.array([[("k", "v")]], pa.map_(pa.string(), pa.string()))})
    assert _attrs(to_store_table(as_map)) == [{"k": "v"}]


def test_to_store_table_of_a_slice_reads_the_sliced_rows() -> None:
    t = pa.table(
        {"msg": list("abcdef"), "attrs": pa.array([{"x": i, "y": None if i % 2 else f"s{i}"} for i in range(6)])}
    )
    assert _attrs(to_store_table(t.slice(2, 3))) == [{"x": "2", "y": "s2"}, {"x": "3"}, {"x": "4", "y": "s4"}]


# --------------------------------------------------------------------------- manifest and parts


def _write_store(root: Path, tables: list[pa.Table], partition_by: tuple[str, ...] = ("service",)) -> dict:
    """A store written as convert_logs writes one: a writer, one committed file per table, a manifest."""
    root.mkdir(parents=True, exist_ok=True)
    writer = EventStoreWriter(root, partition_by)
    manifest = new_manifest(partition_by, classified=False)
    for i, table in enumerate(tables):
        writer.add(to_store_table(table))
        parts = writer.finish_file()
        manifest["files"].append({"source_file": f"f{i}", "status": "converted", "parts": parts})
    manifest["rows"] = sum(t.num_rows for t in tables)
    write_manifest(root, manifest)
    return manifest


def test_read_manifest_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="not an apiprobe evidence store"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFormatError, match="unreadable store manifest"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "something-else", "version": 1}), encoding="utf-8")
    with pytest.raises(DataFormatError, match="not an apiprobe evidence store manifest"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not an apiprobe evidence store manifest"):
        read_manifest(tmp_path)


def test_read_manifest_refuses_a_newer_version(tmp_path: Path) -> None:
    manifest = new_manifest(("service",), classified=True)
    manifest["version"] = 99
    write_manifest(tmp_path, manifest)
    with pytest.raises(DataFormatError, match="version 99 is newer"):
        read_manifest(tmp_path)
    with pytest.raises(DataFormatError, match="version 99 is newer"):
        open_events(tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        {"version": "1"},
        {"version": None},
        {"files": None},
        {"files": [{"parts": [{"rows": 1}]}]},  # a part without a path
        {"files": [{"parts": [{"path": "../outside.parquet"}]}]},  # a part outside the store
        {"files": [{"parts": [{"path": "/etc/passwd"}]}]},
    ],
    ids=["version-text", "version-null", "files-null", "part-without-path", "part-outside", "part-absolute"],
)
def test_read_manifest_refuses_a_malformed_manifest_with_a_named_error(tmp_path: Path, change: dict) -> None:
    manifest = {**new_manifest(("service",), classified=True), **change}
    write_manifest(tmp_path, manifest)
    with pytest.raises(DataFormatError, match=MANIFEST):
        read_manifest(tmp_path)
    with pytest.raises(DataFormatError):
        store_parts(tmp_path)


def test_store_parts_names_a_missing_part(tmp_path: Path) -> None:
    _write_store(tmp_path, [_table_nested(), _table_scalars()])
    parts = store_parts(tmp_path)
    assert len(parts) == 3 and all(p.is_file() for p in parts)  # api, (none), db
    parts[1].unlink()
    with pytest.raises(DataFormatError, match="1 part\\(s\\) listed") as err:
        store_parts(tmp_path)
    assert str(parts[1]) in str(err.value)
    with pytest.raises(DataFormatError, match="are gone"):
        read_events(tmp_path)


def test_store_parts_of_what_is_no_store(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="not a directory"):
        store_parts(tmp_path / "nowhere")
    with pytest.raises(DataFormatError, match="no Parquet files"):
        store_parts(tmp_path)
    assert not is_event_store(tmp_path) and not is_event_store(tmp_path / "nowhere") and not is_event_store(3)


def test_a_store_with_no_file_committed_reads_empty(tmp_path: Path) -> None:
    write_manifest(tmp_path, new_manifest(("service",), classified=True))
    assert is_event_store(tmp_path)
    assert store_parts(tmp_path) == []
    assert open_events(tmp_path).columns == STORE_COLUMNS
    events = read_events(tmp_path)
    assert events.empty and list(events.columns) == STORE_COLUMNS


# --------------------------------------------------------------------------- reading


def test_open_events_on_plain_parquet_without_a_manifest(tmp_path: Path) -> None:
    """Any directory of Parquet files in the events schema; files with fewer columns are filled by name."""
    (tmp_path / "x").mkdir()
    pq.write_table(to_store_table(_table_nested()), tmp_path / "x" / "one.parquet")
    pq.write_table(
        to_store_table(_table_scalars()).select(["ts", "service", "msg", "line_no"]), tmp_path / "two.parquet"
    )
    assert not is_event_store(tmp_path)  # only a manifest makes a store of a folder; open_events reads it anyway
    rel = open_events(tmp_path)
    assert rel.aggregate("count(*)").fetchall() == [(5,)]
    assert rel.filter("service = 'db'").aggregate("count(*), count(level)").fetchall() == [(2, 0)]
    events = read_events(tmp_path)
    assert events["msg"].tolist() == ["a", "b", "d", "e", "c"]  # time order, the row without a time last


def test_partition_directories_do_not_override_the_values_in_the_parts(tmp_path: Path) -> None:
    """A NULL level is written under ``level=(none)``; DuckDB must read the part's NULL, not the directory name."""
    table = pa.table({"ts": _ts(1, 2), "level": ["info", None], "msg": ["a", "b"], "line_no": [1, 2]})
    _write_store(tmp_path, [table], partition_by=("level",))
    assert (tmp_path / "level=(none)").is_dir()
    assert open_events(tmp_path).columns == STORE_COLUMNS  # no column made up from the directories
    assert read_events(tmp_path)["level"].tolist() == ["info", pd.NA]


def test_read_events_where_columns_and_dtypes(tmp_path: Path) -> None:
    _write_store(tmp_path, [_table_nested(), _table_scalars()])
    everything = read_events(tmp_path)
    assert list(everything.columns) == STORE_COLUMNS and len(everything) == 5
    assert str(everything["status"].dtype) == "Int64" and str(everything["msg"].dtype).startswith("string")
    assert str(everything["ts"].dtype) == "datetime64[ns, UTC]"
    db = read_events(tmp_path, where="service = 'db' and level = 'error'")
    assert db["msg"].tolist() == ["d"]
    assert len(read_events(tmp_path, where="status >= 500")) == 1
    some = read_events(tmp_path, columns=["msg", "line_no"], where="line_no = 1")
    assert list(some.columns) == ["msg", "line_no"] and sorted(some["msg"]) == ["a", "d"]


@pytest.mark.parametrize("where", ["nosuchcolumn = 1", "))", "select 1"])
def test_read_events_refuses_a_bad_where(tmp_path: Path, where: str) -> None:
    _write_store(tmp_path, [_table_nested()])
    with pytest.raises(InvalidParameterError, match="where"):
        read_events(tmp_path, where=where)


def test_read_events_refuses_unknown_columns(tmp_path: Path) -> None:
    _write_store(tmp_path, [_table_nested()])
    with pytest.raises(InvalidParameterError, match="nosuch"):
        read_events(tmp_path, columns=["msg", "nosuch"])


def test_writer_refuses_an_unknown_partition_column(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="'host'"):
        EventStoreWriter(tmp_path / "s", ("service", "host"))
    assert not (tmp_path / "s").exists()

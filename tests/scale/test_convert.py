"""``convert_logs``: the demo logs into an evidence store, read back as ``read_logs`` reads them.

Real files in ``tmp_path``, no mocks. Bad input (corrupt gzip, a 2 GiB line,
a vanishing file, a full disk) is in ``test_convert_badinput.py``.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import apiprobe
from apiprobe.errors import InvalidParameterError
from apiprobe.load import event_store
from apiprobe.load.event_store import MANIFEST, open_events, read_events, read_manifest, store_parts
from apiprobe.scale.convert import convert_logs

DEMO_LOGS = Path(__file__).resolve().parents[2] / "data" / "demo" / "logs"
COUNT_COLUMNS = ["source_file", "dialect", "lines", "blank", "parsed", "unparsed", "note"]


def _quiet_convert(paths: Any, out: Path, **kw: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's unparsed lines and the like: counted in the result
        return convert_logs(paths, out, progress=False, **kw)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The demo logs converted once (default partitioning, classified)."""
    out = tmp_path_factory.mktemp("demo-store") / "store"
    return out, _quiet_convert(DEMO_LOGS, out)


@pytest.fixture(scope="module")
def demo_events() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return apiprobe.read_logs(DEMO_LOGS)


# --------------------------------------------------------------------------- comparing attrs


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _na(value: Any) -> bool:
    return value is None or value is pd.NA


def _attr_dicts(column: pd.Series) -> list[dict[str, str] | None]:
    return [None if _na(a) else dict(a) for a in column]


def _same_value(expected: Any, stored: str) -> bool:
    """One attribute: ``read_logs``' typed value against the store's text."""
    if isinstance(expected, str):
        return stored == expected
    if isinstance(expected, bool):
        return stored == ("true" if expected else "false")
    if isinstance(expected, int | float):
        return math.isclose(float(stored), float(expected), rel_tol=1e-15)
    return _drop_nulls(json.loads(stored)) == _drop_nulls(expected)  # nested: JSON text


def _same_attrs(expected: Any, stored: Any) -> bool:
    """Whether a row's attributes are the same in ``read_logs`` and in the store.

    The fair comparison: ``read_logs`` holds ``attrs`` as one struct over the
    keys of every file (a row's dict has every key, ``None`` where the line
    did not set it, and values keep their JSON types); the store holds only
    the keys a line set, as ``map<string, string>`` (values as text, nested
    values as JSON). So a ``None`` in ``read_logs`` is an absent key in the
    store, and each value is compared as the text it becomes: a string
    exactly, a bool as ``true``/``false``, a number by its value, a nested
    value as the JSON it parses to (keys with null values dropped on both
    sides). A row without attrs is NA in ``read_logs`` and null in the store.
    """
    if _na(expected):
        return _na(stored)
    if _na(stored):
        return False
    want = {k: v for k, v in expected.items() if v is not None}
    got = dict(stored)
    return want.keys() == got.keys() and all(_same_value(want[k], got[k]) for k in want)


def _assert_events_equal(stored: pd.DataFrame, expected: pd.DataFrame, *, attrs: bool = True) -> None:
    assert list(stored.columns) == list(expected.columns)
    assert len(stored) == len(expected)
    for col in expected.columns:
        if col == "attrs":
            continue
        pd.testing.assert_series_equal(stored[col], expected[col], check_names=True, obj=col)
    if attrs and "attrs" in expected.columns:
        bad = [
            i for i, (e, s) in enumerate(zip(expected["attrs"], stored["attrs"], strict=True)) if not _same_attrs(e, s)
        ]
        first = bad[0] if bad else None
        assert not bad, (
            f"{len(bad)} rows with other attrs, first {first}: "
            f"{expected['attrs'].iloc[first]} vs {stored['attrs'].iloc[first]}"
        )


# --------------------------------------------------------------------------- the demo logs


def test_demo_store_reads_back_as_classified_read_logs(
    demo_store: tuple[Path, pd.DataFrame], demo_events: pd.DataFrame
) -> None:
    store, _ = demo_store
    expected = apiprobe.classify_errors(demo_events).reset_index(drop=True)
    stored = read_events(store)
    assert len(stored) == len(expected) > 4000
    _assert_events_equal(stored, expected)
    assert stored["error_layer"].notna().any() and stored["error_rule"].notna().any()  # classified while converting


def test_demo_result_counts_are_summarize_log_sources(
    demo_store: tuple[Path, pd.DataFrame], demo_events: pd.DataFrame
) -> None:
    store, result = demo_store
    expected = apiprobe.summarize_log_sources(demo_events).sort_values("source_file").reset_index(drop=True)
    got = result[COUNT_COLUMNS].sort_values("source_file").reset_index(drop=True)
    assert len(got) == 6
    for col in COUNT_COLUMNS:
        assert got[col].tolist() == expected[col].tolist() or (got[col].isna().all() and expected[col].isna().all()), (
            col
        )
    assert (result["status"] == "converted").all() and result["error"].isna().all()
    assert (result["rows"] == result["lines"] - result["blank"]).all()  # every non-blank line is a row
    assert result["rows"].sum() == len(read_events(store))
    assert (result["bytes"] == [Path(f).stat().st_size for f in result["source_file"]]).all()
    assert result.attrs["store"] == str(store) and result.attrs["skipped"] == []


def test_demo_manifest_lists_files_dialects_rows_and_time_range(demo_store: tuple[Path, pd.DataFrame]) -> None:
    store, result = demo_store
    manifest = read_manifest(store)
    assert manifest == result.attrs["manifest"] | {"files": manifest["files"]}
    assert manifest["partition_by"] == ["service", "date"] and manifest["classified"] is True
    assert [f["source_file"] for f in manifest["files"]] == result["source_file"].tolist()
    assert {f["status"] for f in manifest["files"]} == {"converted"}
    assert manifest["dialects"] == result["dialect"].value_counts().to_dict()
    assert len(manifest["dialects"]) == 6  # zap, zerolog, logrus (json and text), slog, logfmt
    for record, row in zip(manifest["files"], result.itertuples(), strict=True):
        assert record["dialect"] == row.dialect and record["lines"] == row.lines
        assert sum(p["rows"] for p in record["parts"]) == row.rows and len(record["parts"]) == row.parts
    events = read_events(store)
    assert manifest["rows"] == len(events)
    assert pd.Timestamp(manifest["ts_min"]) == events["ts"].min()
    assert pd.Timestamp(manifest["ts_max"]) == events["ts"].max()
    assert manifest["schema"] == {f.name: str(f.type) for f in event_store.STORE_SCHEMA}


def test_demo_partition_directories(demo_store: tuple[Path, pd.DataFrame]) -> None:
    store, _ = demo_store
    events = read_events(store, columns=["service", "ts"])
    for service in events["service"].unique():
        assert (store / f"service={service}" / "date=2026-03-14").is_dir(), service
    if events["ts"].isna().any():  # lines without a time (stack traces, unparsed) sit under date=(none)
        assert any(store.glob("service=*/date=(none)/*.parquet"))
    parts = store_parts(store)
    assert {p.relative_to(store).parts[0].split("=")[0] for p in parts} == {"service"}
    assert {p.relative_to(store).parts[1].split("=")[0] for p in parts} == {"date"}
    # only committed parts, no temporary file left behind
    assert sorted(store.rglob("*.parquet")) == sorted(parts)
    assert not list(store.rglob("*.tmp"))
    rel = open_events(store)
    assert rel.columns == event_store.STORE_COLUMNS  # no column made up from the directory names


def test_demo_partition_by_none_and_by_level(tmp_path: Path, demo_store: tuple[Path, pd.DataFrame]) -> None:
    flat = tmp_path / "flat"
    result = _quiet_convert(DEMO_LOGS, flat, partition_by=())
    assert all(p.parent == flat for p in store_parts(flat))
    assert (result["parts"] == 1).all()
    assert read_manifest(flat)["partition_by"] == []
    by_level = tmp_path / "by-level"
    _quiet_convert(DEMO_LOGS, by_level, partition_by=("level", "source_file"))
    assert any(by_level.glob("level=error/source_file=*"))
    reference = read_events(demo_store[0])
    for other in (flat, by_level):
        _assert_events_equal(read_events(other), reference, attrs=False)
        assert _attr_dicts(read_events(other)["attrs"]) == _attr_dicts(reference["attrs"])


def test_classify_false_leaves_the_classification_na(tmp_path: Path, demo_events: pd.DataFrame) -> None:
    out = tmp_path / "raw"
    _quiet_convert(DEMO_LOGS, out, classify=False)
    assert read_manifest(out)["classified"] is False
    stored = read_events(out)
    for col in ("error_layer", "retryable", "error_rule"):
        assert stored[col].isna().all(), col
    expected = demo_events.reset_index(drop=True)  # unclassified: error_kind as the reader left it
    _assert_events_equal(stored[list(expected.columns)], expected)


def test_on_file_is_called_once_per_file_with_its_row(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    result = _quiet_convert(DEMO_LOGS, tmp_path / "s", on_file=seen.append)
    assert [r["source_file"] for r in seen] == result["source_file"].tolist()
    assert [r["rows"] for r in seen] == result["rows"].tolist()
    assert all(r["status"] == "converted" for r in seen)


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = convert_logs(DEMO_LOGS, tmp_path / "s", progress=True)
    assert (result["status"] == "converted").all()
    assert "converting logs" in capsys.readouterr().err


# --------------------------------------------------------------------------- service names as directory names


def test_service_names_are_escaped_and_stay_inside_the_store(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    names = ["a/b", "../../escape", "..", "a b%c", "(none)", "s" * 300, "é" * 120, "../" * 100]
    lines = [
        json.dumps({"level": "info", "ts": 1710410400 + i, "msg": f"m{i}", "service": s}) for i, s in enumerate(names)
    ]
    (src / "svc.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    result = _quiet_convert(src, store, partition_by=("service", "date", "source_file"))
    assert result["status"].tolist() == ["converted"] and result["rows"].tolist() == [len(names)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "store"]  # nothing written beside the store
    for part in store_parts(store):
        assert part.resolve().is_relative_to(store.resolve()), part
        rel = part.relative_to(store)
        assert len(rel.parts) == 4 and all(len(seg.encode()) <= 255 for seg in rel.parts)
        assert rel.parts[0].startswith("service=") and ".." not in rel.parts
    assert not (store / "service=a" / "b").exists()
    stored = read_events(store)
    assert sorted(stored["service"]) == sorted(names)  # the values themselves, not their directory names
    assert stored["source_file"].unique().tolist() == [str(src / "svc.log")]


# --------------------------------------------------------------------------- parameters


def test_unknown_partition_column_raises_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "s"
    with pytest.raises(InvalidParameterError, match="'host'"):
        convert_logs(DEMO_LOGS, out, partition_by=("service", "host"), progress=False)
    assert not out.exists()
    _quiet_convert(DEMO_LOGS, out)  # an existing store is not deleted either
    before = sorted(out.rglob("*"))
    with pytest.raises(InvalidParameterError, match="partition_by"):
        convert_logs(DEMO_LOGS, out, partition_by=("nope",), overwrite=True, progress=False)
    assert sorted(out.rglob("*")) == before


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"format": "zapp"}, "unknown log format 'zapp'"),
        ({"format": "regex"}, "needs regex"),
        ({"regex": "no groups"}, "no named groups"),
        ({"regex": "(?P<msg"}, "not a valid regular expression"),
        ({"chunk_bytes": 1000}, "chunk_bytes"),
    ],
)
def test_bad_options_raise_before_a_store_is_replaced(tmp_path: Path, kw: dict[str, Any], match: str) -> None:
    out = tmp_path / "s"
    _quiet_convert(DEMO_LOGS, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    with pytest.raises(InvalidParameterError, match=match):
        convert_logs(DEMO_LOGS, out, overwrite=True, progress=False, **kw)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_overwrite_rules(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "one.log").write_text(json.dumps({"level": "info", "ts": 1710410400, "msg": "one"}) + "\n", encoding="utf-8")
    # a directory holding other files is never touched, overwrite or not
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    for overwrite in (False, True):
        with pytest.raises(InvalidParameterError, match="holds other files"):
            convert_logs(src, other, overwrite=overwrite, progress=False)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    # a file is no store
    with pytest.raises(InvalidParameterError, match="not a directory"):
        convert_logs(src, other / "notes.txt", overwrite=True, progress=False)
    # an empty directory is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert convert_logs(src, empty, progress=False)["rows"].tolist() == [1]
    # an existing store: refused without overwrite, replaced with it
    store = tmp_path / "store"
    _quiet_convert(DEMO_LOGS, store)
    old_parts = store_parts(store)
    with pytest.raises(InvalidParameterError, match="overwrite=True"):
        convert_logs(src, store, progress=False)
    assert store_parts(store) == old_parts
    convert_logs(src, store, overwrite=True, progress=False)
    assert [f["source_file"] for f in read_manifest(store)["files"]] == [str(src / "one.log")]
    assert not any(p.exists() for p in old_parts)
    assert read_events(store)["msg"].tolist() == ["one"]
    # a directory whose manifest is not ours is not deleted
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / MANIFEST).write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an apiprobe evidence store"):
        convert_logs(src, fake, overwrite=True, progress=False)
    assert (fake / MANIFEST).is_file()


# --------------------------------------------------------------------------- chunking


def _write_zap(path: Path, lines: int, seed: int = 3) -> None:
    """A zap file over three days: typed fields, attrs that come and go, some nested, some numbers int or float."""
    rng = random.Random(seed)
    base = 1710374400.0  # 2024-03-14T00:00:00Z
    step = 3 * 86400 / lines
    with path.open("w", encoding="utf-8") as fh:
        for i in range(lines):
            status = rng.choice([200, 200, 200, 404, 500, 503])
            rec: dict[str, Any] = {
                "level": "error" if status >= 500 else "info",
                "ts": round(base + i * step, 6),
                "logger": "http",
                "caller": f"server/handler.go:{rng.randint(10, 99)}",
                "msg": "request",
                "route": rng.choice(["/v1/charge", "/v1/refund", "/healthz"]),
                "status": status,
                "latency": rng.random() / 10,
                "trace_id": f"{rng.getrandbits(128):032x}",
            }
            if status >= 500:
                rec["error"] = rng.choice(
                    ["context deadline exceeded", "dial tcp 10.0.0.7:5432: connect: connection refused"]
                )
            if i % 3 == 0:
                rec["order_id"] = f"o-{i}"
            if i % 7 == 0:
                rec["req"] = {"a": i} if i < lines // 2 else {"b": [i, "x"], "c": None}
            if i % 5 == 0:
                rec["n"] = i if i % 2 else i + 0.5
            if i % 1000 == 999:
                fh.write("panic: runtime error: index out of range [3] with length 3\n\n")
            fh.write(json.dumps(rec) + "\n")


def test_small_chunks_give_the_same_rows_as_one_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """64 KiB chunks of a ~6 MB zap file, with a 1 MiB writer buffer so parts are flushed mid-file."""
    log = tmp_path / "in" / "api.log"
    log.parent.mkdir()
    _write_zap(log, 25_000)
    assert log.stat().st_size > 5 << 20
    one = _quiet_convert(log, tmp_path / "one", chunk_bytes=64 << 20)
    monkeypatch.setattr(event_store, "BUFFER_BYTES", 1 << 20)  # the writer's flush threshold (a module knob)
    small = _quiet_convert(log, tmp_path / "small", chunk_bytes=64 << 10)
    assert one[COUNT_COLUMNS].equals(small[COUNT_COLUMNS])
    assert one["parts"].iloc[0] == 3 + 1  # three days, and the panic lines without a time
    assert small["parts"].iloc[0] > 8  # several parts per partition
    a, b = read_events(tmp_path / "one"), read_events(tmp_path / "small")
    _assert_events_equal(b, a, attrs=False)
    assert _attr_dicts(a["attrs"]) == _attr_dicts(b["attrs"])
    # line numbers exact: every line of the file once, blank lines excepted
    text_lines = log.read_text(encoding="utf-8").split("\n")[:-1]
    want = [i + 1 for i, line in enumerate(text_lines) if line.strip()]
    assert sorted(b["line_no"].tolist()) == want
    by_line = b.set_index("line_no")
    assert by_line.loc[1, "msg"] == "request" and by_line.loc[999, "parse_ok"] and by_line.loc[1002, "parse_ok"]
    assert not by_line.loc[1000, "parse_ok"] and by_line.loc[1000, "raw"].startswith("panic:")  # records 0-998, panic
    assert 1001 not in by_line.index  # the blank line after it
    # and both are what read_logs reads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = apiprobe.classify_errors(apiprobe.read_logs(log)).reset_index(drop=True)
    _assert_events_equal(b, expected)

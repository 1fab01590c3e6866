"""The analyses on an evidence store (DuckDB) give the tables they give on the same events in memory.

Real files: the demo's six logs (six dialects, a gzip, panics and unparsed
lines), and the bench generator's zap lines; the store is written by
``convert_logs`` and read by DuckDB. The notebook test runs the logs notebook
through papermill on a store.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import apiprobe as ap
from apiprobe.errors import InvalidParameterError, SchemaError
from apiprobe.scale import convert_logs

INCIDENT = ("2026-03-14T10:10:00Z", "2026-03-14T10:20:00Z")
BASELINE = ("2026-03-14T09:40:00Z", "2026-03-14T10:00:00Z")


@pytest.fixture(scope="module")
def demo_logs() -> Path:
    from apiprobe.notebook._common import DEMO_DIR

    return Path(DEMO_DIR) / "logs"


@pytest.fixture(scope="module")
def in_memory(demo_logs: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ap.classify_errors(ap.read_logs(demo_logs))


@pytest.fixture(scope="module")
def store(demo_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("store") / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        convert_logs(demo_logs, out, chunk_bytes=1 << 16)  # small chunks: many parts, as a big input makes
    return out


@pytest.mark.parametrize("by", [("error_kind",), ("service", "error_kind"), ("service",), ("route", "status")])
@pytest.mark.parametrize("freq", ["1min", "7min", None])
def test_error_counts_on_the_store_equal_memory(
    in_memory: pd.DataFrame, store: Path, by: tuple[str, ...], freq: str | None
) -> None:
    want = ap.error_counts(in_memory, by=by, freq=freq)
    got = ap.error_counts(store, by=by, freq=freq)
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs == want.attrs


def test_error_summary_on_the_store_equals_memory(in_memory: pd.DataFrame, store: Path) -> None:
    want = ap.error_summary(in_memory)
    pd.testing.assert_frame_equal(ap.error_summary(str(store)), want)
    assert {"pool_timeout", "read_timeout", "connect_refused"} <= set(want["error_kind"])


def test_error_summary_ties_do_not_depend_on_row_order(in_memory: pd.DataFrame) -> None:
    shuffled = in_memory.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(ap.error_summary(shuffled), ap.error_summary(in_memory))


@pytest.mark.parametrize(
    "windows",
    [
        {},
        {"incident": INCIDENT},
        {"incident": INCIDENT, "baseline": BASELINE},
        {"baseline": ("2026-03-14T09:40:03.5Z", "2026-03-14T10:00:00Z")},
        {"freq": "5min"},
    ],
)
def test_detect_error_faults_on_the_store_equals_memory(in_memory: pd.DataFrame, store: Path, windows: dict) -> None:
    want = ap.detect_error_faults(in_memory, **windows)
    got = ap.detect_error_faults(store, **windows)
    assert not want.empty
    pd.testing.assert_frame_equal(got, want)


def test_status_analyses_on_the_store_equal_memory(demo_logs: Path, store: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = ap.read_logs(demo_logs)
    pd.testing.assert_frame_equal(ap.status_table(store), ap.status_table(raw))
    want = ap.detect_status_misuse(raw)
    assert not want.empty
    pd.testing.assert_frame_equal(ap.detect_status_misuse(store), want)
    labelled = ap.classify_status_misuse(store)
    full = ap.classify_status_misuse(raw)
    assert labelled["misuse"].value_counts().to_dict() == full["misuse"].value_counts().to_dict()
    assert len(labelled) == int(full["subject"].notna().sum())  # only the request lines were read


def test_compare_templates_reads_only_its_windows(in_memory: pd.DataFrame, store: Path) -> None:
    want = ap.compare_templates(in_memory, incident=INCIDENT, baseline=BASELINE)
    got = ap.compare_templates(store, incident=INCIDENT, baseline=BASELINE)
    assert (want["is_new"] | want["grew"]).any()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_store_errors_are_named(store: Path, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no column 'nope'"):
        ap.error_counts(store, by=("nope",))
    with pytest.raises(InvalidParameterError, match="not a fixed window"):
        ap.error_counts(store, freq="monthly")
    with pytest.raises(InvalidParameterError, match="not an evidence store directory"):
        ap.error_summary(tmp_path / "missing")
    unclassified = tmp_path / "raw"
    own = tmp_path / "svc.log"
    own.write_text('{"level":"error","ts":1710410401,"msg":"x","error":"pg: connection pool timeout"}\n')
    convert_logs(own, unclassified, classify=False)
    with pytest.raises(InvalidParameterError, match="classify=False"):
        ap.error_summary(unclassified)


def test_open_events_runs_sql_out_of_core(store: Path, in_memory: pd.DataFrame) -> None:
    rel = ap.open_events(store)
    per_service = dict(rel.aggregate("service, count(*) as n").fetchall())
    assert per_service == in_memory["service"].value_counts().to_dict()


def test_logs_notebook_runs_on_a_store(store: Path, in_memory: pd.DataFrame, tmp_path: Path) -> None:
    from apiprobe.report import NotebookRun, find_notebook, run_report

    params = {
        "logs_path": str(store),
        "incident_start": INCIDENT[0],
        "incident_end": INCIDENT[1],
        "baseline_start": BASELINE[0],
        "baseline_end": BASELINE[1],
    }
    result = run_report([NotebookRun(find_notebook("09_logs_errors"), params, name="logs_store")], tmp_path / "r")
    (run,) = result.results
    assert run.ok, run.error
    page = run.html_path.read_text()
    assert "evidence store" in page
    want = ap.detect_error_faults(in_memory, incident=INCIDENT, baseline=BASELINE)
    assert {f["fault"] for f in run.findings} == set(want["fault"])
    assert {(f["fault"], f["subject"], f["value"]) for f in run.findings} == set(
        zip(want["fault"], want["subject"], want["value"], strict=True)
    )


def test_nested_attrs_and_file_order_survive_the_store(tmp_path: Path) -> None:
    """A status in a nested object is found in the store; equal times keep the order the files were read in."""
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "a-b").mkdir()
    line = (
        '{{"level":"error","ts":1710410400,"msg":"failed","error":"dial tcp {ip}:5432: connect: connection refused",'
        '"http":{{"status_code":503,"route":"/x"}}}}\n'
    )
    for folder, ip in (("a", "10.0.0.1"), ("a-b", "10.0.0.2")):
        (src / folder / "x.log").write_text(line.format(ip=ip) * 6, encoding="utf-8")
    store = tmp_path / "store"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = ap.read_logs(src)
        convert_logs(src, store)
    assert list(ap.read_events(store)["source_file"]) == list(raw["source_file"])  # "a/" before "a-b/", as read
    pd.testing.assert_frame_equal(ap.status_table(store), ap.status_table(raw))
    assert len(ap.status_table(store)) == 1
    want = ap.detect_error_faults(ap.classify_errors(raw))
    pd.testing.assert_frame_equal(ap.detect_error_faults(store), want)


def test_store_paths_duckdb_would_glob_are_refused(tmp_path: Path) -> None:
    own = tmp_path / "svc.log"
    own.write_text('{"level":"error","ts":1710410401,"msg":"x"}\n')
    with pytest.raises(InvalidParameterError, match="wildcard"):
        convert_logs(own, tmp_path / "run?1")
    assert not (tmp_path / "run?1").exists()

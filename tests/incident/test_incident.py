"""``triage`` on real evidence: the demo incident folder as an on-call engineer would have it, and smaller ones.

The folder (``data/demo/incident``, written by :func:`apiprobe.demo.write_demo`)
mixes six Go loggers, a healthy unrelated service, clocks a few seconds apart,
logs that cover different stretches, a goroutine dump, profiles (one cut in
half), traces in three formats, a HAR, a pasted chain, a metrics snapshot, Go
source with payloads, a PNG and free-text notes. The injected root cause is
payments' go-pg pool, exhausted from 10:00 by a reconciliation job.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from apiprobe import DataFormatError, TriageResult, triage
from apiprobe.schema import FAULTS, validate

FOLDER = Path(__file__).resolve().parents[2] / "data" / "demo" / "incident"


@pytest.fixture(scope="module")
def result() -> TriageResult:
    return triage(FOLDER)


def test_every_file_has_a_row_and_the_unusable_ones_say_why(result: TriageResult) -> None:
    inv = validate(result.inventory, "inventory")
    on_disk = sorted(str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*") if p.is_file())
    assert sorted(inv["path"]) == on_disk
    by_path = inv.set_index("path")
    unusable = set(by_path.index[~by_path["usable"].astype(bool)])
    assert unusable == {"grafana-screenshot.png", "oncall-notes.txt", "pprof/payments-heap.pb.gz"}
    assert "PNG" in by_path.at["grafana-screenshot.png", "reason"]
    assert "truncated" in by_path.at["pprof/payments-heap.pb.gz", "reason"]
    kinds = dict(zip(inv["path"], inv["kind"], strict=True))
    assert kinds["payments-goroutines-20260314T1006Z.txt"] == "goroutines"
    assert kinds["payments-chain.pem"] == "certs"
    assert kinds["metrics/prometheus-snapshot.txt.gz"] == "metrics"
    assert kinds["browser/checkout.har"] == "har"
    assert {kinds[p] for p in kinds if p.startswith("logs/")} == {"logs"}
    assert {kinds[p] for p in kinds if p.startswith("traces/")} == {"traces"}
    # what each file covers: the rotated orders log starts at 09:50, the dump is dated by its name
    assert by_path.at["logs/orders.log.gz", "ts_start"] >= pd.Timestamp("2026-03-14T09:50:00Z")
    assert by_path.at["payments-goroutines-20260314T1006Z.txt", "ts_start"] == pd.Timestamp("2026-03-14T10:06Z")
    assert by_path.at["payments-goroutines-20260314T1006Z.txt", "services"] == "payments"
    assert by_path.at["logs/search.log.gz", "services"] == "search"


def test_the_incident_window_is_inferred_around_the_pool_outage(result: TriageResult) -> None:
    start, end = result.incident
    assert pd.Timestamp("2026-03-14T09:59Z") <= start <= pd.Timestamp("2026-03-14T10:03Z")
    assert pd.Timestamp("2026-03-14T10:16Z") <= end <= pd.Timestamp("2026-03-14T10:21Z")
    assert result.baseline[1] == start and result.baseline[0] < start
    assert "inferred from the logs" in result.window_note


def test_the_injected_root_cause_comes_first_with_its_consequences(result: TriageResult) -> None:
    hyp = validate(result.hypotheses, "hypotheses")
    top = hyp.iloc[0]
    assert (top["fault"], top["service"], top["role"], top["rank"]) == ("pool_exhaustion", "payments", "root cause", 1)
    assert {"goroutines", "logs", "metrics"} <= set(top["sources"].split(", "))
    assert "payments-goroutines-20260314T1006Z.txt" in top["files"]
    consequences = hyp[hyp["caused_by"] == 1]
    # the handbook's chain: the callers time out, retry, answer 5xx, and the error budget burns
    seen = set(zip(consequences["fault"], consequences["service"], strict=True))
    assert {
        ("timeout", "orders"),
        ("retry_storm", "orders"),
        ("server_errors", "gateway"),
        ("slo_burn", "gateway"),
    } <= seen
    assert (consequences["role"] == "consequence").all()
    assert list(hyp["rank"]) == list(range(1, len(hyp) + 1))
    # consequences follow their cause directly, before any other root
    first_other = hyp.index[(hyp["rank"] > 1) & hyp["caused_by"].isna()].min()
    assert set(consequences.index) <= set(range(1, first_other))
    assert "explains" in top["why"] and "3 kinds of evidence" in top["why"]


def test_the_red_herrings_stay_below_the_story(result: TriageResult) -> None:
    hyp = result.hypotheses.set_index("title")
    chain = hyp.loc["payments: certificate chain not trusted"]
    assert chain["role"] == "possible cause" and chain["rank"] > 10  # a pasted chain carries no time
    healthy = result.hypotheses[result.hypotheses["service"] == "search"]
    assert (healthy["role"] == "unrelated").all()
    assert (
        not (result.findings["services"].fillna("") == "search").any() or (healthy["fault"] == "propagation_gap").all()
    )
    assert result.impact["edges"] == ["gateway"] and "search" not in result.impact["services"]


def test_findings_keep_the_one_vocabulary_and_say_where_they_came_from(result: TriageResult) -> None:
    f = result.findings
    validate(f, "findings")
    assert set(f["fault"]) <= set(FAULTS)
    assert set(f["source"]) >= {"logs", "goroutines", "metrics", "traces", "har", "certs", "pprof", "go_source"}
    assert f["files"].str.len().gt(0).all()


def test_links_run_the_deeper_notebooks_on_the_right_files(result: TriageResult) -> None:
    links = {link.notebook: link for link in result.links}
    pool = links["06_pool_exhaustion"]
    assert pool.parameters["dump_path"].endswith("payments-goroutines-20260314T1006Z.txt")
    assert 1 in pool.hypotheses
    assert links["04_serialization"].parameters["struct_name"] == "CreateOrder"
    assert links["11_metrics_slo"].parameters["service"] == "gateway"
    logs = links["09_logs_errors"].parameters
    assert logs["logs_path"].endswith("logs") and logs["incident_start"].startswith("2026-03-14T10:0")
    top_link = result.hypotheses.iloc[0]
    assert top_link["notebook"] == "06_pool_exhaustion" and "dump_path" in top_link["parameters"]


def test_the_timeline_spans_the_sources_and_marks_the_job_and_the_restart(result: TriageResult) -> None:
    tl = validate(result.timeline, "triage_timeline")
    assert set(tl["source"]) >= {"logs", "traces", "metrics", "findings"}
    events = tl[tl["signal"] == "event"]
    texts = " | ".join(events["text"])
    assert "reconciliation job started" in texts and "shutting down" in texts
    assert not events["series"].eq("deploy").any()  # "stock released" is not a deploy


def _copy(tmp_path: Path, keep: Callable[[Path], bool]) -> Path:
    out = tmp_path / "evidence"
    for p in FOLDER.rglob("*"):
        if p.is_file() and keep(p.relative_to(FOLDER)):
            dest = out / p.relative_to(FOLDER)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dest)
    return out


def test_without_the_dump_the_confidence_drops_and_the_ranking_holds(result: TriageResult, tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda rel: "goroutines" not in rel.name)
    smaller = triage(folder)
    top, before = smaller.hypotheses.iloc[0], result.hypotheses.iloc[0]
    assert top["title"] == before["title"] and top["role"] == "root cause"
    assert top["confidence"] < before["confidence"]
    assert "goroutines" not in top["sources"]
    assert list(smaller.hypotheses["title"].head(8)) == list(result.hypotheses["title"].head(8))


def test_a_har_alone_tells_a_smaller_story(tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda rel: rel.suffix == ".har")
    r = triage(folder)
    assert len(r.inventory) == 1 and r.inventory["usable"].all()
    assert r.incident is not None  # dated by its critical findings
    faults = set(r.hypotheses["fault"])
    assert {"server_errors", "slow_phase"} <= faults
    assert r.hypotheses.iloc[0]["sources"] == "har"
    assert {link.notebook for link in r.links} >= {"05_status_codes"}


def test_a_profile_alone_tells_a_smaller_story(tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda rel: rel.name.startswith("payments-cpu"))
    r = triage(folder)
    top = r.hypotheses.iloc[0]
    assert (top["fault"], top["service"], top["sources"]) == ("gc_pressure", "payments", "pprof")
    assert "garbage collection" in top["evidence"]
    assert [link.notebook for link in r.links] == ["07_profiles"]


def test_an_empty_folder_or_nothing_readable_gets_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFormatError, match="empty"):
        triage(empty)
    with pytest.raises(DataFormatError, match="no such file"):
        triage(tmp_path / "missing")
    junk = _copy(tmp_path, lambda rel: rel.suffix in (".png", ".txt") and "goroutines" not in rel.name)
    with pytest.raises(DataFormatError, match="nothing here is evidence") as err:
        triage(junk)
    assert "grafana-screenshot.png" in str(err.value) and "oncall-notes.txt" in str(err.value)


def test_the_contract_names_of_the_issue() -> None:
    import inspect

    import apiprobe
    from apiprobe.schema import columns

    sig = inspect.signature(apiprobe.triage)
    assert next(iter(sig.parameters)) == "path"
    for option in ("incident", "baseline", "service"):
        assert sig.parameters[option].kind is inspect.Parameter.KEYWORD_ONLY
    assert {"inventory", "findings", "timeline", "hypotheses", "incident", "baseline"} <= set(
        apiprobe.TriageResult.__dataclass_fields__
    )
    wanted = ["path", "kind", "dialect", "services", "ts_start", "ts_end", "rows", "usable", "reason"]
    assert [c for c in columns("inventory") if c in wanted] == wanted
    assert columns("hypotheses")[:8] == [
        "rank",
        "title",
        "fault",
        "confidence",
        "evidence",
        "confirm",
        "next",
        "handbook_ref",
    ]
    assert isinstance(apiprobe.postmortem, type(apiprobe.triage))


def test_hidden_folders_are_listed_not_read_and_hidden_files_are_read(tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda rel: rel.name.startswith("payments-cpu"))
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    shutil.copy2(FOLDER / "logs" / "billing.log", folder / ".billing.log")
    inv = triage(folder).inventory.set_index("path")
    assert not inv.at[".git/", "usable"] and inv.at[".git/", "reason"] == "hidden folder: not read (1 files)"
    assert inv.at[".billing.log", "kind"] == "logs" and bool(inv.at[".billing.log", "usable"])


def test_odd_files_are_rows_with_a_reason_never_a_traceback(tmp_path: Path) -> None:
    import os

    folder = _copy(tmp_path, lambda rel: rel.name.startswith("payments-cpu"))
    odd = os.fsencode(folder) + b"/pay\xffments.log"  # a name that is not UTF-8
    with open(odd, "wb") as fh:
        fh.write((FOLDER / "logs" / "payments.log").read_bytes())
    (folder / "gone.log").symlink_to(folder / "nowhere.log")
    os.mkfifo(folder / "pipe")
    inv = triage(folder).inventory.set_index("path")
    assert inv.at["gone.log", "reason"] == "broken symbolic link"
    assert inv.at["pipe", "reason"].startswith("not a regular file")
    bad = next(p for p in inv.index if p.startswith("pay") and p.endswith("ments.log"))
    assert inv.at[bad, "kind"] == "logs"  # recognised; read, or refused with the reason
    assert bool(inv.at[bad, "usable"]) or inv.at[bad, "reason"]


def test_time_warnings_separate_periods_and_a_window_with_no_evidence(tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda rel: rel.name.startswith("payments-cpu") or rel.name == "search.log.gz")
    shutil.copy2(FOLDER.parents[0] / "profiles" / "cpu.pb.gz", folder / "cpu-january.pb.gz")  # 2026-01-01
    r = triage(folder)
    assert any("separate periods" in n and "more than 6 hours" in n for n in r.notes)
    r = triage(folder, incident=("2026-03-20T10:00:00Z", "2026-03-20T11:00:00Z"))
    assert any("no file with timestamps covers the given incident window" in n for n in r.notes)


def test_a_har_alone_counts_its_requests_for_the_impact(tmp_path: Path) -> None:
    from apiprobe import postmortem

    r = triage(_copy(tmp_path, lambda rel: rel.suffix == ".har"))
    assert r.impact["edges"] == ["shop.demo.internal"] and r.impact["requests"] > 0 and r.impact["failed"] > 0
    md = postmortem(r)
    assert "Most likely explanation (unexplained symptom): **shop.demo.internal: 5xx answers**" in md
    assert "requests to shop.demo.internal failed" in md

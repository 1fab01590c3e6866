"""Notebook 00 (triage): its glue on the demo incident folder, and a triage report run headless through papermill."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from apiprobe.errors import InvalidParameterError
from apiprobe.notebook import (
    get_triage,
    show_hypotheses,
    show_inventory,
    show_next_steps,
    show_postmortem,
    show_triage_overview,
)
from apiprobe.report import triage_report

FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo" / "incident"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    shell = InteractiveShell.instance()
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, **kw: seen.append(data))
    return seen


def test_glue_defaults_to_the_demo_folder_and_shows_the_story(published: list[dict[str, Any]]) -> None:
    result = get_triage()
    assert result.path == FOLDER
    show_triage_overview(result, title="<demo>")
    show_inventory(result)
    show_hypotheses(result)
    show_next_steps(result)
    show_postmortem(result)
    page = " ".join(str(d.get("text/html", "")) + str(d.get("text/markdown", "")) for d in published)
    assert "&lt;demo&gt;" in page and "<demo>" not in page
    assert "Most likely:</b> payments: connection pool exhausted" in page
    assert "grafana-screenshot.png" in page and "truncated gzip stream" in page
    assert "06_pool_exhaustion_triage.html" in page  # the link to the deeper page of the report
    assert "## Action items" in page


def test_glue_refuses_half_a_window() -> None:
    with pytest.raises(InvalidParameterError, match="incident"):
        get_triage(evidence_path=str(FOLDER), incident_start="2026-03-14T10:00:00Z")


@pytest.mark.slow
def test_a_triage_report_leads_with_triage_and_writes_the_postmortem(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("browser/checkout.har", "pprof/payments-cpu-20260314T1005Z.pb.gz", "grafana-screenshot.png"):
        shutil.copy2(FOLDER / name, evidence / Path(name).name)
    result, report = triage_report(evidence, tmp_path / "out")
    assert report.ok, [r.error for r in report.results]
    names = [r.run.slug() for r in report.results]
    assert names[0] == "00_triage"
    assert set(names[1:]) == {link.name for link in result.links} == {"05_status_codes_triage", "07_profiles_triage"}
    out = tmp_path / "out"
    postmortem = (out / "postmortem.md").read_text(encoding="utf-8")
    assert postmortem.startswith("# Postmortem (draft): payments: garbage collection stalls the process")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("00_triage.html") < index.index("05_status_codes_triage.html")
    assert 'href="postmortem.md"' in index and 'href="postmortem.html"' in index
    page_pm = (out / "postmortem.html").read_text(encoding="utf-8")
    assert "<script" not in page_pm and "<h2>Action items</h2>" in page_pm and "<table>" in page_pm
    page = (out / "00_triage.html").read_text(encoding="utf-8")
    assert "Traceback" not in page and "grafana-screenshot.png" in page
    for href in set(re.findall(r"href='([\w.]+\.html)'", page)):
        assert (out / href).is_file(), href
    triage_json = json.loads((out / "triage.json").read_text(encoding="utf-8"))
    assert triage_json["hypotheses"][0]["fault"] == "gc_pressure"


def test_report_parameters_carry_a_given_window_in_utc() -> None:
    from apiprobe.report import triage_runs

    _, runs = triage_runs(FOLDER, incident=("2026-03-14T12:00:00+02:00", "2026-03-14T12:20:00+02:00"))
    params = runs[0].parameters
    assert (params["incident_start"], params["incident_end"]) == ("2026-03-14T10:00:00Z", "2026-03-14T10:20:00Z")
    assert "baseline_start" not in params  # inferred in the notebook as here

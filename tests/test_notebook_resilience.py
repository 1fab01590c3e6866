"""Notebook 10 (resilience): its glue on recorded evidence, and the notebook run headless through papermill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiprobe.demo import DEMO_TIMEOUTS_YAML, write_demo_incident
from apiprobe.errors import InvalidParameterError
from apiprobe.notebook import detect_resilience_faults, get_resilience_evidence
from apiprobe.report import NOTEBOOKS, NotebookRun, run_report

T0 = 1764928800.0


def storm_log(path: Path) -> Path:
    """A client that retries a failing upstream three times, 50 ms apart, with no jitter."""
    lines = []
    for r in range(20):
        for a in range(3):
            t = T0 + r * 0.2 + a * 0.05
            lines.append(
                json.dumps(
                    {
                        "level": "warn",
                        "ts": t,
                        "msg": "upstream call",
                        "service": "checkout",
                        "upstream": "inventory",
                        "request_id": f"r{r}",
                        "attempt": a + 1,
                        "status": 503,
                        "error": "unexpected HTTP status 503 Service Unavailable",
                    }
                )
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_glue_on_recorded_logs_traces_and_a_call_graph(tmp_path: Path) -> None:
    write_demo_incident(tmp_path)
    logs = storm_log(tmp_path / "checkout.log")
    graph = tmp_path / "timeouts.yaml"
    graph.write_text(DEMO_TIMEOUTS_YAML, encoding="utf-8")
    ev = get_resilience_evidence(
        logs_path=logs, traces_path=tmp_path / "traces", timeouts_path=graph, policy="go-retryablehttp"
    )
    assert ev.scenario is None and len(ev.events) == 60 and len(ev.calls) == 6 and len(ev.spans) > 100
    assert "checkout.log" in ev.source and "timeouts.yaml" in ev.source
    found = detect_resilience_faults(ev)
    faults = set(found["fault"])
    assert {"retry_storm", "retry_misuse", "timeout_budget"} <= faults
    over = found[found["fault"] == "timeout_budget"]["subject"].tolist()
    assert "gateway → checkout" in over and "checkout → inventory" in over


def test_glue_refuses_an_unknown_scenario_and_preset() -> None:
    with pytest.raises(InvalidParameterError, match="scenario"):
        get_resilience_evidence(scenario="prod")
    with pytest.raises(InvalidParameterError, match="unknown retry preset"):
        get_resilience_evidence(timeouts_path="x", policy="resty")


@pytest.mark.slow
def test_notebook_runs_headless_on_recorded_evidence(tmp_path: Path) -> None:
    logs = storm_log(tmp_path / "checkout.log")
    graph = tmp_path / "timeouts.yaml"
    graph.write_text(DEMO_TIMEOUTS_YAML, encoding="utf-8")
    run = NotebookRun(
        NOTEBOOKS / "10_resilience.ipynb",
        {"logs_path": str(logs), "timeouts_path": str(graph), "policy": "go-retryablehttp", "title": "recorded"},
        name="resilience",
    )
    result = run_report([run], tmp_path / "out")
    assert result.ok, [r.error for r in result.results]
    page = result.results[0].html_path.read_text(encoding="utf-8")
    assert "Traceback" not in page and "Retry schedule: go-retryablehttp" in page
    faults = {f["fault"] for f in json.loads(result.findings_path.read_text())["findings"]}
    assert {"retry_storm", "retry_misuse", "timeout_budget"} <= faults

"""Notebook glue: evidence selection and what the findings display publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from apiprobe.analyze import detect_latency_faults
from apiprobe.demo import demo_probes
from apiprobe.errors import DataFormatError
from apiprobe.lab import FaultLab
from apiprobe.load import write_table
from apiprobe.notebook import FINDINGS_MIME, get_probes, show_findings
from apiprobe.report import NOTEBOOKS
from apiprobe.schema import conform


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Capture what ``display`` publishes, as a kernel would send it."""
    shell = InteractiveShell.instance()
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, **kw: seen.append(data))
    return seen


def test_findings_bundle_is_escaped_and_machine_readable(published: list[dict[str, Any]]) -> None:
    f = conform(
        [
            {
                "detector": "t",
                "fault": "timeout",
                "severity": "critical",
                "subject": "<b>x</b>",
                "evidence": "<script>alert(1)</script>",
                "recommendation": "r",
                "handbook_ref": "§2.1",
                "value": 1.0,
            }
        ],
        "findings",
    )
    show_findings(f)
    bundle = published[-1]
    assert "<script>" not in bundle["text/html"] and "&lt;script&gt;" in bundle["text/html"]
    records = bundle[FINDINGS_MIME]["findings"]
    assert records[0]["evidence"] == "<script>alert(1)</script>" and records[0]["value"] == 1.0


def test_findings_from_demo_serialise(published: list[dict[str, Any]]) -> None:
    show_findings(detect_latency_faults(demo_probes(), timeout_ms=2000))
    records = published[-1][FINDINGS_MIME]["findings"]
    assert records and all(isinstance(r["ts_start"], str) for r in records)


def test_get_probes_sources(tmp_path: Path, lab: FaultLab) -> None:
    demo = get_probes()
    assert "demo" in demo.source and demo.baseline is not None
    path = write_table(demo_probes(minutes=5), tmp_path / "p.parquet")
    saved = get_probes(probes_path=str(path))
    assert len(saved.probes) == len(demo_probes(minutes=5)) and saved.baseline is None
    live = get_probes(targets=[lab.url("ok")], count=2, interval=0.01)
    assert (live.probes["status"] == 200).all() and "live" in live.source
    with pytest.raises(DataFormatError):
        get_probes(probes_path=str(tmp_path / "missing.csv"))
    assert isinstance(saved.probes, pd.DataFrame)


def test_get_dns_lab_zone_feeds_the_detector() -> None:
    from apiprobe.analyze import detect_dns_faults
    from apiprobe.notebook import get_dns

    ev = get_dns(count=2, interval=0.05, resolv_conf="")
    assert ev.resolv_conf is None and "lab zone" in ev.source
    f = detect_dns_faults(ev.dns)  # real NA-typed columns, as probes produce them
    assert {"nx.lab.test", "fail.lab.test", "drop.lab.test"} <= {s.split(" ")[0] for s in f["subject"]}


def test_get_tls_reports_from_pem_and_lab(lab: FaultLab) -> None:
    from apiprobe.analyze import detect_tls_faults, go_error_causes
    from apiprobe.notebook import get_tls_reports

    pem = get_tls_reports(
        pem_paths=[str(lab.chain_path("https_expired"))], hostname="127.0.0.1", cafile=str(lab.ca_path)
    )
    assert len(pem.reports) == 1 and "expired" in pem.reports[0].defects(pem.reports[0].stores[-1])
    demo = get_tls_reports()
    targets = {r.target for r in demo.reports}
    assert {"https_ok", "https_missing_intermediate", "https_self_signed"} <= targets
    assert all(r.stores == ["ca.pem"] for r in demo.reports)
    f = detect_tls_faults(demo.reports)
    assert "https_ok" not in set(f["subject"]) and "https_chain_ok" not in set(f["subject"])
    causes = go_error_causes("x509: certificate signed by unknown authority", demo.reports)
    seen = dict(zip(causes["check"], causes["seen_on"], strict=True))
    assert seen["missing_intermediate"] == "https_missing_intermediate"
    assert seen["self_signed"] == "https_self_signed"
    assert go_error_causes("connection refused").empty
    live = get_tls_reports(targets=["{}:{}".format(*lab.address("https_chain_ok"))], cafile=str(lab.ca_path))
    assert live.reports[0].trusted("ca.pem") and len(live.certs) == 2 and not live.verdicts.empty


def test_get_serialization_demo_and_files(tmp_path: Path) -> None:
    from apiprobe.notebook import detect_serialization_faults, get_serialization

    demo = get_serialization()
    assert demo.struct_name == "CreateOrder" and len(demo.payloads) == 4
    f = detect_serialization_faults(demo)
    assert not f.duplicated(subset=["fault", "subject", "metric", "evidence"]).any()
    assert f["evidence"].str.contains("cannot unmarshal number 300").any()
    src = tmp_path / "u.go"
    src.write_text('package x\ntype User struct {\n\tName string `json:"name"`\n}\n')
    (tmp_path / "p.json").write_text('[{"name": "a"}, {"NAME": "b", "extra": 1}]')
    one = get_serialization(go_source_path=str(src), payloads_path=str(tmp_path / "p.json"))
    assert one.struct_name == "User" and len(one.payloads) == 2
    (tmp_path / "bad.go").write_text('package x\ntype User struct {\n\tName string `json:"name"\n')
    with pytest.raises(DataFormatError, match=r"bad\.go.*line"):
        get_serialization(go_source_path=str(tmp_path / "bad.go"), struct_name="User")
    pasted = get_serialization(go_source=src.read_text())
    assert pasted.struct_name == "User" and pasted.payloads == []


def test_log_evidence_demo_windows_and_own_files(tmp_path: Path, published: list[dict[str, Any]]) -> None:
    from apiprobe.notebook import detect_log_faults, get_log_evidence, show_log_overview, show_unparsed

    demo = get_log_evidence()
    assert demo.incident is not None and demo.baseline is not None
    assert {"error_kind", "error_layer", "retryable"} <= set(demo.events.columns)
    assert set(demo.stats["dialect"]) == {"zap", "zerolog", "logrus_text", "slog_json", "logfmt", "logrus_json"}
    assert not detect_log_faults(demo).empty
    show_log_overview(demo)
    show_unparsed(demo)
    page = " ".join(str(d.get("text/html", "")) for d in published)
    assert "goroutine" in page and "payments.log" in page  # the panic lines are shown, not dropped
    own = tmp_path / "svc.log"
    own.write_text('{"level":"error","ts":1710410401,"msg":"x","error":"pg: connection pool timeout"}\n')
    ev = get_log_evidence(logs_path=own)
    assert ev.incident is None and ev.events["error_kind"].tolist() == ["pool_timeout"]
    with pytest.raises(ValueError, match="both a start and an end"):
        get_log_evidence(logs_path=own, incident_start="2024-03-14T10:00:00Z")


def test_status_evidence_from_files_without_network(tmp_path: Path) -> None:
    from apiprobe.notebook import detect_status_faults, get_status_evidence

    log = tmp_path / "inv.log"
    log.write_text(
        '{"time":"2024-03-14T10:00:01Z","level":"INFO","msg":"reserve rejected","path":"/v1/reserve",'
        '"status":200,"code":1001,"error":"out of stock"}\n' * 5
    )
    ev = get_status_evidence(logs_path=log)
    assert ev.probes.empty and ev.har.empty and len(ev.events) == 5
    findings = detect_status_faults(ev)
    assert findings["fault"].tolist() == ["status_misuse"] and "422" in findings["recommendation"].iloc[0]


def test_trace_evidence_demo_and_pick() -> None:
    from apiprobe.notebook import get_trace_evidence, pick_trace

    ev = get_trace_evidence()
    assert {"otlp", "jaeger", "zipkin"} <= {Path(str(p)).stem.split("-")[-1] for p in ev.spans["source_file"]}
    chosen = pick_trace(ev)
    slow = ev.spans[ev.spans["trace_id"] == chosen]
    assert (slow["status"] == "error").any()
    assert pick_trace(ev, " ABC ") == "abc"
    only = get_trace_evidence(service="billing")
    assert set(only.spans["service"]) == {"billing"} and set(only.events["service"]) == {"billing"}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_parameter_is_visible_to_papermill(path: Path) -> None:
    """papermill silently skips a parameter line it cannot parse (and then warns about 'unknown' ones)."""
    import re

    import nbformat
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    declared = re.findall(r"^(\w+)\s*:", cell.source, flags=re.MULTILINE)
    assert declared and list(pm.inspect_notebook(str(path))) == declared


def test_pool_evidence_from_logs_only(published: list[dict[str, Any]]) -> None:
    from apiprobe.analyze import detect_pool_exhaustion
    from apiprobe.notebook import get_pool_evidence, show_dump_comparison, show_goroutine_groups, show_pool_logs

    demo_logs = Path(__file__).resolve().parents[1] / "data" / "demo" / "logs"
    ev = get_pool_evidence(logs_path=demo_logs)
    assert ev.goroutines.empty and ev.sweep is None and ev.events is not None and len(ev.events) > 4000
    findings = detect_pool_exhaustion(goroutines=ev.goroutines, events=ev.events)
    assert findings["subject"].str.contains("go-pg pool").any()
    show_goroutine_groups(ev)
    show_dump_comparison(ev)
    show_pool_logs(ev)
    page = " ".join(str(d.get("text/html", "")) for d in published)
    assert "No goroutine dump" in page and "pool_timeout" in page


def test_figure_html_twin_carries_numbers_that_redaction_cannot_cut() -> None:
    """Base64 typed arrays inside the text/html twin once met the report's redaction pass and broke the figure."""
    import json

    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from apiprobe._redact import redact_text
    from apiprobe.notebook import HTML_RENDERER, setup_notebook

    setup_notebook()
    y = np.random.default_rng(3).random(4000) * 1e6
    fig = go.Figure(go.Scatter(y=y, customdata=np.arange(8000).reshape(4000, 2)))
    bundle = pio.renderers[HTML_RENDERER].to_mimebundle(fig.to_dict())
    page = bundle["text/html"]
    assert "bdata" not in page
    assert redact_text(page) == page
    assert "bdata" in json.dumps(bundle["application/vnd.plotly.v1+json"])  # the interactive twin stays compact

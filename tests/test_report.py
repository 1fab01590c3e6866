"""Reports: notebooks executed through papermill, offline HTML, index and findings.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiprobe.demo import write_demo
from apiprobe.lab import FaultLab
from apiprobe.report import NOTEBOOKS, NotebookRun, demo_runs, external_scripts, run_report, triage_report
from apiprobe.report._run import PLOTLY_JS

REPO = Path(__file__).resolve().parents[1]
NB01 = NOTEBOOKS / "01_latency_timeouts.ipynb"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory, lab: FaultLab) -> object:
    tmp = tmp_path_factory.mktemp("report")
    data = tmp / "data"
    write_demo(data)
    urls = {name: ep.url for name, ep in lab.endpoints.items()}
    runs = demo_runs(NOTEBOOKS, data, urls, cafile=str(lab.ca_path))
    # fewer attempts to keep the suite quick; a flakier flaky endpoint so 8 attempts surely see 503s
    targets = [lab.url("flaky", p=0.9) if u == urls["flaky"] else u for u in runs[1].parameters["targets"]]
    runs[1] = NotebookRun(
        runs[1].notebook,
        {**runs[1].parameters, "targets": targets, "count": 8, "interval": 0.1},
        name=runs[1].name,
        title=runs[1].title,
    )
    # as `make demo` does: the triage of the demo incident folder leads, the lab's runs follow
    _, report = triage_report(data / "incident", tmp / "out", extra_runs=runs)
    return report


def test_demo_suite_runs_on_recorded_and_live_data(demo_report: object) -> None:
    result = demo_report
    assert result.ok, [r.error for r in result.results]
    names = [r.run.slug() for r in result.results]
    assert names[0] == "00_triage"
    assert names[1] == "06_pool_exhaustion_triage"  # the root cause's notebook comes first
    assert set(names[1:10]) == {
        "06_pool_exhaustion_triage",
        "10_resilience_triage",
        "09_logs_errors_triage",
        "11_metrics_slo_triage",
        "08_tracing_triage",
        "07_profiles_triage",
        "02_tls_certificates_triage",
        "05_status_codes_triage",
        "04_serialization_triage",
    }
    assert names[10:] == [
        "01_latency_demo_incident",
        "01_latency_fault_lab",
        "02_tls_fault_lab",
        "06_pool_demo",
        "07_profiles_demo",
        "12_execution_trace_demo",
        "03_dns_lab_zone",
        "05_status_lab",
        "10_resilience_lab",
    ]
    for r in result.results:
        page = r.html_path.read_text()
        assert "Plotly.newPlot" in page or "plotly" in page.lower()
        assert external_scripts(page) == [], "report pages must work offline"
        assert "Traceback" not in page
        assert "ap.setup_notebook()" not in page, "code cells must not be in the report"
        assert "Explore (interactive only)" not in page and "LatencyExplorer" not in page


def test_pages_share_one_local_copy_of_plotly_js(demo_report: object) -> None:
    shared = demo_report.out_dir / PLOTLY_JS
    assert shared.read_text().count("plotly.js v") == 1  # the library itself, next to the pages
    sizes = []
    for r in demo_report.results:
        page = r.html_path.read_text()
        assert f'src="{PLOTLY_JS}"' in page and "plotly.js v" not in page
        sizes.append(len(page))
    assert sorted(sizes)[len(sizes) // 2] < 1_500_000  # the figures' data, not the library


def test_self_contained_pages_carry_plotly_js_inline(tmp_path: Path) -> None:
    run = NotebookRun(NB01, {"probes_path": str(REPO / "data" / "demo" / "probes.csv")}, name="alone")
    result = run_report([run], tmp_path / "out", self_contained=True, jobs=1)
    assert result.ok, result.results[0].error
    page = result.results[0].html_path.read_text()
    assert page.count("plotly.js v") == 1 and len(page) > 1_000_000  # inside the page, not fetched
    assert external_scripts(page) == [] and not (tmp_path / "out" / PLOTLY_JS).exists()


def test_findings_json(demo_report: object) -> None:
    payload = json.loads(demo_report.findings_path.read_text())
    assert payload["ok"] is True
    by_run: dict[str, list[dict]] = {}
    for f in payload["findings"]:
        by_run.setdefault(f["run"], []).append(f)
    demo = by_run["01_latency_demo_incident"]
    assert {"timeout", "slow_phase", "server_errors", "timeout_budget"} <= {f["fault"] for f in demo}
    live = {(f["fault"], f["subject"]) for f in by_run["01_latency_fault_lab"]}
    faults = {f for f, _ in live}
    assert {"timeout", "connect_refused", "server_errors"} <= faults
    for f in payload["findings"]:
        assert set(f) >= {"detector", "fault", "severity", "subject", "evidence", "recommendation"}
    assert [r["findings"] for r in payload["runs"]] == [len(by_run.get(r["name"], [])) for r in payload["runs"]]
    dns = by_run["03_dns_lab_zone"]
    assert {f["fault"] for f in dns} == {"dns"}
    evidence = " ".join(f["evidence"] for f in dns)
    assert "no such host" in evidence and "server misbehaving" in evidence and "i/o timeout" in evidence
    assert any("split.lab.test" in f["subject"] for f in dns)
    tls = {(f["fault"], f["subject"]) for f in by_run["02_tls_fault_lab"]}
    for fault, endpoint in [
        ("tls_chain", "https_missing_intermediate"),
        ("tls_chain", "https_self_signed"),
        ("tls_chain", "https_untrusted_root"),
        ("tls_expiry", "https_expired"),
        ("tls_hostname", "https_wrong_host"),
        ("tls_expiry", "https_expiring_soon"),
        ("tls_weak", "https_weak_key"),
        ("tls_weak", "https_sha1"),
    ]:
        assert (fault, endpoint) in tls, (fault, endpoint)
    assert not any(subject in ("https_ok", "https_chain_ok") for _, subject in tls)
    triage = {(f["fault"], f["severity"]) for f in by_run["00_triage"]}
    assert ("pool_exhaustion", "critical") in triage and ("slo_burn", "critical") in triage
    ser = by_run["04_serialization_triage"]
    assert {f["fault"] for f in ser} == {"serialization"}
    ser_text = " ".join(f["evidence"] for f in ser)
    assert "json: cannot unmarshal number 300 into Go struct field CreateOrder.quantity of type int8" in ser_text
    assert "handbook is wrong" in ser_text and "user_id" in ser_text
    pool = " ".join(f["evidence"] for f in by_run["06_pool_demo"])
    assert "38 goroutines wait for a connection from an HTTP pool of 2" in pool
    status = by_run["05_status_codes_triage"] + by_run["05_status_lab"]
    assert {f["fault"] for f in status} == {"status_misuse"}
    metrics = {f["metric"] for f in status}
    for kind in (
        "2xx answers with an error body",
        "404 answers for a business rule",
        "500 answers for invalid requests",
        "403 answers to unauthenticated callers",
        "5xx answers logged below warn",
        "4xx answers from one IP",
    ):
        assert any(kind in m for m in metrics), kind
    assert any("/misuse/ok-error" in f["subject"] for f in status)  # the live lab endpoint
    assert not any("/misuse/right-422" in f["subject"] for f in status)  # the correct control is quiet
    tracing = {(f["fault"], f["subject"]) for f in by_run["08_tracing_triage"]}
    assert ("propagation_gap", "orders → billing") in tracing and ("slow_span", "payments") in tracing
    assert not any("gateway" in subject for _, subject in tracing)  # the edge starting traces is normal
    logs = {f["fault"] for f in by_run["09_logs_errors_triage"]}
    assert {"pool_exhaustion", "timeout", "retry_storm", "new_error", "error_burst"} <= logs
    pool_incident = by_run["06_pool_exhaustion_triage"]
    assert any(f["fault"] == "pool_exhaustion" and "go-pg pool" in f["subject"] for f in pool_incident)
    assert any(f["fault"] == "pool_exhaustion" and f["value"] == 38 for f in pool_incident)  # payments' dump
    resilience = by_run["10_resilience_lab"]
    found = {f["fault"] for f in resilience}
    assert {"retry_storm", "retry_misuse", "breaker_open", "fallback", "timeout_budget"} <= found
    assert any(f["subject"] == "checkout → inventory" and f["fault"] == "retry_storm" for f in resilience)
    over = {f["subject"] for f in resilience if f["fault"] == "timeout_budget" and f["severity"] == "critical"}
    assert {"gateway → checkout", "checkout → inventory", "payments → bank"} <= over
    metric_faults = {(f["fault"], f["subject"]) for f in by_run["11_metrics_slo_triage"]}
    assert {("slo_burn", "gateway"), ("pool_exhaustion", "payments"), ("server_errors", "gateway")} <= metric_faults
    assert ("goroutine_leak", "gateway") in metric_faults
    log_text = " ".join(f["evidence"] for f in by_run["09_logs_errors_triage"])
    assert "pg: connection pool timeout" in log_text and "goaway" in log_text


def test_index_links_every_page(demo_report: object) -> None:
    index = demo_report.index_path.read_text()
    for r in demo_report.results:
        assert f'href="{r.html_path.name}"' in index
    assert external_scripts(index) == [] and "<script" not in index


def test_failing_notebook_still_gets_a_page(tmp_path: Path) -> None:
    run = NotebookRun(NB01, {"probes_path": str(tmp_path / "missing.csv")}, name="broken")
    result = run_report([run], tmp_path / "out")
    assert not result.ok
    r = result.results[0]
    assert "DataFormatError" in r.error and "missing.csv" in r.error
    page = r.html_path.read_text()
    assert "DataFormatError" in page and "missing.csv" in page  # the error is visible in the report
    assert "Traceback" not in page and 'File "' not in page  # ... as a message, not a Python stack
    assert "failed" in result.index_path.read_text()
    assert json.loads(result.findings_path.read_text())["ok"] is False


def test_missing_notebook_is_marked_failed(tmp_path: Path) -> None:
    result = run_report([tmp_path / "nope.ipynb"], tmp_path / "out")
    assert not result.ok and "not found" in result.results[0].error


def test_pages_render_figures_in_a_headless_browser(demo_report: object, tmp_path: Path) -> None:
    """Open a report page from disk in Chromium: every figure must draw (plotly.js is inline)."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium here (CI installs Debian's chromium: .ci/run)")
    pages = {r.run.slug(): r.html_path for r in demo_report.results}
    for name, least in (("01_latency_demo_incident", 7), ("00_triage", 1)):
        page = pages[name]
        dom = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / name}",
                "--virtual-time-budget=20000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        ).stdout
        figures = page.read_text().count('class="plotly-graph-div"')
        assert figures >= least, name
        assert dom.count('class="main-svg"') >= figures, f"some figures of {name} did not draw"

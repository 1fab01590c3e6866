"""The apiprobe command, run as a real subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from apiprobe.lab import FaultLab
from apiprobe.load import read_pings, read_probes

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "apiprobe", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def test_probe_prints_summary_and_saves(lab: FaultLab, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    res = cli("probe", lab.url("ok"), lab.url("refused"), "-n", "3", "-i", "0.05", "-t", "1", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "p50_ms" in res.stdout and "connect_refused" in res.stdout
    df = read_probes(out)
    assert len(df) == 6 and set(df["error_kind"].dropna()) == {"connect_refused"}


def test_probe_with_workers_spreads_attempts_over_processes(lab: FaultLab, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    res = cli("probe", lab.url("ok"), lab.url("refused"), "-n", "20", "-i", "0", "-w", "2", "-o", str(out))
    assert res.returncode == 0, res.stderr
    df = read_probes(out)
    assert len(df) == 40 and df["run_id"].nunique() == 1 and df["ts"].is_monotonic_increasing
    assert (df.loc[df["target"] == lab.url("ok"), "status"] == 200).all()


def test_probe_parquet_and_headers(lab: FaultLab, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    res = cli("probe", lab.url("ok"), "-n", "1", "-H", "Authorization: Bearer s3cret", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "s3cret" not in out.read_bytes().decode("latin-1")
    assert read_probes(out)["status"].iloc[0] == 200


def test_bad_url_exits_2_with_a_clear_message() -> None:
    res = cli("probe", "not-a-url")
    assert res.returncode == 2
    assert "no scheme" in res.stderr and "Traceback" not in res.stderr


def test_ping(lab: FaultLab, tmp_path: Path) -> None:
    hostport = lab.url("ok").split("/")[2]
    res = cli("ping", hostport, "-n", "3", "-i", "0.01", "-o", str(tmp_path / "pings.jsonl"))
    assert res.returncode == 0, res.stderr
    assert "jitter_mean_ms" in res.stdout
    assert read_pings(tmp_path / "pings.jsonl")["ok"].all()


def test_demo_writes_data(tmp_path: Path) -> None:
    res = cli("demo", "--out", str(tmp_path / "d"))
    assert res.returncode == 0, res.stderr
    assert {p.name for p in (tmp_path / "d").iterdir()} == {
        "probes.csv",
        "baseline.csv",
        "pings.csv",
        "serialization",
        "goroutines",
        "profiles",
        "exectrace",
        "logs",
        "traces",
        "har",
        "resilience",
        "metrics",
        "incident",
    }


def test_lab_prints_endpoints_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiprobe", "lab", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        info = json.loads(line)
        names = {e["name"] for e in info["endpoints"]}
        assert {"ok", "delay", "blackhole", "refused", "https_ok"} <= names
        assert Path(info["ca_path"]).is_file()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


@pytest.mark.slow
def test_report_exit_code_reflects_failure(tmp_path: Path) -> None:
    # an installed notebook by name, as a user of a wheel install would run it
    res = cli(
        "report",
        "01_latency_timeouts",
        "-p",
        "probes_path",
        str(tmp_path / "missing.csv"),
        "--out",
        str(tmp_path / "r"),
        timeout=300,
    )
    assert res.returncode == 1
    assert (tmp_path / "r" / "index.html").is_file()
    assert "FAILED" in res.stdout


def test_report_without_notebooks_is_usage_error() -> None:
    res = cli("report")
    assert res.returncode != 0 and "notebook" in res.stderr


def test_dns_against_a_loopback_server(tmp_path: Path) -> None:
    from apiprobe.lab._dns import DnsServer, default_lab_zone

    with DnsServer(default_lab_zone()) as server:
        res = cli(
            "dns",
            "ok.lab.test",
            "nx.lab.test",
            "-r",
            server.spec,
            "-t",
            "A",
            "-n",
            "2",
            "-i",
            "0.01",
            "-o",
            str(tmp_path / "dns.csv"),
            "--resolv-conf",
            str(tmp_path / "absent.conf"),
        )
    assert res.returncode == 0, res.stderr
    assert "127.0.0.1" in res.stdout and "no such host" in res.stdout
    from apiprobe.load import read_dns

    assert len(read_dns(tmp_path / "dns.csv")) == 4


def test_tls_names_the_defect_and_exit_code(lab: FaultLab, tmp_path: Path) -> None:
    bad = "{}:{}".format(*lab.address("https_missing_intermediate"))
    res = cli(
        "tls",
        bad,
        "--cafile",
        str(lab.ca_path),
        "--go-log",
        "tls: failed to verify certificate: x509: certificate signed by unknown authority",
    )
    assert res.returncode == 1, res.stderr
    assert "missing intermediate" in res.stdout and "fullchain" in res.stdout
    good = "{}:{}".format(*lab.address("https_chain_ok"))
    assert cli("tls", good, "--cafile", str(lab.ca_path)).returncode == 0
    pem = lab.chain_path("https_expired")
    res = cli("tls", str(pem), "--pem", "--servername", "127.0.0.1", "--cafile", str(lab.ca_path))
    assert res.returncode == 1 and "expired" in res.stdout


def test_logs_prints_counts_kinds_and_findings(tmp_path: Path) -> None:
    import pandas as pd

    logs = tmp_path / "logs"
    logs.mkdir()
    zap = [f'{{"level":"info","ts":{1710409200 + 60 * i},"msg":"charge ok"}}' for i in range(20)]  # 09:40-10:00
    zap += [
        f'{{"level":"error","ts":{1710410400 + 10 * i},"msg":"charge failed","error":"pg: connection pool '
        f'timeout","token":"s3cret"}}'
        for i in range(12)
    ]  # 10:00-10:02
    (logs / "payments.json.log").write_text("\n".join(zap) + "\npanic: boom\n")
    (logs / "orders.log").write_text(
        'time="2024-03-14T10:00:05Z" level=warning msg="retry" '
        'error="context deadline exceeded (Client.Timeout exceeded while awaiting '
        'headers)" attempt=2\n'
    )
    out = tmp_path / "events.parquet"
    res = cli(
        "logs",
        str(logs),
        "-q",
        "-o",
        str(out),
        "--incident",
        "2024-03-14T10:00:00Z/2024-03-14T10:05:00Z",
        "--baseline",
        "2024-03-14T09:40:00Z/2024-03-14T10:00:00Z",
    )
    assert res.returncode == 0, res.stderr
    assert "payments.json.log" in res.stdout and "zap" in res.stdout and "logrus_text" in res.stdout
    assert "pool_timeout" in res.stdout and "read_timeout" in res.stdout
    assert "pool_exhaustion" in res.stdout  # a finding line
    back = pd.read_parquet(out)
    assert len(back) == 34 and (~back["parse_ok"]).sum() == 1
    assert back.loc[back["msg"] == "charge failed", "attrs"].iloc[0]["token"] == "s3cret"
    bad = cli("logs", str(tmp_path / "missing"))
    assert bad.returncode == 2 and "no such file" in bad.stderr
    window = cli("logs", str(logs), "--incident", "yesterday")
    assert window.returncode != 0 and "START/END" in window.stderr


def test_logs_to_a_store_then_from_it(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [f'{{"level":"info","ts":{1710409200 + 60 * i},"msg":"charge ok"}}' for i in range(20)]
    lines += [
        f'{{"level":"error","ts":{1710410400 + 10 * i},"msg":"charge failed","error":"pg: connection pool timeout"}}'
        for i in range(12)
    ]
    (logs / "payments.json.log").write_text("\n".join(lines) + "\npanic: boom\n")
    store = tmp_path / "store"
    window = ("--incident", "2024-03-14T10:00:00Z/2024-03-14T10:05:00Z")
    res = cli("logs", str(logs), "-q", "--to", str(store), *window)
    assert res.returncode == 0, res.stderr
    assert "evidence store:" in res.stdout and "33 lines" in res.stdout
    assert "converted" in res.stdout and "pool_timeout" in res.stdout and "pool_exhaustion" in res.stdout
    again = cli("logs", str(store), "-q", *window)  # the store itself: analysed where it lies
    assert again.returncode == 0, again.stderr
    findings = [line for line in res.stdout.splitlines() if line.startswith(("CRITICAL", "WARNING"))]
    assert findings and findings == [
        line for line in again.stdout.splitlines() if line.startswith(("CRITICAL", "WARNING"))
    ]
    refused = cli("logs", str(store), "--since", "2024-03-14T10:00:00Z")
    assert refused.returncode != 0 and "SQL" in refused.stderr
    exists = cli("logs", str(logs), "-q", "--to", str(store))
    assert exists.returncode != 0 and "overwrite" in exists.stderr


def test_report_names_an_unknown_notebook(tmp_path: Path) -> None:
    res = cli("report", "99_nope", "--out", str(tmp_path / "r"))
    assert res.returncode == 2
    assert "no notebook '99_nope'" in res.stderr and "01_latency_timeouts" in res.stderr


def test_logs_output_shows_no_planted_secret(tmp_path: Path) -> None:
    from test_redact import PLANTED, leaked

    lines = [f'{{"level":"info","ts":{1710409200 + i},"msg":"ok"}}' for i in range(30)]
    lines += [
        json.dumps({"level": "error", "ts": 1710409300 + i, "msg": f"upstream failed: {text}", "error": text})
        for i, text in enumerate(list(PLANTED.values()) * 3)
    ]
    log = tmp_path / "api.log"
    log.write_text("\n".join(lines) + "\n")
    res = cli("logs", str(log), "-q")
    assert res.returncode == 0, res.stderr
    assert "[REDACTED]" in res.stdout and not leaked(res.stdout + res.stderr), leaked(res.stdout)


def test_misuse_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    log.write_text('{"level":"error","ts":1710409300,"msg":"boom"}\n')
    reversed_window = cli("logs", str(log), "--incident", "2030-01-01/2020-01-01")
    assert reversed_window.returncode != 0 and "must start before it ends" in reversed_window.stderr
    assert "Traceback" not in reversed_window.stderr
    bad_regex = cli("logs", str(log), "--format", "regex", "--regex", "(?P<msg>")
    assert bad_regex.returncode == 2 and "regex" in bad_regex.stderr and "Traceback" not in bad_regex.stderr
    existing = tmp_path / "report.html"
    existing.write_text("")
    out_file = cli("report", "01_latency_timeouts", "--out", str(existing))
    assert out_file.returncode == 2 and "is a file, not a directory" in out_file.stderr
    assert "Traceback" not in out_file.stderr


def test_triage_prints_inventory_story_and_writes_the_postmortem(tmp_path: Path) -> None:
    out = tmp_path / "triage"
    res = cli("triage", "data/demo/incident", "--no-report", "--out", str(out))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "evidence: data/demo/incident — 18 of 21 files used"
    assert any("grafana-screenshot.png" in line and "NOT USED: not evidence" in line for line in lines)
    assert any("payments-heap.pb.gz" in line and "NOT USED: truncated gzip stream" in line for line in lines)
    story = [line for line in lines if line.lstrip().startswith("#")]
    assert story[0] == "  #1 [root cause, confidence 0.86] payments: connection pool exhausted"
    assert story[1].startswith("    #2 [consequence of #1")
    assert f"postmortem draft: {out.resolve() / 'postmortem.md'}" in res.stdout
    assert (out / "postmortem.md").read_text(encoding="utf-8").startswith("# Postmortem (draft)")
    assert "Traceback" not in res.stderr


def test_triage_of_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    res = cli("triage", str(tmp_path), "--no-report")
    assert res.returncode == 2
    assert "the folder is empty" in res.stderr and "Traceback" not in res.stderr
    res = cli("triage", str(tmp_path), "--incident", "2026-03-14T10:00:00Z")
    assert res.returncode == 2 and "--incident needs START/END" in res.stderr

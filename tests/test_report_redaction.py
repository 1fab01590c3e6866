"""No planted secret survives into anything a report writes: pages, executed notebooks, findings.json.

Evidence with credentials of every kind the redaction knows (see
``tests/test_redact.py``) goes through the real notebooks via papermill; every
file of the report is then searched for the secret values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_redact import AWS_ID, AWS_SECRET, JWT, PEM_BODY, leaked

from apiprobe.report import NOTEBOOKS, NotebookRun, run_report

pytestmark = pytest.mark.slow

MARKER = "upstream-visible-marker"


def _log_lines() -> list[str]:
    """A zap JSON request log: healthy traffic, then errors carrying secrets in msg, error and body."""
    lines = []
    secrets_in_errors = [
        f"dial tcp 10.0.0.7:5432: connect: connection refused password=hunter2-planted {MARKER}",
        f"auth upstream rejected Authorization: Bearer {JWT}",
        f"s3 put failed: aws_access_key_id={AWS_ID} aws_secret_access_key={AWS_SECRET}",
        f"tls: failed to load key -----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        "oauth: client_secret=cs-planted-77 rejected; X-Api-Key: ak-planted-88; Cookie: session=sess-planted-99",
    ]
    for i in range(120):
        ts = 1731424740.0 + i
        if i % 3 == 0 and i >= 30:
            err = secrets_in_errors[(i // 3) % len(secrets_in_errors)]
            lines.append(
                json.dumps(
                    {
                        "level": "error",
                        "ts": ts,
                        "msg": f"request failed: {err}",
                        "error": err,
                        "method": "POST",
                        "path": "/v1/users?token=tok-planted-33",
                        "status": 500,
                        "latency": 0.5,
                        "body": json.dumps({"error": "invalid email", "password": "pw-planted-11"}),
                    }
                )
            )
        else:
            lines.append(
                json.dumps(
                    {"level": "info", "ts": ts, "msg": "request", "method": "GET", "path": "/v1/users", "status": 200}
                )
            )
    return lines


def _zipkin() -> list[dict[str, object]]:
    """One trace: a client span whose name carries a token and whose error tag a JWT."""
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    t0 = 1731424770_000_000
    return [
        {
            "traceId": trace,
            "id": "00f067aa0ba902b7",
            "name": "get /v1/orders?token=tok-planted-33",
            "timestamp": t0,
            "duration": 900_000,
            "localEndpoint": {"serviceName": "gateway"},
            "kind": "SERVER",
            "tags": {"http.status_code": "500", "error": f"upstream said Bearer {JWT}"},
        },
        {
            "traceId": trace,
            "parentId": "00f067aa0ba902b7",
            "id": "00f067aa0ba902b8",
            "name": "post /charge",
            "timestamp": t0 + 1000,
            "duration": 850_000,
            "localEndpoint": {"serviceName": "payments"},
            "kind": "CLIENT",
            "tags": {"http.status_code": "500", "error": f"password=hunter2-planted {AWS_ID}"},
        },
    ]


def test_no_planted_secret_in_any_report_file(tmp_path: Path) -> None:
    logs = tmp_path / "evidence" / "logs"
    logs.mkdir(parents=True)
    (logs / "users.log").write_text("\n".join(_log_lines()) + "\n")
    traces = tmp_path / "evidence" / "traces"
    traces.mkdir()
    (traces / "trace.json").write_text(json.dumps(_zipkin()))
    runs = [
        NotebookRun(NOTEBOOKS / "09_logs_errors.ipynb", {"logs_path": str(logs), "title": "secrets"}, name="logs"),
        NotebookRun(NOTEBOOKS / "05_status_codes.ipynb", {"logs_path": str(logs), "title": "secrets"}, name="status"),
        NotebookRun(
            NOTEBOOKS / "08_tracing.ipynb",
            {"traces_path": str(traces), "logs_path": str(logs), "title": "secrets"},
            name="tracing",
        ),
    ]
    result = run_report(runs, tmp_path / "out")
    assert result.ok, [r.error for r in result.results]
    files = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".json"}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not leaked(text), (path.name, leaked(text))
        assert not leaked(text.replace("\\/", "/")), path.name  # JSON may escape the slash of an AWS secret
    # not vacuous: the evidence was shown, with its secrets replaced
    pages = "".join(r.html_path.read_text() for r in result.results if r.html_path)
    assert MARKER in pages and "[REDACTED]" in pages
    findings = json.loads(result.findings_path.read_text())["findings"]
    assert findings and any("[REDACTED]" in json.dumps(f) for f in findings)

"""Go's own client errors, provoked for real against the fault lab, under every Go toolchain here.

A small stdlib-only Go program (``go/client_errors.go``) calls each faulty lab
endpoint with ``net/http`` (a ``Client.Timeout``, a context deadline, a dialer
timeout) and ``crypto/tls``, and prints ``err.Error()``. Those strings are what
a Go service logs, so they must:

* classify to the kind the fault is (:func:`classify_error_text`), and
* for TLS, equal what :meth:`TlsReport.go_error` predicts Go logs for the chain.

Go changed some wording between releases; both versions are kept side by side
(``minor`` of the toolchain).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiprobe.analyze.error_kinds import classify_error_text
from apiprobe.lab import FaultLab
from apiprobe.probe import probe_tls

GO_SRC = Path(__file__).with_name("go") / "client_errors.go"

#: (lab endpoint, how the Go client calls it) → the error kind the message means.
HTTP_CASES: dict[tuple[str, str], str] = {
    ("blackhole", "http"): "read_timeout",  # ... (Client.Timeout exceeded while awaiting headers)
    ("blackhole", "ctx"): "deadline_exceeded",  # a bare context deadline: the caller's budget ran out
    ("refused", "http"): "connect_refused",
    ("syn_drop", "dial"): "connect_timeout",  # dial tcp ...: i/o timeout
    ("slow_body", "http"): "body_timeout",  # (Client.Timeout or context cancellation while reading body)
    ("slow_body", "ctx"): "deadline_exceeded",
    ("reset", "http"): "connection_reset",  # read: connection reset by peer
    ("close", "http"): "eof",  # the server hung up without an answer: Go says EOF
    ("garbage", "http"): "protocol_error",  # malformed HTTP response "SSH-2.0-OpenSSH_9.6"
}
#: The shape of each message, address masked (identical in Go 1.19 and 1.27).
HTTP_TEXTS: dict[tuple[str, str], str] = {
    ("blackhole", "http"): 'Get "URL": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ("blackhole", "ctx"): 'Get "URL": context deadline exceeded',
    ("refused", "http"): 'Get "URL": dial tcp ADDR: connect: connection refused',
    ("syn_drop", "dial"): 'Get "URL": dial tcp ADDR: i/o timeout',
    ("slow_body", "http"): "context deadline exceeded (Client.Timeout or context cancellation while reading body)",
    ("slow_body", "ctx"): "context deadline exceeded",
    ("reset", "http"): "read tcp ADDR->ADDR: read: connection reset by peer",
    ("close", "http"): 'Get "URL": EOF',
    ("garbage", "http"): (
        'Get "URL": net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6"'
    ),
}
TLS_KINDS = {
    "https_expired": "tls_expired",
    "https_not_yet_valid": "tls_expired",
    "https_missing_intermediate": "tls_untrusted",
    "https_self_signed": "tls_untrusted",
    "https_untrusted_root": "tls_untrusted",
    "https_sha1": "tls_untrusted",
    "https_wrong_host": "tls_hostname",
}
TLS_CONNECTS = ("https_ok", "https_chain_ok", "https_expiring_soon", "https_wrong_order", "https_root_sent")


def _mask(text: str) -> str:
    text = re.sub(r'"https?://[^"]+"', '"URL"', text)
    text = re.sub(r"\[?[0-9a-f.:]+\]?:\d+", "ADDR", text)
    return re.sub(r"current time \S+ is (after|before) \S+", r"current time T is \1 T", text)


def _as_go_119(text: str) -> str:
    """Go 1.19's wording of a Go 1.20+ certificate error.

    1.20 wrapped certificate errors in ``tls: failed to verify certificate: ``;
    1.19 still told SHA-1 users how to re-enable it for a while.
    """
    text = text.removeprefix("tls: failed to verify certificate: ")
    return text.replace(
        'insecure algorithm ECDSA-SHA1"',
        'insecure algorithm ECDSA-SHA1 (temporarily override with GODEBUG=x509sha1=1)"',
    )


@pytest.fixture(scope="module")
def go_errors(go_toolchain: Any, lab: FaultLab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp(f"goerr-{go_toolchain.version}")
    (tmp / "main.go").write_text(GO_SRC.read_text())
    (tmp / "go.mod").write_text("module clienterrors\n\ngo 1.19\n")
    jobs: list[dict[str, Any]] = [
        {"name": f"{ep}/{mode}", "url": lab.url(ep), "mode": mode, "timeout_s": 1.0} for ep, mode in HTTP_CASES
    ]
    for ep in (*TLS_KINDS, *TLS_CONNECTS):
        host, port = lab.address(ep)
        jobs.append({"name": ep, "addr": f"{host}:{port}", "mode": "tls", "timeout_s": 5.0, "server_name": "localhost"})
    res = subprocess.run(
        [go_toolchain.go, "run", "main.go"],
        input=json.dumps({"cafile": str(lab.ca_path), "jobs": jobs}),
        capture_output=True,
        text=True,
        cwd=tmp,
        env=go_toolchain.env(tmp),
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    out: dict[str, str] = json.loads(res.stdout)
    return out


@pytest.mark.parametrize(("endpoint", "mode"), list(HTTP_CASES))
def test_net_http_errors_classify_to_their_fault(go_errors: dict[str, str], endpoint: str, mode: str) -> None:
    text = go_errors[f"{endpoint}/{mode}"]
    assert _mask(text) == HTTP_TEXTS[endpoint, mode]
    assert classify_error_text(text)[0] == HTTP_CASES[endpoint, mode], text


@pytest.mark.parametrize("endpoint", list(TLS_KINDS))
def test_tls_errors_match_the_predicted_go_line(
    go_errors: dict[str, str], go_toolchain: Any, lab: FaultLab, endpoint: str
) -> None:
    text = go_errors[endpoint]
    assert classify_error_text(text)[0] == TLS_KINDS[endpoint], text
    host, port = lab.address(endpoint)
    predicted = probe_tls(host, port, servername="localhost", cafile=lab.ca_path, stores=()).go_error()
    assert predicted is not None
    if go_toolchain.minor < 20:
        predicted = _as_go_119(predicted)
    assert _mask(text) == _mask(predicted)


@pytest.mark.parametrize("endpoint", TLS_CONNECTS)
def test_tls_endpoints_go_accepts(go_errors: dict[str, str], lab: FaultLab, endpoint: str) -> None:
    assert go_errors[endpoint] == ""
    host, port = lab.address(endpoint)
    assert probe_tls(host, port, servername="localhost", cafile=lab.ca_path, stores=()).go_error() is None

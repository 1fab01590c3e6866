"""probe_http against Prometheus' blackbox_exporter on the same lab endpoints: the same verdicts.

blackbox_exporter (Debian's ``prometheus-blackbox-exporter``, installed by
``.ci/run``) probes through its ``/probe`` endpoint; the test compares
success, status code and which phases ran. Where a phase did not happen,
blackbox reports 0 seconds and apiprobe NA.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from apiprobe.lab import FaultLab
from apiprobe.probe import probe_http

BINARY = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="blackbox_exporter is not installed (CI installs prometheus-blackbox-exporter: .ci/run)"
)

ENDPOINTS = ["ok", "status", "refused", "garbage", "https_ok", "https_expired", "https_wrong_host"]


@pytest.fixture(scope="module")
def blackbox(lab: FaultLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert BINARY is not None
    config = Path(tmp_path_factory.mktemp("blackbox")) / "blackbox.yml"
    config.write_text(
        "modules:\n  http:\n    prober: http\n    timeout: 3s\n    http:\n"
        "      preferred_ip_protocol: ip4\n"
        "      valid_status_codes: [200, 500]\n"
        f"      tls_config:\n        ca_file: {lab.ca_path}\n"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/-/healthy", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("blackbox_exporter did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _blackbox_probe(base: str, target: str) -> dict[str, float]:
    text = httpx.get(f"{base}/probe", params={"module": "http", "target": target}, timeout=10).text
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_same_verdict_and_status_as_blackbox_exporter(lab: FaultLab, blackbox: str, endpoint: str) -> None:
    url = lab.url(endpoint)
    theirs = _blackbox_probe(blackbox, url)
    ours = probe_http(url, timeout=3, cafile=str(lab.ca_path), progress=False).iloc[0]
    assert (theirs["probe_success"] == 1) == pd.isna(ours["error_kind"]), (theirs, ours["error"])
    assert theirs["probe_http_status_code"] == (0 if pd.isna(ours["status"]) else ours["status"])
    tls_phase = theirs['probe_http_duration_seconds{phase="tls"}']
    if tls_phase > 0:
        assert ours["tls_ms"] > 0
    else:  # blackbox says 0 s for a handshake that did not happen or failed; apiprobe says NA
        assert pd.isna(ours["tls_ms"])
    connect = theirs['probe_http_duration_seconds{phase="connect"}']
    if endpoint in ("https_expired", "https_wrong_host"):
        assert connect == 0 and ours["connect_ms"] > 0  # blackbox drops the connect time when TLS fails
    elif connect == 0:
        assert pd.isna(ours["connect_ms"])
    else:
        assert ours["connect_ms"] > 0

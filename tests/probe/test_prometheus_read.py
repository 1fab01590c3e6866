"""read_prometheus against servers that are not a working Prometheus: clear errors that name the query and the server.

A real Prometheus is in test_prometheus_parity.py; here the servers are the
fault lab (a refused port, a JSON route that is not the API) and a loopback
server answering HTML, as a wrong URL (a login page, a dashboard) does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import apiprobe as ap
from apiprobe.errors import InvalidParameterError, PrometheusError
from apiprobe.lab import FaultLab


class _Html(BaseHTTPRequestHandler):
    def _page(self) -> None:
        body = b"<!doctype html><html><body>Grafana login</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._page()

    def do_POST(self) -> None:
        self._page()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def html_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unreachable_server_names_query_and_server() -> None:
    with FaultLab(seed=1) as lab:
        refused = "http://bob:hunter2@{}:{}".format(*lab.address("refused"))
        with pytest.raises(PrometheusError, match="unreachable") as info:
            ap.read_prometheus(refused, "up", headers={"Authorization": "Bearer tok-123"}, timeout=2)
    message = str(info.value)
    assert "'up'" in message and "127.0.0.1" in message
    assert "hunter2" not in message and "tok-123" not in message  # the password and the token stay out
    assert info.value.query == "up"


def test_html_instead_of_the_api(html_url: str) -> None:
    with pytest.raises(PrometheusError, match="text/html, not Prometheus' JSON API") as info:
        ap.read_prometheus(html_url + "/grafana", "rate(x[5m])", start=0, end=600, step="60s")
    assert "base URL" in str(info.value) and info.value.error_type == ""


def test_json_that_is_not_the_api() -> None:
    with FaultLab(seed=1) as lab, pytest.raises(PrometheusError, match="not a Prometheus API response"):
        ap.read_prometheus(lab.url("ok").removesuffix("/ok"), "up")


def test_misuse() -> None:
    with pytest.raises(InvalidParameterError, match="url"):
        ap.read_prometheus("prometheus:9090", "up")
    with pytest.raises(InvalidParameterError, match="query"):
        ap.read_prometheus("http://127.0.0.1:9", "  ")
    with pytest.raises(InvalidParameterError, match="before start"):
        ap.read_prometheus("http://127.0.0.1:9", "up", start="2026-01-02", end="2026-01-01")
    with pytest.raises(InvalidParameterError, match="step"):
        ap.read_prometheus("http://127.0.0.1:9", "up", start=0, end=60, step="1 minute")

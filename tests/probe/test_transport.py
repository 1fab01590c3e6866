"""The probe transport over real loopback sockets: rows, phases and boundaries under the new engine."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from apiprobe.lab import FaultLab
from apiprobe.probe import probe_http
from apiprobe.probe.runner import new_event_loop

BIG = 1_000_000  # bytes: more than one 64 KiB read


class _Handler(socketserver.StreamRequestHandler):
    """A deliberately small HTTP/1.1 server: each path is one behaviour the probe must get right."""

    def handle(self) -> None:
        while True:
            line = self.rfile.readline()
            if not line:
                return
            path = line.split()[1].decode()
            headers = {}
            while (h := self.rfile.readline()) not in (b"\r\n", b""):
                name, _, value = h.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = self.rfile.read(int(headers.get("content-length", 0)))
            if path == "/echo":
                payload = json.dumps({"body": len(body), "headers": sorted(headers)}).encode()
            elif path == "/big":
                payload = b"x" * BIG
            else:
                payload = b"ok"
            cookie = b"Set-Cookie: session=s3cret; Path=/\r\n" if path == "/echo" else b""
            head = b"HTTP/1.1 200 OK\r\n" + cookie + b"Content-Length: %d\r\n\r\n" % len(payload)
            self.wfile.write(head + payload)
            self.wfile.flush()
            if path == "/hangup":  # answer as keep-alive, then close the idle connection
                time.sleep(0.05)
                return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_body_is_sent_and_its_write_is_the_request_phase(server: str) -> None:
    df = probe_http(f"{server}/echo", method="POST", content=b"a" * 5000, body_limit=500, progress=False)
    row = df.iloc[0]
    assert pd.isna(row["error_kind"]), row["error"]
    seen = json.loads(row["body"])
    assert seen["body"] == 5000 and "content-length" in seen["headers"]
    assert row["request_ms"] > 0 and row["ttfb_ms"] > 0


def test_a_large_body_arrives_whole_over_many_reads(server: str) -> None:
    row = probe_http(f"{server}/big", progress=False).iloc[0]
    assert pd.isna(row["error_kind"]) and row["bytes"] == BIG
    assert row["transfer_ms"] > 0
    assert row["total_ms"] >= row[["connect_ms", "request_ms", "ttfb_ms", "transfer_ms"]].sum()


def test_keepalive_never_reuses_a_connection_the_server_closed(server: str) -> None:
    df = probe_http(f"{server}/hangup", count=3, interval=0.3, concurrency=1, keepalive=True, progress=False)
    assert df["error_kind"].isna().all(), df["error"].tolist()
    assert not df["reused_conn"].any() and df["connect_ms"].notna().all()


def test_keepalive_over_tls_skips_connect_and_handshake(lab: FaultLab) -> None:
    df = probe_http(
        lab.url("https_ok"), count=3, interval=0.05, concurrency=1, keepalive=True, cafile=str(lab.ca_path),
        progress=False,
    )  # fmt: skip
    assert df["error_kind"].isna().all(), df["error"].tolist()
    assert df["reused_conn"].tolist() == [False, True, True]
    assert df["tls_ms"].iloc[0] > 0 and df["tls_ms"].iloc[1:].isna().all()
    assert (df["tls_version"] == df["tls_version"].iloc[0]).all()


def test_rows_come_back_in_start_order_with_one_row_per_attempt(lab: FaultLab) -> None:
    urls = [lab.url("ok"), lab.url("delay", ms=30), lab.url("refused"), lab.url("https_ok")]
    df = probe_http(urls, count=6, interval=0.01, concurrency=5, keepalive=True, cafile=str(lab.ca_path),
                    progress=False)  # fmt: skip
    assert df["ts"].is_monotonic_increasing
    assert df.groupby("target").size().to_dict() == {u: 6 for u in urls}
    refused = df[df["target"] == lab.url("refused")]
    assert (refused["error_kind"] == "connect_refused").all() and refused["connect_ms"].isna().all()
    ok = df[df["error_kind"].isna()]
    assert (ok["status"] == 200).all() and ok["total_ms"].notna().all()


def test_the_same_rows_on_either_event_loop(lab: FaultLab, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = [lab.url("ok"), lab.url("reset"), lab.url("garbage"), lab.url("https_expired")]
    kinds = {}
    for loop in ("asyncio", "uvloop"):
        monkeypatch.setenv("APIPROBE_LOOP", loop)
        df = probe_http(urls, count=1, timeout=2, cafile=str(lab.ca_path), progress=False)
        kinds[loop] = df.set_index("target")["error_kind"].fillna("ok").to_dict()
    assert kinds["asyncio"] == kinds["uvloop"]
    assert kinds["asyncio"][lab.url("https_expired")] == "tls_expired"


def test_uvloop_is_the_loop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed (not on Windows)")
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    monkeypatch.setenv("APIPROBE_LOOP", "asyncio")
    loop = new_event_loop()
    try:
        assert not type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_server_wait_is_never_shorter_than_the_server_waited_under_load(lab: FaultLab) -> None:
    # Both cores busy: a probe may be scheduled late, which must only ever lengthen what it measures.
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        df = probe_http(lab.url("delay", ms=40), count=120, interval=0, concurrency=12, progress=False)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    assert df["error_kind"].isna().all(), df["error"].dropna().tolist()[:3]
    assert (df["ttfb_ms"] >= 40).all(), df["ttfb_ms"].min()


def test_failed_connects_leave_no_descriptor_behind(lab: FaultLab) -> None:
    def fds() -> int:
        return len(os.listdir(f"/proc/{os.getpid()}/fd"))

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc/self/fd on this system")
    urls = [lab.url("ok"), lab.url("refused"), lab.url("close"), lab.url("garbage"), lab.url("https_ok")]
    probe_http(urls, count=2, interval=0, progress=False)  # first run: imports, certifi bundle
    before = fds()
    probe_http(urls, count=40, interval=0, concurrency=16, keepalive=True, progress=False)
    probe_http(urls, count=40, interval=0, concurrency=16, progress=False)
    assert fds() <= before


def test_an_unreachable_port_is_refused_not_a_hang() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: the kernel refuses
        row = probe_http(f"http://127.0.0.1:{port}/", timeout=2, progress=False).iloc[0]
    assert row["error_kind"] == "connect_refused"
    assert pd.isna(row["connect_ms"]) and pd.isna(row["ttfb_ms"]) and pd.isna(row["total_ms"])


def test_a_handshake_that_never_finishes_is_a_tls_timeout(lab: FaultLab) -> None:
    # the blackhole accepts and never answers: TCP connects, the TLS handshake stalls
    row = probe_http(lab.url("blackhole").replace("http://", "https://"), timeout=0.5, progress=False).iloc[0]
    assert row["error_kind"] == "tls_timeout", row["error"]
    assert row["connect_ms"] > 0 and pd.isna(row["tls_ms"]) and pd.isna(row["ttfb_ms"])


def _fds() -> int:
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd on this system")
def test_a_stalled_upload_is_a_write_error_and_its_socket_is_dropped() -> None:
    # Listening but never accepting: the connect completes in the backlog, the body never drains.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/upload"
        probe_http(url, method="POST", content=b"x", timeout=0.3, progress=False)  # warm-up
        before = _fds()
        row = probe_http(url, method="POST", content=b"x" * 30_000_000, timeout=0.5, progress=False).iloc[0]
        after = _fds()
    assert row["error_kind"] == "write_error", row["error"]
    assert pd.isna(row["request_ms"]) and pd.isna(row["ttfb_ms"])  # the request never left whole
    assert row["connect_ms"] > 0
    assert after <= before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd on this system")
def test_a_silent_tls_server_times_out_and_its_socket_is_dropped(lab: FaultLab) -> None:
    # A graceful TLS close would wait up to 30 s for the silent server's close_notify.
    url = lab.url("https_ok").replace("/ok", "/delay?ms=3000")
    probe_http(lab.url("https_ok"), cafile=str(lab.ca_path), progress=False)  # warm-up
    before = _fds()
    df = probe_http(url, count=3, interval=0, timeout=0.4, cafile=str(lab.ca_path), progress=False)
    assert (df["error_kind"] == "read_timeout").all(), df["error"].tolist()
    assert df["tls_ms"].notna().all() and df["ttfb_ms"].isna().all()
    # The lab serves from this process: its side of each connection lives until its 3 s delay ends.
    # Wait for that (a condition, not a time limit), then no socket of the probes may be left.
    deadline = time.monotonic() + 15
    while _fds() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _fds() <= before


def test_a_failure_on_a_kept_alive_connection_says_it_was_reused(lab: FaultLab) -> None:
    # /close reads the request and hangs up: over the connection /ok left idle, like a stale pool entry
    df = probe_http([lab.url("ok"), lab.url("close")], keepalive=True, concurrency=1, progress=False)
    failed = df.loc[df["target"] == lab.url("close")].iloc[0]
    assert failed["error_kind"] == "connection_reset", failed["error"]
    assert bool(failed["reused_conn"]) and pd.isna(failed["connect_ms"])


def test_requests_carry_the_usual_client_headers_and_no_cookies_between_attempts(server: str) -> None:
    df = probe_http(f"{server}/echo", count=2, interval=0, concurrency=1, body_limit=1000,
                    headers={"X-Probe": "1"}, progress=False)  # fmt: skip
    for body in df["body"]:
        seen = json.loads(body)["headers"]
        assert {"host", "user-agent", "accept", "accept-encoding", "x-probe"} <= set(seen)
        assert "cookie" not in seen


def test_kept_alive_connections_belong_to_one_name_even_on_a_shared_address(lab: FaultLab) -> None:
    port = lab.url("ok").split("/")[2].split(":")[1]
    urls = [f"http://a.test:{port}/ok", f"http://b.test:{port}/ok"]
    df = probe_http(urls, count=2, interval=0.05, concurrency=1, keepalive=True,
                    resolver={"a.test": "127.0.0.1", "b.test": "127.0.0.1"}, progress=False)  # fmt: skip
    assert df["error_kind"].isna().all()
    first = df.groupby("target")["reused_conn"].agg(list).to_dict()
    assert first == {urls[0]: [False, True], urls[1]: [False, True]}

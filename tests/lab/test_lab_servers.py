"""The fault lab against real sockets: every endpoint does what its catalogue entry says.

No mocks and no wall-clock upper bounds (the machine may be busy): only lower
bounds on durations and the observable outcome of each fault.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import ipaddress
import json
import logging
import socket
import ssl
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from apiprobe.errors import LabError
from apiprobe.lab import Endpoint, FaultLab
from apiprobe.lab._certs import LAB_SANS, Authority, Credentials, issue_cert, make_ca, write_pem
from apiprobe.lab._http import FaultApp

NAMES = [
    "ok",
    "metrics",
    "delay",
    "jitter",
    "slow_body",
    "reset",
    "close",
    "garbage",
    "flaky",
    "status",
    "misuse_ok_error",
    "misuse_notfound_rule",
    "misuse_500_validation",
    "misuse_403_unauth",
    "misuse_401_forbidden",
    "misuse_right_422",
    "blackhole",
    "refused",
    "syn_drop",
    "https_ok",
    "https_chain_ok",
    "https_expired",
    "https_not_yet_valid",
    "https_expiring_soon",
    "https_wrong_host",
    "https_missing_intermediate",
    "https_self_signed",
    "https_untrusted_root",
    "https_wrong_order",
    "https_root_sent",
    "https_weak_key",
    "https_sha1",
    "https_leaf_is_ca",
    "pool",
]


@pytest.fixture(scope="module")
def fault_lab() -> Iterator[FaultLab]:
    """One lab for the read-only tests of this module."""
    with FaultLab(seed=0) as lab:
        yield lab


def raw_exchange(address: tuple[str, int], request: bytes, *, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes; return what came back."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: lab\r\n\r\n".encode()


def reset_socket(sock: socket.socket) -> None:
    """Close with an RST, like a client process that dies."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# -- catalogue and URLs -------------------------------------------------------------------


def test_catalogue_lists_every_endpoint(fault_lab: FaultLab) -> None:
    endpoints = fault_lab.endpoints
    assert list(endpoints) == NAMES
    for name, ep in endpoints.items():
        assert isinstance(ep, Endpoint)
        assert ep.name == name and ep.fault and ep.expect
        assert ep.url == fault_lab.url(name)
    rows = fault_lab.describe()
    assert [r["name"] for r in rows] == NAMES
    assert all(set(r) == {"name", "url", "fault", "expect"} for r in rows)
    json.dumps(rows)  # printable / serialisable as is


def test_expect_starts_with_the_outcome(fault_lab: FaultLab) -> None:
    expect = {name: ep.expect for name, ep in fault_lab.endpoints.items()}
    assert expect["blackhole"].startswith("read_timeout")
    assert expect["refused"].startswith("connect_refused")
    assert expect["syn_drop"].startswith("connect_timeout")
    assert expect["reset"].startswith("connection_reset")
    assert expect["garbage"].startswith("protocol_error")
    assert expect["ok"].startswith("200")


def test_url_defaults_and_overrides(fault_lab: FaultLab) -> None:
    host, port = fault_lab.address("ok")
    base = f"http://{host}:{port}"
    assert fault_lab.url("ok") == f"{base}/ok"
    assert fault_lab.url("delay") == f"{base}/delay?ms=50"
    assert fault_lab.url("delay", ms=200) == f"{base}/delay?ms=200"
    assert fault_lab.url("delay", ms=None) == f"{base}/delay"
    assert fault_lab.url("slow_body", chunks=3) == f"{base}/slow-body?chunks=3&interval_ms=200"
    assert fault_lab.url("status") == f"{base}/status/500"
    assert fault_lab.url("status", code=404) == f"{base}/status/404"
    tls_port = fault_lab.address("https_ok")[1]
    assert fault_lab.url("https_ok") == f"https://{host}:{tls_port}/ok"
    assert fault_lab.url("delay", over="https_ok", ms=5) == f"https://{host}:{tls_port}/delay?ms=5"
    ports = {fault_lab.address(n)[1] for n in ("ok", "blackhole", "refused", "syn_drop", "https_ok")}
    assert len(ports) == 5
    assert fault_lab.url("refused") == f"http://{host}:{fault_lab.address('refused')[1]}/"


@pytest.mark.parametrize(
    "call",
    [
        lambda lab: lab.url("nope"),
        lambda lab: lab.url("blackhole", ms=3),
        lambda lab: lab.url("ok", over="ok"),
        lambda lab: lab.address("nope"),
    ],
)
def test_misuse_raises_lab_error(fault_lab: FaultLab, call: Callable[[FaultLab], object]) -> None:
    with pytest.raises(LabError):
        call(fault_lab)


# -- HTTP endpoints -----------------------------------------------------------------------


def test_ok_answers_json_with_content_length(fault_lab: FaultLab) -> None:
    r = httpx.get(fault_lab.url("ok"))
    assert r.status_code == 200
    assert r.json() == {"endpoint": "ok", "ok": True}
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.headers["content-type"] == "application/json"


def test_keep_alive_serves_several_requests_on_one_connection(fault_lab: FaultLab) -> None:
    with socket.create_connection(fault_lab.address("ok"), timeout=10) as sock:
        for _ in range(3):
            sock.sendall(get("/ok"))
            head = sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"Connection: close" not in head
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
        rest = b""
        while chunk := sock.recv(65536):  # the server closes after this response
            rest += chunk
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nConnection: close\r\n" in rest


def test_pipelined_chunked_head_and_http10_requests(fault_lab: FaultLab) -> None:
    request = (
        b"POST /ok HTTP/1.1\r\nHost: lab\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        b"GET /delay?ms=5 HTTP/1.1\r\nHost: lab\r\n\r\n"
        b"HEAD /ok HTTP/1.1\r\nHost: lab\r\n\r\n"
        b"GET /status/201 HTTP/1.0\r\n\r\n"
    )
    data = raw_exchange(fault_lab.address("ok"), request)
    assert data.count(b"HTTP/1.1 ") == 4
    assert data.index(b'"endpoint":"ok"') < data.index(b'"endpoint":"delay"')
    assert data.rstrip().endswith(b'"reason":"Created"}')  # HTTP/1.0 without keep-alive: closed after it


def test_delay_waits_at_least_ms(fault_lab: FaultLab) -> None:
    with httpx.Client() as client:
        client.get(fault_lab.url("ok"))  # warm the connection: measure the server's wait only
        for ms in (50, 120):
            start = time.perf_counter()
            r = client.get(fault_lab.url("delay", ms=ms))
            assert time.perf_counter() - start >= ms / 1000
            assert r.status_code == 200 and r.json()["delay_ms"] == ms


def test_bad_query_values_get_400(fault_lab: FaultLab) -> None:
    for path in ("/delay?ms=abc", "/delay?ms=-1", "/jitter?sigma=nan", "/flaky?p=2", "/status/99"):
        assert raw_exchange(fault_lab.address("ok"), get(path)).startswith(b"HTTP/1.1 400 "), path
    assert raw_exchange(fault_lab.address("ok"), b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert httpx.get(fault_lab.url("ok").replace("/ok", "/missing")).status_code == 404


def jitter_sequence(seed: int, n: int = 25) -> list[float]:
    """Delays of the first n /jitter requests of a fresh lab (spikes off to keep it quick)."""
    with FaultLab(seed=seed, tls=False) as lab, httpx.Client() as client:
        url = lab.url("jitter", median_ms=2, spike_p=0)
        return [client.get(url).json()["delay_ms"] for _ in range(n)]


def test_jitter_is_reproducible_per_seed() -> None:
    first, again, other = jitter_sequence(3), jitter_sequence(3), jitter_sequence(4)
    assert first == again
    assert first != other
    assert len(set(first)) == len(first)  # it does jitter


def test_jitter_reports_its_delay_and_waits_at_least_that(fault_lab: FaultLab) -> None:
    with httpx.Client() as client:
        client.get(fault_lab.url("ok"))
        start = time.perf_counter()
        r = client.get(fault_lab.url("jitter", median_ms=30, spike_p=0))
        elapsed_ms = (time.perf_counter() - start) * 1000
    body = r.json()
    assert r.status_code == 200 and body["spike"] is False
    assert elapsed_ms >= body["delay_ms"] - 1  # sleep granularity
    assert float(r.headers["x-lab-delay-ms"]) == pytest.approx(body["delay_ms"], abs=1e-3)


def test_jitter_distribution_matches_its_parameters() -> None:
    app = FaultApp(seed=0)
    draws = [app.jitter_delay(20.0, 0.6, 0.05) for _ in range(4000)]
    spikes = [d for _, d, spiked in draws if spiked]
    body = sorted(d for _, d, spiked in draws if not spiked)
    assert 0.03 < len(spikes) / len(draws) < 0.07
    assert all(300 <= d <= 800 + 20 * 2.718**3 for d in spikes)
    assert 18 < body[len(body) // 2] < 22  # median ~20 ms
    assert [n for n, _, _ in draws[:3]] == [1, 2, 3]
    again = FaultApp(seed=0)
    spiked = [again.jitter_delay(5.0, 0.1, 1.0)[2] for _ in range(3)]  # other params, same stream
    assert spiked == [True] * 3
    assert [a[1] for a in draws[:2]] != [FaultApp(seed=1).jitter_delay(20.0, 0.6, 0.05)[1] for _ in range(2)]


def test_slow_body_sends_head_first_then_trickles(fault_lab: FaultLab) -> None:
    url = fault_lab.url("slow_body", chunks=4, interval_ms=100, chunk_bytes=50)
    with httpx.Client() as client, client.stream("GET", url) as r:
        start = time.perf_counter()
        assert r.status_code == 200
        assert int(r.headers["content-length"]) == 200
        body = r.read()
        assert time.perf_counter() - start >= 0.3  # at least three of the four intervals after the head
    assert len(body) == 200


def test_slow_body_times_out_mid_body_with_a_short_read_timeout(fault_lab: FaultLab) -> None:
    url = fault_lab.url("slow_body", chunks=3, interval_ms=500)
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.1)) as client, client.stream("GET", url) as r:
        assert r.status_code == 200  # headers came at once
        with pytest.raises(httpx.ReadTimeout):
            r.read()


def test_reset_sends_part_of_the_body_then_rst(fault_lab: FaultLab) -> None:
    with socket.create_connection(fault_lab.address("reset"), timeout=10) as sock:
        sock.sendall(get("/reset?bytes=100&content_length=1000"))
        got = b""
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: 1000" in head
    assert len(body) == 100


def test_reset_is_a_read_error_for_httpx(fault_lab: FaultLab) -> None:
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(fault_lab.url("reset"))


def test_close_reads_the_request_and_answers_nothing(fault_lab: FaultLab) -> None:
    assert raw_exchange(fault_lab.address("close"), get("/close")) == b""
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.get(fault_lab.url("close"))


def test_garbage_answers_bytes_that_are_not_http(fault_lab: FaultLab) -> None:
    assert raw_exchange(fault_lab.address("garbage"), get("/garbage")).startswith(b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(httpx.RemoteProtocolError, match="status line"):
        httpx.get(fault_lab.url("garbage"))


def test_flaky_probability_bounds(fault_lab: FaultLab) -> None:
    with httpx.Client() as client:
        assert {client.get(fault_lab.url("flaky", p=0)).status_code for _ in range(10)} == {200}
        assert {client.get(fault_lab.url("flaky", p=1)).status_code for _ in range(10)} == {503}
        mixed = [client.get(fault_lab.url("flaky", p=0.5)).status_code for _ in range(60)]
    assert set(mixed) == {200, 503}


def test_flaky_sequence_is_reproducible_per_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with FaultLab(seed=seed, tls=False) as lab, httpx.Client() as client:
            return [client.get(lab.url("flaky")).status_code for _ in range(30)]

    assert statuses(11) == statuses(11)
    assert statuses(11) != statuses(12)


@pytest.mark.parametrize("code", [200, 201, 301, 404, 429, 500, 502, 503, 504, 599])
def test_status_answers_the_code_in_the_path(fault_lab: FaultLab, code: int) -> None:
    r = httpx.get(fault_lab.url("status", code=code), follow_redirects=False)
    assert r.status_code == code
    assert r.json()["status"] == code


def test_status_204_has_no_body(fault_lab: FaultLab) -> None:
    r = httpx.get(fault_lab.url("status", code=204))
    assert r.status_code == 204 and r.content == b"" and "content-length" not in r.headers


# -- TCP-level endpoints ------------------------------------------------------------------


def test_blackhole_accepts_but_never_answers(fault_lab: FaultLab) -> None:
    with socket.create_connection(fault_lab.address("blackhole"), timeout=5) as sock:
        sock.sendall(get("/"))
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fault_lab.url("blackhole"), timeout=httpx.Timeout(5.0, read=0.3))


def test_refused_port_rejects_connections(fault_lab: FaultLab) -> None:
    for _ in range(2):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(fault_lab.address("refused"), timeout=5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(fault_lab.url("refused"))


def test_syn_drop_makes_connect_time_out(fault_lab: FaultLab) -> None:
    address = fault_lab.address("syn_drop")
    for _ in range(2):  # the queue stays full
        start = time.perf_counter()
        with pytest.raises(TimeoutError):
            socket.create_connection(address, timeout=2.0)
        assert time.perf_counter() - start >= 1.9
    with pytest.raises(httpx.ConnectTimeout):
        httpx.get(fault_lab.url("syn_drop"), timeout=1.0)


# -- TLS ----------------------------------------------------------------------------------


def test_https_ok_verifies_against_the_lab_ca(fault_lab: FaultLab) -> None:
    ctx = ssl.create_default_context(cafile=str(fault_lab.ca_path))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    with httpx.Client(verify=ctx) as client:
        r = client.get(fault_lab.url("https_ok"))
        assert r.status_code == 200 and r.json()["endpoint"] == "ok"
        start = time.perf_counter()
        r = client.get(fault_lab.url("delay", over="https_ok", ms=60))
        assert r.status_code == 200 and time.perf_counter() - start >= 0.06
        assert client.get(fault_lab.url("status", over="https_ok", code=503)).status_code == 503


@pytest.mark.parametrize("server_name", ["localhost", "lab.apiprobe.test", "127.0.0.1"])
def test_https_ok_certificate_names(fault_lab: FaultLab, server_name: str) -> None:
    ctx = ssl.create_default_context(cafile=str(fault_lab.ca_path))
    with (
        socket.create_connection(fault_lab.address("https_ok"), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.selected_alpn_protocol() in (None, "http/1.1")


def test_https_ok_fails_verification_without_the_lab_ca(fault_lab: FaultLab) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(fault_lab.url("https_ok"))
    ctx = ssl.create_default_context(cafile=str(fault_lab.ca_path))
    with (
        socket.create_connection(fault_lab.address("https_ok"), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        ctx.wrap_socket(raw, server_hostname="other.test")


# -- robustness ---------------------------------------------------------------------------


def test_many_cold_connections_in_parallel(fault_lab: FaultLab) -> None:
    address = fault_lab.address("ok")
    request = b"GET /ok HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: raw_exchange(address, request), range(400)))
    assert all(a.startswith(b"HTTP/1.1 200 OK") for a in answers)


def test_abrupt_clients_do_not_log_errors(fault_lab: FaultLab, caplog: pytest.LogCaptureFixture) -> None:
    http = fault_lab.address("ok")
    tls = fault_lab.address("https_ok")
    with caplog.at_level(logging.WARNING):
        for path in ("/slow-body?interval_ms=20", "/delay?ms=30", "/reset?after_ms=30", "/jitter", "/ok"):
            sock = socket.create_connection(http, timeout=5)
            sock.sendall(get(path))
            time.sleep(0.02)
            reset_socket(sock)
        sock = socket.create_connection(tls, timeout=5)
        sock.sendall(b"\x16\x03\x01\x02\x00\x01")  # start of a ClientHello, then vanish
        reset_socket(sock)
        assert raw_exchange(tls, get("/ok")) == b""  # plain HTTP to the TLS port: handshake fails
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                httpx.get(fault_lab.url("https_ok"))
        time.sleep(0.2)
        assert httpx.get(fault_lab.url("ok")).status_code == 200  # still serving
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy]


# -- lifecycle ----------------------------------------------------------------------------


def test_lifecycle_start_stop_and_cleanup() -> None:
    threads_before = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lab = FaultLab(seed=1)
        with pytest.raises(LabError):
            lab.url("ok")
        assert lab.start() is lab and lab.start() is lab and lab.running
        ca_path = lab.ca_path
        ports = {name: lab.address(name) for name in ("ok", "blackhole", "https_ok", "syn_drop")}
        assert ca_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        # leave connections open in every state: idle keep-alive, mid-request, mid-handshake, blackholed
        open_socks = [socket.create_connection(ports[n], timeout=5) for n in ("ok", "blackhole", "https_ok")]
        open_socks[0].sendall(get("/delay?ms=60000"))
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca_path))) as client:
            assert client.get(lab.url("https_ok")).status_code == 200
            assert client.get(lab.url("ok")).status_code == 200
            lab.stop()
        lab.stop()
        for sock in open_socks:
            sock.settimeout(5)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(100) == b""
            sock.close()
        gc.collect()
    assert not lab.running
    assert not ca_path.exists() and not ca_path.parent.exists()
    for name in ("ok", "blackhole", "https_ok", "syn_drop"):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(ports[name], timeout=5)
    assert set(threading.enumerate()) <= threads_before
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    for call in (lab.start, lambda: lab.url("ok"), lambda: lab.endpoints, lambda: lab.ca_path):
        with pytest.raises(LabError):
            call()


def test_stop_before_start_and_context_manager_reuse() -> None:
    lab = FaultLab()
    lab.stop()
    with pytest.raises(LabError), lab:
        pass


def test_without_tls() -> None:
    with FaultLab(tls=False) as lab:
        assert "https_ok" not in lab.endpoints
        with pytest.raises(LabError):
            _ = lab.ca_path
        with pytest.raises(LabError):
            lab.url("ok", over="https_ok")
        assert httpx.get(lab.url("ok")).status_code == 200


def test_host_must_be_an_ip_literal() -> None:
    with pytest.raises(LabError, match="IP literal"):
        FaultLab(host="localhost")


def test_start_failure_is_a_lab_error() -> None:
    with pytest.raises(LabError, match="could not start"):
        FaultLab(host="192.0.2.1").start()  # TEST-NET address: not assigned here, bind fails


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_lab() -> None:
    with FaultLab(host="::1") as lab:
        assert lab.url("ok").startswith("http://[::1]:")
        assert httpx.get(lab.url("ok")).status_code == 200
        ctx = ssl.create_default_context(cafile=str(lab.ca_path))
        assert httpx.get(lab.url("https_ok"), verify=ctx).status_code == 200
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(lab.address("refused"), timeout=5)
        with pytest.raises(TimeoutError):
            socket.create_connection(lab.address("syn_drop"), timeout=1.0)


# -- certificates -------------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def verify(leaf: x509.Certificate, intermediates: list[x509.Certificate], root: x509.Certificate) -> None:
    builder = PolicyBuilder().store(Store([root])).time(now())
    builder.build_server_verifier(x509.DNSName("localhost")).verify(leaf, intermediates)


def test_ca_and_leaf_pass_a_strict_verifier() -> None:
    ca = Authority.create(key_type="rsa")
    creds = ca.leaf(LAB_SANS)
    leaf = creds.chain[0]
    verify(leaf, [], ca.cert)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "lab.apiprobe.test"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert leaf.signature_hash_algorithm is not None and leaf.signature_hash_algorithm.name == "sha256"


def test_certs_compose_into_broken_chains(tmp_path: Path) -> None:
    root, root_key = make_ca("root")
    day = dt.timedelta(days=1)
    inter, inter_key = issue_cert(
        root, root_key, sans=[], not_before=now() - day, not_after=now() + 9 * day, is_ca=True
    )
    leaf, leaf_key = issue_cert(inter, inter_key, sans=["localhost"], not_before=now() - day, not_after=now() + day)
    verify(leaf, [inter], root)
    with pytest.raises(VerificationError):  # missing intermediate
        verify(leaf, [], root)
    expired, _ = issue_cert(root, root_key, sans=["localhost"], not_before=now() - 9 * day, not_after=now() - day)
    with pytest.raises(VerificationError):
        verify(expired, [], root)
    chain_pem, key_pem = Credentials((leaf, inter), leaf_key).write(tmp_path, "inter")
    assert chain_pem.read_bytes().count(b"BEGIN CERTIFICATE") == 2
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(chain_pem, key_pem)
    assert write_pem(tmp_path / "root.pem", [root]).read_bytes() == root.public_bytes(Encoding.PEM)

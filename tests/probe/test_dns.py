"""probe_dns against DnsServer on loopback (and dnsmasq, when installed).

Only loopback servers are queried. The system resolver (getaddrinfo) is only
asked for ``localhost`` A, which /etc/hosts answers; anything else could leak
a query to the host's real nameserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from apiprobe.errors import InvalidTargetError
from apiprobe.lab._dns import DnsServer
from apiprobe.probe.dns import _parse_resolver, aprobe_dns, probe_dns
from apiprobe.schema import columns, validate


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(seed=0) as running:
        yield running


def one(df: pd.DataFrame, name: str, rtype: str = "A") -> pd.Series:
    rows = df[(df["name"] == name) & (df["rtype"] == rtype)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_ok_rows_follow_the_schema(server: DnsServer) -> None:
    df = probe_dns(["ok.lab.test"], resolvers=[server.spec], progress=False, run_id="r1")
    validate(df, "dns")
    assert list(df.columns) == columns("dns")
    assert sorted(df["rtype"]) == ["A", "AAAA"]
    a, aaaa = one(df, "ok.lab.test", "A"), one(df, "ok.lab.test", "AAAA")
    assert (a["rcode"], a["answers"], a["ttl"]) == ("NOERROR", "127.0.0.1", 300)
    assert (aaaa["answers"], aaaa["ttl"]) == ("::1", 300)
    assert df["elapsed_ms"].gt(0).all() and df["error_kind"].isna().all() and df["error"].isna().all()
    assert (df["resolver"] == server.spec).all() and (df["transport"] == "udp").all()
    assert (df["run_id"] == "r1").all() and (df["attempt"] == 0).all()
    assert str(df["ts"].dtype) == "datetime64[ns, UTC]"


def test_each_fault_is_a_row_not_an_exception(server: DnsServer) -> None:
    names = ["slow.lab.test", "nx.lab.test", "fail.lab.test", "refused.lab.test", "drop.lab.test"]
    df = probe_dns(names, rtypes="A", resolvers=server.spec, timeout=0.4, progress=False)
    validate(df, "dns")
    slow = one(df, "slow.lab.test")
    assert slow["rcode"] == "NOERROR" and slow["elapsed_ms"] >= 300 and pd.isna(slow["error_kind"])
    nx = one(df, "nx.lab.test")
    assert (nx["rcode"], nx["error_kind"], nx["ttl"]) == ("NXDOMAIN", "nxdomain", 60)
    assert pd.isna(nx["answers"]) and nx["elapsed_ms"] > 0 and "does not exist" in nx["error"]
    fail = one(df, "fail.lab.test")
    assert (fail["rcode"], fail["error_kind"]) == ("SERVFAIL", "servfail") and pd.isna(fail["ttl"])
    refused = one(df, "refused.lab.test")
    assert (refused["rcode"], refused["error_kind"]) == ("REFUSED", "servfail")
    drop = one(df, "drop.lab.test")
    assert drop["error_kind"] == "dns_timeout"
    assert pd.isna(drop["rcode"]) and pd.isna(drop["elapsed_ms"]) and pd.isna(drop["ttl"])


def test_nodata_is_noerror_with_the_negative_ttl(server: DnsServer) -> None:
    row = one(
        probe_dns("v4only.lab.test", rtypes="AAAA", resolvers=server.spec, progress=False), "v4only.lab.test", "AAAA"
    )
    assert row["rcode"] == "NOERROR" and pd.isna(row["answers"]) and pd.isna(row["error_kind"])
    assert row["ttl"] == 60


def test_truncated_answers_are_retried_over_tcp(server: DnsServer) -> None:
    server.clear_queries()
    row = one(probe_dns("big.lab.test", rtypes="A", resolvers=server.spec, progress=False), "big.lab.test")
    assert row["transport"] == "tcp" and row["rcode"] == "NOERROR"
    answers = row["answers"].split(",")
    assert len(answers) == 40 and answers[:3] == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]  # numeric order
    assert [(q["transport"], q["outcome"]) for q in server.queries] == [("udp", "truncated"), ("tcp", "answer")]


def test_cname_and_other_record_types() -> None:
    zone: dict[str, dict[str, Any]] = {
        "alias.lab.test": {"CNAME": "ok.lab.test."},
        "ok.lab.test": {"A": "127.0.0.1", "ttl": 30},
        "mail.lab.test": {"MX": ["20 mx2.lab.test.", "10 mx1.lab.test."], "TXT": '"v=spf1 -all"'},
    }
    with DnsServer(zone) as srv:
        df = probe_dns(
            ["alias.lab.test", "mail.lab.test"], rtypes=["a", "MX", "TXT", "CNAME"], resolvers=srv.spec, progress=False
        )
    assert one(df, "alias.lab.test", "A")["answers"] == "127.0.0.1"
    assert one(df, "alias.lab.test", "A")["ttl"] == 30  # smallest TTL along the CNAME chain
    assert one(df, "alias.lab.test", "CNAME")["answers"] == "ok.lab.test."
    assert one(df, "mail.lab.test", "MX")["answers"] == "10 mx1.lab.test.,20 mx2.lab.test."
    assert one(df, "mail.lab.test", "TXT")["answers"] == '"v=spf1 -all"'


def test_count_and_interval_repeat_each_query(server: DnsServer) -> None:
    df = probe_dns("flap.lab.test", rtypes="A", resolvers=server.spec, count=4, interval=0.05, progress=False)
    assert list(df["attempt"]) == [0, 1, 2, 3]
    gaps = df["ts"].diff().dropna().dt.total_seconds()
    assert (gaps >= 0.04).all()
    assert set(df["answers"]) == {"127.0.0.1", "127.0.0.2"}
    assert (df["ttl"] == 5).all()


def test_two_resolvers_and_duplicates(server: DnsServer) -> None:
    with DnsServer({"ok.lab.test": {"A": "127.0.0.9"}}) as other:
        spec = other.spec
        df = probe_dns(
            ["ok.lab.test", "ok.lab.test"],
            rtypes=["A", "A"],
            resolvers=[server.spec, spec, f" {spec} "],
            progress=False,
        )
    assert len(df) == 2
    assert dict(zip(df["resolver"], df["answers"], strict=True)) == {server.spec: "127.0.0.1", spec: "127.0.0.9"}


def test_generators_are_accepted(server: DnsServer) -> None:
    df = probe_dns(
        (n for n in ["ok.lab.test", "v4only.lab.test"]),
        rtypes=(t for t in ["A"]),
        resolvers=(r for r in [server.spec]),
        progress=False,
    )
    assert sorted(df["name"]) == ["ok.lab.test", "v4only.lab.test"]


def test_nothing_listening_is_a_row() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    row = one(
        probe_dns("ok.lab.test", rtypes="A", resolvers=f"127.0.0.1:{port}", timeout=0.3, progress=False), "ok.lab.test"
    )
    # Whether the kernel's ICMP port-unreachable reaches the socket depends on the platform.
    assert row["error_kind"] in ("dns_timeout", "dns_failure")
    assert pd.isna(row["rcode"]) and pd.isna(row["elapsed_ms"])


def test_system_resolver_reads_etc_hosts() -> None:
    # localhost A only: /etc/hosts answers it, no query leaves the machine.
    row = one(probe_dns("localhost", rtypes="A", progress=False), "localhost")
    assert (row["resolver"], row["transport"], row["rcode"]) == ("system", "system", "NOERROR")
    assert "127.0.0.1" in row["answers"].split(",")
    assert pd.isna(row["ttl"]) and row["elapsed_ms"] >= 0 and pd.isna(row["error_kind"])


@pytest.mark.parametrize(
    ("errno", "kind"),
    [
        (socket.EAI_NONAME, "nxdomain"),
        (socket.EAI_AGAIN, "dns_failure"),
        (getattr(socket, "EAI_NODATA", -5), "dns_failure"),
    ],
)
def test_system_resolver_failures_map_to_kinds(monkeypatch: pytest.MonkeyPatch, errno: int, kind: str) -> None:
    async def failing(self: Any, host: Any, port: Any, **kw: Any) -> Any:
        raise socket.gaierror(errno, "resolver said no")

    monkeypatch.setenv("APIPROBE_LOOP", "asyncio")  # the stand-in replaces asyncio's loop method, not uvloop's
    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", failing)
    row = one(probe_dns("nowhere.lab.test", rtypes="A", progress=False), "nowhere.lab.test")
    assert row["error_kind"] == kind and pd.isna(row["rcode"]) and pd.isna(row["ttl"])
    assert "resolver said no" in row["error"] and row["elapsed_ms"] >= 0


def test_works_inside_a_running_event_loop(server: DnsServer) -> None:
    async def in_a_notebook() -> tuple[pd.DataFrame, pd.DataFrame]:
        blocking = probe_dns("ok.lab.test", rtypes="A", resolvers=server.spec, progress=False)
        awaited = await aprobe_dns("ok.lab.test", rtypes="A", resolvers=server.spec, progress=False)
        return blocking, awaited

    blocking, awaited = asyncio.run(in_a_notebook())
    assert blocking["answers"].tolist() == awaited["answers"].tolist() == ["127.0.0.1"]


@pytest.mark.parametrize(
    "spec, label",
    [
        ("127.0.0.1", "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("::1", "[::1]:53"),
        ("[::1]:5353", "[::1]:5353"),
        ("[0:0::1]", "[::1]:53"),
        ("System", "system"),
    ],
)
def test_resolver_specs_are_normalised(spec: str, label: str) -> None:
    assert _parse_resolver(spec).label == label


@pytest.mark.parametrize(
    "kwargs",
    [
        {"names": ""},
        {"names": []},
        {"names": "two words.lab.test"},
        {"names": "https://api.lab.test/"},
        {"names": "api.lab.test:443"},
        {"names": "a..lab.test"},
        {"names": "x" * 64 + ".lab.test"},
        {"names": "127.0.0.1"},
        {"names": 42},
        {"resolvers": "dns.google"},
        {"resolvers": "127.0.0.1:99999"},
        {"resolvers": "127.0.0.1:port"},
        {"resolvers": "[127.0.0.1]:53"},
        {"resolvers": ""},
        {"rtypes": "BOGUS"},
        {"rtypes": "ANY"},
        {"rtypes": "MX"},  # the system resolver answers A and AAAA only
    ],
)
def test_bad_inputs_raise_before_any_query(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"names": "ok.lab.test", "resolvers": "system", **kwargs}
    with pytest.raises(InvalidTargetError):
        probe_dns(args.pop("names"), progress=False, **args)


@pytest.mark.parametrize("kwargs", [{"count": 0}, {"timeout": 0}, {"interval": -1}, {"concurrency": 0}])
def test_bad_options_raise(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        probe_dns("ok.lab.test", progress=False, **kwargs)


# -- cross-check against Debian's dnsmasq ---------------------------------------------------------


def _free_port() -> int:
    """A port free for UDP and TCP right now (dnsmasq binds both)."""
    for _ in range(50):
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u,
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t,
        ):
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def dnsmasq() -> Iterator[str]:
    """A dnsmasq on loopback: cross.lab.test → 127.0.0.9, the rest of lab.test NXDOMAIN, no upstream."""
    exe = shutil.which("dnsmasq")
    if exe is None:
        pytest.skip("dnsmasq is not installed (CI installs dnsmasq-base: .ci/run)")
    port = _free_port()
    cmd = [
        exe,
        "--no-daemon",
        f"--port={port}",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--conf-file=/dev/null",
        "--pid-file=",
        "--address=/cross.lab.test/127.0.0.9",
        "--local=/lab.test/",
        "--user=root",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        spec = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.skip(f"dnsmasq did not start here: {proc.stderr.read() if proc.stderr else ''}"[:500])
            row = probe_dns("cross.lab.test", rtypes="A", resolvers=spec, timeout=0.2, progress=False).iloc[0]
            if pd.notna(row["rcode"]):
                break
        else:
            pytest.fail("dnsmasq started but never answered within 5 s")
        yield spec
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_dnsmasq_answers_read_the_same(dnsmasq: str) -> None:
    df = probe_dns(["cross.lab.test", "unknown.lab.test"], rtypes="A", resolvers=dnsmasq, progress=False)
    validate(df, "dns")
    cross, unknown = one(df, "cross.lab.test"), one(df, "unknown.lab.test")
    assert (cross["rcode"], cross["answers"]) == ("NOERROR", "127.0.0.9") and pd.isna(cross["error_kind"])
    assert cross["ttl"] >= 0 and cross["elapsed_ms"] > 0
    assert (unknown["rcode"], unknown["error_kind"]) == ("NXDOMAIN", "nxdomain")

"""DnsServer: lifecycle, and each behaviour seen on the wire with dnspython (UDP and TCP)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from apiprobe.errors import LabError
from apiprobe.lab._dns import DnsServer, default_lab_zone
from apiprobe.probe.dns import probe_dns


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(seed=0) as running:
        yield running


def udp(server: DnsServer, name: str, rtype: str = "A", timeout: float = 2.0) -> dns.message.Message:
    host, port = server.address
    return dns.query.udp(dns.message.make_query(name, rtype), host, port=port, timeout=timeout)


def tcp(server: DnsServer, name: str, rtype: str = "A", timeout: float = 2.0) -> dns.message.Message:
    host, port = server.address
    return dns.query.tcp(dns.message.make_query(name, rtype), host, port=port, timeout=timeout)


def texts(message: dns.message.Message, rtype: str = "A") -> list[str]:
    rdtype = dns.rdatatype.from_text(rtype)
    return sorted(rd.to_text() for rrset in message.answer if rrset.rdtype == rdtype for rd in rrset)


def test_lifecycle_is_idempotent_and_one_shot() -> None:
    srv = DnsServer({"a.lab.test": {"A": "127.0.0.1"}})
    assert not srv.running
    with pytest.raises(LabError, match="not running"):
        _ = srv.address
    assert srv.start() is srv
    address = srv.address
    assert srv.start().address == address  # second start: no-op, same port
    assert address[0] == "127.0.0.1" and srv.spec == f"127.0.0.1:{address[1]}"
    assert "running" in repr(srv)
    srv.stop()
    srv.stop()
    assert not srv.running and "stopped" in repr(srv)
    with pytest.raises(LabError, match="stopped"):
        srv.start()
    with pytest.raises(LabError):
        _ = srv.spec


def test_context_manager_releases_the_port() -> None:
    with DnsServer({"a.lab.test": {"A": "127.0.0.1"}}) as srv:
        host, port = srv.address
        assert texts(udp(srv, "a.lab.test")) == ["127.0.0.1"]
    # Both sockets are closed: the port can be bound again for UDP and TCP.
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))


def test_udp_and_tcp_answer_on_the_same_port(server: DnsServer) -> None:
    for ask in (udp, tcp):
        answer = ask(server, "ok.lab.test", "A")
        assert answer.rcode() == dns.rcode.NOERROR
        assert answer.flags & dns.flags.AA and not answer.flags & dns.flags.RA
        assert texts(answer) == ["127.0.0.1"]
        assert answer.answer[0].ttl == 300
    assert texts(udp(server, "ok.lab.test", "AAAA"), "AAAA") == ["::1"]
    assert texts(udp(server, "OK.Lab.Test", "A")) == ["127.0.0.1"]  # names are case-insensitive


def test_nxdomain_carries_the_soa_with_the_negative_ttl(server: DnsServer) -> None:
    for name in ("nx.lab.test", "no-such-name.lab.test"):
        answer = udp(server, name)
        assert answer.rcode() == dns.rcode.NXDOMAIN
        assert not answer.answer
        (soa_rrset,) = answer.authority
        soa = next(iter(soa_rrset))
        assert soa_rrset.rdtype == dns.rdatatype.SOA and soa_rrset.ttl == 60 and soa.minimum == 60


def test_names_outside_the_origin_are_refused(server: DnsServer) -> None:
    assert udp(server, "example.com").rcode() == dns.rcode.REFUSED


def test_nodata_servfail_and_refused(server: DnsServer) -> None:
    nodata = udp(server, "v4only.lab.test", "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    assert udp(server, "fail.lab.test").rcode() == dns.rcode.SERVFAIL
    assert udp(server, "refused.lab.test").rcode() == dns.rcode.REFUSED


def test_cname_is_followed_inside_the_zone(server: DnsServer) -> None:
    answer = udp(server, "alias.lab.test")
    assert [r.rdtype for r in answer.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    assert texts(answer) == ["127.0.0.1"]


def test_truncate_sets_tc_over_udp_and_tcp_has_everything(server: DnsServer) -> None:
    truncated = udp(server, "big.lab.test")
    assert truncated.flags & dns.flags.TC and not truncated.answer
    full = tcp(server, "big.lab.test")
    assert not full.flags & dns.flags.TC
    assert len(texts(full)) == 40


def test_a_large_answer_is_truncated_even_without_the_flag() -> None:
    zone = {"many.lab.test": {"A": [f"10.0.{i // 250}.{i % 250}" for i in range(60)]}}
    with DnsServer(zone) as srv:
        assert udp(srv, "many.lab.test").flags & dns.flags.TC
        assert len(texts(tcp(srv, "many.lab.test"))) == 60


def test_flap_alternates_per_name_and_type() -> None:
    with DnsServer(default_lab_zone()) as srv:
        seen = [texts(udp(srv, "flap.lab.test")) for _ in range(4)]
        assert seen == [["127.0.0.1"], ["127.0.0.2"], ["127.0.0.1"], ["127.0.0.2"]]
        assert udp(srv, "flap.lab.test").answer[0].ttl == 5


def test_delay_and_drop(server: DnsServer) -> None:
    server.clear_queries()
    udp(server, "slow.lab.test")
    with pytest.raises(dns.exception.Timeout):
        udp(server, "drop.lab.test", timeout=0.3)
    with pytest.raises(dns.exception.Timeout):
        tcp(server, "drop.lab.test", timeout=0.3)
    log = server.queries
    assert [(q["name"], q["transport"], q["outcome"]) for q in log] == [
        ("slow.lab.test", "udp", "answer"),
        ("drop.lab.test", "udp", "drop"),
        ("drop.lab.test", "tcp", "drop"),
    ]
    assert log[0]["delay_ms"] == 300.0


def jitter_delays(seed: int) -> list[float]:
    with DnsServer(seed=seed) as srv:
        for _ in range(3):
            udp(srv, "jitter.lab.test")
        return [q["delay_ms"] for q in srv.queries]


def test_jitter_is_seeded() -> None:
    first, again, other = jitter_delays(7), jitter_delays(7), jitter_delays(8)
    assert first == again and first != other
    assert all(5 <= d <= 400 for d in first)


def test_malformed_queries_get_formerr(server: DnsServer) -> None:
    host, port = server.address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(b"\x12\x34garbage", (host, port))
        reply, _ = sock.recvfrom(512)
    assert reply[:2] == b"\x12\x34" and reply[3] & 0x0F == dns.rcode.FORMERR


@pytest.mark.parametrize(
    "zone",
    [
        {"a.lab.test": {"A": ["999.1.1.1"]}},
        {"a.lab.test": {"colour": "blue"}},
        {"a.lab.test": {"A": "127.0.0.1", "delay_ms": -5}},
        {"a.lab.test": {"A": "127.0.0.1", "ttl": "long"}},
        {"a.lab.test": {"flap": [{"A": "127.0.0.1"}]}},
        {"a.lab.test": {"nxdomain": True, "drop": True}},
        {"a..lab.test": {"A": "127.0.0.1"}},
        {"a.lab.test": "127.0.0.1"},
    ],
)
def test_bad_zones_raise(zone: Any) -> None:
    with pytest.raises(LabError, match="DNS zone"):
        DnsServer(zone)


def test_host_must_be_an_ip() -> None:
    with pytest.raises(LabError, match="IP literal"):
        DnsServer(host="localhost")


def test_default_zone_is_documented() -> None:
    zone = default_lab_zone()
    for name in ("ok", "slow", "nx", "fail", "drop", "flap", "short-ttl", "big"):
        assert f"{name}.lab.test" in zone
    assert zone["slow.lab.test"]["delay_ms"] == 300
    outside = default_lab_zone(view="outside")
    assert outside["split.lab.test"]["A"] != zone["split.lab.test"]["A"]
    with pytest.raises(ValueError):
        default_lab_zone(view="sideways")
    srv = DnsServer()
    described = srv.describe()
    assert [d["name"] for d in described] == srv.names == list(zone)
    assert all(d["fault"] and d["expect"] for d in described)
    assert srv.origin == "lab.test"


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback (::1) on this host")
def test_ipv6_loopback() -> None:
    with DnsServer({"six.lab.test": {"AAAA": "::1"}}, host="::1") as srv:
        assert srv.spec == f"[::1]:{srv.address[1]}"
        assert texts(udp(srv, "six.lab.test", "AAAA"), "AAAA") == ["::1"]
        df = probe_dns("six.lab.test", rtypes="AAAA", resolvers=srv.spec, progress=False)
        assert df["resolver"].tolist() == [srv.spec] and df["answers"].tolist() == ["::1"]


def test_fault_lab_owns_a_dns_server() -> None:
    from apiprobe.lab import FaultLab
    from apiprobe.probe.dns import probe_dns

    with FaultLab(seed=0) as lab:
        df = probe_dns(["ok.lab.test", "nx.lab.test"], rtypes="A", resolvers=lab.dns.spec, progress=False)
        server = lab.dns
    assert set(df["rcode"]) == {"NOERROR", "NXDOMAIN"}
    assert not server.running  # stopped with the lab

"""A small authoritative DNS server on loopback that misbehaves on demand.

:class:`DnsServer` answers UDP and TCP queries on one ephemeral port, on an
asyncio loop in its own thread, using dnspython to parse queries and render
answers. Each name in its zone has records and, optionally, a fault:

==================  ==================================================================================
zone key            behaviour
==================  ==================================================================================
``A``, ``AAAA``,    records of that type (a list of rdata texts, or one text); any record type
``CNAME``, ...      dnspython knows works. A ``CNAME`` is followed within the zone
``ttl``             TTL of the records, seconds (default: the server's ``default_ttl``)
``negative_ttl``    SOA minimum for NXDOMAIN / NODATA answers about this name
``delay_ms``        wait before answering: a number, or ``(low, high)`` for a seeded uniform jitter
``nxdomain``        answer NXDOMAIN (with the zone SOA in authority: the negative TTL)
``servfail``        answer SERVFAIL
``refused``         answer REFUSED
``drop``            never answer (UDP: ignore; TCP: hold the connection open, silent)
``flap``            a list of record mappings served in turn, one per query of a (name, type)
``truncate``        over UDP answer with TC set and no records, so clients retry over TCP
``fault``,          free text describing the behaviour and what a probe should see
``expect``          (shown by :meth:`DnsServer.describe`; the server ignores them)
==================  ==================================================================================

A name that is not in the zone gets NXDOMAIN when it lies under ``origin``
and REFUSED otherwise (the server is authoritative for ``origin`` only). A
name in the zone without a record of the asked type gets NODATA (NOERROR, no
answer, SOA in authority). Answers carry AA (authoritative) and no RA, like a
real authoritative server.

Random behaviour (``delay_ms`` ranges) is seeded per name from ``seed``, so
two servers with the same seed and zone delay their n-th answer for a name
identically. :func:`default_lab_zone` is the zone the fault lab serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import ipaddress
import logging
import random
import socket
import struct
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass, field
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from apiprobe.errors import InvalidParameterError, LabError
from apiprobe.lab._server import ManagedServer, run_loop

__all__ = ["DnsServer", "default_lab_zone"]

logger = logging.getLogger("apiprobe.lab")

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0
_BIND_ATTEMPTS = 50
_CNAME_DEPTH = 8
_UDP_DEFAULT_PAYLOAD = 512

_FLAG_KEYS = ("nxdomain", "servfail", "refused", "drop", "truncate")
_BEHAVIOUR_KEYS = frozenset({"ttl", "negative_ttl", "delay_ms", "flap", "fault", "expect", *_FLAG_KEYS})

#: Type of a zone: name → {record type or behaviour key → value}.
Zone = Mapping[str, Mapping[str, Any]]


def default_lab_zone(*, view: str = "inside") -> dict[str, dict[str, Any]]:
    """The zone the fault lab serves under ``lab.test``: one name per DNS fault.

    ==========================  ============================================================================
    name                        behaviour
    ==========================  ============================================================================
    ``ok.lab.test``             A 127.0.0.1, AAAA ::1, TTL 300 s
    ``v4only.lab.test``         A 127.0.0.1 only: AAAA gets NODATA (NOERROR, empty, SOA negative TTL)
    ``alias.lab.test``          CNAME to ok.lab.test (the answer holds the CNAME and ok's records)
    ``slow.lab.test``           A 127.0.0.1 after a fixed 300 ms (above the handbook's 200 ms)
    ``jitter.lab.test``         A 127.0.0.1 after a seeded uniform 5–400 ms
    ``nx.lab.test``             NXDOMAIN, SOA in authority with a negative TTL of 60 s
    ``fail.lab.test``           SERVFAIL
    ``refused.lab.test``        REFUSED
    ``drop.lab.test``           no answer at all: the client times out
    ``flap.lab.test``           A alternates 127.0.0.1 / 127.0.0.2 on successive queries, TTL 5 s
    ``short-ttl.lab.test``      A 127.0.0.1 with TTL 1 s
    ``big.lab.test``            40 A records; over UDP truncated (TC), the full answer over TCP
    ``split.lab.test``          A 127.0.0.1 in the ``"inside"`` view, 127.0.0.2 in ``"outside"``
    ==========================  ============================================================================

    Any other name under ``lab.test`` gets NXDOMAIN.

    Parameters
    ----------
    view : {"inside", "outside"}
        Which answer ``split.lab.test`` gets. Two servers, one per view,
        reproduce split-horizon DNS (answers that differ between resolvers).

    Returns
    -------
    dict
        A zone mapping for :class:`DnsServer`.
    """
    if view not in ("inside", "outside"):
        raise InvalidParameterError(f"view must be 'inside' or 'outside', not {view!r}")
    return {
        "ok.lab.test": {
            "A": ["127.0.0.1"],
            "AAAA": ["::1"],
            "ttl": 300,
            "fault": "none (baseline)",
            "expect": "NOERROR: A 127.0.0.1, AAAA ::1, TTL 300 s",
        },
        "v4only.lab.test": {
            "A": ["127.0.0.1"],
            "ttl": 300,
            "fault": "no AAAA record",
            "expect": "NOERROR: A 127.0.0.1; AAAA is NODATA (empty answer, negative TTL 60 s)",
        },
        "alias.lab.test": {
            "CNAME": ["ok.lab.test."],
            "ttl": 300,
            "fault": "CNAME to ok.lab.test",
            "expect": "NOERROR: the CNAME plus ok.lab.test's records",
        },
        "slow.lab.test": {
            "A": ["127.0.0.1"],
            "ttl": 300,
            "delay_ms": 300,
            "fault": "every answer delayed by 300 ms",
            "expect": "NOERROR after >= 300 ms: a dns finding (p90 above 200 ms)",
        },
        "jitter.lab.test": {
            "A": ["127.0.0.1"],
            "ttl": 300,
            "delay_ms": (5, 400),
            "fault": "answers delayed by a seeded uniform 5-400 ms",
            "expect": "NOERROR with widely varying elapsed_ms",
        },
        "nx.lab.test": {
            "nxdomain": True,
            "negative_ttl": 60,
            "fault": "the name does not exist",
            "expect": "nxdomain: rcode NXDOMAIN, ttl 60 (negative TTL from the SOA)",
        },
        "fail.lab.test": {
            "servfail": True,
            "fault": "the server fails to answer",
            "expect": "servfail: rcode SERVFAIL",
        },
        "refused.lab.test": {
            "refused": True,
            "fault": "the server refuses the query",
            "expect": "servfail: rcode REFUSED",
        },
        "drop.lab.test": {
            "drop": True,
            "fault": "queries are never answered",
            "expect": "dns_timeout: no rcode, elapsed_ms NA",
        },
        "flap.lab.test": {
            "A": ["127.0.0.1"],
            "ttl": 5,
            "flap": [{"A": ["127.0.0.1"]}, {"A": ["127.0.0.2"]}],
            "fault": "the answer alternates between 127.0.0.1 and 127.0.0.2",
            "expect": "NOERROR with two answer sets over time: a flapping finding",
        },
        "short-ttl.lab.test": {
            "A": ["127.0.0.1"],
            "ttl": 1,
            "fault": "TTL of 1 s",
            "expect": "NOERROR, ttl 1: a low-TTL finding",
        },
        "big.lab.test": {
            "A": [f"127.0.1.{i}" for i in range(1, 41)],
            "ttl": 300,
            "truncate": True,
            "fault": "40 A records; truncated (TC) over UDP",
            "expect": "NOERROR with 40 answers, transport tcp (the client retried over TCP)",
        },
        "split.lab.test": {
            "A": ["127.0.0.1" if view == "inside" else "127.0.0.2"],
            "ttl": 300,
            "fault": f"split horizon: this server is the {view!r} view",
            "expect": "127.0.0.1 inside, 127.0.0.2 outside: an answers-differ finding",
        },
    }


@dataclass(frozen=True)
class _Entry:
    """One name of the zone, validated."""

    name: dns.name.Name
    sets: tuple[dict[int, dns.rrset.RRset], ...]  # one set normally; several when flapping
    negative_ttl: int | None
    delay_ms: float | tuple[float, float]
    nxdomain: bool
    servfail: bool
    refused: bool
    drop: bool
    truncate: bool
    fault: str
    expect: str


def _to_name(text: str) -> dns.name.Name:
    try:
        return dns.name.from_text(text)
    except dns.exception.DNSException as exc:
        raise LabError(f"DNS zone: bad name {text!r}: {exc}") from exc


def _record_set(owner: dns.name.Name, records: Mapping[str, Any], ttl: int) -> dict[int, dns.rrset.RRset]:
    out: dict[int, dns.rrset.RRset] = {}
    for key, value in records.items():
        try:
            rdtype = dns.rdatatype.from_text(str(key).upper())
        except dns.exception.DNSException:
            raise LabError(f"DNS zone: {owner}: unknown key or record type {key!r}") from None
        texts = [value] if isinstance(value, str) else list(value)
        if not texts:
            continue
        try:
            rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rdtype, str(t)) for t in texts]
        except (dns.exception.DNSException, ValueError) as exc:
            raise LabError(f"DNS zone: {owner} {key}: bad record data {texts!r}: {exc}") from exc
        out[int(rdtype)] = dns.rrset.from_rdata_list(owner, ttl, rdatas)
    return out


def _int_option(owner: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        raise LabError(f"DNS zone: {owner}: {key} must be a whole number of seconds >= 0, not {value!r}")
    return int(value)


def _delay(owner: str, value: Any) -> float | tuple[float, float]:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        low, high = (float(v) for v in value)
        if 0 <= low <= high:
            return (low, high)
    raise LabError(f"DNS zone: {owner}: delay_ms must be a number >= 0 or (low, high), not {value!r}")


def _compile_zone(zone: Zone, default_ttl: int) -> dict[dns.name.Name, _Entry]:
    if not isinstance(zone, Mapping):
        raise LabError(f"DNS zone must be a mapping of name → records, not {type(zone).__name__}")
    entries: dict[dns.name.Name, _Entry] = {}
    for raw_name, spec in zone.items():
        owner = _to_name(str(raw_name))
        if not isinstance(spec, Mapping):
            raise LabError(f"DNS zone: {raw_name}: expected a mapping of record types and behaviours")
        ttl = _int_option(str(raw_name), "ttl", spec.get("ttl", default_ttl))
        records = {k: v for k, v in spec.items() if k not in _BEHAVIOUR_KEYS}
        sets = [_record_set(owner, records, ttl)]
        flap = spec.get("flap")
        if flap is not None:
            if (
                isinstance(flap, str | Mapping)
                or not isinstance(flap, Sequence)
                or len(flap) < 2
                or not all(isinstance(f, Mapping) for f in flap)
            ):
                raise LabError(f"DNS zone: {raw_name}: flap must be a list of at least two record mappings")
            sets = [_record_set(owner, f, ttl) for f in flap]
        negative = spec.get("negative_ttl")
        flags = {k: bool(spec.get(k, False)) for k in _FLAG_KEYS}
        if sum(flags[k] for k in ("nxdomain", "servfail", "refused", "drop")) > 1:
            raise LabError(f"DNS zone: {raw_name}: choose one of nxdomain, servfail, refused, drop")
        entries[owner] = _Entry(
            name=owner,
            sets=tuple(sets),
            negative_ttl=None if negative is None else _int_option(str(raw_name), "negative_ttl", negative),
            delay_ms=_delay(str(raw_name), spec.get("delay_ms", 0.0)),
            fault=str(spec.get("fault", "")),
            expect=str(spec.get("expect", "")),
            **flags,
        )
    return entries


@dataclass
class _Running:
    """What a started server owns, so a partial start tears down the same way."""

    loop: asyncio.AbstractEventLoop | None = None
    thread: threading.Thread | None = None
    sockets: list[socket.socket] = field(default_factory=list)
    udp: asyncio.DatagramTransport | None = None
    tcp: asyncio.Server | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    writers: set[asyncio.StreamWriter] = field(default_factory=set)


class DnsServer(ManagedServer):
    """An authoritative-style DNS server on loopback, UDP and TCP on one port.

    Parameters
    ----------
    zone : mapping, optional
        ``{name: {"A": [...], "AAAA": [...], "ttl": 60, "delay_ms": 300, ...}}``;
        see :mod:`apiprobe.lab._dns` for every key. Default: :func:`default_lab_zone`.
    host : str, default "127.0.0.1"
        IP literal to bind (``"::1"`` works too).
    seed : int, default 0
        Seed of the random behaviour (``delay_ms`` ranges), per name.
    origin : str, default "lab.test"
        The zone apex: unknown names below it get NXDOMAIN, names elsewhere REFUSED.
    default_ttl : int, default 300
        TTL of records whose name sets no ``ttl``.
    negative_ttl : int, default 60
        SOA minimum (the negative-caching TTL) of NXDOMAIN and NODATA answers.

    Raises
    ------
    LabError
        When the zone is malformed (bad record data, unknown key) or ``host``
        is not an IP literal.

    Examples
    --------
    >>> with DnsServer({"api.lab.test": {"A": ["127.0.0.1"]}}) as dns_server:   # doctest: +SKIP
    ...     probe_dns("api.lab.test", resolvers=[dns_server.spec])
    """

    def __init__(
        self,
        zone: Zone | None = None,
        *,
        host: str = "127.0.0.1",
        seed: int = 0,
        origin: str = "lab.test",
        default_ttl: int = 300,
        negative_ttl: int = 60,
    ) -> None:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise LabError(f"DnsServer host must be an IP literal such as 127.0.0.1 or ::1, not {host!r}") from None
        self._host = host
        self._seed = int(seed)
        self._origin = _to_name(origin)
        self._negative_ttl = _int_option("server", "negative_ttl", negative_ttl)
        self._entries = _compile_zone(
            default_lab_zone() if zone is None else zone, _int_option("server", "default_ttl", default_ttl)
        )
        self._soa = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.SOA,
            f"ns.{self._origin} hostmaster.{self._origin} 1 3600 600 86400 {self._negative_ttl}",
        )
        self._rngs: dict[dns.name.Name, random.Random] = {
            name: random.Random(f"{self._seed}/{name}") for name in self._entries
        }
        self._turns: dict[tuple[dns.name.Name, int], int] = {}
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._init_lifecycle()
        self._port: int | None = None
        self._run = _Running()

    # -- lifecycle (start, stop, with: apiprobe.lab._server.ManagedServer) ----------------

    _what = "the DNS server"

    def _teardown_call(self) -> tuple[Callable[[_Running], None], _Running]:
        return _teardown, self._run

    def __repr__(self) -> str:
        where = f" {self._netloc()}" if self._port is not None else ""
        return f"<DnsServer seed={self._seed} {len(self._entries)} names {self._state}{where}>"

    # -- public views ------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the server listens on (UDP and TCP).

        Raises
        ------
        LabError
            If the server is not running.
        """
        self._require_running()
        assert self._port is not None
        return self._host, self._port

    @property
    def spec(self) -> str:
        """The server as a resolver spec for :func:`apiprobe.probe.dns.probe_dns`: ``"127.0.0.1:PORT"``
        (``"[::1]:PORT"`` for IPv6).

        Raises
        ------
        LabError
            If the server is not running.
        """
        self._require_running()
        return self._netloc()

    @property
    def origin(self) -> str:
        """The zone apex, e.g. ``"lab.test"``."""
        return self._origin.to_text(omit_final_dot=True)

    @property
    def names(self) -> list[str]:
        """Names of the zone, without the trailing dot, in zone order."""
        return [n.to_text(omit_final_dot=True) for n in self._entries]

    @property
    def queries(self) -> list[dict[str, Any]]:
        """Every query received so far, oldest first (a copy).

        Each item has ``ts`` (UTC), ``name``, ``rtype``, ``transport``
        (``udp``/``tcp``), ``outcome`` (``answer``, ``nodata``, ``nxdomain``,
        ``servfail``, ``refused``, ``drop``, ``truncated``, ``formerr``,
        ``notimp``) and ``delay_ms``.
        """
        with self._log_lock:
            return [dict(item) for item in self._log]

    def clear_queries(self) -> None:
        """Forget the query log (the flap turn counters are kept)."""
        with self._log_lock:
            self._log.clear()

    def describe(self) -> list[dict[str, str]]:
        """One dict per zone name (``name``, ``fault``, ``expect``), for printing as a table."""
        return [
            {"name": e.name.to_text(omit_final_dot=True), "fault": e.fault, "expect": e.expect}
            for e in self._entries.values()
        ]

    # -- internals ---------------------------------------------------------------------

    def _netloc(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"

    def _bind(self) -> tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket bound to the same ephemeral port."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        last: OSError | None = None
        for _ in range(_BIND_ATTEMPTS):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            try:
                udp.bind((self._host, 0))
                port = int(udp.getsockname()[1])
                tcp.bind((self._host, port))
                tcp.listen(128)
                return udp, tcp
            except OSError as exc:
                udp.close()
                tcp.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                last = exc
        raise LabError(f"no port free for both UDP and TCP after {_BIND_ATTEMPTS} attempts: {last}")

    def _start(self) -> None:
        run = self._run
        udp, tcp = self._bind()  # in the caller's thread, so a bind error surfaces at once
        run.sockets += [udp, tcp]
        self._port = int(udp.getsockname()[1])
        loop = asyncio.new_event_loop()
        run.loop = loop
        run.thread = threading.Thread(target=run_loop, args=(loop,), name="apiprobe-dns-server", daemon=True)
        run.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(udp, tcp), loop)
        try:
            future.result(timeout=_START_TIMEOUT_S)
        except FutureTimeoutError:
            future.cancel()
            raise LabError(f"the DNS server did not start within {_START_TIMEOUT_S:.0f} s") from None

    async def _serve(self, udp: socket.socket, tcp: socket.socket) -> None:
        """Runs on the server loop: wrap the bound sockets."""
        loop = asyncio.get_running_loop()
        run = self._run
        udp.setblocking(False)
        tcp.setblocking(False)
        transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=udp)
        run.udp = transport
        run.tcp = await asyncio.start_server(self._tcp_client, sock=tcp)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._run.tasks.add(task)
        task.add_done_callback(self._run.tasks.discard)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._run.writers.add(writer)
        try:
            while True:
                head = await reader.readexactly(2)
                wire = await reader.readexactly(struct.unpack("!H", head)[0])
                reply = await self._answer(wire, "tcp")
                if reply is not None:
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self._run.writers.discard(writer)
            writer.close()

    def _record(self, name: str, rtype: str, transport: str, outcome: str, delay_ms: float) -> None:
        with self._log_lock:
            self._log.append(
                {
                    "ts": dt.datetime.now(dt.UTC),
                    "name": name,
                    "rtype": rtype,
                    "transport": transport,
                    "outcome": outcome,
                    "delay_ms": delay_ms,
                }
            )

    async def _answer(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query (None: stay silent), after the name's delay."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            self._record("", "", transport, "formerr", 0.0)
            if len(wire) < 2:
                return None
            # Header only: same id, QR set, rcode FORMERR.
            return wire[:2] + struct.pack("!HHHHH", int(dns.flags.QR) | int(dns.rcode.FORMERR), 0, 0, 0, 0)
        response = dns.message.make_response(query)
        response.flags &= ~dns.flags.RA
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            notimp = query.opcode() != dns.opcode.QUERY
            response.set_rcode(dns.rcode.NOTIMP if notimp else dns.rcode.FORMERR)
            self._record("", "", transport, "notimp" if notimp else "formerr", 0.0)
            return self._render(response, query, transport)
        question = query.question[0]
        qname = question.name.canonicalize()
        rtype = dns.rdatatype.to_text(question.rdtype)
        name_text = qname.to_text(omit_final_dot=True)
        entry = self._entries.get(qname)
        if entry is None or question.rdclass != dns.rdataclass.IN:
            if question.rdclass == dns.rdataclass.IN and qname.is_subdomain(self._origin):
                response.flags |= dns.flags.AA
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(self._soa_rrset(None))
                outcome = "nxdomain"
            else:
                response.set_rcode(dns.rcode.REFUSED)
                outcome = "refused"
            self._record(name_text, rtype, transport, outcome, 0.0)
            return self._render(response, query, transport)

        delay = entry.delay_ms
        delay_ms = self._rngs[qname].uniform(*delay) if isinstance(delay, tuple) else delay
        if entry.drop:
            self._record(name_text, rtype, transport, "drop", delay_ms)
            return None
        outcome = self._fill(response, entry, qname, question.rdtype)
        if entry.truncate and transport == "udp" and outcome == "answer":
            outcome = "truncated"
        self._record(name_text, rtype, transport, outcome, delay_ms)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000.0)
        if outcome == "truncated":
            response.answer.clear()
            response.authority.clear()
            response.flags |= dns.flags.TC
        return self._render(response, query, transport)

    def _fill(self, response: dns.message.Message, entry: _Entry, qname: dns.name.Name, rdtype: int) -> str:
        """Put the entry's answer for ``rdtype`` into ``response``; return the outcome name."""
        response.flags |= dns.flags.AA
        if entry.servfail:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return "servfail"
        if entry.refused:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
            return "refused"
        if entry.nxdomain:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self._soa_rrset(entry.negative_ttl))
            return "nxdomain"
        current: _Entry | None = entry
        seen = 0
        while current is not None and seen < _CNAME_DEPTH:
            seen += 1
            records = self._turn(current, rdtype)
            if rdtype in records:
                response.answer.append(records[rdtype])
                return "answer"
            cname = records.get(int(dns.rdatatype.CNAME))
            if cname is None:
                break
            response.answer.append(cname)
            target = next(iter(cname)).target.canonicalize()
            current = self._entries.get(target)
            if current is not None and (current.nxdomain or current.servfail or current.refused or current.drop):
                current = None
        if response.answer:
            return "answer"  # a CNAME chain that leaves the zone or ends without the type
        response.authority.append(self._soa_rrset(entry.negative_ttl))
        return "nodata"

    def _turn(self, entry: _Entry, rdtype: int) -> dict[int, dns.rrset.RRset]:
        if len(entry.sets) == 1:
            return entry.sets[0]
        key = (entry.name, rdtype)
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        return entry.sets[turn % len(entry.sets)]

    def _soa_rrset(self, negative_ttl: int | None) -> dns.rrset.RRset:
        ttl = self._negative_ttl if negative_ttl is None else negative_ttl
        soa = self._soa.replace(minimum=ttl)
        return dns.rrset.from_rdata_list(self._origin, ttl, [soa])

    @staticmethod
    def _render(response: dns.message.Message, query: dns.message.Message, transport: str) -> bytes:
        if transport == "tcp":
            return response.to_wire(max_size=65535)
        payload = max(query.payload, _UDP_DEFAULT_PAYLOAD) if query.edns >= 0 else _UDP_DEFAULT_PAYLOAD
        return response.to_wire(max_size=payload, prefer_truncation=True)


class _UdpProtocol(asyncio.DatagramProtocol):
    """Hands each datagram to the server; replies when (and if) the answer is ready."""

    def __init__(self, server: DnsServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport (3.11).
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._server._spawn(self._reply(data, addr))

    async def _reply(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        reply = await self._server._answer(data, "udp")
        if reply is not None and self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        logger.debug("DNS server: UDP error %r", exc)


async def _shutdown(run: _Running) -> None:
    """Runs on the server loop: close the endpoints and cancel pending answers."""
    if run.udp is not None:
        run.udp.close()
    if run.tcp is not None:
        run.tcp.close()
    for writer in list(run.writers):
        writer.close()
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
    if run.tcp is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run.tcp.wait_closed(), timeout=1.0)


def _teardown(run: _Running) -> None:
    """Release whatever ``run`` holds; safe after a partial start. Called once, by the finalizer."""
    loop, thread = run.loop, run.thread
    if loop is not None and thread is not None and thread.is_alive():
        try:
            asyncio.run_coroutine_threadsafe(_shutdown(run), loop).result(timeout=_STOP_TIMEOUT_S)
        except Exception:
            logger.warning("DNS server: clean shutdown failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_STOP_TIMEOUT_S)
        if thread.is_alive():
            logger.warning("DNS server: thread did not stop within %.0f s", _STOP_TIMEOUT_S)
    elif loop is not None and not loop.is_closed():
        loop.close()
    for sock in run.sockets:
        with contextlib.suppress(OSError):
            sock.close()
    run.sockets.clear()

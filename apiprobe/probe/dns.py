"""DNS probe: rcode, answers, TTL and query time per name, record type and resolver.

Two kinds of resolver can be compared side by side:

``"system"``
    ``getaddrinfo`` — what a cgo Go binary, curl or Python does: it applies
    ``/etc/hosts``, the search list and ``ndots`` from ``/etc/resolv.conf``
    and any NSS module. It reveals neither rcode nor TTL, so ``rcode`` is
    ``NOERROR`` on success and NA on failure, ``ttl`` is NA, and
    ``error_kind`` is inferred from the ``gaierror`` (EAI_NONAME →
    ``nxdomain``, anything else → ``dns_failure``).
``"IP"``, ``"IP:port"``, ``"[v6]:port"``
    one DNS server queried directly with dnspython: one UDP query (retried
    over TCP when the answer comes back truncated), no search list, no
    retries. This is the view of Go's pure resolver on one name candidate;
    NXDOMAIN, SERVFAIL, REFUSED and timeouts are rows, never exceptions.

Use :func:`apiprobe.analyze.dns.expand_name` to see which candidate names a
system resolver tries before the one you typed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pandas as pd

from apiprobe.errors import InvalidTargetError
from apiprobe.probe.runner import Job, check_options, monotonic_ms, run_jobs, sync_twin
from apiprobe.schema import conform

__all__ = ["aprobe_dns", "probe_dns"]

_SYSTEM = "system"
_FAMILIES = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}
_BRACKETED = re.compile(r"^\[(?P<ip>[^\]]+)\](?::(?P<port>[^:]*))?$")
# glibc: EAI_NONAME = -2 (no such name), EAI_NODATA = -5 (name exists, no address of that family).
_EAI_NODATA = getattr(socket, "EAI_NODATA", -5)


@dataclass(frozen=True)
class _Server:
    """A resolver spec: ``system`` (ip None) or one DNS server."""

    label: str
    ip: str | None = None
    port: int = 53


@dataclass(frozen=True)
class _Query:
    name: str  # as given (stripped)
    qname: dns.name.Name
    rtype: str
    server: _Server
    attempt: int


def _as_list(value: str | Iterable[str], arg: str, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise InvalidTargetError(f"{arg} must be a string or a list of strings ({what}), not {value!r}")
    items = list(value)
    if not items:
        raise InvalidTargetError(f"{arg} is empty ({value!r}): no {what} to probe")
    return items


def _parse_name(name: Any) -> tuple[str, dns.name.Name]:
    if not isinstance(name, str) or not name.strip():
        raise InvalidTargetError(f"names: not a DNS name: {name!r}")
    text = name.strip()
    if any(ch.isspace() for ch in text) or "/" in text or ":" in text:
        hint = " (give the host name, not a URL or host:port)" if ("/" in text or ":" in text) else ""
        raise InvalidTargetError(f"names: not a DNS name: {name!r}{hint}")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise InvalidTargetError(f"names: {name!r} is an IP address, not a name to resolve")
    try:
        qname = dns.name.from_text(text)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise InvalidTargetError(f"names: not a DNS name: {name!r} ({exc})") from exc
    return text, qname


def _parse_resolver(spec: Any) -> _Server:
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidTargetError(f"resolvers: not a resolver: {spec!r}")
    text = spec.strip()
    if text.lower() == _SYSTEM:
        return _Server(_SYSTEM)
    port_text: str | None = None
    m = _BRACKETED.match(text)
    if m:
        host, port_text = m.group("ip"), m.group("port")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise InvalidTargetError(
            f"resolvers: {spec!r}: expected 'system', an IP address, 'IP:port' or '[v6]:port' "
            "(a resolver given by name would itself need DNS)"
        ) from None
    if m and ip.version != 6:
        raise InvalidTargetError(f"resolvers: {spec!r}: brackets are for IPv6 addresses")
    port = 53
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidTargetError(f"resolvers: {spec!r}: bad port {port_text!r}")
        port = int(port_text)
    label = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
    return _Server(label, str(ip), port)


def _parse_rtype(rtype: Any) -> str:
    if not isinstance(rtype, str):
        raise InvalidTargetError(f"rtypes: not a DNS record type: {rtype!r}")
    try:
        value = dns.rdatatype.from_text(rtype.strip().upper())
    except dns.exception.DNSException:
        raise InvalidTargetError(f"rtypes: unknown DNS record type {rtype!r}") from None
    if dns.rdatatype.is_metatype(value):
        raise InvalidTargetError(f"rtypes: record type {rtype!r} cannot be probed (a meta type)")
    return dns.rdatatype.to_text(value)


@dataclass(frozen=True)
class _Plan:
    names: list[tuple[str, dns.name.Name]]
    rtypes: list[str]
    servers: list[_Server]


def _plan(
    names: str | Iterable[str],
    rtypes: str | Iterable[str],
    resolvers: str | Iterable[str],
    count: int,
    interval: float,
    timeout: float,
    concurrency: int,
) -> _Plan:
    """Validate every input; raise before any network traffic."""
    parsed_names = list(dict.fromkeys(_parse_name(n) for n in _as_list(names, "names", "names")))
    parsed_rtypes = list(dict.fromkeys(_parse_rtype(r) for r in _as_list(rtypes, "rtypes", "record types")))
    servers = list(dict.fromkeys(_parse_resolver(r) for r in _as_list(resolvers, "resolvers", "resolvers")))
    if any(s.ip is None for s in servers):
        other = [r for r in parsed_rtypes if r not in _FAMILIES]
        if other:
            raise InvalidTargetError(
                f"rtypes: the system resolver (getaddrinfo) answers only A and AAAA, not {', '.join(other)}; "
                "query a DNS server directly for other record types"
            )
    check_options(count=count, interval=interval, timeout=timeout, concurrency=concurrency)
    return _Plan(parsed_names, parsed_rtypes, servers)


def _ip_key(text: str) -> tuple[int, int, str]:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return (9, 0, text)
    return (ip.version, int(ip), text)


def _join(values: Iterable[str]) -> str | None:
    unique = sorted(set(values), key=_ip_key)
    return ",".join(unique) if unique else None


def _negative_ttl(response: dns.message.Message) -> int | None:
    """RFC 2308: the negative-caching TTL is min(SOA TTL, SOA MINIMUM) of the SOA in authority."""
    ttls = [
        min(int(rrset.ttl), int(rd.minimum))
        for rrset in response.authority
        if rrset.rdtype == dns.rdatatype.SOA
        for rd in rrset
    ]
    return min(ttls) if ttls else None


async def _query_server(q: _Query, timeout: float) -> dict[str, Any]:
    server = q.server
    assert server.ip is not None
    rdtype = dns.rdatatype.from_text(q.rtype)
    message = dns.message.make_query(q.qname, rdtype)
    start = monotonic_ms()
    where = f"{q.name} {q.rtype} via {server.label}"
    try:
        async with asyncio.timeout(timeout):
            response, used_tcp = await dns.asyncquery.udp_with_fallback(
                message,
                server.ip,
                timeout=timeout,
                port=server.port,
                ignore_unexpected=True,
            )
    except (TimeoutError, dns.exception.Timeout):
        return {"transport": "udp", "error_kind": "dns_timeout", "error": f"no answer for {where} within {timeout:g} s"}
    except ConnectionRefusedError:
        return {
            "transport": "udp",
            "error_kind": "dns_failure",
            "error": f"{where}: connection refused (nothing listens on {server.label})",
        }
    except OSError as exc:
        return {"transport": "udp", "error_kind": "dns_failure", "error": f"{where}: {exc.strerror or exc}"}
    except dns.exception.DNSException as exc:
        return {
            "transport": "udp",
            "error_kind": "dns_failure",
            "error": f"{where}: bad response: {type(exc).__name__}: {exc}",
        }
    elapsed = monotonic_ms() - start
    rcode = response.rcode()
    answers = [
        rd.to_text()
        for rrset in response.answer
        if rrset.rdtype == rdtype and rrset.rdclass == dns.rdataclass.IN
        for rd in rrset
    ]
    if answers:
        ttl: int | None = min(int(rrset.ttl) for rrset in response.answer)
    else:
        ttl = _negative_ttl(response)
    row: dict[str, Any] = {
        "transport": "tcp" if used_tcp else "udp",
        "rcode": dns.rcode.to_text(rcode),
        "answers": _join(answers),
        "ttl": ttl,
        "elapsed_ms": elapsed,
    }
    if rcode == dns.rcode.NXDOMAIN:
        row.update(error_kind="nxdomain", error=f"NXDOMAIN: {server.label} says {q.name} does not exist")
    elif rcode in (dns.rcode.SERVFAIL, dns.rcode.REFUSED):
        row.update(error_kind="servfail", error=f"{dns.rcode.to_text(rcode)} from {server.label} for {where}")
    elif rcode != dns.rcode.NOERROR:
        row.update(error_kind="dns_failure", error=f"{dns.rcode.to_text(rcode)} from {server.label} for {where}")
    return row


async def _query_system(q: _Query, timeout: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = monotonic_ms()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(q.name, None, family=_FAMILIES[q.rtype], type=socket.SOCK_STREAM)
    except TimeoutError:
        return {
            "transport": _SYSTEM,
            "error_kind": "dns_timeout",
            "error": f"getaddrinfo({q.name}, {q.rtype}) did not return within {timeout:g} s",
        }
    except socket.gaierror as exc:
        elapsed = monotonic_ms() - start
        kind = "nxdomain" if exc.errno == socket.EAI_NONAME else "dns_failure"
        detail = exc.strerror or str(exc)
        if exc.errno == _EAI_NODATA:
            detail += f" (the name exists but has no {q.rtype} record)"
        return {
            "transport": _SYSTEM,
            "elapsed_ms": elapsed,
            "error_kind": kind,
            "error": f"getaddrinfo({q.name}, {q.rtype}): {detail}",
        }
    except (OSError, UnicodeError) as exc:
        return {"transport": _SYSTEM, "error_kind": "dns_failure", "error": f"getaddrinfo({q.name}, {q.rtype}): {exc}"}
    elapsed = monotonic_ms() - start
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    return {"transport": _SYSTEM, "rcode": "NOERROR", "answers": _join(addresses), "elapsed_ms": elapsed}


async def _run_query(q: _Query, timeout: float, run_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts": dt.datetime.now(dt.UTC),
        "name": q.name,
        "rtype": q.rtype,
        "resolver": q.server.label,
        "attempt": q.attempt,
        "run_id": run_id,
    }
    if q.server.ip is None:
        row.update(await _query_system(q, timeout))
    else:
        row.update(await _query_server(q, timeout))
    return row


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = conform(rows, "dns")
    return df.sort_values(["ts"], kind="stable").reset_index(drop=True)


async def aprobe_dns(
    names: str | Iterable[str],
    *,
    rtypes: str | Iterable[str] = ("A", "AAAA"),
    resolvers: str | Iterable[str] = ("system",),
    count: int = 1,
    interval: float = 1.0,
    timeout: float = 2.0,
    concurrency: int = 10,
    progress: bool | None = None,
    run_id: str | None = None,
) -> pd.DataFrame:
    """Resolve names with one or more resolvers and record what each answered.

    ``probe_dns`` blocks until done (also inside a running Jupyter kernel);
    ``aprobe_dns`` is the same probe as a coroutine, for code that runs its own event loop.

    NXDOMAIN, SERVFAIL, REFUSED, timeouts and unreachable servers are rows
    with ``error_kind`` set, never exceptions; only misuse raises, before any
    query is sent.

    Parameters
    ----------
    names
        One name or several; a trailing dot makes a name absolute for the
        system resolver (DNS servers are always asked the name as is).
    rtypes
        Record types to ask for: ``A``, ``AAAA``, ``CNAME``, ``MX``, ``TXT``, ...
        The system resolver answers A (AF_INET) and AAAA (AF_INET6) only.
    resolvers
        ``"system"`` (getaddrinfo: hosts file, search list, ndots), and/or DNS
        servers as ``"IP"`` (port 53), ``"IP:port"`` or ``"[v6]:port"``.
    count
        Queries per (name, record type, resolver).
    interval
        Seconds between the attempts of one (name, record type, resolver).
    timeout
        Seconds to wait for one answer (UDP plus the TCP retry).
    concurrency
        Maximum queries in flight.
    progress
        Show a progress bar (None: when there are 20 or more queries).
    run_id
        Identifier written to every row (default: a random one).

    Returns
    -------
    pandas.DataFrame
        Schema ``dns`` (:data:`apiprobe.schema.DNS`), one row per (name, record type,
        resolver, attempt), sorted by ``ts``.

        * ``ts`` -- UTC time the query was sent (``datetime64[ns, UTC]``).
        * ``name`` -- the name as given.
        * ``rtype`` -- record type asked for.
        * ``resolver`` -- ``system`` or the server as ``IP:port`` / ``[v6]:port``.
        * ``rcode`` -- ``NOERROR``, ``NXDOMAIN``, ``SERVFAIL``, ...; NA when no answer came
          (the system resolver gives ``NOERROR`` on success, NA on failure).
        * ``answers`` -- addresses or targets of the asked type, sorted (IP addresses
          numerically), comma-separated; NA when empty.
        * ``ttl`` -- smallest TTL of the answer, seconds; for NXDOMAIN / NODATA the
          negative-caching TTL from the SOA in authority; NA for the system resolver.
        * ``elapsed_ms`` -- query time, float ms, including a TCP retry after truncation;
          NA when nothing came back.
        * ``error_kind`` -- ``nxdomain``, ``servfail`` (SERVFAIL and REFUSED), ``dns_timeout``
          or ``dns_failure``; NA on NOERROR, including an empty NODATA answer.
        * ``error`` -- failure detail.
        * ``run_id`` -- identifier shared by all rows of the run.
        * ``attempt`` -- attempt number within (name, record type, resolver), from 0.
        * ``transport`` -- ``udp``, ``tcp`` (a truncated answer retried over TCP) or ``system``.

    Raises
    ------
    InvalidTargetError
        When a name, record type or resolver spec is malformed, a list is empty, or
        the system resolver is asked for a type other than A / AAAA.
    InvalidParameterError
        When ``count`` or ``concurrency`` is below 1, ``interval`` is negative or
        ``timeout`` is not positive.

    Examples
    --------
    >>> probe_dns(["api.example.com"], resolvers=["system", "10.96.0.10"], count=5)  # doctest: +SKIP
    """
    plan = _plan(names, rtypes, resolvers, count, interval, timeout, concurrency)
    run = run_id or uuid.uuid4().hex[:12]

    def job(q: _Query) -> Job[dict[str, Any]]:
        return Job(q.attempt * interval, lambda: _run_query(q, timeout, run))

    jobs = [
        job(_Query(name, qname, rtype, server, attempt))
        for attempt in range(count)
        for name, qname in plan.names
        for rtype in plan.rtypes
        for server in plan.servers
    ]
    rows = await run_jobs(jobs, concurrency=concurrency, progress=progress, desc="dns queries")
    return _frame(rows)


probe_dns = sync_twin(aprobe_dns, "probe_dns")

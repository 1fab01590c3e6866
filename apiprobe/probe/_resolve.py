"""Target parsing and timed name resolution shared by the probes."""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from apiprobe.errors import InvalidParameterError, InvalidTargetError
from apiprobe.probe.runner import monotonic_ms

#: What ``resolver=`` accepts: None/"system" (getaddrinfo: hosts file, search
#: domains, ndots), a mapping host → address(es) like ``curl --resolve``, or a
#: callable host → addresses (sync or async).
Resolver = None | str | Mapping[str, str | Sequence[str]] | Callable[[str], Sequence[str] | Awaitable[Sequence[str]]]

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class UrlTarget:
    """A validated HTTP(S) URL split into the parts a probe needs."""

    target: str
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolving one name: addresses or a failure, and how long it took."""

    ips: tuple[str, ...]
    dns_ms: float | None
    resolver: str
    error_kind: str | None = None
    error: str | None = None


class _NotInMapError(LookupError):
    """A host the static resolver map does not name (caught: the probe row says so)."""


def parse_url(target: str) -> UrlTarget:
    """Validate an HTTP(S) URL.

    Parameters
    ----------
    target : str
        The URL as the user gave it.

    Returns
    -------
    UrlTarget
        Scheme, host, port (the scheme's default when absent) and path with query.

    Raises
    ------
    InvalidTargetError
        When the scheme is not http/https, the host is missing or the port is invalid.
    """
    if not isinstance(target, str) or not target.strip():
        raise InvalidTargetError(f"not a URL: {target!r}")
    text = target.strip()
    if "://" not in text:
        raise InvalidTargetError(f"{target!r} has no scheme: write http://{text} or https://{text}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidTargetError(f"{target!r}: unsupported scheme {parts.scheme!r} (use http or https)")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidTargetError(f"{target!r}: bad port ({exc})") from exc
    host = parts.hostname
    if not host or any(ch.isspace() for ch in host):
        raise InvalidTargetError(f"{target!r}: no host name")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return UrlTarget(target=target, url=text, scheme=scheme, host=host, port=port or DEFAULT_PORTS[scheme], path=path)


def parse_hostport(target: str, default_port: int | None = None) -> tuple[str, int]:
    """Split ``host:port``, ``[v6]:port`` or an http(s) URL into host and port.

    Parameters
    ----------
    target : str
        The target as the user gave it.
    default_port : int, optional
        Port to use when ``target`` names none (a URL uses its scheme's default).

    Returns
    -------
    tuple of (str, int)
        Host (IPv6 without brackets) and TCP port.

    Raises
    ------
    InvalidTargetError
        When no port can be determined or the text is not a target.
    """
    if not isinstance(target, str) or not target.strip():
        raise InvalidTargetError(f"not a host:port target: {target!r}")
    text = target.strip()
    if "://" in text:
        u = parse_url(text)
        return u.host, u.port
    parts = urlsplit("//" + text)
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise InvalidTargetError(f"{target!r}: bad port ({exc})") from exc
    if not parts.hostname or port is None:
        raise InvalidTargetError(f"{target!r}: expected host:port")
    return parts.hostname, port


def is_ip(host: str) -> bool:
    """True when ``host`` is an IPv4 or IPv6 literal."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolver_label(resolver: Resolver) -> str:
    """Name recorded in the ``resolver`` column for this resolver option.

    Parameters
    ----------
    resolver : Resolver
        The ``resolver=`` option of a probe.

    Returns
    -------
    str
        ``system``, ``static`` (a mapping) or the callable's ``__name__`` (``custom`` without one).

    Raises
    ------
    InvalidParameterError
        When ``resolver`` is none of the accepted kinds.
    """
    if resolver is None or resolver == "system":
        return "system"
    if isinstance(resolver, Mapping):
        return "static"
    if callable(resolver):
        return getattr(resolver, "__name__", "custom")
    raise InvalidParameterError(f"resolver must be 'system', a mapping or a callable, not {resolver!r}")


async def resolve(host: str, port: int, resolver: Resolver, timeout: float) -> Resolution:
    """Resolve ``host`` with ``resolver``, timing it; failures are returned, never raised.

    Parameters
    ----------
    host : str
        Name or IP literal (a literal is returned as is, untimed).
    port : int
        TCP port, passed to getaddrinfo.
    resolver : Resolver
        The ``resolver=`` option of a probe.
    timeout : float
        Seconds to wait for the answer.

    Returns
    -------
    Resolution
        Addresses in resolver order and ``dns_ms``, or ``error_kind`` ``dns_timeout`` /
        ``dns_failure`` with a message.

    Raises
    ------
    InvalidParameterError
        When ``resolver`` is none of the accepted kinds.
    """
    if is_ip(host):
        return Resolution((host,), None, "literal")
    label = resolver_label(resolver)
    start = monotonic_ms()
    try:
        async with asyncio.timeout(timeout):
            ips = await _lookup(host, port, resolver)
    except TimeoutError:
        return Resolution((), None, label, "dns_timeout", f"no answer for {host} within {timeout:g} s")
    except (OSError, LookupError, ValueError) as exc:
        return Resolution((), None, label, "dns_failure", f"{host}: {exc}")
    elapsed = monotonic_ms() - start
    if not ips:
        return Resolution((), None, label, "dns_failure", f"{host}: no addresses")
    return Resolution(tuple(ips), elapsed, label)


async def _lookup(host: str, port: int, resolver: Resolver) -> list[str]:
    if resolver is None or resolver == "system":
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: dict[str, None] = {}
        for info in infos:
            seen.setdefault(str(info[4][0]), None)
        return list(seen)
    if isinstance(resolver, Mapping):
        if host not in resolver:
            raise _NotInMapError("name not in the static resolver map")
        value = resolver[host]
        return [value] if isinstance(value, str) else list(value)
    if callable(resolver):
        answer = resolver(host)
        if inspect.isawaitable(answer):
            answer = await answer
        return [str(a) for a in answer]
    raise InvalidParameterError(f"resolver must be 'system', a mapping or a callable, not {resolver!r}")

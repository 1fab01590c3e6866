"""TLS probe: the live handshake, and the certificate chain exactly as the server served it.

:func:`probe_tls` connects (DNS, TCP and the TLS handshake timed separately),
captures the chain as sent *with verification off*, and only then hands it to
:mod:`apiprobe.analyze.tls`, which checks it offline per trust store, so a
broken chain is still described instead of being lost in a handshake error.
The checks, and what a Go client logs for each, are listed there
(:data:`~apiprobe.analyze.TLS_CHECKS`); :func:`~apiprobe.analyze.diagnose_chain`
runs the same analysis on a chain from a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import socket
import ssl
import time
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from apiprobe.analyze.tls import TlsReport
from apiprobe.analyze.tls._diagnose import failure_report, served_chain_report
from apiprobe.analyze.tls._go_errors import SSL_GO_ERRORS
from apiprobe.analyze.tls._trust import load_stores
from apiprobe.analyze.tls._verdicts import evaluation_time, verdict_row
from apiprobe.errors import InvalidTargetError
from apiprobe.probe._resolve import is_ip, parse_url

__all__ = ["probe_tls"]

_ENCODING_DER = 2  # _ssl.ENCODING_DER (X509_FILETYPE_ASN1)
#: OpenSSL reasons that mean the server did not answer with TLS at all.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")


@functools.lru_cache(maxsize=1)
def _probe_context() -> ssl.SSLContext:
    """Client context that completes a handshake with anything: verification off, every cipher offered."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("ALL:@SECLEVEL=0")  # see weak keys and SHA-1 chains instead of failing on them
    with warnings.catch_warnings(), contextlib.suppress(ValueError, ssl.SSLError):
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1  # let an old server show itself (reported, not hidden)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def _served_chain(tls: ssl.SSLSocket) -> tuple[list[bytes], str]:
    """DER certificates exactly as the server sent them, and how they were obtained."""

    def der(item: Any) -> bytes:  # DER bytes (3.13+) or _ssl.Certificate objects (3.10-3.12)
        return item.public_bytes(_ENCODING_DER) if hasattr(item, "public_bytes") else bytes(item)

    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    if callable(public):
        chain = public()
        if chain:
            return [der(c) for c in chain], "get_unverified_chain"
    private = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)  # CPython 3.10-3.12
    if callable(private):
        chain = private()
        if chain:
            return [der(c) for c in chain], "_sslobj.get_unverified_chain"
    leaf = tls.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), "getpeercert (leaf only)"


def _check_target(host: str, port: int) -> tuple[str, int]:
    if not isinstance(host, str) or not host.strip():
        raise InvalidTargetError(f"not a host name: {host!r}")
    text = host.strip()
    if "://" in text:
        url = parse_url(text)
        text, port = url.host, url.port if url.port else port
    text = text.strip("[]")
    if any(ch.isspace() for ch in text) or "/" in text:
        raise InvalidTargetError(f"not a host name: {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidTargetError(f"port must be an integer in 1..65535, not {port!r}")
    return text, port


def _failure(check: str, kind: str, message: str, go: str | None, rec: str) -> dict[str, Any]:
    row = verdict_row(check, False, message, go=go, rec=rec)
    row["error_kind"] = kind
    return row


def _hostport(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def probe_tls(
    host: str,
    port: int = 443,
    *,
    servername: str | None = None,
    cafile: str | os.PathLike[str] | None = None,
    stores: Sequence[str] = ("certifi", "system"),
    timeout: float = 5.0,
    at: dt.datetime | pd.Timestamp | str | None = None,
) -> TlsReport:
    """Connect to ``host:port``, capture the chain as served and check it per trust store.

    The name is resolved first, then the TCP connect and the TLS handshake are
    timed separately. The handshake runs with verification off (and every
    cipher offered, TLS 1.0 up), so the chain of a broken server is captured
    too; verification happens offline afterwards. ALPN offers ``h2`` and
    ``http/1.1``. No request is sent.

    Each row of the report's ``certs`` table is one certificate as the server
    sent it; each row of ``verdicts`` is one check × trust store (the checks
    are listed in :mod:`apiprobe.analyze.tls`).

    Parameters
    ----------
    host : str
        DNS name or IP literal (an ``https://`` URL is accepted too).
    port : int, default 443
        TCP port.
    servername : str, optional
        SNI and name to check the certificate for, when it differs from
        ``host`` (Go: ``tls.Config.ServerName``). For an IP ``host`` without
        ``servername`` no SNI is sent and the IP is checked against IP SANs.
    cafile : str or path, optional
        Extra trust store: a PEM file of roots (store name = the file's name).
    stores : sequence of str, default ("certifi", "system")
        Built-in trust stores to check against.
    timeout : float, default 5.0
        Seconds allowed for the TCP connect and, separately, for the handshake.
    at : datetime, Timestamp or str, optional
        Evaluation time for the validity checks; default now (UTC).

    Returns
    -------
    TlsReport
        The chain as served (``certs``), the verdicts per store
        (``verdicts``), Go's error per store, and the handshake facts
        (``tls_version``, ``cipher``, ``alpn``, ``ip``, ``dns_ms``,
        ``connect_ms``, ``handshake_ms``). Never raises on a network failure:
        refused, timed out, not TLS or a failed handshake give a report with
        ``error`` set and a failing ``connect`` or ``handshake`` row per store.

    Raises
    ------
    InvalidTargetError
        Bad host, port, timeout, store name or ``at``.
    DataFormatError
        ``cafile`` cannot be read as PEM certificates.
    """
    host, port = _check_target(host, port)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidTargetError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if servername is not None and (not isinstance(servername, str) or not servername.strip()):
        raise InvalidTargetError(f"not a server name: {servername!r}")
    store_list = load_stores(stores, cafile)
    fixed_at = evaluation_time(at) if at is not None else None
    hostname = (servername or host).strip().strip("[]")
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    report: dict[str, Any] = {}  # what was measured so far: dns_ms, ip, connect_ms, handshake_ms, ...

    def failed(row: dict[str, Any]) -> TlsReport:
        kind = row.pop("error_kind")
        return failure_report(target, hostname, store_list, row, error_kind=kind, at=fixed_at, **report)

    # resolve
    start = time.perf_counter()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        go = f"dial tcp: lookup {host}: no such host" if getattr(exc, "errno", None) == socket.EAI_NONAME else None
        return failed(
            _failure(
                "connect",
                "dns_failure",
                f"{host} does not resolve: {exc}",
                go,
                "check the name and the resolver the client uses (DNS, /etc/hosts)",
            )
        )
    report["dns_ms"] = None if is_ip(host) else (time.perf_counter() - start) * 1000.0

    # connect: addresses in order, like Go's dialer (without Happy Eyeballs)
    sock: socket.socket | None = None
    last: dict[str, Any] | None = None
    for family, kind, proto, _, address in infos:
        ip = str(address[0])
        candidate = socket.socket(family, kind, proto)
        candidate.settimeout(timeout)
        start = time.perf_counter()
        try:
            candidate.connect(address)
        except TimeoutError:
            candidate.close()
            last = _failure(
                "connect",
                "connect_timeout",
                f"no answer from {_hostport(ip, port)} within {timeout:g} s",
                f"dial tcp {_hostport(ip, port)}: i/o timeout",
                "check firewalls / security groups and that the service listens on that address",
            )
            report["ip"] = ip
            continue
        except ConnectionRefusedError as exc:
            candidate.close()
            last = _failure(
                "connect",
                "connect_refused",
                f"{_hostport(ip, port)}: {exc.strerror or exc}",
                f"dial tcp {_hostport(ip, port)}: connect: connection refused",
                "nothing listens there: check the port and that the service is up",
            )
            report["ip"] = ip
            continue
        except OSError as exc:
            candidate.close()
            last = _failure(
                "connect",
                "connect_error",
                f"{_hostport(ip, port)}: {exc.strerror or exc}",
                None,
                "check the route to the host",
            )
            report["ip"] = ip
            continue
        report["connect_ms"] = (time.perf_counter() - start) * 1000.0
        report["ip"] = ip
        sock = candidate
        break
    if sock is None:
        assert last is not None
        return failed(last)

    # handshake
    sni = None if is_ip(hostname) else hostname
    tls: ssl.SSLSocket | None = None
    try:
        tls = _probe_context().wrap_socket(sock, server_hostname=sni, do_handshake_on_connect=False)
        tls.settimeout(timeout)
        start = time.perf_counter()
        tls.do_handshake()
        report["handshake_ms"] = (time.perf_counter() - start) * 1000.0
        der_chain, source = _served_chain(tls)
        cipher = tls.cipher()
        report.update(
            tls_version=tls.version(),
            cipher=cipher[0] if cipher else None,
            alpn=tls.selected_alpn_protocol(),
            chain_source=source,
        )
    except TimeoutError:
        return failed(
            _failure(
                "handshake",
                "tls_timeout",
                f"the TLS handshake did not finish within {timeout:g} s",
                "net/http: TLS handshake timeout",
                "the port accepts connections but does not speak TLS back: check that it is the "
                "TLS port and that the server is not overloaded",
            )
        )
    except ssl.SSLError as exc:
        reason = str(getattr(exc, "reason", None) or "")
        detail = "TLS handshake failed: " + re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))
        if reason in _NOT_TLS:
            detail += " (the server did not answer with TLS: plain HTTP or another protocol on this port?)"
        elif "ALERT" in reason:
            detail += (
                " (the server refused the handshake: no protocol version, cipher or signature algorithm "
                "in common, or it wants a client certificate)"
            )
        return failed(
            _failure(
                "handshake",
                "tls_error",
                detail,
                SSL_GO_ERRORS.get(reason),
                "compare the protocols and ciphers both sides allow (openssl s_client -connect "
                "host:port), and check that this port speaks TLS",
            )
        )
    except OSError as exc:
        return failed(
            _failure(
                "handshake",
                "tls_error",
                f"the connection failed during the TLS handshake: {exc.strerror or exc}",
                None,
                "check the server's TLS configuration and its logs",
            )
        )
    finally:
        if tls is not None:
            with contextlib.suppress(OSError):
                tls.close()
        else:
            sock.close()

    return served_chain_report(target, hostname, der_chain, store_list, at=fixed_at, **report)

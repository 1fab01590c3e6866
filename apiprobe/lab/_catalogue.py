"""The fault lab's catalogue: each endpoint as data (HTTP paths, TCP faults, one TLS chain per defect)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from apiprobe.lab._certs import Credentials, LabPki, PrivateKey, resign, self_signed_leaf


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One fault the lab reproduces.

    Attributes
    ----------
    name : str
        Key in :attr:`FaultLab.endpoints` (``"delay"``, ``"syn_drop"``, ...).
    url : str
        URL with the default parameters, e.g. ``http://127.0.0.1:PORT/delay?ms=50``.
    fault : str
        What the lab does wrong on purpose.
    expect : str
        What a probe should observe, starting with the outcome: a status
        (``"200 ..."``) or an ``error_kind`` from :data:`apiprobe.schema.ERROR_KINDS`
        (``"read_timeout: ..."``, ``"connect_refused: ..."``).
    """

    name: str
    url: str
    fault: str
    expect: str


@dataclass(frozen=True)
class _HttpSpec:
    """An endpoint served by the HTTP app (on the plain port, and on every TLS port)."""

    name: str
    path: str  # may hold {placeholders} filled from url() keywords
    defaults: dict[str, Any]
    fault: str
    expect: str


@dataclass(frozen=True)
class _TlsSpec:
    """A TLS port serving the HTTP app with the credentials ``build`` issues from the lab's CA hierarchy.

    A broken-chain endpoint is one more entry: e.g. an expired leaf is
    ``_TlsSpec("https_expired", lambda pki: served(pki.intermediate.issue(..., not_after=...), ...), ...)``.
    ``legacy`` lowers the server's OpenSSL security level to 0 so that it agrees
    to present a weak key or a SHA-1 signature at all.
    """

    name: str
    build: Callable[[LabPki], Credentials]
    fault: str
    expect: str
    path: str = "/ok"
    legacy: bool = False


@dataclass(frozen=True)
class _TcpSpec:
    """An endpoint that exists only at the TCP level (no HTTP is ever spoken)."""

    name: str
    fault: str
    expect: str


_HTTP_SPECS: tuple[_HttpSpec, ...] = (
    _HttpSpec("ok", "/ok", {}, "none (baseline)", "200 with a small JSON body"),
    _HttpSpec(
        "metrics",
        "/metrics",
        {},
        "none: the lab's real traffic since start in the Go client's names: promhttp's http_requests_total and "
        "http_request_duration_seconds (default buckets) by code, method and route pattern (handler, e.g. "
        "/status/{code}), http_requests_in_flight, go_goroutines (stand-in: asyncio tasks + open connections), "
        "process_*; scrapes are not counted",
        "200 with a Prometheus text exposition (text/plain; version=0.0.4)",
    ),
    _HttpSpec(
        "delay",
        "/delay",
        {"ms": 50},
        "fixed server latency before the response head (query ms, default 50)",
        "200 after >= ms; the wait shows in ttfb",
    ),
    _HttpSpec(
        "jitter",
        "/jitter",
        {},
        "seeded lognormal latency (median_ms=20, sigma=0.6) plus spikes of 300-800 ms with probability spike_p=0.05",
        "200; ttfb median ~20 ms with a long tail and rare 300-800 ms spikes",
    ),
    _HttpSpec(
        "slow_body",
        "/slow-body",
        {"chunks": 10, "interval_ms": 200},
        "head at once, then the body trickled in chunks every interval_ms (chunk_bytes=64)",
        "200 with a fast ttfb; transfer ~ chunks x interval_ms (2 s); body_timeout with a shorter read timeout",
    ),
    _HttpSpec(
        "reset",
        "/reset",
        {},
        "Content-Length 4096 but 512 body bytes sent, then TCP RST after_ms=50 later",
        "connection_reset: status 200 and headers arrive, then the body read fails (reset/incomplete)",
    ),
    _HttpSpec(
        "close",
        "/close",
        {},
        "request read, connection closed (FIN) without a response",
        "connection_reset: the server disconnects without sending a response",
    ),
    _HttpSpec(
        "garbage",
        "/garbage",
        {},
        "non-HTTP bytes (an SSH banner) instead of a response, then close",
        "protocol_error: invalid HTTP status line",
    ),
    _HttpSpec(
        "flaky",
        "/flaky",
        {"p": 0.3},
        "503 with probability p (default 0.3, seeded), else 200",
        "a mix of 200 and ~30 % 503",
    ),
    _HttpSpec(
        "status",
        "/status/{code}",
        {"code": 500},
        "answers the status code in the path (url keyword code, default 500)",
        "that status with a small JSON body",
    ),
    _HttpSpec(
        "misuse_ok_error",
        "/misuse/ok-error",
        {},
        "200 carrying a business error body {code: 1001, error: insufficient balance}",
        "status_misuse: 200 with an error body (should be 422)",
    ),
    _HttpSpec(
        "misuse_notfound_rule",
        "/misuse/notfound-rule",
        {},
        "404 for a business rule (out of stock)",
        "status_misuse: 404 for a business rule (should be 422)",
    ),
    _HttpSpec(
        "misuse_500_validation",
        "/misuse/500-validation",
        {},
        "500 for a request that fails validation",
        "status_misuse: 500 for invalid input (should be 400)",
    ),
    _HttpSpec(
        "misuse_403_unauth",
        "/misuse/403-unauth",
        {},
        "403 'token expired' when no Authorization header is sent (200 with one)",
        "status_misuse: 403 to an unauthenticated caller (should be 401)",
    ),
    _HttpSpec(
        "misuse_401_forbidden",
        "/misuse/401-forbidden",
        {},
        "401 'permission denied' to a caller that lacks a permission",
        "status_misuse: 401 for a permission problem (should be 403)",
    ),
    _HttpSpec(
        "misuse_right_422",
        "/misuse/right-422",
        {},
        "422 for a business-rule rejection: the right answer",
        "no finding (control)",
    ),
)

_TCP_SPECS: dict[str, _TcpSpec] = {
    spec.name: spec
    for spec in (
        _TcpSpec(
            "blackhole",
            "connections accepted and read, never answered (closed when the client closes)",
            "read_timeout: connect succeeds, no response byte ever arrives",
        ),
        _TcpSpec(
            "refused",
            "port bound but not listening: the kernel answers SYN with RST",
            "connect_refused: ECONNREFUSED at once",
        ),
        _TcpSpec(
            "syn_drop",
            "listener with a full accept queue: the kernel drops SYNs silently",
            "connect_timeout: SYN retransmitted, never answered, until the client gives up",
        ),
    )
}

_TLS_SPECS: tuple[_TlsSpec, ...] = (
    _TlsSpec(
        "https_ok",
        lambda pki: pki.root.leaf(pki.sans, not_after=_days(90)),
        "none: valid leaf for 127.0.0.1, localhost, lab.apiprobe.test issued by the lab CA",
        "200 over TLS when trusting lab.ca_path; tls_error (unknown issuer) with the default trust store",
    ),
)


def _served(issued: tuple[x509.Certificate, PrivateKey], *extra: x509.Certificate) -> Credentials:
    """Credentials presenting the issued leaf followed by ``extra`` certificates, in that order."""
    cert, key = issued
    return Credentials((cert, *extra), key)


def _days(n: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=n)


def _sha1_leaf(pki: LabPki) -> Credentials:
    cert, key = pki.intermediate.issue(pki.sans)
    return Credentials((resign(cert, pki.intermediate.key, "sha1"), pki.intermediate.cert), key)


_GO_UNKNOWN = "Go: x509: certificate signed by unknown authority"

#: The broken-chain endpoints (``FaultLab(tls_faults=True)``): one defect each, all issued
#: from the lab hierarchy (root -> intermediate -> leaf) unless the defect says otherwise.
_TLS_FAULT_SPECS: tuple[_TlsSpec, ...] = (
    _TlsSpec(
        "https_chain_ok",
        lambda pki: _served(pki.intermediate.issue(pki.sans), pki.intermediate.cert),
        "none: leaf (90 days) + intermediate, in order, chaining to the lab root",
        "200 when trusting lab.ca_path; probe_tls: no defect with cafile=lab.ca_path, "
        "untrusted_root with certifi and the system store",
    ),
    _TlsSpec(
        "https_expired",
        lambda pki: _served(
            pki.intermediate.issue(pki.sans, not_before=_days(-92), not_after=_days(-2)), pki.intermediate.cert
        ),
        "leaf expired two days ago (intermediate sent)",
        "tls_expired: probe_tls names expired; Go: x509: certificate has expired or is not yet valid: "
        "current time … is after …",
    ),
    _TlsSpec(
        "https_not_yet_valid",
        lambda pki: _served(
            pki.intermediate.issue(pki.sans, not_before=_days(2), not_after=_days(92)), pki.intermediate.cert
        ),
        "leaf valid only from two days from now (intermediate sent)",
        "tls_expired: probe_tls names not_yet_valid; Go: x509: certificate has expired or is not yet valid: "
        "current time … is before …",
    ),
    _TlsSpec(
        "https_expiring_soon",
        lambda pki: _served(
            pki.intermediate.issue(pki.sans, not_before=_days(-70), not_after=_days(20)), pki.intermediate.cert
        ),
        "leaf valid but expiring in 20 days (intermediate sent)",
        "200 when trusting lab.ca_path; probe_tls warns expiring_soon (days_left ~20); Go connects",
    ),
    _TlsSpec(
        "https_wrong_host",
        lambda pki: _served(
            pki.intermediate.issue(("wrong.apiprobe.test", "www.wrong.apiprobe.test")), pki.intermediate.cert
        ),
        "leaf valid for wrong.apiprobe.test and www.wrong.apiprobe.test only (intermediate sent)",
        "tls_hostname: probe_tls names hostname_mismatch; Go: x509: certificate is valid for "
        "wrong.apiprobe.test, www.wrong.apiprobe.test, not localhost (for 127.0.0.1: cannot validate "
        "certificate for 127.0.0.1 because it doesn't contain any IP SANs)",
    ),
    _TlsSpec(
        "https_missing_intermediate",
        lambda pki: _served(pki.intermediate.issue(pki.sans, aia_ca_issuers=pki.aia_url)),
        "only the leaf is sent; its issuer, the lab intermediate, is not (the leaf's AIA caIssuers URL "
        "serves it: lab.aia_url)",
        f"tls_untrusted: probe_tls names missing_intermediate even with cafile=lab.ca_path; {_GO_UNKNOWN}",
    ),
    _TlsSpec(
        "https_self_signed",
        lambda pki: self_signed_leaf(pki.sans),
        "a self-signed leaf (CA:FALSE, issuer = subject), not issued by any CA",
        f"tls_untrusted: probe_tls names self_signed; {_GO_UNKNOWN}",
    ),
    _TlsSpec(
        "https_untrusted_root",
        lambda pki: _served(pki.foreign_intermediate.issue(pki.sans), pki.foreign_intermediate.cert),
        "complete chain (leaf + intermediate) to a different root that is not in lab.ca_path",
        f"tls_untrusted: probe_tls names untrusted_root with cafile=lab.ca_path; {_GO_UNKNOWN}",
    ),
    _TlsSpec(
        "https_wrong_order",
        lambda pki: _served(pki.sub_intermediate.issue(pki.sans), pki.intermediate.cert, pki.sub_intermediate.cert),
        "leaf, then the upper intermediate, then the issuing intermediate (order swapped)",
        "200 when trusting lab.ca_path (Go and OpenSSL reorder); probe_tls warns chain_order",
    ),
    _TlsSpec(
        "https_root_sent",
        lambda pki: _served(pki.intermediate.issue(pki.sans), pki.intermediate.cert, pki.root.cert),
        "leaf + intermediate + the lab root itself (needless: clients never use a sent root)",
        "200 when trusting lab.ca_path; probe_tls reports root_sent (info)",
    ),
    _TlsSpec(
        "https_weak_key",
        lambda pki: _served(
            pki.intermediate.issue(pki.sans, key=rsa.generate_private_key(65537, 1024)), pki.intermediate.cert
        ),
        "leaf with an RSA 1024-bit key (served at OpenSSL security level 0)",
        "200 when trusting lab.ca_path with a permissive client (Go connects); probe_tls warns weak_key; "
        "clients at OpenSSL security level 2 (Debian's default) refuse it",
        legacy=True,
    ),
    _TlsSpec(
        "https_sha1",
        _sha1_leaf,
        "leaf signed ecdsa-with-SHA1 by the lab intermediate (re-signed by hand: cryptography refuses to "
        "sign with SHA-1; served at OpenSSL security level 0)",
        "tls_untrusted: probe_tls names weak_signature; Go: x509: certificate signed by unknown authority "
        '(possibly because of "x509: cannot verify signature: insecure algorithm ECDSA-SHA1" ...)',
        legacy=True,
    ),
    _TlsSpec(
        "https_leaf_is_ca",
        lambda pki: _served(pki.intermediate.issue(pki.sans, is_ca=True), pki.intermediate.cert),
        "leaf carrying basicConstraints CA:TRUE (intermediate sent)",
        "200 when trusting lab.ca_path (Go and OpenSSL accept it); probe_tls warns leaf_is_ca; strict "
        "verifiers (cryptography, browsers) reject it",
    ),
)

_ALL_TLS_SPECS: dict[str, _TlsSpec] = {s.name: s for s in (*_TLS_SPECS, *_TLS_FAULT_SPECS)}

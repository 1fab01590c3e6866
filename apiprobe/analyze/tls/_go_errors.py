"""What a Go client (``crypto/tls`` + ``crypto/x509``, Go 1.20+, Linux) logs for each defect, and back.

Forward: the exact error text Go produces for a chain, a name and a time
(:func:`go_view`). Backward: :func:`go_error_causes` matches a line from a Go
service's log to the checks that produce it (:data:`GO_LOG_CAUSES`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress

import pandas as pd
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from apiprobe.analyze.tls._chain import ChainPath
from apiprobe.analyze.tls._report import ReportsOrVerdicts, report_tables
from apiprobe.load.certs import CertFacts, name_attr

__all__ = ["GO_LOG_CAUSES", "SSL_GO_ERRORS", "as_ip", "go_error_causes", "go_time", "go_view"]

#: Prefix of every certificate error of a Go TLS client.
_GO_TLS = "tls: failed to verify certificate: "
_GO_UNKNOWN = "x509: certificate signed by unknown authority"
#: Go's names (crypto/x509 SignatureAlgorithm.String) for the algorithms it refuses.
_GO_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1-RSA",
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5-RSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA-SHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "DSA-SHA1",
}
#: OpenSSL handshake failure reason → what Go logs in the same situation.
SSL_GO_ERRORS = {
    "WRONG_VERSION_NUMBER": "tls: first record does not look like a TLS handshake",
    "HTTP_REQUEST": "tls: first record does not look like a TLS handshake",
    "RECORD_LAYER_FAILURE": "tls: first record does not look like a TLS handshake",
    "PACKET_LENGTH_TOO_LONG": "tls: first record does not look like a TLS handshake",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "remote error: tls: handshake failure",
    "TLSV1_ALERT_PROTOCOL_VERSION": "remote error: tls: protocol version not supported",
    "TLSV1_ALERT_INTERNAL_ERROR": "remote error: tls: internal error",
}


def go_time(t: dt.datetime) -> str:
    """Go's ``time.RFC3339`` rendering of a UTC time (what x509 error messages print).

    Parameters
    ----------
    t : datetime
        A tz-aware time.

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``text`` as an IP address when it is an IPv4 or IPv6 literal, else None.

    Parameters
    ----------
    text : str
        A host name or IP literal (without brackets).

    Returns
    -------
    IPv4Address, IPv6Address or None
        The address.
    """
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# -- hostnames (Go's crypto/x509 rules) -------------------------------------------------------


def _match_hostname(pattern: str, host: str) -> bool:
    pattern = pattern.lower()
    host = host.lower().rstrip(".")
    if not pattern or not host:
        return False
    pparts, hparts = pattern.split("."), host.split(".")
    if len(pparts) != len(hparts):
        return False
    return all((i == 0 and p == "*") or p == h for i, (p, h) in enumerate(zip(pparts, hparts, strict=True)))


def _hostname_error(leaf: CertFacts, host: str) -> str | None:
    """Go's HostnameError text when ``host`` does not match the leaf, else None.

    Parameters
    ----------
    leaf : CertFacts
        The server's certificate.
    host : str
        The DNS name or IP literal the client connects to.

    Returns
    -------
    str or None
        The ``x509: ...`` message (without the ``tls:`` prefix).
    """
    bare = host.strip("[]")
    want = as_ip(bare)
    if want is not None:
        if any(ipaddress.ip_address(ip) == want for ip in leaf.ip_addresses):
            return None
    elif any(_match_hostname(name, bare) for name in leaf.dns_names):
        return None
    cn = name_attr(leaf.cert.subject, NameOID.COMMON_NAME)
    if not leaf.has_san and cn and _match_hostname(cn, bare):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if want is not None:
        if not leaf.ip_addresses:
            return f"x509: cannot validate certificate for {bare} because it doesn't contain any IP SANs"
        valid = ", ".join(leaf.ip_addresses)
    else:
        valid = ", ".join(leaf.dns_names)
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {bare}"
    return f"x509: certificate is valid for {valid}, not {bare}"


# -- the chain ---------------------------------------------------------------------------------


def _validity_error(cert: CertFacts, at: dt.datetime) -> str | None:
    if at < cert.not_before:
        return (
            f"x509: certificate has expired or is not yet valid: current time {go_time(at)} "
            f"is before {go_time(cert.not_before)}"
        )
    if at > cert.not_after:
        return (
            f"x509: certificate has expired or is not yet valid: current time {go_time(at)} "
            f"is after {go_time(cert.not_after)}"
        )
    return None


def _unknown_authority(hint: tuple[str, CertFacts] | None) -> str:
    if hint is None:
        return _GO_TLS + _GO_UNKNOWN
    err, cert = hint
    return (
        f'{_GO_TLS}{_GO_UNKNOWN} (possibly because of "{err}" while trying to verify candidate '
        f'authority certificate "{cert.go_name}")'
    )


def _signature_failure(issuer: CertFacts) -> str:
    """Go's error when ``issuer``'s key does not verify a signature (crypto/x509 checkSignature)."""
    key = issuer.key_type
    if key == "RSA":
        return "crypto/rsa: verification error"
    if key.startswith("EC"):
        return "x509: ECDSA verification failure"
    if key == "Ed25519":
        return "x509: Ed25519 verification failure"
    return "x509: signature verification failure"


def _chain_hint(path: ChainPath, at: dt.datetime) -> tuple[str, CertFacts] | None:
    """The first candidate Go rejects while walking the path: (its error, the candidate)."""
    for i in range(1, len(path.certs)):
        child, candidate = path.certs[i - 1], path.certs[i]
        oid = child.cert.signature_algorithm_oid
        if not child.self_signed and oid in _GO_SIGNATURE_NAMES:
            return f"x509: cannot verify signature: insecure algorithm {_GO_SIGNATURE_NAMES[oid]}", candidate
        err = _validity_error(candidate, at)
        if err is not None:
            return err, candidate
    if path.wrong_signature is not None and path.missing_for is not None:
        return _signature_failure(path.wrong_signature), path.wrong_signature
    return None


def go_view(
    chain: list[CertFacts], path: ChainPath, hostname: str | None, at: dt.datetime
) -> tuple[str | None, str | None, str | None, str | None]:
    """What Go logs for a chain, each None when fine.

    Parameters
    ----------
    chain : list of CertFacts
        The chain as sent, leaf first.
    path : ChainPath
        The path built for one trust store.
    hostname : str or None
        The name checked; None skips the name check.
    at : datetime
        Evaluation time (UTC).

    Returns
    -------
    (str or None, str or None, str or None, str or None)
        The overall error (the first of the next three, as Go checks them),
        the leaf's validity error, the hostname error and the chain error.
    """
    leaf = chain[0]
    leaf_err = _validity_error(leaf, at)
    host_err = _hostname_error(leaf, hostname) if hostname else None
    hint = _chain_hint(path, at)
    trusted = path.end == "trusted" and (hint is None or path.anchor is leaf)
    chain_err = None if trusted else _unknown_authority(hint)
    leaf_go = _GO_TLS + leaf_err if leaf_err else None
    host_go = _GO_TLS + host_err if host_err else None
    overall = leaf_go or host_go or chain_err
    return overall, leaf_go, host_go, chain_err


# -- from a log line back to the defects ----------------------------------------------------------

#: Go log fragments → (checks that produce them, how to tell them apart, what to change).
GO_LOG_CAUSES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (
        "certificate signed by unknown authority",
        ("missing_intermediate", "self_signed", "untrusted_root"),
        "Look at the chain as served: one certificate whose issuer is someone else → missing intermediate; "
        "issuer equals subject → self-signed; a complete chain whose root the client does not trust → "
        "untrusted (private) root.",
        "Missing intermediate: serve the full chain (fullchain.pem). Self-signed or private root: add the "
        "root to the client's pool (x509.SystemCertPool + AppendCertsFromPEM, or SSL_CERT_FILE). Never "
        "InsecureSkipVerify.",
    ),
    (
        "certificate has expired or is not yet valid",
        ("expired", "not_yet_valid"),
        "Compare notBefore/notAfter of every certificate in the chain with the time in the message; a "
        "'not yet valid' on a fresh certificate can also be the client's clock.",
        "Renew and deploy the certificate (and the intermediate); check NTP on the client.",
    ),
    (
        "certificate is valid for",
        ("hostname_mismatch",),
        "The message lists the names the certificate covers and the one the client asked for.",
        "Issue a certificate with the requested name in subjectAltName, or call the service by a name it "
        "has (check the URL, the Host and the SNI/ServerName the client sends).",
    ),
    (
        "doesn't contain any IP SANs",
        ("hostname_mismatch",),
        "The client connects by IP address and the certificate has no IP SAN.",
        "Connect by DNS name, or add the IP to subjectAltName.",
    ),
    (
        "relies on legacy Common Name field",
        ("hostname_mismatch",),
        "Go ignores the CN: the certificate has no subjectAltName.",
        "Reissue the certificate with subjectAltName entries.",
    ),
    (
        "TLS handshake timeout",
        ("handshake",),
        "The TCP connection opened but the handshake did not finish in Transport.TLSHandshakeTimeout.",
        "Check the TLS terminator's load and any middlebox; see the latency notebook for the TLS phase.",
    ),
    (
        "first record does not look like a TLS handshake",
        ("handshake",),
        "The client spoke TLS to a plain-HTTP port (or a proxy answered in clear text).",
        "Use http:// for that port, or point the client at the TLS port.",
    ),
    (
        "handshake failure",
        ("handshake", "protocol_version"),
        "No common protocol version or cipher, or the server wants a client certificate.",
        "Compare the client's and server's TLS versions and cipher suites; supply the client certificate.",
    ),
)


def go_error_causes(line: str, reports_or_verdicts: ReportsOrVerdicts | None = None) -> pd.DataFrame:
    """Match a TLS error line from a Go service's log to the defects that cause it.

    Go logs the same ``x509: certificate signed by unknown authority`` for a
    missing intermediate, a self-signed certificate and a private root; this
    is where they are told apart.

    Parameters
    ----------
    line : str
        The log line (or just its error text); matched case-insensitively.
    reports_or_verdicts : TlsReport, iterable of TlsReport or DataFrame, optional
        Reports or a ``tls_verdicts`` table; fills ``seen_on``.

    Returns
    -------
    pandas.DataFrame
        One row per possible cause: ``fragment`` (the part of the line that
        matched), ``check`` (a :data:`~apiprobe.analyze.TLS_CHECKS` name),
        ``how_to_tell`` (how to tell it apart from the other causes of the same
        message), ``fix``, and ``seen_on`` (the targets whose chains fail that
        check, comma-separated; NA without reports or when none do).
    """
    columns = ["fragment", "check", "how_to_tell", "fix", "seen_on"]
    failing: dict[str, set[str]] = {}
    if reports_or_verdicts is not None:
        verdicts, *_ = report_tables(reports_or_verdicts)
        bad = verdicts[~verdicts["ok"].fillna(True).astype(bool)]
        for check, target in zip(bad["check"], bad["target"], strict=True):
            failing.setdefault(str(check), set()).add(str(target))
    rows = []
    text = line.lower()
    for fragment, checks, how, fix in GO_LOG_CAUSES:
        if fragment.lower() in text:
            for check in checks:
                rows.append(
                    {
                        "fragment": fragment,
                        "check": check,
                        "how_to_tell": how,
                        "fix": fix,
                        "seen_on": ", ".join(sorted(failing.get(check, set()))) or pd.NA,
                    }
                )
    return pd.DataFrame(rows, columns=columns)

"""Every check of one chain against one trust store: the ``tls_verdicts`` rows and Go's overall error.

The checks are listed in :data:`~apiprobe.analyze.tls.TLS_CHECKS`. The
path validator of :mod:`cryptography` gives the final yes/no
(``path_validation``); the explicit checks name the defect, because that
validator's errors are coarse and it accepts a misordered chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.verification import PolicyBuilder, VerificationError

from apiprobe.analyze.tls._chain import build_path, cert_ref, chain_defect, chain_ok_detail, sent_issuer_walk
from apiprobe.analyze.tls._go_errors import as_ip, go_time, go_view
from apiprobe.analyze.tls._trust import TrustStore
from apiprobe.analyze.tls._verdicts import EXPIRY_INFO_DAYS, EXPIRY_WARN_DAYS, verdict_row
from apiprobe.load.certs import CertFacts, cert_facts

__all__ = ["store_rows"]

_WEAK_HASHES = {"sha1": "SHA-1", "md5": "MD5", "md2": "MD2"}


def _days_between(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / 86400.0


def _ago(days: float) -> str:
    days = abs(days)
    if days < 1:
        hours = days * 24
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"
    return f"{days:.0f} day{'s' if round(days) != 1 else ''}"


def store_rows(
    chain: list[CertFacts],
    store: TrustStore,
    hostname: str | None,
    at: dt.datetime,
    known_roots: dict[bytes, list[str]],
) -> tuple[list[dict[str, Any]], str | None]:
    """Every check of ``chain`` for one store, in :data:`~apiprobe.analyze.TLS_CHECKS` order.

    Parameters
    ----------
    chain : list of CertFacts
        The chain as sent, leaf first.
    store : TrustStore
        A usable trust store.
    hostname : str or None
        Name to check the leaf for; None skips the name check.
    at : datetime
        Evaluation time (UTC).
    known_roots : dict
        Subject DER → names of the other stores holding a root of that subject.

    Returns
    -------
    (list of dict, str or None)
        The verdict rows (without ``store`` and ``target``) and what Go logs (None: it connects).
    """
    leaf = chain[0]
    path = build_path(chain, store)
    go_overall, leaf_go, host_go, chain_go = go_view(chain, path, hostname, at)
    rows: list[dict[str, Any]] = []

    # validity of every certificate on the path (sent ones and the store anchor)
    expired = [c for c in path.certs if at > c.not_after]
    if expired:
        first = expired[0]
        parts = [
            f"{cert_ref(c, chain)} expired {_ago(_days_between(at, c.not_after))} ago (notAfter {go_time(c.not_after)})"
            for c in expired
        ]
        if first is leaf:
            rec = (
                "renew the certificate and make sure the server loads the new file (reload or restart it); "
                "automate renewal (ACME, cert-manager) and alert 30 days before expiry"
            )
        elif first in path.certs and not path.sent[path.certs.index(first)]:
            rec = (
                "update the client's trust store (ca-certificates, certifi): the root it trusts has expired; "
                "the server may need a chain to a current root"
            )
        else:
            rec = "serve the current intermediate of your CA: the chain file on the server holds an expired one"
        rows.append(
            verdict_row(
                "expired",
                False,
                "; ".join(parts) + f", evaluated at {go_time(at)}",
                go=leaf_go if first is leaf and leaf_go else chain_go,
                rec=rec,
            )
        )
    else:
        rows.append(verdict_row("expired", True, f"no certificate of the path has expired at {go_time(at)}"))
    early = [c for c in path.certs if at < c.not_before]
    if early:
        first = early[0]
        parts = [
            f"{cert_ref(c, chain)} is valid only from {go_time(c.not_before)} "
            f"(in {_ago(_days_between(c.not_before, at))})"
            for c in early
        ]
        rows.append(
            verdict_row(
                "not_yet_valid",
                False,
                "; ".join(parts) + f", evaluated at {go_time(at)}",
                go=leaf_go if first is leaf and leaf_go else chain_go,
                rec=(
                    "check the client's clock first (NTP): a clock days behind makes fresh certificates "
                    "'not yet valid'; if the certificate really starts later, serve the previous one until then"
                ),
            )
        )
    else:
        rows.append(verdict_row("not_yet_valid", True, "every certificate of the path has started its validity"))
    current = [c for c in path.certs if c.not_before <= at <= c.not_after]
    if current:
        soonest = min(current, key=lambda c: c.not_after)
        days = _days_between(soonest.not_after, at)
        what = f"{cert_ref(soonest, chain)} expires in {days:.1f} days ({go_time(soonest.not_after)})"
        if days < EXPIRY_INFO_DAYS:
            severity = "warning" if days < EXPIRY_WARN_DAYS else "info"
            rows.append(
                verdict_row(
                    "expiring_soon",
                    False,
                    what,
                    severity,
                    rec=f"renew before {soonest.not_after:%Y-%m-%d} and deploy the new certificate; "
                    "alert at 30 days so a failed automatic renewal is noticed in time",
                )
            )
        else:
            rows.append(verdict_row("expiring_soon", True, f"next expiry: {what}"))
    else:
        rows.append(verdict_row("expiring_soon", True, "no currently valid certificate on the path to look at"))

    # the name
    if not hostname:
        rows.append(verdict_row("hostname_mismatch", True, "not checked: no hostname given"))
    elif host_go is None:
        rows.append(
            verdict_row("hostname_mismatch", True, f"{hostname} matches the leaf's names ({', '.join(leaf.sans)})")
        )
    else:
        names = ", ".join(leaf.sans) or "no subjectAltName at all"
        ip_hint = (
            (
                " For an IP target: add an IP SAN, or connect by a name the certificate covers "
                "(Go: set tls.Config.ServerName)."
            )
            if as_ip(hostname.strip("[]")) is not None
            else ""
        )
        rows.append(
            verdict_row(
                "hostname_mismatch",
                False,
                f"the leaf is valid for {names}, not for {hostname} (Go ignores the Common Name)",
                go=host_go,
                rec=(
                    f"reissue the certificate with {hostname} in its subjectAltName, or have the client use a name "
                    f"it covers.{ip_hint}"
                ),
            )
        )

    # the chain: which of missing intermediate / self-signed / untrusted root
    defect, explain, rec_chain = chain_defect(chain, path, store, known_roots)
    passed = chain_ok_detail(path, store)
    for check, ok_detail in (
        ("missing_intermediate", passed),
        ("self_signed", "the leaf is issued by a CA"),
        ("untrusted_root", passed),
    ):
        ok = defect != check
        rows.append(verdict_row(check, ok, ok_detail if ok else explain, go=chain_go, rec=rec_chain))

    # order, root, extras
    positions = sent_issuer_walk(chain)  # judged as sent: the same verdict for every store
    if positions != sorted(positions):
        order = " → ".join(f"{pos} {chain[pos].label!r}" for pos in positions)
        rows.append(
            verdict_row(
                "chain_order",
                False,
                f"sent out of order: the path is {order} (position as sent); each certificate should be "
                "followed by its issuer",
                "warning",
                rec=(
                    "serve the chain in order: leaf, the intermediate that issued it, then that one's issuer "
                    "(Go, OpenSSL and browsers reorder, older Java and embedded clients do not)"
                ),
            )
        )
    else:
        rows.append(verdict_row("chain_order", True, "sent in order: each certificate is followed by its issuer"))
    on_path = {id(c) for c in path.certs}
    anchor = path.anchor
    roots_sent = [
        i
        for i, c in enumerate(chain)
        if i > 0
        and anchor is not None
        and path.end == "trusted"
        and c.self_signed
        and (c is anchor or (c.subject, c.spki) == (anchor.subject, anchor.spki) or store.contains(c))
    ]
    if roots_sent:
        i = roots_sent[0]
        rows.append(
            verdict_row(
                "root_sent",
                False,
                f"the server sends the root {chain[i].label!r} (position {i}); clients use their own copy, "
                "so it only costs bytes in every handshake",
                "info",
                rec="drop the root from the served chain file (keep leaf + intermediates)",
            )
        )
    else:
        rows.append(verdict_row("root_sent", True, "the root is not sent"))
    extra = [i for i, c in enumerate(chain) if id(c) not in on_path and i not in roots_sent]
    if extra:
        names = ", ".join(f"{i} ({chain[i].label!r}, issued by {chain[i].cert.issuer.rfc4514_string()})" for i in extra)
        rows.append(
            verdict_row(
                "extra_certs",
                False,
                f"sent certificates that are not on the path to the leaf: {names}",
                "warning",
                rec="remove them from the chain file (often a stale intermediate from a previous CA or renewal)",
            )
        )
    else:
        rows.append(verdict_row("extra_certs", True, "every sent certificate is on the path"))

    # key, signature, CA flag
    sent_on_path = [c for c, s in zip(path.certs, path.sent, strict=True) if s]
    weak = [c for c in sent_on_path if _weak_key(c)]
    if weak:
        parts = [f"{cert_ref(c, chain)}: {c.key_type} {c.key_bits} bits" for c in weak]
        note = ""
        if any(c.key_type == "RSA" and (c.key_bits or 0) < 1024 for c in weak):
            note = "; Go 1.24+ refuses RSA keys under 1024 bits"
        rows.append(
            verdict_row(
                "weak_key",
                False,
                "; ".join(parts) + " (minimum: RSA 2048, EC P-256); clients at OpenSSL security level 2 (Debian and "
                f"Ubuntu defaults) refuse the handshake{note}",
                "warning",
                rec="reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key",
            )
        )
    else:
        rows.append(
            verdict_row("weak_key", True, "keys: " + ", ".join(f"{c.key_type} {c.key_bits}" for c in sent_on_path))
        )
    weak_sig = [c for c in sent_on_path if not c.self_signed and c.signature_hash in _WEAK_HASHES]
    if weak_sig:
        parts = [f"{cert_ref(c, chain)} is signed {c.signature_algorithm}" for c in weak_sig]
        rows.append(
            verdict_row(
                "weak_signature",
                False,
                "; ".join(parts) + ": Go 1.18+ and browsers refuse SHA-1 and MD5 certificate signatures "
                "(Go 1.18-1.23 add '(temporarily override with GODEBUG=x509sha1=1)', gone in Go 1.24)",
                go=chain_go,
                rec="reissue the certificate from a CA that signs with SHA-256 or better (every current CA does)",
            )
        )
    else:
        rows.append(
            verdict_row("weak_signature", True, "signatures: " + ", ".join(c.signature_algorithm for c in sent_on_path))
        )
    if leaf.is_ca:
        rows.append(
            verdict_row(
                "leaf_is_ca",
                False,
                "the leaf has basicConstraints CA:TRUE: Go and OpenSSL accept it, browsers and strict verifiers "
                "(RFC 5280 / CA/B Forum, cryptography) reject a CA certificate as a server certificate",
                "warning",
                rec="reissue the server certificate with basicConstraints CA:FALSE (a leaf, not a CA)",
            )
        )
    else:
        rows.append(verdict_row("leaf_is_ca", True, "the leaf is not a CA"))

    # the final yes/no
    rows.append(_path_validation(chain, store, hostname, at, go_overall))
    return rows, go_overall


def _weak_key(cert: CertFacts) -> bool:
    bits = cert.key_bits or 0
    if cert.key_type in ("RSA", "DSA"):
        return bits < 2048
    if cert.key_type.startswith("EC"):
        return bits < 224
    return False


def _path_validation(
    chain: list[CertFacts], store: TrustStore, hostname: str | None, at: dt.datetime, go_overall: str | None
) -> dict[str, Any]:
    if store.verifier_store is None:
        return verdict_row("path_validation", False, f"{store.name} has no usable root", "warning")
    leaf = chain[0]
    name = hostname.strip("[]") if hostname else (leaf.sans[0] if leaf.sans else None)
    if name is None:
        return verdict_row("path_validation", False, "no name to verify the leaf for", "warning")
    try:
        ip = as_ip(name)
        subject: x509.DNSName | x509.IPAddress = x509.IPAddress(ip) if ip is not None else x509.DNSName(name)
        verifier = PolicyBuilder().store(store.verifier_store).time(at).build_server_verifier(subject)
        verified = verifier.verify(leaf.cert, [c.cert for c in chain[1:]])
    except (VerificationError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        message = str(exc).split(" (encountered processing")[0]
        if go_overall is None:
            return verdict_row(
                "path_validation",
                False,
                f"cryptography's strict verifier rejects the chain: {message}; Go's crypto/x509 "
                "accepts it (browsers follow the strict rules)",
                "warning",
                rec="fix the defect named in the other checks so strict clients connect too",
            )
        return verdict_row(
            "path_validation",
            False,
            f"cryptography's verifier rejects the chain: {message}",
            go=go_overall,
            rec="fix the defect named in the other checks",
        )
    labels = " → ".join(cert_facts(c).label for c in verified)
    return verdict_row("path_validation", True, f"verified by cryptography: {labels}")

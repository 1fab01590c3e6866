"""Build a :class:`TlsReport`: from a chain in a file or text (:func:`diagnose_chain`), or as a probe served it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
from cryptography import x509

from apiprobe.analyze.tls._checks import store_rows
from apiprobe.analyze.tls._report import TlsReport
from apiprobe.analyze.tls._trust import TrustStore, load_stores
from apiprobe.analyze.tls._verdicts import evaluation_time, verdict_row
from apiprobe.load.certs import CertFacts, cert_facts, certs_table, read_chain
from apiprobe.schema import conform

__all__ = ["diagnose_chain", "failure_report", "served_chain_report"]

#: Go's code for the TLS versions it refuses by default (``tls: server selected unsupported protocol version``).
_OLD_VERSIONS = {"TLSv1": "301", "TLSv1.1": "302", "SSLv3": "300"}


def _verdicts(
    target: str,
    hostname: str | None,
    chain: list[CertFacts],
    stores: list[TrustStore],
    at: dt.datetime,
    lead: list[dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """The ``tls_verdicts`` table (``lead`` rows first in every store) and Go's error per store."""
    known: dict[bytes, list[str]] = {}
    for store in stores:
        for subject in store.by_subject:
            known.setdefault(subject, []).append(store.name)
    rows: list[dict[str, Any]] = []
    go_errors: dict[str, str | None] = {}
    for store in stores:
        rows_of_store = [dict(r) for r in (lead or [])]
        if store.problem is not None:
            rows_of_store.append(
                verdict_row(
                    "trust_store",
                    False,
                    store.problem,
                    "warning",
                    rec="install the CA bundle (ca-certificates) or point SSL_CERT_FILE at one",
                )
            )
            go_errors[store.name] = None
        else:
            n = len(store.roots)
            rows_of_store.append(
                verdict_row("trust_store", True, f"{n} root{'s' if n != 1 else ''} from {store.source}")
            )
            others = {k: [n for n in v if n != store.name] for k, v in known.items()}
            others = {k: v for k, v in others.items() if v}
            checks, go_errors[store.name] = store_rows(chain, store, hostname, at, others)
            rows_of_store.extend(checks)
        for r in rows_of_store:
            r["store"] = store.name
            r["target"] = target
        rows.extend(rows_of_store)
    return conform(rows, "tls_verdicts"), go_errors


def diagnose_chain(
    pem_or_path: str | bytes | os.PathLike[str],
    hostname: str | None,
    *,
    cafile: str | os.PathLike[str] | None = None,
    stores: Sequence[str] = ("certifi", "system"),
    at: dt.datetime | pd.Timestamp | str | None = None,
    target: str | None = None,
) -> TlsReport:
    """Check a certificate chain given as PEM text, bytes or a file, without any network access.

    Each row of the report's ``certs`` table is one certificate in the order
    given (the first is the leaf); each row of ``verdicts`` is one check ×
    trust store. Noise around the PEM blocks is ignored, so the output of
    ``openssl s_client -connect host:443 -showcerts`` can be pasted as is.

    Parameters
    ----------
    pem_or_path : str, bytes or path
        PEM text (anything containing ``-----BEGIN CERTIFICATE-----``), PEM or
        DER bytes, or the path of a PEM/DER file. Leaf first, as a server sends it.
    hostname : str or None
        Name the client connects to (DNS name or IP); None skips the name check.
    cafile : str or path, optional
        Extra trust store: a PEM file of roots (store name = the file's name).
    stores : sequence of str, default ("certifi", "system")
        Built-in trust stores to check against: ``"certifi"`` and/or ``"system"``.
    at : datetime, Timestamp or str, optional
        Evaluation time for the validity checks (postmortem); default now (UTC).
        A naive time is taken as UTC.
    target : str, optional
        Label for the ``target`` column; default the file path or ``<PEM text>``.

    Returns
    -------
    TlsReport
        The chain (``certs``), the verdicts per store (``verdicts``: ``target``,
        ``store``, ``check``, ``ok``, ``severity``, ``detail``, ``go_error``,
        ``recommendation``) and Go's error per store (``go_errors``).

    Raises
    ------
    DataFormatError
        No certificate in the input, a block that is not a certificate (the
        message names the source, the block number and its line), or an
        unreadable ``cafile``.
    InvalidTargetError
        Unknown store name or bad ``at``.
    InvalidParameterError
        ``pem_or_path`` is neither text, bytes nor a path.
    """
    certs, source = read_chain(pem_or_path)
    store_list = load_stores(stores, cafile)
    when = evaluation_time(at)
    label = target or source
    chain = [cert_facts(c) for c in certs]
    verdicts, go_errors = _verdicts(label, hostname, chain, store_list, when)
    return TlsReport(
        target=label,
        hostname=hostname,
        certs=certs_table(label, chain, when),
        verdicts=verdicts,
        at=when,
        chain_source="file" if source not in ("<PEM text>", "<PEM bytes>", "<DER bytes>") else source,
        go_errors=go_errors,
    )


def failure_report(
    target: str,
    hostname: str | None,
    stores: Sequence[TrustStore],
    row: dict[str, Any],
    *,
    error_kind: str,
    at: dt.datetime | None,
    **facts: Any,
) -> TlsReport:
    """The report of an endpoint that gave no chain: the one failing row, for every store.

    Parameters
    ----------
    target : str
        ``host:port``.
    hostname : str or None
        Name the chain would have been checked for.
    stores : sequence of TrustStore
        The stores asked for.
    row : dict
        The failing ``connect`` or ``handshake`` verdict row (see :func:`verdict_row`).
    error_kind : str
        Failure class from :data:`apiprobe.schema.ERROR_KINDS`.
    at : datetime or None
        Evaluation time; None is now.
    **facts
        Other :class:`TlsReport` fields measured before the failure (``ip``, ``dns_ms``, ...).

    Returns
    -------
    TlsReport
        With no certificate, ``error`` set to the row's detail and Go's error
        (the row's ``go_error``) for every store.
    """
    rows = []
    for store in stores:
        r = dict(row)
        r.update(store=store.name, target=target)
        rows.append(r)
    return TlsReport(
        target=target,
        hostname=hostname,
        certs=conform(None, "certs"),
        verdicts=conform(rows, "tls_verdicts"),
        error=str(row["detail"]),
        error_kind=error_kind,
        at=at or evaluation_time(None),
        go_errors={s.name: row.get("go_error") for s in stores},
        **facts,
    )


def served_chain_report(
    target: str,
    hostname: str | None,
    der_chain: Sequence[bytes],
    stores: Sequence[TrustStore],
    *,
    at: dt.datetime | None,
    tls_version: str | None,
    cipher: str | None,
    alpn: str | None,
    **facts: Any,
) -> TlsReport:
    """The report of a completed handshake: the chain as served, checked per store.

    Adds the ``handshake`` and ``protocol_version`` rows (Go refuses TLS older
    than 1.2) in front of the chain checks of every store.

    Parameters
    ----------
    target : str
        ``host:port``.
    hostname : str or None
        Name to check the leaf for.
    der_chain : sequence of bytes
        DER certificates exactly as the server sent them.
    stores : sequence of TrustStore
        The stores to check against.
    at : datetime or None
        Evaluation time; None is now.
    tls_version, cipher, alpn : str or None
        What the handshake negotiated.
    **facts
        Other :class:`TlsReport` fields (``ip``, ``dns_ms``, ``connect_ms``,
        ``handshake_ms``, ``chain_source``).

    Returns
    -------
    TlsReport
        A failing ``handshake`` report when the server sent no certificate or
        one that cannot be parsed.
    """
    when = at or evaluation_time(None)
    negotiated = {"tls_version": tls_version, "cipher": cipher, "alpn": alpn, **facts}

    def broken(detail: str, rec: str) -> TlsReport:
        row = verdict_row("handshake", False, detail, go=None, rec=rec)
        return failure_report(target, hostname, stores, row, error_kind="tls_error", at=when, **negotiated)

    try:
        chain = [cert_facts(x509.load_der_x509_certificate(der)) for der in der_chain]
    except ValueError as exc:
        return broken(
            f"the server sent a certificate that cannot be parsed: {exc}", "check the certificate file the server loads"
        )
    if not chain:
        return broken("the server sent no certificate", "configure a certificate on the server")
    lead = [
        verdict_row(
            "handshake",
            True,
            f"{tls_version}, {cipher}, ALPN {alpn or 'none'}, {len(chain)} certificate{'s' if len(chain) != 1 else ''} "
            "sent",
        )
    ]
    version = str(tls_version)
    if version in _OLD_VERSIONS:
        lead.append(
            verdict_row(
                "protocol_version",
                False,
                f"the server negotiated {version}; Go clients require TLS 1.2 or newer by default",
                go=f"tls: server selected unsupported protocol version {_OLD_VERSIONS[version]}",
                rec="enable TLS 1.2 and 1.3 on the server (and disable 1.0/1.1)",
            )
        )
    else:
        lead.append(verdict_row("protocol_version", True, f"{version} is current"))
    verdicts, go_errors = _verdicts(target, hostname, list(chain), list(stores), when, lead)
    return TlsReport(
        target=target,
        hostname=hostname,
        certs=certs_table(target, chain, when),
        verdicts=verdicts,
        at=when,
        go_errors=go_errors,
        **negotiated,
    )

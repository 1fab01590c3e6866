"""The vocabulary of the ``tls_verdicts`` table: the checks, one row, severity order, evaluation time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from apiprobe._time import to_utc
from apiprobe.errors import InvalidTargetError

__all__ = [
    "CHECK_LABELS",
    "EXPIRY_INFO_DAYS",
    "EXPIRY_WARN_DAYS",
    "SEVERITY_RANK",
    "TLS_CHECKS",
    "evaluation_time",
    "verdict_row",
]

#: Every check a verdict row can name, with what it looks at (table in :mod:`apiprobe.analyze.tls`).
TLS_CHECKS: dict[str, str] = {
    "connect": "name resolution and TCP connect (probe only)",
    "handshake": "the TLS handshake itself (probe only)",
    "protocol_version": "negotiated TLS version is 1.2 or newer (probe only)",
    "trust_store": "the trust store could be read",
    "expired": "no certificate of the path is past notAfter",
    "not_yet_valid": "no certificate of the path is before notBefore",
    "expiring_soon": "no certificate of the path expires within 60 days",
    "hostname_mismatch": "the leaf's subjectAltName covers the requested name",
    "missing_intermediate": "the leaf's issuer is sent or in the trust store",
    "self_signed": "the leaf is issued by a CA, not by itself",
    "untrusted_root": "the chain ends at a root that is in the trust store",
    "chain_order": "the server sends leaf, its issuer, that one's issuer, ... in order",
    "root_sent": "the server does not send the root",
    "extra_certs": "every sent certificate belongs to the path",
    "weak_key": "keys of sent certificates are RSA >= 2048 or EC >= 224 bits",
    "weak_signature": "no sent certificate is signed with SHA-1 or MD5",
    "leaf_is_ca": "the leaf is not a CA certificate",
    "path_validation": "cryptography.x509.verification accepts the chain for this store and name",
}

#: Short label of each check, for one-line summaries.
CHECK_LABELS: dict[str, str] = {
    "connect": "connection failed",
    "handshake": "TLS handshake failed",
    "protocol_version": "old TLS version",
    "trust_store": "trust store unavailable",
    "expired": "certificate expired",
    "not_yet_valid": "certificate not yet valid",
    "expiring_soon": "expiring soon",
    "hostname_mismatch": "hostname mismatch",
    "missing_intermediate": "missing intermediate",
    "self_signed": "self-signed certificate",
    "untrusted_root": "untrusted root",
    "chain_order": "chain out of order",
    "root_sent": "root sent needlessly",
    "extra_certs": "unrelated certificates sent",
    "weak_key": "weak key",
    "weak_signature": "weak signature (SHA-1/MD5)",
    "leaf_is_ca": "leaf is a CA",
    "path_validation": "rejected by the path validator",
}

#: Days before notAfter at which expiry becomes a warning, and an info.
EXPIRY_WARN_DAYS = 30.0
EXPIRY_INFO_DAYS = 60.0

#: Order of severities, most severe first (unknown severities rank 3).
SEVERITY_RANK: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}


def verdict_row(
    check: str, ok: bool, detail: str, severity: str = "critical", go: str | None = None, rec: str | None = None
) -> dict[str, Any]:
    """One ``tls_verdicts`` row (without ``store`` and ``target``).

    Parameters
    ----------
    check : str
        A :data:`TLS_CHECKS` name.
    ok : bool
        Whether the check passed.
    detail : str
        What was seen.
    severity : str, default "critical"
        ``critical``, ``warning`` or ``info``; dropped when ``ok``.
    go : str, optional
        What a Go client logs for this defect; dropped when ``ok``.
    rec : str, optional
        What to change; dropped when ``ok``.

    Returns
    -------
    dict
        Keys ``check``, ``ok``, ``severity``, ``detail``, ``go_error``, ``recommendation``.
    """
    return {
        "check": check,
        "ok": ok,
        "severity": None if ok else severity,
        "detail": detail,
        "go_error": None if ok else go,
        "recommendation": None if ok else rec,
    }


def evaluation_time(at: dt.datetime | pd.Timestamp | str | None) -> dt.datetime:
    """The time validity is checked at, as a UTC datetime; None is now (whole seconds).

    Parameters
    ----------
    at : datetime, Timestamp, str or None
        The time; a naive time is taken as UTC.

    Returns
    -------
    datetime
        tz-aware, UTC.

    Raises
    ------
    InvalidTargetError
        ``at`` is not a time.
    """
    if at is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        ts = to_utc(at)
    except (ValueError, TypeError) as exc:
        raise InvalidTargetError(f"at={at!r} is not a time: {exc}") from exc
    return ts.to_pydatetime()

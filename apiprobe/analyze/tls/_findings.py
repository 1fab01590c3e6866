"""TLS findings and the certificate expiry timeline, from :class:`TlsReport` results.

Pure functions: reports or tables in, tables out. :func:`detect_tls_faults`
turns the failing verdict rows into findings (one per target × defect, the
trust stores it fails with listed in the evidence, together with what a Go
client logs); :func:`expiry_table` lays out every certificate's validity for
an expiry timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.tls._report import ReportsOrVerdicts, TlsReport, report_tables
from apiprobe.analyze.tls._verdicts import EXPIRY_INFO_DAYS, EXPIRY_WARN_DAYS, SEVERITY_RANK
from apiprobe.schema import conform

__all__ = ["detect_tls_faults", "expiry_table"]

_DETECTOR = "detect_tls_faults"
_HANDBOOK = "§2.2"

#: Fault class (schema FAULTS) of each verdict check.
_CHECK_FAULTS: dict[str, str] = {
    "expired": "tls_expiry",
    "not_yet_valid": "tls_expiry",
    "expiring_soon": "tls_expiry",
    "hostname_mismatch": "tls_hostname",
    "missing_intermediate": "tls_chain",
    "self_signed": "tls_chain",
    "untrusted_root": "tls_chain",
    "chain_order": "tls_chain",
    "root_sent": "tls_chain",
    "extra_certs": "tls_chain",
    "path_validation": "tls_chain",
    "weak_key": "tls_weak",
    "weak_signature": "tls_weak",
    "leaf_is_ca": "tls_weak",
    "protocol_version": "tls_weak",
    "handshake": "tls_weak",
}


def _connect_fault(detail: str, kind: str | None) -> str:
    if kind in ("dns_failure", "dns_timeout", "nxdomain", "servfail") or "does not resolve" in detail:
        return "dns"
    if kind == "connect_timeout" or "within" in detail:
        return "timeout"
    return "connect_refused"


def detect_tls_faults(
    reports_or_verdicts: ReportsOrVerdicts,
    *,
    stores: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Findings from TLS reports: one per target × failing check.

    Each row is one defect of one endpoint (schema ``findings``): ``fault`` is
    ``tls_chain`` (missing intermediate, self-signed, untrusted root, order,
    root sent, extra certificates), ``tls_expiry`` (expired, not yet valid,
    expiring within 60 days), ``tls_hostname`` or ``tls_weak`` (weak key or
    signature, leaf that is a CA, TLS < 1.2, failed handshake); a connection
    that never reached TLS gives ``dns``, ``timeout`` or ``connect_refused``.
    ``evidence`` says what was seen, with which trust stores, and what a Go
    client logs; ``recommendation`` what to change. ``path_validation`` only
    becomes a finding when no named check explains the rejection.

    Parameters
    ----------
    reports_or_verdicts : TlsReport, iterable of TlsReport, or DataFrame
        Results of :func:`~apiprobe.probe.probe_tls` /
        :func:`~apiprobe.analyze.diagnose_chain`, or their ``verdicts``
        tables (schema ``tls_verdicts``) concatenated. With reports, the
        ``value`` column holds days left or key bits, and ``ts_start`` the
        evaluation time.
    stores : sequence of str, optional
        Only consider these trust stores (e.g. the one the client really uses,
        so that a private CA does not show up as untrusted by certifi).

    Returns
    -------
    DataFrame
        Schema ``findings``, most severe first: ``detector``
        (``detect_tls_faults``), ``fault``, ``severity``, ``subject`` (the
        target), ``ts_start`` and ``ts_end`` (evaluation time, with reports),
        ``metric``, ``value`` and ``threshold`` (``days_left`` in days or
        ``key_bits`` in bits, with reports), ``evidence``, ``recommendation``,
        ``handbook_ref``.
    """
    verdicts, certs, at, kinds = report_tables(reports_or_verdicts)
    if stores is not None:
        verdicts = verdicts[verdicts["store"].isin(list(stores))]
    failed = verdicts[~verdicts["ok"].fillna(True).astype(bool)]
    failed = failed[failed["check"] != "trust_store"]
    named = failed[failed["check"] != "path_validation"]
    explained = set(zip(named["target"], named["store"], strict=True))
    keep = [
        (c != "path_validation") or ((t, s) not in explained)
        for t, s, c in zip(failed["target"], failed["store"], failed["check"], strict=True)
    ]
    failed = failed[pd.Series(keep, index=failed.index, dtype=bool)]
    rows: list[dict[str, Any]] = []
    for (target, check), group in failed.groupby(["target", "check"], sort=False, dropna=False):
        ranked = group.assign(_r=group["severity"].map(SEVERITY_RANK).fillna(3)).sort_values("_r", kind="stable")
        top = ranked.iloc[0]
        target_s, check_s = str(target), str(check)
        if check_s == "connect":
            fault = _connect_fault(str(top["detail"]), kinds.get(target_s))
        elif check_s == "handshake" and kinds.get(target_s) == "tls_timeout":
            fault = "timeout"
        else:
            fault = _CHECK_FAULTS.get(check_s, "tls_chain")
        store_list = ", ".join(dict.fromkeys(str(s) for s in group["store"]))
        go = next((str(g) for g in ranked["go_error"] if not pd.isna(g)), None)
        evidence = f"{top['detail']} [trust store{'s' if ',' in store_list else ''}: {store_list}]"
        evidence += f". A Go client logs: {go}" if go else ". A Go client still connects."
        metric, value, threshold = _measure(check_s, target_s, certs)
        ts = at.get(target_s)
        rows.append(
            finding(
                _DETECTOR,
                fault,
                str(top["severity"]) if not pd.isna(top["severity"]) else "warning",
                target_s,
                metric=metric,
                value=value,
                threshold=threshold,
                evidence=evidence,
                recommendation=str(top["recommendation"]) if not pd.isna(top["recommendation"]) else "",
                handbook_ref=_HANDBOOK,
                ts_start=ts,
                ts_end=ts,
            )
        )
    return findings_frame(rows)


def _measure(check: str, target: str, certs: pd.DataFrame | None) -> tuple[str, float | None, float | None]:
    """(metric, value, threshold) of a finding; numbers only when the certificates are known."""
    mine = certs[certs["target"] == target] if certs is not None else None
    if check in ("expired", "expiring_soon") and mine is not None and len(mine):
        days = float(mine["days_left"].min())
        return "days_left", days, 0.0 if check == "expired" else EXPIRY_WARN_DAYS
    if check == "weak_key" and mine is not None and len(mine):
        rsa = mine[mine["key_type"].isin(["RSA", "DSA"])]
        if len(rsa):
            return "key_bits", float(rsa["key_bits"].min()), 2048.0
    return check, None, None


def expiry_table(
    certs: pd.DataFrame | TlsReport | Iterable[TlsReport],
) -> pd.DataFrame:
    """Every certificate's validity window, for an expiry timeline.

    Each row is one certificate of one target (duplicates of the same
    certificate for a target are dropped), sorted by ``not_after``:

    ``target``, ``position`` (0 = leaf, as sent), ``role`` (leaf, intermediate
    or root), ``subject``, ``not_before`` and ``not_after`` (UTC),
    ``days_left`` (days from the evaluation time to ``not_after``; negative:
    expired), ``status`` (``expired``, ``not_yet_valid``, ``expires_30d``,
    ``expires_60d`` or ``ok``) and ``severity`` (critical, warning, info, or
    NA when ok).

    Parameters
    ----------
    certs : DataFrame, TlsReport or iterable of TlsReport
        A ``certs`` table (schema ``certs``) or reports to take it from.

    Returns
    -------
    DataFrame
        The timeline table, columns as above (``days_left`` in days).
    """
    if isinstance(certs, pd.DataFrame):
        table = conform(certs, "certs")
    else:
        reports = [certs] if isinstance(certs, TlsReport) else list(certs)
        frames = [r.certs for r in reports]
        table = conform(pd.concat(frames, ignore_index=True) if frames else None, "certs")
    columns = ["target", "position", "role", "subject", "not_before", "not_after", "days_left", "status", "severity"]
    if table.empty:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        return out.astype(
            {
                "target": "string",
                "position": "Int64",
                "role": "string",
                "subject": "string",
                "not_before": "datetime64[ns, UTC]",
                "not_after": "datetime64[ns, UTC]",
                "days_left": "float64",
                "status": "string",
                "severity": "string",
            }
        )
    table = table.drop_duplicates(subset=["target", "sha256"], keep="first")
    # the evaluation time is implied by not_after and days_left
    at = table["not_after"] - pd.to_timedelta(table["days_left"], unit="D")
    role = pd.Series("intermediate", index=table.index, dtype="string")
    role[table["self_signed"].fillna(False).astype(bool)] = "root"
    role[table["position"] == 0] = "leaf"
    days = table["days_left"]
    status = pd.Series("ok", index=table.index, dtype="string")
    severity = pd.Series(pd.NA, index=table.index, dtype="string")
    for mask, label, sev in (
        ((days < EXPIRY_INFO_DAYS) & (days >= EXPIRY_WARN_DAYS), "expires_60d", "info"),
        ((days < EXPIRY_WARN_DAYS) & (days >= 0), "expires_30d", "warning"),
        (table["not_before"] > at, "not_yet_valid", "critical"),
        (days < 0, "expired", "critical"),
    ):
        mask = mask.fillna(False).astype(bool)
        status[mask] = label
        severity[mask] = sev
    out = pd.DataFrame(
        {
            "target": table["target"],
            "position": table["position"],
            "role": role,
            "subject": table["subject"],
            "not_before": table["not_before"],
            "not_after": table["not_after"],
            "days_left": days,
            "status": status,
            "severity": severity,
        }
    )
    return out.sort_values(["not_after", "target", "position"], kind="stable").reset_index(drop=True)

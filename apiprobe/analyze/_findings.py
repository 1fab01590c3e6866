"""Building findings tables (schema ``findings``) in one place."""

from __future__ import annotations

from typing import Any

import pandas as pd

from apiprobe._redact import redact_text
from apiprobe.schema import SEVERITIES, conform

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def finding(
    detector: str,
    fault: str,
    severity: str,
    subject: str,
    *,
    metric: str,
    value: float | None,
    threshold: float | None,
    evidence: str,
    recommendation: str,
    handbook_ref: str,
    ts_start: Any = None,
    ts_end: Any = None,
) -> dict[str, Any]:
    """One findings row as a dict (validated when the table is built).

    Every text a finding shows (subject, evidence, recommendation) goes
    through :func:`apiprobe._redact.redact_text`: findings travel into
    ``findings.json``, report pages and postmortems.
    """
    subject, evidence, recommendation = (redact_text(t) for t in (subject, evidence, recommendation))
    return {
        "detector": detector,
        "fault": fault,
        "severity": severity,
        "subject": subject,
        "ts_start": ts_start,
        "ts_end": ts_end,
        "metric": metric,
        "value": None if value is None else float(value),
        "threshold": None if threshold is None else float(threshold),
        "evidence": evidence,
        "recommendation": recommendation,
        "handbook_ref": handbook_ref,
    }


def findings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Findings table, most severe first, then by subject.

    Parameters
    ----------
    rows : list of dict
        Rows made by :func:`finding`.

    Returns
    -------
    pandas.DataFrame
        Schema ``findings`` (see :data:`apiprobe.schema.FINDINGS`), sorted by severity,
        subject and fault.
    """
    df = conform(rows, "findings")
    if df.empty:
        return df
    rank = df["severity"].map(_SEVERITY_RANK).astype("int64")
    return (
        df.assign(_rank=rank)
        .sort_values(["_rank", "subject", "fault"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def finding_window(rows: pd.DataFrame, mask: pd.Series | None = None) -> dict[str, Any]:
    """``ts_start`` / ``ts_end`` of ``rows`` (those under ``mask``), as keywords for :func:`finding`.

    Parameters
    ----------
    rows : pandas.DataFrame
        The rows a finding is about.
    mask : pandas.Series of bool, optional
        Keep only these rows (aligned on ``rows.index``).

    Returns
    -------
    dict
        ``ts_start`` and ``ts_end`` (earliest and latest ``ts``); empty when no row is
        selected or the table has no ``ts`` column.
    """
    picked = rows if mask is None else rows[mask]
    if "ts" not in picked.columns or picked.empty:
        return {}
    return {"ts_start": picked["ts"].min(), "ts_end": picked["ts"].max()}

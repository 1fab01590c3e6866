"""Building findings tables (schema ``findings``) in one place."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
    """One findings row as a dict (validated when the table is built)."""
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
    """Findings table, most severe first, then by subject."""
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

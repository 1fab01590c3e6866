"""Notebook glue for 05_status_codes: request logs, HAR files and live probes, and their display."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze._findings import findings_frame
from apiprobe.analyze.status import detect_status_misuse, status_table
from apiprobe.load.har import read_har
from apiprobe.load.logs import read_logs
from apiprobe.notebook._common import DEMO_DIR, heading, split_commas
from apiprobe.notebook._display import show_table
from apiprobe.probe.http import probe_http
from apiprobe.schema import SEVERITIES

__all__ = [
    "LAB_MISUSE_ENDPOINTS",
    "StatusEvidence",
    "detect_status_faults",
    "get_status_evidence",
    "show_status_overview",
    "show_status_table",
]


#: Fault-lab endpoints probed when ``probe_urls="lab"``: five misuses and one correct 422.
LAB_MISUSE_ENDPOINTS: tuple[str, ...] = (
    "misuse_ok_error",
    "misuse_notfound_rule",
    "misuse_500_validation",
    "misuse_403_unauth",
    "misuse_401_forbidden",
    "misuse_right_422",
)


@dataclass(frozen=True)
class StatusEvidence:
    """Answers under review, by where they came from (each may be empty).

    Attributes
    ----------
    events : pandas.DataFrame
        Request log lines, schema ``events``.
    har : pandas.DataFrame
        HAR entries, one row per request (:func:`apiprobe.load.read_har`).
    probes : pandas.DataFrame
        Live probes with their bodies, schema ``probes``.
    source : str
        Where they came from, in words.
    """

    events: pd.DataFrame
    har: pd.DataFrame
    probes: pd.DataFrame
    source: str

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The non-empty tables with a label: request logs, HAR entries, live probes.

        Returns
        -------
        list of (str, pandas.DataFrame)
            ``("request logs", events)``, ``("HAR entries", har)`` and
            ``("live probes", probes)``, the empty ones left out.
        """
        named = [("request logs", self.events), ("HAR entries", self.har), ("live probes", self.probes)]
        return [(name, df) for name, df in named if not df.empty]


def get_status_evidence(
    *,
    logs_path: str | os.PathLike[str] = "",
    har_path: str | os.PathLike[str] = "",
    probe_urls: str = "",
    service: str = "",
    count: int = 2,
) -> StatusEvidence:
    """Read request logs and/or a HAR file, and optionally probe URLs capturing their bodies.

    Parameters
    ----------
    logs_path, har_path
        Request logs (any Go logger; a file, folder or glob) and a HAR export.
    probe_urls
        Comma-separated URLs to probe with their bodies captured, or ``"lab"``
        for the fault lab's misuse endpoints (:data:`LAB_MISUSE_ENDPOINTS`).
    service
        Keep only these services' log lines (comma-separated).
    count
        Probes per URL.

    With no logs, HAR or URLs, the demo incident's logs and HAR are read and
    the fault lab is probed.

    Returns
    -------
    StatusEvidence
        The log lines, HAR entries and probes (each possibly empty) and their source.
    """
    parts: list[str] = []
    if not logs_path and not har_path and not probe_urls:
        from apiprobe.demo import DEMO_HAR_FILE

        logs_path, har_path, probe_urls = DEMO_DIR / "logs", DEMO_DIR / "har" / DEMO_HAR_FILE, "lab"
        parts.append("the built-in demo incident's logs and browser HAR")
    else:
        if logs_path:
            parts.append(f"logs from {Path(logs_path).name}")
        if har_path:
            parts.append(f"HAR {Path(har_path).name}")
    events = read_logs(logs_path) if logs_path else pd.DataFrame()
    if service and not events.empty:
        keep = set(split_commas(service))
        events = events[events["service"].isin(keep)].reset_index(drop=True)
    har = read_har(har_path) if har_path else pd.DataFrame()
    probes = pd.DataFrame()
    if probe_urls == "lab":
        from apiprobe.lab import FaultLab

        with FaultLab(tls=False, dns=False) as lab:
            probes = probe_http([lab.url(name) for name in LAB_MISUSE_ENDPOINTS], count=count, body_limit=4096)
        parts.append("live probes of the fault lab's status-code endpoints")
    elif probe_urls:
        urls = split_commas(probe_urls)
        probes = probe_http(urls, count=count, body_limit=4096)
        parts.append(f"live probes of {len(urls)} URL(s)")
    return StatusEvidence(events=events, har=har, probes=probes, source="; ".join(parts))


def detect_status_faults(evidence: StatusEvidence) -> pd.DataFrame:
    """Status-code misuse findings over every table of the evidence.

    Most severe first, then grouped by the kind of misuse (the ``metric``), so
    the routes with the same problem and the same fix are read together.

    Parameters
    ----------
    evidence : StatusEvidence
        What :func:`get_status_evidence` returned.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``) of :func:`apiprobe.analyze.detect_status_misuse`
        over each non-empty table, ordered by severity, ``metric`` and ``subject``.
    """
    rows: list[dict[str, Any]] = []
    for _name, df in evidence.tables():
        rows.extend({str(k): v for k, v in r.items()} for r in detect_status_misuse(df).to_dict(orient="records"))
    found = findings_frame(rows)
    rank = found["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    return (
        found.assign(_rank=rank)
        .sort_values(["_rank", "metric", "subject"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def show_status_overview(evidence: StatusEvidence, *, title: str = "") -> None:
    """Display what the notebook is looking at: answers per source and status class.

    Parameters
    ----------
    evidence : StatusEvidence
        What :func:`get_status_evidence` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    head = heading(title)
    rows = []
    for name, df in evidence.tables():
        status = pd.to_numeric(df["status"], errors="coerce")
        rows.append(
            {
                "source": name,
                "rows": len(df),
                "with status": int(status.notna().sum()),
                "2xx": int(status.between(200, 299).sum()),
                "4xx": int(status.between(400, 499).sum()),
                "5xx": int((status >= 500).sum()),
            }
        )
    display(HTML(head + f"<p>Data: {html.escape(evidence.source or 'nothing')}.</p>"))
    show_table(pd.DataFrame(rows), caption="Answers per source", float_format="{:.0f}")


def show_status_table(evidence: StatusEvidence, *, only_misuse: bool = True, max_rows: int = 40) -> None:
    """Display status codes per route for each source; misused ones tinted, with the right code.

    Parameters
    ----------
    evidence : StatusEvidence
        What :func:`get_status_evidence` returned.
    only_misuse : bool, default True
        Show only the (route, status) pairs that misuse a status code.
    max_rows : int, default 40
        Rows shown per source.
    """
    from IPython.display import HTML, display

    for name, df in evidence.tables():
        table = status_table(df)
        if only_misuse:
            table = table[table["misuse"].notna()]
        if table.empty:
            display(HTML(f"<p>{html.escape(name)}: no misused status codes.</p>"))
            continue
        cols = [
            c
            for c in (
                "service",
                "method",
                "route",
                "status",
                "count",
                "share",
                "misuse",
                "misuse_count",
                "recommended_status",
            )
            if c in table.columns
        ]
        show_table(
            table[cols].reset_index(drop=True),
            caption=f"{name}: status codes per route",
            max_rows=max_rows,
            float_format="{:.2f}",
            highlight=table["misuse"].notna().reset_index(drop=True),
        )

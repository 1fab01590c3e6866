"""What a triage found: the inventory, the findings, one timeline, ranked hypotheses and the windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["NotebookLink", "TriageResult"]


@dataclass(frozen=True)
class NotebookLink:
    """A per-type notebook to run next, on the right files, with its parameters filled in.

    Attributes
    ----------
    name : str
        The run's name in a report (``"09_logs_triage"``).
    notebook : str
        The notebook (``"09_logs_errors"``).
    parameters : dict
        Its papermill parameters.
    title : str
        The run's title.
    hypotheses : tuple of int
        Ranks of the hypotheses it looks into.
    """

    name: str
    notebook: str
    parameters: dict[str, Any]
    title: str
    hypotheses: tuple[int, ...] = ()


@dataclass
class TriageResult:
    """Everything :func:`apiprobe.triage` found in a folder of evidence.

    Attributes
    ----------
    path : pathlib.Path
        The folder (or file) triaged.
    inventory : pandas.DataFrame
        Schema ``inventory``: one row per file, what it is, what it covers, whether it was used and why not.
    findings : pandas.DataFrame
        Schema ``findings`` plus ``source`` (the kind of evidence), ``files`` and ``services``
        (comma-separated), from every detector that applied.
    timeline : pandas.DataFrame
        Schema ``triage_timeline``: every source on one time axis.
    hypotheses : pandas.DataFrame
        Schema ``hypotheses``: ranked causes, each with its consequences after it.
    incident, baseline : pair of pandas.Timestamp, or None
        The windows (given, or inferred: see ``window_note``).
    window_note : str
        Where the incident window came from.
    services : list of str
        Every service the evidence names.
    calls : pandas.DataFrame
        ``caller``, ``callee``, ``source``: who calls whom, as far as the evidence shows.
    impact : dict
        :func:`apiprobe.analyze.triage.incident_impact` of the incident.
    links : list of NotebookLink
        The per-type notebooks to run next, with their parameters.
    notes : list of str
        What went wrong on the way (a detector that failed on this evidence, and why).
    """

    path: Path
    inventory: pd.DataFrame
    findings: pd.DataFrame
    timeline: pd.DataFrame
    hypotheses: pd.DataFrame
    incident: tuple[pd.Timestamp, pd.Timestamp] | None
    baseline: tuple[pd.Timestamp, pd.Timestamp] | None
    window_note: str = ""
    services: list[str] = field(default_factory=list)
    calls: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["caller", "callee", "source"]))
    impact: dict[str, Any] = field(default_factory=dict)
    links: list[NotebookLink] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def root_cause(self) -> pd.Series | None:
        """The best explanation: the first root cause, else the first hypothesis that takes part; None without."""
        hyp = self.hypotheses
        for wanted in (hyp["role"] == "root cause", hyp["role"] != "unrelated"):
            picked = hyp[wanted.fillna(False).astype(bool)]
            if len(picked):
                return picked.iloc[0]
        return None

    def __repr__(self) -> str:
        used = int(self.inventory["usable"].fillna(False).sum()) if len(self.inventory) else 0
        top = "" if self.root_cause is None else f", top: {self.root_cause['title']!r}"
        return (
            f"TriageResult({str(self.path)!r}: {used} of {len(self.inventory)} files used, "
            f"{len(self.findings)} findings, {len(self.hypotheses)} hypotheses{top})"
        )

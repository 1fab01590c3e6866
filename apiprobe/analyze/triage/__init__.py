"""Triage: one incident story from every finding — the window, one timeline, ranked causes, a postmortem draft.

Pure functions over the tables the loaders and detectors make; :func:`apiprobe.triage`
reads a folder and calls them.

* :func:`incident_window` — the incident (where failures step up) and the baseline before it;
* :func:`triage_timeline` and :func:`life_events` — every source on one time axis, with the
  restarts, deploys and jobs the logs mention;
* :func:`service_calls` — who calls whom (spans, URLs in errors, a declared graph);
* :func:`rank_hypotheses` with :data:`CAUSE_RULES` — findings grouped into hypotheses and
  chained cause → consequence, each ranking explained;
* :func:`incident_impact` and :func:`postmortem` — the cost, and a draft to edit.
"""

from apiprobe.analyze.triage._graph import downstream, mentioned_services, service_calls, where
from apiprobe.analyze.triage._impact import incident_impact
from apiprobe.analyze.triage._postmortem import postmortem
from apiprobe.analyze.triage._rank import rank_hypotheses
from apiprobe.analyze.triage._result import NotebookLink, TriageResult
from apiprobe.analyze.triage._rules import CAUSE_RULES, KIND_FAULTS, ROLES, SOURCE_WEIGHTS, CauseRule
from apiprobe.analyze.triage._timeline import LIFE_EVENTS, life_events, triage_timeline
from apiprobe.analyze.triage._window import Window, error_mask, incident_window

__all__ = [
    "CAUSE_RULES",
    "KIND_FAULTS",
    "LIFE_EVENTS",
    "ROLES",
    "SOURCE_WEIGHTS",
    "CauseRule",
    "NotebookLink",
    "TriageResult",
    "Window",
    "downstream",
    "error_mask",
    "incident_impact",
    "incident_window",
    "life_events",
    "mentioned_services",
    "postmortem",
    "rank_hypotheses",
    "service_calls",
    "triage_timeline",
    "where",
]

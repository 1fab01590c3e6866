"""Report: run notebooks headless with papermill into offline HTML, ``findings.json`` and, after a triage,
``postmortem.md``.

:func:`run_report` runs any notebooks; :func:`triage_report` leads with the
triage of an evidence folder and runs the notebooks it picks; :func:`demo_runs`
is the fault lab's part of ``make demo``.
"""

from apiprobe.report._demo import demo_runs
from apiprobe.report._run import (
    NOTEBOOKS,
    NotebookRun,
    ReportResult,
    RunResult,
    export_html,
    external_scripts,
    find_notebook,
    run_report,
    write_plotly_js,
)
from apiprobe.report._triage import triage_report, triage_runs, write_triage_files

__all__ = [
    "NOTEBOOKS",
    "NotebookRun",
    "ReportResult",
    "RunResult",
    "demo_runs",
    "export_html",
    "external_scripts",
    "find_notebook",
    "run_report",
    "triage_report",
    "triage_runs",
    "write_plotly_js",
    "write_triage_files",
]

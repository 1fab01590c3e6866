# The public surface of `apiprobe.report`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.report.txt.

from apiprobe.report._demo import demo_runs as demo_runs
from apiprobe.report._run import NOTEBOOKS as NOTEBOOKS
from apiprobe.report._run import NotebookRun as NotebookRun
from apiprobe.report._run import ReportResult as ReportResult
from apiprobe.report._run import RunResult as RunResult
from apiprobe.report._run import export_html as export_html
from apiprobe.report._run import external_scripts as external_scripts
from apiprobe.report._run import find_notebook as find_notebook
from apiprobe.report._run import run_report as run_report
from apiprobe.report._run import write_plotly_js as write_plotly_js
from apiprobe.report._triage import triage_report as triage_report
from apiprobe.report._triage import triage_runs as triage_runs
from apiprobe.report._triage import write_triage_files as write_triage_files

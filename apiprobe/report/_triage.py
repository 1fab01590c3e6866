"""A triage report: notebook 00 on the evidence folder first, then the per-type notebooks triage picked."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from apiprobe._time import iso_utc
from apiprobe.analyze.triage import TriageResult, postmortem
from apiprobe.incident import triage
from apiprobe.report._run import NOTEBOOKS, NotebookRun, ReportResult, run_report

__all__ = ["triage_report", "triage_runs", "write_triage_files"]


def triage_runs(
    path: str | os.PathLike[str],
    *,
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS,
    incident: Sequence[Any] | None = None,
    baseline: Sequence[Any] | None = None,
    service: str | None = None,
    objective: float = 0.999,
    progress: bool = False,
) -> tuple[TriageResult, list[NotebookRun]]:
    """Triage ``path``, and the report runs it calls for: ``00_triage`` first, then one per notebook it links.

    Parameters
    ----------
    path : str or path-like
        The evidence folder.
    notebooks_dir : str or path-like, optional
        Where the notebooks are; default the installed ones.
    incident, baseline : pair of times, optional
        Given windows (else inferred, identically in the report's notebook 00).
    service : str, optional
        The service users call.
    objective : float, default 0.999
        The SLO.
    progress : bool, default False
        A progress bar while the files are read.

    Returns
    -------
    tuple
        The :class:`TriageResult` and the runs, in report order.
    """
    root = Path(path).resolve()
    result = triage(root, incident=incident, baseline=baseline, service=service, objective=objective, progress=progress)
    nb_dir = Path(notebooks_dir)
    params: dict[str, Any] = {"evidence_path": str(root), "objective": objective, "service": service or ""}
    if incident is not None and result.incident is not None:  # as given, in UTC
        params |= {"incident_start": iso_utc(result.incident[0]), "incident_end": iso_utc(result.incident[1])}
    if baseline is not None and result.baseline is not None:
        params |= {"baseline_start": iso_utc(result.baseline[0]), "baseline_end": iso_utc(result.baseline[1])}
    top = result.root_cause
    params["title"] = f"Triage of {root.name}" + (f": {top['title']}" if top is not None else "")
    runs = [NotebookRun(nb_dir / "00_triage.ipynb", params, name="00_triage", title=f"Triage — {root.name}")]
    for link in result.links:
        runs.append(
            NotebookRun(
                nb_dir / f"{link.notebook}.ipynb",
                {**link.parameters, "title": link.title},
                name=link.name,
                title=link.title,
            )
        )
    return result, runs


def write_triage_files(result: TriageResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``postmortem.md`` (and as a page, ``postmortem.html``) and ``triage.json`` into ``out_dir``.

    ``triage.json`` holds the windows, the impact, the inventory and the hypotheses.

    Parameters
    ----------
    result : TriageResult
        What :func:`apiprobe.triage` returned.
    out_dir : str or path-like
        The report folder (created if missing).

    Returns
    -------
    dict of str to pathlib.Path
        ``postmortem`` (the Markdown), ``postmortem_page`` (the same as an offline HTML page) and ``triage``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pm = out / "postmortem.md"
    text = postmortem(result)
    pm.write_text(text, encoding="utf-8")
    page = out / "postmortem.html"
    page.write_text(_postmortem_page(text), encoding="utf-8")
    doc = {
        "path": str(result.path),
        "incident": [iso_utc(t) for t in result.incident] if result.incident else None,
        "baseline": [iso_utc(t) for t in result.baseline] if result.baseline else None,
        "window_note": result.window_note,
        "services": result.services,
        "impact": result.impact,
        "notes": result.notes,
        "inventory": json.loads(result.inventory.to_json(orient="records", date_format="iso")),
        "hypotheses": json.loads(result.hypotheses.to_json(orient="records", date_format="iso")),
    }
    tj = out / "triage.json"
    tj.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    return {"postmortem": pm, "postmortem_page": page, "triage": tj}


_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#1d2939;line-height:1.45}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d5dd;padding:4px 8px;"
    "text-align:left;vertical-align:top}th{background:#f2f4f7}code{background:#f2f4f7;padding:0 3px}"
)


def _postmortem_page(markdown: str) -> str:
    """The draft as one offline page (no script). Its text is already HTML-escaped by :func:`postmortem`."""
    import mistune

    body = mistune.create_markdown(escape=False, plugins=["table"])(markdown)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Postmortem draft</title>'
        f"<style>{_PAGE_STYLE}</style></head><body>\n{body}</body></html>\n"
    )


def triage_report(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    incident: Sequence[Any] | None = None,
    baseline: Sequence[Any] | None = None,
    service: str | None = None,
    objective: float = 0.999,
    extra_runs: Sequence[NotebookRun] = (),
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS,
    kernel_name: str | None = None,
    log: Any = None,
    progress: bool = False,
    jobs: int | None = None,
    self_contained: bool = False,
) -> tuple[TriageResult, ReportResult]:
    """Triage a folder and write its report: ``00_triage`` first, the notebooks it picked, ``postmortem.md``.

    Parameters
    ----------
    path : str or path-like
        The evidence folder.
    out_dir : str or path-like
        The report folder.
    incident, baseline : pair of times, optional
        Given windows.
    service : str, optional
        The service users call.
    objective : float, default 0.999
        The SLO.
    extra_runs : sequence of NotebookRun, optional
        More runs after the triage's own (the demo adds the fault lab's).
    notebooks_dir : str or path-like, optional
        Where the notebooks are.
    kernel_name : str, optional
        Jupyter kernel.
    log : callable, optional
        Progress lines.
    progress : bool, default False
        A progress bar while the files are read.
    jobs : int, optional
        Notebooks run at once (None: the number of cores; see :func:`run_report`).
    self_contained : bool, default False
        plotly.js inside every page instead of one shared copy (see :func:`run_report`).

    Returns
    -------
    tuple
        The :class:`TriageResult` and the :class:`ReportResult`.
    """
    result, runs = triage_runs(
        path,
        notebooks_dir=notebooks_dir,
        incident=incident,
        baseline=baseline,
        service=service,
        objective=objective,
        progress=progress,
    )
    files = write_triage_files(result, out_dir)
    report = run_report(
        [*runs, *extra_runs],
        out_dir,
        kernel_name=kernel_name,
        log=log,
        jobs=jobs,
        self_contained=self_contained,
        attachments={
            files["postmortem_page"].name: "postmortem draft",
            files["postmortem"].name: "as Markdown",
            files["triage"].name: "triage (JSON)",
        },
    )
    return result, report

"""Report: run notebooks headless with papermill and export offline HTML.

For each run: the executed notebook (``NAME.ipynb``), its HTML export without
code cells (``NAME.html``; plotly.js embedded, no script from the internet),
then for the whole report an ``index.html`` (each run, its status, findings
count, links) and ``findings.json`` (every finding of every run). A failing
notebook still gets its HTML with the error visible; the index marks it failed.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import html
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiprobe._redact import is_secret_name, redact_strings, redact_text, redact_url
from apiprobe.errors import InvalidParameterError, ReportError
from apiprobe.notebook import FINDINGS_MIME

__all__ = [
    "NOTEBOOKS",
    "NotebookRun",
    "ReportResult",
    "RunResult",
    "export_html",
    "external_scripts",
    "find_notebook",
    "run_report",
    "write_plotly_js",
]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: The suite's notebooks, shipped inside the package (so a wheel install can run reports).
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Cells tagged with this are for interactive use (widgets) and left out of reports.
INTERACTIVE_TAG = "interactive-only"
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?P<src>[^\"' >]+)", re.IGNORECASE)


@dataclass(frozen=True)
class NotebookRun:
    """One notebook to execute with its parameters.

    Parameters
    ----------
    notebook : pathlib.Path
        The ``.ipynb`` to run (see :func:`find_notebook` for the installed ones).
    parameters : mapping, optional
        papermill parameters, injected after the notebook's ``parameters`` cell.
    name : str, optional
        Names the output files (``NAME.ipynb``, ``NAME.html``); default: the notebook's stem.
    title : str, optional
        The run's title on the index page.
    """

    notebook: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    title: str = ""

    def slug(self) -> str:
        """The stem of this run's output files: ``name``, or the notebook's stem."""
        return self.name or self.notebook.stem


@dataclass
class RunResult:
    """Outcome of one notebook run.

    Attributes
    ----------
    run : NotebookRun
        What was run.
    ok : bool
        True when every cell ran without error.
    html_path, ipynb_path : pathlib.Path or None
        The exported page and the executed notebook (None when not written).
    findings : list of dict
        The findings the notebook displayed (schema ``findings``), as JSON-ready dicts.
    error : str or None
        ``"ExceptionName: message"`` of the failing cell.
    seconds : float
        Wall time of the run.
    """

    run: NotebookRun
    ok: bool
    html_path: Path | None
    ipynb_path: Path | None
    findings: list[dict[str, Any]]
    error: str | None
    seconds: float


@dataclass
class ReportResult:
    """Outcome of a report: every run, and where the index and findings went.

    Attributes
    ----------
    out_dir : pathlib.Path
        The report folder.
    results : list of RunResult
        One per notebook run, in order.
    index_path : pathlib.Path
        ``index.html``: each run, its status, findings count and link.
    findings_path : pathlib.Path
        ``findings.json``: every finding of every run, machine-readable.
    """

    out_dir: Path
    results: list[RunResult]
    index_path: Path
    findings_path: Path

    @property
    def ok(self) -> bool:
        """True when every notebook ran without error."""
        return all(r.ok for r in self.results)


def find_notebook(name: str | os.PathLike[str]) -> Path:
    """A notebook file: ``name`` itself when it exists, else the installed notebook it names.

    Parameters
    ----------
    name : str or path-like
        A path to a ``.ipynb`` file, or the name of one of the suite's notebooks
        with or without ``.ipynb`` (``"01_latency_timeouts"``).

    Returns
    -------
    pathlib.Path
        The notebook to run.

    Raises
    ------
    ReportError
        When ``name`` is neither an existing file nor an installed notebook; the
        message lists the installed ones.
    """
    path = Path(name)
    if path.is_file():
        return path
    packaged = NOTEBOOKS / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
    if packaged.is_file():
        return packaged
    known = ", ".join(sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
    raise ReportError(f"no notebook {str(name)!r}: not a file, and not one of the installed notebooks ({known})")


def _notebook_path(name: str | os.PathLike[str]) -> Path:
    """Like :func:`find_notebook`, but a notebook that is nowhere stays as given: its run is marked failed."""
    try:
        return find_notebook(name)
    except ReportError:
        return Path(name)


def external_scripts(page: str) -> list[str]:
    """The ``src`` of every ``<script>`` in ``page`` that loads from the network.

    Parameters
    ----------
    page : str
        An HTML page.

    Returns
    -------
    list of str
        Script addresses starting with ``http:``, ``https:`` or ``//``; empty for an offline page.
    """
    return [m["src"] for m in _SCRIPT_SRC.finditer(page) if re.match(r"^(https?:)?//", m["src"], re.IGNORECASE)]


def export_html(ipynb: Path, out: Path, *, plotly_js_src: str | None = None) -> Path:
    """Export an executed notebook to offline HTML without code cells.

    Parameters
    ----------
    ipynb : pathlib.Path
        The executed notebook.
    out : pathlib.Path
        The HTML file to write.
    plotly_js_src : str, optional
        A path relative to ``out`` of a plotly.js the page loads (one copy per
        report folder, see :func:`write_plotly_js`); None puts the library inside
        the page (about 4.6 MB), so it can travel alone.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    ReportError
        When the export fails or the page would load a script from the internet.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {INTERACTIVE_TAG, "injected-parameters", "parameters"}
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(
        config=config,
        template_name="apiprobe_offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    try:
        from plotly.offline import get_plotlyjs

        nb = nbformat.read(ipynb, as_version=4)
        resources = {"plotly_js_src": plotly_js_src} if plotly_js_src else {"plotly_js": get_plotlyjs()}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    except Exception as exc:  # nbconvert raises many unrelated types
        raise ReportError(f"{ipynb}: HTML export failed: {exc}") from exc
    scripts = external_scripts(body)
    if scripts:
        raise ReportError(f"{ipynb}: the exported page would load scripts from the network: {scripts}")
    out.write_text(body, encoding="utf-8")
    return out


#: The report folder's one copy of plotly.js, loaded by every page that is not self-contained.
PLOTLY_JS = "plotly.min.js"


def write_plotly_js(out_dir: Path) -> Path:
    """Write the installed plotly.js into ``out_dir`` as :data:`PLOTLY_JS` (once per report).

    Parameters
    ----------
    out_dir : pathlib.Path
        The report folder.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from plotly.offline import get_plotlyjs

    path = out_dir / PLOTLY_JS
    path.write_text(get_plotlyjs(), encoding="utf-8")
    return path


def _collect_findings(ipynb: Path) -> list[dict[str, Any]]:
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    found: list[dict[str, Any]] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FINDINGS_MIME in data:
                payload = data[FINDINGS_MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                found.extend(payload.get("findings", []))
    return found


def _redact_notebook(ipynb: Path) -> None:
    """Rewrite an executed notebook with every output string and the parameters cell redacted.

    The last pass before anything leaves a run: the written ``.ipynb``, the
    HTML exported from it and ``findings.json`` collected from it all show
    only what :func:`apiprobe._redact.redact_strings` lets through (text,
    HTML, tracebacks, figure JSON, findings records). Images and plotly's
    binary arrays are left as they are.

    Parameters
    ----------
    ipynb : pathlib.Path
        The executed notebook, rewritten in place.

    Returns
    -------
    None
    """
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = redact_text(cell.get("source", ""))
        outputs = cell.get("outputs")
        if outputs:
            cell["outputs"] = nbformat.from_dict(redact_strings(outputs))
    nbformat.write(nb, ipynb)


def _without_interactive_cells(path: Path) -> Any:
    """The notebook with cells tagged ``interactive-only`` removed.

    Widgets need a live front end; headless, nbclient waits on their output
    messages until the cell timeout. Reports draw static figures instead.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if INTERACTIVE_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    head = next((line for line in reversed(text) if line.strip()), type(exc).__name__)
    return re.sub(r"\x1b\[[0-9;]*m", "", head)[:500]


def _run_one(
    run: NotebookRun,
    out_dir: Path,
    *,
    kernel_name: str | None,
    timeout: float,
    cwd: Path | None,
    self_contained: bool = False,
) -> RunResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    slug = run.slug()
    ipynb = out_dir / f"{slug}.ipynb"
    html_path = out_dir / f"{slug}.html"
    started = time.perf_counter()
    error: str | None = None
    if not run.notebook.is_file():
        return RunResult(run, False, None, None, [], f"notebook not found: {run.notebook}", 0.0)
    try:
        papermill.execute_notebook(
            _without_interactive_cells(run.notebook),
            str(ipynb),
            parameters=dict(run.parameters),
            kernel_name=kernel_name,
            progress_bar=False,
            execution_timeout=timeout,
            cwd=str(cwd or Path.cwd()),
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel death, timeout, bad parameters: all mark the run failed
        error = _error_text(exc)
    findings: list[dict[str, Any]] = []
    out_html: Path | None = None
    if error is not None:
        error = redact_text(error)
    if ipynb.is_file():
        _redact_notebook(ipynb)
        findings = _collect_findings(ipynb)
        try:
            out_html = export_html(ipynb, html_path, plotly_js_src=None if self_contained else PLOTLY_JS)
        except ReportError as exc:
            error = error or str(exc)
    return RunResult(
        run, error is None, out_html, ipynb if ipynb.is_file() else None, findings, error, time.perf_counter() - started
    )


def _show_value(name: str, value: Any) -> str:
    if is_secret_name(name):
        return "[REDACTED]"
    if isinstance(value, str):
        return redact_url(value) if "://" in value else value
    if isinstance(value, list | tuple):
        return ", ".join(_show_value(name, v) for v in value)
    return json.dumps(value)


def _index_page(results: Sequence[RunResult], generated: str, extras: Sequence[str] = ()) -> str:
    rows = []
    for r in results:
        counts: dict[str, int] = {}
        for f in r.findings:
            counts[str(f.get("severity"))] = counts.get(str(f.get("severity")), 0) + 1
        badge = "".join(
            f'<span class="sev {html.escape(k)}">{v} {html.escape(k)}</span> '
            for k, v in sorted(
                counts.items(),
                key=lambda kv: (
                    ("critical", "warning", "info").index(kv[0]) if kv[0] in ("critical", "warning", "info") else 9
                ),
            )
        )
        link = (
            f'<a href="{html.escape(r.html_path.name)}">{html.escape(r.run.title or r.run.slug())}</a>'
            if r.html_path
            else html.escape(r.run.title or r.run.slug())
        )
        params = "<br>".join(
            f"<code>{html.escape(k)}</code> = {html.escape(_show_value(k, v))}" for k, v in r.run.parameters.items()
        )
        status = (
            '<span class="ok">ok</span>'
            if r.ok
            else f'<span class="failed">failed</span><br><small>{html.escape(r.error or "")}</small>'
        )
        rows.append(
            f"<tr><td>{link}<br><small>{html.escape(r.run.notebook.name)}</small></td>"
            f"<td>{status}</td><td>{len(r.findings)} {badge}</td>"
            f"<td>{r.seconds:.1f} s</td><td><small>{params}</small></td></tr>"
        )
    top = []
    for r in results:
        for f in r.findings:
            if f.get("severity") in ("critical", "warning"):
                top.append(
                    f'<tr><td><span class="sev {html.escape(str(f.get("severity")))}">'
                    f"{html.escape(str(f.get('severity')))}</span></td>"
                    f"<td>{html.escape(r.run.title or r.run.slug())}</td><td>{html.escape(str(f.get('fault')))}</td>"
                    f"<td>{html.escape(str(f.get('subject')))}</td><td>{html.escape(str(f.get('evidence')))}</td></tr>"
                )
    n_failed = sum(not r.ok for r in results)
    summary = f"{len(results)} notebook(s), {n_failed} failed, {sum(len(r.findings) for r in results)} finding(s)"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>apiprobe report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #1d2939; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2em; }}
th, td {{ border-bottom: 1px solid #d0d5dd; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f2f4f7; }}
.ok {{ color: #067647; font-weight: 600; }} .failed {{ color: #b42318; font-weight: 600; }}
.sev {{ border-radius: 8px; padding: 1px 6px; font-size: 12px; color: white; }}
.critical {{ background: #b42318; }} .warning {{ background: #b54708; }} .info {{ background: #175cd3; }}
</style></head><body>
<h1>apiprobe report</h1>
<p>Generated {html.escape(generated)} · {html.escape(summary)} ·
machine-readable: <a href="findings.json">findings.json</a>{"".join(extras)}</p>
<h2>Notebooks</h2>
<table><tr><th>Notebook</th><th>Status</th><th>Findings</th><th>Run time</th><th>Parameters</th></tr>
{"".join(rows)}</table>
<h2>Critical and warning findings</h2>
{
        "<table><tr><th>Severity</th><th>Notebook</th><th>Fault</th><th>Subject</th><th>Evidence</th></tr>"
        + "".join(top)
        + "</table>"
        if top
        else "<p>None.</p>"
    }
</body></html>
"""


def _run_all(
    items: Sequence[NotebookRun],
    out: Path,
    *,
    kernel_name: str | None,
    timeout: float,
    cwd: str | os.PathLike[str] | None,
    log: Any,
    jobs: int,
    self_contained: bool,
) -> list[RunResult]:
    """Run every item, ``jobs`` at a time (each in its own kernel); results in the order of ``items``."""
    total = len(items)
    lock = threading.Lock()
    finished = 0

    def one(i: int, run: NotebookRun) -> RunResult:
        nonlocal finished
        if log:
            with lock:
                log(f"[{i}/{total}] running {run.notebook.name} as {run.slug()} ...")
        result = _run_one(
            run,
            out,
            kernel_name=kernel_name,
            timeout=timeout,
            cwd=Path(cwd) if cwd else None,
            self_contained=self_contained,
        )
        if log:
            with lock:
                finished += 1
                state = "ok" if result.ok else f"FAILED: {result.error}"
                log(
                    f"[{i}/{total}] {run.slug()}: {state} ({len(result.findings)} findings, {result.seconds:.1f} s; "
                    f"{finished} of {total} done)"
                )
        return result

    if jobs <= 1 or total == 1:
        return [one(i, run) for i, run in enumerate(items, 1)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, total), thread_name_prefix="report") as pool:
        futures = [pool.submit(one, i, run) for i, run in enumerate(items, 1)]
        return [f.result() for f in futures]


def run_report(
    runs: Iterable[NotebookRun | str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    kernel_name: str | None = None,
    timeout: float = 900.0,
    cwd: str | os.PathLike[str] | None = None,
    log: Any = None,
    attachments: Mapping[str, str] | None = None,
    jobs: int | None = None,
    self_contained: bool = False,
) -> ReportResult:
    """Execute notebooks and write an offline HTML report to ``out_dir``.

    Parameters
    ----------
    runs
        Notebooks (paths, or names of installed ones) or :class:`NotebookRun` entries with parameters.
    out_dir
        Directory for the executed notebooks, HTML pages, ``index.html`` and
        ``findings.json`` (created if missing).
    kernel_name
        Jupyter kernel to run with (default: the notebook's own, usually ``python3``).
    timeout
        Seconds a single cell may run.
    cwd
        Working directory of the kernels, where relative paths in parameters resolve (default: the current one).
    log
        Callable taking a line of progress text (e.g. ``print``); None is silent.
    attachments
        Files already in ``out_dir`` to link from the index, name → label
        (``{"postmortem.md": "postmortem draft"}``).
    jobs
        Notebooks run at once, each in its own kernel (None: the number of cores).
        Pages, ``index.html`` and ``findings.json`` come out the same whatever the
        number; one failed run never stops the others.
    self_contained
        Put plotly.js inside every page (about 4.6 MB each) so a page can be mailed
        alone. By default the pages share one copy in ``out_dir`` (:data:`PLOTLY_JS`);
        both ways load nothing from the internet.

    Returns
    -------
    ReportResult
        ``.ok`` is False when any notebook failed; the report is written regardless.

    Raises
    ------
    InvalidParameterError
        When ``out_dir`` is an existing file, or cannot be created, or ``jobs`` is below 1.
    """
    if jobs is not None and jobs < 1:
        raise InvalidParameterError(f"jobs must be at least 1, got {jobs!r}")
    jobs = jobs or os.cpu_count() or 1
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"out_dir: {out} is a file, not a directory; name a new or existing directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(f"out_dir: cannot create {out}: {exc.strerror or exc}") from exc
    items = [r if isinstance(r, NotebookRun) else NotebookRun(_notebook_path(r)) for r in runs]
    if not items:
        raise ReportError("no notebooks to run")
    slugs = [r.slug() for r in items]
    if len(set(slugs)) != len(slugs):
        raise ReportError(f"two runs would write the same files: {sorted(s for s in slugs if slugs.count(s) > 1)}")
    # Kernels inherit the environment: no progress widgets in reports.
    saved = os.environ.get("APIPROBE_PROGRESS")
    os.environ["APIPROBE_PROGRESS"] = "0"
    try:
        if not self_contained:
            write_plotly_js(out)
        results = _run_all(
            items,
            out,
            kernel_name=kernel_name,
            timeout=timeout,
            cwd=cwd,
            log=log,
            jobs=jobs,
            self_contained=self_contained,
        )
    finally:
        if saved is None:
            os.environ.pop("APIPROBE_PROGRESS", None)
        else:
            os.environ["APIPROBE_PROGRESS"] = saved
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    index = out / "index.html"
    extras = [
        f' · {html.escape(label)}: <a href="{html.escape(name)}">{html.escape(name)}</a>'
        for name, label in (attachments or {}).items()
    ]
    index.write_text(_index_page(results, generated, extras), encoding="utf-8")
    findings_path = out / "findings.json"
    payload = {
        "generated": generated,
        "ok": all(r.ok for r in results),
        "runs": [
            {
                "name": r.run.slug(),
                "title": r.run.title,
                "notebook": r.run.notebook.name,
                "ok": r.ok,
                "error": r.error,
                "html": r.html_path.name if r.html_path else None,
                "parameters": {k: _show_value(k, v) for k, v in r.run.parameters.items()},
                "seconds": round(r.seconds, 3),
                "findings": len(r.findings),
            }
            for r in results
        ],
        "findings": [{"run": r.run.slug(), **f} for r in results for f in r.findings],
    }
    findings_path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return ReportResult(out, results, index, findings_path)

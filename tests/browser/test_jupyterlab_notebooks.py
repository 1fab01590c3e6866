"""Every notebook, run in a real JupyterLab in headless Chromium, as a `make lab` user runs it.

For each ``notebooks/*.ipynb`` (default parameters, so the built-in demo data):
open it in JupyterLab, wait for the kernel, choose *Run → Run All Cells* in the
menu bar, wait until the kernel is idle and no cell is pending, then check that

* no cell has an error output and every code cell ran (has an execution count);
* every plotly figure the kernel published was drawn by plotly.js (an SVG in
  each ``.jp-RenderedPlotly`` output), and notebooks that draw figures drew at
  least one;
* every explorer (an ipywidgets box with the CSS class ``apiprobe-explorer``)
  reacts: changing its first dropdown changes what its output shows;

and save a screenshot of the whole notebook (printed path; run with ``-s``).
"""

from __future__ import annotations

import re
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jupyter_helpers import NOTEBOOKS_DIR, LabServer, PageLog

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed (the dev extra: pip install -c constraints.txt -e '.[dev]')",
)
if not (shutil.which("chromium") or shutil.which("chromium-browser")):
    pytest.skip(
        "Chromium is not installed (CI installs Debian's chromium: .ci/run); no browser is downloaded",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

#: Notebook stem → the fewest ``.apiprobe-explorer`` widgets it must show.
EXPECTED_EXPLORERS: dict[str, int] = {
    "01_latency_timeouts": 1,
    "02_tls_certificates": 1,
    "05_status_codes": 1,
    "06_pool_exhaustion": 1,
    "07_profiles": 1,
    "08_tracing": 1,
    "09_logs_errors": 1,
}

#: Notebooks that draw no figure with their default parameters (tables and findings only).
WITHOUT_FIGURES: frozenset[str] = frozenset({"04_serialization"})

PLOTLY_MIME = "application/vnd.plotly.v1+json"

#: Seconds allowed for each wait; generous (2 shared cores), never an assertion about speed.
KERNEL_IDLE_TIMEOUT_S = 180.0
RUN_ALL_TIMEOUT_S = 600.0
FIGURES_DRAWN_TIMEOUT_S = 120.0
EXPLORER_TIMEOUT_S = 120.0

#: Tallest screenshot (px); a longer notebook is cut at the bottom.
SCREENSHOT_MAX_HEIGHT = 30000

#: The state of the notebook in the current tab: its path, kernel, prompts and each code cell's outputs.
NOTEBOOK_STATE_JS = (
    """
() => {
  const panel = window.jupyterapp?.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context) return null;
  const kernel = panel.sessionContext.session?.kernel ?? null;
  const cells = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs.toJSON();
    const text = (t) => (Array.isArray(t) ? t.join('') : String(t ?? ''));
    cells.push({
      index,
      source: cell.model.sharedModel.getSource().split('\\n')[0].slice(0, 120),
      prompt: (cell.node.querySelector('.jp-InputPrompt')?.textContent ?? '').trim(),
      count: cell.model.executionCount,
      errors: outputs.filter((o) => o.output_type === 'error').map((o) => ({
        ename: o.ename, evalue: o.evalue, traceback: (o.traceback ?? []).join('\\n'),
      })),
      stderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => text(o.text)),
      figures: outputs.filter((o) => o.data && '"""
    + PLOTLY_MIME
    + """' in o.data).length,
    });
  });
  return {
    path: panel.context.path,
    kernel: kernel ? kernel.status : null,
    kernelName: kernel ? kernel.name : null,
    indicator: panel.node.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status ?? null,
    cells,
  };
}
"""
)

#: plotly outputs in the current notebook and how many of them plotly.js has drawn (an SVG inside).
FIGURES_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const plots = [...panel.node.querySelectorAll('.jp-RenderedPlotly')];
  return {
    outputs: plots.length,
    drawn: plots.filter((p) => p.querySelector('.plot-container .main-svg')).length,
    jsPlotly: panel.node.querySelectorAll('.js-plotly-plot').length,
  };
}
"""

#: What an explorer shows: the text of its output area(s) and the data of the plotly figures in them.
#: Its ipywidgets ``Output`` (``.widget-output``) when it has one, else its last child.
EXPLORER_VIEW_JS = """
(el) => {
  const found = el.querySelectorAll('.widget-output');
  const areas = found.length ? [...found] : [el.lastElementChild].filter(Boolean);
  return areas.map((a) => {
    const plots = [...a.querySelectorAll('.js-plotly-plot')].map((gd) => JSON.stringify(gd.data ?? null));
    return a.textContent + '\\u0001' + plots.join('\\u0002');
  }).join('\\u0003');
}
"""

#: Height of the notebook's content and of its scrolling viewport, for a screenshot of all of it.
NOTEBOOK_HEIGHT_JS = """
() => {
  const outer = window.jupyterapp.shell.currentWidget.node.querySelector('.jp-WindowedPanel-outer');
  const cells = outer ? outer.querySelectorAll('.jp-Cell') : [];
  if (!cells.length) return [0, 0];
  outer.scrollTop = 0;
  const bottom = cells[cells.length - 1].getBoundingClientRect().bottom - outer.getBoundingClientRect().top;
  return [Math.ceil(bottom), outer.clientHeight];
}
"""

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EXCEPTION_LINE = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b: ")


def notebook_state(page: Page) -> dict[str, Any] | None:
    """Read the open notebook's state through ``window.jupyterapp``.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page showing a JupyterLab notebook.

    Returns
    -------
    dict or None
        ``path``, ``kernel`` (status), ``kernelName``, ``indicator`` (the toolbar's kernel
        status), and ``cells``: per code cell its notebook ``index``, first ``source`` line,
        ``prompt`` text (``[3]:``, ``[*]:``, ``[ ]:``), execution ``count``, ``errors``,
        ``stderr`` texts and number of plotly ``figures``. ``None`` before the notebook exists.
    """
    return page.evaluate(NOTEBOOK_STATE_JS)


def wait_until(
    page: Page,
    check: Callable[[], Any],
    timeout: float,
    what: str,
    describe: Callable[[], Any] | None = None,
    interval: float = 0.5,
    stable: int = 1,
) -> Any:
    """Poll ``check()`` until it returns something true, ``stable`` times in a row.

    Parameters
    ----------
    page : playwright.sync_api.Page
        The page (waits run through it, so its events are processed).
    check : callable
        Returns a true value when the wait is over.
    timeout : float
        Seconds before failing.
    what : str
        What is awaited, for the failure message.
    describe : callable, optional
        Returns the current state for the failure message.
    interval : float, default 0.5
        Seconds between polls.
    stable : int, default 1
        How many consecutive true polls are needed.

    Returns
    -------
    Any
        The last value ``check()`` returned.
    """
    deadline = time.monotonic() + timeout
    streak = 0
    while True:
        value = check()
        streak = streak + 1 if value else 0
        if streak >= stable:
            return value
        if time.monotonic() > deadline:
            state = describe() if describe else value
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last state: {state}")
        page.wait_for_timeout(interval * 1000)


def run_finished(state: dict[str, Any] | None) -> bool:
    """Whether *Run All Cells* is over: kernel idle, no cell pending, and cells ran or one failed.

    Parameters
    ----------
    state : dict or None
        :func:`notebook_state`.

    Returns
    -------
    bool
        True when nothing more will run.
    """
    if not state or state["kernel"] != "idle" or state["indicator"] not in (None, "idle"):
        return False
    cells = state["cells"]
    if any(c["prompt"] == "[*]:" for c in cells):
        return False
    ran = [c for c in cells if c["count"] is not None]
    # after an error JupyterLab drops the cells still queued: their prompt goes back to [ ]
    return bool(ran) and (len(ran) == len(cells) or any(c["errors"] for c in cells))


def format_errors(state: dict[str, Any], code_cells: int) -> str:
    """The error outputs of a run, one block per failing cell.

    Parameters
    ----------
    state : dict
        :func:`notebook_state`.
    code_cells : int
        How many code cells the notebook has.

    Returns
    -------
    str
        ``code cell k/N (notebook cell i) `first line`: Ename: evalue`` and the traceback's end.
    """
    blocks = []
    for k, cell in enumerate(state["cells"], 1):
        for err in cell["errors"]:
            tb = ANSI.sub("", err["traceback"]).strip().splitlines()[-15:]
            blocks.append(
                f"code cell {k}/{code_cells} (notebook cell {cell['index']}) `{cell['source']}`: "
                f"{err['ename']}: {err['evalue']}\n    " + "\n    ".join(tb)
            )
    return "\n".join(blocks)


def run_all_cells(page: Page) -> None:
    """Choose *Run → Run All Cells* in JupyterLab's menu bar, as a user does.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page showing a notebook whose kernel is idle.
    """
    page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()


def explorer_view(explorer: Locator) -> str:
    """What an explorer shows right now.

    Parameters
    ----------
    explorer : playwright.sync_api.Locator
        One ``.apiprobe-explorer`` element.

    Returns
    -------
    str
        The text of its output area(s) and the JSON of the plotly traces drawn in them.
    """
    return explorer.evaluate(EXPLORER_VIEW_JS)


def settled_view(page: Page, explorer: Locator, timeout: float, what: str) -> str:
    """Wait until an explorer's view stops changing (same for 1.5 s) and the kernel is idle.

    Parameters
    ----------
    page : playwright.sync_api.Page
        The page.
    explorer : playwright.sync_api.Locator
        The explorer.
    timeout : float
        Seconds before failing.
    what : str
        For the failure message.

    Returns
    -------
    str
        The settled :func:`explorer_view`.
    """
    last: list[str] = [explorer_view(explorer)]

    def same() -> bool:
        now = explorer_view(explorer)
        state = notebook_state(page)
        unchanged = now == last[0] and state is not None and state["kernel"] == "idle"
        last[0] = now
        return unchanged

    wait_until(page, same, timeout, what, interval=0.5, stable=3)
    return last[0]


def exercise_explorer(page: Page, explorer: Locator, label: str) -> str:
    """Change an explorer's first dropdown to another option and check its output follows.

    Parameters
    ----------
    page : playwright.sync_api.Page
        The page.
    explorer : playwright.sync_api.Locator
        One ``.apiprobe-explorer`` element.
    label : str
        Names the explorer in messages.

    Returns
    -------
    str
        ``'old' → 'new'``: the dropdown values before and after.
    """
    explorer.scroll_into_view_if_needed()
    select = explorer.locator("select").first
    assert select.count() == 1, f"{label} has no dropdown (<select>) to change"
    before = settled_view(page, explorer, EXPLORER_TIMEOUT_S, f"{label} to settle before the change")
    assert before.strip("\x01\x02\x03"), f"{label} shows nothing before any change"
    values: list[str] = select.evaluate("(s) => [...s.options].map((o) => o.value)")
    current = select.input_value()
    others = [v for v in values if v != current]
    assert others, f"{label}: its first dropdown has only one option ({values})"
    texts = select.evaluate(
        "(s) => Object.fromEntries([...s.options].map((o) => [o.value, o.textContent.replace(/\\u00a0/g, ' ')]))"
    )
    select.select_option(others[0])
    wait_until(
        page,
        lambda: explorer_view(explorer) != before,
        EXPLORER_TIMEOUT_S,
        f"{label}'s output to change after choosing {texts[others[0]]!r} (was {texts[current]!r})",
        lambda: f"the output still shows {before[:300]!r}…",
    )
    after = settled_view(page, explorer, EXPLORER_TIMEOUT_S, f"{label} to settle after the change")
    assert after != before, f"{label}: the output went back to what it was before choosing {texts[others[0]]!r}"
    assert after.strip("\x01\x02\x03"), f"{label} shows nothing after choosing {texts[others[0]]!r}"
    for stderr in explorer.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_text_contents():
        assert not EXCEPTION_LINE.search(stderr), f"{label} shows an error after the change:\n{stderr[-3000:]}"
    return f"{texts[current]!r} → {texts[others[0]]!r}"


def screenshot_whole_notebook(page: Page, path: Path) -> None:
    """Save a screenshot of the whole notebook, not only the part in view.

    JupyterLab scrolls inside the page, so a "full page" screenshot shows one
    screen; the viewport is made as tall as the notebook's cells first (at most
    :data:`SCREENSHOT_MAX_HEIGHT`) and the file browser is folded away.

    Parameters
    ----------
    page : playwright.sync_api.Page
        The page showing the notebook.
    path : pathlib.Path
        The PNG file to write.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    width = page.viewport_size["width"] if page.viewport_size else 1400
    height = page.viewport_size["height"] if page.viewport_size else 900
    for _ in range(5):  # cells drawn for the first time can change the notebook's height: measure again
        content, view = page.evaluate(NOTEBOOK_HEIGHT_JS)
        wanted = max(300, min(height + content - view + 40, SCREENSHOT_MAX_HEIGHT))
        if abs(wanted - height) < 20:
            break
        height = wanted
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1500)  # layout and plotly's resize handlers
    page.screenshot(path=str(path), full_page=True)


def test_every_notebook_is_covered() -> None:
    """The expectations name real notebooks (a renamed notebook must not drop its checks silently)."""
    stems = {p.stem for p in NOTEBOOKS}
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOKS_DIR}"
    assert set(EXPECTED_EXPLORERS) <= stems, set(EXPECTED_EXPLORERS) - stems
    assert stems >= WITHOUT_FIGURES, WITHOUT_FIGURES - stems


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the notebooks' screenshots go (under pytest's temporary folder).

    Returns
    -------
    pathlib.Path
        A new folder ``jupyterlab-screenshotsN``.
    """
    return tmp_path_factory.mktemp("jupyterlab-screenshots")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_jupyterlab(
    notebook: Path,
    jupyter_lab: LabServer,
    lab_page: tuple[Page, PageLog],
    screenshot_dir: Path,
    record_property: Any,
) -> None:
    """Run All Cells in JupyterLab: no error, every figure drawn, every explorer reacts."""
    page, page_log = lab_page
    try:
        results = run_and_check_notebook(page, jupyter_lab, notebook, screenshot_dir)
    except BaseException:
        shot = screenshot_dir / f"{notebook.stem}-failed.png"
        page.screenshot(path=str(shot))  # the screen as it was when the check failed
        print(f"\n{notebook.name} failed; screenshot: {shot}")
        raise
    for key, value in results.items():
        record_property(key, value)
    print(
        f"\n{notebook.name}: {results['code_cells']} code cells ran; {results['figures_published']} figures "
        f"published by cells, {results['plotly_drawn']} plotly outputs drawn (.js-plotly-plot: "
        f"{results['js_plotly_plot']}); {results['explorers']} explorer(s) {results['explorer_changes']}; "
        f"open {results['open_s']} s, run all {results['run_all_s']} s, explorers {results['explorers_s']} s, "
        f"total {results['total_s']} s; browser console errors: {len(page_log.console_errors)}"
        f"\n  screenshot: {results['screenshot']}"
    )
    if page_log.page_errors:
        warnings.warn(
            f"uncaught errors in the page while {notebook.name} ran: {page_log.page_errors[:5]}", stacklevel=1
        )


def run_and_check_notebook(page: Page, lab: LabServer, notebook: Path, screenshot_dir: Path) -> dict[str, Any]:
    """Open a notebook in JupyterLab, run all cells, check outputs, figures and explorers, take a screenshot.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A fresh page.
    lab : LabServer
        The server whose root holds a copy of ``notebook``.
    notebook : pathlib.Path
        The notebook in ``notebooks/`` (its name is opened from the server's copy).
    screenshot_dir : pathlib.Path
        Where ``<stem>.png`` is written.

    Returns
    -------
    dict
        What was found and how long each step took (for ``record_property`` and the printed line).
    """
    name, stem = notebook.name, notebook.stem
    log_offset = lab.log.stat().st_size if lab.log.exists() else 0
    t0 = time.monotonic()

    page.goto(lab.lab_url(name, workspace=f"test-{stem}"))

    def ready() -> bool:
        state = notebook_state(page)
        return state is not None and state["path"] == name and state["kernel"] == "idle"

    wait_until(page, ready, KERNEL_IDLE_TIMEOUT_S, f"{name} to open with an idle kernel", lambda: notebook_state(page))
    state = notebook_state(page)
    assert state is not None and state["kernelName"] == "python3", state
    assert not any(c["count"] for c in state["cells"]), "the copy of the notebook was not stripped"
    t_open = time.monotonic() - t0

    def progress() -> dict[str, Any]:
        now = notebook_state(page) or {"cells": []}
        return {k: v for k, v in now.items() if k != "cells"} | {"prompts": [c["prompt"] for c in now["cells"]]}

    run_all_cells(page)
    state = wait_until(
        page,
        lambda: (s := notebook_state(page)) and run_finished(s) and s,
        RUN_ALL_TIMEOUT_S,
        f"Run All Cells to finish in {name}",
        progress,
        stable=2,
    )
    t_run = time.monotonic() - t0 - t_open
    cells = state["cells"]

    errors = format_errors(state, len(cells))
    assert not errors, f"{name}: error output in JupyterLab:\n{errors}"
    not_run = [f"code cell {k} `{c['source']}`" for k, c in enumerate(cells, 1) if c["count"] is None]
    assert not not_run, f"{name}: cells without an execution count: {not_run}"
    stderr = [f"code cell {k}: {t.strip()[:500]}" for k, c in enumerate(cells, 1) for t in c["stderr"] if t.strip()]
    if stderr:  # warnings are not failures, but users see them: make them visible in the test summary too
        warnings.warn(f"{name} writes to stderr in JupyterLab:\n" + "\n".join(stderr), stacklevel=1)

    published = sum(c["figures"] for c in cells)
    figures = wait_until(
        page,
        lambda: (f := page.evaluate(FIGURES_JS)) and f["drawn"] == f["outputs"] >= published and f,
        FIGURES_DRAWN_TIMEOUT_S,
        f"plotly.js to draw the {published} figures of {name}",
        lambda: page.evaluate(FIGURES_JS),
    )
    if stem not in WITHOUT_FIGURES:
        assert published >= 1, f"{name} published no plotly figure (add it to WITHOUT_FIGURES if that is right)"

    explorers = page.locator(".apiprobe-explorer")
    found, expected = explorers.count(), EXPECTED_EXPLORERS.get(stem, 0)
    assert found >= expected, f"{name}: {found} .apiprobe-explorer widget(s), expected at least {expected}"
    changes = [exercise_explorer(page, explorers.nth(i), f"{name} explorer {i + 1}") for i in range(found)]
    t_explore = time.monotonic() - t0 - t_open - t_run

    shot = screenshot_dir / f"{stem}.png"
    screenshot_whole_notebook(page, shot)

    new_log = lab.log.read_bytes()[log_offset:].decode(errors="replace")
    if "Traceback (most recent call last)" in new_log:
        warnings.warn(f"the server/kernel log has a traceback while {name} ran:\n{new_log[-4000:]}", stacklevel=1)

    return {
        "code_cells": len(cells),
        "figures_published": published,
        "plotly_drawn": figures["drawn"],
        "js_plotly_plot": figures["jsPlotly"],
        "explorers": found,
        "explorer_changes": "; ".join(changes),
        "open_s": round(t_open, 1),
        "run_all_s": round(t_run, 1),
        "explorers_s": round(t_explore, 1),
        "total_s": round(time.monotonic() - t0, 1),
        "screenshot": str(shot),
    }

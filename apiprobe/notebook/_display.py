"""Display for notebooks: plotly set-up for offline reports, escaped tables, findings cards.

Findings are displayed with a machine-readable twin (MIME type
:data:`FINDINGS_MIME`) that :mod:`apiprobe.report` collects into ``findings.json``.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd

from apiprobe._redact import redact_strings, redact_text, redact_value
from apiprobe.errors import ApiprobeError
from apiprobe.schema import validate

__all__ = ["FINDINGS_MIME", "HTML_RENDERER", "setup_notebook", "show_findings", "show_table"]

#: MIME type of the findings records a notebook publishes for the report.
FINDINGS_MIME = "application/vnd.apiprobe.findings+json"

_SEVERITY_STYLE = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}


#: Name of the plotly renderer registered by :func:`setup_notebook`.
HTML_RENDERER = "apiprobe_offline_html"


def _register_renderer() -> None:
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class OfflineHtmlRenderer(MimetypeRenderer):
        """Each figure as plotly's mimetype and as a ``text/html`` div that loads nothing, secrets redacted.

        JupyterLab draws the mimetype interactively; the HTML export uses the
        div (plotly's own ``notebook`` renderer hard-codes MathJax from a CDN;
        the report template puts plotly.js inline in the page head once, so
        every figure finds ``window.Plotly``). Every string of the figure —
        hover texts, labels, titles — passes through
        :func:`apiprobe._redact.redact_strings` first.
        """

        def to_mimebundle(self, fig_dict: Any) -> dict[str, Any]:
            clean = redact_strings(json.loads(pio.to_json(fig_dict, validate=False, remove_uids=False)))
            clean["config"] = {"displaylogo": False}
            page = pio.to_html(
                _plain_arrays(clean),
                include_plotlyjs=False,
                include_mathjax=False,
                full_html=False,
                default_width="100%",
                default_height=525,
                config={"displaylogo": False},
                validate=False,
            )
            return {"application/vnd.plotly.v1+json": clean, "text/html": page}

    pio.renderers[HTML_RENDERER] = OfflineHtmlRenderer()


def _plain_arrays(value: Any) -> Any:
    """plotly's base64 typed arrays (``{"dtype", "bdata"}``) as plain lists of numbers.

    The ``text/html`` twin of a figure is a string, and strings pass through
    redaction again when a report is written: a base64 run that happens to
    look like a secret (an AWS key, a ``key=value``) would be cut and the
    figure would fail to draw (``RangeError: byte length of Float64Array``).
    Numbers as JSON text cannot be mistaken for secrets.
    """
    if isinstance(value, dict):
        if isinstance(value.get("bdata"), str) and isinstance(value.get("dtype"), str):
            import base64

            import numpy as np

            arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            shape = value.get("shape")
            if shape:
                dims = [int(d) for d in str(shape).split(",")] if isinstance(shape, str) else list(shape)
                arr = arr.reshape(dims)
            return arr.tolist()
        return {k: _plain_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_arrays(v) for v in value]
    return value


def setup_notebook() -> None:
    """Configure plotly so figures show in JupyterLab and in offline HTML reports.

    Each figure is published twice: as plotly's mimetype (JupyterLab renders
    it interactively) and as a bare ``text/html`` div that the HTML export
    uses, with plotly.js embedded once by the report template, so reports
    work with the network off.
    """
    import plotly.io as pio
    from IPython import get_ipython

    if HTML_RENDERER not in pio.renderers:
        _register_renderer()
    pio.renderers.default = HTML_RENDERER
    pd.set_option("display.max_colwidth", 200)
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((ApiprobeError,), _short_error)


def _short_error(
    shell: Any, etype: type[BaseException], evalue: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
    """Show an apiprobe error as its message, not a Python traceback.

    apiprobe errors name the bad parameter or file and what is wrong with it;
    a stack of library frames would only bury that in a report. The cell
    still fails, so papermill and the report mark the run failed.
    """
    stb = [
        f"\x1b[31m{etype.__name__}: {evalue}\x1b[0m",
        "Fix the parameter or input named above, then run the notebook again.",
    ]
    # IPython calls custom handlers without displaying what they return; publish it as the
    # cell's error output (ename/evalue intact, so papermill reports the real error).
    shell._showtraceback(etype, evalue, stb)
    return stb


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].map(lambda t: t.isoformat() if pd.notna(t) else None)
    out = out.astype(object).where(out.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")]


def show_table(
    df: pd.DataFrame,
    *,
    caption: str = "",
    max_rows: int = 50,
    float_format: str = "{:.1f}",
    highlight: pd.Series | None = None,
) -> None:
    """Display a table as escaped HTML (text from logs or servers cannot inject markup).

    Credentials in text cells and secret-named keys in mapping cells are
    replaced by ``[REDACTED]`` (see :func:`apiprobe._redact.redact_value`).

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its index is not shown.
    caption : str, optional
        A bold line above the table.
    max_rows : int, default 50
        Rows shown; a note says how many more there are.
    float_format : str, default "{:.1f}"
        :meth:`str.format` pattern of float cells; missing values show as "—".
    highlight : pandas.Series of bool, optional
        Aligned with ``df``: the rows where it is True get a red tint.
    """
    from IPython.display import HTML, display

    shown = df.head(max_rows)
    formatted = shown.astype(object).map(
        lambda v: (
            "—"
            if v is None or v is pd.NA or (isinstance(v, float) and v != v)
            else float_format.format(v)
            if isinstance(v, float)
            else redact_value(v)
        )
    )
    marks = highlight.reindex(shown.index).fillna(False).astype(bool) if highlight is not None else None
    styler = (
        formatted.style.format(escape="html")
        .hide(axis="index")
        .set_table_attributes('class="apiprobe-table" border="0"')
    )
    if marks is not None:
        styler = styler.apply(lambda row: ["background-color: #fee4e2" if marks[row.name] else ""] * len(row), axis=1)
    body = styler.to_html()
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    more = f"<p><i>{len(df) - max_rows} more rows not shown.</i></p>" if len(df) > max_rows else ""
    display(HTML(cap + body + more))


def show_findings(findings: pd.DataFrame) -> None:
    """Display findings as cards and publish them for the report.

    Besides the HTML cards (in the table's order), the output carries the
    records under MIME type :data:`FINDINGS_MIME`, which
    :mod:`apiprobe.report` collects into ``findings.json``.

    Parameters
    ----------
    findings : pandas.DataFrame
        A table of schema ``findings`` (what the ``detect_*`` functions return).

    Raises
    ------
    SchemaError
        When ``findings`` does not follow the ``findings`` schema.
    """
    from IPython.display import display

    validate(findings, "findings")
    if findings.empty:
        body = "<p><b>No findings.</b> Nothing crossed the thresholds in this data.</p>"
    else:
        cards = []
        for row in findings.itertuples(index=False):
            colour = _SEVERITY_STYLE.get(str(row.severity), "#344054")
            cards.append(
                f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:6px 0">'
                f'<b style="color:{colour}">{html.escape(str(row.severity).upper())}</b> · '
                f"<b>{html.escape(str(row.fault))}</b> · {html.escape(str(row.subject))}<br>"
                f"{html.escape(redact_text(str(row.evidence)))}<br>"
                f"<i>Next:</i> {html.escape(str(row.recommendation))} "
                f'<span style="color:#667085">(handbook {html.escape(str(row.handbook_ref))})</span></div>'
            )
        body = "".join(cards)
    bundle = {
        "text/html": body,
        "text/plain": f"{len(findings)} finding(s)",
        FINDINGS_MIME: {"findings": _records(findings)},
    }
    display(bundle, raw=True)

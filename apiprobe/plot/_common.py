"""Shared look of every apiprobe figure: template, titles, the empty-figure message."""

from __future__ import annotations

import html

import plotly.graph_objects as go

__all__ = ["base_layout", "nothing_to_draw", "title_dict"]


def title_dict(text: str, sub: str = "") -> dict[str, object]:
    out: dict[str, object] = {"text": text, "x": 0.0, "xanchor": "left"}
    if sub:
        out["subtitle"] = {"text": sub}
    return out


def base_layout(fig: go.Figure, title: str, sub: str = "", *, height: int | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title=title_dict(title, sub),
        margin={"t": 90 if sub else 70, "l": 70, "r": 30, "b": 60},
        hoverlabel={"align": "left"},
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


def nothing_to_draw(title: str, reason: str) -> go.Figure:
    """A figure that says why there is nothing to draw."""
    fig = go.Figure()
    base_layout(fig, title, height=320)
    fig.add_annotation(
        text=f"Nothing to draw: {reason}",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 15, "color": "#555555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def plain(text: object) -> str:
    """Text from logs or servers made safe for plotly labels and hover text.

    plotly renders a few HTML tags in labels (``<b>``, ``<a href>``, ``<br>``,
    ``<span style>``); a log message must show as written, never as markup.
    """
    return html.escape(str(text), quote=False)

"""DNS figures over the ``dns`` table: the resolver matrix and latency over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe._frames import require_columns
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = ["fig_dns_latency", "fig_resolver_matrix"]


def fig_resolver_matrix(dns: pd.DataFrame, *, stat: str = "p50") -> go.Figure:
    """Names × resolvers: colour = query time (``stat`` of ``elapsed_ms``), text = outcome.

    The cell text gives the most common rcode, the failure count and whether
    the resolver's answers agree with the other resolvers' (``≠`` marks a name
    whose answer sets differ between resolvers).

    Parameters
    ----------
    dns : pandas.DataFrame
        A ``dns`` table (one row per query). It is not modified.
    stat : {'p50', 'p90', 'p99', 'mean'}, default 'p50'
        Statistic of ``elapsed_ms`` that colours a cell.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Heatmap``: rows ``"<name> <rtype>"`` (alphabetical from the
        top), columns the resolvers, ``z`` the statistic in ms (NaN where no
        query answered), text the outcome.

    Raises
    ------
    InvalidParameterError
        When ``stat`` is not one of the four.
    SchemaError
        When ``dns`` lacks a column the matrix needs.
    """
    title = f"Resolver matrix: {stat} query time and outcome"
    if dns.empty:
        return nothing_to_draw(title, "no DNS queries")
    q = {"p50": 0.5, "p90": 0.9, "p99": 0.99}.get(stat)
    if q is None and stat != "mean":
        raise InvalidParameterError(f"stat must be p50, p90, p99 or mean, got {stat!r}")
    require_columns(dns, ["name", "rtype", "resolver", "elapsed_ms", "rcode", "error_kind", "answers"], table="dns")
    rows = (dns["name"].astype(str) + " " + dns["rtype"].astype(str)).rename("row")
    df = dns.assign(row=rows)
    names = sorted(df["row"].unique())
    resolvers = sorted(df["resolver"].astype(str).unique())
    z = np.full((len(names), len(resolvers)), np.nan)
    text = [["" for _ in resolvers] for _ in names]
    for (row, resolver), g in df.groupby(["row", "resolver"]):
        i, j = names.index(str(row)), resolvers.index(str(resolver))
        elapsed = pd.to_numeric(g["elapsed_ms"], errors="coerce").dropna()
        if len(elapsed):
            z[i, j] = elapsed.mean() if q is None else elapsed.quantile(q)
        rcode = g["rcode"].dropna().astype(str).mode()
        fails = int(g["error_kind"].notna().sum())
        others = df[(df["row"] == row) & (df["resolver"] != resolver)]["answers"].dropna().astype(str)
        mine = set(g["answers"].dropna().astype(str))
        differs = bool(len(others)) and bool(mine) and not mine & set(others)
        cell = (rcode.iloc[0] if len(rcode) else "no answer") + (f"<br>{fails} failed" if fails else "")
        text[i][j] = cell + ("<br>≠ answers" if differs else "")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=resolvers,
            y=names,
            text=text,
            texttemplate="%{text}",
            colorscale="YlOrRd",
            colorbar={"title": {"text": "ms"}},
            hovertemplate="%{y} via %{x}<br>%{z:.1f} ms<br>%{text}<extra></extra>",
        )
    )
    base_layout(fig, title, f"{len(dns)} queries", height=160 + 45 * len(names))
    fig.update_yaxes(autorange="reversed")  # names read alphabetically from the top
    return fig


def fig_dns_latency(dns: pd.DataFrame, *, by: str = "resolver") -> go.Figure:
    """Query time over time per resolver; failures as red crosses at the bottom.

    Parameters
    ----------
    dns : pandas.DataFrame
        A ``dns`` table (one row per query). It is not modified.
    by : str, default 'resolver'
        Column naming the line each query belongs to.

    Returns
    -------
    plotly.graph_objects.Figure
        Per ``by`` value a ``go.Scatter`` of ``elapsed_ms`` (ms) over time
        (UTC) named by the value, and a ``"<value> failed"`` marker trace at
        0 ms when any of its queries failed; a 200 ms reference line
        (handbook §2.1).
    """
    title = "DNS query time over time"
    if dns.empty:
        return nothing_to_draw(title, "no DNS queries")
    require_columns(dns, ["ts", by, "elapsed_ms", "name", "rtype", "rcode", "error_kind"], table="dns")
    fig = go.Figure()
    for key, g in dns.sort_values("ts").groupby(by):
        ok = g[g["elapsed_ms"].notna()]
        fig.add_trace(
            go.Scatter(
                x=ok["ts"].dt.tz_convert("UTC").dt.tz_localize(None),
                y=ok["elapsed_ms"].astype(float),
                mode="markers+lines",
                name=str(key),
                text=(
                    ok["name"].astype(str) + " " + ok["rtype"].astype(str) + " → " + ok["rcode"].astype(str)
                ).tolist(),
                hovertemplate="%{text}<br>%{y:.1f} ms<extra>%{fullData.name}</extra>",
            )
        )
        bad = g[g["error_kind"].notna()]
        if len(bad):
            fig.add_trace(
                go.Scatter(
                    x=bad["ts"].dt.tz_convert("UTC").dt.tz_localize(None),
                    y=np.zeros(len(bad)),
                    mode="markers",
                    marker={"symbol": "x", "color": "#d62728", "size": 9},
                    name=f"{key} failed",
                    text=(bad["name"].astype(str) + ": " + bad["error_kind"].astype(str)).tolist(),
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    fig.add_hline(y=200, line_dash="dash", line_color="#ff9f1c", annotation_text="200 ms (handbook §2.1)")
    base_layout(fig, title, f"{len(dns)} queries", height=420)
    fig.update_yaxes(title_text="query time (ms)", rangemode="tozero")
    fig.update_xaxes(title_text="time (UTC)")
    return fig

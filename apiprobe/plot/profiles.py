"""Profile figures: flame graph (icicle), diff flame graph, top bar chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe.analyze.profiles import flame_table, profile_diff
from apiprobe.load.pprof import Profile
from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = ["MAX_FLAME_NODES", "fig_flame", "fig_flame_diff", "fig_top"]

MAX_FLAME_NODES = 2000


def _icicle(ft: pd.DataFrame, colors: list[float] | None, hover_extra: list[str] | None) -> go.Icicle:
    ids = ft["id"].astype(str).tolist()
    parents = ["" if p < 0 else str(p) for p in ft["parent"].tolist()]
    total = abs(int(ft["value"].iloc[0])) or 1
    pct = (ft["value"].abs() / total * 100).round(2).astype(str).tolist()
    custom = [[p, h] for p, h in zip(pct, hover_extra or [""] * len(pct), strict=True)]
    marker: dict[str, object] = {}
    if colors is not None:
        lim = max(float(np.max(np.abs(colors))), 1e-9)
        marker = {
            "colors": colors,
            "colorscale": "RdBu_r",
            "cmin": -lim,
            "cmax": lim,
            "colorbar": {"title": {"text": "change"}},
            "showscale": True,
        }
    return go.Icicle(
        ids=ids,
        parents=parents,
        labels=ft["function"].tolist(),
        values=ft["value"].abs().tolist(),
        branchvalues="total",
        tiling={"orientation": "v"},
        root={"color": "#eeeeee"},
        marker=marker,
        customdata=custom,
        hovertemplate="%{label}<br>value %{value}<br>%{customdata[0]}% of total%{customdata[1]}<extra></extra>",
        maxdepth=12,
    )


def fig_flame(
    profile_or_flame_table: Profile | pd.DataFrame,
    *,
    sample_index: int | str | None = None,
    max_nodes: int = MAX_FLAME_NODES,
    title: str = "Flame graph",
) -> go.Figure:
    """Icicle flame graph (root at the top) from the aggregated call tree.

    Takes a profile or a :func:`~apiprobe.analyze.profiles.flame_table`;
    the tree is capped at ``max_nodes`` nodes so large profiles stay fast.

    Parameters
    ----------
    profile_or_flame_table : Profile or pandas.DataFrame
        A parsed pprof profile, or a flame table built from one.
    sample_index : int, str or None, default None
        Sample type to draw (index or name, e.g. ``"cpu"``); None for the
        profile's default. Ignored for a flame table.
    max_nodes : int, default MAX_FLAME_NODES
        Most call-tree nodes drawn; the largest are kept.
    title : str, default 'Flame graph'
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Icicle`` (root at the top), widths the sample values.
    """
    if isinstance(profile_or_flame_table, Profile):
        ft = flame_table(profile_or_flame_table, sample_index=sample_index, max_nodes=max_nodes)
        st = profile_or_flame_table.sample_types[profile_or_flame_table.sample_index(sample_index)]
    else:
        ft = profile_or_flame_table
        if len(ft) > max_nodes + 1:
            ft = ft.nlargest(max_nodes + 1, "value")
        st = ft.attrs.get("sample_type", ("value", ""))
    if ft.empty or int(ft["value"].abs().iloc[0]) == 0:
        return nothing_to_draw(title, "the profile has no samples with a value")
    fig = go.Figure(_icicle(ft, None, None))
    base_layout(fig, title, f"{st[0]} ({st[1]}), {len(ft) - 1} call paths", height=620)
    fig.update_layout(margin={"l": 10, "r": 10})
    return fig


def fig_flame_diff(
    base: Profile,
    new: Profile,
    *,
    sample_index: int | str | None = None,
    max_nodes: int = MAX_FLAME_NODES,
    normalize: bool = False,
    title: str = "Flame graph: change from baseline",
) -> go.Figure:
    """Flame graph of the new profile coloured by change against ``base``.

    Widths are the new profile's values; colour is the change of each call
    path (new − base, as % of the base total; red = grew, blue = shrank).

    Parameters
    ----------
    base : Profile
        The baseline profile.
    new : Profile
        The profile to compare with it (drawn).
    sample_index : int, str or None, default None
        Sample type to compare (index or name); None for the default.
    max_nodes : int, default MAX_FLAME_NODES
        Most call-tree nodes drawn; the largest are kept.
    normalize : bool, default False
        Scale ``base`` to the total of ``new`` before taking the difference.
    title : str, default 'Flame graph: change from baseline'
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Icicle`` of ``new`` coloured by the change in % of the base total.
    """
    ft_new = flame_table(new, sample_index=sample_index, max_nodes=max_nodes)
    if ft_new.empty or int(ft_new["value"].iloc[0]) == 0:
        return nothing_to_draw(title, "the new profile has no samples with a value")
    diff = profile_diff(base, new, normalize=normalize)
    ft_all = flame_table(diff, sample_index=sample_index, max_nodes=10**9)
    path_delta = _path_values(ft_all)
    paths = _paths(ft_new)
    btotal = abs(base.total(sample_index)) or 1
    delta = [path_delta.get(p, 0) for p in paths]
    colors = [d / btotal * 100 for d in delta]
    hover = [f"<br>change {d:+d} ({c:+.2f}% of base)" for d, c in zip(delta, colors, strict=True)]
    fig = go.Figure(_icicle(ft_new, colors, hover))
    st = new.sample_types[new.sample_index(sample_index)]
    base_layout(fig, title, f"{st[0]} ({st[1]}); colour = change vs baseline", height=620)
    fig.update_layout(margin={"l": 10, "r": 10})
    return fig


def _paths(ft: pd.DataFrame) -> list[tuple[str, ...]]:
    by_id: dict[int, tuple[str, ...]] = {}
    out: list[tuple[str, ...]] = []
    for i, p, f in zip(ft["id"].tolist(), ft["parent"].tolist(), ft["function"].tolist(), strict=True):
        path = (f,) if p < 0 else (*by_id.get(p, ("?",)), f)
        by_id[i] = path
        out.append(path)
    return out


def _path_values(ft: pd.DataFrame) -> dict[tuple[str, ...], int]:
    return dict(zip(_paths(ft), ft["value"].astype(int).tolist(), strict=True))


def fig_top(top_df: pd.DataFrame, n: int = 20, *, title: str = "Top functions") -> go.Figure:
    """Horizontal bars of flat and cum for the first ``n`` rows of a top table.

    Parameters
    ----------
    top_df : pandas.DataFrame
        A top table (:func:`~apiprobe.analyze.profiles.profile_top`): ``function``, ``flat``, ``cum``.
    n : int, default 20
        Number of rows to draw (the first ones, biggest at the top).
    title : str, default 'Top functions'
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Two horizontal ``go.Bar`` traces, ``"cum"`` and ``"flat"``.
    """
    if top_df.empty:
        return nothing_to_draw(title, "the top table is empty")
    d = top_df.head(n).iloc[::-1]
    fig = go.Figure(
        [
            go.Bar(
                y=d["function"],
                x=d["cum"],
                orientation="h",
                name="cum",
                marker_color="#9ecae1",
                customdata=d["cum_pct"],
                hovertemplate="%{y}<br>cum %{x} (%{customdata:.2f}%)<extra></extra>",
            ),
            go.Bar(
                y=d["function"],
                x=d["flat"],
                orientation="h",
                name="flat",
                marker_color="#de2d26",
                customdata=d["flat_pct"],
                hovertemplate="%{y}<br>flat %{x} (%{customdata:.2f}%)<extra></extra>",
            ),
        ]
    )
    st = top_df.attrs.get("sample_type", ("value", ""))
    base_layout(
        fig, title, f"{st[0]} ({st[1]}): flat = own time, cum = including callees", height=max(320, 28 * len(d) + 140)
    )
    fig.update_layout(barmode="overlay", yaxis={"automargin": True})
    return fig

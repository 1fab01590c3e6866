"""Figures for handbook §4: retry schedules, amplification, retry storms, breaker states, timeout budgets, fallbacks."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe.plot._core import FAIL_COLOR, TARGET_COLORS, base_layout, naive_utc, nothing_to_draw, plain

__all__ = [
    "fig_breaker_states",
    "fig_fallback_share",
    "fig_retry_amplification",
    "fig_retry_schedule",
    "fig_retry_storm",
    "fig_timeout_budget",
]

_STATE_COLORS = {"closed": "#2ca02c", "half-open": "#ff7f0e", "open": FAIL_COLOR}
_VERDICT_COLORS = {"over budget": FAIL_COLOR, "no slack": "#ff7f0e", "ok": "#2ca02c", "root": "#7f7f7f"}


def fig_retry_schedule(schedule: pd.DataFrame, *, title: str = "Retry schedule") -> go.Figure:
    """Delay before each retry: the median as bars, the jitter band (min–max, 5–95 %) as whiskers.

    Parameters
    ----------
    schedule : pandas.DataFrame
        From :func:`apiprobe.retry_schedule` (``run, retry, delay_s, elapsed_s``), one or many runs.
    title : str
        Figure title (the policy's name reads well here).

    Returns
    -------
    plotly.graph_objects.Figure
        A bar per retry (median delay) with error bars from the 5th to the
        95th percentile and markers at min and max; a line of the median
        elapsed time on a second axis.
    """
    if schedule is None or schedule.empty:
        return nothing_to_draw(title, "the policy makes no retries for this response")
    g = schedule.groupby("retry")
    med = g["delay_s"].median()
    lo, hi = g["delay_s"].quantile(0.05), g["delay_s"].quantile(0.95)
    mn, mx = g["delay_s"].min(), g["delay_s"].max()
    elapsed = g["elapsed_s"].median()
    x = [f"retry {i + 1}" for i in med.index]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=x,
            y=med.to_numpy(),
            name="median wait",
            marker_color=TARGET_COLORS[0],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (hi - med).to_numpy(),
                "arrayminus": (med - lo).to_numpy(),
            },
            customdata=np.column_stack([mn.to_numpy(), mx.to_numpy()]),
            hovertemplate="%{x}: median %{y:.3f} s<br>range %{customdata[0]:.3f}–%{customdata[1]:.3f} s<extra></extra>",
        ),
        secondary_y=False,
    )
    if (mx - mn).abs().max() > 0:
        fig.add_trace(
            go.Scatter(x=x, y=mx.to_numpy(), mode="markers", name="max", marker={"symbol": "triangle-down"}),
            secondary_y=False,
        )
        fig.add_trace(
            go.Scatter(x=x, y=mn.to_numpy(), mode="markers", name="min", marker={"symbol": "triangle-up"}),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(x=x, y=elapsed.to_numpy(), mode="lines+markers", name="elapsed (median)", line={"dash": "dot"}),
        secondary_y=True,
    )
    runs = schedule["run"].nunique()
    sub = f"{len(med)} retries; {runs} simulated runs" if runs > 1 else f"{len(med)} retries"
    base_layout(fig, plain(title), sub)
    fig.update_yaxes(title_text="wait before the retry (s)", secondary_y=False)
    fig.update_yaxes(title_text="elapsed since the first attempt (s)", secondary_y=True)
    return fig


def fig_retry_amplification(
    chain: pd.DataFrame, *, title: str = "Retry amplification down the call chain"
) -> go.Figure:
    """Calls reaching each hop per user request when every hop retries (log scale).

    Parameters
    ----------
    chain : pandas.DataFrame
        From :func:`apiprobe.retry_amplification` (``hop, caller, callee, attempts, amplification``),
        or per caller → callee observed amplification (``caller, callee, amplification``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per hop, labelled with its amplification.
    """
    if chain is None or chain.empty:
        return nothing_to_draw(title, "no hops to show")
    labels = [f"{plain(a)} → {plain(b)}" for a, b in zip(chain["caller"], chain["callee"], strict=True)]
    amp = chain["amplification"].astype(float).to_numpy()
    colors = [FAIL_COLOR if a >= 2.5 else ("#ff7f0e" if a >= 1.5 else "#2ca02c") for a in amp]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=amp,
            marker_color=colors,
            text=[f"{a:.3g}×" for a in amp],
            textposition="outside",
            hovertemplate="%{x}: %{y:.3g} calls per user request<extra></extra>",
        )
    )
    base_layout(fig, title, f"worst case {amp.max():.3g}× at the bottom")
    fig.update_yaxes(title_text="calls per user request", type="log" if amp.max() > 20 else "linear")
    return fig


def fig_retry_storm(timeline: pd.DataFrame, *, title: str = "Retries over time") -> go.Figure:
    """Original requests and retries per bin (stacked), with amplification on a second axis.

    Parameters
    ----------
    timeline : pandas.DataFrame
        From :func:`apiprobe.retry_timeline` (``ts, caller, callee, requests, retries, failures, amplification``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Stacked bars (requests, retries) summed over caller → callee pairs, and
        the amplification (attempts / requests) as a line.
    """
    if timeline is None or timeline.empty:
        return nothing_to_draw(title, "no outgoing call attempts in the evidence")
    per = timeline.groupby("ts")[["requests", "retries", "failures"]].sum()
    x = naive_utc(pd.Series(per.index)).to_numpy()
    amp = (per["requests"] + per["retries"]) / per["requests"].where(per["requests"] > 0)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=x, y=per["requests"].to_numpy(), name="first attempts", marker_color=TARGET_COLORS[0]))
    fig.add_trace(go.Bar(x=x, y=per["retries"].to_numpy(), name="retries", marker_color=FAIL_COLOR))
    fig.add_trace(
        go.Scatter(x=x, y=amp.to_numpy(), name="attempts per request", mode="lines", line={"color": "#333333"}),
        secondary_y=True,
    )
    fig.update_layout(barmode="stack")
    total_r, total_q = int(per["retries"].sum()), int(per["requests"].sum())
    base_layout(fig, title, f"{total_r} retries for {total_q} requests")
    fig.update_yaxes(title_text="attempts", secondary_y=False)
    fig.update_yaxes(title_text="attempts per request", secondary_y=True, rangemode="tozero")
    return fig


def fig_breaker_states(
    transitions: pd.DataFrame,
    requests: pd.DataFrame | None = None,
    *,
    freq: str = "1s",
    title: str = "Circuit breaker",
) -> go.Figure:
    """The breaker's state as a band over the calls' error rate, with rejections.

    Parameters
    ----------
    transitions : pandas.DataFrame
        ``ts, from_state, to_state`` (from :func:`apiprobe.replay_breaker` with
        datetimes, or :func:`apiprobe.breaker_from_logs`).
    requests : pandas.DataFrame, optional
        The calls: ``ts`` (or ``start``), ``ok``, ``allowed``; gives the error rate and rejections per bin.
    freq : str, default "1s"
        Bin width for the error rate.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Top: colored state band (closed green, half-open orange, open red).
        Bottom: error rate of allowed calls and rejected calls per bin.
    """
    has_calls = requests is not None and len(requests) > 0
    if (transitions is None or transitions.empty) and not has_calls:
        return nothing_to_draw(title, "no breaker state changes or calls in the evidence")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.06)
    times: list[pd.Timestamp] = []
    if has_calls:
        assert requests is not None
        col = "ts" if "ts" in requests.columns else "start"
        calls = requests.assign(_bin=requests[col].dt.floor(freq))
        allowed = calls["allowed"].astype(bool) if "allowed" in calls.columns else pd.Series(True, index=calls.index)
        failed = allowed & ~calls["ok"].astype(bool)
        per = pd.DataFrame({"bin": calls["_bin"], "allowed": allowed, "failed": failed, "rejected": ~allowed})
        per = per.groupby("bin")[["allowed", "failed", "rejected"]].sum()
        rate = per["failed"] / per["allowed"].where(per["allowed"] > 0)
        x = naive_utc(pd.Series(per.index)).to_numpy()
        fig.add_trace(
            go.Scatter(x=x, y=rate.to_numpy(), name="error rate (allowed calls)", mode="lines", line={"color": "#333"}),
            row=2,
            col=1,
        )
        rejected = per["rejected"] / (per["allowed"] + per["rejected"])
        fig.add_trace(
            go.Bar(x=x, y=rejected.to_numpy(), name="rejected share", marker_color=FAIL_COLOR, opacity=0.45),
            row=2,
            col=1,
        )
        times = [requests[col].min(), requests[col].max()]
    if transitions is not None and len(transitions):
        tr = transitions.sort_values("ts", kind="stable")
        start = min([tr["ts"].iloc[0], *times[:1]])
        end = max([tr["ts"].iloc[-1], *times[1:]])
        edges = [start, *tr["ts"].tolist(), end]
        states = [tr["from_state"].iloc[0], *tr["to_state"].tolist()]
        for state in ("closed", "half-open", "open"):
            xs: list[object] = []
            for a, b, s in zip(edges[:-1], edges[1:], states, strict=True):
                if s == state and b >= a:
                    xs += [naive_utc(pd.Series([a]))[0], naive_utc(pd.Series([b]))[0], None]
            if xs:
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=[1 if v is not None else None for v in xs],
                        mode="lines",
                        line={"color": _STATE_COLORS[state], "width": 28},
                        name=state,
                        hovertemplate=f"{state}<extra></extra>",
                    ),
                    row=1,
                    col=1,
                )
        sub = f"{int((tr['to_state'] == 'open').sum())} trips, {len(tr)} state changes"
    else:
        sub = "no state changes"
    base_layout(fig, title, sub, height=460)
    fig.update_yaxes(visible=False, row=1, col=1)
    fig.update_yaxes(title_text="share of calls", row=2, col=1, range=[0, 1.05], tickformat=".0%")
    return fig


def fig_timeout_budget(tree: pd.DataFrame, *, title: str = "Timeout budget per hop") -> go.Figure:
    """Each hop's worst case against its caller's timeout, as an icicle of the call graph.

    Parameters
    ----------
    tree : pandas.DataFrame
        From :func:`apiprobe.budget_tree` (``path, caller, callee, timeout_s, worst_s,
        caller_timeout_s, slack_s, verdict``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        A ``go.Icicle`` of the call graph from its roots; each box is a hop,
        colored by verdict (over budget red, no slack orange, ok green), its
        hover the worst case, the caller's timeout and the slack.
    """
    if tree is None or tree.empty:
        return nothing_to_draw(title, "no call graph given")
    roots = sorted({p.split("/")[0] for p in tree["path"]})
    ids = roots + tree["path"].tolist()
    parents = [""] * len(roots) + ["/".join(p.split("/")[:-1]) for p in tree["path"]]
    labels = roots + [plain(c) for c in tree["callee"]]
    colors = ["#7f7f7f"] * len(roots) + [_VERDICT_COLORS.get(v, "#7f7f7f") for v in tree["verdict"]]
    hops: list[dict[str, Any]] = cast(list[dict[str, Any]], tree.to_dict("records"))
    hover = [f"{r}: the caller" for r in roots] + [
        f"{plain(h['caller'])} → {plain(h['callee'])}<br>{h['attempts']} × {h['timeout_s']:g} s"
        + (f" + {h['backoff']} backoff" if isinstance(h["backoff"], str) and h["backoff"] else "")
        + f"<br>worst case {h['worst_s']:.3g} s; caller has "
        + (
            "no timeout"
            if pd.isna(h["caller_timeout_s"])
            else f"{h['caller_timeout_s']:g} s (slack {h['slack_s']:.3g} s)"
        )
        + f"<br>{h['verdict']}"
        for h in hops
    ]
    fig = go.Figure(
        go.Icicle(
            ids=ids,
            labels=labels,
            parents=parents,
            marker={"colors": colors},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            tiling={"orientation": "h"},
        )
    )
    bad = int((tree["verdict"] == "over budget").sum())
    base_layout(fig, title, f"{bad} of {len(tree)} hops can overrun their caller's timeout", height=420)
    return fig


def fig_fallback_share(share: pd.DataFrame, *, title: str = "Traffic served by the fallback") -> go.Figure:
    """Share of requests served by a fallback over time, against the primary's error rate.

    Parameters
    ----------
    share : pandas.DataFrame
        From :func:`apiprobe.fallback_share` (``ts, service, share, primary_error_rate``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Per service: the fallback share (filled area) and the primary's error
        rate (dashed), both 0–1.
    """
    if share is None or share.empty or not (share["fallback"] > 0).any():
        return nothing_to_draw(title, "no request was served by a fallback")
    fig = go.Figure()
    for i, (svc, grp) in enumerate(share.groupby("service")):
        color = TARGET_COLORS[i % len(TARGET_COLORS)]
        x = naive_utc(grp["ts"]).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=x,
                y=grp["share"].fillna(0).to_numpy(),
                name=f"{plain(svc)}: fallback share",
                mode="lines",
                fill="tozeroy",
                line={"color": color},
            )
        )
        if grp["primary_error_rate"].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=grp["primary_error_rate"].to_numpy(),
                    name=f"{plain(svc)}: primary error rate",
                    mode="lines",
                    line={"color": FAIL_COLOR, "dash": "dash"},
                )
            )
    served = int(share["fallback"].sum())
    base_layout(fig, title, f"{served} requests served by a fallback")
    fig.update_yaxes(title_text="share", range=[0, 1.05], tickformat=".0%")
    return fig

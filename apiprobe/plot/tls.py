"""Certificate figures: the chain as served, and expiry across targets.

Both take the ``certs`` table (and optionally ``tls_verdicts``), never mutate
it and return a :class:`plotly.graph_objects.Figure`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = ["fig_chain", "fig_expiry_timeline"]

_OK, _SOON, _BAD = "#2ca02c", "#ff9f1c", "#d62728"


def _status_color(days_left: float, not_before: pd.Timestamp, at: pd.Timestamp) -> str:
    if pd.isna(days_left) or days_left < 0 or (pd.notna(not_before) and not_before > at):
        return _BAD
    return _SOON if days_left < 30 else _OK


def _cn(dn: Any) -> str:
    text = "" if pd.isna(dn) else str(dn)
    for part in text.split(","):
        if part.strip().upper().startswith("CN="):
            return part.strip()[3:]
    return text[:60] or "(no subject)"


def fig_chain(
    certs: pd.DataFrame,
    verdicts: pd.DataFrame | None = None,
    *,
    target: str | None = None,
    store: str | None = None,
    at: pd.Timestamp | str | None = None,
) -> go.Figure:
    """The chain as the server sent it: leaf at the top, each certificate's validity as a bar.

    Bars run from ``not_before`` to ``not_after`` (green valid, amber < 30
    days left, red expired or not yet valid); a vertical line marks the
    evaluation time ``at``; each row names the subject and issuer, and the
    failed checks of ``verdicts`` (for ``store``) are listed as badges.

    Parameters
    ----------
    certs
        A ``certs`` table; rows of one ``target`` are drawn (default: the first).
    verdicts
        Optional ``tls_verdicts`` table for the same target.
    target
        Target whose chain to draw (default: the first in the table).
    store
        Trust store whose verdicts to show (default: the first in the table).
    at
        Evaluation time (default: now).

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar per certificate of the chain (leaf at the top)
        from ``not_before`` to ``not_after``, coloured by status, with a line
        at ``at``.
    """
    title = "Certificate chain as served"
    if certs.empty:
        return nothing_to_draw(title, "no certificates (the handshake failed before any was sent)")
    target = target if target is not None else str(certs["target"].iloc[0])
    chain = certs[certs["target"] == target].sort_values("position")
    if chain.empty:
        return nothing_to_draw(title, f"no certificates for {target}")
    when = pd.Timestamp(at) if at is not None else pd.Timestamp.now(tz="UTC")
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    labels, hover = [], []
    fig = go.Figure()
    for rec in chain.to_dict(orient="records"):
        row: dict[str, Any] = {str(k): v for k, v in rec.items()}
        role = "leaf" if row["position"] == 0 else ("root?" if bool(row["self_signed"]) else "intermediate")
        label = f"{row['position']} · {role}: {html.escape(_cn(row['subject']))}"
        labels.append(label)
        start, end = pd.Timestamp(row["not_before"]), pd.Timestamp(row["not_after"])
        days = float(row["days_left"]) if pd.notna(row["days_left"]) else float("nan")
        text = (
            f"<b>{html.escape(str(row['subject']))}</b><br>issued by {html.escape(str(row['issuer']))}<br>"
            f"valid {start:%Y-%m-%d} → {end:%Y-%m-%d} ({days:.0f} days left)<br>"
            f"SANs: {html.escape(str(row['sans']) if pd.notna(row['sans']) else '—')}<br>"
            f"{row['key_type']} {row['key_bits'] if pd.notna(row['key_bits']) else ''} · "
            f"{row['signature_algorithm']}"
        )
        hover.append(text)
        fig.add_trace(
            go.Bar(
                y=[label],
                x=[(end - start).total_seconds() * 1000],
                base=[start.isoformat()],
                orientation="h",
                marker_color=_status_color(days, start, when),
                hovertext=[text],
                hoverinfo="text",
                showlegend=False,
                name=label,
                text=[f"{days:.0f} d left" if days >= 0 else f"expired {-days:.0f} d ago"],
                textposition="inside",
            )
        )
    fig.add_vline(x=when.isoformat(), line_dash="dash", line_color="#344054")
    fig.add_annotation(
        x=when.isoformat(), y=1.02, yref="paper", text=f"evaluated {when:%Y-%m-%d}", showarrow=False, font={"size": 11}
    )
    sub = f"{target} · {len(chain)} certificate(s) in the order sent"
    if verdicts is not None and not verdicts.empty:
        v = verdicts[verdicts["target"] == target]
        store = store if store is not None else (str(v["store"].iloc[0]) if not v.empty else None)
        failed = v[(v["store"] == store) & ~v["ok"].fillna(True).astype(bool)] if store is not None else v.iloc[0:0]
        badges = " · ".join(f"⚠ {html.escape(str(c))}" for c in failed["check"]) or "✓ no defects"
        sub += f" · {store}: {badges}"
    base_layout(fig, title, sub, height=160 + 70 * len(chain))
    fig.update_xaxes(type="date", title_text="validity (UTC)")
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title_text="")
    fig.update_layout(barmode="overlay")
    return fig


def fig_expiry_timeline(
    certs: pd.DataFrame,
    *,
    leaf_only: bool = False,
    warn_days: tuple[int, int] = (30, 60),
) -> go.Figure:
    """Days left for every certificate of every target, with the 30/60-day warning lines.

    One marker per (target, certificate); colour by status; the closest
    expiry is easy to spot at the left.

    Parameters
    ----------
    certs : pandas.DataFrame
        A ``certs`` table of one or more targets. It is not modified.
    leaf_only : bool, default False
        Draw only the leaf certificate (position 0) of each target.
    warn_days : tuple of (int, int), default (30, 60)
        Days left at which the red and amber warning lines are drawn.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Scatter``: x the days left (negative when expired), one
        marker per certificate, soonest expiry first; vertical warning lines.
    """
    title = "Certificate expiry across targets"
    df = certs[certs["position"] == 0] if leaf_only else certs
    df = df.dropna(subset=["days_left"])
    if df.empty:
        return nothing_to_draw(title, "no certificates with a validity period")
    df = df.sort_values("days_left")
    colours = [_BAD if d < 0 else _SOON if d < warn_days[0] else _OK for d in df["days_left"]]
    fig = go.Figure(
        go.Scatter(
            x=df["days_left"].astype(float),
            y=df["target"].astype(str),
            mode="markers",
            marker={"size": 12, "color": colours, "line": {"width": 1, "color": "#333"}},
            text=[
                f"{t}<br>#{int(p)} {html.escape(_cn(s))}<br>{d:.0f} days left (until {e:%Y-%m-%d})"
                for t, p, s, d, e in zip(
                    df["target"], df["position"], df["subject"], df["days_left"], df["not_after"], strict=True
                )
            ],
            hoverinfo="text",
            showlegend=False,
        )
    )
    for days, dash in zip(warn_days, ("dash", "dot"), strict=True):
        fig.add_vline(x=days, line_dash=dash, line_color=_SOON, annotation_text=f"{days} d")
    fig.add_vline(x=0, line_color=_BAD, annotation_text="expired")
    base_layout(
        fig,
        title,
        f"{df['target'].nunique()} target(s), {len(df)} certificate(s)",
        height=180 + 40 * df["target"].nunique(),
    )
    fig.update_xaxes(title_text="days left")
    return fig

"""Notebook glue for 01_latency_timeouts: get probes, show what they are."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.demo import demo_probes
from apiprobe.load.tables import read_probes
from apiprobe.notebook._display import show_table
from apiprobe.probe.http import probe_http
from apiprobe.schema import validate

__all__ = ["Evidence", "get_probes", "show_baseline", "show_overview"]


@dataclass(frozen=True)
class Evidence:
    """The probes a notebook analyses and where they came from."""

    probes: pd.DataFrame
    source: str
    baseline: pd.DataFrame | None = None


def get_probes(
    *,
    targets: list[str] | tuple[str, ...] = (),
    probes_path: str | os.PathLike[str] = "",
    baseline_path: str | os.PathLike[str] = "",
    count: int = 20,
    interval: float = 0.5,
    timeout_ms: float = 2000.0,
    cafile: str = "",
    concurrency: int = 16,
) -> Evidence:
    """Probe ``targets`` live, or read ``probes_path``, or fall back to the demo incident.

    Parameters
    ----------
    targets
        URLs to probe now. Wins over ``probes_path``.
    probes_path
        A saved probes table (CSV, Parquet, JSON lines) to analyse instead.
    baseline_path
        An optional earlier probes table to compare against.
    count, interval, timeout_ms, cafile, concurrency
        Passed to :func:`apiprobe.probe_http` (``timeout_ms`` in ms).
    """
    baseline = read_probes(baseline_path) if baseline_path else None
    if targets:
        probes = probe_http(
            list(targets),
            count=count,
            interval=interval,
            timeout=timeout_ms / 1000.0,
            cafile=cafile or None,
            concurrency=concurrency,
        )
        source = f"live probes of {len(targets)} target(s), {count} attempts each, {interval:g} s apart"
    elif probes_path:
        probes = read_probes(probes_path)
        source = f"saved probes from {Path(probes_path).name}"
    else:
        probes = demo_probes()
        if baseline is None:
            baseline = demo_probes(incident=False)
        source = "the built-in demo incident (no targets or probes_path given)"
    validate(probes, "probes")
    return Evidence(probes=probes, source=source, baseline=baseline)


def show_overview(evidence: Evidence, *, title: str = "") -> Any:
    """Display what the notebook is looking at: source, time range, attempts per target."""
    from IPython.display import HTML, display

    p = evidence.probes
    head = f"<h2>{html.escape(title)}</h2>" if title else ""
    if p.empty:
        return display(HTML(head + f"<p>No probes in {html.escape(evidence.source)}.</p>"))
    span = f"{p['ts'].min():%Y-%m-%d %H:%M:%S} → {p['ts'].max():%Y-%m-%d %H:%M:%S} UTC"
    status = pd.to_numeric(p["status"], errors="coerce")
    per_target = (
        p.assign(failed=p["error_kind"].notna(), http_5xx=status >= 500)
        .groupby("target")
        .agg(
            attempts=("ts", "size"),
            failed=("failed", "sum"),
            http_5xx=("http_5xx", "sum"),
            first=("ts", "min"),
            last=("ts", "max"),
        )
        .reset_index()
    )
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; {len(p)} attempts, {html.escape(span)}.</p>"))
    return show_table(per_target, caption="Attempts per target")


def show_baseline(evidence: Evidence) -> Any:
    """Display the comparison against the baseline, or say that none was given."""
    from IPython.display import HTML, display

    from apiprobe.analyze.latency import compare_latency

    if evidence.baseline is None:
        return display(HTML("<p><i>No baseline given (parameter <code>baseline_path</code>).</i></p>"))
    table = compare_latency(evidence.probes, evidence.baseline)
    table = table[table["phase"].isin(["total_ms", "connect_ms", "ttfb_ms", "dns_ms", "tls_ms"])]
    return show_table(
        table.dropna(subset=["p50_ms", "p50_ms_baseline"], how="all"),
        caption="Now against the baseline (ratios > 1: slower now)",
        float_format="{:.2f}",
    )

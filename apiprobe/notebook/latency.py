"""Notebook glue for 01_latency_timeouts: get probes, show what they are."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe._frames import failed_mask
from apiprobe.load.tables import read_probes
from apiprobe.notebook._common import heading, time_span
from apiprobe.notebook._display import show_table
from apiprobe.probe.http import probe_http
from apiprobe.schema import validate

__all__ = ["LatencyEvidence", "get_probes", "show_baseline", "show_latency_overview"]


@dataclass(frozen=True)
class LatencyEvidence:
    """The probes a notebook analyses and where they came from.

    Attributes
    ----------
    probes : pandas.DataFrame
        HTTP attempts, schema ``probes``.
    source : str
        Where they came from, in words (shown by :func:`show_latency_overview`).
    baseline : pandas.DataFrame or None
        Earlier probes (schema ``probes``) to compare against, if any.
    """

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
) -> LatencyEvidence:
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

    Returns
    -------
    LatencyEvidence
        The probes (schema ``probes``), their source, and the baseline: the one
        read from ``baseline_path``, or the demo's quiet day with the demo data.

    Raises
    ------
    DataFormatError
        When a probes file cannot be read.
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
        from apiprobe.demo import demo_probes

        probes = demo_probes()
        if baseline is None:
            baseline = demo_probes(incident=False)
        source = "the built-in demo incident (no targets or probes_path given)"
    validate(probes, "probes")
    return LatencyEvidence(probes=probes, source=source, baseline=baseline)


def show_latency_overview(evidence: LatencyEvidence, *, title: str = "") -> None:
    """Display what the notebook is looking at: source, time range, attempts per target.

    Parameters
    ----------
    evidence : LatencyEvidence
        What :func:`get_probes` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    p = evidence.probes
    head = heading(title)
    if p.empty:
        display(HTML(head + f"<p>No probes in {html.escape(evidence.source)}.</p>"))
        return
    span = time_span(p["ts"])
    status = pd.to_numeric(p["status"], errors="coerce")
    per_target = (
        p.assign(failed=failed_mask(p), http_5xx=status >= 500)
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
    show_table(per_target, caption="Attempts per target")


def show_baseline(evidence: LatencyEvidence) -> None:
    """Display the latency percentiles against the baseline, or say that none was given.

    Parameters
    ----------
    evidence : LatencyEvidence
        What :func:`get_probes` returned.
    """
    from IPython.display import HTML, display

    from apiprobe.analyze.latency import compare_latency

    if evidence.baseline is None:
        display(HTML("<p><i>No baseline given (parameter <code>baseline_path</code>).</i></p>"))
        return
    table = compare_latency(evidence.probes, evidence.baseline)
    table = table[table["phase"].isin(["total_ms", "connect_ms", "ttfb_ms", "dns_ms", "tls_ms"])]
    show_table(
        table.dropna(subset=["p50_ms", "p50_ms_baseline"], how="all"),
        caption="Now against the baseline (ratios > 1: slower now)",
        float_format="{:.2f}",
    )

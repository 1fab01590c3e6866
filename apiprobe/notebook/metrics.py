"""Notebook glue for 11_metrics_slo: golden signals, the handbook's production checks and SLO burn (handbook §5).

Two sources, the same tables: saved ``/metrics`` pages or OpenMetrics files
(computed here, with PromQL's semantics), or a live Prometheus (the PromQL is
sent to it, so only the results travel). The bearer token for a Prometheus that
wants one comes from ``APIPROBE_PROMETHEUS_TOKEN``, never from a notebook
parameter, so it cannot land in a report.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from apiprobe._time import duration_seconds, format_duration, to_utc
from apiprobe.analyze._findings import findings_frame
from apiprobe.analyze.metrics import (
    METRIC_NAMES,
    SLO_ALERTS,
    detect_metric_faults,
    golden_signal_queries,
    golden_signals,
    slo_alerts,
    slo_from_samples,
)
from apiprobe.load.metrics import parse_metrics_text, read_metrics_text
from apiprobe.notebook._common import heading, time_span
from apiprobe.notebook._display import show_table
from apiprobe.probe.prometheus import read_prometheus
from apiprobe.schema import conform

__all__ = [
    "MetricsEvidence",
    "detect_metrics_faults",
    "get_metrics",
    "show_error_budget",
    "show_golden_signals",
    "show_metrics_overview",
    "show_promql",
    "show_slo_burn",
]

_UNITS = {
    "rate": "req/s",
    "error_ratio": "ratio",
    "p50": "s",
    "p90": "s",
    "p99": "s",
    "goroutines": "goroutines",
    "heap_bytes": "bytes",
    "gc_seconds_per_minute": "s/min",
    "pool_usage": "ratio",
}


@dataclass
class MetricsEvidence:
    """Metrics under review and what was computed from them.

    Attributes
    ----------
    signals : pandas.DataFrame
        Golden signals per service (schema ``golden_signals``).
    burn : pandas.DataFrame
        Burn rate of ``service``'s SLO per window (schema ``slo_burn``).
    budget : pandas.DataFrame or None
        Error budget over time (None from a live Prometheus).
    alerts : pandas.DataFrame
        Firing episodes of the burn-rate alerts (findings).
    samples : pandas.DataFrame or None
        The raw samples (None when Prometheus computed the results).
    service, objective, source : str, float, str
        The SLO's service and objective, and where the metrics came from.
    queries : dict of str to str
        The PromQL behind each figure.
    """

    signals: pd.DataFrame
    burn: pd.DataFrame
    budget: pd.DataFrame | None
    alerts: pd.DataFrame
    samples: pd.DataFrame | None
    service: str
    objective: float
    source: str
    queries: dict[str, str] = field(default_factory=dict)
    window: str = "5m"
    names: dict[str, str] = field(default_factory=dict)


def _slo_queries(names: dict[str, str], service: str) -> tuple[str, str]:
    svc, code, req = names["service_label"], names["code_label"], names["requests"]
    sel = f'{svc}="{service}"' if service else ""
    errors = f'{req}{{{code}=~"5..",{sel}}}' if sel else f'{req}{{{code}=~"5.."}}'
    total = f"{req}{{{sel}}}" if sel else req
    return errors, total


def get_metrics(
    *,
    prometheus_url: str = "",
    metrics_path: str = "",
    service: str = "",
    objective: float = 0.999,
    start: str = "",
    end: str = "",
    step: str = "",
    window: str = "5m",
    service_label: str = "job",
    code_label: str = "code",
) -> MetricsEvidence:
    """Golden signals, burn rates and alerts from a Prometheus, saved pages, or the demo incident.

    Parameters
    ----------
    prometheus_url : str
        A live Prometheus: the PromQL runs there (token from ``APIPROBE_PROMETHEUS_TOKEN``).
    metrics_path : str
        Saved ``/metrics`` pages or an OpenMetrics file/folder; empty with no URL: the demo incident.
    service : str
        The service whose SLO is checked (the ``service_label`` value); empty: all traffic.
    objective : float
        The SLO (0.999 for 99.9 %).
    start, end : str
        The range (ISO times); for Prometheus default the last 6 hours.
    step : str
        Evaluation step (``"30s"``); default from the data (or range/1000 for Prometheus).
    window : str
        The ``rate`` window of the golden signals.
    service_label, code_label : str
        Label names of the service and of the HTTP status code.

    Returns
    -------
    MetricsEvidence
        The tables the notebook shows.
    """
    names = dict(METRIC_NAMES, service_label=service_label, code_label=code_label)
    windows = sorted({a.long for a in SLO_ALERTS} | {a.short for a in SLO_ALERTS}, key=duration_seconds)
    queries = {f"golden signal: {k}": v for k, v in golden_signal_queries(window=window, names=names).items()}
    errors_q, total_q = _slo_queries(names, service)
    for w in windows:
        queries[f"error ratio over {w}"] = f"sum(rate({errors_q}[{w}])) / sum(rate({total_q}[{w}]))"
    if prometheus_url:
        return _from_prometheus(prometheus_url, names, service, objective, start, end, step, window, queries, windows)
    if metrics_path:
        samples = read_metrics_text(metrics_path)
        source = metrics_path
    else:
        from apiprobe.demo._metrics import demo_metrics_text

        samples = parse_metrics_text(demo_metrics_text(), source="demo incident")
        source = "the demo incident (three Go services, six hours, OpenMetrics)"
        service = service or "gateway"
        errors_q, total_q = _slo_queries(names, service)
    grid = {"start": start or None, "end": end or None, "step": step or None}
    signals = golden_signals(samples, window=window, step=grid["step"], names=names)
    if start:
        signals = signals[signals["ts"] >= to_utc(start)].reset_index(drop=True)
    if end:
        signals = signals[signals["ts"] <= to_utc(end)].reset_index(drop=True)
    burn, budget, alerts = slo_from_samples(samples, objective=objective, service=service, names=names, **grid)
    return MetricsEvidence(signals, burn, budget, alerts, samples, service, objective, source, queries, window, names)


def _from_prometheus(
    url: str,
    names: dict[str, str],
    service: str,
    objective: float,
    start: str,
    end: str,
    step: str,
    window: str,
    queries: dict[str, str],
    windows: list[str],
) -> MetricsEvidence:
    token = os.environ.get("APIPROBE_PROMETHEUS_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    now = pd.Timestamp.now(tz="UTC").floor("s")
    t0 = start or (now - pd.Timedelta(hours=6)).isoformat()
    t1 = end or now.isoformat()
    span: dict[str, Any] = {"start": t0, "end": t1, "step": step or None, "headers": headers}
    svc = names["service_label"]
    parts = []
    for signal, promql in golden_signal_queries(window=window, names=names).items():
        frame = read_prometheus(url, promql.replace("$service", ".+"), **span)  # every service, as from files
        if frame.empty:
            continue
        frame = frame.rename(columns={svc: "service"})
        if "service" not in frame.columns:
            frame["service"] = ""
        parts.append(frame[["ts", "service", "value"]].assign(signal=signal, unit=_UNITS[signal], promql=promql))
    signals = conform(pd.concat(parts, ignore_index=True) if parts else None, "golden_signals")
    burns = []
    for w in windows:
        frame = read_prometheus(url, queries[f"error ratio over {w}"], **span)
        if frame.empty:
            continue
        seconds = duration_seconds(w)
        burns.append(
            pd.DataFrame(
                {
                    "ts": frame["ts"],
                    "window": format_duration(seconds),
                    "window_s": seconds,
                    "error_ratio": frame["value"],
                    "burn_rate": frame["value"] / (1 - objective),
                }
            )
        )
    burn = conform(pd.concat(burns, ignore_index=True) if burns else None, "slo_burn")
    alerts = (
        slo_alerts(burn, objective=objective, subject=service or "all traffic")
        if burn["window"].nunique() == len(windows)
        else conform(None, "findings")
    )
    return MetricsEvidence(
        signals, burn, None, alerts, None, service, objective, f"Prometheus at {url}", queries, window, names
    )


def detect_metrics_faults(ev: MetricsEvidence, **thresholds: Any) -> pd.DataFrame:
    """The handbook's checks on the golden signals, with the SLO alerts.

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    **thresholds
        Passed to :func:`apiprobe.detect_metric_faults`.

    Returns
    -------
    pandas.DataFrame
        Findings, most severe first.
    """
    source = ev.samples if ev.samples is not None else ev.signals
    found = detect_metric_faults(source, window=ev.window, names=ev.names, signals=ev.signals, **thresholds)
    parts = [f for f in (found, ev.alerts) if not f.empty]
    return (
        findings_frame(
            [{str(k): v for k, v in r.items()} for r in pd.concat(parts, ignore_index=True).to_dict("records")]
        )
        if parts
        else conform(None, "findings")
    )


def show_metrics_overview(ev: MetricsEvidence, *, title: str = "") -> None:
    """Where the metrics came from, the services, the time range and the SLO.

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    title : str
        A heading above the overview.
    """
    from IPython.display import HTML, display

    services = sorted(s for s in ev.signals["service"].unique() if s) if len(ev.signals) else []
    span = time_span(ev.signals["ts"]) if len(ev.signals) else "no samples"
    series = "" if ev.samples is None else f", {len(ev.samples):,} samples"
    bad = "" if ev.samples is None else f", {ev.samples.attrs.get('parse_errors', 0):,} malformed lines kept aside"
    display(
        HTML(
            heading(title)
            + f"<p>Source: {html.escape(ev.source)}{series}{bad}. Services: {html.escape(', '.join(services) or '—')}. "
            f"Time: {html.escape(span)}. SLO: {ev.objective:.4g} for {html.escape(ev.service or 'all traffic')} "
            f"(error budget {1 - ev.objective:.3g}).</p>"
        )
    )


def show_golden_signals(ev: MetricsEvidence, findings: pd.DataFrame | None = None) -> None:
    """Rate, errors, latency and saturation per service, with finding windows shaded.

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    findings : pandas.DataFrame, optional
        Findings to shade.
    """
    from apiprobe.plot.metrics import fig_golden_signals

    fig_golden_signals(ev.signals, findings=findings, title="Golden signals per service").show()


def show_slo_burn(ev: MetricsEvidence) -> None:
    """Burn rates per window with the alerts' factors, fire and clear times.

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    """
    from apiprobe.plot.metrics import fig_slo_burn

    thresholds = {f"{a.name} {a.factor:g}×": a.factor for a in SLO_ALERTS}
    fig_slo_burn(ev.burn, alerts=ev.alerts, thresholds=thresholds, title=f"SLO burn — {ev.service or 'all'}").show()
    if not ev.alerts.empty:
        table = ev.alerts[["severity", "ts_start", "ts_end", "value", "threshold", "evidence"]].rename(
            columns={"ts_start": "fired", "ts_end": "last firing step", "value": "peak burn", "threshold": "factor"}
        )
        show_table(table, caption="When each alert would have fired and cleared")


def show_error_budget(ev: MetricsEvidence) -> None:
    """The error budget consumed over time (from saved metrics; Prometheus mode says why not).

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    """
    from IPython.display import HTML, display

    if ev.budget is None:
        display(
            HTML(
                "<p>The budget curve is computed from raw counters; with a live Prometheus use "
                "<code>sum(increase(errors[30d])) / (0.001 * sum(increase(total[30d])))</code> in Grafana.</p>"
            )
        )
        return
    from apiprobe.plot.metrics import fig_error_budget

    fig_error_budget(ev.budget, title=f"Error budget — {ev.service or 'all'} (30-day period)").show()


def show_promql(ev: MetricsEvidence) -> None:
    """The PromQL behind every figure, to paste into Grafana (``$service`` is a dashboard variable).

    Parameters
    ----------
    ev : MetricsEvidence
        From :func:`get_metrics`.
    """
    show_table(
        pd.DataFrame({"figure": list(ev.queries), "PromQL": list(ev.queries.values())}), caption="PromQL", max_rows=100
    )

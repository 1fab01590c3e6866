"""Notebook glue for 10_resilience: retries, circuit breakers, timeout budgets and fallbacks (handbook §4)."""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze.resilience import (
    BreakerReplay,
    RetryPolicy,
    breaker_calls,
    breaker_from_logs,
    breaker_what_if,
    budget_tree,
    deadline_chains,
    fallback_share,
    retry_amplification,
    retry_attempts,
    retry_budget,
    retry_decision,
    retry_policy,
    retry_schedule,
    retry_timeline,
    timeout_budget,
)
from apiprobe.analyze.resilience import detect_resilience_faults as _detect_resilience
from apiprobe.load.logs import read_logs
from apiprobe.load.timeouts import parse_timeouts, read_timeouts
from apiprobe.load.traces import read_traces
from apiprobe.notebook._common import heading, time_span
from apiprobe.notebook._display import show_table

__all__ = [
    "ResilienceEvidence",
    "detect_resilience_faults",
    "get_resilience_evidence",
    "show_breaker",
    "show_fallback",
    "show_resilience_overview",
    "show_retry_policy",
    "show_retry_storm",
    "show_timeout_budget",
]


@dataclass(frozen=True)
class ResilienceEvidence:
    """Logs, traces and a call graph under review, with the clients' retry policy.

    Attributes
    ----------
    events : pandas.DataFrame or None
        Log lines (schema ``events``).
    spans : pandas.DataFrame or None
        Spans (schema ``spans``).
    calls : pandas.DataFrame or None
        The declared call graph (:func:`apiprobe.read_timeouts`).
    policy : RetryPolicy
        The clients' retry policy.
    source : str
        Where the evidence came from, in words.
    breaker : BreakerReplay or None
        Breaker states and rejections seen in the logs.
    scenario : object, optional
        The lab scenario's own record of what happened, when the lab ran.
    """

    events: pd.DataFrame | None
    spans: pd.DataFrame | None
    calls: pd.DataFrame | None
    policy: RetryPolicy
    source: str
    breaker: BreakerReplay | None = None
    scenario: Any = field(default=None, compare=False)


def _policy(name: str, retries: int) -> RetryPolicy:
    if not name:
        return retry_policy("go-retryablehttp")
    return retry_policy(name, retries=retries) if retries > 0 else retry_policy(name)


def get_resilience_evidence(
    *,
    logs_path: str | os.PathLike[str] = "",
    traces_path: str | os.PathLike[str] = "",
    timeouts_path: str | os.PathLike[str] = "",
    policy: str = "",
    retries: int = 0,
    scenario: str = "",
    out_dir: str | os.PathLike[str] = "",
) -> ResilienceEvidence:
    """Read logs, traces and a call graph, or run the fault lab's resilience scenario.

    Parameters
    ----------
    logs_path, traces_path : str or path-like
        Service logs and traces (a file, folder or glob; any format apiprobe reads).
    timeouts_path : str or path-like
        A declared call graph (``timeouts.yaml``; see :func:`apiprobe.read_timeouts`).
    policy : str
        The clients' retry preset (:func:`apiprobe.retry_policy`); default ``go-retryablehttp``.
    retries : int
        Override the preset's retry count (0: the preset's own).
    scenario : str
        ``"lab"`` runs the fault lab's resilience scenario (real clients
        retrying through a breaker against a flaky upstream on loopback,
        about ten seconds) and reads its logs; ``"lab-jitter"`` the same with
        jittered backoff.
    out_dir : str or path-like
        Where the scenario writes its logs (default: a temporary folder).

    With nothing given, the scenario runs and the demo's call graph is used.

    Returns
    -------
    ResilienceEvidence
    """
    pol = _policy(policy, retries)
    parts: list[str] = []
    events = spans = calls = None
    ran = None
    if not (logs_path or traces_path or timeouts_path or scenario):
        scenario = "lab"
        from apiprobe.demo import DEMO_TIMEOUTS_YAML

        calls = parse_timeouts(DEMO_TIMEOUTS_YAML, name="the demo call graph")
        parts.append("the demo call graph (timeouts.yaml)")
    if scenario:
        if scenario not in ("lab", "lab-jitter"):
            from apiprobe.errors import InvalidParameterError

            raise InvalidParameterError(f"scenario must be 'lab', 'lab-jitter' or empty, got {scenario!r}")
        from apiprobe.lab import run_resilience_scenario

        folder = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="apiprobe-resilience-"))
        ran = run_resilience_scenario(folder, jitter=scenario == "lab-jitter")
        events = read_logs(folder / "logs")
        pol = ran.policy if not policy else pol
        parts.insert(
            0, f"the fault lab's resilience scenario ({'jittered' if scenario == 'lab-jitter' else 'no'} jitter)"
        )
    if logs_path:
        logs = read_logs(logs_path)
        events = logs if events is None else pd.concat([events, logs], ignore_index=True)
        parts.append(f"{len(logs):,} log lines from {Path(logs_path).name}")
    if traces_path:
        spans = read_traces(traces_path)
        parts.append(f"{len(spans):,} spans from {Path(traces_path).name}")
    if timeouts_path:
        calls = read_timeouts(timeouts_path)
        parts.append(f"the call graph in {Path(timeouts_path).name}")
    breaker = breaker_from_logs(events) if events is not None and len(events) else None
    return ResilienceEvidence(
        events=events,
        spans=spans,
        calls=calls,
        policy=pol,
        source="; ".join(parts),
        breaker=breaker,
        scenario=ran,
    )


def show_resilience_overview(evidence: ResilienceEvidence, *, title: str = "") -> None:
    """Display the data source, the time covered and what each kind of evidence holds.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    lines = [f"<p>Data: {html.escape(evidence.source or 'none')}.</p>", "<ul>"]
    if evidence.events is not None and len(evidence.events):
        att = retry_attempts(evidence.events)
        lines.append(
            f"<li>{len(evidence.events):,} log lines, {html.escape(time_span(evidence.events['ts'].dropna()))}; "
            f"{len(att):,} outgoing call attempts</li>"
        )
    if evidence.spans is not None:
        lines.append(f"<li>{len(evidence.spans):,} spans in {evidence.spans['trace_id'].nunique():,} traces</li>")
    if evidence.calls is not None:
        lines.append(f"<li>a call graph of {len(evidence.calls)} hops</li>")
    lines.append(f"<li>retry policy: <code>{html.escape(evidence.policy.describe())}</code></li></ul>")
    display(HTML(heading(title) + "".join(lines)))


def detect_resilience_faults(evidence: ResilienceEvidence) -> pd.DataFrame:
    """Retry storms, breaker faults, timeout budgets and fallbacks, in one findings table.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), most severe first.
    """
    return _detect_resilience(
        events=evidence.events,
        spans=evidence.spans,
        calls=evidence.calls,
        breaker=evidence.breaker,
        policy=evidence.policy,
    )


def show_retry_policy(evidence: ResilienceEvidence, *, attempt_timeout_s: float = 0.0, deadline_s: float = 0.0) -> None:
    """The policy's schedule (with its jitter band), what it retries, and its budget against a deadline.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    attempt_timeout_s, deadline_s : float
        One attempt's timeout and the caller's deadline, seconds; 0 skips the budget.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.resilience import fig_retry_schedule

    pol = evidence.policy
    limited = pol if pol.retries is not None or pol.name == "cenkalti-backoff" else retry_policy(pol, retries=10)
    sched = retry_schedule(limited, n=400 if pol.jittered else 1, seed=0)
    fig_retry_schedule(sched, title=f"Retry schedule: {pol.name}").show()
    statuses = [0, 400, 404, 429, 500, 501, 502, 503, 504]
    rows = [{"response": f"HTTP {s}" if s else "no status", "retried": retry_decision(pol, status=s)} for s in statuses]
    for err in ("x509: certificate signed by unknown authority", "dial tcp: connect: connection refused"):
        rows.append({"response": err, "retried": retry_decision(pol, error=err)})
    rows.append(
        {
            "response": "HTTP 503 after the caller's context is done",
            "retried": retry_decision(pol, status=503, context_done=True),
        }
    )
    show_table(pd.DataFrame(rows), caption=f"What {pol.name} retries")
    if attempt_timeout_s > 0 and deadline_s > 0:
        budget = retry_budget(limited, attempt_timeout_s=attempt_timeout_s, deadline_s=deadline_s)
        display(HTML(f"<p><b>Budget:</b> {html.escape(budget.describe())}.</p>"))
        show_table(budget.table, caption="Attempts against the deadline (seconds)", float_format="{:.2f}")


def show_retry_storm(evidence: ResilienceEvidence, *, freq: str = "1s") -> None:
    """Retries over time, amplification per caller → callee, and the declared chain's worst case.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    freq : str, default "1s"
        Bin width of the timeline.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.resilience import fig_retry_amplification, fig_retry_storm

    sources = [d for d in (evidence.events, evidence.spans) if d is not None and len(d)]
    att = pd.concat([retry_attempts(d) for d in sources], ignore_index=True) if sources else None
    if att is None or att.empty:
        display(HTML("<p><i>No outgoing call attempts in the logs or traces.</i></p>"))
    else:
        fig_retry_storm(retry_timeline(att, freq=freq)).show()
        per = att[att["request_id"].notna()].groupby(["caller", "callee"], dropna=False)
        table = per.agg(
            attempts=("attempt", "size"),
            requests=("request_id", "nunique"),
            failed=("ok", lambda s: int((~s.astype(bool)).sum())),
        )
        table["amplification"] = table["attempts"] / table["requests"]
        table = table.reset_index().sort_values("amplification", ascending=False)
        show_table(table, caption="Attempts per original request, by caller → callee", float_format="{:.2f}")
        fig_retry_amplification(table.head(12), title="Observed attempts per request").show()
    if evidence.calls is not None and len(evidence.calls):
        chain = retry_amplification(evidence.calls)
        fig_retry_amplification(chain, title="Worst case if every declared hop retries").show()


def show_breaker(
    evidence: ResilienceEvidence, *, timeout_s: float = 0.0, max_requests: int = 0, interval_s: float = 0.0
) -> None:
    """The breaker's states over the error rate, its transitions, and a what-if replay with other settings.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    timeout_s, max_requests, interval_s : float, int, float
        Alternative gobreaker settings to replay the logged calls with (0: gobreaker's defaults).
    """
    from IPython.display import HTML, display

    from apiprobe.plot.resilience import fig_breaker_states

    b = evidence.breaker
    if b is None or (b.transitions.empty and not (~b.requests["allowed"]).any()):
        display(HTML("<p><i>No circuit-breaker state changes or rejections in the logs.</i></p>"))
        return
    fig_breaker_states(b.transitions, b.requests, title="Circuit breaker state over the calls' error rate").show()
    show_table(b.transitions, caption="State changes as logged", max_rows=30)
    calls = breaker_calls(b)
    if calls.empty:
        return
    variants: dict[str, dict[str, Any]] = {
        "gobreaker defaults": {},
        "your settings": {"timeout": timeout_s, "max_requests": max_requests, "interval": interval_s},
        "longer open (4× timeout)": {
            "timeout": 4 * (timeout_s or 60),
            "max_requests": max_requests,
            "interval": interval_s,
        },
    }
    table = breaker_what_if(calls, variants)
    estimated = int(calls["estimated"].sum())
    show_table(
        table,
        caption=(
            "What if: the same calls replayed through gobreaker with other settings "
            f"({estimated} calls the logged breaker rejected take the outcome of the nearest call that got through)"
        ),
        float_format="{:.2f}",
    )


def show_timeout_budget(evidence: ResilienceEvidence) -> None:
    """The declared call graph's budget tree, spans against their parents, and deadline chains in the logs.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.resilience import fig_timeout_budget

    shown = False
    if evidence.calls is not None and len(evidence.calls):
        tree = budget_tree(evidence.calls)
        fig_timeout_budget(tree).show()
        show_table(
            tree.drop(columns=["path"]),
            caption="Budget per hop (seconds)",
            float_format="{:.2f}",
            highlight=tree["verdict"] == "over budget",
        )
        shown = True
    if evidence.spans is not None and len(evidence.spans):
        tb = timeout_budget(evidence.spans)
        summary = tb.groupby(["caller", "callee"]).agg(
            calls=("span_id", "size"),
            orphaned=("orphaned", "sum"),
            worst_overrun_ms=("overrun_ms", "max"),
            least_left_ms=("parent_left_ms", "min"),
        )
        show_table(
            summary.reset_index(),
            caption="Child calls against the time their caller had left (from traces)",
            highlight=summary.reset_index()["orphaned"] > 0,
        )
        shown = True
    if evidence.events is not None and "trace_id" in evidence.events.columns:
        chains = deadline_chains(evidence.events)
        if len(chains):
            show_table(
                chains,
                caption="Who gave up first: deadline and cancel errors by trace",
                max_rows=20,
                float_format="{:.0f}",
            )
            shown = True
    if not shown:
        display(HTML("<p><i>No call graph (<code>timeouts_path</code>), traces or deadline errors to budget.</i></p>"))


def show_fallback(evidence: ResilienceEvidence, *, freq: str = "1s") -> None:
    """Share of requests served by a fallback over time, against the primary's error rate.

    Parameters
    ----------
    evidence : ResilienceEvidence
        What :func:`get_resilience_evidence` returned.
    freq : str, default "1s"
        Bin width.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.resilience import fig_fallback_share

    if evidence.events is None or evidence.events.empty:
        display(HTML("<p><i>No logs (parameter <code>logs_path</code>).</i></p>"))
        return
    share = fallback_share(evidence.events, freq=freq)
    fig_fallback_share(share).show()
    periods = share.attrs.get("periods", [])
    if periods:
        show_table(pd.DataFrame(periods, columns=["service", "kicked in", "stopped"]), caption="Fallback periods")

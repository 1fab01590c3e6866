"""Latency, jitter, loss and timeout analysis of probe tables.

Pure functions: a probes (or pings) table in, a table out. Thresholds default
to the handbook's (§2.1: RTT > 500 ms or volatile, loss > 1 %, DNS > 200 ms;
§5: error rate < 0.5 %) and are keyword options.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import failed_mask, require_columns
from apiprobe.analyze._findings import finding, finding_window, findings_frame
from apiprobe.schema import PHASE_LABELS, PHASES, TIMEOUT_KINDS

__all__ = ["compare_latency", "detect_latency_faults", "jitter_stats", "select_probes", "summarize_latency"]

_DETECTOR = "detect_latency_faults"
#: Linux retransmits an unanswered SYN after its initial RTO of 1 s, then backs off
#: (classic: 1, 3, 7, 15 s after the first SYN; kernels with ``tcp_syn_linear_timeouts``
#: retry every second first: 1, 2, 3, 4, 5 s). A connect that succeeds within this
#: many ms of a whole second ≥ 1 s is taken as a SYN retransmission.
_SYN_TOLERANCE_MS = 150.0


def _value_columns(df: pd.DataFrame, phases: tuple[str, ...] | None) -> list[str]:
    if phases is not None:
        require_columns(df, phases)
        return list(phases)
    if "rtt_ms" in df.columns and "total_ms" not in df.columns:
        return ["rtt_ms"]
    return [c for c in (*PHASES, "total_ms") if c in df.columns]


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as floats (NaN where missing); all-NaN when the column is absent."""
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[col], errors="coerce").astype("float64")


def _measured(df: pd.DataFrame) -> str | None:
    """The column that measures a whole attempt: ``total_ms`` for probes, ``rtt_ms`` for pings."""
    return next((c for c in ("total_ms", "rtt_ms") if c in df.columns), None)


def select_probes(
    probes: pd.DataFrame,
    *,
    target: str | None = None,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Rows of one target (None: all) with ``start <= ts < end`` (None: open-ended).

    Returns a new frame; the input is not modified.

    Parameters
    ----------
    probes : pandas.DataFrame
        A probes or pings table.
    target : str, optional
        Keep this target only (None: all).
    start, end : pandas.Timestamp or str, optional
        Keep ``start <= ts < end`` (None: open-ended); naive times are UTC.

    Returns
    -------
    pandas.DataFrame
        The selected rows, same columns.

    Raises
    ------
    SchemaError
        When ``target`` is given and there is no ``target`` column, or a bound is given and
        there is no ``ts`` column.
    """
    bounded = start is not None or end is not None
    require_columns(probes, ["target" if target is not None else None, "ts" if bounded else None], table="probes")
    mask = pd.Series(True, index=probes.index)
    if target is not None:
        mask &= probes["target"].eq(target).fillna(False)
    if start is not None:
        mask &= probes["ts"] >= pd.Timestamp(start)
    if end is not None:
        mask &= probes["ts"] < pd.Timestamp(end)
    return probes[mask].copy()


def jitter_stats(values: pd.Series) -> dict[str, float]:
    """Jitter of a time-ordered series of latencies (ms).

    Returns ``jitter_mean_ms`` and ``jitter_max_ms`` (mean and max of
    |xₙ − xₙ₋₁| over consecutive successful samples, as mtr reports) and
    ``jitter_rfc3550_ms`` (RFC 3550 interarrival jitter, J += (|D| − J)/16).
    NaN samples (failures) are skipped; fewer than two samples give NaN.

    Parameters
    ----------
    values : pandas.Series
        Latencies in ms, in time order; NaN marks a failed sample.

    Returns
    -------
    dict of str to float
        ``jitter_mean_ms``, ``jitter_max_ms``, ``jitter_rfc3550_ms`` (ms; NaN with fewer than two samples).
    """
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(x) < 2:
        return {"jitter_mean_ms": np.nan, "jitter_max_ms": np.nan, "jitter_rfc3550_ms": np.nan}
    d = np.abs(np.diff(x))
    j = 0.0
    for step in d:
        j += (step - j) / 16.0
    return {"jitter_mean_ms": float(d.mean()), "jitter_max_ms": float(d.max()), "jitter_rfc3550_ms": j}


def summarize_latency(
    probes: pd.DataFrame,
    *,
    by: str = "target",
    phases: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Per target and phase: count, failures, percentiles, jitter and loss.

    Each row is one (``by`` value, phase) pair with columns ``attempts``
    (rows for the target), ``count`` (samples where the phase was measured),
    ``failures`` (transport failures, :func:`apiprobe._frames.failed_mask`:
    ``error_kind`` set or ``ok`` False; in a table with neither, no
    ``total_ms`` / ``rtt_ms``), ``loss`` (failures / attempts, 0–1), ``http_5xx`` (answers with status ≥ 500),
    ``error_rate`` ((failures + 5xx) / attempts), ``mean_ms``, ``p50_ms``,
    ``p90_ms``, ``p99_ms``, ``max_ms``, ``jitter_mean_ms``,
    ``jitter_max_ms`` and ``jitter_rfc3550_ms``. Percentiles use only
    samples where the phase happened, so a failed phase never counts as 0 ms.

    Parameters
    ----------
    probes : pandas.DataFrame
        A probes table, or a pings table (phase ``rtt_ms``).
    by : str, default "target"
        Grouping column.
    phases : tuple of str, optional
        Value columns to summarise; default: every phase present plus ``total_ms``
        (``rtt_ms`` for pings).

    Returns
    -------
    pandas.DataFrame
        One row per (``by`` value, phase): the ``by`` column, ``phase`` (str); ``attempts,
        count, failures, http_5xx`` (counts); ``loss, error_rate`` (shares 0–1); ``mean_ms,
        p50_ms, p90_ms, p99_ms, max_ms, jitter_mean_ms, jitter_max_ms, jitter_rfc3550_ms`` (ms).

    Raises
    ------
    SchemaError
        When ``probes`` lacks the ``by`` column or one of ``phases``.
    """
    cols = _value_columns(probes, phases)
    out_cols = [
        "attempts",
        "count",
        "failures",
        "loss",
        "http_5xx",
        "error_rate",
        "mean_ms",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "max_ms",
        "jitter_mean_ms",
        "jitter_max_ms",
        "jitter_rfc3550_ms",
    ]
    if probes.empty:
        return pd.DataFrame(columns=[by, "phase", *out_cols])
    require_columns(probes, [by], table="probes")
    df = probes.sort_values("ts", kind="stable") if "ts" in probes.columns else probes
    failed = failed_mask(df, _measured(df))
    status = pd.to_numeric(df["status"], errors="coerce") if "status" in df.columns else None
    rows: list[dict[str, Any]] = []
    for key, group in df.groupby(by, sort=True, dropna=False):
        n = len(group)
        n_fail = int(failed.loc[group.index].sum())
        n_5xx = int((status.loc[group.index] >= 500).sum()) if status is not None else 0
        for col in cols:
            v = pd.to_numeric(group[col], errors="coerce").dropna()
            q = v.quantile([0.5, 0.9, 0.99]) if len(v) else pd.Series([np.nan] * 3, index=[0.5, 0.9, 0.99])
            rows.append(
                {
                    by: key,
                    "phase": col,
                    "attempts": n,
                    "count": len(v),
                    "failures": n_fail,
                    "loss": n_fail / n,
                    "http_5xx": n_5xx,
                    "error_rate": (n_fail + n_5xx) / n,
                    "mean_ms": v.mean() if len(v) else np.nan,
                    "p50_ms": q[0.5],
                    "p90_ms": q[0.9],
                    "p99_ms": q[0.99],
                    "max_ms": v.max() if len(v) else np.nan,
                    **jitter_stats(group[col]),
                }
            )
    return pd.DataFrame(rows, columns=[by, "phase", *out_cols])


def compare_latency(
    probes: pd.DataFrame,
    baseline: pd.DataFrame,
    *,
    by: str = "target",
    phases: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Compare p50/p99/loss per target and phase against a baseline run.

    Each row is one (target, phase) present in either table with the current
    and baseline ``p50_ms``, ``p99_ms`` and ``loss`` side by side and the
    ratios ``p50_ratio`` and ``p99_ratio`` (current / baseline; NA when the
    baseline has no samples).

    Parameters
    ----------
    probes : pandas.DataFrame
        The probes (or pings) under review.
    baseline : pandas.DataFrame
        Probes from a good period, same schema.
    by : str, default "target"
        Grouping column.
    phases : tuple of str, optional
        Value columns to compare (default as :func:`summarize_latency`).

    Returns
    -------
    pandas.DataFrame
        ``by`` column, ``phase``, ``p50_ms``, ``p99_ms``, ``loss``, ``p50_ms_baseline``,
        ``p99_ms_baseline``, ``loss_baseline`` (ms; loss as share 0–1), ``p50_ratio``, ``p99_ratio``.
    """
    keep = ["p50_ms", "p99_ms", "loss"]
    cur = summarize_latency(probes, by=by, phases=phases)[[by, "phase", *keep]]
    base = summarize_latency(baseline, by=by, phases=phases)[[by, "phase", *keep]]
    merged = cur.merge(base, on=[by, "phase"], how="outer", suffixes=("", "_baseline"))
    for stat in ("p50", "p99"):
        b = merged[f"{stat}_ms_baseline"].where(merged[f"{stat}_ms_baseline"] > 0)
        merged[f"{stat}_ratio"] = merged[f"{stat}_ms"] / b
    return merged.sort_values([by, "phase"], kind="stable").reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


_TIMEOUT_ADVICE = {
    "connect_timeout": (
        "SYNs went unanswered: check that the host is up, that no firewall or security group drops "
        "the traffic and that the server's accept queue is not full (ss -ltn shows Recv-Q at the "
        "backlog). In Go, give net.Dialer a Timeout of its own, a few seconds, well below the "
        "request timeout, so a retry can still reach another instance."
    ),
    "read_timeout": (
        "The connection opened but the server never sent headers: the handler is stuck or queued. "
        "Take a goroutine dump and a CPU profile of the upstream, and check its own downstream "
        "calls and pools. In Go, bound the wait with Transport.ResponseHeaderTimeout."
    ),
    "body_timeout": (
        "Headers arrived but the body trickled: a slow producer or a congested link. Stream the "
        "body or raise the timeout for large responses; http.Client.Timeout covers the body too."
    ),
    "tls_timeout": (
        "The TLS handshake stalled: often an overloaded TLS terminator or a middlebox. In Go, "
        "Transport.TLSHandshakeTimeout (10 s by default) bounds it."
    ),
    "dns_timeout": (
        "The resolver did not answer: check /etc/resolv.conf, the resolver's health and ndots "
        "(Kubernetes ndots:5 multiplies queries)."
    ),
}


def detect_latency_faults(
    probes: pd.DataFrame,
    *,
    timeout_ms: float | None = None,
    rtt_threshold_ms: float = 500.0,
    loss_threshold: float = 0.01,
    dns_threshold_ms: float = 200.0,
    error_rate_threshold: float = 0.005,
    jitter_threshold_ms: float = 50.0,
    slow_quantile: float = 0.9,
    by: str = "target",
) -> pd.DataFrame:
    """Find latency, jitter, loss and timeout problems in a probes table.

    Each row is one finding (schema ``findings``). Detected, per target:

    * ``timeout`` — attempts that hit the probe timeout, by kind, with advice
      for the phase that stalled;
    * ``connect_refused`` — nothing listening;
    * ``loss`` — transport failures above ``loss_threshold`` (handbook: 1 %)
      that no timeout, refused or DNS finding already explains (resets,
      TLS and protocol errors);
    * ``high_latency`` — TCP connect (one RTT) p90 above ``rtt_threshold_ms``
      (handbook: 500 ms);
    * ``jitter`` — mean |Δ| between consecutive total times above
      ``jitter_threshold_ms``, or a p99 five times the p50;
    * ``dns`` — resolution p90 above ``dns_threshold_ms`` (handbook: 200 ms)
      or resolution failures;
    * ``slow_phase`` — the phase that dominates the slowest requests, and
      connects stuck at the kernel's SYN-retransmit steps (~1 s, ~3 s);
    * ``server_errors`` — 5xx share above ``error_rate_threshold``
      (handbook §5: 0.5 %);
    * ``timeout_budget`` — when ``timeout_ms`` (the client's timeout under
      review) is given: p99 total time over 80 % of it, with the number of
      requests that took longer than the client would have waited.

    Parameters
    ----------
    probes : pandas.DataFrame
        A probes table (a pings table works too: ``rtt_ms`` stands for the connect time).
    timeout_ms : float, optional
        The timeout of the client whose calls these probes imitate (e.g. the
        Go service's ``http.Client.Timeout``), in ms. None skips the budget check.
    rtt_threshold_ms : float, default 500
        TCP-connect p90 above which latency is high (handbook §2.1).
    loss_threshold : float, default 0.01
        Share of transport failures counted as loss (handbook: 1 %).
    dns_threshold_ms : float, default 200
        Resolution p90 above which DNS is slow.
    error_rate_threshold : float, default 0.005
        5xx share above which the server errors (handbook §5: 0.5 %).
    jitter_threshold_ms : float, default 50
        Mean |Δ| between consecutive totals above which latency jitters.
    slow_quantile : float, default 0.9
        Requests above this quantile of ``total_ms`` are the slow ones whose dominant phase is named.
    by : str, default "target"
        Grouping column.

    Returns
    -------
    pandas.DataFrame
        Schema ``findings``: ``detector, fault, severity, subject, ts_start, ts_end, metric,
        value, threshold, evidence, recommendation, handbook_ref``, most severe first.

    Raises
    ------
    SchemaError
        When a non-empty ``probes`` lacks the ``by`` column or ``error_kind``.
    """
    rows: list[dict[str, Any]] = []
    if probes.empty:
        return findings_frame(rows)
    require_columns(probes, [by, "error_kind"], table="probes")
    df = probes.sort_values("ts", kind="stable") if "ts" in probes.columns else probes
    failed = failed_mask(df, _measured(df))
    for target, group in df.groupby(by, sort=True):
        subject = str(target)
        n = len(group)
        kinds = group["error_kind"].dropna().astype(str)
        rows += _timeouts(subject, group, kinds, n, loss_threshold)
        refused = int((kinds == "connect_refused").sum())
        if refused:
            rows.append(
                finding(
                    _DETECTOR,
                    "connect_refused",
                    "critical",
                    subject,
                    metric="refused_share",
                    value=refused / n,
                    threshold=0.0,
                    evidence=f"{refused} of {n} attempts were refused (TCP RST): nothing listens on "
                    f"{group['ip'].dropna().iloc[0] if group['ip'].notna().any() else 'the address'}"
                    f":{group['port'].dropna().iloc[0] if group['port'].notna().any() else '?'}.",
                    recommendation="Check the port and that the service is running and listening on "
                    "that interface (ss -ltnp); during a deploy, check readiness gates "
                    "and that the load balancer drains before stopping instances.",
                    handbook_ref="§2.1",
                    **finding_window(group, group["error_kind"].eq("connect_refused").fillna(False)),
                )
            )
        loss = float(failed.loc[group.index].mean())
        # Failures that a more specific finding (timeout, refused, DNS) already explains are
        # not reported a second time as "loss".
        explained = kinds.isin(TIMEOUT_KINDS | {"connect_refused", "dns_failure"})
        if loss > loss_threshold and not explained.all():
            rows.append(
                finding(
                    _DETECTOR,
                    "loss",
                    "critical" if loss > 5 * loss_threshold else "warning",
                    subject,
                    metric="loss",
                    value=loss,
                    threshold=loss_threshold,
                    evidence=f"{_pct(loss)} of {n} attempts failed at the transport level "
                    f"({', '.join(f'{k}: {v}' for k, v in kinds.value_counts().items())}).",
                    recommendation="Above the handbook's 1 %: look at the loss timeline for a window, "
                    "then at the link (mtr, interface errors) or at the server's "
                    "accept queue; make callers retry idempotent requests with backoff.",
                    handbook_ref="§2.1",
                    **finding_window(group, failed.loc[group.index]),
                )
            )
        rows += _latency(subject, group, rtt_threshold_ms, jitter_threshold_ms)
        rows += _dns(subject, group, kinds, dns_threshold_ms)
        rows += _slow_phase(subject, group, slow_quantile)
        rows += _server_errors(subject, group, error_rate_threshold)
        if timeout_ms is not None:
            rows += _budget(subject, group, kinds, timeout_ms)
    return findings_frame(rows)


def _timeouts(
    subject: str, group: pd.DataFrame, kinds: pd.Series, n: int, loss_threshold: float
) -> list[dict[str, Any]]:
    timed_out = kinds[kinds.isin(TIMEOUT_KINDS)]
    if timed_out.empty:
        return []
    counts = timed_out.value_counts()
    main = str(counts.index[0])
    share = len(timed_out) / n
    detail = ", ".join(f"{v} {k}" for k, v in counts.items())
    if share > loss_threshold:
        detail += f" — above the handbook's {_pct(loss_threshold)} loss threshold"
    return [
        finding(
            _DETECTOR,
            "timeout",
            "critical" if share > loss_threshold else "warning",
            subject,
            metric="timeout_share",
            value=share,
            threshold=loss_threshold,
            evidence=f"{len(timed_out)} of {n} attempts ({_pct(share)}) timed out: {detail}.",
            recommendation=_TIMEOUT_ADVICE.get(main, "See the error column for details."),
            handbook_ref="§2.1, §4.3",
            **finding_window(group, group["error_kind"].isin(TIMEOUT_KINDS).fillna(False)),
        )
    ]


def _latency(
    subject: str, group: pd.DataFrame, rtt_threshold_ms: float, jitter_threshold_ms: float
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    rtt_col = "rtt_ms" if "rtt_ms" in group.columns else "connect_ms"
    rtt = _num(group, rtt_col).dropna()
    if len(rtt) >= 3 and rtt.quantile(0.9) > rtt_threshold_ms:
        p90 = float(rtt.quantile(0.9))
        rows.append(
            finding(
                _DETECTOR,
                "high_latency",
                "warning",
                f"{subject} · {PHASE_LABELS[rtt_col]}",
                metric="rtt_p90_ms",
                value=p90,
                threshold=rtt_threshold_ms,
                evidence=f"TCP connect (one round trip) p90 is {p90:.0f} ms, p50 {rtt.median():.0f} ms.",
                recommendation="Above the handbook's 500 ms: the path is long or congested. Trace the "
                "route (mtr -T -P PORT), compare with another vantage point and keep "
                "connections alive so each request does not pay the round trips again.",
                handbook_ref="§2.1",
                **finding_window(group),
            )
        )
    value_col = "total_ms" if "total_ms" in group.columns else rtt_col
    series = _num(group, value_col)
    stats = jitter_stats(series)
    ok = series.dropna()
    if len(ok) >= 10:
        p50, p99 = float(ok.quantile(0.5)), float(ok.quantile(0.99))
        spiky = p99 >= 5 * p50 and p99 - p50 >= 100
        if stats["jitter_mean_ms"] > jitter_threshold_ms or spiky:
            rows.append(
                finding(
                    _DETECTOR,
                    "jitter",
                    "warning",
                    f"{subject} · {PHASE_LABELS.get(value_col, value_col)}",
                    metric="jitter_mean_ms",
                    value=stats["jitter_mean_ms"],
                    threshold=jitter_threshold_ms,
                    evidence=f"Consecutive requests differ by {stats['jitter_mean_ms']:.0f} ms on average "
                    f"(max {stats['jitter_max_ms']:.0f} ms); p50 {p50:.0f} ms, p99 {p99:.0f} ms.",
                    recommendation="Volatile latency: find which phase varies (phase breakdown below). "
                    "Server-side variance points at GC pauses, lock contention or a "
                    "noisy neighbour (take a CPU profile during a spike); network-side "
                    "variance at congestion. Set timeouts from p99, not from the average.",
                    handbook_ref="§2.1",
                    **finding_window(group),
                )
            )
    return rows


def _dns(subject: str, group: pd.DataFrame, kinds: pd.Series, dns_threshold_ms: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if "dns_ms" in group.columns:
        dns = pd.to_numeric(group["dns_ms"], errors="coerce").dropna()
        if len(dns) >= 3 and dns.quantile(0.9) > dns_threshold_ms:
            p90 = float(dns.quantile(0.9))
            rows.append(
                finding(
                    _DETECTOR,
                    "dns",
                    "warning",
                    f"{subject} · DNS",
                    metric="dns_p90_ms",
                    value=p90,
                    threshold=dns_threshold_ms,
                    evidence=f"Name resolution p90 is {p90:.0f} ms (p50 {dns.median():.0f} ms).",
                    recommendation="Above the handbook's 200 ms: check the resolver's latency, search "
                    "domains and ndots in /etc/resolv.conf (use a trailing dot or "
                    "ndots:1 for external names) and consider a local cache.",
                    handbook_ref="§2.1",
                    **finding_window(group),
                )
            )
    failures = int(kinds.isin(["dns_failure"]).sum())
    if failures:
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                "critical",
                f"{subject} · DNS",
                metric="dns_failures",
                value=failures,
                threshold=0.0,
                evidence=f"{failures} of {len(group)} attempts could not resolve the name.",
                recommendation="Check the name, the resolver in /etc/resolv.conf and whether the "
                "record exists from this network (Go logs 'lookup HOST on RESOLVER: "
                "no such host').",
                handbook_ref="§2.1",
                **finding_window(group, group["error_kind"].eq("dns_failure").fillna(False)),
            )
        )
    return rows


def _slow_phase(subject: str, group: pd.DataFrame, slow_quantile: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    phases = [p for p in PHASES if p in group.columns]
    if "total_ms" not in group.columns or not phases:
        return rows
    total = pd.to_numeric(group["total_ms"], errors="coerce")
    ok = group[total.notna()]
    if len(ok) >= 10:
        cut = total.dropna().quantile(slow_quantile)
        slow = ok[pd.to_numeric(ok["total_ms"]) >= cut]
        share = (
            slow[phases].apply(pd.to_numeric, errors="coerce").fillna(0.0).sum() / pd.to_numeric(slow["total_ms"]).sum()
        )
        top = str(share.idxmax())
        if share[top] >= 0.5 and pd.to_numeric(slow["total_ms"]).median() >= 2 * total.median():
            rows.append(
                finding(
                    _DETECTOR,
                    "slow_phase",
                    "warning",
                    f"{subject} · {PHASE_LABELS[top]}",
                    metric="phase_share",
                    value=float(share[top]),
                    threshold=0.5,
                    evidence=f"In the slowest {100 * (1 - slow_quantile):.0f} % of requests (n={len(slow)}, "
                    f"≥ {cut:.0f} ms), {PHASE_LABELS[top]} takes {_pct(float(share[top]))} of the time.",
                    recommendation=_PHASE_ADVICE[top],
                    handbook_ref="§2.1",
                    **finding_window(slow),
                )
            )
    if "connect_ms" in group.columns:
        connect = pd.to_numeric(group["connect_ms"], errors="coerce")
        seconds = (connect / 1000.0).round()
        near = ((seconds >= 1) & ((connect - 1000.0 * seconds).abs() <= _SYN_TOLERANCE_MS)).fillna(False)
        timeouts = group["error_kind"].eq("connect_timeout").fillna(False)
        if int(near.sum()) >= 1:
            steps = sorted({int(s) for s in seconds[near]})
            rows.append(
                finding(
                    _DETECTOR,
                    "slow_phase",
                    "warning",
                    f"{subject} · Connect",
                    metric="syn_retransmits",
                    value=int(near.sum()),
                    threshold=0.0,
                    evidence=f"{int(near.sum())} connects took ≈{', '.join(f'{s} s' for s in steps)}: the "
                    f"kernel's SYN retransmission steps, so the first SYN or SYN-ACK was lost"
                    f"{f' ({int(timeouts.sum())} more never connected)' if timeouts.any() else ''}.",
                    recommendation="Packet loss on the path or a full listen queue on the server "
                    "(check ListenOverflows in nstat, raise the backlog / somaxconn, add "
                    "capacity). A dial timeout under 1 s turns these into failures.",
                    handbook_ref="§2.1",
                    **finding_window(group, near),
                )
            )
    return rows


_PHASE_ADVICE = {
    "dns_ms": "Resolution dominates: cache DNS, fix ndots/search domains, or reuse connections.",
    "connect_ms": "TCP connect dominates: network path or a saturated listener; keep connections "
    "alive (Go: Transport.MaxIdleConnsPerHost) so requests skip the handshake.",
    "tls_ms": "The TLS handshake dominates: enable keep-alive and session resumption, check the "
    "terminator's CPU and the certificate chain size.",
    "request_ms": "Writing the request dominates: a large body or a slow uplink; compress or stream it.",
    "ttfb_ms": "The server's wait dominates: the upstream is slow to answer. Profile it (pprof), "
    "look at its own downstream calls and pools, and check for queueing.",
    "transfer_ms": "The body transfer dominates: responses are large or the link is slow; paginate, "
    "compress, or raise the timeout for bulk endpoints only.",
}


def _server_errors(subject: str, group: pd.DataFrame, threshold: float) -> list[dict[str, Any]]:
    if "status" not in group.columns:
        return []
    status = pd.to_numeric(group["status"], errors="coerce")
    answered = status.notna().sum()
    bad = status >= 500
    if not answered or not bad.any():
        return []
    share = float(bad.sum() / answered)
    if share <= threshold:
        return []
    codes = ", ".join(f"{int(float(str(k)))}: {v}" for k, v in status[bad].value_counts().items())
    return [
        finding(
            _DETECTOR,
            "server_errors",
            "critical" if share > 0.05 else "warning",
            subject,
            metric="http_5xx_share",
            value=share,
            threshold=threshold,
            evidence=f"{_pct(share)} of answered requests were 5xx ({codes}).",
            recommendation="Above the handbook's 0.5 % error budget: read the upstream's logs for "
            "these windows; 503 usually means overload or a dependency down — retry "
            "with backoff and jitter, and let a circuit breaker shed load.",
            handbook_ref="§2.4, §5",
            **finding_window(group, bad.fillna(False)),
        )
    ]


def _budget(subject: str, group: pd.DataFrame, kinds: pd.Series, timeout_ms: float) -> list[dict[str, Any]]:
    total = _num(group, "total_ms").dropna()
    timed_out = int(kinds.isin(TIMEOUT_KINDS).sum())
    n = len(total) + timed_out
    if len(total) < 5:  # nothing (or too little) completed: the timeout finding says it all
        return []
    # Timed-out attempts took at least the timeout: count them as +inf, not as missing,
    # so the p99 is the p99 of what the client actually waited for.
    waits = np.concatenate([total.to_numpy(dtype=float), np.full(timed_out, np.inf)])
    p99 = float(np.quantile(waits, 0.99, method="higher"))
    if p99 <= 0.8 * timeout_ms:
        return []
    over = int((total > timeout_ms).sum()) + timed_out
    phase_p99 = {p: pd.to_numeric(group[p], errors="coerce").quantile(0.99) for p in PHASES if p in group.columns}
    parts = ", ".join(f"{PHASE_LABELS[p]} {v:.0f} ms" for p, v in phase_p99.items() if pd.notna(v))
    shown = f"≥ {timeout_ms:.0f} ms (the timeout itself)" if np.isinf(p99) else f"{p99:.0f} ms"
    return [
        finding(
            _DETECTOR,
            "timeout_budget",
            "critical" if p99 > timeout_ms else "warning",
            subject,
            metric="total_p99_ms",
            value=min(p99, timeout_ms) if np.isinf(p99) else p99,
            threshold=timeout_ms,
            evidence=f"p99 of the whole request is {shown} against a {timeout_ms:.0f} ms client timeout; "
            f"{over} of {n} attempts took longer than the client would wait. "
            f"Phase p99s of completed requests: {parts}.",
            recommendation="Leave slack: the timeout should sit well above the p99 of what it covers, and every "
            "caller's timeout must exceed its callee's total (including retries) — otherwise the "
            "caller gives up while the callee still works. Propagate one deadline with "
            "context.WithTimeout, and fix the slow phase rather than only raising the timeout.",
            handbook_ref="§4.3",
            **finding_window(group),
        )
    ]

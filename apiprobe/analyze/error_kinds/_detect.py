"""Findings from classified log events: error bursts, new errors, retry storms and breaker flapping.

:func:`detect_error_faults` compares an incident window with a baseline and
reports bursts, new errors, pool exhaustion, timeouts, retry storms and
breaker flapping (handbook §3.3 and the section of each kind).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from apiprobe._frames import format_duration
from apiprobe._time import utc_window
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze._sources import as_store, is_dask
from apiprobe.analyze.error_kinds._aggregate import _example, _texts
from apiprobe.analyze.error_kinds._classify import _classified, _string
from apiprobe.analyze.error_kinds._population import Population, focus_from_dask, focus_from_store, population_of
from apiprobe.analyze.error_kinds._rules import KIND_DEFAULTS
from apiprobe.analyze.templates import mine_templates
from apiprobe.analyze.tls import GO_LOG_CAUSES
from apiprobe.errors import InvalidParameterError

__all__ = ["detect_error_faults"]

_DETECTOR = "detect_error_faults"

_KIND_SECTIONS: dict[str, str] = {
    **dict.fromkeys(
        ("dns_failure", "dns_timeout", "nxdomain", "servfail", "connect_refused", "connect_timeout", "connect_error"),
        "§2.1",
    ),
    **dict.fromkeys(("tls_error", "tls_untrusted", "tls_expired", "tls_hostname", "tls_timeout"), "§2.2"),
    **dict.fromkeys(("server_error", "client_error"), "§2.4"),
    **dict.fromkeys(("pool_timeout", "conn_closed", "idle_conn_closed"), "§2.5"),
    "rate_limited": "§4.1",
    "breaker_open": "§4.2",
    **dict.fromkeys(("read_timeout", "body_timeout", "deadline_exceeded", "canceled"), "§4.3"),
}

_KIND_FAULTS: dict[str, str] = {"pool_timeout": "pool_exhaustion", "read_timeout": "timeout", "body_timeout": "timeout"}


def _tls_fix(fragment: str) -> str:
    return next((fix for frag, _c, _h, fix in GO_LOG_CAUSES if frag == fragment), "")


_ADVICE: dict[str, str] = {
    "dns_failure": "Check the resolver (resolv.conf, CoreDNS/kube-dns health) and the name; run the DNS notebook "
    "against the same resolver.",
    "dns_timeout": "The resolver did not answer: check its health and load, and ndots/search domains (Kubernetes "
    "ndots:5 multiplies queries); add a trailing dot to fully qualified names.",
    "nxdomain": "The name does not exist for this resolver: check the spelling, the namespace/search domain and "
    "whether the record was removed.",
    "servfail": "The resolver failed upstream: check the authoritative servers and the resolver's logs.",
    "connect_refused": "Nothing listened on the port: the upstream was down, restarting or scaled to zero, or the "
    "port is wrong. Check deploys and health checks in that window.",
    "connect_timeout": "SYNs went unanswered: host down, a firewall dropping packets, or a full accept queue. Give "
    "net.Dialer its own Timeout, well below the request timeout.",
    "connect_error": "The connection could not be opened (no route, unreachable network, file descriptors "
    "exhausted): check the network path and the client's ulimit.",
    "tls_error": "Compare the TLS versions, cipher suites and ports of client and server; run the TLS notebook on "
    "the target.",
    "tls_untrusted": _tls_fix("certificate signed by unknown authority"),
    "tls_expired": _tls_fix("certificate has expired or is not yet valid"),
    "tls_hostname": _tls_fix("certificate is valid for"),
    "tls_timeout": "The TLS handshake stalled: check the TLS terminator's load; Transport.TLSHandshakeTimeout "
    "bounds it.",
    "write_error": "The request could not be written: the peer closed or stopped reading; check request body "
    "reuse across retries (GetBody) and the server's read timeout.",
    "read_timeout": "The server did not send headers in time: take a goroutine dump and CPU profile of the "
    "upstream, check its own downstream calls and pools, and bound the wait with "
    "Transport.ResponseHeaderTimeout below the caller's deadline.",
    "body_timeout": "Headers came but the body trickled: stream large bodies or give them a longer budget; "
    "http.Client.Timeout includes reading the body.",
    "connection_reset": "The peer reset connections mid-exchange: look for upstream restarts or crashes, and for "
    "proxies or load balancers whose idle timeout is shorter than the client's IdleConnTimeout.",
    "protocol_error": "The peer did not speak the expected HTTP: check the port, the scheme and any proxy between.",
    "deadline_exceeded": "A context deadline expired without saying where: check the timeout budget along the call "
    "chain (each hop's timeout must exceed its downstream's total) and find the slow hop with "
    "traces.",
    "canceled": "Callers canceled: usually their own caller gave up first. Look upstream for the timeout that "
    "fired, and do not count these as the callee's failures.",
    "pool_timeout": "Requests waited for a pooled connection and gave up: size the pool with Little's law "
    "(rate × latency), look for connections held too long (unclosed bodies, long transactions) and "
    "take a goroutine dump while it happens.",
    "idle_conn_closed": "Kept-alive connections were closed by the server as the client reused them: make the "
    "client's IdleConnTimeout shorter than the server's (and any load balancer's) idle timeout.",
    "goaway": "HTTP/2 servers sent GOAWAY: usually rolling restarts or connection max-age; make sure the client "
    "retries idempotent requests on a new connection.",
    "eof": "Connections ended before a complete response: upstream restarts, or an idle keep-alive connection "
    "closed by the server or a proxy; align idle timeouts and retry idempotent requests once.",
    "conn_closed": "Pooled connections were used after closing: check SetConnMaxLifetime/SetConnMaxIdleTime against "
    "the database's and proxies' idle timeouts.",
    "breaker_open": "A circuit breaker refused calls: the upstream failed enough to trip it. Fix the upstream "
    "failure first; check the breaker's thresholds and open duration.",
    "rate_limited": "The callee (or a limiter) refused for rate: back off exponentially with jitter and honour "
    "Retry-After; check which caller's traffic grew.",
    "server_error": "The callee failed with 5xx: read its logs for the same window; retry only 502/503/504, with "
    "backoff.",
    "client_error": "Requests were rejected as invalid: compare the payloads with the callee's schema (see the "
    "serialization notebook); retrying cannot help.",
    "error": "Unclassified errors: read the examples, and add the message to the taxonomy if it recurs.",
}


def _fmt_ts(ts: pd.Timestamp, ref: pd.Timestamp | None = None) -> str:
    if ref is not None and ts.date() == ref.date():
        return ts.strftime("%H:%M:%S")
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def _fmt_window(w: tuple[pd.Timestamp, pd.Timestamp]) -> str:
    return f"{_fmt_ts(w[0])}–{_fmt_ts(w[1], w[0])} UTC"


def _fmt_rate(x: float) -> str:
    return f"{x:.3g}/min"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass
class _Plan:
    """Incident and baseline windows, and how the baseline is measured."""

    incident: tuple[pd.Timestamp, pd.Timestamp]
    baseline: tuple[pd.Timestamp, pd.Timestamp] | None
    population: Population
    auto_bins: pd.Series | None = None  # bin start per row (auto mode): baseline = median over other bins
    bin_width: pd.Timedelta | None = None
    n_other: int = 0  # auto mode: every window of the logs' span but the incident one


def _plan(
    ts: pd.Series,
    is_err: np.ndarray,
    population: Population,
    incident: Sequence[Any] | None,
    baseline: Sequence[Any] | None,
    freq: str | pd.Timedelta,
) -> _Plan | None:
    if population.lo is None or population.hi is None:
        return None
    lo, hi = population.lo, population.hi
    inc = utc_window(incident, "incident")
    base = utc_window(baseline, "baseline")
    if inc is None and base is None:
        width = pd.Timedelta(freq)
        bins = ts.dt.floor(width)
        err_bins = bins[is_err & ts.notna().to_numpy(dtype=bool)]
        if err_bins.empty:
            return None
        busiest = err_bins.value_counts().sort_index(kind="stable")
        start = busiest.idxmax()
        before = (lo, start) if lo < start else None
        n_other = int(((hi - pd.Timedelta(1, "ns")).floor(width) - lo.floor(width)) / width)
        return _Plan((start, start + width), before, population, bins, width, n_other)
    if inc is None:
        assert base is not None
        inc = (base[1], hi) if hi > base[1] else (lo, base[0]) if lo < base[0] else None
        if inc is None:
            return None
    if base is None:
        base = (lo, inc[0]) if lo < inc[0] else (inc[1], hi) if hi > inc[1] else None
    return _Plan(inc, base, population)


def _in(ts: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    return np.asarray(((ts >= window[0]) & (ts < window[1])).fillna(False), dtype=bool)


def _changes(keys: pd.Series, ts: pd.Series, plan: _Plan) -> pd.DataFrame:
    """Per key seen in the incident: incident and baseline counts, expected incident count, first/last time.

    ``expected`` is the baseline rate scaled to the incident's length, or (automatic incident) the median
    count of the other windows; NaN when there is no baseline to compare with.
    """
    columns = ["inc_count", "first", "last", "base_count", "base_lines", "expected"]
    present = keys.notna().to_numpy(dtype=bool)
    inc = _in(ts, plan.incident)
    frame = pd.DataFrame({"key": keys.to_numpy(dtype=object), "ts": ts.array, "inc": inc})
    hits = frame[present & inc]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    grouped = hits.groupby("key")["ts"]
    table = pd.DataFrame({"inc_count": grouped.size().astype("int64"), "first": grouped.min(), "last": grouped.max()})
    if plan.baseline is not None:
        in_base = _in(ts, plan.baseline)
        base_count = frame[present & in_base].groupby("key").size()
        base_lines = plan.population.count_in(plan.baseline)
    else:
        base_count, base_lines = pd.Series(dtype="int64"), 0
    table["base_count"] = base_count.reindex(table.index).fillna(0).astype("int64")
    table["base_lines"] = base_lines
    if plan.auto_bins is not None and plan.bin_width is not None:
        bins = plan.auto_bins
        n_other = plan.n_other
        others = frame.assign(bin=bins.array)[present & ~inc & bins.notna().to_numpy(dtype=bool)]
        per_key = others.groupby(["key", "bin"]).size()
        expected = {}
        for key in table.index:
            counts = per_key.loc[key].to_numpy(dtype=float) if key in per_key.index.get_level_values(0) else np.zeros(0)
            values = np.concatenate([counts, np.zeros(max(n_other - len(counts), 0))])
            expected[key] = float(np.median(values)) if len(values) else np.nan
        table["expected"] = pd.Series(expected, dtype=float)
    elif plan.baseline is not None and base_lines > 0:
        scale = (plan.incident[1] - plan.incident[0]) / (plan.baseline[1] - plan.baseline[0])
        table["expected"] = table["base_count"] * float(scale)
    else:
        table["expected"] = np.nan
    return table[columns]


def _judge(table: pd.DataFrame, factor: float, min_count: int) -> pd.DataFrame:
    """Add ``fault`` (error_burst, new_error or NA), ``ratio`` and ``threshold`` columns."""
    exp = table["expected"].astype(float)
    threshold = np.maximum(float(min_count), factor * np.maximum(exp.fillna(0.0), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp > 0, table["inc_count"] / exp, np.inf)
    is_new = (table["base_count"] == 0) & (table["base_lines"] > 0)
    burst = ~is_new & (table["inc_count"] >= threshold) & exp.notna()
    fault = pd.Series(None, index=table.index, dtype=object)
    fault[burst] = "error_burst"
    fault[is_new] = "new_error"
    return table.assign(fault=fault, ratio=ratio, threshold=threshold)


def _services(df: pd.DataFrame, mask: np.ndarray) -> str:
    if "service" not in df.columns:
        return ""
    svc = sorted(set(_string(df, "service")[mask].dropna()))
    if not svc:
        return ""
    shown = ", ".join(svc[:4]) + (f" and {len(svc) - 4} more" if len(svc) > 4 else "")
    return f" in {shown}"


def _kind_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, factor: float, min_count: int, texts: pd.Series
) -> tuple[list[dict[str, Any]], set[str]]:
    table = _judge(_changes(df["error_kind"], ts, plan), factor, min_count)
    rows: list[dict[str, Any]] = []
    reported: set[str] = set()
    inc_minutes = (plan.incident[1] - plan.incident[0]).total_seconds() / 60
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    for kind, row in table.iterrows():
        if pd.isna(row["fault"]):
            continue
        kind = str(kind)
        n = int(row["inc_count"])
        if row["fault"] == "new_error" and n < 1:
            continue
        mask = in_inc & (df["error_kind"] == kind).fillna(False).to_numpy(dtype=bool)
        example = _example(texts[mask].dropna().iloc[0]) if texts[mask].notna().any() else ""
        where = _services(df, mask)
        fault = _KIND_FAULTS.get(kind, str(row["fault"]))
        section = _KIND_SECTIONS.get(kind)
        ref = "§3.3" + (f", {section}" if section else "")
        head = (
            f"{kind}: {_plural(n, 'line')}{where} in the incident window {_fmt_window(plan.incident)} "
            f"({_fmt_rate(n / inc_minutes)})"
        )
        if row["fault"] == "new_error":
            base = plan.baseline
            assert base is not None
            evidence = (
                f"{head}, none among the {row['base_lines']:,} lines of the baseline {_fmt_window(base)}; "
                f"first at {_fmt_ts(row['first'])} UTC"
            )
            severity = "critical" if n >= 10 * min_count else "warning" if n >= min_count else "info"
            metric, threshold = "new_error_lines", 0.0
        else:
            if plan.auto_bins is not None:
                against = f"a median of {row['expected']:.3g} per {format_duration(plan.bin_width)} window"
            else:
                base = plan.baseline
                assert base is not None
                against = (
                    f"{int(row['base_count']):,} in the baseline {_fmt_window(base)} "
                    f"(expected {row['expected']:.3g} in a window this long)"
                )
            ratio = row["ratio"]
            times = "most windows have none" if not np.isfinite(ratio) else f"{ratio:.1f}× the usual rate"
            evidence = f"{head} against {against}: {times}"
            severity = (
                "critical" if (not np.isfinite(ratio) or ratio >= 3 * factor) and n >= 3 * min_count else "warning"
            )
            metric, threshold = "incident_error_lines", float(row["threshold"])
        if kind in _CALLER_SIDE_KINDS and severity == "critical":
            severity = "warning"  # the callee refused as designed; a caller problem, not an outage
        if example:
            evidence += f"; e.g. {example!r}"
        layer, retry = KIND_DEFAULTS.get(kind, (None, None))
        retry_note = {
            True: " A retry with backoff can help.",
            False: " Retrying will not help.",
            None: " Retry only idempotent requests, and only if the deadline leaves time.",
        }[retry]
        rows.append(
            finding(
                _DETECTOR,
                fault,
                severity,
                f"error_kind {kind}" + (f" ({layer} layer)" if layer else ""),
                metric=metric,
                value=n,
                threshold=threshold,
                ts_start=row["first"],
                ts_end=row["last"],
                evidence=evidence + ".",
                recommendation=_ADVICE.get(kind, _ADVICE["error"]) + retry_note,
                handbook_ref=ref,
            )
        )
        reported.add(kind)
    return rows, reported


def _template_findings(
    df: pd.DataFrame,
    ts: pd.Series,
    plan: _Plan,
    factor: float,
    min_count: int,
    reported: set[str],
    sim_threshold: float,
    depth: int,
) -> list[dict[str, Any]]:
    if "level" in df.columns:
        loud = _string(df, "level").str.lower().isin(["warn", "error", "fatal"]).fillna(False).to_numpy(dtype=bool)
    else:
        loud = df["error_kind"].notna().to_numpy(dtype=bool)
    column = "msg" if "msg" in df.columns else "raw" if "raw" in df.columns else None
    if column is None or not loud.any():
        return []  # no message to mine templates from
    sub = df[loud]
    ids, templates = mine_templates(sub, sim_threshold=sim_threshold, depth=depth, column=column)
    keys = ids.reindex(df.index)
    table = _judge(_changes(keys, ts, plan), factor, min_count)
    text_of = dict(zip(templates["template_id"], templates["template"], strict=True))
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    inc_minutes = (plan.incident[1] - plan.incident[0]).total_seconds() / 60
    texts = _string(df, "msg").fillna(_string(df, "raw"))
    rows: list[dict[str, Any]] = []
    for tid, row in table.iterrows():
        if pd.isna(row["fault"]):
            continue
        n = int(row["inc_count"])
        if row["fault"] == "new_error" and n < min_count:
            continue
        mask = in_inc & (keys == tid).fillna(False).to_numpy(dtype=bool)
        kinds = df.loc[mask, "error_kind"].dropna()
        dominant = str(kinds.value_counts().index[0]) if len(kinds) else None
        if dominant is not None and dominant != "error" and dominant in reported:
            continue
        template = str(text_of.get(str(tid), ""))
        where = _services(df, mask)
        head = (
            f"template {template[:100]!r}: {_plural(n, 'warn/error line')}{where} in the incident window "
            f"{_fmt_window(plan.incident)} ({_fmt_rate(n / inc_minutes)})"
        )
        if row["fault"] == "new_error":
            base = plan.baseline
            assert base is not None
            evidence = f"{head}, none in the baseline {_fmt_window(base)}"
            metric, threshold, severity = "new_template_lines", 0.0, "warning"
        else:
            ratio = row["ratio"]
            times = "most windows have none" if not np.isfinite(ratio) else f"{ratio:.1f}× the usual rate"
            evidence = f"{head}: {times}"
            metric, threshold, severity = "incident_template_lines", float(row["threshold"]), "warning"
        example = texts[mask].dropna()
        if len(example):
            evidence += f"; e.g. {_example(example.iloc[0])!r}"
        rows.append(
            finding(
                _DETECTOR,
                str(row["fault"]),
                severity,
                f"template {tid}",
                metric=metric,
                value=n,
                threshold=threshold,
                ts_start=row["first"],
                ts_end=row["last"],
                evidence=evidence + ".",
                recommendation=(
                    "Read these lines first: a message that is new or suddenly frequent at warn/error level "
                    "usually names the failing dependency. Follow their trace ids to the callee."
                    + (f" Its lines classify as {dominant}: " + _ADVICE.get(dominant, "") if dominant else "")
                ),
                handbook_ref="§3.3",
            )
        )
    return rows


def _retry_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, factor: float, min_count: int
) -> list[dict[str, Any]]:
    if "attempt" not in df.columns:
        return []
    attempt = pd.to_numeric(df["attempt"], errors="coerce")
    if attempt.notna().sum() == 0:
        return []
    first_attempt = float(attempt.min())
    is_retry = (attempt > first_attempt).fillna(False)
    keys = pd.Series("retry", index=df.index, dtype="string").where(is_retry)
    table = _judge(_changes(keys, ts, plan), factor, min_count)
    if "retry" not in table.index:
        return []
    row = table.loc["retry"].to_dict()
    if not isinstance(row["fault"], str):
        return []
    n = int(row["inc_count"])
    if n < min_count:
        return []
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    firsts = int(((attempt == first_attempt).fillna(False).to_numpy(dtype=bool) & in_inc).sum())
    amplification = (firsts + n) / firsts if firsts else float("inf")
    max_inc = attempt[in_inc].max()
    base_txt = ""
    if plan.baseline is not None:
        b = plan.baseline
        in_base = ((ts >= b[0]) & (ts < b[1])).fillna(False).to_numpy(dtype=bool)
        max_base = attempt[in_base].max()
        base_txt = f" vs {int(row['base_count']):,} in the baseline {_fmt_window(b)}" + (
            f" (highest attempt {int(max_base)})" if pd.notna(max_base) else ""
        )
    amp = f"{amplification:.1f}" if np.isfinite(amplification) else "unbounded"
    evidence = (
        f"Attempt numbers climb: {_plural(n, 'retry line')} (attempt > {int(first_attempt)}, highest "
        f"attempt {int(max_inc)}){_services(df, in_inc & is_retry.to_numpy(dtype=bool))} in the incident "
        f"window {_fmt_window(plan.incident)}{base_txt}; {amp} lines per first attempt."
    )
    severity = "critical" if not np.isfinite(amplification) or amplification >= 2 else "warning"
    return [
        finding(
            _DETECTOR,
            "retry_storm",
            severity,
            "retries (attempt column)",
            metric="retry_lines",
            value=n,
            threshold=float(row["threshold"]) if row["fault"] == "error_burst" else float(min_count),
            ts_start=row["first"],
            ts_end=row["last"],
            evidence=evidence,
            recommendation=(
                "Retries amplify the load on a struggling upstream: use exponential backoff with full "
                "jitter (delay = random(0, min(cap, base·2^n))), cap attempts at 2-3, keep a retry budget "
                "(e.g. at most 10 % extra requests), retry only retryable errors, and put a circuit "
                "breaker in front so retries stop while it is open."
            ),
            handbook_ref="§3.3, §4.1",
        )
    ]


_TO_OPEN = re.compile(r"(?:\bto[=: ]+\"?open\b|->\s*\"?open\b|→\s*open\b)", re.IGNORECASE)
_BREAKER_WORDS = re.compile(r"breaker|circuit|state", re.IGNORECASE)


def _search_distinct(texts: pd.Series, *patterns: re.Pattern[str]) -> np.ndarray:
    """True where every pattern is found in the text; each distinct text is searched once."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    hit = np.asarray([all(p.search(str(u)) for p in patterns) for u in uniques] + [False], dtype=bool)
    return hit[np.where(codes >= 0, codes, len(uniques))]


def _breaker_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, freq: str | pd.Timedelta, min_episodes: int
) -> list[dict[str, Any]]:
    scope = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    if plan.auto_bins is not None:
        scope = ts.notna().to_numpy(dtype=bool)  # no explicit window: look at the whole table
    open_err = (df["error_kind"] == "breaker_open").fillna(False).to_numpy(dtype=bool) & scope
    transitions = _search_distinct(_string(df, "msg").fillna(_string(df, "raw")), _TO_OPEN, _BREAKER_WORDS) & scope
    n_trans = int(transitions.sum())
    episodes = 0
    if open_err.any():
        width = pd.Timedelta(freq)
        bins = ts.dt.floor(width)
        active = plan.population.active_bins(width, None if plan.auto_bins is not None else plan.incident)
        open_bins = set(bins[open_err].dropna().unique())
        state = False
        for b in sorted(active):
            now = b in open_bins
            if now and not state:
                episodes += 1
            state = now
    opens = max(episodes, n_trans)
    if opens < min_episodes:
        return []
    mask = open_err | transitions
    how = (
        f"{n_trans} state changes to open"
        if n_trans >= episodes
        else f"{episodes} separate runs of breaker_open errors ({int(open_err.sum()):,} lines)"
    )
    return [
        finding(
            _DETECTOR,
            "breaker_flapping",
            "warning",
            "circuit breaker",
            metric="breaker_opens",
            value=opens,
            threshold=float(min_episodes),
            ts_start=ts[mask].min(),
            ts_end=ts[mask].max(),
            evidence=f"The breaker opened {opens} times{_services(df, mask)} between {_fmt_ts(ts[mask].min())} and "
            f"{_fmt_ts(ts[mask].max(), ts[mask].min())} UTC: {how}.",
            recommendation=(
                "A flapping breaker lets bursts of traffic through to a sick upstream and fails the rest: "
                "trip on a failure ratio over a minimum number of requests (gobreaker ReadyToTrip with "
                "Counts.Requests ≥ N) rather than on a few consecutive failures, keep it open longer "
                "(Settings.Timeout), let few probes through in half-open (MaxRequests), and fix the "
                "upstream's failures."
            ),
            handbook_ref="§3.3, §4.2",
        )
    ]


#: 4xx kinds: the callee answered as designed, so a burst is at most a warning.
_CALLER_SIDE_KINDS = frozenset({"client_error", "rate_limited"})


def detect_error_faults(
    events: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    incident: Sequence[Any] | None = None,
    baseline: Sequence[Any] | None = None,
    factor: float = 3.0,
    min_count: int = 5,
    freq: str | pd.Timedelta = "1min",
    templates: bool = True,
    sim_threshold: float = 0.4,
    depth: int = 4,
    min_breaker_opens: int = 3,
) -> pd.DataFrame:
    """Error bursts, new errors and the faults they point to, from an events table.

    Parameters
    ----------
    events : pandas.DataFrame, evidence store path or dask DataFrame
        Table with schema ``events``; classified with :func:`classify_errors`
        first when needed. For a store (:func:`~apiprobe.convert_logs`) or a
        dask DataFrame only the lines the detector reads one by one (errors,
        warn/error/fatal lines, retry attempts, lines that may log a breaker
        opening) are brought into memory; the others are counted where they
        are. The findings are the same.
    incident, baseline : (start, end), optional
        ``(start, end)`` windows (start included, end excluded; naive times are
        UTC). With only one of them, the other is the time before it (or after,
        when nothing came before). With neither, the incident is the busiest
        ``freq`` window of error lines and the baseline is the median window of
        the whole table (zeros included) for bursts, and the lines before the
        incident window for new errors.
    factor : float, default 3.0
        A kind or template is an ``error_burst`` when its incident count is at
        least ``factor`` × the baseline's expected count (at least 1) and at
        least ``min_count``.
    min_count : int, default 5
        Least incident lines for a burst, a new template, a warning-level new
        kind and a retry storm.
    freq : str or pandas.Timedelta, default "1min"
        Window width for the automatic incident and for breaker episodes.
    templates : bool, default True
        Also mine message templates of warn/error/fatal lines
        (:func:`~apiprobe.analyze.templates.mine_templates`) and report the
        ones that are new or grew; a template whose lines are mostly a kind
        that already has a finding is not reported again.
    sim_threshold, depth : float, int
        Passed to the template miner.
    min_breaker_opens : int, default 3
        Least breaker openings (runs of ``breaker_open`` lines separated by
        windows without them, or logged state changes to open) for
        ``breaker_flapping``.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), most severe first. Faults:
        ``error_burst`` and ``new_error`` per kind and per template;
        ``pool_exhaustion`` instead for ``pool_timeout``; ``timeout`` instead
        for ``read_timeout`` and ``body_timeout``; ``retry_storm`` when the
        lines carrying a retry ``attempt`` above the first grow;
        ``breaker_flapping``. ``handbook_ref`` is §3.3 plus the section of the
        kind (§2.1 DNS/connect, §2.2 TLS, §2.4 status codes, §2.5 pools,
        §4.1 retries and rate limits, §4.2 breakers, §4.3 timeouts).
        Severity: a new kind is critical from ``10 × min_count`` lines, a
        warning from ``min_count``; a burst is critical from ``3 × factor``
        times the usual rate and ``3 × min_count`` lines. 4xx kinds
        (``client_error``, ``rate_limited``) are at most warnings: the callee
        refused as designed.
    """
    if factor <= 0:
        raise InvalidParameterError(f"factor must be positive, got {factor!r}")
    if min_count < 1:
        raise InvalidParameterError(f"min_count must be at least 1, got {min_count!r}")
    store = as_store(events, classified=True)
    options: dict[str, Any] = {
        "incident": incident,
        "baseline": baseline,
        "factor": factor,
        "min_count": min_count,
        "freq": freq,
        "templates": templates,
        "sim_threshold": sim_threshold,
        "depth": depth,
        "min_breaker_opens": min_breaker_opens,
    }
    if store is not None:
        with store:  # the population counts through the store until the findings are made
            focus, counted = focus_from_store(store)
            return _findings(focus, counted, **options)
    population: Population | None = None
    if is_dask(events):
        lazy: Any = events
        if "ts" not in lazy.columns:
            return findings_frame([])
        df, population = focus_from_dask(lazy, pd.Timedelta(freq))
    else:
        frame = cast(pd.DataFrame, events)
        if frame is None or len(frame) == 0 or "ts" not in frame.columns:
            return findings_frame([])
        df = _classified(frame).reset_index(drop=True)
    return _findings(df, population, **options)


def _findings(
    df: pd.DataFrame,
    population: Population | None,
    *,
    incident: Sequence[Any] | None,
    baseline: Sequence[Any] | None,
    factor: float,
    min_count: int,
    freq: str | pd.Timedelta,
    templates: bool,
    sim_threshold: float,
    depth: int,
    min_breaker_opens: int,
) -> pd.DataFrame:
    """The findings of classified ``df`` (all lines, or the focus lines of ``population``)."""
    ts = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    if population is None:
        population = population_of(ts)
    is_err = df["error_kind"].notna().to_numpy(dtype=bool)
    plan = _plan(ts, is_err, population, incident, baseline, freq)
    if plan is None:
        return findings_frame([])
    texts = _texts(df)
    rows, reported = _kind_findings(df, ts, plan, factor, min_count, texts)
    if templates:
        rows += _template_findings(df, ts, plan, factor, min_count, reported, sim_threshold, depth)
    rows += _retry_findings(df, ts, plan, factor, min_count)
    rows += _breaker_findings(df, ts, plan, freq, min_breaker_opens)
    return findings_frame(rows)

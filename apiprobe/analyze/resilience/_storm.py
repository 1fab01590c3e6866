"""Retry storms: attempts per original request, amplification, and retries that break the rules.

From logs, an *attempt* is a line of an outgoing call: it names the callee
(``upstream``, ``callee``, ``peer.service``... in its fields) or carries an
``attempt`` number. Attempts of one original request share a request id
(``request_id``... or the trace id) between the same caller and callee. From
traces, attempts are sibling client spans of one parent with the same
operation name.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

import numpy as np
import pandas as pd

from apiprobe._frames import column_or_na, require_columns
from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.resilience._retry import RetryPolicy, retry_decision, retry_policy
from apiprobe.errors import InvalidParameterError, SchemaError
from apiprobe.schema import conform

__all__ = [
    "CALLEE_KEYS",
    "REQUEST_KEYS",
    "detect_retry_storm",
    "retry_attempts",
    "retry_lower_bounds",
    "retry_timeline",
]

#: Field names that hold the request id shared by the attempts of one call (first found wins).
REQUEST_KEYS: tuple[str, ...] = (
    "request_id",
    "req_id",
    "requestId",
    "request.id",
    "x_request_id",
    "x-request-id",
    "http.request_id",
)
#: Field names that name the service an outgoing call goes to.
CALLEE_KEYS: tuple[str, ...] = (
    "upstream",
    "callee",
    "peer.service",
    "peer_service",
    "downstream",
    "dependency",
    "backend",
    "remote_service",
    "target_service",
)
_ATTEMPT_COLUMNS = (
    "ts",
    "caller",
    "callee",
    "request_id",
    "attempt",
    "ok",
    "status",
    "error",
    "error_kind",
    "gap_s",
    "offset_s",
    "source",
)
_CLIENT_ERRORS = re.compile(r"(?i)x509|certificate|validation|invalid|malformed|unmarshal|bad request|unauthori[sz]ed")


def _empty_attempts() -> pd.DataFrame:
    return conform(None, "retry_attempts")


def _from_events(events: pd.DataFrame) -> pd.DataFrame:
    require_columns(events, ["ts", "service"], table="events")
    n = len(events)
    groups = (
        attr_groups(events["attrs"], {"request": REQUEST_KEYS, "callee": CALLEE_KEYS})
        if "attrs" in events.columns
        else {"request": [None] * n, "callee": [None] * n}
    )
    callee = pd.array([None if v is None else str(v) for v in groups["callee"]], dtype="string")
    if "error" in events.columns:
        # Go errors name the callee first ("payments: 500 Internal Server Error: ..."): use it
        # where no field does, when it is one of the services in the logs.
        known = set(events["service"].dropna().astype(str))
        prefix = events["error"].astype("string").str.extract(r"^([\w.-]+):", expand=False)
        named = prefix.where(prefix.isin(known)).astype("string").to_numpy()
        merged = [n if c is pd.NA else c for c, n in zip(callee.tolist(), named.tolist(), strict=True)]
        callee = pd.array(merged, dtype="string")
    request = pd.array([None if v is None else str(v) for v in groups["request"]], dtype="string")
    attempt = column_or_na(events, "attempt", "Int64")
    keep = np.asarray(pd.notna(callee) | attempt.notna().to_numpy(), dtype=bool)
    if not keep.any():
        return _empty_attempts()
    rows = events.loc[keep]
    req = pd.Series(request[keep], index=rows.index, dtype="string")
    if "trace_id" in rows.columns:
        req = req.fillna(rows["trace_id"].astype("string"))
    status = column_or_na(rows, "status", "Int64")
    error = column_or_na(rows, "error", "string")
    kind = column_or_na(rows, "error_kind", "string")
    failed = error.notna() | (status.fillna(0) >= 500) | (status.fillna(0) == 429) | kind.notna()
    return pd.DataFrame(
        {
            "ts": rows["ts"],
            "caller": rows["service"].astype("string"),
            "callee": pd.Series(callee[keep], index=rows.index, dtype="string"),
            "request_id": req,
            "attempt": attempt.loc[rows.index],
            "ok": (~failed).astype("boolean"),
            "status": status,
            "error": error,
            "error_kind": kind,
            "source": "logs",
        }
    )


def _from_spans(spans: pd.DataFrame) -> pd.DataFrame:
    require_columns(spans, ["trace_id", "span_id", "parent_span_id", "service", "name", "start"], table="spans")
    client = spans
    if "kind" in spans.columns:
        client = spans[spans["kind"].astype("string").str.lower().fillna("") == "client"]
    client = client[client["parent_span_id"].notna()]
    if client.empty:
        return _empty_attempts()
    peer = (
        attr_groups(client["attrs"], {"callee": (*CALLEE_KEYS, "net.peer.name", "server.address")})["callee"]
        if "attrs" in client.columns
        else [None] * len(client)
    )
    callee = pd.Series([str(p) if p is not None else None for p in peer], index=client.index, dtype="string")
    callee = callee.fillna(client["name"].astype("string"))
    status = column_or_na(client, "http_status", "Int64")
    failed = (
        (client["status"].astype("string") == "error").fillna(False)
        if "status" in client.columns
        else status.fillna(0) >= 500
    )
    request = (
        client["trace_id"].astype("string")
        + "/"
        + client["parent_span_id"].astype("string")
        + "/"
        + client["name"].astype("string")
    )
    return pd.DataFrame(
        {
            "ts": client["start"],
            "caller": client["service"].astype("string"),
            "callee": callee,
            "request_id": request,
            "attempt": pd.Series(pd.NA, index=client.index, dtype="Int64"),
            "ok": (~failed.astype(bool)).astype("boolean"),
            "status": status,
            "error": pd.Series(pd.NA, index=client.index, dtype="string"),
            "error_kind": pd.Series(pd.NA, index=client.index, dtype="string"),
            "source": "traces",
        }
    )


def retry_attempts(data: pd.DataFrame) -> pd.DataFrame:
    """One row per outgoing call attempt, numbered within its original request.

    A callee's own line for an attempt it received (same request id and
    attempt number as the caller's line) is the other end of that attempt and
    is not counted again.

    Parameters
    ----------
    data : pandas.DataFrame
        Log lines (schema ``events``, e.g. from :func:`apiprobe.read_logs`) or
        spans (schema ``spans``, from :func:`apiprobe.read_traces`).

    Returns
    -------
    pandas.DataFrame
        ``ts, caller, callee, request_id, attempt`` (1-based: a logged
        0-based count is shifted; without one, the order within the request),
        ``ok`` (no error, status below 500 and not 429), ``status, error,
        error_kind``, ``gap_s`` (seconds since the request's previous attempt
        started; NaN for the first), ``offset_s`` (since its first attempt) and
        ``source`` (``logs`` or ``traces``). Sorted by time.

    Raises
    ------
    SchemaError
        Neither an events nor a spans table.
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            f"retry_attempts needs a DataFrame of log lines or spans, got {type(data).__name__}"
        )
    if {"span_id", "parent_span_id"} <= set(data.columns):
        att = _from_spans(data)
    elif {"ts", "service"} <= set(data.columns):
        att = _from_events(data)
    else:
        raise SchemaError(
            "retry_attempts needs log lines (columns ts, service; schema events) or spans "
            f"(span_id, parent_span_id...; schema spans); got columns {', '.join(map(str, data.columns))}"
        )
    if att.empty:
        return _empty_attempts()
    att = att.sort_values("ts", kind="stable").reset_index(drop=True)
    # A line of a request that does not name the callee belongs with the request's other lines.
    known = att["request_id"].notna()
    if known.any() and att["callee"].isna().any():
        filled = att[known].groupby(["caller", "request_id"])["callee"].transform("first")
        att.loc[known, "callee"] = att.loc[known, "callee"].fillna(filled)
    # A callee that logs the attempt number it received (same request id and attempt as a caller's
    # outgoing attempt to it) is the receiving side of that attempt, not an attempt of its own.
    received = att["callee"].isna() & known & att["attempt"].notna()
    if received.any():
        sent = att[att["callee"].notna() & known & att["attempt"].notna()]
        sent_keys = set(zip(sent["callee"], sent["request_id"], sent["attempt"], strict=True))
        echo = [
            (c, r, a) in sent_keys for c, r, a in zip(att["caller"], att["request_id"], att["attempt"], strict=True)
        ]
        att = att[~(received & pd.Series(echo, index=att.index))].reset_index(drop=True)
        if att.empty:
            return _empty_attempts()
    key = [att["caller"].fillna(""), att["callee"].fillna(""), att["request_id"].fillna("")]
    grouped = att.groupby(key, sort=False, dropna=False)
    order = grouped.cumcount() + 1
    logged = att["attempt"]
    zero_based = grouped["attempt"].transform("min").eq(0).fillna(False).astype(bool)
    att["attempt"] = logged.where(logged.isna(), logged + zero_based.astype("int64")).fillna(order).astype("Int64")
    has_id = att["request_id"].notna()
    first = grouped["ts"].transform("min")
    prev = grouped["ts"].shift(1)
    att["gap_s"] = ((att["ts"] - prev).dt.total_seconds()).where(has_id)
    att["offset_s"] = ((att["ts"] - first).dt.total_seconds()).where(has_id)
    return conform(att[list(_ATTEMPT_COLUMNS)], "retry_attempts")


def retry_timeline(attempts: pd.DataFrame, *, freq: str = "1s") -> pd.DataFrame:
    """Original requests, retries and amplification per caller → callee over time.

    Parameters
    ----------
    attempts : pandas.DataFrame
        From :func:`retry_attempts` (or the events/spans it reads).
    freq : str, default "1s"
        Bin width (a pandas offset alias).

    Returns
    -------
    pandas.DataFrame
        ``ts`` (bin start), ``caller, callee, requests`` (first attempts),
        ``retries`` (later attempts), ``failures`` (failed attempts),
        ``amplification`` (attempts / requests; NaN without requests).
    """
    att = attempts if set(_ATTEMPT_COLUMNS) <= set(attempts.columns) else retry_attempts(attempts)
    if att.empty:
        return conform(None, "retry_timeline")
    work = att.assign(
        _bin=att["ts"].dt.floor(freq),
        _first=(att["attempt"] == 1).astype(int),
        _retry=(att["attempt"] > 1).astype(int),
        _fail=(~att["ok"].fillna(True).astype(bool)).astype(int),
    )
    out = (
        work.groupby(["_bin", "caller", "callee"], dropna=False)[["_first", "_retry", "_fail"]]
        .sum()
        .reset_index()
        .rename(columns={"_bin": "ts", "_first": "requests", "_retry": "retries", "_fail": "failures"})
    )
    attempts_n = out["requests"] + out["retries"]
    out["amplification"] = (attempts_n / out["requests"].where(out["requests"] > 0)).astype(float)
    return conform(out, "retry_timeline")


def retry_lower_bounds(policy: RetryPolicy | str, count: int) -> np.ndarray:
    """The shortest wait the policy allows before each of ``count`` retries (seconds).

    Parameters
    ----------
    policy : RetryPolicy or str
        The policy the client is meant to follow.
    count : int
        How many waits.

    Returns
    -------
    numpy.ndarray
        Lower bound of each wait (0-based retry index); past the policy's
        own limit, the last bound repeats.
    """
    p = retry_policy(policy)
    prm = p.params
    out = []
    for i in range(count):
        if p.name == "go-retryablehttp":
            v = min(prm["min_s"] * 2**i, prm["max_s"])
        elif p.name == "go-retryablehttp-linear-jitter":
            v = min(prm["min_s"], prm["max_s"]) * (i + 1)
        elif p.name == "cenkalti-backoff":
            c = prm["initial_s"]
            for _ in range(i):
                c = prm["max_interval_s"] if c >= prm["max_interval_s"] / prm["multiplier"] else c * prm["multiplier"]
            v = c * (1 - prm["randomization_factor"])
        elif p.name == "grpc":
            v = (
                prm["base_s"]
                if i == 0
                else min(prm["base_s"] * prm["multiplier"] ** i, prm["max_s"]) * (1 - prm["jitter"])
            )
        elif p.name == "exponential":
            ceiling = min(prm["cap_s"], prm["base_s"] * prm["multiplier"] ** i)
            v = {"none": ceiling, "full": 0.0, "equal": ceiling / 2, "decorrelated": min(prm["base_s"], prm["cap_s"])}[
                prm["jitter"]
            ]
        else:
            v = min(prm["base_s"] * 2**i, prm["max_s"])
        out.append(v)
    return np.array(out, dtype=float)


def _fmt_pair(caller: Any, callee: Any) -> str:
    def shown(v: Any) -> str:
        return "?" if v is None or pd.isna(v) or not str(v) else str(v)

    return f"{shown(caller)} → {shown(callee)}"


def detect_retry_storm(
    data: pd.DataFrame,
    *,
    policy: RetryPolicy | str | None = None,
    freq: str = "1s",
    amplification_warn: float = 1.5,
    amplification_critical: float = 2.5,
    min_requests: int = 10,
    lockstep_spread: float = 0.05,
) -> pd.DataFrame:
    """Find retry storms and retries that break the rules, from logs or traces.

    Looks for, per caller → callee:

    * amplification (attempts / distinct requests) above ``amplification_warn``
      overall or in any ``freq`` bin with at least ``min_requests`` requests
      (fault ``retry_storm``);
    * retries sooner than the policy allows (a gap between attempts below 90 %
      of the policy's shortest wait; without a policy, under 10 ms), i.e.
      retries that ignore backoff (``retry_misuse``);
    * retries of responses that cannot succeed on retry — 4xx other than 429,
      certificate and validation errors, as :func:`retry_decision` judges them
      (``retry_misuse``);
    * retries in lockstep: the n-th attempts of many requests come at the
      same offset after their first (interquartile range below
      ``lockstep_spread`` of the median), the signature of backoff without
      jitter that makes clients retry in synchronized waves (``retry_misuse``).

    Parameters
    ----------
    data : pandas.DataFrame
        Log lines (schema ``events``), spans (schema ``spans``) or the output
        of :func:`retry_attempts`.
    policy : RetryPolicy or str, optional
        The policy the clients are meant to follow (a preset name works).
    freq : str, default "1s"
        Bin width for the amplification peak.
    amplification_warn, amplification_critical : float
        Attempts per request that make a warning / critical finding.
    min_requests : int, default 10
        Requests a bin (or a retry index) needs before it is judged.
    lockstep_spread : float, default 0.05
        Relative interquartile range of the gaps below which retries are in lockstep.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), most severe first.
    """
    if min_requests < 1:
        raise InvalidParameterError(f"min_requests must be ≥ 1, got {min_requests}")
    att = data if set(_ATTEMPT_COLUMNS) <= set(data.columns) else retry_attempts(data)
    pol = retry_policy(policy) if policy is not None else None
    rows: list[dict[str, Any]] = []
    timeline = retry_timeline(att, freq=freq)
    for (caller, callee), grp in att.groupby(["caller", "callee"], dropna=False, sort=True):
        with_id = grp[grp["request_id"].notna()]
        requests = with_id["request_id"].nunique()
        if requests == 0:
            continue
        amp = len(with_id) / requests
        subject = _fmt_pair(caller, callee)
        bins = timeline[(timeline["caller"] == caller) & (timeline["callee"] == callee)]
        judged = bins[bins["requests"] >= min_requests]
        peak = judged.iloc[int(np.argmax(judged["amplification"].to_numpy(dtype=float)))] if len(judged) else None
        peak_amp = float(peak["amplification"]) if peak is not None else math.nan
        worst = max(amp, peak_amp) if not math.isnan(peak_amp) else amp
        if worst >= amplification_warn and requests >= min_requests:
            severity = "critical" if worst >= amplification_critical else "warning"
            where = (
                f", peaking at {peak_amp:.2f}× in the {freq} from {peak['ts']:%H:%M:%S}"
                if peak is not None and peak_amp > amp
                else ""
            )
            retried = with_id.groupby("request_id")["attempt"].max()
            rows.append(
                finding(
                    "retry_storm",
                    "retry_storm",
                    severity,
                    subject,
                    metric="attempts per request",
                    value=worst,
                    threshold=amplification_warn,
                    evidence=(
                        f"{len(with_id)} attempts for {requests} requests ({amp:.2f}×){where}; "
                        f"{int((retried > 1).sum())} requests were retried, up to {int(retried.max())} attempts"
                    ),
                    recommendation=(
                        "Cap retries where the dependency is failing: a retry budget (retries ≤ 10-20 % of calls), "
                        "a circuit breaker in front of the retry loop, and retries at one layer only"
                    ),
                    handbook_ref="§4.1",
                    ts_start=grp["ts"].min(),
                    ts_end=grp["ts"].max(),
                )
            )
        retries = with_id[with_id["attempt"] > 1]
        if retries.empty:
            continue
        rows += _backoff_findings(retries, pol, subject)
        rows += _non_retryable_findings(with_id, pol, subject)
        rows += _lockstep_findings(retries, subject, min_requests, lockstep_spread)
    return findings_frame(rows)


def _resolution_s(ts: pd.Series) -> float:
    """The clock resolution of a time column: 1 s when every time is whole seconds, down to 1 ns."""
    ns = ts.astype("int64").to_numpy()
    for step in (1_000_000_000, 1_000_000, 1_000):
        if len(ns) and not (ns % step).any():
            return step / 1e9
    return 1e-9


def _backoff_findings(retries: pd.DataFrame, pol: RetryPolicy | None, subject: str) -> list[dict[str, Any]]:
    idx = (retries["attempt"] - 2).astype(int).to_numpy()
    if pol is not None:
        bounds = retry_lower_bounds(pol, int(idx.max()) + 1)[idx] * 0.9
        rule = f"the {pol.name} policy's shortest wait"
    else:
        bounds = np.full(len(retries), 0.010)
        rule = "10 ms"
    gaps = retries["gap_s"].to_numpy(dtype=float)
    # A gap shorter than the logs' clock resolution cannot be told apart from one just under it.
    early = (gaps < bounds) & (bounds > _resolution_s(retries["ts"]))
    if not early.any():
        return []
    bad = retries[early]
    return [
        finding(
            "retry_storm",
            "retry_misuse",
            "warning",
            subject,
            metric="retries sooner than the backoff allows",
            value=float(early.sum()),
            threshold=0.0,
            evidence=(
                f"{int(early.sum())} of {len(retries)} retries came sooner than {rule} "
                f"(median gap {np.median(gaps[early]) * 1e3:.1f} ms)"
            ),
            recommendation="Wait between attempts with exponential backoff and jitter; never retry in a tight loop",
            handbook_ref="§4.1",
            ts_start=bad["ts"].min(),
            ts_end=bad["ts"].max(),
        )
    ]


def _non_retryable_findings(attempts: pd.DataFrame, pol: RetryPolicy | None, subject: str) -> list[dict[str, Any]]:
    judge = pol if pol is not None and pol.name != "handbook" else retry_policy("go-retryablehttp")
    ordered = attempts.sort_values(["request_id", "ts"], kind="stable")
    nxt = ordered.groupby("request_id")["attempt"].shift(-1)
    retried = ordered[nxt.notna()]
    if retried.empty:
        return []
    bad = []
    for row in retried.itertuples(index=False):
        raw_status: Any = row.status
        raw_error: Any = row.error
        status = None if pd.isna(raw_status) else int(raw_status)
        error = None if pd.isna(raw_error) else str(raw_error)
        if status is not None and 400 <= status < 500 and status != 429:
            bad.append(row)
        elif status is None and error and (not retry_decision(judge, error=error) or _CLIENT_ERRORS.search(error)):
            if "circuit breaker" in error or "too many requests" in error:
                continue
            bad.append(row)
    if not bad:
        return []
    frame = pd.DataFrame(bad)
    what = frame["status"].dropna().astype(int).astype(str).tolist() + frame["error"].dropna().astype(str).tolist()
    common = pd.Series(what).value_counts().index[:3].tolist() if what else []
    return [
        finding(
            "retry_storm",
            "retry_misuse",
            "warning",
            subject,
            metric="retries of non-retryable responses",
            value=float(len(bad)),
            threshold=0.0,
            evidence=(
                f"{len(bad)} attempts that failed for a reason a retry cannot fix were retried: {'; '.join(common)}"
            ),
            recommendation=(
                "Retry only transient failures (429, 502-504, connection errors); a 4xx, a validation error or an "
                "untrusted certificate fails the same way every time"
            ),
            handbook_ref="§4.1",
            ts_start=frame["ts"].min(),
            ts_end=frame["ts"].max(),
        )
    ]


def _lockstep_findings(retries: pd.DataFrame, subject: str, min_requests: int, spread: float) -> list[dict[str, Any]]:
    out = []
    for attempt_no, grp in retries.groupby("attempt"):
        attempt = int(cast(Any, attempt_no))
        offsets = grp["offset_s"].dropna().to_numpy(dtype=float)
        if len(offsets) < min_requests:
            continue
        gaps = grp["gap_s"].dropna().to_numpy(dtype=float)
        median = float(np.median(gaps))
        if median <= 10 * _resolution_s(grp["ts"]):
            continue  # the logs' clock is too coarse to see the spread
        q1, q3 = np.percentile(gaps, [25, 75])
        if median <= 0 or (q3 - q1) / median >= spread:
            continue
        out.append(
            finding(
                "retry_storm",
                "retry_misuse",
                "warning",
                subject,
                metric="relative spread of retry gaps",
                value=float((q3 - q1) / median),
                threshold=spread,
                evidence=(
                    f"attempt {attempt} of {len(gaps)} requests came {median * 1e3:.1f} ms after the previous one "
                    f"(interquartile range {(q3 - q1) * 1e3:.2f} ms): clients retry in lockstep, in synchronized waves"
                ),
                recommendation=(
                    "Add jitter to the backoff (full or equal jitter) so failed clients spread their retries"
                ),
                handbook_ref="§4.1",
                ts_start=grp["ts"].min(),
                ts_end=grp["ts"].max(),
            )
        )
        break
    return out

"""Circuit breakers seen in logs, and what is wrong with one (flapping, rejections, a rule that cannot fire).

:func:`breaker_from_logs` reads gobreaker's two errors — ``ErrOpenState``
("circuit breaker is open") and ``ErrTooManyRequests`` ("too many requests",
matched case-sensitively, so an HTTP "429 Too Many Requests" is not taken for
it) — and ``OnStateChange`` lines in any dialect: ``from``/``to`` fields, or
"closed → open", "from closed to open", "StateClosed -> StateOpen" in the
message.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.resilience._breaker import BreakerReplay
from apiprobe.analyze.resilience._storm import CALLEE_KEYS, REQUEST_KEYS
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = ["breaker_calls", "breaker_from_logs", "detect_breaker_faults"]

_STATE = r"(?:state)?(closed|half[-_ ]?open|open)"
_ARROW = re.compile(rf"(?i)\b{_STATE}\b\s*(?:->|→|=>|to)\s*\b{_STATE}\b")
_OPEN_ERR = "circuit breaker is open"
_TOO_MANY = re.compile(r"(?<![0-9] )too many requests")
_BREAKER_KEYS = ("breaker", "circuit_breaker", "circuit", "cb", "breaker_name", "name")
_FROM_KEYS = ("from", "from_state", "old_state", "prev_state", "previous")
_TO_KEYS = ("to", "to_state", "new_state", "state")


def _state(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower().replace("state", "").replace("_", "-").replace(" ", "-")
    text = "half-open" if text in ("half-open", "halfopen") else text
    return text if text in ("closed", "half-open", "open") else None


def breaker_from_logs(events: pd.DataFrame) -> BreakerReplay:
    """Circuit-breaker state changes and rejections from log lines, as :func:`replay_breaker`'s tables.

    Parameters
    ----------
    events : pandas.DataFrame
        Log lines (schema ``events``), any dialect :func:`apiprobe.read_logs` reads.

    Returns
    -------
    BreakerReplay
        ``transitions``: ``ts, service, breaker, from_state, to_state`` from
        ``OnStateChange`` lines. ``requests``: one row per call attempt the
        logs show (lines naming a callee or carrying an attempt number) and
        per rejection: ``ts, service, breaker, request_id, ok, allowed,
        rejected`` (``open``, ``too_many_requests`` or NA) and ``state`` (the
        last logged state before it; NA before the first change) and
        ``latency_ms`` (as logged).
        ``settings`` is ``{"source": "logs"}``.

    Raises
    ------
    SchemaError
        Without ``ts``, ``service`` and ``msg``.
    """
    require_columns(events, ["ts", "service", "msg"], table="events")
    n = len(events)
    keys = {"breaker": _BREAKER_KEYS, "from": _FROM_KEYS, "to": _TO_KEYS, "callee": CALLEE_KEYS, "req": REQUEST_KEYS}
    got = attr_groups(events["attrs"], keys) if "attrs" in events.columns else {k: [None] * n for k in keys}
    msg = events["msg"].astype("string").fillna("")
    err = (
        events["error"].astype("string").fillna("") if "error" in events.columns else pd.Series("", index=events.index)
    )
    text = (msg + " " + err).tolist()
    status = events["status"].astype("Int64") if "status" in events.columns else pd.Series(pd.NA, index=events.index)
    attempt_no = events["attempt"].tolist() if "attempt" in events.columns else [None] * n
    attempt = np.array([a is not None and a is not pd.NA for a in attempt_no], dtype=bool)
    ts, service = events["ts"].tolist(), events["service"].astype("string").tolist()
    latency = events["latency_ms"].astype(float).tolist() if "latency_ms" in events.columns else [np.nan] * n
    transitions, requests = [], []
    # Only lines that can matter are looked at one by one: a breaker word in the text, a callee,
    # an attempt number or state fields (a million-line log is mostly none of these).
    mentions = (msg + " " + err).str.contains(r"(?i)breaker|circuit|too many requests", regex=True).to_numpy(bool)
    fields = np.array(
        [any(got[k][i] is not None for k in ("breaker", "callee", "from", "to")) for i in range(n)], dtype=bool
    )
    for i in np.flatnonzero(mentions | fields | attempt).tolist():
        line = text[i]
        name = got["breaker"][i] or got["callee"][i]
        name = None if name is None else str(name)
        a, b = _state(got["from"][i]), _state(got["to"][i])
        lowered = line.lower()
        if (a is None or b is None) and ("breaker" in lowered or "circuit" in lowered):
            m = _ARROW.search(line)
            if m:
                a, b = _state(m.group(1)), _state(m.group(2))
        if a and b and a != b and ("breaker" in lowered or "circuit" in lowered or got["breaker"][i]):
            transitions.append({"ts": ts[i], "service": service[i], "breaker": name, "from_state": a, "to_state": b})
            continue
        rejected = None
        if _OPEN_ERR in line:
            rejected = "open"
        elif _TOO_MANY.search(line) and not (pd.notna(status.iloc[i]) and int(status.iloc[i]) == 429):
            rejected = "too_many_requests"
        if rejected is None and not (attempt[i] or got["callee"][i] is not None):
            continue
        failed = rejected is not None or bool(err.iloc[i]) or (pd.notna(status.iloc[i]) and int(status.iloc[i]) >= 500)
        requests.append(
            {
                "ts": ts[i],
                "service": service[i],
                "breaker": name,
                "request_id": None if got["req"][i] is None else str(got["req"][i]),
                "ok": not failed,
                "allowed": rejected is None,
                "rejected": rejected,
                "latency_ms": latency[i],
                "_attempt": attempt_no[i] if attempt[i] else None,
                "_named": got["breaker"][i] is not None or got["callee"][i] is not None,
            }
        )
    tr = pd.DataFrame(transitions, columns=["ts", "service", "breaker", "from_state", "to_state"])
    rq = pd.DataFrame(
        requests,
        columns=[
            "ts",
            "service",
            "breaker",
            "request_id",
            "ok",
            "allowed",
            "rejected",
            "latency_ms",
            "_attempt",
            "_named",
        ],
    )
    rq = _without_received(rq)
    for frame in (tr, rq):
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        for col in frame.columns:
            if col not in ("ts", "ok", "allowed", "latency_ms"):
                frame[col] = frame[col].astype("string")
    rq["state"] = _state_at(rq, tr)
    return BreakerReplay(rq, conform(tr, "breaker_transitions"), {"source": "logs"})


def _without_received(rq: pd.DataFrame) -> pd.DataFrame:
    """Drop a callee's own lines for attempts it received (the caller's line already counts them)."""
    sent = rq[rq["_named"] & rq["request_id"].notna() & rq["_attempt"].notna()]
    keys = set(zip(sent["breaker"], sent["request_id"], sent["_attempt"], strict=True))
    echo = [
        (not named) and (svc, req, att) in keys
        for named, svc, req, att in zip(rq["_named"], rq["service"], rq["request_id"], rq["_attempt"], strict=True)
    ]
    return rq[~np.array(echo, dtype=bool)].drop(columns=["_attempt", "_named"]).reset_index(drop=True)


def breaker_calls(breaker: BreakerReplay, *, service: str | None = None, name: str | None = None) -> pd.DataFrame:
    """The calls a logged breaker guarded, as ``start, end, ok`` for :func:`replay_breaker` and what-ifs.

    A call's line is written when it returns: ``end`` is its time and
    ``start`` is ``end − latency_ms`` (``end`` itself without a latency).
    Calls the breaker rejected never reached the dependency, so their outcome
    is unknown; each takes the outcome of the nearest call in time that did
    (``estimated`` is True for them).

    Parameters
    ----------
    breaker : BreakerReplay
        From :func:`breaker_from_logs`.
    service, name : str, optional
        Only the calls of this service / this breaker (callee).

    Returns
    -------
    pandas.DataFrame
        ``start, end, ok, estimated, rejected_in_logs``, sorted by start.
    """
    rq = breaker.requests
    if service is not None:
        rq = rq[rq["service"] == service]
    if name is not None:
        rq = rq[rq["breaker"] == name]
    columns = ["start", "end", "ok", "estimated", "rejected_in_logs"]
    if rq.empty:
        return pd.DataFrame(columns=columns)
    end = rq["ts"]
    lat = pd.to_timedelta(rq["latency_ms"].fillna(0.0).clip(lower=0.0), unit="ms")
    out = pd.DataFrame({"start": end - lat, "end": end, "ok": rq["ok"].astype(bool)})
    out["rejected_in_logs"] = ~rq["allowed"].astype(bool).to_numpy()
    out["estimated"] = out["rejected_in_logs"]
    real = out[~out["rejected_in_logs"]].sort_values("end")
    if len(real) and out["estimated"].any():
        guess = out.loc[out["estimated"]]
        pos = np.searchsorted(real["end"].to_numpy(), guess["end"].to_numpy())
        pos = np.clip(pos, 0, len(real) - 1)
        before = np.clip(pos - 1, 0, len(real) - 1)
        t = guess["end"].to_numpy()
        ends = real["end"].to_numpy()
        pick = np.where(np.abs(ends[before] - t) <= np.abs(ends[pos] - t), before, pos)
        out.loc[out["estimated"], "ok"] = real["ok"].to_numpy()[pick]
    return out.sort_values("start", kind="stable").reset_index(drop=True)[columns]


def _state_at(requests: pd.DataFrame, transitions: pd.DataFrame) -> pd.Series:
    """The last logged state before each request, per (service, breaker)."""
    if requests.empty or transitions.empty:
        return pd.Series(pd.NA, index=requests.index, dtype="string")
    req_key = requests["service"].fillna("").astype(str) + "\x00" + requests["breaker"].fillna("").astype(str)
    tr_key = transitions["service"].fillna("").astype(str) + "\x00" + transitions["breaker"].fillna("").astype(str)
    values: list[Any] = [pd.NA] * len(requests)
    for key in tr_key.unique():
        grp = transitions[tr_key == key]
        rows = np.flatnonzero((req_key == key).to_numpy())
        if not len(rows):
            continue
        times = grp["ts"].to_numpy()
        pos = np.searchsorted(times, requests["ts"].to_numpy()[rows], side="right") - 1
        states = grp["to_state"].tolist()
        for r, p in zip(rows.tolist(), pos.tolist(), strict=True):
            if p >= 0:
                values[r] = states[p]
    return pd.Series(pd.array(values, dtype="string"), index=requests.index)


def _ts_seconds(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("int64").to_numpy() / 1e9
    return values.to_numpy(dtype=float)


def detect_breaker_faults(
    breaker: BreakerReplay,
    *,
    window_s: float = 60.0,
    max_trips: int = 3,
    rejected_warn: float = 0.10,
    failure_share: float = 0.5,
    min_requests: int = 20,
    subject: str = "circuit breaker",
) -> pd.DataFrame:
    """What is wrong with a circuit breaker, from a replay or from logs.

    * **Flapping** (``breaker_flapping``): more than ``max_trips`` trips to
      open within any ``window_s``, or half-open probes that keep failing
      (open → half-open → open loops).
    * **Rejections** (``breaker_open``): the share of calls rejected, when
      above ``rejected_warn``.
    * **Counting the wrong errors** (``breaker_misconfig``): failures the
      breaker counted that were 4xx answers (other than 429) or validation
      errors — the caller's fault, not the dependency's — when the requests
      table has ``status`` or ``error_kind``.
    * **A rule that cannot fire** (``breaker_misconfig``): a window of
      ``window_s`` with at least ``min_requests`` calls of which at least
      ``failure_share`` failed, yet the breaker never tripped.

    Parameters
    ----------
    breaker : BreakerReplay
        From :func:`replay_breaker` or :func:`breaker_from_logs`.
    window_s : float, default 60
        Window for trip counts and failure shares, seconds.
    max_trips : int, default 3
        Trips per window above which the breaker flaps.
    rejected_warn : float, default 0.10
        Share of rejected calls that makes a finding.
    failure_share : float, default 0.5
        Failure share of a window in which a sound breaker trips.
    min_requests : int, default 20
        Calls a window needs before it is judged.
    subject : str, default "circuit breaker"
        What the findings name (the breaker's name).

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``).
    """
    if not isinstance(breaker, BreakerReplay):
        raise InvalidParameterError(
            "detect_breaker_faults needs a BreakerReplay (from replay_breaker or breaker_from_logs), "
            f"got {type(breaker).__name__}"
        )
    if window_s <= 0 or max_trips < 1:
        raise InvalidParameterError(f"window_s must be > 0 and max_trips ≥ 1, got {window_s}, {max_trips}")
    tr, rq = breaker.transitions, breaker.requests
    time_col = "ts" if "ts" in rq.columns else "start"
    rows: list[dict[str, Any]] = []
    dated = len(tr) and pd.api.types.is_datetime64_any_dtype(tr["ts"])
    opens = tr[tr["to_state"] == "open"]
    if len(opens) > max_trips:
        t = _ts_seconds(opens["ts"])
        counts = np.searchsorted(t, t + window_s, side="right") - np.arange(len(t))
        peak = int(counts.max())
        if peak > max_trips:
            start = int(counts.argmax())
            relapses = int(((tr["from_state"] == "half-open") & (tr["to_state"] == "open")).sum())
            rows.append(
                finding(
                    "breaker",
                    "breaker_flapping",
                    "critical" if peak >= 2 * max_trips else "warning",
                    subject,
                    metric=f"trips to open per {window_s:g} s",
                    value=float(peak),
                    threshold=float(max_trips),
                    evidence=(
                        f"{len(opens)} trips in all, {peak} within {window_s:g} s; {relapses} half-open probes failed "
                        "and reopened it (open → half-open → open)"
                    ),
                    recommendation=(
                        "The dependency is still failing when the breaker probes it: lengthen Timeout (open "
                        "duration) or back it off after each failed probe, and trip on a failure ratio over "
                        "enough requests rather than a short run of failures"
                    ),
                    handbook_ref="§4.2",
                    ts_start=opens["ts"].iloc[start] if dated else None,
                    ts_end=opens["ts"].iloc[start + peak - 1] if dated else None,
                )
            )
    if len(rq) and "allowed" in rq.columns:
        rejected = ~rq["allowed"].astype(bool)
        share = float(rejected.mean())
        if share >= rejected_warn and rejected.sum() > 0:
            reasons = rq.loc[rejected, "rejected"].value_counts().to_dict() if "rejected" in rq.columns else {}
            rows.append(
                finding(
                    "breaker",
                    "breaker_open",
                    "warning",
                    subject,
                    metric="share of calls rejected",
                    value=share,
                    threshold=rejected_warn,
                    evidence=(
                        f"{int(rejected.sum())} of {len(rq)} calls rejected ("
                        + ", ".join(f"{k}: {v}" for k, v in reasons.items())
                        + ")"
                    ),
                    recommendation=(
                        "Serve rejected calls from a fallback (cache, default answer) and alert on the open state; "
                        "check that the dependency, not the breaker's settings, is the cause"
                    ),
                    handbook_ref="§4.2",
                    **_window(rq[rejected], time_col),
                )
            )
    rows += _wrong_errors(rq, subject, time_col)
    rows += _silent_rule(rq, tr, subject, time_col, window_s, failure_share, min_requests)
    return findings_frame(rows)


def _window(rows: pd.DataFrame, time_col: str) -> dict[str, Any]:
    if rows.empty or not pd.api.types.is_datetime64_any_dtype(rows[time_col]):
        return {}
    return {"ts_start": rows[time_col].min(), "ts_end": rows[time_col].max()}


def _wrong_errors(rq: pd.DataFrame, subject: str, time_col: str) -> list[dict[str, Any]]:
    if rq.empty or "ok" not in rq.columns or not ({"status", "error_kind"} & set(rq.columns)):
        return []
    counted = rq["counted"].astype(bool) if "counted" in rq.columns else rq["allowed"].astype(bool)
    failed = counted & ~rq["ok"].astype(bool)
    client = pd.Series(False, index=rq.index)
    if "status" in rq.columns:
        st = pd.to_numeric(rq["status"], errors="coerce")
        client |= (st >= 400) & (st < 500) & (st != 429)
    if "error_kind" in rq.columns:
        client |= rq["error_kind"].astype("string").isin(["validation", "bad_request", "serialization"]).fillna(False)
    wrong = failed & client
    if not wrong.any():
        return []
    return [
        finding(
            "breaker",
            "breaker_misconfig",
            "warning",
            subject,
            metric="counted failures that were the caller's errors",
            value=float(wrong.sum()),
            threshold=0.0,
            evidence=(
                f"{int(wrong.sum())} of {int(failed.sum())} failures the breaker counted were client errors "
                "(4xx other than 429, validation): bad input can open the breaker for every caller"
            ),
            recommendation=(
                "Count only dependency failures: gobreaker's IsSuccessful (v1.0+) or return nil from the wrapped "
                "function for 4xx answers and report them outside the breaker"
            ),
            handbook_ref="§4.2",
            **_window(rq[wrong], time_col),
        )
    ]


def _silent_rule(
    rq: pd.DataFrame,
    tr: pd.DataFrame,
    subject: str,
    time_col: str,
    window_s: float,
    share: float,
    min_requests: int,
) -> list[dict[str, Any]]:
    if rq.empty or "ok" not in rq.columns or (tr["to_state"] == "open").any():
        return []
    t = _ts_seconds(rq[time_col])
    order = np.argsort(t, kind="stable")
    t, failed = t[order], (~rq["ok"].astype(bool)).to_numpy()[order]
    cum = np.concatenate([[0], np.cumsum(failed)])
    end = np.searchsorted(t, t + window_s, side="right")
    calls = end - np.arange(len(t))
    fails = cum[end] - cum[np.arange(len(t))]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(calls >= min_requests, fails / calls, np.nan)
    if np.all(np.isnan(ratio)) or np.nanmax(ratio) < share:
        return []
    at = int(np.nanargmax(ratio))
    worst = float(ratio[at])
    picked = rq.iloc[order[at : end[at]]]
    return [
        finding(
            "breaker",
            "breaker_misconfig",
            "warning",
            subject,
            metric=f"failure share in {window_s:g} s without a trip",
            value=worst,
            threshold=share,
            evidence=(
                f"{int(fails[at])} of {int(calls[at])} calls failed within {window_s:g} s and the breaker never "
                "opened: its ReadyToTrip rule cannot fire at this traffic (consecutive-failure runs broken by "
                "successes, a ratio diluted by in-flight calls, or counts cleared by a short Interval)"
            ),
            recommendation=(
                "Trip on a failure ratio with a minimum request count (e.g. Requests ≥ 20 and "
                "TotalFailures/Requests ≥ 0.5) over an Interval long enough to see them"
            ),
            handbook_ref="§4.2",
            **_window(picked, time_col),
        )
    ]

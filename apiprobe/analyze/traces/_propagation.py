"""Where the trace id is lost: orphan spans, broken traces, log coverage, joins, journeys from logs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze.traces._spans import (
    _CALLEE_KINDS,
    _CALLER_KINDS,
    _ERROR_LEVELS,
    _MS,
    _NAT,
    PEER_KEYS,
    _ns,
    _prep,
    _str,
    _ts,
)

# --------------------------------------------------------------------------- propagation


def orphan_spans(spans: pd.DataFrame) -> pd.DataFrame:
    """Spans whose ``parent_span_id`` names a span that is not in their trace.

    The caller's context reached this service (the trace id is right) but the
    parent span never arrived: it was not exported (sampled out, exporter
    errors, a service not instrumented that still forwards ``traceparent``)
    or the span id was mangled in propagation. A trace read only partly
    (one file of several) shows the same symptom.

    Parameters
    ----------
    spans : pandas.DataFrame
        A spans table.

    Returns
    -------
    pandas.DataFrame
        The orphan rows of ``spans`` (one per span id), in input order.
    """
    df = _prep(spans)
    present = set(zip(df["trace_id"], df["span_id"], strict=True))
    mask = [
        isinstance(p, str) and (t, p) not in present for t, p in zip(df["trace_id"], df["parent_span_id"], strict=True)
    ]
    cols = [c for c in spans.columns]
    return df.loc[np.asarray(mask, dtype=bool), cols].reset_index(drop=True)


def _peer(attrs: Any, services: set[str]) -> str | None:
    if not isinstance(attrs, dict):
        return None
    for key in PEER_KEYS:
        value = attrs.get(key)
        if isinstance(value, str) and value:
            host = value.split(":")[0]
            for cand in (value, host, host.split(".")[0]):
                if cand in services:
                    return cand
    return None


#: A service whose server spans start a new trace this often is an entry point (edge).
_ENTRY_ROOT_SHARE = 0.9
#: ... judged only from at least this many server spans.
_ENTRY_MIN_SPANS = 5


def broken_traces(spans: pd.DataFrame, *, skew_ms: float = 25.0) -> pd.DataFrame:
    """Calls whose callee's spans are missing from the trace, or were recorded under another trace id.

    A ``client`` (or ``producer``) span with no ``server``/``consumer``
    child (and no child of another service) is normal when the callee is not
    instrumented (a database, a cache, a third party). It is reported only
    when there is evidence that the callee is traced:

    * ``restarted_trace``: a span of another service that *starts a trace*
      (no parent in its trace; kind server, consumer or unspecified) ran
      inside the call — it started no earlier than ``skew_ms`` before the
      client span and ended no later than ``skew_ms`` after it — under a
      different trace id: the callee did not extract the incoming context
      (``traceparent`` / ``b3`` header not injected or not read) and began a
      new trace. When the client span names its callee (:data:`PEER_KEYS`),
      only that service's spans are candidates; when it does not, the match
      is made only if exactly one candidate exists, so busy periods with
      many concurrent requests do not produce coincidental matches, and
      never with an entry service (one with at least 5 server spans that
      start a new trace at least 90 % of the time, like an edge gateway). Calls
      to databases and brokers (``db.system``, ``messaging.system``) are
      skipped. Each callee span is matched to at most one call (the closest
      in start time). This is timing evidence: confirm with the callee's logs.
    * ``missing_server_span``: the client span names a callee service
      (:data:`PEER_KEYS`) that has spans elsewhere in the table, but no span
      of it is under this call and no restarted trace matches.

    Parameters
    ----------
    spans
        A ``spans`` table.
    skew_ms
        Clock difference allowed between the caller's and the callee's
        hosts when matching a callee's root span to the call, ms.

    Returns
    -------
    pandas.DataFrame
        ``issue, trace_id, span_id, service, name, start, end, callee,
        other_trace_id, other_span_id, detail``, one row per call, by start.
    """
    cols = [
        "issue",
        "trace_id",
        "span_id",
        "service",
        "name",
        "start",
        "end",
        "callee",
        "other_trace_id",
        "other_span_id",
        "detail",
    ]
    df = _prep(spans)
    attrs = df["attrs"].tolist() if "attrs" in df.columns else [None] * len(df)
    tids, sids, svcs = df["trace_id"].tolist(), df["span_id"].tolist(), df["service"].tolist()
    names, parents = df["name"].tolist(), df["parent_span_id"].tolist()
    kinds = [k.lower() if isinstance(k, str) else None for k in df["kind"].astype("string").tolist()]
    starts, ends, ok = df["_s"].to_numpy(), df["_e"].to_numpy(), df["_ok"].to_numpy(dtype=bool)
    services = {str(v) for v in svcs if isinstance(v, str)}
    by_id = {(t, sp): i for i, (t, sp) in enumerate(zip(tids, sids, strict=True))}
    # a call is answered when a server/consumer span, or a span of another service, is under it
    answered: set[int] = set()
    for i, (t, p) in enumerate(zip(tids, parents, strict=True)):
        j = by_id.get((t, p)) if isinstance(p, str) else None
        if j is not None and (
            kinds[i] in _CALLEE_KINDS or (isinstance(svcs[i], str) and isinstance(svcs[j], str) and svcs[i] != svcs[j])
        ):
            answered.add(j)
    callers = [
        i
        for i in range(len(df))
        if kinds[i] in _CALLER_KINDS and ok[i] and i not in answered and not _backend_call(attrs[i])
    ]
    roots = np.asarray(
        [
            i
            for i in range(len(df))
            if ok[i]
            and (kinds[i] in _CALLEE_KINDS or kinds[i] is None)
            and not (isinstance(parents[i], str) and (tids[i], parents[i]) in by_id)
        ],
        dtype=int,
    )
    # Entry services (nearly all of their server spans start a trace, like an edge
    # gateway) start new traces all the time; that alone is no evidence of a lost
    # context, so they only count when the call names them.
    root_set = set(roots.tolist())
    served: dict[str, list[bool]] = {}
    for i in range(len(df)):
        if kinds[i] in _CALLEE_KINDS and isinstance(svcs[i], str):
            served.setdefault(svcs[i], []).append(i in root_set and not isinstance(parents[i], str))
    entry = {
        svc
        for svc, flags in served.items()
        if len(flags) >= _ENTRY_MIN_SPANS and sum(flags) >= _ENTRY_ROOT_SHARE * len(flags)
    }
    skew = int(skew_ms * _MS)
    candidates: list[tuple[int, int, int]] = []  # (start gap, caller, callee root)
    callee_of: dict[int, str | None] = {}
    r_start, r_end = starts[roots], ends[roots]
    for c in callers:
        callee = _peer(attrs[c], services - {_str(svcs[c])})
        callee_of[c] = callee
        inside = (r_start >= starts[c] - skew) & (r_end <= ends[c] + skew)
        found = [
            int(r)
            for r in roots[inside]
            if tids[r] != tids[c]
            and svcs[r] != svcs[c]
            and (svcs[r] == callee if callee is not None else svcs[r] not in entry)
        ]
        if callee is None and len(found) != 1:
            continue  # unnamed callee: only an unambiguous match is evidence
        candidates += [(abs(int(starts[r]) - int(starts[c])), c, r) for r in found]
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _gap, c, r in sorted(candidates):
        if c not in matched and r not in used:
            matched[c] = r
            used.add(r)
    rows: list[dict[str, Any]] = []
    for c in callers:
        base = {
            "trace_id": tids[c],
            "span_id": sids[c],
            "service": svcs[c],
            "name": names[c],
            "start": _ts(int(starts[c])),
            "end": _ts(int(ends[c])),
        }
        caller = f"{_str(svcs[c], '(unknown)')} ({_str(names[c])})"
        if c in matched:
            r = matched[c]
            gap = (int(starts[r]) - int(starts[c])) / _MS
            rows.append(
                {
                    **base,
                    "issue": "restarted_trace",
                    "callee": svcs[r],
                    "other_trace_id": tids[r],
                    "other_span_id": sids[r],
                    "detail": (
                        f"{_str(svcs[r])} started trace {tids[r][:12]}… ({_str(names[r])}) "
                        f"{gap:+.1f} ms after {caller} called it in trace {tids[c][:12]}…: "
                        "the trace context did not cross"
                    ),
                }
            )
        elif callee_of[c] is not None:
            callee = callee_of[c]
            rows.append(
                {
                    **base,
                    "issue": "missing_server_span",
                    "callee": callee,
                    "detail": (
                        f"{caller} called {callee} but no span of {callee} is under the call, "
                        f"although {callee} records spans"
                    ),
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col], utc=True)
    for col in cols:
        if col not in ("start", "end"):
            out[col] = out[col].astype("string")
    return out.sort_values(["start", "trace_id"], kind="stable").reset_index(drop=True)


def _backend_call(attrs: Any) -> bool:
    """A call to a database or a message broker, which has no server span of its own."""
    return isinstance(attrs, dict) and any(k in attrs for k in ("db.system", "messaging.system"))


def _usable_events(events: pd.DataFrame) -> pd.DataFrame:
    require_columns(events, ["service", "trace_id"], table="events")
    if "parse_ok" in events.columns:
        events = events[events["parse_ok"].astype("boolean").fillna(True).to_numpy(dtype=bool)]
    return events


def trace_coverage(events: pd.DataFrame) -> pd.DataFrame:
    """Per service: how many log lines carry a trace id (and a span id).

    Lines that did not parse (``parse_ok`` False) are left out: their fields
    are unknown.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table.

    Returns
    -------
    pandas.DataFrame
        ``service, lines, with_trace_id, share`` (0–1), ``with_span_id``,
        ``span_share``; lowest trace-id share first. Lines without a service
        are counted under ``"(unknown)"``.
    """
    ev = _usable_events(events)
    cols = ["service", "lines", "with_trace_id", "share", "with_span_id", "span_share"]
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "service" else "float64") for c in cols})
    svc = ev["service"].astype("string").fillna("(unknown)").rename("service")
    has_t = ev["trace_id"].astype("string").str.strip().fillna("").ne("")
    has_s = (
        ev["span_id"].astype("string").str.strip().fillna("").ne("")
        if "span_id" in ev.columns
        else pd.Series(False, index=ev.index)
    )
    g = pd.DataFrame({"service": svc, "t": has_t.to_numpy(), "s": has_s.to_numpy()}).groupby("service")
    out = pd.DataFrame({"lines": g.size(), "with_trace_id": g["t"].sum(), "with_span_id": g["s"].sum()})
    out["share"] = out["with_trace_id"] / out["lines"]
    out["span_share"] = out["with_span_id"] / out["lines"]
    out = out.reset_index().sort_values(["share", "service"], kind="stable").reset_index(drop=True)
    out["service"] = out["service"].astype("string")
    for c in ("lines", "with_trace_id", "with_span_id"):
        out[c] = out[c].astype("int64")
    return out[cols]


def join_logs_to_spans(events: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Attach each log line to the span it was written in.

    A line is joined by ``(trace_id, span_id)`` when it logs a span id found
    in ``spans``; otherwise, when it has a trace id and a time, to the
    innermost span of the same trace and the same service whose interval
    contains the line's ``ts`` (innermost: the latest start, then the
    shortest). Lines without a service match spans of any service. Log and
    span clocks of one service come from the same host, so time containment
    is sound within a service; it is not used across services.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table (:func:`apiprobe.read_logs`).
    spans : pandas.DataFrame
        A spans table (:func:`apiprobe.read_traces`).

    Returns
    -------
    pandas.DataFrame
        ``events`` (same rows, same order) plus ``joined_span_id``,
        ``span_service``, ``span_name``, ``span_start``, ``span_end`` and
        ``join_by`` (``"span_id"``, ``"time"`` or NA when no span fits).
    """
    require_columns(events, ["ts", "trace_id"], table="events")
    sp = _prep(spans)
    ev = events.reset_index(drop=True)
    n = len(ev)
    out_span = np.full(n, None, dtype=object)
    how = np.full(n, None, dtype=object)
    tid = ev["trace_id"].astype("string").str.strip().str.lower()
    sid = (
        ev["span_id"].astype("string").str.strip().str.lower()
        if "span_id" in ev.columns
        else pd.Series(pd.NA, index=ev.index, dtype="string")
    )
    known = dict.fromkeys(zip(sp["trace_id"], sp["span_id"], strict=True), True)
    for i, (t, s) in enumerate(zip(tid, sid, strict=True)):
        if isinstance(t, str) and isinstance(s, str) and (t, s) in known:
            out_span[i], how[i] = s, "span_id"
    todo = [i for i in range(n) if how[i] is None and isinstance(tid.iloc[i], str)]
    if todo:
        left = pd.DataFrame(
            {
                "_row": todo,
                "trace_id": tid.iloc[todo].to_numpy(),
                "_svc": (
                    ev["service"].astype("string").iloc[todo].to_numpy()
                    if "service" in ev.columns
                    else pd.array([pd.NA] * len(todo), dtype="string")
                ),
                "_t": _ns(ev["ts"].iloc[todo]),
            }
        )
        left = left[left["_t"] != _NAT]
        right = sp[sp["_ok"]][["trace_id", "span_id", "service", "_s", "_e"]]
        m = left.merge(right, on="trace_id")
        same = (m["_svc"].isna() | (m["_svc"] == m["service"])).fillna(False).to_numpy(dtype=bool)
        m = m[same & (m["_s"] <= m["_t"]).to_numpy() & (m["_t"] <= m["_e"]).to_numpy()]
        if len(m):
            m = m.assign(_d=m["_e"] - m["_s"]).sort_values(
                ["_row", "_s", "_d"], ascending=[True, False, True], kind="stable"
            )
            best = m.drop_duplicates("_row")
            for r, s in zip(best["_row"], best["span_id"], strict=True):
                out_span[int(r)], how[int(r)] = s, "time"
    keys = pd.DataFrame({"trace_id": tid.to_numpy(dtype=object), "span_id": out_span})
    info = sp[["trace_id", "span_id", "service", "name", "start", "end"]]
    found = keys.merge(info, on=["trace_id", "span_id"], how="left", validate="many_to_one")
    out = events.copy().reset_index(drop=True)
    out["joined_span_id"] = pd.array(list(out_span), dtype="string")
    found.index = out.index
    out["span_service"] = found["service"].astype("string")
    out["span_name"] = found["name"].astype("string")
    out["span_start"] = pd.to_datetime(found["start"], utc=True)
    out["span_end"] = pd.to_datetime(found["end"], utc=True)
    out["join_by"] = pd.array(list(how), dtype="string")
    return out


def trace_journeys(events: pd.DataFrame) -> pd.DataFrame:
    """From log lines alone: one row per trace id, the path of the request through the services.

    * ``entry_service``: the service that received the request. Lines are
      ordered by their *start*, not by their timestamp: an access-log line
      (one with a ``latency_ms``) is written when the request finishes, so
      it started at ``ts − latency_ms``; a line without latency starts at
      ``ts``. The entry is the line that started first, where starts within
      1 ms of each other are a tie and a timestamp's resolution widens it (a
      whole-second timestamp, as some services log, may be up to 1 s late,
      a whole-millisecond one 1 ms); among tied lines the one with the
      largest latency wins (the entry's latency includes its downstream
      calls), then the earliest start;
    * ``services``: the entry service, then the others in order of their
      earliest line start (``" → "``);
    * ``lines``; ``first_ts``, ``last_ts`` (logged timestamps);
      ``elapsed_ms`` = last − first;
    * ``entry_latency_ms``: the ``latency_ms`` of the entry line (its own
      measure of the whole request), else the largest one the entry service
      logged for this trace; ``latency_ms`` is that, or ``elapsed_ms`` when
      the entry service logged no latency;
    * ``attempts``: the largest ``attempt`` logged, per service plus one
      when that service numbers attempts from 0 (some line of that service
      in the table logs ``attempt=0``), the largest over services; without
      an ``attempt`` value, the most times one request line (same service,
      route and message, among lines with a route, a status or a latency)
      repeats; 1 when nothing repeats;
    * ``outcome``: ``"error"`` when any line is at level error/fatal or
      logs a status ≥ 500, else ``"ok"``; ``error_services`` lists the
      services with such lines, in order of their first such line's ``ts``; ``max_status`` is the highest status logged.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table.

    Returns
    -------
    pandas.DataFrame
        Ordered by ``first_ts``. Lines without a trace id are left out.
    """
    ev = _usable_events(events)
    tid = ev["trace_id"].astype("string").str.strip().str.lower()
    ev = ev.assign(_tid=tid)[tid.notna().to_numpy(dtype=bool) & tid.ne("").fillna(False).to_numpy(dtype=bool)]
    cols = [
        "trace_id",
        "entry_service",
        "services",
        "n_services",
        "lines",
        "first_ts",
        "last_ts",
        "elapsed_ms",
        "entry_latency_ms",
        "latency_ms",
        "attempts",
        "outcome",
        "error_services",
        "max_status",
    ]
    if ev.empty:
        return _empty_journeys(cols)

    def col(name: str, dtype: str) -> pd.Series:
        return ev[name] if name in ev.columns else pd.Series(pd.NA, index=ev.index, dtype=dtype)

    ts = pd.to_datetime(col("ts", "datetime64[ns, UTC]"), utc=True)
    level = col("level", "string").astype("string").str.lower()
    status = pd.to_numeric(col("status", "Int64"), errors="coerce")
    latency = pd.to_numeric(col("latency_ms", "float64"), errors="coerce")
    attempt = pd.to_numeric(col("attempt", "Int64"), errors="coerce")
    service = ev["service"].astype("string").fillna("(unknown)")
    zero_based = set(service[(attempt == 0).fillna(False).to_numpy(dtype=bool)].unique())
    ts_ns = _ns(ts)
    lat = latency.to_numpy(dtype="float64", na_value=np.nan)
    has_lat = np.isfinite(lat) & (lat >= 0)
    start_ns = np.where(ts_ns != _NAT, ts_ns - np.where(has_lat, lat * _MS, 0.0).astype("int64"), _NAT)
    res_ns = np.select([ts_ns % 1_000_000_000 == 0, ts_ns % 1_000_000 == 0], [1_000_000_000, 1_000_000], 0)
    work = pd.DataFrame(
        {
            "trace_id": ev["_tid"].to_numpy(),
            "service": service.to_numpy(),
            "ts": ts.to_numpy(),
            "err": (level.isin(list(_ERROR_LEVELS)).fillna(False) | (status >= 500).fillna(False)).to_numpy(dtype=bool),
            "status": status.to_numpy(dtype="float64", na_value=np.nan),
            "latency": np.where(has_lat, lat, np.nan),
            "attempt": attempt.to_numpy(dtype="float64", na_value=np.nan),
            "route": col("route", "string").astype("string").to_numpy(),
            "msg": col("msg", "string").astype("string").to_numpy(),
            "_start": start_ns,
            "_res": res_ns,
            "_timed": ts_ns != _NAT,
            "_pos": np.arange(len(ev)),
        }
    )
    rows: list[dict[str, Any]] = []
    for t, g in work.groupby("trace_id", sort=False):
        g = g.sort_values(["_timed", "_start", "_pos"], ascending=[False, True, True], kind="stable")
        entry_row = _entry_line(g)
        entry = str(g.at[entry_row, "service"])
        services = list(dict.fromkeys([entry, *g["service"]]))
        by_ts = g.sort_values(["ts", "_pos"], kind="stable", na_position="last")
        first, last = g["ts"].min(), g["ts"].max()
        elapsed = (last - first).total_seconds() * 1000 if pd.notna(first) and pd.notna(last) else np.nan
        entry_lat = float(g["latency"].to_numpy(dtype="float64")[g.index.get_loc(entry_row)])
        if not np.isfinite(entry_lat):
            ent = g.loc[g["service"] == entry, "latency"]
            entry_lat = float(ent.max()) if ent.notna().any() else np.nan
        if g["attempt"].notna().any():
            per_svc = g[g["attempt"].notna()].groupby("service")["attempt"].max()
            attempts = int(max(a + (1 if svc in zero_based else 0) for svc, a in per_svc.items()))
        else:
            req = g[pd.notna(g["route"]) | g["status"].notna() | g["latency"].notna()]
            reps = req.groupby(["service", req["route"].fillna(""), req["msg"].fillna("")]).size()
            attempts = int(reps.max()) if len(reps) else 1
        rows.append(
            {
                "trace_id": t,
                "entry_service": entry,
                "services": " → ".join(services),
                "n_services": len(services),
                "lines": len(g),
                "first_ts": first,
                "last_ts": last,
                "elapsed_ms": elapsed,
                "entry_latency_ms": entry_lat,
                "latency_ms": entry_lat if np.isfinite(entry_lat) else elapsed,
                "attempts": attempts,
                "outcome": "error" if g["err"].any() else "ok",
                "error_services": ", ".join(dict.fromkeys(by_ts.loc[by_ts["err"], "service"])),
                "max_status": g["status"].max() if g["status"].notna().any() else None,
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    return _journey_types(out).sort_values("first_ts", kind="stable", na_position="last").reset_index(drop=True)


#: Lines whose estimated starts are this close (ns) are a tie in :func:`trace_journeys`.
_TIE_NS = 1_000_000


def _entry_line(g: pd.DataFrame) -> Any:
    """Index of the line of ``g`` (one trace, sorted by start) that opened the request.

    Every line whose start could be the earliest — its start is within
    :data:`_TIE_NS` of the earliest possible start, once the timestamp's
    resolution (``_res``: a whole-second timestamp may be up to 1 s late)
    is allowed for — is a candidate; the one with the largest latency wins
    (the entry's latency covers its downstream calls), then the earliest
    expected start, then the first in the table.
    """
    timed = g[g["_timed"].to_numpy(dtype=bool)]
    if timed.empty:
        return g.index[0]
    lo = timed["_start"].to_numpy(dtype="int64")
    hi = lo + timed["_res"].to_numpy(dtype="int64")
    cand = timed[lo <= hi.min() + _TIE_NS]
    mid = cand["_start"].to_numpy(dtype="float64") + cand["_res"].to_numpy(dtype="float64") / 2
    key = cand.assign(_lat=cand["latency"].fillna(-1.0), _mid=mid)
    return key.sort_values(["_lat", "_mid", "_pos"], ascending=[False, True, True], kind="stable").index[0]


def _journey_types(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("trace_id", "entry_service", "services", "outcome", "error_services"):
        out[c] = out[c].astype("string")
    for c in ("first_ts", "last_ts"):
        out[c] = pd.to_datetime(out[c], utc=True)
    for c in ("n_services", "lines", "attempts"):
        out[c] = out[c].astype("int64")
    for c in ("elapsed_ms", "entry_latency_ms", "latency_ms"):
        out[c] = out[c].astype("float64")
    out["max_status"] = pd.to_numeric(out["max_status"]).astype("Int64")
    return out


def _empty_journeys(cols: list[str]) -> pd.DataFrame:
    return _journey_types(pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))


def propagation_report(
    spans: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    skew_ms: float = 25.0,
    min_coverage: float = 0.1,
) -> pd.DataFrame:
    """Every place where the trace id was seen to be lost, one row each.

    Issues:

    * ``orphan_span`` — :func:`orphan_spans`;
    * ``restarted_trace`` and ``missing_server_span`` — :func:`broken_traces`;
    * ``logs_without_trace_id`` — a service where fewer than
      ``min_coverage`` of the log lines carry a trace id while another
      service's lines mostly (≥ 50 %) do (:func:`trace_coverage`); when no
      service logs trace ids at all, one row for ``"(all services)"``.

    Parameters
    ----------
    spans : pandas.DataFrame, optional
        A spans table.
    events : pandas.DataFrame, optional
        An events table (log lines).
    skew_ms : float, default 25
        Clock skew tolerated between services when matching a restarted trace to its caller, ms.
    min_coverage : float, default 0.1
        Trace-id share of a service's log lines below which it counts as losing the id.

    Returns
    -------
    pandas.DataFrame
        ``issue, service, trace_id, span_id, name, ts, other_service,
        other_trace_id, value, detail``: ``value`` is the trace-id share
        for log rows, NaN otherwise.
    """
    cols = [
        "issue",
        "service",
        "trace_id",
        "span_id",
        "name",
        "ts",
        "other_service",
        "other_trace_id",
        "value",
        "detail",
    ]
    rows: list[dict[str, Any]] = []
    if spans is not None and len(spans):
        orphans = orphan_spans(spans)
        for _, r in orphans.iterrows():
            rows.append(
                {
                    "issue": "orphan_span",
                    "service": r.get("service"),
                    "trace_id": r["trace_id"],
                    "span_id": r["span_id"],
                    "name": r.get("name"),
                    "ts": r.get("start"),
                    "detail": f"parent span {_str(r['parent_span_id'])} is not in trace {_str(r['trace_id'])[:12]}…",
                }
            )
        for _, r in broken_traces(spans, skew_ms=skew_ms).iterrows():
            rows.append(
                {
                    "issue": r["issue"],
                    "service": r["service"],
                    "trace_id": r["trace_id"],
                    "span_id": r["span_id"],
                    "name": r["name"],
                    "ts": r["start"],
                    "other_service": r["callee"],
                    "other_trace_id": r["other_trace_id"],
                    "detail": r["detail"],
                }
            )
    if events is not None and len(events):
        cov = trace_coverage(events)
        best = float(cov["share"].max()) if len(cov) else 0.0
        if len(cov) and best == 0.0:
            rows.append(
                {
                    "issue": "logs_without_trace_id",
                    "service": "(all services)",
                    "value": 0.0,
                    "detail": f"none of the {int(cov['lines'].sum()):,} log lines carries a trace id",
                }
            )
        elif best >= 0.5:
            top = cov.iloc[cov["share"].to_numpy().argmax()]
            for _, r in cov[cov["share"] < min_coverage].iterrows():
                rows.append(
                    {
                        "issue": "logs_without_trace_id",
                        "service": r["service"],
                        "value": r["share"],
                        "other_service": top["service"],
                        "detail": (
                            f"{int(r['with_trace_id']):,} of {int(r['lines']):,} log lines of "
                            f"{r['service']} carry a trace id ({r['share']:.0%}), while "
                            f"{top['share']:.0%} of {top['service']}'s do"
                        ),
                    }
                )
    out = pd.DataFrame(rows, columns=cols)
    out["ts"] = pd.to_datetime(out["ts"], utc=True)
    out["value"] = out["value"].astype("float64")
    for c in cols:
        if c not in ("ts", "value"):
            out[c] = out[c].astype("string")
    return out

"""Timeout budgets and context propagation (handbook §4.3): traces, a declared call graph, and logs.

* :func:`timeout_budget` — from spans, each child call against the time its
  parent had left, calls still running after their caller ended (orphaned
  work: the context was not passed down), and declared deadlines
  (``grpc-timeout``, ``deadline``/``timeout`` attributes) longer than what
  the caller had left;
* :func:`budget_tree` — from a declared call graph (``caller, callee,
  timeout_s, retries, backoff``; :func:`apiprobe.read_timeouts`), every
  hop's worst case (attempts × timeout + the backoff's longest waits) against
  its caller's own timeout;
* :func:`deadline_chains` — from logs, ``context deadline exceeded`` /
  ``context canceled`` across services by trace id: who gave up first.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.resilience._retry import retry_budget, retry_policy
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = ["DEADLINE_KEYS", "budget_tree", "deadline_chains", "detect_timeout_faults", "timeout_budget"]

#: Span attributes that carry a call's deadline or timeout.
DEADLINE_KEYS: tuple[str, ...] = (
    "grpc-timeout",
    "rpc.grpc.timeout",
    "grpc.timeout",
    "deadline_ms",
    "timeout_ms",
    "deadline",
    "timeout",
)
_GRPC_UNITS = {"H": 3.6e6, "M": 6e4, "S": 1e3, "m": 1.0, "u": 1e-3, "n": 1e-6}
_GO_UNITS = {"h": 3.6e6, "m": 6e4, "s": 1e3, "ms": 1.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_ORPHAN_TOLERANCE_MS = 1.0


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name (NA as None)."""
    return cast(list[dict[str, Any]], df.astype(object).where(df.notna(), None).to_dict("records"))


def duration_ms(value: Any) -> float:
    """A timeout as milliseconds: a number (ms), a Go duration (``"1.5s"``) or a gRPC ``grpc-timeout`` (``"100m"``).

    Returns NaN for anything else.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,8})([HMSmun])", text)
    if m:
        return int(m.group(1)) * _GRPC_UNITS[m.group(2)]
    if re.fullmatch(r"(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+", text):
        return sum(float(num) * _GO_UNITS[unit] for num, unit in _GO_PART.findall(text))
    try:
        return float(text)
    except ValueError:
        return math.nan


def _budget_evidence(hop: dict[str, Any]) -> str:
    """ "3 attempts × 3 s with go-retryablehttp backoff can take 12 s; gateway itself has 10 s"."""
    own = f"{hop['caller']} itself has {hop['caller_timeout_s']:g} s"
    if hop["attempts"] == 1:
        return f"one attempt may take its full {hop['timeout_s']:g} s timeout; {own}"
    backoff = f" with {hop['backoff']} backoff" if isinstance(hop["backoff"], str) and hop["backoff"] else ""
    return f"{hop['attempts']} attempts × {hop['timeout_s']:g} s{backoff} can take {hop['worst_s']:.3g} s; {own}"


def timeout_budget(spans: pd.DataFrame) -> pd.DataFrame:
    """Each child span against the time its parent had left.

    Parameters
    ----------
    spans : pandas.DataFrame
        Spans (schema ``spans``, from :func:`apiprobe.read_traces`).

    Returns
    -------
    pandas.DataFrame
        One row per span whose parent is in the table: ``trace_id, span_id,
        caller`` (the parent's service), ``callee`` (the child's service),
        ``name, start, end, duration_ms``, ``parent_left_ms`` (parent end −
        child start), ``overrun_ms`` (child end − parent end; positive when
        the child outlived its caller), ``orphaned`` (it did, by more than
        1 ms), ``deadline_ms`` (a declared deadline attribute, NaN without
        one) and ``exceeds_parent`` (the declared deadline is longer than
        what the parent had left).
    """
    require_columns(spans, ["trace_id", "span_id", "parent_span_id", "service", "name", "start", "end"], table="spans")
    parents = spans[["trace_id", "span_id", "service", "end"]].rename(
        columns={"span_id": "parent_span_id", "service": "caller", "end": "parent_end"}
    )
    kids = spans[spans["parent_span_id"].notna()]
    deadlines = attr_groups(kids["attrs"], {"d": DEADLINE_KEYS})["d"] if "attrs" in kids.columns else [None] * len(kids)
    kids = kids.assign(deadline_ms=[duration_ms(d) for d in deadlines])
    joined = kids.merge(parents, on=["trace_id", "parent_span_id"], how="inner")
    left = (joined["parent_end"] - joined["start"]).dt.total_seconds() * 1e3
    overrun = (joined["end"] - joined["parent_end"]).dt.total_seconds() * 1e3
    out = pd.DataFrame(
        {
            "trace_id": joined["trace_id"].astype("string"),
            "span_id": joined["span_id"].astype("string"),
            "caller": joined["caller"].astype("string"),
            "callee": joined["service"].astype("string"),
            "name": joined["name"].astype("string"),
            "start": joined["start"],
            "end": joined["end"],
            "duration_ms": (joined["end"] - joined["start"]).dt.total_seconds() * 1e3,
            "parent_left_ms": left,
            "overrun_ms": overrun,
            "orphaned": overrun > _ORPHAN_TOLERANCE_MS,
            "deadline_ms": joined["deadline_ms"].astype(float),
        }
    )
    out["exceeds_parent"] = (out["deadline_ms"] > out["parent_left_ms"]).fillna(False)
    return conform(out.sort_values(["trace_id", "start"], kind="stable").reset_index(drop=True), "timeout_budget")


def _calls_frame(calls: Any) -> pd.DataFrame:
    if not isinstance(calls, pd.DataFrame):
        raise InvalidParameterError(
            f"calls must be a DataFrame (caller, callee, timeout_s, ...) — read a file with read_timeouts; "
            f"got {type(calls).__name__}"
        )
    require_columns(calls, ["caller", "callee", "timeout_s"], table="call graph")
    df = calls.copy()
    if "retries" not in df.columns:
        df["retries"] = 0
    if "backoff" not in df.columns:
        df["backoff"] = None
    df["timeout_s"] = pd.to_numeric(df["timeout_s"], errors="coerce")
    bad = df["timeout_s"].isna() | (df["timeout_s"] <= 0)
    if bad.any():
        row = df[bad].iloc[0]
        raise InvalidParameterError(
            f"call graph: timeout of {row['caller']} → {row['callee']} must be > 0 seconds, got {row['timeout_s']!r}"
        )
    df["retries"] = pd.to_numeric(df["retries"], errors="coerce").fillna(0).astype(int)
    if (df["retries"] < 0).any():
        raise InvalidParameterError("call graph: retries must be ≥ 0")
    return df


def budget_tree(calls: pd.DataFrame, *, min_slack: float = 0.1) -> pd.DataFrame:
    """The timeout budget of a declared call graph, hop by hop.

    Parameters
    ----------
    calls : pandas.DataFrame
        One row per hop: ``caller, callee, timeout_s`` (one attempt's timeout),
        optionally ``retries`` (default 0) and ``backoff`` (a retry preset name
        of :func:`retry_policy`, or empty for none) — as
        :func:`apiprobe.read_timeouts` reads from ``timeouts.yaml``.
    min_slack : float, default 0.1
        Share of the caller's timeout a hop should leave unused.

    Returns
    -------
    pandas.DataFrame
        One row per hop, depth-first from the roots: ``path`` (``a/b/c``),
        ``depth`` (1 at a root's calls), ``caller, callee, timeout_s, retries,
        backoff, attempts``, ``worst_s`` (every attempt times out, every wait
        at its longest), ``caller_timeout_s`` (the timeout of the call into
        the caller; NaN at a root), ``slack_s`` and ``verdict`` (``over
        budget``, ``no slack``, ``ok``, or ``root`` when the caller has no
        timeout of its own in the graph).

    Raises
    ------
    SchemaError, InvalidParameterError
        Missing columns, a timeout ≤ 0, negative retries, an unknown backoff preset.
    """
    df = _calls_frame(calls)
    worst = []
    for hop in _records(df):
        attempts = int(hop["retries"]) + 1
        backoff = hop["backoff"]
        name = backoff if isinstance(backoff, str) and backoff.strip() else None
        if name is None or attempts == 1:
            worst.append(attempts * float(hop["timeout_s"]))
        else:
            pol = retry_policy(name, retries=int(hop["retries"]))
            worst.append(retry_budget(pol, attempt_timeout_s=float(hop["timeout_s"]), deadline_s=1e12).worst_s)
    df["attempts"] = df["retries"] + 1
    df["worst_s"] = worst
    into = df.groupby("callee")["timeout_s"].min()
    df["caller_timeout_s"] = df["caller"].map(into).astype(float)
    df["slack_s"] = df["caller_timeout_s"] - df["worst_s"]
    ratio = df["slack_s"] / df["caller_timeout_s"]
    df["verdict"] = np.select(
        [df["caller_timeout_s"].isna(), df["slack_s"] < 0, ratio < min_slack], ["root", "over budget", "no slack"], "ok"
    )
    callees = set(df["callee"])
    roots = [c for c in dict.fromkeys(df["caller"]) if c not in callees] or [df["caller"].iloc[0]]
    ordered: list[dict[str, Any]] = []

    def walk(node: str, path: str, depth: int, seen: frozenset[str]) -> None:
        for hop in _records(df[df["caller"] == node]):
            if hop["callee"] in seen:
                continue
            here = f"{path}/{hop['callee']}"
            ordered.append({"path": here, "depth": depth, **hop})
            walk(hop["callee"], here, depth + 1, seen | {hop["callee"]})

    for root in roots:
        walk(root, root, 1, frozenset([root]))
    # hops no root reaches (a cycle, or a second component) are listed too: nothing is dropped
    placed = {(r["caller"], r["callee"]) for r in ordered}
    for hop in _records(df):
        if (hop["caller"], hop["callee"]) not in placed:
            ordered.append({"path": f"{hop['caller']}/{hop['callee']}", "depth": 1, **hop})
    columns = [
        "path",
        "depth",
        "caller",
        "callee",
        "timeout_s",
        "retries",
        "backoff",
        "attempts",
        "worst_s",
        "caller_timeout_s",
        "slack_s",
        "verdict",
    ]
    return conform(pd.DataFrame(ordered, columns=columns), "budget_tree")


def deadline_chains(events: pd.DataFrame) -> pd.DataFrame:
    """``context deadline exceeded`` / ``context canceled`` across services, by trace id: who gave up first.

    Parameters
    ----------
    events : pandas.DataFrame
        Log lines (schema ``events``); ``error_kind`` is computed with
        :func:`apiprobe.classify_errors` when absent.

    Returns
    -------
    pandas.DataFrame
        One row per trace with such errors: ``trace_id, first_service,
        first_kind`` (``deadline_exceeded`` or ``canceled``), ``first_ts``,
        ``services`` (how many gave up), ``chain`` (``gateway: deadline_exceeded
        → orders: canceled``, in time order, each service once) and
        ``spread_ms`` (first to last).
    """
    require_columns(events, ["ts", "service", "trace_id"], table="events")
    if "error_kind" not in events.columns or events["error_kind"].isna().all():
        from apiprobe.analyze.error_kinds import classify_errors

        events = classify_errors(events)
    hit = events[
        events["error_kind"].isin(["deadline_exceeded", "canceled"]).fillna(False) & events["trace_id"].notna()
    ]
    columns = ["trace_id", "first_service", "first_kind", "first_ts", "services", "chain", "spread_ms"]
    if hit.empty:
        return conform(None, "deadline_chains")
    rows = []
    for trace, grp in hit.sort_values("ts", kind="stable").groupby("trace_id", sort=False):
        firsts = grp.drop_duplicates("service")
        rows.append(
            {
                "trace_id": trace,
                "first_service": firsts["service"].iloc[0],
                "first_kind": firsts["error_kind"].iloc[0],
                "first_ts": grp["ts"].iloc[0],
                "services": len(firsts),
                "chain": " → ".join(f"{s}: {k}" for s, k in zip(firsts["service"], firsts["error_kind"], strict=True)),
                "spread_ms": (grp["ts"].iloc[-1] - grp["ts"].iloc[0]).total_seconds() * 1e3,
            }
        )
    out = pd.DataFrame(rows, columns=columns).sort_values("first_ts", kind="stable").reset_index(drop=True)
    return conform(out, "deadline_chains")


def detect_timeout_faults(
    *,
    spans: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Timeout budget and propagation faults from whatever evidence is given.

    * spans: calls still running after their caller ended (``orphaned_work``),
      declared deadlines longer than the caller had left (``timeout_budget``);
    * a call graph: hops whose worst case overruns (critical) or nearly fills
      (info) the caller's timeout (``timeout_budget``);
    * logs: the service that most often gives up first in deadline chains
      (``timeout``).

    Parameters
    ----------
    spans, calls, events : pandas.DataFrame, optional
        Spans (schema ``spans``), a call graph (see :func:`budget_tree`), log lines (schema ``events``).

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``).
    """
    rows: list[dict[str, Any]] = []
    if spans is not None and len(spans):
        tb = timeout_budget(spans)
        for (caller, callee), grp in tb[tb["orphaned"]].groupby(["caller", "callee"], dropna=False):
            rows.append(
                finding(
                    "timeouts",
                    "orphaned_work",
                    "warning",
                    f"{caller} → {callee}",
                    metric="calls that outlived their caller",
                    value=float(len(grp)),
                    threshold=0.0,
                    evidence=(
                        f"{len(grp)} {callee} calls ran on after {caller} had ended (by up to "
                        f"{grp['overrun_ms'].max():.0f} ms, in {grp['trace_id'].nunique()} traces): "
                        "work nobody waits for"
                    ),
                    recommendation=(
                        "Pass the request's context.Context to every downstream call and database query "
                        "(http.NewRequestWithContext, QueryContext) so they stop when the caller gives up"
                    ),
                    handbook_ref="§4.3",
                    ts_start=grp["start"].min(),
                    ts_end=grp["end"].max(),
                )
            )
        over = tb[tb["exceeds_parent"]]
        for (caller, callee), grp in over.groupby(["caller", "callee"], dropna=False):
            rows.append(
                finding(
                    "timeouts",
                    "timeout_budget",
                    "warning",
                    f"{caller} → {callee}",
                    metric="declared deadline over what the caller had left (ms)",
                    value=float((grp["deadline_ms"] - grp["parent_left_ms"]).max()),
                    threshold=0.0,
                    evidence=(
                        f"{len(grp)} calls declared a deadline of up to {grp['deadline_ms'].max():.0f} ms with only "
                        f"{grp['parent_left_ms'].min():.0f} ms left in the caller"
                    ),
                    recommendation=(
                        "Derive each call's timeout from the caller's remaining deadline "
                        "(context.WithTimeout on the request's ctx)"
                    ),
                    handbook_ref="§4.3",
                    ts_start=grp["start"].min(),
                    ts_end=grp["end"].max(),
                )
            )
    if calls is not None and len(calls):
        tree = budget_tree(calls)
        for hop in _records(tree[tree["verdict"].isin(["over budget", "no slack"])]):
            over_budget = hop["verdict"] == "over budget"
            rows.append(
                finding(
                    "timeouts",
                    "timeout_budget",
                    "critical" if over_budget else "info",
                    f"{hop['caller']} → {hop['callee']}",
                    metric="worst case / caller's timeout",
                    value=float(hop["worst_s"] / hop["caller_timeout_s"]),
                    threshold=1.0,
                    evidence=_budget_evidence(hop),
                    recommendation=(
                        "Keep each hop's attempts × timeout + backoff below its caller's timeout, with slack: "
                        "shorten the timeout, retry less, or retry at one layer only"
                    ),
                    handbook_ref="§4.3",
                )
            )
    if events is not None and len(events) and "trace_id" in events.columns:
        chains = deadline_chains(events)
        if len(chains):
            counts = chains["first_service"].value_counts()
            who, n = counts.index[0], int(counts.iloc[0])
            rows.append(
                finding(
                    "timeouts",
                    "timeout",
                    "warning" if len(chains) >= 5 else "info",
                    str(who),
                    metric="traces where it gave up first",
                    value=float(n),
                    threshold=0.0,
                    evidence=(
                        f"in {n} of {len(chains)} traces with deadline/cancel errors, {who} gave up first "
                        f"(e.g. {chains['chain'].iloc[0]})"
                    ),
                    recommendation=(
                        "Compare that service's timeout with its callees' worst case: the first to give up "
                        "holds the shortest budget, and everything after it is canceled work"
                    ),
                    handbook_ref="§4.3",
                    ts_start=chains["first_ts"].min(),
                    ts_end=chains["first_ts"].max(),
                )
            )
    return findings_frame(rows)

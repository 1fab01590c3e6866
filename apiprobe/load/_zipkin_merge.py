"""Zipkin v2 span fragments merged into spans, the way the Zipkin UI does it.

Zipkin instrumentation may report one span in parts: a fragment with the
timestamp and duration, another with only tags or annotations (a late
``finish``, a flush from another thread), and the client and server halves of
an RPC under one id. The UI (``zipkin-lens``, ``mergeV2ById``) merges the
parts of one span before drawing; without that, a trace shows rows with no
start time next to the real span.

Rules (the UI's, in this module's words):

* fragments merge when they share trace id, span id, the ``shared`` flag
  (a CLIENT's flag does not count) and a compatible local endpoint (service
  name, IPs and port do not contradict; a fragment without an endpoint joins
  any);
* the merged span takes the first non-empty parent, name, kind, timestamp and
  duration, the union of both endpoints' fields, of tags (later fragments win)
  and of annotations;
* a CLIENT and a SERVER half under one id stay two spans; an un-flagged SERVER
  half is marked shared, and takes the client's parent when it has none.

Exact duplicates (the same fragment exported twice) are left as they are:
the analysis functions count them once and report them. One deliberate
difference from the UI: two reports of one id that both carry a time, and
disagree on it, stay two rows (the UI keeps the first time and drops the
other) — a second timed report is evidence, e.g. a retry under the same id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["merge_fragments"]

_Span = dict[str, Any]


def _shared(span: Mapping[str, Any]) -> bool:
    return bool(span.get("shared")) and str(span.get("kind") or "").upper() != "CLIENT"


def _endpoint_fits(current: dict[str, Any], endpoint: Any) -> bool:
    """Whether ``endpoint`` can be the same process as ``current``; fills ``current``'s gaps when it can."""
    if not isinstance(endpoint, Mapping) or not endpoint:
        return True
    for key in ("serviceName", "ipv4", "ipv6", "port"):
        if current.get(key) and endpoint.get(key) and current[key] != endpoint[key]:
            return False
    for key in ("serviceName", "ipv4", "ipv6", "port"):
        if not current.get(key) and endpoint.get(key):
            current[key] = endpoint[key]
    return True


def _merge(left: Mapping[str, Any], right: Mapping[str, Any]) -> _Span:
    out: _Span = dict(left)
    for key in ("parentId", "name", "kind", "timestamp", "duration"):
        if not out.get(key) and right.get(key):
            out[key] = right[key]
    for key in ("localEndpoint", "remoteEndpoint"):
        merged = {**(left.get(key) or {}), **(right.get(key) or {})}
        if merged:
            out[key] = merged
    tags = {**(left.get("tags") or {}), **(right.get("tags") or {})}
    if tags:
        out["tags"] = tags
    seen: list[Any] = []
    for ann in [*(left.get("annotations") or []), *(right.get("annotations") or [])]:
        if ann not in seen:
            seen.append(ann)
    if seen:
        out["annotations"] = sorted(
            seen, key=lambda a: (a.get("timestamp") or 0, str(a.get("value"))) if isinstance(a, Mapping) else (0, "")
        )
    if left.get("shared") or right.get("shared"):
        out["shared"] = True
    return out


def merge_fragments(spans: list[tuple[str, Any]]) -> tuple[list[tuple[str, Any]], int]:
    """Merge the fragments of each Zipkin span; (the spans with their positions, fragments merged away).

    Parameters
    ----------
    spans : list of (str, Any)
        Each span with where it was in the file (for messages), in file order.

    Returns
    -------
    tuple of (list of (str, Any), int)
        The spans after merging, in the order of their first fragment, and
        how many fragments were folded into another.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for n, (_, span) in enumerate(spans):
        if isinstance(span, Mapping) and span.get("traceId") and span.get("id"):
            key = (str(span["traceId"]).lower().lstrip("0"), str(span["id"]).lower().lstrip("0"))
            groups.setdefault(key, []).append(n)
    out: dict[int, tuple[str, Any]] = dict(enumerate(spans))
    merged = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        kept: list[tuple[int, _Span, dict[str, Any]]] = []  # (position, span so far, its endpoint so far)
        for n in members:
            span = dict(spans[n][1])
            for i, (pos, acc, endpoint) in enumerate(kept):
                if _shared(acc) != _shared(span) or _canonical(acc) == _canonical(span) or _clash(acc, span):
                    continue  # the other half of an RPC, an exact duplicate or a second report: not a fragment
                trial = dict(endpoint)
                if _endpoint_fits(trial, span.get("localEndpoint")):
                    kept[i] = (pos, _merge(acc, span), trial)
                    del out[n]
                    merged += 1
                    break
            else:
                kept.append((n, span, dict(span.get("localEndpoint") or {})))
        client = next((acc for _, acc, _ in kept if str(acc.get("kind") or "").upper() == "CLIENT"), None)
        for pos, acc, _ in kept:
            if client is not None and acc is not client and str(acc.get("kind") or "").upper() == "SERVER":
                acc["shared"] = True
                if not acc.get("parentId") and client.get("parentId"):
                    acc["parentId"] = client["parentId"]
            out[pos] = (spans[pos][0], acc)
    return [out[n] for n in sorted(out)], merged


def _clash(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Two timed reports of one id that disagree on when: two spans, not parts of one.

    (The UI would fold them and keep the first time; a second timed report is
    evidence — a retry under the same id — and stays a row of its own.)
    """
    return any(left.get(k) and right.get(k) and left[k] != right[k] for k in ("timestamp", "duration"))


def _canonical(span: Mapping[str, Any]) -> str:
    return json.dumps(span, sort_keys=True, default=str)

"""Who calls whom, from whatever evidence says so, and which service a finding is about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["downstream", "mentioned_services", "service_calls", "where"]

_URL_HOST = re.compile(r"\b(?:https?|grpc|h2c)://([A-Za-z0-9][A-Za-z0-9_.-]*)")


def service_calls(
    *,
    services: Iterable[str],
    spans: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    declared: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Caller → callee pairs between known services.

    Parameters
    ----------
    services : iterable of str
        The services the evidence names; pairs are kept only between these.
    spans : pandas.DataFrame, optional
        Schema ``spans``: a child span in another service than its parent's is a call.
    events : pandas.DataFrame, optional
        Schema ``events``: a line of service A whose error names a URL on host B
        (``Post "http://payments:8080/v1/charge": …``) is a call from A to B.
    declared : pandas.DataFrame, optional
        A declared call graph with ``caller`` and ``callee`` (``read_timeouts``).

    Returns
    -------
    pandas.DataFrame
        ``caller``, ``callee``, ``source`` (spans, logs, declared), one row per pair and source.
    """
    known = {s for s in services if s}
    rows: list[tuple[str, str, str]] = []
    if spans is not None and len(spans):
        parent = spans[["trace_id", "span_id", "service"]].rename(
            columns={"span_id": "parent_span_id", "service": "caller"}
        )
        joined = spans[["trace_id", "parent_span_id", "service"]].merge(parent, on=["trace_id", "parent_span_id"])
        pairs = joined[joined["caller"] != joined["service"]][["caller", "service"]].drop_duplicates()
        rows += [(str(a), str(b), "spans") for a, b in pairs.itertuples(index=False)]
    if events is not None and len(events):
        text = events["error"].astype("string").fillna("") if "error" in events.columns else None
        if text is not None:
            text = text + " " + events["msg"].astype("string").fillna("")
            hosts = text.str.extract(_URL_HOST, expand=False).str.split(".").str[0]
            pairs = pd.DataFrame({"caller": events["service"], "callee": hosts}).dropna().drop_duplicates()
            rows += [(str(a), str(b), "logs") for a, b in pairs.itertuples(index=False) if a != b]
    if declared is not None and len(declared) and {"caller", "callee"} <= set(declared.columns):
        pairs = declared[["caller", "callee"]].dropna().drop_duplicates()
        rows += [(str(a), str(b), "declared") for a, b in pairs.itertuples(index=False) if a != b]
    out = pd.DataFrame(rows, columns=["caller", "callee", "source"]).drop_duplicates()
    out = out[out["caller"].isin(known) & out["callee"].isin(known)]
    return out.sort_values(["caller", "callee", "source"]).reset_index(drop=True)


def downstream(calls: pd.DataFrame) -> dict[str, set[str]]:
    """Every service each service reaches through calls, directly or not.

    Parameters
    ----------
    calls : pandas.DataFrame
        ``caller`` and ``callee`` (:func:`service_calls`).

    Returns
    -------
    dict of str to set of str
        Service → the services below it.
    """
    direct: dict[str, set[str]] = {}
    for a, b in calls[["caller", "callee"]].itertuples(index=False):
        direct.setdefault(str(a), set()).add(str(b))
    reach: dict[str, set[str]] = {}
    for start in direct:
        seen: set[str] = set()
        todo = list(direct[start])
        while todo:
            node = todo.pop()
            if node in seen or node == start:
                continue
            seen.add(node)
            todo.extend(direct.get(node, ()))
        reach[start] = seen
    return reach


def mentioned_services(text: str, services: Sequence[str]) -> list[str]:
    """The known services a text names, as whole words, in the order it names them.

    Parameters
    ----------
    text : str
        A finding's subject and evidence.
    services : sequence of str
        The services to look for.

    Returns
    -------
    list of str
        Each service once.
    """
    found: list[tuple[int, str]] = []
    for s in services:
        if not s:
            continue
        m = re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)
        if m:
            found.append((m.start(), s))
    return [s for _, s in sorted(found)]


def where(candidates: Sequence[str], reach: dict[str, set[str]], *, upstream: bool = False) -> str:
    """The service a finding is about: of the services it names, the one furthest down the calls.

    A pool timeout that orders relays from payments names both; payments is the
    callee, so that is where it happened. With ``upstream``, the one furthest up
    instead: a retry storm of orders against payments is orders' doing.

    Parameters
    ----------
    candidates : sequence of str
        Services named by the finding, in order.
    reach : dict
        :func:`downstream` of the call graph.
    upstream : bool, default False
        Pick the caller rather than the callee.

    Returns
    -------
    str
        The service; the first candidate on ties; empty without candidates.
    """
    if not candidates:
        return ""
    if upstream:
        score = [sum(other in reach.get(c, ()) for other in candidates if other != c) for c in candidates]
    else:
        score = [sum(c in reach.get(other, ()) for other in candidates if other != c) for c in candidates]
    return candidates[score.index(max(score))]

"""Findings of status misuse per route: :func:`detect_status_misuse`."""

from __future__ import annotations

import os
import re
from http import HTTPStatus
from typing import Any

import pandas as pd

from apiprobe._redact import redact_body, redact_url
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.status._classify import _masks
from apiprobe.analyze.status._view import _view, request_rows
from apiprobe.analyze.status._vocab import _SEVERITY

__all__ = ["detect_status_misuse"]

_DETECTOR = "detect_status_misuse"
_FAULT = "status_misuse"
_HANDBOOK = "§2.4"
_EXAMPLE_CHARS = 160
_URL = re.compile(r"\bhttps?://[^\s\"'<>]+")


def _example(text: Any) -> str:
    """One line of evidence text: secrets in JSON, form bodies, credentials and URLs redacted; truncated."""
    s = " ".join(str(text).split())
    s = _URL.sub(lambda m: redact_url(m.group(0)), redact_body(s) or "")
    return s if len(s) <= _EXAMPLE_CHARS else s[: _EXAMPLE_CHARS - 1] + "…"


def _status_name(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _why(code: int) -> str:
    return {
        400: "the request itself is wrong (syntax, types, a failed field rule): the client must fix it "
        "and must not retry it as is",
        401: "only a 401 tells the client to log in or refresh its token; a 403 says that logging in "
        "again will not help, so clients give up instead of re-authenticating",
        403: "the caller is authenticated but not allowed: logging in again will not help",
        404: "the resource does not exist",
        409: "the request conflicts with the resource's current state (already done, duplicate)",
        422: "the request is well-formed but a business rule rejects it; keep the business code in the "
        'body, e.g. {"error": "insufficient_balance", "message": …, "details": …}',
        429: "the caller is rate-limited; add Retry-After",
        500: "the server failed",
        503: "the service is temporarily unable to serve; add Retry-After",
    }.get(code, "it says what happened")


def _recommended(rows: pd.DataFrame, rec: pd.Series) -> tuple[int | None, str]:
    counts = pd.to_numeric(rec[rows.index], errors="coerce").dropna().astype(int).value_counts()
    if counts.empty:
        return None, ""
    top = int(counts.index[0])
    others = [str(int(c)) for c in counts.index[1:]]
    return top, (f" (some rows call for {', '.join(others)})" if others else "")


def detect_status_misuse(
    data: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    min_count: int = 1,
    min_share: float = 0.05,
    storm_min_4xx: int = 20,
    storm_share: float = 0.5,
    normalize_routes: bool = True,
) -> pd.DataFrame:
    """Find status codes that misstate what happened, per route (handbook §2.4).

    One finding per route group and misuse kind (see the module docstring and
    :data:`MISUSE_KINDS`): ``metric`` names the share measured (e.g. "share of
    2xx answers with an error body"), ``value`` is that share (0–1) and
    ``threshold`` is ``min_share`` (``storm_share`` for 4xx storms); the
    evidence gives the count and a redacted, truncated example; the
    recommendation names the status to answer instead and why.

    Parameters
    ----------
    data
        An events table (request log lines), a probes table with a ``body``
        column, or a HAR table; or an evidence store's directory or a dask
        DataFrame of events, of which only the lines carrying a status are read.
    min_count
        Fewest misused requests in a route group for a finding.
    min_share
        Smallest share of the route's answers with that status (2xx for error
        bodies, 404, 500, 403, 401, 5xx) that must be misused for a finding.
    storm_min_4xx, storm_share
        A 4xx storm is one client value (client id, IP or user agent, from
        ``attrs``) with at least ``storm_min_4xx`` 4xx answers on a route and
        at least ``storm_share`` of the route's 4xx answers.
    normalize_routes
        Fold id-like path segments (``/users/42``) into ``{id}``.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), fault ``status_misuse``, most severe first.
    """
    data = request_rows(data)
    view = _view(data, normalize_routes)
    if view.empty:
        return findings_frame([])
    masks, recommended, message, storms = _masks(view, storm_min_4xx=storm_min_4xx, storm_share=storm_share)
    status = view["status"]
    bases: dict[str, tuple[pd.Series, str]] = {
        "ok_error_body": ((status >= 200) & (status <= 299) & ~status.isin([204, 205]), "2xx answers"),
        "notfound_business_rule": (status == 404, "404 answers"),
        "server_error_validation": (status == 500, "500 answers"),
        "forbidden_unauthenticated": (status == 403, "403 answers"),
        "unauthorized_forbidden": (status == 401, "401 answers"),
        "server_error_low_level": (status >= 500, "5xx answers"),
    }
    metrics = {
        "ok_error_body": "share of 2xx answers with an error body",
        "notfound_business_rule": "share of 404 answers for a business rule",
        "server_error_validation": "share of 500 answers for invalid requests",
        "forbidden_unauthenticated": "share of 403 answers to unauthenticated callers",
        "unauthorized_forbidden": "share of 401 answers to callers lacking permission",
        "server_error_low_level": "share of 5xx answers logged below warn",
    }
    rows: list[dict[str, Any]] = []
    for kind, (base, noun) in bases.items():
        mask = masks[kind]
        if not mask.any():
            continue
        denominators = view.loc[base, "subject"].value_counts()
        for subject, hit in view[mask].groupby("subject", sort=True):
            denom = int(denominators.get(subject, 0))
            count = len(hit)
            share = count / denom if denom else 0.0
            if count < min_count or share < min_share:
                continue
            first = hit.iloc[0]
            sample = message.get(first.name) if kind == "ok_error_body" else None
            example = first["body"] or first["error"] or first["msg"] or sample or ""
            statuses = ", ".join(str(s) for s in sorted(hit["status"].unique()))
            rows.append(
                _finding(
                    kind,
                    str(subject),
                    hit,
                    count,
                    denom,
                    share,
                    noun,
                    metrics[kind],
                    min_share,
                    _example(example),
                    statuses,
                    recommended,
                )
            )
    for subject, (dim, client, top_n, n4) in storms.items():
        hit = view[masks["client_4xx_storm"] & (view["subject"] == subject)]
        if hit.empty:
            continue
        codes = hit["status"].value_counts()
        code_text = ", ".join(f"{c} ×{k}" for c, k in codes.head(3).items())
        rows.append(
            finding(
                _DETECTOR,
                _FAULT,
                _SEVERITY["client_4xx_storm"],
                str(subject),
                metric=f"share of the route's 4xx answers from one {dim}",
                value=top_n / n4,
                threshold=storm_share,
                evidence=f"{top_n} of {n4} 4xx answers on {subject} went to one {dim}, "
                f"{_example(client)!r} ({code_text}).",
                recommendation="Fix that client: its requests are rejected as they are, and resending them "
                "will not help (4xx other than 408 and 429 are not retryable). Rate-limit per "
                "client with 429 and Retry-After so one caller cannot flood the route, and alert "
                "on per-client 4xx rates rather than only on 5xx.",
                handbook_ref=_HANDBOOK,
                ts_start=hit["ts"].min(),
                ts_end=hit["ts"].max(),
            )
        )
    return findings_frame(rows)


def _finding(
    kind: str,
    subject: str,
    hit: pd.DataFrame,
    count: int,
    denom: int,
    share: float,
    noun: str,
    metric: str,
    threshold: float,
    example: str,
    statuses: str,
    rec: pd.Series,
) -> dict[str, Any]:
    code, mixed = _recommended(hit, rec)
    target = _status_name(code) if code is not None else ""
    seen = f"{count} of {denom} {noun} on {subject}"
    if kind == "ok_error_body":
        evidence = f"{seen} carried an error in the body (status {statuses}), e.g. {example!r}."
        recommendation = (
            f"Answer {target}{mixed} instead of {statuses}: {_why(code or 422)}. A 2xx tells clients, "
            f"retries, circuit breakers and error-rate dashboards that the call succeeded, so this error is "
            f"invisible to all of them. The handbook's table allows 200 for a rejected business rule; "
            f"do not: use 422 (409 for a state conflict)."
        )
    elif kind == "notfound_business_rule":
        evidence = f"{seen} rejected a business rule rather than a missing resource, e.g. {example!r}."
        recommendation = (
            f"Answer {target}{mixed}: {_why(code or 422)}. A 404 makes clients, caches and monitors "
            f"believe the URL or id is wrong, and hides real routing errors."
        )
    elif kind == "server_error_validation":
        evidence = f"{seen} were validation failures of the request, e.g. {example!r}."
        recommendation = (
            f"Answer {target} (or 422 when the body parsed but a field rule failed): {_why(400)}. A 500 "
            f"blames the server, pages the on-call, and invites retries of a request that can never "
            f"succeed. If the parse error is about an upstream's response, 502 is right instead."
        )
    elif kind == "forbidden_unauthenticated":
        evidence = f"{seen} went to callers that were not authenticated, e.g. {example!r}."
        recommendation = (
            f"Answer {target} with a WWW-Authenticate header: {_why(401)}. Keep 403 for an "
            f"authenticated caller who lacks permission."
        )
    elif kind == "unauthorized_forbidden":
        evidence = f"{seen} described missing permission, not missing credentials, e.g. {example!r}."
        recommendation = f"Answer {target}: {_why(403)}. Keep 401 for missing, invalid or expired credentials."
    else:  # server_error_low_level
        levels = ", ".join(sorted(set(hit["level"]) - {""}))
        evidence = f"{seen} were logged at {levels} level, e.g. {example!r}."
        recommendation = (
            "Log failed requests (5xx) at error level: alerts and error dashboards that filter on level "
            "miss them, and the answer's status says the server failed."
        )
    return finding(
        _DETECTOR,
        _FAULT,
        _SEVERITY[kind],
        subject,
        metric=metric,
        value=share,
        threshold=threshold,
        evidence=evidence,
        recommendation=recommendation,
        handbook_ref=_HANDBOOK,
        ts_start=hit["ts"].min(),
        ts_end=hit["ts"].max(),
    )

"""Prometheus' HTTP API as a samples table (:func:`read_prometheus`).

The table is the one :func:`apiprobe.read_metrics_text` gives for saved
``/metrics`` pages: ``ts``, ``metric`` (``__name__``, when the result keeps
it), ``value`` and one column per label (``""`` where a series lacks it, which
is what Prometheus means). Values are kept as Prometheus returns them: NaN,
+Inf and −Inf included; a range query leaves out the steps where a series had
no sample (stale or absent), as Prometheus does.

Unlike the probes, this is a *read*: a server that cannot be reached, that is
not Prometheus, or that refuses the query raises :class:`PrometheusError`
(naming the query and the server), because there is no evidence row to return.
Headers (bearer or basic auth) are sent as given and never appear in messages.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
import pandas as pd

from apiprobe._redact import redact_url
from apiprobe._time import duration_seconds, to_utc
from apiprobe.errors import InvalidParameterError, PrometheusError

__all__ = ["MAX_POINTS", "read_prometheus"]

#: Prometheus refuses a range query that would return more points than this per series.
MAX_POINTS = 11_000
_BASE = ("ts", "metric", "value")


def _unix(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise InvalidParameterError(f"{name} must be a time, got {value!r}")
        return float(value)
    return to_utc(value).value / 1e9


def _api_url(url: str, endpoint: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidParameterError(f"url must be the Prometheus server's http(s) URL, got {url!r}")
    base = url.rstrip("/")
    for suffix in ("/api/v1/query_range", "/api/v1/query", "/graph"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return f"{base}/api/v1/{endpoint}"


def _decode(response: httpx.Response, query: str, where: str) -> dict[str, Any]:
    """The API answer's ``data``, or a :class:`PrometheusError` saying why there is none."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "?").split(";")[0]
        raise PrometheusError(
            f"{where} answered HTTP {response.status_code} with {kind}, not Prometheus' JSON API: "
            "give the server's base URL (e.g. http://prometheus:9090, or with its route prefix)",
            query=query,
        ) from None
    if not isinstance(body, dict) or "status" not in body:
        raise PrometheusError(f"{where} answered JSON that is not a Prometheus API response", query=query)
    if body["status"] != "success":
        error_type, error = str(body.get("errorType", "")), str(body.get("error", ""))
        raise PrometheusError(
            f"Prometheus refused the query {query!r}: {error_type}: {error}",
            query=query,
            error_type=error_type,
            error=error,
        )
    return body.get("data") or {}


class _Columns:
    """Series of an API answer, gathered column-wise."""

    def __init__(self) -> None:
        self.ts: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.labels: list[tuple[dict[str, str], int]] = []

    def add(self, metric: Mapping[str, str], points: list[list[Any]]) -> None:
        if not points:
            return
        pairs = np.asarray(points, dtype=object)
        self.ts.append(pairs[:, 0].astype("float64"))
        self.values.append(np.array([float(v) for v in pairs[:, 1]], dtype="float64"))
        self.labels.append((dict(metric), len(points)))

    def frame(self) -> pd.DataFrame:
        n = sum(count for _, count in self.labels)
        seconds = np.concatenate(self.ts) if self.ts else np.array([], dtype="float64")
        micros = np.round(seconds * 1e6).astype(np.int64)
        data: dict[str, Any] = {"ts": pd.DatetimeIndex(micros.view("M8[us]"), tz="UTC").as_unit("ns")}
        names = sorted({k for labels, _ in self.labels for k in labels})
        if "__name__" in names:
            data["metric"] = np.repeat(
                np.array([labels.get("__name__", "") for labels, _ in self.labels], dtype=object),
                [count for _, count in self.labels],
            )
        data["value"] = np.concatenate(self.values) if self.values else np.array([], dtype="float64")
        for key in names:
            if key == "__name__":
                continue
            col = f"exported_{key}" if key in _BASE else key
            data[col] = np.repeat(
                np.array([labels.get(key, "") for labels, _ in self.labels], dtype=object),
                [count for _, count in self.labels],
            )
        return pd.DataFrame(data, index=pd.RangeIndex(n))


def _collect(data: dict[str, Any], into: _Columns, query: str) -> None:
    kind, result = data.get("resultType"), data.get("result")
    if kind == "matrix":
        for series in result or []:
            into.add(series.get("metric", {}), series.get("values", []))
    elif kind == "vector":
        for series in result or []:
            into.add(series.get("metric", {}), [series["value"]])
    elif kind in ("scalar", "string"):
        if kind == "string":
            raise PrometheusError(f"the query {query!r} returns a string, not samples", query=query)
        into.add({}, [list(result or [])])
    else:
        raise PrometheusError(f"unknown resultType {kind!r} for {query!r}", query=query)


def _default_step(start: float, end: float) -> float:
    return float(max(15, math.ceil((end - start) / 1000)))


def read_prometheus(
    url: str,
    query: str,
    *,
    start: Any = None,
    end: Any = None,
    step: Any = None,
    time: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    progress: bool | None = None,
    verify: Any = True,
) -> pd.DataFrame:
    """The result of a PromQL query, through Prometheus' HTTP API, as a samples table.

    With ``start`` and ``end`` it asks ``/api/v1/query_range`` (split into chunks
    of at most 11,000 steps, reassembled, with a progress bar when there are
    several); without them ``/api/v1/query`` at ``time`` (default: now).

    Parameters
    ----------
    url : str
        The server's base URL (``http://prometheus:9090``, or with its route prefix).
    query : str
        The PromQL expression.
    start, end : time, optional
        The range: datetimes, ISO strings or unix seconds. Both or neither.
    step : str or float, optional
        Seconds or a Prometheus duration (``"60s"``). Default: the range / 1000,
        at least 15 s.
    time : time, optional
        The evaluation time of an instant query.
    headers : mapping, optional
        Sent with every request (``Authorization: Bearer …``); never logged or shown.
    timeout : float
        Seconds for each request.
    progress : bool, optional
        Show a progress bar over the chunks; by default when there are more than two.
    verify : bool, str or ssl.SSLContext
        TLS verification for an ``https`` server (a CA bundle path or context);
        ``False`` must be asked for explicitly and warns.

    Returns
    -------
    pandas.DataFrame
        ``ts``, ``metric`` (when the result keeps ``__name__``), ``value`` and one
        column per label, sorted by series then time.

    Raises
    ------
    PrometheusError
        When the server cannot be reached, answers something that is not the
        Prometheus API (HTML from a wrong URL), or refuses the query; it carries
        Prometheus' ``error_type`` and ``error``.
    InvalidParameterError
        For a bad URL, time, step, or only one of ``start``/``end``.
    """
    if not isinstance(query, str) or not query.strip():
        raise InvalidParameterError(f"query must be a PromQL expression, got {query!r}")
    if (start is None) != (end is None):
        raise InvalidParameterError("give both start and end (a range query) or neither (an instant query)")
    where = redact_url(url)
    if verify is False:
        warnings.warn(f"TLS verification is off for {where}: its answers could come from anyone", stacklevel=2)
    requests: list[dict[str, str]] = []
    if start is None:
        endpoint = _api_url(url, "query")
        params = {"query": query}
        if time is not None:
            params["time"] = repr(_unix(time, "time"))
        requests.append(params)
    else:
        endpoint = _api_url(url, "query_range")
        t0, t1 = _unix(start, "start"), _unix(end, "end")
        if t1 < t0:
            raise InvalidParameterError(f"end ({end}) is before start ({start})")
        step_s = duration_seconds(step, "step") if step is not None else _default_step(t0, t1)
        span = (MAX_POINTS - 1) * step_s
        chunk_start = t0
        while chunk_start <= t1:
            chunk_end = min(chunk_start + span, t1)
            requests.append({"query": query, "start": repr(chunk_start), "end": repr(chunk_end), "step": repr(step_s)})
            chunk_start = chunk_end + step_s
    columns = _Columns()
    show = progress if progress is not None else len(requests) > 2
    from tqdm.auto import tqdm

    bar = tqdm(total=len(requests), desc="prometheus", disable=not show, file=sys.stderr, leave=False)
    try:
        with httpx.Client(headers=dict(headers or {}), timeout=timeout, verify=verify) as client:
            for params in requests:
                try:
                    response = client.post(endpoint, data=params)
                except httpx.HTTPError as exc:
                    raise PrometheusError(
                        f"Prometheus at {where} is unreachable for {query!r}: {type(exc).__name__}: {exc}",
                        query=query,
                    ) from exc
                _collect(_decode(response, query, where), columns, query)
                bar.update(1)
    finally:
        bar.close()
    df = columns.frame()
    if len(requests) > 1 and len(df):
        keys = [c for c in df.columns if c not in ("ts", "value")]
        df = df.sort_values([*keys, "ts"], kind="stable").drop_duplicates([*keys, "ts"]).reset_index(drop=True)
    return df

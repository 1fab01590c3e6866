"""The normalised request view of an events, probes or HAR table, one row per answered request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze._sources import as_store, is_dask, per_partition
from apiprobe.analyze.status._vocab import (
    _AUTH_HEADERS,
    _BODY_KEYS,
    _CLIENT_KEYS,
    _ENVELOPE_KEYS,
    _ID_SEGMENT,
    _METHOD_KEYS,
    _METHOD_PREFIX,
    _ROUTE_KEYS,
    _STATUS_KEYS,
)
from apiprobe.errors import InvalidParameterError, SchemaError

# --------------------------------------------------------------------------- normalised view


def _str(v: Any) -> str:
    """One value as text ('' for missing); dicts and lists become JSON."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping | list | tuple):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def _texts(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Object array of ``str`` ('' for missing)."""
    if isinstance(values, pd.Series) and (
        isinstance(values.dtype, pd.StringDtype) or str(values.dtype) in ("str", "string")
    ):
        return np.asarray(values.to_numpy(dtype=object, na_value=""))
    items = values.tolist() if isinstance(values, pd.Series) else list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = [_str(v) for v in items]
    return out


def _template(route: str, normalize: bool) -> str:
    """Path of a route or URL, query dropped, ids folded into ``{id}`` when ``normalize``."""
    route = route.strip()
    if "://" in route:
        route = urlsplit(route).path or "/"
    route = route.split("?", 1)[0].split("#", 1)[0] or "/"
    if not normalize:
        return route
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in route.split("/"))


def _split_route(route: str, normalize: bool) -> tuple[str, str]:
    """(route template, method named in the route as ``"GET /path"`` or '')."""
    m = _METHOD_PREFIX.match(route)
    if m:
        return _template(m.group(2), normalize), m.group(1).upper()
    return (_template(route, normalize) if route.strip() else "(no route)"), ""


def _events_groups() -> dict[str, tuple[str, ...]]:
    return {
        "route": _ROUTE_KEYS,
        "method": _METHOD_KEYS,
        "status": _STATUS_KEYS,
        "body": _BODY_KEYS,
        **{f"client:{dim}": keys for dim, keys in _CLIENT_KEYS.items()},
        **{f"env:{key}": (key,) for key in _ENVELOPE_KEYS},
    }


def _request_sql() -> str:
    """A DuckDB condition true for every line that may carry a status (a superset; :func:`_view` decides)."""
    keys = sorted({k.lower() for k in _STATUS_KEYS} | {k.lower().split(".")[0] for k in _STATUS_KEYS})
    listed = ", ".join("'" + k.replace("'", "''") + "'" for k in keys)
    return f"status is not null or list_has_any(list_transform(map_keys(attrs), lambda k: lower(k)), [{listed}])"


def _has_status_part(part: pd.DataFrame) -> pd.DataFrame:
    """The lines of one dask partition that carry a status (column or attrs)."""
    view = _view(part, normalize_routes=False) if len(part) else part.iloc[:0]
    return part.iloc[np.asarray(view.index, dtype=np.int64)] if len(part) else part


def request_rows(data: Any) -> pd.DataFrame:
    """``data`` itself when it is a DataFrame; for an evidence store or a dask DataFrame, its request lines.

    Only lines with a status (in the column or in ``attrs``) matter to the
    status analyses, so a store's are selected by DuckDB and a dask
    DataFrame's partition by partition; the rest never reach memory.
    """
    store = as_store(data, what="data")
    if store is not None:
        with store:
            return store.df(f"select * from events where {_request_sql()} order by {store.order}")
    if is_dask(data):
        rows = per_partition(data, _has_status_part)
        order = [c for c in ("ts", "source_file", "line_no") if c in rows.columns]
        return rows.sort_values(order, na_position="last", kind="stable").reset_index(drop=True) if order else rows
    return data


def _view(data: pd.DataFrame, normalize_routes: bool) -> pd.DataFrame:
    """One row per request (status present), indexed by position in ``data``.

    Columns: status (int), ts, service, method, route, subject, level, body,
    error, msg (str, '' for missing), envelope (dict or None: code/success/ok
    fields of a log line), one column per client dimension (str or None) and
    has_auth (True/False/None). Text columns are plain object columns.
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            f"data must be a DataFrame (events, probes or HAR table), got {type(data).__name__}"
        )
    cols = set(data.columns)
    is_probes = "url" in cols and "msg" not in cols
    if not is_probes and not ({"status", "attrs"} & cols):
        raise SchemaError(
            "detect_status_misuse needs an events table (status, route, msg, attrs), a probes "
            "table with a body column, or a HAR table; the table has: " + ", ".join(map(str, data.columns))
        )
    data = data.reset_index(drop=True)
    n = len(data)

    status = pd.to_numeric(data["status"], errors="coerce") if "status" in cols else pd.Series(np.nan, index=data.index)
    groups: dict[str, list[Any]] = {}
    if not is_probes and "attrs" in cols:
        groups = attr_groups(data["attrs"], _events_groups())
        if status.isna().any():
            from_attrs = pd.to_numeric(
                pd.Series([_as_number(v) for v in groups["status"]], dtype=object), errors="coerce"
            )
            from_attrs = from_attrs.where((from_attrs >= 100) & (from_attrs <= 599))
            status = status.where(status.notna(), from_attrs)
    keep = np.flatnonzero(status.notna().to_numpy())
    m = len(keep)
    index = pd.RangeIndex(n)[keep]
    blank = np.full(m, "", dtype=object)

    def texts(name: str) -> np.ndarray:
        """Column ``name`` of the kept rows as str ('' for missing)."""
        return _texts(data[name].iloc[keep]) if name in cols else blank

    def attr_texts(group: str) -> np.ndarray:
        values = groups.get(group)
        if not values:
            return blank
        picked = [values[i] for i in keep]
        return _texts(picked) if picked.count(None) < len(picked) else blank

    out: dict[str, Any] = {"status": status.to_numpy()[keep].astype("int64")}
    if "ts" in cols:
        out["ts"] = pd.to_datetime(data["ts"].iloc[keep], utc=True, errors="coerce").array
    else:
        out["ts"] = pd.array([pd.NaT] * m, dtype="datetime64[ns, UTC]")
    envelopes: list[dict[str, Any] | None] = [None] * m
    clients: dict[str, list[str | None]] = {dim: [None] * m for dim in _CLIENT_KEYS}
    has_auth: list[bool | None] = [None] * m
    if is_probes:
        urls, hosts, schemes = texts("url"), texts("host"), texts("scheme")
        ports = (
            pd.to_numeric(data["port"].iloc[keep], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            if "port" in cols
            else np.full(m, np.nan)
        )
        services, paths = [], []
        for url, host, port, scheme in zip(urls, hosts, ports, schemes, strict=True):
            parts = urlsplit(url)
            default = 443 if scheme == "https" else 80
            services.append(
                (host or parts.hostname or "") + (f":{int(port)}" if np.isfinite(port) and int(port) != default else "")
            )
            paths.append(parts.path or "/")
        cache = {p: _template(p, normalize_routes) for p in set(paths)}
        routes = [cache[p] for p in paths]
        methods = [x.upper() for x in texts("method")]
        levels = blank
        body = texts("body")
        error = msg = blank
        if "request_headers" in cols:
            has_auth = _has_auth(data["request_headers"].to_numpy(dtype=object)[keep])
    else:
        raw_routes = texts("route")
        missing = raw_routes == ""
        if groups and missing.any():
            raw_routes = np.where(missing, attr_texts("route"), raw_routes)
        cache2 = {r: _split_route(r, normalize_routes) for r in set(raw_routes.tolist())}
        split = [cache2[r] for r in raw_routes]
        routes = [t for t, _ in split]
        methods = [(x.upper() or p) for x, (_, p) in zip(attr_texts("method"), split, strict=True)]
        services = list(texts("service"))
        levels = np.array([lv.lower() for lv in texts("level")], dtype=object)
        body = texts("body")
        if groups and (body == "").any():
            body = np.where(body != "", body, attr_texts("body"))
        error, msg = texts("error"), texts("msg")
        if groups:
            env_lists = [(key, groups[f"env:{key}"]) for key in _ENVELOPE_KEYS]
            env_lists = [(key, values) for key, values in env_lists if values.count(None) < len(values)]
            if env_lists:
                ok_rows = (out["status"] >= 200) & (out["status"] <= 299)
                for j in np.flatnonzero(ok_rows):
                    i = keep[j]
                    env = {key: values[i] for key, values in env_lists if values[i] is not None}
                    envelopes[j] = env or None
            for dim in _CLIENT_KEYS:
                clients[dim] = [v or None for v in attr_texts(f"client:{dim}")]
    method_or_none = [x or None for x in methods]
    service_or_none = [x or None for x in services]
    triples = list(zip(method_or_none, routes, service_or_none, strict=True))
    names = {t: " ".join(p for p in t[:2] if p) + (f" ({t[2]})" if t[2] else "") for t in set(triples)}

    def obj(values: Any) -> pd.Series:
        return pd.Series(values, index=index, dtype=object)

    view = pd.DataFrame(
        {
            "status": pd.Series(out["status"], index=index),
            "ts": pd.Series(out["ts"], index=index),
            "service": obj(service_or_none),
            "method": obj(method_or_none),
            "route": obj(routes),
            "subject": obj([names[t] for t in triples]),
            "level": obj(levels),
            "body": obj(body),
            "error": obj(error),
            "msg": obj(msg),
            "envelope": obj(envelopes),
            **{dim: obj(values) for dim, values in clients.items()},
            "has_auth": obj(has_auth),
        },
        index=index,
    )
    return view


def _as_number(v: Any) -> Any:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _has_auth(headers: np.ndarray) -> list[bool | None]:
    out: list[bool | None] = []
    for h in headers:
        if isinstance(h, Mapping):
            names = {str(k).lower() for k in h}
            out.append(any(a in names for a in _AUTH_HEADERS))
        else:
            out.append(None)
    return out

"""HTTP status codes that say the wrong thing (handbook §2.4), from logs, probes or HAR files.

A status code is part of an API's contract: clients, retry policies, circuit
breakers, caches and error-rate dashboards act on it without reading bodies.
The handbook lists the usual anti-patterns; this module finds them in
evidence tables and says which status to answer instead:

==============================  ==========================================  ===========
misuse kind                     what is seen                                answer
==============================  ==========================================  ===========
``ok_error_body``               2xx whose body reports an error (``error``  the 4xx/5xx
                                / ``errors`` non-empty, ``code`` ≠ 0,       the error
                                ``success: false``, ``ok: false``,          means (422
                                ``status: "error"``)                        by default)
``notfound_business_rule``      404 for a business rule ("insufficient      422 (409 for
                                balance", "out of stock", "not allowed")    conflicts)
``server_error_validation``     500 for a request that failed validation    400
                                ("invalid", "must be", "cannot unmarshal")
``forbidden_unauthenticated``   403 for a caller that is not authenticated  401
                                ("token expired", "login required", no
                                ``Authorization`` header)
``unauthorized_forbidden``      401 for an authenticated caller without     403
                                permission ("permission denied")
``server_error_low_level``      5xx logged at info or debug level           log at error
``client_4xx_storm``            one client (id, IP or user agent) produces  fix the
                                most 4xx of a route                         client; 429
==============================  ==========================================  ===========

The handbook's mapping table allows "200 or 422" for a business-rule
rejection; this tool does not: a 200 tells every client, proxy and monitor
that the operation succeeded. Answer 422 (or 409 for a state conflict) and
keep the business code in the body.

Inputs are any of:

* an **events** table (request log lines, schema ``events``): ``status``,
  ``route``, ``msg``, ``error``, ``level``, ``service``, ``attrs`` (dicts or
  an Arrow struct; ``method``, ``path``, client id / IP / user agent and
  ``body`` are looked up there), and optionally a ``body`` column;
* a **probes** table with a ``body`` column (``probe_http(...,
  body_limit=N)``), grouped by host and URL path;
* a **HAR** table (:func:`apiprobe.load.har.read_har`), which also tells
  whether a request carried credentials.

Routes are grouped per service, method and route; numeric, UUID and long hex
path segments are folded into ``{id}`` so ``/users/42`` and ``/users/43``
count together (``normalize_routes=False`` keeps them apart). Messages in
English and Chinese are recognised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from apiprobe._redact import redact_url
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.errors import SchemaError
from apiprobe.load.har import redact_body

__all__ = [
    "MISUSE_KINDS",
    "RECOMMENDED_STATUS",
    "classify_status_misuse",
    "detect_status_misuse",
    "envelope_error",
    "status_table",
]

_DETECTOR = "detect_status_misuse"
_FAULT = "status_misuse"
_HANDBOOK = "§2.4"

#: Vocabulary of the ``misuse`` column, in order of precedence (a row gets the first that applies).
MISUSE_KINDS: dict[str, str] = {
    "ok_error_body": "a 2xx answer whose body reports an error",
    "notfound_business_rule": "a 404 for a business-rule rejection, not a missing resource",
    "server_error_validation": "a 500 for a request the server rejected as invalid",
    "forbidden_unauthenticated": "a 403 for a caller that is not authenticated",
    "unauthorized_forbidden": "a 401 for a caller that is authenticated but not allowed",
    "server_error_low_level": "a 5xx logged at info or debug level",
    "client_4xx_storm": "one client produces most of a route's 4xx answers",
}

#: The status each misuse kind should have answered (``ok_error_body`` depends on the error; see
#: :func:`classify_status_misuse`); None where the status is right but something else is wrong.
RECOMMENDED_STATUS: dict[str, int | None] = {
    "ok_error_body": 422,
    "notfound_business_rule": 422,
    "server_error_validation": 400,
    "forbidden_unauthenticated": 401,
    "unauthorized_forbidden": 403,
    "server_error_low_level": None,
    "client_4xx_storm": None,
}

_SEVERITY: dict[str, str] = {
    "ok_error_body": "warning",
    "notfound_business_rule": "warning",
    "server_error_validation": "warning",
    "forbidden_unauthenticated": "warning",
    "unauthorized_forbidden": "info",
    "server_error_low_level": "warning",
    "client_4xx_storm": "warning",
}

# --------------------------------------------------------------------------- message vocabularies
# Matched against lower-cased text (message, error and body of one request).

_UNAUTH = re.compile(
    r"unauthenticated|not authenticated|authentication (?:is )?(?:required|failed|missing)|"
    r"log ?in (?:is )?required|please (?:log|sign) ?in|not (?:logged|signed) in|sign[- ]?in required|"
    r"(?:missing|no|empty|expired|bad|malformed) (?:auth(?:orization)?|bearer|access|jwt|session|"
    r"api[ _-]?key|credentials?|token)(?: token| header| key)?\b|"
    r"(?:token|jwt|session|credentials?) (?:is |has |have )?(?:expired|missing|revoked|required|not provided)|"
    r"invalid (?:(?:auth(?:orization)?|bearer|access|jwt|session|api[ _-]?key) )?token|(?:token|jwt) (?:is )?invalid|"
    r"missing authorization|no authorization|www-authenticate|"
    r"未登录|请登录|请先登录|登录(?:已)?(?:过期|失效|超时)|(?:token|令牌|会话)(?:已)?(?:过期|失效|无效)|"
    r"未认证|认证失败|身份验证失败|未授权访问"
)
_CSRF = re.compile(r"csrf|xsrf")
_FORBIDDEN = re.compile(
    r"forbidden|permission|not permitted|access ?(?:is )?denied|insufficient (?:privileges?|permissions?|"
    r"scopes?|rights|role)|not authori[sz]ed to|not allowed to (?:access|view|read|write|delete|modify)|"
    r"(?:role|scope|user) \S+ (?:cannot|can't|may not|is not allowed)|"
    r"无权限?|没有权限|权限不足|禁止访问|拒绝访问|无访问权限"
)
_NOT_FOUND = re.compile(
    r"not found|no such|does not exist|doesn't exist|unknown (?:user|id|resource|order|account|item|"
    r"product|route|path|endpoint)|不存在|未找到|找不到"
)
_CONFLICT = re.compile(
    r"already (?:exists?|used|paid|registered|redeemed|taken|cancel+ed|processed|in use|submitted)|"
    r"duplicate|conflict|invalid state|state transition|version mismatch|concurrent(?:ly)? modif|"
    r"已存在|重复|已被使用|状态不正确|状态错误"
)
_BUSINESS = re.compile(
    r"insufficient (?:balance|funds|credit|stock|inventory|quota)|(?:balance|funds|credit) (?:is )?"
    r"(?:too low|not enough|insufficient)|not enough|out of stock|sold out|"
    r"(?:limit|quota) (?:exceeded|reached)|exceed(?:s|ed)? (?:the )?(?:daily |monthly )?(?:limit|quota|maximum)|"
    r"not allowed|not eligible|(?:coupon|voucher|offer|promotion|promo code) (?:has |is )?(?:expired|invalid)|"
    r"(?:order|account|card|user|wallet) (?:is |has been )?(?:closed|locked|frozen|suspended|disabled|blocked)|"
    r"cannot (?:be )?(?:cancel|refund|modify|change|transfer|withdraw)|business rule|"
    r"余额不足|库存不足|已售罄|超过?(?:限额|上限|限制)|不允许|不符合|已过期|已关闭|已锁定|已冻结"
)
_VALIDATION = re.compile(
    r"invalid|validation|validate|\brequired\b|must (?:be|have|contain|not|match|include)|malformed|"
    r"cannot unmarshal|unmarshal|\bparse|\bparsing|bad request|missing (?:field|param|parameter|argument|value)|"
    r"unexpected end of json|invalid character|too (?:long|short|large|small)|out of range|wrong format|"
    r"format error|not a valid|参数|校验|验证失败|格式|必填|不能为空|不合法|非法|无效"
)
#: Genuine server faults whose wording overlaps the validation vocabulary.
_SERVER_FAULT = re.compile(
    r"invalid memory address|nil pointer|panic|runtime error|index out of range \[|invalid connection|"
    r"bad connection|driver: |sql: |database|redis|dial tcp|connection refused|deadline exceeded|timeout|"
    r"upstream|downstream|i/o |broken pipe|unexpected eof"
)
_RATE = re.compile(r"rate limit|too many requests|throttl|slow down|请求过于频繁|频率|限流")
_UNAVAILABLE = re.compile(r"unavailable|overloaded|busy|maintenance|系统繁忙|服务繁忙|维护")
_INTERNAL = re.compile(r"internal|exception|panic|nil pointer|database|timeout|系统错误|服务器(?:内部)?错误|内部错误")

_ENVELOPE_KEYS = ("code", "errcode", "err_code", "error_code", "errno", "errorcode", "retcode", "success", "ok")
_SUCCESS_CODES = frozenset({"0", "ok", "success", "succeeded", "successful", "00000", "000000", "done"})
_CODE_KEYS = ("code", "errcode", "err_code", "error_code", "errno", "errorcode", "ret", "retcode")
_MESSAGE_KEYS = (
    "message",
    "msg",
    "errmsg",
    "error_msg",
    "error_message",
    "error_description",
    "detail",
    "details",
    "reason",
    "description",
    "title",
)
_FAIL_STATUS = frozenset({"error", "fail", "failed", "failure", "err"})
_ENVELOPE_HINT = re.compile(
    r'"(?:error|errors|success|ok|status|code|errcode|err_code|error_code|errno|errorcode|ret|retcode)"\s*:'
)

# attrs keys looked up (case-insensitive; "a.b" also reads {"a": {"b": ...}}), first found wins
_ROUTE_KEYS = (
    "route",
    "http.route",
    "path",
    "url.path",
    "uri",
    "request_uri",
    "http.target",
    "url",
    "http.url",
    "endpoint",
)
_METHOD_KEYS = ("method", "http.method", "http.request.method", "request_method", "verb")
_STATUS_KEYS = (
    "status",
    "status_code",
    "statuscode",
    "http.status_code",
    "http.response.status_code",
    "http_status",
    "resp_status",
)
_BODY_KEYS = ("body", "response", "response_body", "resp_body", "resp", "reply")
_CLIENT_KEYS: dict[str, tuple[str, ...]] = {
    "client id": (
        "client_id",
        "clientid",
        "client",
        "app_id",
        "appid",
        "consumer",
        "api_key_id",
        "tenant_id",
        "user_id",
        "userid",
        "uid",
    ),
    "IP": (
        "client_ip",
        "clientip",
        "remote_ip",
        "remote_addr",
        "remoteaddr",
        "x_forwarded_for",
        "x-forwarded-for",
        "client.address",
        "source.address",
        "peer.address",
        "peer",
        "src_ip",
        "ip",
    ),
    "user agent": ("user_agent", "useragent", "http.user_agent", "user_agent.original", "ua", "agent"),
}
_AUTH_HEADERS = ("authorization", "cookie", "x-api-key", "api-key", "x-auth-token", "proxy-authorization")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT")
_METHOD_PREFIX = re.compile(rf"^({'|'.join(_METHODS)})\s+(\S+)", re.IGNORECASE)
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*\d)[0-9a-f]{16,}|"
    r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,})$",
    re.IGNORECASE,
)
_EXAMPLE_CHARS = 160
_URL = re.compile(r"\bhttps?://[^\s\"'<>]+")


# --------------------------------------------------------------------------- attrs access


def _attr_groups(attrs: pd.Series, groups: Mapping[str, Sequence[str]]) -> dict[str, list[Any]]:
    """Per group, the first non-empty value of its keys in each row's attrs (None where absent).

    Keys match case-insensitively, earlier keys win, and ``"a.b"`` also reads
    ``{"a": {"b": ...}}``. ``attrs`` holds dicts (or None), an Arrow map, or
    an Arrow struct (read field by field, vectorised). One pass over the rows
    serves every group.
    """
    n = len(attrs)
    out: dict[str, list[Any]] = {g: [None] * n for g in groups}
    if n == 0:
        return out
    dtype = attrs.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_struct(dtype.pyarrow_dtype):
            return _struct_groups(attrs, groups)
    wanted: dict[str, list[tuple[str, int]]] = {}
    nested: dict[str, list[tuple[str, str, int]]] = {}
    for group, keys in groups.items():
        for rank, key in enumerate(keys):
            lower = key.lower()
            wanted.setdefault(lower, []).append((group, rank))
            if "." in lower:
                parent, child = lower.split(".", 1)
                nested.setdefault(parent, []).append((child, group, rank))
    hits_of: dict[Any, tuple[list[tuple[str, int]], list[tuple[str, str, int]]]] = {}
    for i, row in enumerate(attrs.tolist()):
        if type(row) is not dict:
            if isinstance(row, list | tuple):  # Arrow map: [(key, value), ...]
                try:
                    row = dict(row)
                except (TypeError, ValueError):
                    continue
            elif isinstance(row, Mapping):
                row = dict(row)
            else:
                continue
        found: dict[str, tuple[int, Any]] = {}
        for key, value in row.items():
            if value is None or (type(value) is str and not value):
                continue
            hits = hits_of.get(key)
            if hits is None:
                lower = key.lower() if isinstance(key, str) else str(key).lower()
                hits = hits_of[key] = (wanted.get(lower, []), nested.get(lower, []))
            for group, rank in hits[0]:
                if group not in found or rank < found[group][0]:
                    found[group] = (rank, value)
            if hits[1] and isinstance(value, Mapping):
                inner = {str(k).lower(): v for k, v in value.items()}
                for child, group, rank in hits[1]:
                    v = inner.get(child)
                    if v is not None and v != "" and (group not in found or rank < found[group][0]):
                        found[group] = (rank, v)
        for group, (_, value) in found.items():
            out[group][i] = value
    return out


def _struct_groups(attrs: pd.Series, groups: Mapping[str, Sequence[str]]) -> dict[str, list[Any]]:
    """:func:`_attr_groups` for an Arrow struct column: one vectorised read per field."""
    import pyarrow as pa

    def fields_of(series: pd.Series) -> dict[str, str]:
        t = series.dtype.pyarrow_dtype  # type: ignore[union-attr]
        return {t.field(i).name.lower(): t.field(i).name for i in range(t.num_fields)}

    top = fields_of(attrs)
    cache: dict[str, np.ndarray | None] = {}

    def column(key: str) -> np.ndarray | None:
        lower = key.lower()
        if lower in cache:
            return cache[lower]
        values: pd.Series | None = None
        if lower in top:
            values = attrs.struct.field(top[lower])
        elif "." in lower and lower.split(".", 1)[0] in top:
            parent_name, child = lower.split(".", 1)
            parent = attrs.struct.field(top[parent_name])
            if isinstance(parent.dtype, pd.ArrowDtype) and pa.types.is_struct(parent.dtype.pyarrow_dtype):
                inner = fields_of(parent)
                if child in inner:
                    values = parent.struct.field(inner[child])
        arr = None
        if values is not None and not (
            isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_struct(values.dtype.pyarrow_dtype)
        ):
            obj = values.astype(object)
            arr = np.asarray(obj.where(obj.notna() & (obj != ""), None).to_numpy(dtype=object))
        cache[lower] = arr
        return arr

    out: dict[str, list[Any]] = {}
    for group, keys in groups.items():
        merged: np.ndarray | None = None
        for key in keys:
            arr = column(key)
            if arr is None:
                continue
            if merged is None:
                merged = arr.copy()
            else:
                holes = np.array([v is None for v in merged], dtype=bool)
                merged[holes] = arr[holes]
        out[group] = merged.tolist() if merged is not None else [None] * len(attrs)
    return out


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


def _view(data: pd.DataFrame, normalize_routes: bool) -> pd.DataFrame:
    """One row per request (status present), indexed by position in ``data``.

    Columns: status (int), ts, service, method, route, subject, level, body,
    error, msg (str, '' for missing), envelope (dict or None: code/success/ok
    fields of a log line), one column per client dimension (str or None) and
    has_auth (True/False/None). Text columns are plain object columns.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a DataFrame (events, probes or HAR table), got {type(data).__name__}")
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
        groups = _attr_groups(data["attrs"], _events_groups())
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


# --------------------------------------------------------------------------- body envelopes


def _is_empty(v: Any) -> bool:
    return v is None or v is False or v == "" or (isinstance(v, list | dict) and not v)


def _message_of(obj: Mapping[str, Any], fallback: str) -> str:
    for key in ("error", "errors", *_MESSAGE_KEYS):
        v = obj.get(key)
        if isinstance(v, str) and v.strip():
            return v
        if isinstance(v, Mapping):
            inner = _message_of(v, "")
            if inner:
                return inner
        if isinstance(v, list) and v:
            first = v[0]
            if isinstance(first, str):
                return first
            if isinstance(first, Mapping):
                inner = _message_of(first, "")
                if inner:
                    return inner
    return fallback


def _code_is_error(key: str, value: Any, obj: Mapping[str, Any]) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return value != 0 and not 200 <= value <= 299
    text = str(value).strip().lower()
    if not text or text in _SUCCESS_CODES:
        return False
    if re.fullmatch(r"-?\d+", text):
        number = int(text)
        return number != 0 and not 200 <= number <= 299
    # A string code ("OUT_OF_STOCK") is an error code only in an error envelope: with a message beside
    # it, or under a key that can only mean an error. {"code": "US"} is a country.
    return key != "code" or any(isinstance(obj.get(k), str) and obj.get(k) for k in _MESSAGE_KEYS)


def envelope_error(obj: Any) -> str | None:
    """The error an API response envelope reports, or None when it reports success.

    Recognises ``error``/``errors`` (non-empty), ``success: false``, ``ok:
    false``, ``status: "error"|"fail"``, and a non-zero ``code`` /
    ``errcode`` / ``error_code`` / ``errno`` (``0``, ``"OK"``, ``"SUCCESS"``
    and 2xx codes mean success). Returns the envelope's message where it has
    one.
    """
    if not isinstance(obj, Mapping):
        return None
    lower = {str(k).lower(): v for k, v in obj.items()}
    if not _is_empty(lower.get("error")) and lower.get("error") is not True:
        return _message_of(lower, "error")
    if lower.get("error") is True:
        return _message_of(lower, "error: true")
    if not _is_empty(lower.get("errors")) and isinstance(lower.get("errors"), list | dict | str):
        return _message_of(lower, "errors")
    for key in ("success", "ok", "succeeded"):
        v = lower.get(key)
        if v is False or (isinstance(v, str) and v.strip().lower() == "false"):
            return _message_of(lower, f"{key}: false")
    status = lower.get("status")
    if isinstance(status, str) and status.strip().lower() in _FAIL_STATUS:
        return _message_of(lower, f"status: {status}")
    for key in _CODE_KEYS:
        if key in lower and _code_is_error(key, lower[key], lower):
            return _message_of(lower, f"{key}: {lower[key]}")
    return None


_TRUNCATED_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'"error"\s*:\s*(?:"(?P<m>[^"]+)|\{|true)'), "error"),
    (re.compile(r'"errors"\s*:\s*(?:\[\s*[^\]\s]|\{\s*")'), "errors"),
    (re.compile(r'"(?:success|ok)"\s*:\s*false'), "success: false"),
    (re.compile(r'"status"\s*:\s*"(?:error|fail|failed|failure)"'), "status: error"),
    (re.compile(r'"(?:errcode|err_code|error_code|errno|errorcode)"\s*:\s*"?-?(?P<c>[1-9]\d*)'), "error code"),
    (re.compile(r'"code"\s*:\s*"?(?P<c>-?[1-9]\d*)\b'), "code"),
)


def _body_error(body: str, envelope: Mapping[str, Any] | None = None) -> str | None:
    """Error reported by a 2xx body (JSON, or JSON cut short), else by log-line envelope fields."""
    stripped = body.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            for pattern, label in _TRUNCATED_PATTERNS:
                m = pattern.search(stripped)
                if not m:
                    continue
                code = m.groupdict().get("c")
                if code is not None and (200 <= int(code) <= 299):
                    continue
                return m.groupdict().get("m") or label
        else:
            found = envelope_error(parsed)
            if found is not None:
                return found
    if envelope:
        return envelope_error(envelope)
    return None


def _status_for_error(text: str) -> int:
    """The status an error message calls for (what a 2xx with this error should have been)."""
    t = text.lower()
    if _UNAUTH.search(t) and not _CSRF.search(t):
        return 401
    if _FORBIDDEN.search(t):
        return 403
    if _RATE.search(t):
        return 429
    if _CONFLICT.search(t):
        return 409
    if _BUSINESS.search(t):
        return 422
    if _NOT_FOUND.search(t):
        return 404
    if _VALIDATION.search(t) and not _SERVER_FAULT.search(t):
        return 400
    if _UNAVAILABLE.search(t):
        return 503
    if _INTERNAL.search(t):
        return 500
    return 422


# --------------------------------------------------------------------------- classification


def _masks(
    view: pd.DataFrame, *, storm_min_4xx: int, storm_share: float
) -> tuple[dict[str, pd.Series], pd.Series, pd.Series, dict[str, tuple[str, str, int, int]]]:
    """Per-kind boolean masks, recommended status per row, error message per row, storms per subject.

    Storms map subject → (client dimension, client value, its 4xx count, the route's 4xx count).
    Message patterns are only matched on the rows whose status they concern.
    """
    status = view["status"]
    idx = view.index
    false = pd.Series(False, index=idx)
    recommended = pd.Series([None] * len(view), index=idx, dtype=object)
    message = pd.Series([None] * len(view), index=idx, dtype=object)

    concerned = status.isin([401, 403, 404, 500])
    sub = view[concerned]
    text = (sub["msg"] + " | " + sub["error"] + " | " + sub["body"]).str.lower()

    def has(pattern: re.Pattern[str], codes: Sequence[int]) -> pd.Series:
        """Rows with a status in ``codes`` whose text matches ``pattern``."""
        rows = text[sub["status"].isin(codes)]
        if rows.empty:
            return false
        return rows.str.contains(pattern, regex=True).reindex(idx, fill_value=False).astype(bool)

    # 2xx with an error body (204/205 have no body)
    ok_rows = (status >= 200) & (status <= 299) & ~status.isin([204, 205])
    ok_mask = false.copy()
    if ok_rows.any():
        bodies = view["body"]
        envelopes = view["envelope"]
        with_body = ok_rows & (bodies != "")
        candidates = with_body.copy()
        if with_body.any():
            candidates[with_body] = bodies[with_body].str.contains(_ENVELOPE_HINT, regex=True)
        candidates |= ok_rows & envelopes.notna()
        for i in idx[candidates.to_numpy(dtype=bool)]:
            body_i = str(bodies.at[i])
            envelope_i: Any = envelopes.at[i]
            found = _body_error(body_i, envelope_i)
            if found is not None:
                ok_mask.at[i] = True
                message.at[i] = found
                recommended.at[i] = _status_for_error(f"{found} {body_i}")
        logged = ok_rows & ~ok_mask & (view["error"] != "")  # an error logged on a request answered 2xx
        for i in idx[logged.to_numpy(dtype=bool)]:
            error_i = str(view.at[i, "error"])
            ok_mask.at[i] = True
            message.at[i] = error_i
            recommended.at[i] = _status_for_error(error_i)

    csrf = has(_CSRF, [403])
    unauth = has(_UNAUTH, [401, 403, 500]) & ~csrf
    forbidden = has(_FORBIDDEN, [401, 403])
    conflict = has(_CONFLICT, [404])
    nf_mask = (status == 404) & (has(_BUSINESS, [404]) | conflict)
    val_mask = (status == 500) & has(_VALIDATION, [500]) & ~has(_SERVER_FAULT, [500]) & ~unauth
    no_creds = view["has_auth"].map(lambda v: v is False).astype(bool)
    forb_mask = (status == 403) & (unauth | (no_creds & ~forbidden & ~csrf))
    inv_mask = (status == 401) & forbidden & ~unauth
    low_mask = (status >= 500) & view["level"].isin(["trace", "debug", "info"])

    recommended = recommended.where(~nf_mask, np.where(conflict, 409, 422))
    recommended = recommended.where(~val_mask, 400)
    recommended = recommended.where(~forb_mask, 401)
    recommended = recommended.where(~inv_mask, 403)

    # 4xx storms: one client value owning most 4xx of a route
    storm_mask = false.copy()
    storms: dict[str, tuple[str, str, int, int]] = {}
    is_4xx = (status >= 400) & (status <= 499)
    dims = [d for d in _CLIENT_KEYS if view[d].notna().any()]
    if dims and is_4xx.any():
        n4_by_subject = view.loc[is_4xx, "subject"].value_counts()
        busy = n4_by_subject[n4_by_subject >= storm_min_4xx].index
        if len(busy):
            callers = view[view["subject"].isin(busy)]
            distinct = {dim: callers.groupby("subject")[dim].nunique(dropna=True) for dim in dims}
            for subject, group in callers[is_4xx[callers.index]].groupby("subject", sort=True):
                n4 = len(group)
                best: tuple[float, str, str, int] | None = None
                for dim in dims:
                    if distinct[dim].get(subject, 0) < 2:
                        continue  # one value for every caller (a proxy, one load balancer): says nothing
                    counts = group[dim].value_counts(dropna=True)
                    if counts.empty:
                        continue
                    top, top_n = str(counts.index[0]), int(counts.iloc[0])
                    share = top_n / n4
                    if share >= storm_share and top_n >= storm_min_4xx and (best is None or share > best[0]):
                        best = (share, dim, top, top_n)
                if best is not None:
                    _, dim, top, top_n = best
                    storms[str(subject)] = (dim, top, top_n, n4)
                    hit = group.index[group[dim].astype(object) == top]
                    storm_mask[hit] = True

    masks = {
        "ok_error_body": ok_mask,
        "notfound_business_rule": nf_mask,
        "server_error_validation": val_mask,
        "forbidden_unauthenticated": forb_mask,
        "unauthorized_forbidden": inv_mask,
        "server_error_low_level": low_mask,
        "client_4xx_storm": storm_mask,
    }
    return {k: v.fillna(False).astype(bool) for k, v in masks.items()}, recommended, message, storms


def _labels(masks: Mapping[str, pd.Series], index: pd.Index) -> pd.Series:
    label = pd.Series([None] * len(index), index=index, dtype=object)
    for kind in reversed(list(MISUSE_KINDS)):  # the first kind in precedence order wins
        label = label.where(~masks[kind], kind)
    return label


def classify_status_misuse(
    data: pd.DataFrame,
    *,
    storm_min_4xx: int = 20,
    storm_share: float = 0.5,
    normalize_routes: bool = True,
) -> pd.DataFrame:
    """Label every request row with the status-code misuse it shows, if any.

    Parameters
    ----------
    data
        An events, probes (with ``body``) or HAR table; see the module docstring.
    storm_min_4xx
        Fewest 4xx answers from one client on one route that count as a storm.
    storm_share
        Smallest share of a route's 4xx answers one client must own for a storm.
    normalize_routes
        Fold id-like path segments into ``{id}``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with three more columns: ``subject`` (the route
        group, ``"METHOD route (service)"``; NA for rows without a status),
        ``misuse`` (a key of :data:`MISUSE_KINDS`, the first that applies;
        NA when the status is used well) and ``recommended_status`` (Int64:
        the status to answer instead; NA when the status itself is right).
    """
    view = _view(data, normalize_routes)
    masks, recommended, _, _ = _masks(view, storm_min_4xx=storm_min_4xx, storm_share=storm_share)
    label = _labels(masks, view.index)
    rec = recommended.where(label.notna(), None)
    rec = rec.where(~label.isin(["server_error_low_level", "client_4xx_storm"]), None)
    positions = pd.RangeIndex(len(data))
    out = data.copy()
    out["subject"] = view["subject"].reindex(positions).astype("string").array
    out["misuse"] = label.reindex(positions).astype("string").array
    out["recommended_status"] = pd.to_numeric(rec.reindex(positions), errors="coerce").astype("Int64").array
    return out


def status_table(
    data: pd.DataFrame,
    *,
    storm_min_4xx: int = 20,
    storm_share: float = 0.5,
    normalize_routes: bool = True,
) -> pd.DataFrame:
    """Status codes per route, with the misuse each (route, status) pair shows.

    Each row is one (route group, status code): ``service``, ``method``,
    ``route``, ``subject``, ``status`` (Int64), ``status_class`` (``"4xx"``),
    ``count``, ``share`` (of the route's requests, 0–1), ``misuse`` (the most
    frequent misuse kind among those requests; NA when none),
    ``misuse_count`` and ``recommended_status`` (Int64; NA when the status is
    right). Sorted by subject, then status.

    Parameters
    ----------
    data
        An events, probes (with ``body``) or HAR table.
    storm_min_4xx, storm_share, normalize_routes
        As for :func:`classify_status_misuse`.
    """
    view = _view(data, normalize_routes)
    columns = [
        "service",
        "method",
        "route",
        "subject",
        "status",
        "status_class",
        "count",
        "share",
        "misuse",
        "misuse_count",
        "recommended_status",
    ]
    if view.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=d)
                for c, d in zip(
                    columns,
                    [
                        "string",
                        "string",
                        "string",
                        "string",
                        "Int64",
                        "string",
                        "int64",
                        "float64",
                        "string",
                        "int64",
                        "Int64",
                    ],
                    strict=True,
                )
            }
        )
    masks, recommended, _, _ = _masks(view, storm_min_4xx=storm_min_4xx, storm_share=storm_share)
    view = view.assign(misuse=_labels(masks, view.index), rec=recommended)
    view.loc[view["misuse"].isin(["server_error_low_level", "client_4xx_storm"]), "rec"] = None
    rows = []
    totals = view.groupby("subject", sort=False).size()
    for key, group in view.groupby(["subject", "status"], sort=True):
        subject, status_any = key
        subject, status = str(subject), int(cast(Any, status_any))
        first = group.iloc[0]
        kinds = group["misuse"].dropna()
        kind = kinds.value_counts().index[0] if len(kinds) else None
        recs = group.loc[group["misuse"] == kind, "rec"].dropna() if kind else pd.Series(dtype=object)
        rows.append(
            {
                "service": first["service"],
                "method": first["method"],
                "route": first["route"],
                "subject": subject,
                "status": status,
                "status_class": f"{status // 100}xx",
                "count": len(group),
                "share": len(group) / int(totals[subject]),
                "misuse": kind,
                "misuse_count": int((group["misuse"] == kind).sum()) if kind else 0,
                "recommended_status": int(recs.value_counts().index[0]) if len(recs) else None,
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    dtypes = {
        "service": "string",
        "method": "string",
        "route": "string",
        "subject": "string",
        "status": "Int64",
        "status_class": "string",
        "count": "int64",
        "share": "float64",
        "misuse": "string",
        "misuse_count": "int64",
        "recommended_status": "Int64",
    }
    return out.astype(dtypes).reset_index(drop=True)


# --------------------------------------------------------------------------- findings


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
    data: pd.DataFrame,
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
        column, or a HAR table.
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

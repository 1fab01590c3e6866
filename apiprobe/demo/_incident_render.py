"""The demo incident's traces and HAR as files: OTLP, Jaeger and Zipkin JSON, a Chrome HAR export.

Also the gateway log's two defects (truncated lines, an out-of-order stretch).
"""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

from apiprobe.demo._incident_format import _json, _utc
from apiprobe.demo._incident_model import _Request, _Span
from apiprobe.demo._incident_story import _MS, _S, _at


def _otlp_value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": str(v)}


_SCOPES = {
    "otelhttp": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.49.0"),
    "pgotel": ("github.com/go-pg/pg/extra/pgotel/v10", "10.11.1"),
}


def _otlp(spans: list[_Span]) -> str:
    resources = []
    for service, version in (("gateway", "1.14.2"), ("orders", "2.3.0"), ("payments", "0.9.7")):
        scopes: dict[str, list[dict[str, Any]]] = {}
        for s in spans:
            if s.service != service:
                continue
            rec: dict[str, Any] = {"traceId": s.trace_id, "spanId": s.span_id}
            if s.parent:
                rec["parentSpanId"] = s.parent
            rec.update(
                {
                    "name": s.name,
                    "kind": s.kind,
                    "startTimeUnixNano": str(s.start),
                    "endTimeUnixNano": str(s.end),
                    "attributes": [{"key": k, "value": _otlp_value(v)} for k, v in s.attrs.items()],
                    "status": {"code": 2, "message": s.error} if s.error else {},
                }
            )
            scope = "pgotel" if s.attrs.get("db.system") else "otelhttp"
            scopes.setdefault(scope, []).append(rec)
        resources.append(
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": service}},
                        {"key": "service.version", "value": {"stringValue": version}},
                        {"key": "deployment.environment", "value": {"stringValue": "prod"}},
                        {"key": "telemetry.sdk.language", "value": {"stringValue": "go"}},
                    ]
                },
                "scopeSpans": [
                    {"scope": {"name": _SCOPES[k][0], "version": _SCOPES[k][1]}, "spans": v} for k, v in scopes.items()
                ],
                "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
            }
        )
    return _json({"resourceSpans": resources}) + "\n"


def _jaeger_tag(k: str, v: Any) -> dict[str, Any]:
    kind = "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else "string"
    return {"key": k, "type": kind, "value": v}


def _jaeger(spans: list[_Span]) -> str:
    traces: dict[str, list[dict[str, Any]]] = {}
    for s in spans:
        if s.service != "inventory":
            continue
        kind = {1: "internal", 2: "server", 3: "client"}[s.kind]
        tags = [_jaeger_tag("span.kind", kind), *(_jaeger_tag(k, v) for k, v in s.attrs.items())]
        if s.error:
            tags.append(_jaeger_tag("error", True))
        traces.setdefault(s.trace_id, []).append(
            {
                "traceID": s.trace_id,
                "spanID": s.span_id,
                "operationName": s.name,
                "references": [{"refType": "CHILD_OF", "traceID": s.trace_id, "spanID": s.parent}],
                "startTime": s.start // 1000,
                "duration": max(1, (s.end - s.start) // 1000),
                "tags": tags,
                "logs": [],
                "processID": "p1",
                "warnings": None,
            }
        )
    process = {
        "serviceName": "inventory",
        "tags": [_jaeger_tag("hostname", "inventory-6b8f9c7d54-q7xkz"), _jaeger_tag("ip", "10.0.3.21")],
    }
    data = [{"traceID": tid, "spans": sp, "processes": {"p1": process}, "warnings": None} for tid, sp in traces.items()]
    return _json({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}) + "\n"


def _zipkin(spans: list[_Span]) -> str:
    out = []
    for s in spans:
        if s.service != "billing":
            continue
        rec: dict[str, Any] = {"traceId": s.trace_id, "id": s.span_id}
        if s.parent:
            rec["parentId"] = s.parent
        rec.update(
            {
                "kind": "SERVER" if s.kind == 2 else "CLIENT",
                "name": s.name,
                "timestamp": s.start // 1000,
                "duration": max(1, (s.end - s.start) // 1000),
                "localEndpoint": {"serviceName": "billing", "ipv4": "10.0.4.12", "port": 8080},
            }
        )
        if s.kind == 2:
            rec["remoteEndpoint"] = {"ipv4": "10.0.2.14"}
        else:
            rec["remoteEndpoint"] = {"serviceName": "postgres", "ipv4": "10.0.3.7", "port": 5432}
        rec["tags"] = {k: str(v) for k, v in s.attrs.items()}
        out.append(rec)
    return _json(out) + "\n"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _har(requests: list[_Request], rng: random.Random) -> str:
    host = "shop.demo.internal"
    session = _b64url(rng.randbytes(24))
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')

    def token(iat: int) -> str:
        payload = _b64url(_json({"sub": "u-4821", "iat": iat, "exp": iat + 3600}).encode())
        return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"

    bearer = token(_at("2026-03-14T08:58:02Z") // _S)
    entries = []
    first = requests[0].t0
    for n, req in enumerate(requests):
        new_conn = n == 0
        rtt = rng.uniform(17.0, 24.0)
        blocked = round(rng.uniform(0.6, 3.5), 3)
        dns = round(rng.uniform(9, 16), 3) if new_conn else -1
        ssl = round(rng.uniform(28, 36), 3) if new_conn else -1
        connect = round(ssl + rtt + rng.uniform(0.5, 2), 3) if new_conn else -1
        send = round(rng.uniform(0.05, 0.4), 3)
        wait = round((req.end - req.t0) / _MS + rtt, 3)
        body = req.response
        receive = round(rng.uniform(0.3, 1.5) + len(body) / 2000, 3)
        total = round(sum(x for x in (blocked, dns, connect, send, wait, receive) if x > 0), 3)
        started = req.t0 - int((blocked + max(dns, 0) + max(connect, 0) + send + rtt / 2) * _MS)
        base, frac = _utc(started)
        url = f"https://{host}{req.path}"
        query = (
            [{"name": k, "value": v} for k, v in (p.split("=", 1) for p in url.split("?", 1)[1].split("&"))]
            if "?" in url
            else []
        )
        headers = [
            {"name": ":authority", "value": host},
            {"name": ":method", "value": req.method},
            {"name": ":path", "value": req.path},
            {"name": ":scheme", "value": "https"},
            {"name": "accept", "value": "application/json"},
            {"name": "authorization", "value": f"Bearer {bearer}"},
        ]
        if req.body is not None:
            headers.append({"name": "content-type", "value": "application/json"})
        headers += [
            {"name": "cookie", "value": f"session={session}"},
            {"name": "origin", "value": f"https://{host}"},
            {"name": "referer", "value": f"https://{host}/checkout"},
            {
                "name": "user-agent",
                "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                "like Gecko) Chrome/122.0.0.0 Safari/537.36",
            },
        ]
        request: dict[str, Any] = {
            "method": req.method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": headers,
            "queryString": query,
            "cookies": [
                {
                    "name": "session",
                    "value": session,
                    "path": "/",
                    "domain": host,
                    "expires": "2026-03-21T08:58:02.000Z",
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "Lax",
                }
            ],
            "headersSize": -1,
            "bodySize": len(req.body or ""),
        }
        if req.body is not None:
            request["postData"] = {"mimeType": "application/json", "text": req.body}
        date = datetime.fromtimestamp(req.end // _S, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        rheaders = [
            {"name": "content-length", "value": str(len(body))},
            {"name": "content-type", "value": "application/json; charset=utf-8"},
            {"name": "date", "value": date},
            {"name": "server", "value": "gateway"},
            {"name": "x-trace-id", "value": req.trace_id},
        ]
        if req.kind == "login" and req.status == 200:
            bearer = token(req.end // _S)
            rheaders.append(
                {
                    "name": "set-cookie",
                    "value": f"session={session}; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax",
                }
            )
        entries.append(
            {
                "_initiator": {"type": "script"},
                "_priority": "High",
                "_resourceType": "fetch",
                "cache": {},
                "connection": "372941",
                "pageref": "page_1",
                "request": request,
                "response": {
                    "status": req.status,
                    "statusText": "",
                    "httpVersion": "http/2.0",
                    "headers": rheaders,
                    "cookies": [],
                    "content": {"size": len(body), "mimeType": "application/json", "text": body},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(body) + rng.randrange(20, 40),
                    "_transferSize": len(body) + rng.randrange(120, 180),
                    "_error": None,
                },
                "serverIPAddress": "203.0.113.10",
                "startedDateTime": f"{base}.{frac // _MS:03d}Z",
                "time": total,
                "timings": {
                    "blocked": blocked,
                    "dns": dns,
                    "ssl": ssl,
                    "connect": connect,
                    "send": send,
                    "wait": wait,
                    "receive": receive,
                    "_blocked_queueing": round(blocked * 0.6, 3),
                },
            }
        )
    base, frac = _utc(first - 900 * _MS)
    page = {
        "startedDateTime": f"{base}.{frac // _MS:03d}Z",
        "id": "page_1",
        "title": f"https://{host}/checkout",
        "pageTimings": {"onContentLoad": 612.845, "onLoad": 1047.392},
    }
    doc = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [page],
            "entries": entries,
        }
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _gateway_text(lines: list[tuple[int, int, str]]) -> str:
    """The gateway log with its two defects: two truncated lines and one out-of-order stretch."""
    text = [line for _, _, line in lines]
    for when in (_at("2026-03-14T09:51:00Z"), _at("2026-03-14T10:09:30Z")):
        i = next((k for k, (ns, _, line) in enumerate(lines) if ns >= when and '"route":"/api/products"' in line), -1)
        if i >= 0:  # (a log trimmed to another time span may not hold the moment)
            text[i] = text[i][: len(text[i]) * 3 // 5]
    i = next((k for k, (ns, _, _) in enumerate(lines) if ns >= _at("2026-03-14T10:06:40Z")), -1)
    if 0 <= i <= len(text) - 4:
        text[i : i + 4] = [text[i + 2], text[i + 3], text[i], text[i + 1]]
    return "".join(line + "\n" for line in text)

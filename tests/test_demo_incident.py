"""The demo incident's logs, traces and HAR: reproducible, in their loggers' dialects, and consistent.

Read with json/gzip/re only (no apiprobe loader), so these tests pin the data, not a parser.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from apiprobe.demo import (
    BASELINE,
    DEMO_HAR_FILE,
    DEMO_LOG_FILES,
    DEMO_SERVICES,
    DEMO_TIMELINE,
    DEMO_TRACE_FILES,
    GATEWAY_TIMEOUT_S,
    HAR_CLIENT_IP,
    INCIDENT,
    STORM_CLIENT_IP,
    demo_incident_files,
    write_demo_incident,
)

REPO = Path(__file__).resolve().parents[1]
INCIDENT_EPOCH = datetime.fromisoformat(INCIDENT[0].replace("Z", "+00:00")).timestamp()
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LOGRUS_TEXT = re.compile(r'^time="(?P<time>[^"]+)" level=(?P<level>\w+) msg=(?P<msg>"(?:[^"\\]|\\.)*"|\S+)(?: |$)')
GOKIT = re.compile(r"^ts=(?P<ts>\S+) caller=\S+:\d+ level=(?P<level>debug|info|warn|error) msg=")


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return demo_incident_files()


def _text(files: dict[str, bytes], service: str) -> str:
    data = files[f"logs/{DEMO_LOG_FILES[service]}"]
    if DEMO_LOG_FILES[service].endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _json_lines(files: dict[str, bytes], service: str) -> tuple[list[dict[str, Any]], list[str]]:
    good, bad = [], []
    for line in _text(files, service).splitlines():
        try:
            good.append(json.loads(line))
        except json.JSONDecodeError:
            bad.append(line)
    return good, bad


def _otlp_spans(files: dict[str, bytes]) -> list[dict[str, Any]]:
    doc = json.loads(files[f"traces/{DEMO_TRACE_FILES['otlp']}"])
    out = []
    for rs in doc["resourceSpans"]:
        service = next(a["value"]["stringValue"] for a in rs["resource"]["attributes"] if a["key"] == "service.name")
        for ss in rs["scopeSpans"]:
            out += [dict(span, service=service) for span in ss["spans"]]
    return out


def test_constants() -> None:
    assert BASELINE[1] == INCIDENT[0] and BASELINE[0] < BASELINE[1] < INCIDENT[1]
    assert (
        set(DEMO_SERVICES) == set(DEMO_LOG_FILES) == {"gateway", "orders", "payments", "inventory", "billing", "auth"}
    )
    assert all(INCIDENT[0] <= t < INCIDENT[1] for t in DEMO_TIMELINE.values())


def test_deterministic(tmp_path: Path, files: dict[str, bytes]) -> None:
    a = write_demo_incident(tmp_path / "a")
    b = write_demo_incident(tmp_path / "b")
    assert set(a) == set(b) and len(a) == len(files) == 10
    for name, path in a.items():
        rel = path.relative_to(tmp_path / "a").as_posix()
        assert path.read_bytes() == b[name].read_bytes() == files[rel], rel
    assert demo_incident_files(seed=15) != files


def test_committed_data_matches_the_generator(files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        assert (REPO / "data" / "demo" / rel).read_bytes() == data, f"data/demo/{rel} drifted"


def test_small(files: dict[str, bytes]) -> None:
    assert sum(len(d) for d in files.values()) < 1_500_000
    lines = sum(_text(files, s).count("\n") for s in DEMO_LOG_FILES)
    assert 2000 < lines < 10_000


def test_gateway_is_zap_production_json(files: dict[str, bytes]) -> None:
    recs, bad = _json_lines(files, "gateway")
    assert len(bad) == 2 and all(b.startswith('{"level":') for b in bad)  # two truncated lines
    for r in recs:
        assert list(r)[:5] == ["level", "ts", "logger", "caller", "msg"]
        assert isinstance(r["ts"], float) and isinstance(r["latency"], float)
        assert r["level"] in {"debug", "info", "warn", "error"}
        assert len(r["trace_id"]) == 32 and len(r["span_id"]) == 16
    assert all("stacktrace" in r for r in recs if r["level"] == "error")
    text = _text(files, "gateway")
    assert "e-0" not in text  # floats as strconv 'f', never with an exponent
    ts = [r["ts"] for r in recs]
    assert sum(b < a for a, b in itertools.pairwise(ts)) == 1  # out of order in one place
    levels = {(r["status"], r["level"]) for r in recs}
    assert {(502, "info"), (503, "info"), (504, "error"), (500, "error")} <= levels
    late = [r["latency"] for r in recs if r["status"] == 504]
    assert late and all(1.7 < x <= GATEWAY_TIMEOUT_S + 0.01 for x in late)
    assert all(r["ts"] >= INCIDENT_EPOCH for r in recs if r["status"] in (503, 504))


def test_orders_is_gzipped_zerolog(files: dict[str, bytes]) -> None:
    raw = files["logs/orders.log.gz"]
    assert raw[:3] == b"\x1f\x8b\x08" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0"  # no name, mtime 0
    recs, bad = _json_lines(files, "orders")
    assert not bad
    for r in recs:
        assert next(iter(r)) == "level" and list(r)[-2:] == ["time", "message"]
        assert r["level"] in {"debug", "info", "warn", "error"} and RFC3339.match(r["time"])
    retries = Counter(r["attempt"] for r in recs if r["message"].startswith("payment attempt failed"))
    assert set(retries) == {1, 2}
    deadline = [
        r
        for r in recs
        if "context deadline exceeded (Client.Timeout exceeded while awaiting headers)" in r.get("error", "")
    ]
    assert deadline and {r["attempt"] for r in deadline} == {1, 2, 3}
    assert all(r["time"] >= INCIDENT[0] for r in deadline)
    assert all(isinstance(r["duration_ms"], float) for r in recs if "duration_ms" in r)


def test_payments_is_logrus_text_with_a_panic(files: dict[str, bytes]) -> None:
    lines = _text(files, "payments").splitlines()
    parsed = [m for m in map(LOGRUS_TEXT.match, lines) if m]
    assert {m["level"] for m in parsed} == {"info", "warning", "error"}
    assert all(RFC3339.match(m["time"]) for m in parsed)
    rest = [i for i, line in enumerate(lines) if not LOGRUS_TEXT.match(line)]
    assert rest == list(range(rest[0], rest[0] + len(rest)))  # one block: the panic
    assert "http: panic serving" in lines[rest[0]] and lines[rest[1]].startswith("goroutine ")
    assert lines[rest[1]].endswith("[running]:") and lines[rest[-1]].startswith("\t")
    fields = [line for line in lines if 'msg="charge failed"' in line]
    pool = [line for line in fields if 'error="pg: connection pool timeout"' in line]
    assert pool and all("status=503" in line for line in pool)
    assert all(line[6:25] >= INCIDENT[0][:19] for line in pool)
    card = [line for line in fields if "invalid card number: must be 16 digits" in line]
    assert card and all("status=500" in line for line in card)  # validation as 500 (handbook §2.4)
    assert any(line[6:25] < BASELINE[1][:19] for line in card)


def test_inventory_is_slog_json(files: dict[str, bytes]) -> None:
    recs, bad = _json_lines(files, "inventory")
    assert not bad
    for r in recs:
        assert list(r)[:4] == ["time", "level", "source", "msg"] and RFC3339_MS.match(r["time"])
        assert set(r["source"]) == {"function", "file", "line"}
    assert {r["level"] for r in recs} == {"INFO", "WARN", "INFO+2"}
    assert all("trace.id" in r for r in recs if "status" in r)
    assert any(
        r["status"] == 200 and r.get("code") == 1001 and r["error"] == "out of stock" for r in recs if "status" in r
    )
    short = [r for r in recs if r.get("status") == 404]
    assert short and all(r["msg"].startswith("insufficient stock for sku ") for r in short)


def test_billing_is_gokit_logfmt_without_trace_ids(files: dict[str, bytes]) -> None:
    text = _text(files, "billing")
    lines = text.splitlines()
    assert lines and all(GOKIT.match(line) for line in lines)
    assert "trace" not in text.lower()
    assert all(re.search(r" order_id=o-\d+ ", line) for line in lines)


def test_auth_is_logrus_json(files: dict[str, bytes]) -> None:
    recs, bad = _json_lines(files, "auth")
    assert not bad
    for r in recs:
        assert list(r) == sorted(r) and RFC3339.match(r["time"]) and len(r["X-Trace-ID"]) == 32
    expired = [r for r in recs if r["msg"] == "token expired"]
    assert expired and all(r["status"] == 403 and r["level"] == "warning" for r in expired)


def test_new_error_kinds_only_in_the_incident(files: dict[str, bytes]) -> None:
    gateway, _ = _json_lines(files, "gateway")
    goaway = [r for r in gateway if "GOAWAY" in r.get("error", "")]
    assert len(goaway) >= 3 and all(r["ts"] >= INCIDENT_EPOCH and r["status"] == 502 for r in goaway)
    payments = _text(files, "payments").splitlines()
    refused = [line for line in payments if "dial tcp 10.0.3.7:5432: connect: connection refused" in line]
    assert refused and all(line[6:25] >= INCIDENT[0][:19] for line in refused)
    storm = Counter(r["status"] for r in gateway if r["client_ip"] == STORM_CLIENT_IP)
    assert storm[429] > 50 and storm[400] > 10 and set(storm) == {400, 429}
    baseline = Counter(r["status"] for r in gateway if r["ts"] < INCIDENT_EPOCH)
    assert {400, 403, 404, 429} <= set(baseline) and not {503, 504} & set(baseline)


def test_traces_match_the_logs(files: dict[str, bytes]) -> None:
    spans = _otlp_spans(files)
    assert {s["service"] for s in spans} == {"gateway", "orders", "payments"}
    for s in spans:
        assert re.fullmatch(r"[0-9a-f]{32}", s["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", s["spanId"])
        assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]) and s["kind"] in (1, 2, 3)
    traces = {s["traceId"] for s in spans}
    assert 50 <= len(traces) <= 150
    gateway, _ = _json_lines(files, "gateway")
    gw = {r["trace_id"]: r for r in gateway}
    roots = {s["traceId"]: s for s in spans if "parentSpanId" not in s}
    assert set(roots) == traces
    for tid, root in roots.items():
        assert gw[tid]["span_id"] == root["spanId"]
        status = next(a["value"]["intValue"] for a in root["attributes"] if a["key"] == "http.status_code")
        assert int(status) == gw[tid]["status"]
    orders = {r["trace_id"] for r in _json_lines(files, "orders")[0] if "trace_id" in r}
    inventory = {r["trace.id"] for r in _json_lines(files, "inventory")[0] if "trace.id" in r}
    payments = set(re.findall(r"traceID=([0-9a-f]{32})", _text(files, "payments")))
    assert traces <= orders and traces <= inventory
    assert {s["traceId"] for s in spans if s["service"] == "payments"} <= payments
    ids = {s["spanId"] for s in spans}

    jaeger = json.loads(files[f"traces/{DEMO_TRACE_FILES['jaeger']}"])["data"]
    jspans = [s for t in jaeger for s in t["spans"]]
    assert {t["traceID"] for t in jaeger} <= traces
    assert all(t["processes"]["p1"]["serviceName"] == "inventory" for t in jaeger)
    jids = {s["spanID"] for s in jspans}
    assert all(s["references"][0]["spanID"] in ids | jids for s in jspans)

    zipkin = json.loads(files[f"traces/{DEMO_TRACE_FILES['zipkin']}"])
    zids = {s["id"] for s in zipkin}
    roots_z = [s for s in zipkin if s.get("parentId") not in zids]
    assert roots_z and all(s["localEndpoint"]["serviceName"] == "billing" for s in zipkin)
    new = [s for s in roots_z if s["traceId"] not in traces]
    orphaned = [s for s in roots_z if s["traceId"] in traces]
    assert new and all(len(s["traceId"]) == 16 and "parentId" not in s for s in new)
    assert orphaned and all(s["parentId"] not in ids | jids for s in orphaned)  # a parent no file holds


def test_slow_incident_traces_wait_on_the_pool(files: dict[str, bytes]) -> None:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in _otlp_spans(files):
        by[s["traceId"]].append(s)
    slow = 0
    for tid, spans in by.items():
        root = next(s for s in spans if "parentSpanId" not in s)
        dur = int(root["endTimeUnixNano"]) - int(root["startTimeUnixNano"])
        if dur < 1.5e9:
            continue
        slow += 1
        assert int(root["startTimeUnixNano"]) >= INCIDENT_EPOCH * 1e9, tid
        wait = sum(
            int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) for s in spans if s["name"] == "pgpool.acquire"
        )
        assert wait > 0.5 * dur, tid
    assert slow >= 5


def test_har(files: dict[str, bytes]) -> None:
    har = json.loads(files[f"har/{DEMO_HAR_FILE}"])["log"]
    assert har["version"] == "1.2" and har["creator"]["name"] and har["pages"][0]["id"] == "page_1"
    entries = har["entries"]
    assert 15 <= len(entries) <= 30
    gateway = {r["trace_id"]: r for r in _json_lines(files, "gateway")[0]}
    statuses = set()
    for e in entries:
        req, resp, t = e["request"], e["response"], e["timings"]
        assert e["startedDateTime"].endswith("Z") and e["pageref"] == "page_1"
        assert {"method", "url", "httpVersion", "headers", "queryString", "cookies"} <= set(req)
        assert {"status", "statusText", "httpVersion", "headers", "content"} <= set(resp)
        assert {"size", "mimeType", "text"} <= set(resp["content"])
        assert set(t) >= {"blocked", "dns", "connect", "ssl", "send", "wait", "receive"}
        assert t["connect"] == -1 or t["connect"] >= t["ssl"]  # ssl is inside connect
        assert e["time"] == pytest.approx(
            sum(t[k] for k in ("blocked", "dns", "connect", "send", "wait", "receive") if t[k] >= 0), abs=0.01
        )
        headers = {h["name"].lower(): h["value"] for h in req["headers"]}
        assert headers["authorization"].startswith("Bearer ") and "session=" in headers["cookie"]
        trace = next(h["value"] for h in resp["headers"] if h["name"] == "x-trace-id")
        assert gateway[trace]["status"] == resp["status"] and gateway[trace]["client_ip"] == HAR_CLIENT_IP
        if req["method"] == "POST":
            assert json.loads(req["postData"]["text"])
        body = json.loads(resp["content"]["text"]) if resp["content"]["text"] else {}
        statuses.add((resp["status"], body.get("code"), body.get("error")))
    assert any(t["dns"] == -1 for t in (e["timings"] for e in entries))
    assert any("password" in e["request"].get("postData", {}).get("text", "") for e in entries)  # to redact
    assert (200, 1001, "out of stock") in statuses and (403, None, "token expired") in statuses
    assert any(s == 404 and "insufficient stock" in (err or "") for s, _, err in statuses)
    assert {504, 503, 500} <= {s for s, _, _ in statuses}

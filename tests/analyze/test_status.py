"""detect_status_misuse, classify_status_misuse and status_table on events, probes and HAR tables."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from apiprobe.analyze.status import (
    MISUSE_KINDS,
    classify_status_misuse,
    detect_status_misuse,
    envelope_error,
    status_table,
)
from apiprobe.errors import InvalidParameterError, SchemaError
from apiprobe.load.har import read_har
from apiprobe.schema import conform, validate

HAR = Path(__file__).resolve().parents[1] / "fixtures" / "har"
T0 = dt.datetime(2024, 5, 14, 9, 0, tzinfo=dt.UTC)


def at(df: pd.DataFrame, i: int, col: str) -> Any:
    """One cell (typed Any for the checks below)."""
    return df.iloc[i][col]


def ev(
    i: int,
    status: int | None,
    route: str | None,
    msg: str = "request",
    *,
    level: str = "info",
    service: str = "payments",
    error: str | None = None,
    **attrs: Any,
) -> dict[str, Any]:
    """One request log line (events schema row)."""
    return {
        "ts": T0 + dt.timedelta(seconds=i),
        "service": service,
        "level": level,
        "msg": msg,
        "status": status,
        "route": route,
        "error": error,
        "attrs": attrs,
        "parse_ok": True,
    }


def as_arrow(events: pd.DataFrame) -> pd.DataFrame:
    """The same events with attrs as an Arrow struct column (as a parquet round trip gives).

    Nested values become JSON text, as a loader does for keys whose values mix types.
    """
    rows = [{k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in a.items()} for a in events["attrs"]]
    arr = pa.array(rows)
    out = events.copy()
    out["attrs"] = pd.Series(pd.arrays.ArrowExtensionArray(arr), index=events.index)
    return out


def events(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return conform(rows, "events")


def plain(series: pd.Series) -> list[Any]:
    """Values as a list with None for NA (pd.NA does not compare in a list)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


AttrsForm = Callable[[pd.DataFrame], pd.DataFrame]
FORMS: list[AttrsForm] = [lambda df: df, as_arrow]


def one_finding(findings: pd.DataFrame, subject: str) -> pd.Series:
    validate(findings, "findings")
    assert (findings["fault"] == "status_misuse").all()
    assert (findings["handbook_ref"] == "§2.4").all() and (findings["detector"] == "detect_status_misuse").all()
    hits = findings[findings["subject"] == subject]
    assert len(hits) == 1, findings[["subject", "metric"]]
    return hits.iloc[0]


def payments_log() -> pd.DataFrame:
    rows = []
    for i in range(6):
        rows.append(ev(i, 200, "/v1/pay", method="POST", body={"code": 0, "data": {"id": i}}))
    for i in range(6, 10):
        rows.append(
            ev(
                i,
                200,
                "/v1/pay",
                method="POST",
                body='{"code":1001,"error":"insufficient balance","token":"sk_live_123"}',
            )
        )
    return events(rows)


@pytest.mark.parametrize("form", FORMS, ids=["dicts", "arrow"])
def test_200_with_error_body(form: AttrsForm) -> None:
    findings = detect_status_misuse(form(payments_log()))
    row = one_finding(findings, "POST /v1/pay (payments)")
    assert row["metric"] == "share of 2xx answers with an error body"
    assert row["value"] == pytest.approx(0.4) and row["threshold"] == 0.05 and row["severity"] == "warning"
    assert row["evidence"].startswith("4 of 10 2xx answers on POST /v1/pay (payments) carried an error")
    assert "insufficient balance" in row["evidence"] and "sk_live_123" not in row["evidence"]
    assert "Answer 422 Unprocessable Entity instead of 200" in row["recommendation"]
    assert "handbook" in row["recommendation"]  # the handbook's "200 or 422" is corrected
    assert row["ts_start"] == T0 + dt.timedelta(seconds=6) and row["ts_end"] == T0 + dt.timedelta(seconds=9)


def test_body_column_truncated_json_and_chinese_messages() -> None:
    rows = [
        {**ev(0, 200, "/v1/user", method="GET"), "body": '{"code":1001,"msg":"用户不存在"}'},
        {**ev(1, 200, "/v1/user", method="GET"), "body": '{"code":0,"msg":"ok"}'},
        {**ev(2, 200, "/v1/cart", method="GET"), "body": '{"success":false,"message":"库存不足","items":[1,2,'},
        {**ev(3, 200, "/v1/login", method="POST"), "body": '{"ok":false,"error":"请先登录"}'},
    ]
    labelled = classify_status_misuse(events(rows))
    assert plain(labelled["misuse"]) == ["ok_error_body", None, "ok_error_body", "ok_error_body"]
    # the handbook's own example: code 1001 "user does not exist" is a 404
    assert plain(labelled["recommended_status"]) == [404, None, 422, 401]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "boom"}, "boom"),
        ({"errors": [{"message": "name is required"}]}, "name is required"),
        ({"success": False, "msg": "nope"}, "nope"),
        ({"ok": False}, "ok: false"),
        ({"status": "fail", "message": "card declined"}, "card declined"),
        ({"errcode": 40001, "errmsg": "invalid credential"}, "invalid credential"),
        ({"code": "OUT_OF_STOCK", "message": "out of stock"}, "out of stock"),
        ({"code": 0, "data": {}}, None),
        ({"code": 200, "msg": "success"}, None),
        ({"code": "SUCCESS", "message": "done"}, None),
        ({"code": "US", "name": "United States"}, None),  # a country code, not an error code
        ({"error": None, "errors": [], "data": [1]}, None),
        ({"ok": True, "status": "active"}, None),
        ([{"error": "x"}], None),
    ],
)
def test_envelope_error(body: Any, expected: str | None) -> None:
    assert envelope_error(body) == expected


@pytest.mark.parametrize("form", FORMS, ids=["dicts", "arrow"])
def test_each_status_misuse_kind(form: AttrsForm) -> None:
    rows = [
        ev(0, 404, "/v1/orders", "order rejected", error="insufficient balance", method="POST"),
        ev(1, 404, "/v1/orders", "order rejected", error="order already paid", method="POST"),
        ev(2, 500, "/v1/signup", "request failed", level="error", error="invalid email: must contain @", method="POST"),
        ev(
            3,
            500,
            "/v1/signup",
            "request failed",
            level="error",
            error="json: cannot unmarshal string into Go struct field User.age of type int",
            method="POST",
        ),
        ev(4, 403, "/v1/me", "denied", error="token expired", method="GET"),
        ev(5, 401, "/v1/admin", "denied", error="permission denied: role viewer", method="DELETE"),
        ev(6, 503, "/v1/report", "upstream unavailable", level="info", method="GET"),
    ]
    findings = detect_status_misuse(form(events(rows)))
    by_subject = {s: (m, v) for s, m, v in zip(findings["subject"], findings["metric"], findings["value"], strict=True)}
    assert by_subject == {
        "POST /v1/orders (payments)": ("share of 404 answers for a business rule", 1.0),
        "POST /v1/signup (payments)": ("share of 500 answers for invalid requests", 1.0),
        "GET /v1/me (payments)": ("share of 403 answers to unauthenticated callers", 1.0),
        "DELETE /v1/admin (payments)": ("share of 401 answers to callers lacking permission", 1.0),
        "GET /v1/report (payments)": ("share of 5xx answers logged below warn", 1.0),
    }
    assert findings.iloc[-1]["severity"] == "info"  # 401 vs 403: inform only
    orders = one_finding(findings, "POST /v1/orders (payments)")
    assert "Answer 422 Unprocessable Entity (some rows call for 409)" in orders["recommendation"]
    signup = one_finding(findings, "POST /v1/signup (payments)")
    assert signup["evidence"].startswith("2 of 2 500 answers") and "400 Bad Request" in signup["recommendation"]
    assert "401 Unauthorized" in one_finding(findings, "GET /v1/me (payments)")["recommendation"]
    assert "403 Forbidden" in one_finding(findings, "DELETE /v1/admin (payments)")["recommendation"]
    assert "error level" in one_finding(findings, "GET /v1/report (payments)")["recommendation"]
    labelled = classify_status_misuse(form(events(rows)))
    assert plain(labelled["misuse"]) == [
        "notfound_business_rule",
        "notfound_business_rule",
        "server_error_validation",
        "server_error_validation",
        "forbidden_unauthenticated",
        "unauthorized_forbidden",
        "server_error_low_level",
    ]
    assert plain(labelled["recommended_status"]) == [422, 409, 400, 400, 401, 403, None]


def test_status_used_well_gives_no_finding() -> None:
    rows = [
        ev(0, 404, "/v1/users/42", "not found", error="user 42 not found", method="GET"),
        ev(
            1,
            500,
            "/v1/pay",
            "panic",
            level="error",
            error="runtime error: invalid memory address or nil pointer dereference",
            method="POST",
        ),
        ev(2, 500, "/v1/pay", "db", level="error", error="sql: connection is already closed", method="POST"),
        ev(
            3,
            422,
            "/v1/pay",
            "rejected",
            level="warn",
            method="POST",
            body={"error": "insufficient_balance", "details": {"current": 50, "required": 100}},
        ),
        ev(4, 200, "/v1/geo", method="GET", body={"code": "US", "name": "United States"}),
        ev(5, 200, "/v1/pay", method="POST", body={"code": 0, "errors": []}),
        ev(6, 403, "/v1/admin", "denied", error="permission denied", method="GET"),
        ev(7, 403, "/v1/form", "denied", error="CSRF token missing", method="POST"),
        ev(8, 401, "/v1/me", "denied", error="token expired", method="GET"),
        ev(9, 204, "/v1/ping", method="GET"),
        ev(10, 502, "/v1/quote", "upstream", level="error", error="upstream: invalid character '<'", method="GET"),
        ev(11, None, None, "service started"),
    ]
    df = events(rows)
    assert detect_status_misuse(df).empty
    assert classify_status_misuse(df)["misuse"].isna().all()


def make_storm(n_bad: int = 30) -> pd.DataFrame:
    rows = [
        ev(i, 400, "/v1/items", "bad request", method="GET", client_id="batch-job", remote_ip="10.0.0.9")
        for i in range(n_bad)
    ]
    rows += [
        ev(
            100 + i,
            400 if i % 4 == 0 else 200,
            "/v1/items",
            method="GET",
            client_id=f"web-{i % 5}",
            remote_ip=f"10.0.1.{i}",
        )
        for i in range(20)
    ]
    # one value for every caller (a load balancer's address) names nobody
    rows += [ev(200 + i, 404, "/v1/other", method="GET", remote_ip="10.9.9.9") for i in range(40)]
    return events(rows)


@pytest.mark.parametrize("form", FORMS, ids=["dicts", "arrow"])
def test_4xx_storm_from_one_client(form: AttrsForm) -> None:
    findings = detect_status_misuse(form(make_storm()))
    row = one_finding(findings, "GET /v1/items (payments)")
    assert row["metric"] == "share of the route's 4xx answers from one client id"
    assert row["value"] == pytest.approx(30 / 35) and row["threshold"] == 0.5
    assert "30 of 35 4xx answers" in row["evidence"] and "'batch-job'" in row["evidence"]
    assert "429" in row["recommendation"] and "Fix that client" in row["recommendation"]
    assert len(findings) == 1
    assert detect_status_misuse(make_storm(), storm_min_4xx=31).empty
    assert detect_status_misuse(make_storm(), storm_share=0.9).empty
    labelled = classify_status_misuse(make_storm())
    assert (labelled["misuse"] == "client_4xx_storm").sum() == 30
    assert labelled["recommended_status"].isna().all()


def test_thresholds_and_route_templates() -> None:
    rows = [ev(i, 200, f"/v1/users/{i}", method="GET", body={"ok": True}) for i in range(40)]
    rows.append(
        ev(
            41,
            200,
            "/v1/users/7f1c2a3b-1111-2222-3333-444455556666",
            method="GET",
            body={"ok": False, "error": "user is locked"},
        )
    )
    df = events(rows)
    assert detect_status_misuse(df).empty  # 1 of 41 is below min_share 0.05
    row = one_finding(detect_status_misuse(df, min_share=0.01), "GET /v1/users/{id} (payments)")
    assert row["value"] == pytest.approx(1 / 41)
    assert detect_status_misuse(df, min_share=0.01, min_count=2).empty
    raw = detect_status_misuse(df, min_share=0.01, normalize_routes=False)
    assert raw["subject"].tolist() == ["GET /v1/users/7f1c2a3b-1111-2222-3333-444455556666 (payments)"]


def test_route_method_and_status_from_attrs() -> None:
    rows = [
        ev(
            0,
            None,
            None,
            "handled",
            path="/v1/pay?id=3",
            method="post",
            status_code=200,
            response={"success": False, "message": "not enough credit"},
        ),
        ev(1, 200, "PUT /v1/pay", "handled", response='{"error":"quota exceeded"}'),
        ev(2, None, None, "not a request line"),
    ]
    labelled = classify_status_misuse(events(rows))
    assert plain(labelled["subject"]) == ["POST /v1/pay (payments)", "PUT /v1/pay (payments)", None]
    assert plain(labelled["misuse"]) == ["ok_error_body", "ok_error_body", None]


def test_error_logged_on_a_200() -> None:
    rows = [ev(0, 200, "/v1/sync", "sync done", level="error", error="rate limit exceeded", method="POST")]
    labelled = classify_status_misuse(events(rows))
    assert plain(labelled["misuse"]) == ["ok_error_body"] and plain(labelled["recommended_status"]) == [429]


def test_classify_keeps_rows_index_and_input() -> None:
    df = payments_log()
    df.index = pd.Index(range(100, 110))
    before = df.copy()
    labelled = classify_status_misuse(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(labelled.index) == list(df.index)
    assert list(labelled.columns) == [*df.columns, "subject", "misuse", "recommended_status"]
    assert str(labelled["recommended_status"].dtype) == "Int64"
    assert set(labelled["misuse"].dropna()) <= set(MISUSE_KINDS)


def test_status_table() -> None:
    df = pd.concat([payments_log(), make_storm()], ignore_index=True)
    table = status_table(df)
    assert list(table.columns) == [
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
    pay = table[table["subject"] == "POST /v1/pay (payments)"].iloc[0]
    assert (pay["status"], pay["count"], pay["misuse"], pay["misuse_count"], pay["recommended_status"]) == (
        200,
        10,
        "ok_error_body",
        4,
        422,
    )
    items = table[table["subject"] == "GET /v1/items (payments)"].set_index("status")
    bad, good = items.loc[400], items.loc[200]
    assert bad["count"] == 35 and bad["misuse"] == "client_4xx_storm"
    assert good["count"] == 15 and pd.isna(good["misuse"])
    assert items["share"].sum() == pytest.approx(1.0)
    assert table.groupby("subject")["share"].sum().round(9).eq(1).all()
    assert status_table(payments_log().iloc[:0]).empty


def test_probes_table_with_body() -> None:
    rows = [
        {
            "ts": T0,
            "url": "http://127.0.0.1:8080/api/pay",
            "host": "127.0.0.1",
            "port": 8080,
            "scheme": "http",
            "method": "GET",
            "status": 200,
            "body": '{"code":1001,"error":"insufficient balance"}',
        },
        {
            "ts": T0,
            "url": "http://127.0.0.1:8080/api/pay",
            "host": "127.0.0.1",
            "port": 8080,
            "scheme": "http",
            "method": "GET",
            "error_kind": "read_timeout",
        },
    ]
    probes = conform(rows, "probes")
    row = one_finding(detect_status_misuse(probes), "GET /api/pay (127.0.0.1:8080)")
    assert row["evidence"].startswith("1 of 1 2xx answers")


def test_har_tables() -> None:
    har = pd.concat([read_har(HAR / "chrome-checkout.har"), read_har(HAR / "firefox-login.har")], ignore_index=True)
    findings = detect_status_misuse(har)
    assert set(zip(findings["subject"], findings["metric"], strict=True)) == {
        ("POST /v1/orders (api.shop.example.test)", "share of 2xx answers with an error body"),
        ("GET /api/wallet/charge (shop.example.test)", "share of 2xx answers with an error body"),
        ("POST /api/orders (shop.example.test)", "share of 500 answers for invalid requests"),
        ("GET /v1/profile (api.shop.example.test)", "share of 403 answers to unauthenticated callers"),
    }
    # a 403 to a request that carried no credentials at all is a 401, whatever the body says
    doc = read_har(HAR / "chrome-checkout.har")
    doc.loc[3, "body"] = '{"error":"nope"}'
    assert at(classify_status_misuse(doc), 3, "misuse") == "forbidden_unauthenticated"
    headers = doc["request_headers"].copy()
    headers.iloc[3] = {"authorization": "[REDACTED]"}
    doc["request_headers"] = headers
    assert pd.isna(at(classify_status_misuse(doc), 3, "misuse"))


def test_empty_and_wrong_input() -> None:
    empty = detect_status_misuse(events([]))
    validate(empty, "findings")
    assert empty.empty
    assert detect_status_misuse(events([ev(0, None, None, "boot")])).empty
    with pytest.raises(SchemaError, match="needs an events table"):
        detect_status_misuse(pd.DataFrame({"a": [1]}))
    with pytest.raises(InvalidParameterError, match="data must be a DataFrame"):
        detect_status_misuse([{"status": 200}])  # type: ignore[arg-type]


BODY = json.dumps({"error": "invalid email: must contain @"})


@pytest.mark.parametrize(
    "fields",
    [
        {"status": 500, "body": BODY},  # zap.String("body", ...)
        {"status": 500, "body": json.loads(BODY)},  # zap.Any("body", v): an object, not text
        {"status": 500, "payload": BODY},
        {"status_code": 500, "resp": BODY},
        {"http": {"method": "POST", "status": 500, "response": {"body": BODY}}},  # nested groups (slog.Group)
        {"response": {"status_code": 500, "body": BODY}},
    ],
    ids=["string", "object", "payload", "status_code+resp", "http.response.body", "response.body"],
)
def test_500_with_validation_body_in_log_fields(tmp_path: Path, fields: dict[str, Any]) -> None:
    """A request log line whose body is a logged field feeds the same rule as HAR and probe bodies."""
    from apiprobe.load.logs import read_logs

    ok = {"level": "info", "ts": 1731424740.0, "msg": "request", "method": "POST", "path": "/v1/users", "status": 201}
    bad = {"level": "error", "ts": 1731424746.5, "msg": "request failed", "method": "POST", "path": "/v1/users"}
    log = tmp_path / "api.log"
    log.write_text(json.dumps(ok) + "\n" + json.dumps({**bad, **fields}) + "\n")
    events = read_logs(log)
    kinds = classify_status_misuse(events)["misuse"]
    assert kinds.isna().iloc[0] and kinds.iloc[1] == "server_error_validation"
    found = detect_status_misuse(events)
    assert found["metric"].tolist() == ["share of 500 answers for invalid requests"]


def test_500_with_validation_body_from_har_and_probe(lab: Any, tmp_path: Path) -> None:
    """The lab's /misuse/500-validation probed live, and the same answer saved as a HAR entry."""
    from apiprobe.probe import probe_http

    url = lab.url("misuse_500_validation")
    probes = probe_http(url, count=1, body_limit=4096)
    assert at(probes, 0, "status") == 500 and "must contain @" in at(probes, 0, "body")
    assert at(classify_status_misuse(probes), 0, "misuse") == "server_error_validation"
    entry = {
        "startedDateTime": "2024-11-12T15:19:06.000Z",
        "time": 12.0,
        "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": []},
        "response": {
            "status": 500,
            "statusText": "Internal Server Error",
            "httpVersion": "HTTP/1.1",
            "headers": [],
            "content": {"size": len(BODY), "mimeType": "application/json", "text": at(probes, 0, "body")},
        },
        "timings": {"send": 0.1, "wait": 11.0, "receive": 0.9},
    }
    har = tmp_path / "capture.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": [entry]}}))
    assert at(classify_status_misuse(read_har(har)), 0, "misuse") == "server_error_validation"

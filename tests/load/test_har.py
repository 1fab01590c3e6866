"""read_har / parse_har on hand-written HAR 1.2 files shaped like Chrome's and Firefox's exports."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apiprobe.errors import DataFormatError
from apiprobe.load.har import HAR_EXTRA_COLUMNS, parse_har, read_har, redact_body
from apiprobe.schema import columns, validate

HAR = Path(__file__).resolve().parents[1] / "fixtures" / "har"
CHROME = HAR / "chrome-checkout.har"
FIREFOX = HAR / "firefox-login.har"


def at(df: pd.DataFrame, i: int, col: str) -> Any:
    """One cell (typed Any for the checks below)."""
    return df.iloc[i][col]


@pytest.fixture(scope="module")
def chrome() -> pd.DataFrame:
    return read_har(CHROME)


@pytest.fixture(scope="module")
def firefox() -> pd.DataFrame:
    return read_har(FIREFOX)


def test_columns_follow_probes_schema_then_extras(chrome: pd.DataFrame, firefox: pd.DataFrame) -> None:
    for df in (chrome, firefox):
        validate(df, "probes")
        assert list(df.columns) == [*columns("probes"), *HAR_EXTRA_COLUMNS]
        assert df.attrs["bad_entries"] == 0
    assert len(chrome) == 7 and len(firefox) == 4
    assert set(chrome["run_id"]) == {"chrome-checkout"}
    assert chrome.attrs["creator"] == "WebInspector 537.36" and firefox.attrs["creator"] == "Firefox 125.0.3"


def test_chrome_timings_map_to_phases(chrome: pd.DataFrame) -> None:
    first = chrome.iloc[0]
    assert first["ts"] == pd.Timestamp("2024-05-14T09:30:01.004Z")
    assert first["dns_ms"] == 12.5 and first["tls_ms"] == 30.1
    assert first["connect_ms"] == pytest.approx(48.2 - 30.1)  # HAR counts ssl inside connect
    assert (first["request_ms"], first["ttfb_ms"], first["transfer_ms"]) == (0.3, 85.4, 2.1)
    assert first["blocked_ms"] == 1.2 and first["total_ms"] == 149.7
    assert first["http_version"] == "HTTP/2" and first["ip"] == "203.0.113.10"
    assert (first["host"], first["port"], first["scheme"], first["method"]) == (
        "api.shop.example.test",
        443,
        "https",
        "GET",
    )
    assert not first["reused_conn"]
    reused = chrome.iloc[1]  # -1 means "not applicable": NA, never 0
    assert reused["reused_conn"]
    assert pd.isna(reused["dns_ms"]) and pd.isna(reused["connect_ms"]) and pd.isna(reused["tls_ms"])
    assert reused["ttfb_ms"] == 61.0


def test_failed_request_is_a_row_with_error_kind(chrome: pd.DataFrame) -> None:
    failed = chrome.iloc[6]
    assert pd.isna(failed["status"]) and failed["error_kind"] == "connect_refused"
    assert failed["error"] == "net::ERR_CONNECTION_REFUSED"
    assert pd.isna(failed["total_ms"]) and pd.isna(failed["ttfb_ms"]) and pd.isna(failed["bytes"])
    assert failed["blocked_ms"] == 3.2 and failed["port"] == 9999


def test_bodies_are_decoded(chrome: pd.DataFrame, firefox: pd.DataFrame) -> None:
    assert json.loads(at(chrome, 5, "body")) == {"feature_flags": {"new_checkout": True}, "region": "eu-west-1"}
    assert pd.isna(at(chrome, 4, "body")) and at(chrome, 4, "content_type") == "image/png"  # binary
    assert at(chrome, 1, "body") == '{"code":1001,"msg":"insufficient balance"}'
    assert at(chrome, 5, "bytes") == 67  # bodySize 0 with content: content.size
    assert at(firefox, 1, "body") == '{"success":false,"message":"账户余额不足","data":null}'
    assert at(firefox, 1, "content_type") == "application/json; charset=utf-8"
    assert at(firefox, 3, "body") == "ok\n"
    assert at(firefox, 2, "request_body") == '{"sku":"sku-42","qty":"2"}'
    assert at(firefox, 2, "request_content_type") == "application/json"
    assert (chrome["page"].iloc[:6] == "https://shop.example.test/checkout").all()
    assert (firefox["page"] == "Sign in – Shop").all()


def test_secrets_are_redacted(chrome: pd.DataFrame, firefox: pd.DataFrame) -> None:
    everything = pd.concat([chrome, firefox]).astype(str).to_string()
    for secret in (
        "s3cr3t-t0ken",
        "abc123",
        "def456",
        "eyJhbGciOiJIUzI1NiJ9",
        "tok_live_abc123",
        "hunter2",
        "f00ba4",
        "9f8e7d6c",
        "k-123",
    ):
        assert secret not in everything, secret
    assert at(chrome, 0, "url") == "https://api.shop.example.test/v1/cart?token=%5BREDACTED%5D&page=2"
    headers = at(chrome, 0, "request_headers")
    assert headers["authorization"] == "[REDACTED]" and headers["cookie"] == "[REDACTED]"
    assert headers["accept"] == "application/json"
    assert at(chrome, 0, "response_headers")["set-cookie"] == "[REDACTED]"
    assert json.loads(at(chrome, 1, "request_body"))["card_token"] == "[REDACTED]"
    assert json.loads(at(firefox, 0, "body")) == {"access_token": "[REDACTED]", "expires_in": 3600}
    assert at(firefox, 0, "request_body") == "username=bob&password=%5BREDACTED%5D"
    assert "api_key=%5BREDACTED%5D" in at(firefox, 1, "url") and "amount=100" in at(firefox, 1, "url")


def test_firefox_zero_timings_of_reused_connections(firefox: pd.DataFrame) -> None:
    first, reused, legacy = firefox.iloc[0], firefox.iloc[1], firefox.iloc[3]
    assert first["ts"] == pd.Timestamp("2024-05-14T09:30:00.250Z")  # +02:00 offset to UTC
    assert (first["dns_ms"], first["connect_ms"], first["tls_ms"]) == (3.0, 10.0, 15.0)
    assert first["ip"] == "2001:db8::10"
    assert reused["reused_conn"] and pd.isna(reused["connect_ms"]) and pd.isna(reused["dns_ms"])
    assert reused["ttfb_ms"] == 38.0 and reused["request_ms"] == 0.0  # a real zero stays
    assert not legacy["reused_conn"] and legacy["http_version"] == "HTTP/1.1"
    assert (legacy["port"], legacy["scheme"], legacy["connect_ms"]) == (8080, "http", 2.0)
    assert pd.isna(legacy["tls_ms"])


def test_parse_har_takes_bytes_text_files_gzip_and_dicts(chrome: pd.DataFrame) -> None:
    raw = CHROME.read_bytes()
    doc = json.loads(raw)
    for data in (raw, raw.decode(), io.BytesIO(raw), io.StringIO(raw.decode()), gzip.compress(raw), doc):
        df = parse_har(data, source=str(CHROME))
        pd.testing.assert_frame_equal(df, chrome)
    assert parse_har(raw)["run_id"].isna().all()


def test_body_limit_truncates(chrome: pd.DataFrame) -> None:
    short = read_har(CHROME, body_limit=10)
    assert at(short, 1, "body") == '{"code":10'
    assert at(read_har(CHROME, body_limit=None), 5, "body") == at(chrome, 5, "body")


def test_malformed_entries_are_kept_and_counted() -> None:
    doc = json.loads(CHROME.read_bytes())
    doc["log"]["entries"][2] = "not an entry"
    del doc["log"]["entries"][3]["request"]["url"]
    df = parse_har(doc, source="edited.har")
    assert len(df) == 7 and df.attrs["bad_entries"] == 2
    assert not at(df, 2, "parse_ok") and "entry 2 is not an object" in at(df, 2, "error")
    assert not at(df, 3, "parse_ok") and "request.url" in at(df, 3, "error")
    assert at(df, 3, "status") == 403  # what could be read is kept


def test_empty_archive() -> None:
    df = parse_har({"log": {"version": "1.2", "entries": []}})
    assert df.empty and list(df.columns) == [*columns("probes"), *HAR_EXTRA_COLUMNS]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken-truncated.har", "not valid JSON at line"),
        ("not-har.json", "'log.entries' is missing"),
        ("missing.har", "cannot read HAR file"),
    ],
)
def test_unreadable_files_raise_naming_the_file(name: str, message: str) -> None:
    with pytest.raises(DataFormatError, match=message) as info:
        read_har(HAR / name)
    assert name in str(info.value)


def test_not_json_object_and_binary() -> None:
    with pytest.raises(DataFormatError, match="no top-level 'log'"):
        parse_har("[1, 2]", source="list.har")
    with pytest.raises(DataFormatError, match="not UTF-8"):
        parse_har(b"\xff\xfe\x00garbage", source="bin.har")
    with pytest.raises(DataFormatError, match="empty file"):
        parse_har(b"  ", source="empty.har")


def test_redact_body() -> None:
    assert redact_body('{"user":"bob","password":"hunter2"}') == '{"user":"bob","password":"[REDACTED]"}'
    assert redact_body('{"a": {"api_key": "k"}, "b": [1]}') == '{"a": {"api_key": "[REDACTED]"}, "b": [1]}'
    assert redact_body('{"token":"abc","note":"cut sh') == '{"token":"[REDACTED]","note":"cut sh'
    assert redact_body("a=1&secret=x", "application/x-www-form-urlencoded") == "a=1&secret=%5BREDACTED%5D"
    assert redact_body("call failed: Bearer eyJ0eXAi.abc-123") == "call failed: Bearer [REDACTED]"
    assert redact_body("basic information is missing") == "basic information is missing"
    assert redact_body('{"error":"token expired"}') == '{"error":"token expired"}'
    assert (
        redact_body('request failed: {"password": "x", "user": "bob"}')
        == 'request failed: {"password": "[REDACTED]", "user": "bob"}'
    )
    assert redact_body("login user=bob password=hunter2 ok") == "login user=bob password=[REDACTED] ok"
    assert redact_body(None) is None


def _one_entry(timings: dict[str, Any] | None = None, status: Any = 200, **extra: Any) -> pd.Series:
    entry: dict[str, Any] = {
        "startedDateTime": "2024-05-14T09:30:00.000Z",
        "time": 50,
        "request": {"method": "GET", "url": "https://api.example.com/x", "headers": []},
        "response": {"status": status, "httpVersion": "h2", "headers": [], "content": {"size": 2}},
        **extra,
    }
    if timings is not None:
        entry["timings"] = timings
    return parse_har({"log": {"entries": [entry]}}).iloc[0]


def test_reused_conn_is_na_when_the_har_does_not_say() -> None:
    assert pd.isna(_one_entry(None)["reused_conn"])  # no timings at all
    assert pd.isna(_one_entry({"send": 1, "wait": 40, "receive": 2})["reused_conn"])  # no connect
    assert pd.isna(_one_entry({"connect": -1, "send": -1, "wait": -1, "receive": -1})["reused_conn"])
    assert _one_entry({"connect": -1, "send": 1, "wait": 40, "receive": 2})["reused_conn"]  # Chrome
    row = _one_entry({"dns": 0, "connect": 0, "ssl": 0, "send": 0, "wait": 40, "receive": 2})  # Firefox
    assert row["reused_conn"] and pd.isna(row["connect_ms"]) and pd.isna(row["dns_ms"])
    assert not _one_entry({"dns": 3, "connect": 0, "send": 0, "wait": 40, "receive": 2})["reused_conn"]
    assert not _one_entry({"connect": 12, "send": 1, "wait": 40, "receive": 2})["reused_conn"]


def test_string_status_is_parsed_and_junk_status_is_flagged() -> None:
    ok = _one_entry({"connect": -1, "send": 1, "wait": 40, "receive": 2}, status="200")
    assert ok["status"] == 200 and pd.isna(ok["error_kind"]) and pd.isna(ok["error"]) and ok["parse_ok"]
    assert ok["total_ms"] == 50.0 and ok["reused_conn"]
    assert _one_entry(status=" 404 ")["status"] == 404
    junk = _one_entry(status="OK")
    assert pd.isna(junk["status"]) and pd.isna(junk["error_kind"]) and not junk["parse_ok"]
    assert "response.status" in junk["error"] and "'OK' is not a number" in junk["error"]
    assert junk["bytes"] == 2  # a response was recorded: its size is kept
    none = _one_entry(status=0)  # no response: as before
    assert pd.isna(none["status"]) and none["error_kind"] == "error"


def test_trace_export_given_to_read_har_names_read_traces(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    path.write_text('[{"traceId": "4bf92f3577b34da6", "id": "00f067aa0ba902b7", "name": "get"}]')
    with pytest.raises(
        DataFormatError,
        match=r"trace\.json: this is a Zipkin v2 JSON trace export, not a HAR file: read it with read_traces",
    ):
        read_har(path)

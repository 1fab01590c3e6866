"""Secrets never reach tables or reports."""

from __future__ import annotations

from apiprobe._redact import REDACTED, redact_headers, redact_url


def test_redact_url_password_and_token() -> None:
    out = redact_url("https://bob:hunter2@api.test/x?token=abc&page=2&api_key=k")
    assert "hunter2" not in out and "abc" not in out and "=k" not in out
    assert "bob" in out and "page=2" in out


def test_plain_url_unchanged() -> None:
    url = "http://127.0.0.1:8080/health?verbose=1"
    assert redact_url(url) == url


def test_redact_headers() -> None:
    h = redact_headers({"Authorization": "Bearer x", "Cookie": "a=b", "X-Api-Key": "k", "Accept": "*/*"})
    assert h == {"Authorization": REDACTED, "Cookie": REDACTED, "X-Api-Key": REDACTED, "Accept": "*/*"}

"""Secrets never reach tables or reports."""

from __future__ import annotations

from apiprobe._redact import REDACTED, redact_body, redact_headers, redact_url


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


def test_redact_text_in_log_lines() -> None:
    from apiprobe._redact import redact_text

    line = (
        'time="2024-03-14T10:00:01Z" level=warning msg="login" password=hunter2 '
        'header="Authorization: Bearer abcdef123456" url=https://bob:pw1@db.test/x api_key: "k-123"'
    )
    out = redact_text(line)
    for secret in ("hunter2", "abcdef123456", "pw1", "k-123"):
        assert secret not in out
    assert "user" not in out and "level=warning" in out and "bob:[REDACTED]@db.test" in out
    assert redact_text("status=200 route=/api/cart") == "status=200 route=/api/cart"


def test_redact_value_mappings() -> None:
    from apiprobe._redact import REDACTED, redact_value

    cell = {"client_ip": "10.0.0.1", "auth_token": "s-1", "nested": {"Cookie": "a=b"}, "note": "token=xyz"}
    assert redact_value(cell) == {
        "client_ip": "10.0.0.1",
        "auth_token": REDACTED,
        "nested": {"Cookie": REDACTED},
        "note": f"token={REDACTED}",
    }


def test_redact_body_lives_here_and_har_reexports_it() -> None:
    from apiprobe.load import har

    assert har.redact_body is redact_body
    assert redact_body('{"user":"bob","password":"hunter2"}') == '{"user":"bob","password":"[REDACTED]"}'
    assert redact_body("a=1&secret=x", "application/x-www-form-urlencoded") == "a=1&secret=%5BREDACTED%5D"
    assert redact_body("call failed: Bearer eyJ0eXAi.abc-123") == "call failed: Bearer [REDACTED]"
    assert redact_body(None) is None

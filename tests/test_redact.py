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


# Planted secrets of every kind the issue names; each must vanish from every shown string.
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PLANTED = {
    "password": "password=hunter2-planted",
    "bearer": f"Authorization: Bearer {JWT}",
    "basic": "Authorization: Basic dXNlcjpwbGFudGVkLXB3",
    "client_secret": "client_secret=cs-planted-77",
    "api_key_header": "X-Api-Key: ak-planted-88",
    "cookie": "Cookie: session=sess-planted-99; theme=dark",
    "json_password": '{"user": "bob", "password": "pw-planted-11"}',
    "escaped_json": '{\\"password\\": \\"pw-planted-12\\"}',
    "aws": f"aws_access_key_id={AWS_ID} aws_secret_access_key={AWS_SECRET}",
    "aws_bare": f"creds {AWS_ID} {AWS_SECRET}",
    "pem": f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
    "pem_cut": f"key: -----BEGIN PRIVATE KEY-----\n{PEM_BODY}",
    "jwt_bare": f"rejected token {JWT} for user 7",
    "url": "GET /v1/orders?token=tok-planted-33&page=2",
    "signature": "X-Signature: sig-planted-44 signature=sig-planted-44",
}
SECRET_VALUES = (
    "hunter2-planted",
    JWT,
    JWT.split(".")[1],
    "dXNlcjpwbGFudGVkLXB3",
    "cs-planted-77",
    "ak-planted-88",
    "sess-planted-99",
    "pw-planted-11",
    "pw-planted-12",
    AWS_ID,
    AWS_SECRET,
    PEM_BODY,
    "tok-planted-33",
    "sig-planted-44",
)


def leaked(text: str) -> list[str]:
    """The planted secret values still in ``text``."""
    return [s for s in SECRET_VALUES if s in text]


def test_redact_text_removes_every_planted_kind() -> None:
    from apiprobe._redact import redact_text

    for kind, text in PLANTED.items():
        out = redact_text(text)
        assert not leaked(out), (kind, out)
        assert REDACTED in out, kind
    assert redact_text("user=bob page=2 theme=dark") == "user=bob page=2 theme=dark"


def test_readable_text_is_kept() -> None:
    """Hashes, trace ids and prose that look a little like secrets are not touched."""
    from apiprobe._redact import redact_text

    keep = [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # 40 hex: a SHA-1, not an AWS secret
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
        "basic information about the outage",
        "token bucket refilled; session count 12",
        "GET /api/v1/users/123e4567-e89b-12d3-a456-426614174000",
        'x509: cannot verify signature: insecure algorithm ECDSA-SHA1" while trying to verify',  # Go's wording
    ]
    for text in keep:
        assert redact_text(text) == text


def test_redact_strings_walks_documents_but_not_binary() -> None:
    from apiprobe._redact import redact_strings

    doc = {
        "data": [{"hovertext": [PLANTED["jwt_bare"], "ok"], "name": PLANTED["url"], "y": {"bdata": AWS_SECRET}}],
        "layout": {"title": {"text": PLANTED["password"]}},
        "api_key": "k",
        "image/png": AWS_SECRET,
        "n": 3,
    }
    out = redact_strings(doc)
    text = repr(out)
    assert out["data"][0]["y"]["bdata"] == AWS_SECRET and out["image/png"] == AWS_SECRET  # binary kept
    assert out["api_key"] == REDACTED and out["n"] == 3
    assert not leaked(repr(out["data"][0]["hovertext"]) + repr(out["layout"]) + out["data"][0]["name"]), text

"""Redaction of secrets from anything a table or report shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

#: Names (headers, query parameters, log keys) whose values are secrets.
SECRET_NAME = re.compile(
    r"(authorization|cookie|token|secret|passw(or)?d|api[-_]?key|apikey|access[-_]?key|signature|"
    r"session|credential|private[-_]?key|x-amz-security-token|sig)$",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Return True when a header, parameter or field called ``name`` holds a secret."""
    return bool(SECRET_NAME.search(name.strip()))


def redact_url(url: str) -> str:
    """Return ``url`` with its password and secret query parameters replaced.

    >>> redact_url("https://bob:hunter2@api.test/x?token=abc&page=2")
    'https://bob:[REDACTED]@api.test/x?token=%5BREDACTED%5D&page=2'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{hostport}" if sep else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` with secret values replaced by ``[REDACTED]``."""
    return {k: (REDACTED if is_secret_name(k) else v) for k, v in headers.items()}


# Secrets inside free text (log messages, error strings, bodies): a bearer or
# basic credential, a key=value / "key": "value" pair whose key names a
# secret, and credentials in URLs.
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"""(?P<key>["']?[\w.-]*(?:authorization|cookie|token|secret|passw(?:or)?d|api[-_]?key|apikey|"""
    r"""access[-_]?key|signature|session|credential|private[-_]?key)["']?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<value>\[REDACTED\]|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}\]]+)""",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^/\s:@]+):(?P<pw>[^/\s@]+)@", re.IGNORECASE)


def redact_text(text: str) -> str:
    """Return ``text`` with credentials replaced by ``[REDACTED]``.

    >>> redact_text('login failed password=hunter2 user=bob')
    'login failed password=[REDACTED] user=bob'
    >>> redact_text('{"token": "abc.def", "n": 1} Authorization: Bearer eyJhbGciOi.x.y')
    '{"token": "[REDACTED]", "n": 1} Authorization: [REDACTED]'
    """
    if not text:
        return text

    def pair(m: re.Match[str]) -> str:
        value = m.group("value")
        quote = value[0] if value[:1] in "\"'" else ""
        return f"{m.group('key')}{m.group('sep')}{quote}{REDACTED}{quote}"

    out = _AUTH_SCHEME.sub(REDACTED, text)
    out = _SECRET_PAIR.sub(pair, out)
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{REDACTED}@", out)


def redact_value(value: object) -> object:
    """Redact a table cell: text via :func:`redact_text`, mappings by key and recursively."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_name(k) and v is not None else redact_value(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value

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

"""Redaction of secrets from anything a table or report shows: the one home of redaction.

URLs, headers, free text, table cells and request/response bodies each have
one function here; loaders, analysis and reports import them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

__all__ = [
    "REDACTED",
    "SECRET_NAME",
    "is_secret_name",
    "redact_body",
    "redact_headers",
    "redact_text",
    "redact_url",
    "redact_value",
]

#: What a secret value is replaced with.
REDACTED = "[REDACTED]"

#: Names (headers, query parameters, log keys) whose values are secrets.
SECRET_NAME = re.compile(
    r"(authorization|cookie|token|secret|passw(or)?d|api[-_]?key|apikey|access[-_]?key|signature|"
    r"session|credential|private[-_]?key|x-amz-security-token|sig)$",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or field called ``name`` holds a secret.

    Parameters
    ----------
    name : str
        The header, parameter or field name (case-insensitive; surrounding blanks ignored).

    Returns
    -------
    bool
        True when the name ends in a secret word (``token``, ``password``, ``api_key``…).
    """
    return bool(SECRET_NAME.search(name.strip()))


def redact_url(url: str) -> str:
    """Return ``url`` with its password and secret query parameters replaced.

    Parameters
    ----------
    url : str
        An absolute or relative URL.

    Returns
    -------
    str
        The URL with the userinfo password and the values of secret query
        parameters replaced by ``[REDACTED]`` (the query is re-encoded only
        when it held a secret).

    Examples
    --------
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
    """Return a copy of ``headers`` with secret values replaced by ``[REDACTED]``.

    Parameters
    ----------
    headers : Mapping of str to str
        Header names and values.

    Returns
    -------
    dict of str to str
        The same headers; values of secret names (:func:`is_secret_name`) replaced.
    """
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

    Parameters
    ----------
    text : str
        Free text: a log message, an error string, a body.

    Returns
    -------
    str
        ``text`` with bearer/basic credentials, ``key=value`` and ``"key": "value"``
        secrets and passwords in URLs replaced; an empty text is returned as is.

    Examples
    --------
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
    """Redact a table cell: text via :func:`redact_text`, mappings by key and recursively.

    Parameters
    ----------
    value : object
        A cell: str, mapping, list or anything else.

    Returns
    -------
    object
        Text redacted; a mapping as a new dict with the values of secret keys
        replaced (others redacted recursively); a list item by item; any other
        value unchanged.
    """
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


#: ``Bearer``/``Basic`` credentials in free text (the credential must hold a non-letter,
#: so that prose such as "basic information" stays readable).
_BEARER = re.compile(r"\b(Bearer|Basic)\s+(?=[A-Za-z.]*[0-9_~+/=-])[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_KV_SECRET = re.compile(r"(?<![\w.-])([A-Za-z][\w.-]{0,63})=([^\s&\"',;]+)")
_JSON_SECRET = re.compile(
    r'("(?P<key>[^"\\]{1,64})"\s*:\s*)"(?:[^"\\]|\\.)*"',
)


def _redact_json(value: Any) -> tuple[Any, bool]:
    """(value with secret keys replaced, whether anything was replaced)."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and is_secret_name(k) and v not in (None, "", False):
                out[k] = REDACTED
                changed = True
            else:
                out[k], sub = _redact_json(v)
                changed = changed or sub
        return out, changed
    if isinstance(value, list):
        items = [_redact_json(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def redact_body(text: str | None, content_type: str | None = None) -> str | None:
    """Return a request or response body with its secrets replaced by ``[REDACTED]``.

    JSON bodies lose the values of secret keys (``password``, ``access_token``,
    ``api_key``…, the names :func:`apiprobe._redact.is_secret_name` knows) at
    any depth; form bodies (``a=1&token=x``) the values of secret parameters;
    other text (a log message, JSON cut short by a body limit) its
    ``"key": "value"`` and ``key=value`` secrets; any text its ``Bearer`` /
    ``Basic`` credentials. A body with nothing to redact is returned
    unchanged (same formatting).

    Parameters
    ----------
    text : str or None
        The body; None or NA is returned as None.
    content_type : str, optional
        The body's media type, if known (only used to recognise form bodies).

    Returns
    -------
    str or None
        The body with its secrets replaced, None for a missing body.

    Examples
    --------
    >>> redact_body('{"user":"bob","password":"hunter2"}')
    '{"user":"bob","password":"[REDACTED]"}'
    >>> redact_body("Authorization: Bearer abcdef123456")
    'Authorization: Bearer [REDACTED]'
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    text = str(text)
    stripped = text.lstrip()
    structured = False
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass  # truncated or not quite JSON: redacted key by key below
        else:
            structured = True
            redacted, changed = _redact_json(parsed)
            if changed:
                compact = '": ' not in text and '", ' not in text
                text = json.dumps(redacted, ensure_ascii=False, separators=(",", ":") if compact else None)
    elif (content_type or "").lower().startswith("application/x-www-form-urlencoded") or (
        "=" in text and " " not in text.strip() and "&" in text
    ):
        structured = True
        pairs = parse_qsl(text.strip(), keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            text = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs])
    if not structured:
        # JSON fragments ("token": "…") and key=value pairs inside any other text
        text = _JSON_SECRET.sub(
            lambda m: f'{m.group(1)}"{REDACTED}"' if is_secret_name(m.group("key")) else m.group(0), text
        )
        text = _KV_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}" if is_secret_name(m.group(1)) else m.group(0), text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)

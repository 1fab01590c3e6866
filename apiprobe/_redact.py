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
    "redact_strings",
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


# Secrets inside free text (log messages, error strings, bodies, span names,
# figure hover texts). One list of detectors, applied by redact_text:
#   PEM private-key blocks, JWTs, AWS access key ids and secret keys, Cookie
#   header lines, Bearer/Basic/Token/Digest credentials, key=value and
#   "key": "value" pairs whose key names a secret, passwords in URLs.
_SECRET_WORDS = (
    r"authorization|cookie|token|secret|passw(?:or)?d|api[-_]?key|apikey|access[-_]?key|signature|"
    r"session|credential|private[-_]?key"
)
_PEM_PRIVATE = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
#: A JSON Web Token: three base64url parts, the first two JSON objects (``eyJ`` = ``{"``).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
#: AWS access key ids (``AKIA…`` long-term, ``ASIA…`` temporary, and the other IAM id prefixes).
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b")
#: An AWS secret access key: 40 base64 characters mixing upper, lower and digits or ``/+``
#: (a 40-hex SHA-1 has no upper case, so commit and object hashes stay readable).
_AWS_SECRET = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
    r"(?=[A-Za-z0-9/+]{0,39}[0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_COOKIE_LINE = re.compile(r"(?P<key>\b(?:set-)?cookie\s*:\s*)(?P<value>[^\r\n\"]+)", re.IGNORECASE)
#: ``Bearer``/``Token``/``Digest``/``Basic`` credentials; the credential must hold a digit, a
#: symbol or an inner capital, so that prose ("basic information", "token bucket") stays readable.
_AUTH_SCHEME = re.compile(
    r"\b(?P<scheme>Bearer|Token|Digest|Basic)\s+(?=(?-i:[A-Za-z]?[a-z.]*[A-Z0-9_~+/=-]))[A-Za-z0-9._~+/=-]{6,}",
    re.IGNORECASE,
)
_SECRET_PAIR = re.compile(
    rf"""(?P<key>\\?["']?[\w.-]*(?:{_SECRET_WORDS})(?:\\?["'])?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<value>(?:Bearer|Basic|Token|Digest)\s+(?:\[REDACTED\]|[^\s,;&}\]"]+)|\[REDACTED\]|"(?:[^"\\]|\\.)*"|'[^']*'|\\"(?:[^"\\]|\\[^"])*\\"|[^\s,;&}\]"]+)""",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^/\s:@]+):(?P<pw>[^/\s@]+)@", re.IGNORECASE)


def _pair(m: re.Match[str]) -> str:
    value = m.group("value")
    if value.strip("\"'\\") in (REDACTED, "%5BREDACTED%5D"):
        return m.group(0)
    if ":" in m.group("sep") and m.group("key").lower().endswith("signature") and value.isalpha() and value.islower():
        return m.group(0)  # prose, not a credential: Go's "x509: cannot verify signature: insecure algorithm …"
    # a JSON document logged as a string quotes with \": {\"password\": \"x\"}
    quote = '\\"' if value.startswith('\\"') else value[0] if value[:1] in "\"'" else ""
    return f"{m.group('key')}{m.group('sep')}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    """Return ``text`` with credentials replaced by ``[REDACTED]``.

    The one pass every string a report, a finding, a figure or the CLI shows
    goes through (tables keep raw data; see the README).

    Parameters
    ----------
    text : str
        Free text: a log message, an error string, a body, a span name.

    Returns
    -------
    str
        ``text`` with PEM private keys, JWTs, AWS access key ids and secret
        keys, Cookie header values, Bearer/Basic credentials, ``key=value`` and
        ``"key": "value"`` secrets and passwords in URLs replaced; an empty
        text is returned as is.

    Examples
    --------
    >>> redact_text('login failed password=hunter2 user=bob')
    'login failed password=[REDACTED] user=bob'
    >>> redact_text('{"token": "abc.def", "n": 1} Authorization: Bearer eyJhbGciOi.x.y')
    '{"token": "[REDACTED]", "n": 1} Authorization: [REDACTED]'
    >>> redact_text("key id AKIAIOSFODNN7EXAMPLE")
    'key id [REDACTED]'
    """
    if not text or not isinstance(text, str):
        return text
    out = _PEM_PRIVATE.sub(
        lambda m: f"-----BEGIN {m.group('kind')}-----{REDACTED}-----END {m.group('kind')}-----", text
    )
    out = _JWT.sub(REDACTED, out)
    out = _AWS_KEY_ID.sub(REDACTED, out)
    out = _AWS_SECRET.sub(REDACTED, out)
    out = _COOKIE_LINE.sub(lambda m: f"{m.group('key')}{REDACTED}", out)
    out = _AUTH_SCHEME.sub(lambda m: f"{m.group('scheme')} {REDACTED}", out)
    out = _SECRET_PAIR.sub(_pair, out)
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{REDACTED}@", out)


#: Keys of JSON documents (notebook outputs, plotly figures) whose strings are
#: binary payloads, never shown as text: base64 images and plotly's typed arrays.
_BINARY_KEYS = frozenset({"bdata", "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def redact_strings(value: Any) -> Any:
    """Every string in a JSON-like document through :func:`redact_text` (a new document).

    Used for figures (hover texts, labels, titles) and executed notebooks
    (every output a report shows). Values under secret keys are replaced
    whole; base64 payloads (``bdata``, images) are left as they are.

    Parameters
    ----------
    value : Any
        A string, mapping, list/tuple or any other value.

    Returns
    -------
    Any
        The same structure with its strings redacted; other values unchanged.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and k in _BINARY_KEYS:
                out[k] = v
            elif isinstance(k, str) and isinstance(v, str) and v and is_secret_name(k):
                out[k] = REDACTED
            else:
                out[k] = redact_strings(v)
        return out
    if isinstance(value, (list, tuple)):
        return [redact_strings(v) for v in value]
    return value


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
    'Authorization: [REDACTED]'
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    text = str(text)
    stripped = text.lstrip()
    structured = False
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
            redacted, changed = _redact_json(parsed)
            if changed:
                compact = '": ' not in text and '", ' not in text
                text = json.dumps(redacted, ensure_ascii=False, separators=(",", ":") if compact else None)
            structured = True
        except (ValueError, RecursionError):
            pass  # truncated, not quite JSON or absurdly deep: redacted key by key below
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
    return redact_text(text)

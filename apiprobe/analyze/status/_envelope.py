"""Error envelopes in response bodies: ``{"code": 1001, "message": ...}`` and friends."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from apiprobe.analyze.status._vocab import (
    _BUSINESS,
    _CODE_KEYS,
    _CONFLICT,
    _CSRF,
    _FAIL_STATUS,
    _FORBIDDEN,
    _INTERNAL,
    _MESSAGE_KEYS,
    _NOT_FOUND,
    _RATE,
    _SERVER_FAULT,
    _SUCCESS_CODES,
    _UNAUTH,
    _UNAVAILABLE,
    _VALIDATION,
)

__all__ = ["envelope_error"]

# --------------------------------------------------------------------------- body envelopes


def _is_empty(v: Any) -> bool:
    return v is None or v is False or v == "" or (isinstance(v, list | dict) and not v)


def _message_of(obj: Mapping[str, Any], fallback: str) -> str:
    for key in ("error", "errors", *_MESSAGE_KEYS):
        v = obj.get(key)
        if isinstance(v, str) and v.strip():
            return v
        if isinstance(v, Mapping):
            inner = _message_of(v, "")
            if inner:
                return inner
        if isinstance(v, list) and v:
            first = v[0]
            if isinstance(first, str):
                return first
            if isinstance(first, Mapping):
                inner = _message_of(first, "")
                if inner:
                    return inner
    return fallback


def _code_is_error(key: str, value: Any, obj: Mapping[str, Any]) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return value != 0 and not 200 <= value <= 299
    text = str(value).strip().lower()
    if not text or text in _SUCCESS_CODES:
        return False
    if re.fullmatch(r"-?\d+", text):
        number = int(text)
        return number != 0 and not 200 <= number <= 299
    # A string code ("OUT_OF_STOCK") is an error code only in an error envelope: with a message beside
    # it, or under a key that can only mean an error. {"code": "US"} is a country.
    return key != "code" or any(isinstance(obj.get(k), str) and obj.get(k) for k in _MESSAGE_KEYS)


def envelope_error(obj: Any) -> str | None:
    """The error an API response envelope reports, or None when it reports success.

    Recognises ``error``/``errors`` (non-empty), ``success: false``, ``ok:
    false``, ``status: "error"|"fail"``, and a non-zero ``code`` /
    ``errcode`` / ``error_code`` / ``errno`` (``0``, ``"OK"``, ``"SUCCESS"``
    and 2xx codes mean success).

    Parameters
    ----------
    obj : object
        A parsed JSON body; anything but a mapping reports no error.

    Returns
    -------
    str or None
        The envelope's message where it has one (else the field that reports
        the error, e.g. ``"success: false"``); None when it reports success.
    """
    if not isinstance(obj, Mapping):
        return None
    lower = {str(k).lower(): v for k, v in obj.items()}
    if not _is_empty(lower.get("error")) and lower.get("error") is not True:
        return _message_of(lower, "error")
    if lower.get("error") is True:
        return _message_of(lower, "error: true")
    if not _is_empty(lower.get("errors")) and isinstance(lower.get("errors"), list | dict | str):
        return _message_of(lower, "errors")
    for key in ("success", "ok", "succeeded"):
        v = lower.get(key)
        if v is False or (isinstance(v, str) and v.strip().lower() == "false"):
            return _message_of(lower, f"{key}: false")
    status = lower.get("status")
    if isinstance(status, str) and status.strip().lower() in _FAIL_STATUS:
        return _message_of(lower, f"status: {status}")
    for key in _CODE_KEYS:
        if key in lower and _code_is_error(key, lower[key], lower):
            return _message_of(lower, f"{key}: {lower[key]}")
    return None


_TRUNCATED_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'"error"\s*:\s*(?:"(?P<m>[^"]+)|\{|true)'), "error"),
    (re.compile(r'"errors"\s*:\s*(?:\[\s*[^\]\s]|\{\s*")'), "errors"),
    (re.compile(r'"(?:success|ok)"\s*:\s*false'), "success: false"),
    (re.compile(r'"status"\s*:\s*"(?:error|fail|failed|failure)"'), "status: error"),
    (re.compile(r'"(?:errcode|err_code|error_code|errno|errorcode)"\s*:\s*"?-?(?P<c>[1-9]\d*)'), "error code"),
    (re.compile(r'"code"\s*:\s*"?(?P<c>-?[1-9]\d*)\b'), "code"),
)


def _body_error(body: str, envelope: Mapping[str, Any] | None = None) -> str | None:
    """Error reported by a 2xx body (JSON, or JSON cut short), else by log-line envelope fields."""
    stripped = body.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            for pattern, label in _TRUNCATED_PATTERNS:
                m = pattern.search(stripped)
                if not m:
                    continue
                code = m.groupdict().get("c")
                if code is not None and (200 <= int(code) <= 299):
                    continue
                return m.groupdict().get("m") or label
        else:
            found = envelope_error(parsed)
            if found is not None:
                return found
    if envelope:
        return envelope_error(envelope)
    return None


def _status_for_error(text: str) -> int:
    """The status an error message calls for (what a 2xx with this error should have been)."""
    t = text.lower()
    if _UNAUTH.search(t) and not _CSRF.search(t):
        return 401
    if _FORBIDDEN.search(t):
        return 403
    if _RATE.search(t):
        return 429
    if _CONFLICT.search(t):
        return 409
    if _BUSINESS.search(t):
        return 422
    if _NOT_FOUND.search(t):
        return 404
    if _VALIDATION.search(t) and not _SERVER_FAULT.search(t):
        return 400
    if _UNAVAILABLE.search(t):
        return 503
    if _INTERNAL.search(t):
        return 500
    return 422

"""Values inside trace files: span and trace ids, attribute and tag values, kinds and statuses.

OTLP JSON, Jaeger JSON and Zipkin v2 spell these differently; the parsers in
:mod:`apiprobe.load.traces` turn them into the ``spans`` columns through here.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from typing import Any

from apiprobe.errors import InvalidParameterError

__all__ = [
    "SPAN_KINDS",
    "attr_http_status",
    "int_or_none",
    "jaeger_tags",
    "kind_name",
    "normalize_id",
    "otlp_attributes",
    "otlp_status",
    "tag_status",
]

#: Normalised values of the ``kind`` column.
SPAN_KINDS: tuple[str, ...] = ("internal", "server", "client", "producer", "consumer")

_OTLP_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_OTLP_STATUS = {0: "unset", 1: "ok", 2: "error"}
_HTTP_STATUS_KEYS = ("http.status_code", "http.response.status_code")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+=*$")

# --------------------------------------------------------------------------- ids


def normalize_id(value: Any, *, what: str = "id") -> str | None:
    """Return a trace or span id as lower-case hex, or None when it is absent.

    Parameters
    ----------
    value
        The id as found in the file: hex (any case, possibly without leading
        zeros), base64 of the raw bytes (as some OTLP/JSON exporters write
        it), an integer, or empty / all zeros for "no id". Hex shorter than
        16 digits is left-padded to 16, between 17 and 31 digits to 32 (Jaeger
        may drop leading zeros; 64-bit ids stay 16 digits, as Zipkin writes them).
    what : str, default "id"
        Name used in the error message.

    Returns
    -------
    str or None
        16 or 32 lower-case hex digits; None for an absent or all-zero id.

    Raises
    ------
    InvalidParameterError
        When ``value`` is neither hex nor base64 of 8 or 16 bytes.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidParameterError(f"{what} {value!r} is not an id")
    if isinstance(value, int):
        if value < 0:
            value &= (1 << 64) - 1
        text = format(value, "x")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise InvalidParameterError(f"{what} {value!r} is not a string")
    if not text:
        return None
    if _HEX.match(text) and len(text) <= 32:
        width = 16 if len(text) <= 16 else 32
        out = text.lower().rjust(width, "0")
    elif _B64.match(text):
        bare = text.rstrip("=")
        padded = bare + "=" * (-len(bare) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameterError(f"{what} {value!r} is neither hex nor base64") from None
        if len(raw) not in (8, 16):
            raise InvalidParameterError(f"{what} {value!r} decodes to {len(raw)} bytes, expected 8 or 16")
        out = raw.hex()
    else:
        raise InvalidParameterError(f"{what} {value!r} is neither hex nor base64")
    if set(out) == {"0"}:
        return None
    return out


# --------------------------------------------------------------------------- values


def _any_value(value: Any) -> Any:
    """Python value of an OTLP ``AnyValue`` (``{"stringValue": …}`` …)."""
    if not isinstance(value, Mapping):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        v = value["boolValue"]
        return v if isinstance(v, bool) else str(v).lower() == "true"
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            return value["doubleValue"]
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        return [_any_value(v) for v in items]
    if "kvlistValue" in value:
        return otlp_attributes((value["kvlistValue"] or {}).get("values") or [])
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def otlp_attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(items, Mapping):  # some writers emit a plain object
        return dict(items)
    for kv in items or []:
        if isinstance(kv, Mapping) and "key" in kv:
            out[str(kv["key"])] = _any_value(kv.get("value"))
    return out


def _jaeger_tag_value(tag: Mapping[str, Any]) -> Any:
    value = tag.get("value")
    kind = str(tag.get("type") or tag.get("vType") or "string").lower()
    try:
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        if kind in ("int64", "int"):
            return int(value)  # type: ignore[arg-type]
        if kind in ("float64", "float"):
            return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value
    return value


def jaeger_tags(tags: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag in tags or []:
        if isinstance(tag, Mapping) and "key" in tag:
            out[str(tag["key"])] = _jaeger_tag_value(tag)
    return out


def int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a float infinity
        try:
            f = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(f):
            return None
        out = int(f)
    return out


def attr_http_status(attrs: Mapping[str, Any]) -> int | None:
    for key in _HTTP_STATUS_KEYS:
        if key in attrs:
            code = int_or_none(attrs[key])
            if code is not None and 100 <= code <= 999:
                return code
    return None


def kind_name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _OTLP_KINDS.get(value)
    text = str(value).strip().lower()
    if text.isdigit():
        return _OTLP_KINDS.get(int(text))
    text = text.removeprefix("span_kind_")
    return text if text in SPAN_KINDS else None


def otlp_status(status: Any) -> str:
    if not isinstance(status, Mapping):
        return "unset"
    code = status.get("code")
    if code is None:
        return "unset"
    if isinstance(code, int) and not isinstance(code, bool):
        return _OTLP_STATUS.get(code, "unset")
    text = str(code).strip().lower().removeprefix("status_code_")
    if text.isdigit():
        return _OTLP_STATUS.get(int(text), "unset")
    return text if text in ("ok", "error", "unset") else "unset"


def tag_status(attrs: Mapping[str, Any], *, zipkin: bool) -> str:
    code = str(attrs.get("otel.status_code", "")).strip().upper()
    if code == "ERROR":
        return "error"
    if "error" in attrs:
        err = attrs["error"]
        if zipkin or err is True or str(err).strip().lower() == "true":
            return "error"
    if code == "OK":
        return "ok"
    return "unset"

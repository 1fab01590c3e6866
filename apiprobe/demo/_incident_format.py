"""How the demo incident's Go services write times, numbers, durations and log fields.

Each helper reproduces one Go formatter byte for byte (``time.RFC3339``,
``strconv.FormatFloat``, ``time.Duration.String``, logrus' and go-kit's value
quoting), so the generated logs read like the real loggers' output.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from apiprobe.demo._incident_story import _MS, _S


def _utc(ns: int) -> tuple[str, int]:
    sec, frac = divmod(ns, _S)
    return datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S"), frac


def _rfc3339(ns: int) -> str:
    """Go ``time.RFC3339`` (seconds): zerolog's and logrus' default."""
    return _utc(ns)[0] + "Z"


def _rfc3339_ms(ns: int) -> str:
    """slog's handlers: always three fraction digits."""
    base, frac = _utc(ns)
    return f"{base}.{frac // _MS:03d}Z"


def _rfc3339_nano(ns: int) -> str:
    """Go ``time.RFC3339Nano``: trailing zeros trimmed (go-kit's ``DefaultTimestampUTC``)."""
    base, frac = _utc(ns)
    return base + ("." + f"{frac:09d}".rstrip("0") if frac else "") + "Z"


def _gofloat(x: float) -> str:
    """``strconv.FormatFloat(x, 'f', -1, 64)``: shortest round-trip digits, no exponent."""
    s = repr(float(x))
    if "e" in s:
        s = f"{x:.17f}".rstrip("0")
    return s


def _godur(ns: int) -> str:
    """``time.Duration.String()`` for durations under a minute."""
    if ns < 1000:
        return f"{ns}ns"
    unit, scale = ("µs", 1000) if ns < _MS else ("ms", _MS) if ns < _S else ("s", _S)
    whole, frac = divmod(ns, scale)
    digits = len(str(scale)) - 1
    return f"{whole}" + ("." + f"{frac:0{digits}d}".rstrip("0") if frac else "") + unit


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _logrus_value(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and all(c.isascii() and (c.isalnum() or c in "-._/@^+") for c in text):
        return text
    return json.dumps(text)


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and not any(c <= " " or c in '="' for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _logrus_text(ns: int, level: str, msg: str, fields: dict[str, Any]) -> str:
    parts = [f"time={_logrus_value(_rfc3339(ns))}", f"level={level}", f"msg={_logrus_value(msg)}"]
    parts += [f"{k}={_logrus_value(fields[k])}" for k in sorted(fields)]
    return " ".join(parts)


def _ms(x: float) -> int:
    return round(x * _MS)


def _round3(ns: int) -> float:
    return round(ns / _MS, 3)

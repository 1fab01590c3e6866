"""HAR 1.2 archives (what browsers and proxies export) as a probes-like table.

A HAR file is JSON: ``log.entries[]``, one entry per request, each with
``startedDateTime``, ``time``, ``request`` (method, url, headers, postData),
``response`` (status, httpVersion, headers, content {mimeType, text,
encoding}), ``timings`` (blocked, dns, connect, ssl, send, wait, receive) and
optionally ``pageref``, ``serverIPAddress`` and ``connection``.

The timings map onto the probes phases:

=============  ===========  =================================================
HAR timing     probes       note
=============  ===========  =================================================
``dns``        dns_ms
``connect``    connect_ms   minus ``ssl``: HAR 1.2 counts the TLS handshake
                            inside ``connect``; an exporter whose ``connect``
                            is smaller than ``ssl`` did not, and is kept as is
``ssl``        tls_ms
``send``       request_ms
``wait``       ttfb_ms
``receive``    transfer_ms
``time``       total_ms     the entry's total, including ``blocked``
``blocked``    blocked_ms   queueing in the browser (extra column)
=============  ===========  =================================================

``-1`` means "does not apply" (a reused connection has no DNS or connect
phase) and becomes NA, never 0. ``reused_conn`` is True when ``connect`` is
-1 (Chrome) or 0 (Firefox writes ``0`` instead of ``-1`` for the phases of a
reused connection) and the request phases (send, wait, receive) were
measured; the zero DNS, connect and TLS phases of a reused connection become
NA too, other zeros are kept as written. ``connect`` 0 with a positive
``dns`` or ``ssl`` is a new connection (False), as is any positive
``connect``. When the entry has no ``timings``, no ``connect``, or nothing
measured at all, ``reused_conn`` is NA: the file does not say.

Requests that got no response (Chrome: status 0 and ``_error:
"net::ERR_…"``) have NA status and an ``error_kind`` mapped from the Chrome
error where one fits. A numeric string status (``"200"``) is read as the
number; any other non-numeric status is NA with an ``error`` note and
``parse_ok`` False (the entry is malformed, not a request without a
response), and no ``error_kind``.

Secrets are redacted before anything reaches the table: URL passwords and
secret query parameters (``token``, ``api_key``, ``sig``…), the values of
``Authorization``, ``Cookie``, ``Set-Cookie`` and other secret headers, and
secret keys of JSON or form bodies (``password``, ``access_token``…) as well
as ``Bearer`` tokens in free text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import io
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

import pandas as pd
from pandas.api.types import pandas_dtype
from pandas.errors import OutOfBoundsDatetime

from apiprobe._redact import redact_body, redact_headers, redact_url
from apiprobe.errors import DataFormatError
from apiprobe.load._paths import refusal
from apiprobe.load._sniff import describe_json, judge_bytes
from apiprobe.load._text import decode_text, parse_json
from apiprobe.schema import columns, conform

__all__ = ["HAR_EXTRA_COLUMNS", "parse_har", "read_har", "redact_body"]

#: Columns a HAR table has after the ``probes`` columns, with their dtypes.
HAR_EXTRA_COLUMNS: dict[str, str] = {
    "body": "string",
    "content_type": "string",
    "request_body": "string",
    "request_content_type": "string",
    "page": "string",
    "blocked_ms": "float64",
    "request_headers": "object",
    "response_headers": "object",
    "connection": "string",
    "entry": "Int64",
    "parse_ok": "boolean",
    "source_file": "string",
}

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

#: Chrome's ``response._error`` (net::ERR_*) → ``error_kind``.
_CHROME_ERRORS: dict[str, str] = {
    "ERR_NAME_NOT_RESOLVED": "dns_failure",
    "ERR_NAME_RESOLUTION_FAILED": "dns_failure",
    "ERR_CONNECTION_REFUSED": "connect_refused",
    "ERR_CONNECTION_TIMED_OUT": "connect_timeout",
    "ERR_CONNECTION_FAILED": "connect_error",
    "ERR_ADDRESS_UNREACHABLE": "connect_error",
    "ERR_CONNECTION_RESET": "connection_reset",
    "ERR_CONNECTION_CLOSED": "eof",
    "ERR_EMPTY_RESPONSE": "eof",
    "ERR_INCOMPLETE_CHUNKED_ENCODING": "connection_reset",
    "ERR_CONTENT_LENGTH_MISMATCH": "connection_reset",
    "ERR_TIMED_OUT": "read_timeout",
    "ERR_CERT_AUTHORITY_INVALID": "tls_untrusted",
    "ERR_CERT_DATE_INVALID": "tls_expired",
    "ERR_CERT_COMMON_NAME_INVALID": "tls_hostname",
    "ERR_SSL_PROTOCOL_ERROR": "tls_error",
    "ERR_SSL_VERSION_OR_CIPHER_MISMATCH": "tls_error",
    "ERR_INVALID_HTTP_RESPONSE": "protocol_error",
    "ERR_INVALID_RESPONSE": "protocol_error",
    "ERR_ABORTED": "canceled",
}

_TEXT_TYPES = re.compile(
    r"^(text/|application/(.*[+/])?(json|xml|javascript|x-www-form-urlencoded|graphql))", re.IGNORECASE
)


def _ms(value: Any) -> float | None:
    """A HAR timing: a non-negative number, or None for -1 / missing / junk."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None


def _status(value: Any) -> tuple[int | None, str | None]:
    """``(status, problem)`` from ``response.status``.

    Numbers and numeric strings (``"200"``, some exporters write those) give
    the status; a missing status gives ``(None, None)`` (no response); any
    other value gives ``(None, why)`` so the entry is flagged, not treated
    as a request that got no response.
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a number"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        return (int(value), None) if math.isfinite(value) else (None, f"{value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError, OverflowError):
            number = float(text)
            if math.isfinite(number) and number == int(number):
                return int(number), None
        return None, f"{value!r} is not a number"
    return None, f"{type(value).__name__} is not a number"


#: Timings that exist whether or not the request opened a new connection.
_REQUEST_PHASES = ("send", "wait", "receive")


def _reused(timings: Mapping[str, Any]) -> bool | None:
    """Whether the entry reused a connection, from its ``timings``; None when the file does not say.

    ``connect`` -1 (Chrome) or 0 (Firefox) with request phases present means
    reused; a positive ``connect`` means a new connection. ``connect`` 0
    with a positive ``dns`` or ``ssl`` is a new (fast) connection. Missing
    ``timings`` or ``connect``, a non-numeric ``connect``, or a -1/0
    ``connect`` without any request phase (nothing was measured) say
    nothing: None. :func:`_mark_reused` refines the 0 case with
    ``connection`` ids.
    """
    connect = timings.get("connect")
    if isinstance(connect, bool) or not isinstance(connect, int | float) or connect != connect:
        return None
    if connect > 0:
        return False
    if not any(_ms(timings.get(k)) is not None for k in _REQUEST_PHASES):
        return None
    # connect 0 after a measured DNS lookup or TLS handshake: a fast new connection
    return not (connect == 0 and any((_ms(timings.get(k)) or 0) > 0 for k in ("dns", "ssl")))


def _http_version(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    v = value.strip().lower()
    if v in ("h2", "h2c", "http/2", "http/2.0"):
        return "HTTP/2"
    if v in ("h3", "http/3", "http/3.0") or v.startswith("h3-"):
        return "HTTP/3"
    if v.startswith("http/"):
        return "HTTP/" + v[5:]
    return value.strip()


#: Headers whose values are URLs that may carry secret query parameters.
_URL_HEADERS = frozenset({":path", "referer", "location", "content-location", "origin"})


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with secret values and secret URL query parameters redacted."""
    out = redact_headers(headers)
    for name in _URL_HEADERS & out.keys():
        out[name] = redact_url(out[name])
    return out


def _headers(value: Any) -> dict[str, str]:
    """HAR ``[{name, value}]`` headers as a dict (lower-case names, repeats joined by ``, ``)."""
    out: dict[str, str] = {}
    if not isinstance(value, list):
        return out
    for h in value:
        if not isinstance(h, Mapping):
            continue
        name = str(h.get("name", "")).strip().lower()
        if not name:
            continue
        val = str(h.get("value", ""))
        out[name] = f"{out[name]}, {val}" if name in out else val
    return out


def _charset(mime: str | None) -> str:
    if mime:
        m = re.search(r"charset=\"?([\w.:-]+)", mime, re.IGNORECASE)
        if m:
            try:
                return codecs.lookup(m.group(1)).name
            except LookupError:
                pass
    return "utf-8"


def _content_text(content: Mapping[str, Any], mime: str | None) -> str | None:
    """Decoded response text, or None when absent or binary."""
    text = content.get("text")
    if not isinstance(text, str):
        return None
    encoding = str(content.get("encoding") or "").lower()
    if encoding == "base64":
        try:
            raw = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return None
        try:
            return raw.decode(_charset(mime))
        except (UnicodeDecodeError, LookupError):
            if mime and _TEXT_TYPES.match(mime):
                return raw.decode(_charset(mime), "replace")
            return None  # binary (an image, a font): no text body
    return text


def _post_text(post: Any) -> tuple[str | None, str | None]:
    """(request body text, its media type) from ``request.postData``."""
    if not isinstance(post, Mapping):
        return None, None
    mime = post.get("mimeType")
    mime = str(mime) if isinstance(mime, str) and mime else None
    text = post.get("text")
    if isinstance(text, str):
        if str(post.get("encoding") or "").lower() == "base64":  # not in HAR 1.2, but some tools write it
            with contextlib.suppress(binascii.Error, ValueError):
                text = base64.b64decode(text).decode("utf-8", "replace")
        return text, mime
    params = post.get("params")
    if isinstance(params, list):
        pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params if isinstance(p, Mapping)]
        return urlencode(pairs), mime or "application/x-www-form-urlencoded"
    return None, mime


def _entry_row(entry: Any, index: int, pages: Mapping[str, str], body_limit: int | None) -> dict[str, Any]:
    """One table row from one HAR entry (``parse_ok`` False when the entry is malformed)."""
    row: dict[str, Any] = {"entry": index, "parse_ok": True}
    if not isinstance(entry, Mapping):
        return {**row, "parse_ok": False, "error": f"entry {index} is not an object"}
    request = entry.get("request")
    response = entry.get("response")
    problems = []
    if not isinstance(request, Mapping) or not isinstance(request.get("url"), str):
        problems.append("request.url")
        request = request if isinstance(request, Mapping) else {}
    if not isinstance(response, Mapping):
        problems.append("response")
        response = {}
    started = entry.get("startedDateTime")
    ts = pd.to_datetime(started, utc=True, errors="coerce", format="ISO8601") if isinstance(started, str) else None
    if ts is not None and not pd.isna(ts):
        try:
            ts = ts.as_unit("ns")  # Go's zero time (year 1) or year 9999 do not fit: NA, the entry kept
        except (OutOfBoundsDatetime, OverflowError):
            ts = None
    if ts is None or pd.isna(ts):
        problems.append("startedDateTime")
        ts = None
    row["ts"] = ts

    url = request.get("url") if isinstance(request.get("url"), str) else None
    if url:
        safe = redact_url(url)
        row["url"] = row["target"] = safe
        parts = urlsplit(url)
        row["scheme"] = parts.scheme.lower() or None
        row["host"] = parts.hostname
        try:
            row["port"] = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            problems.append("request.url port")
    method = request.get("method")
    row["method"] = str(method).upper() if isinstance(method, str) and method else None
    req_headers = _headers(request.get("headers"))
    row["request_headers"] = _safe_headers(req_headers)
    req_text, req_mime = _post_text(request.get("postData"))
    row["request_body"] = redact_body(req_text, req_mime)
    row["request_content_type"] = req_mime or req_headers.get("content-type")

    status, bad_status = _status(response.get("status"))
    if bad_status:
        problems.append(f"response.status ({bad_status})")
    failed = not bad_status and (status is None or status <= 0)
    row["status"] = None if failed else status
    row["http_version"] = _http_version(response.get("httpVersion") or request.get("httpVersion"))
    resp_headers = _headers(response.get("headers"))
    row["response_headers"] = _safe_headers(resp_headers)
    content: Mapping[str, Any] = response["content"] if isinstance(response.get("content"), Mapping) else {}
    mime = content.get("mimeType") if isinstance(content.get("mimeType"), str) else None
    mime = mime or resp_headers.get("content-type")
    row["content_type"] = mime.strip() if mime else None
    body = _content_text(content, mime)
    if body is not None and body_limit is not None:
        body = body[:body_limit]
    row["body"] = redact_body(body, mime)
    body_size = response.get("bodySize")
    content_size = content.get("size")
    size = _ms(body_size)
    if size is None or (size == 0 and (_ms(content_size) or 0) > 0 and status != 304):
        size = _ms(content_size)
    row["bytes"] = None if failed or size is None else int(size)

    timings: Mapping[str, Any] = entry["timings"] if isinstance(entry.get("timings"), Mapping) else {}
    dns, connect, ssl_ms = _ms(timings.get("dns")), _ms(timings.get("connect")), _ms(timings.get("ssl"))
    if connect is not None and ssl_ms is not None and connect >= ssl_ms:
        connect -= ssl_ms
    row.update(
        dns_ms=dns,
        connect_ms=connect,
        tls_ms=ssl_ms,
        request_ms=_ms(timings.get("send")),
        ttfb_ms=_ms(timings.get("wait")),
        transfer_ms=_ms(timings.get("receive")),
        blocked_ms=_ms(timings.get("blocked")),
    )
    total = _ms(entry.get("time"))
    if total is None:
        phases = [_ms(timings.get(k)) for k in ("blocked", "dns", "connect", "send", "wait", "receive")]
        total = sum(p for p in phases if p is not None) if any(p is not None for p in phases) else None
    row["total_ms"] = None if failed else total
    row["reused_conn"] = None if failed else _reused(timings)
    if failed:  # exporters write 0 for the phases that never happened
        row.update(request_ms=None, ttfb_ms=None, transfer_ms=None)
    ip = entry.get("serverIPAddress")
    row["ip"] = ip.strip("[]") if isinstance(ip, str) and ip else None
    conn = entry.get("connection")
    row["connection"] = str(conn) if conn not in (None, "") else None
    pageref = entry.get("pageref")
    row["page"] = pages.get(pageref, pageref) if isinstance(pageref, str) else None

    if failed and not bad_status:
        err = response.get("_error") or entry.get("_error")
        code = str(err).strip().removeprefix("net::") if err else ""
        row["error_kind"] = _CHROME_ERRORS.get(code, "error")
        row["error"] = str(err) if err else "no response recorded (status 0)"
    if problems:
        row["parse_ok"] = False
        note = f"malformed HAR entry {index}: missing or invalid {', '.join(problems)}"
        row["error"] = f"{row['error']}; {note}" if row.get("error") else note
    return row


def _mark_reused(rows: list[dict[str, Any]]) -> None:
    """Firefox writes 0 (not -1) for the phases of a reused connection: drop those zeros.

    A row marked reused (``connect`` -1 or 0, see :func:`_reused`) did not
    go through DNS, connect or TLS: its zero phases become NA.
    """
    for row in rows:
        if row.get("reused_conn"):
            for phase in ("dns_ms", "connect_ms", "tls_ms"):
                if row.get(phase) == 0:
                    row[phase] = None


def _load_json(data: bytes | str, name: str) -> Any:
    text = decode_text(data, name, what="HAR file") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if not text.strip():
        raise DataFormatError(f"{name}: empty file; not a HAR file")
    return parse_json(text, name, what="HAR file")


def parse_har(
    data: bytes | str | IO[bytes] | IO[str] | Mapping[str, Any],
    *,
    source: str = "<har>",
    body_limit: int | None = 65536,
) -> pd.DataFrame:
    """Parse a HAR 1.2 archive given as bytes, text, a file object or the decoded JSON.

    Each row is one HAR entry (one request), in file order; see
    :func:`read_har` for the columns.

    Parameters
    ----------
    data : bytes, str, file object or mapping
        The archive: JSON bytes (optionally gzip-compressed), text, a binary
        or text file object, or the already decoded ``{"log": ...}`` mapping.
    source : str, default "<har>"
        Name used in error messages and the ``source_file`` column.
    body_limit : int or None, default 65536
        Keep at most this many characters of each response body (None: all).

    Returns
    -------
    pandas.DataFrame
        The ``probes`` columns plus :data:`HAR_EXTRA_COLUMNS`, one row per entry.

    Raises
    ------
    DataFormatError
        When the input is not JSON, or not a HAR archive (no ``log.entries``).
    """
    raw: Any = data.read() if isinstance(data, io.IOBase) or hasattr(data, "read") else data
    doc = raw if isinstance(raw, Mapping) else _load_json(raw, source)
    log = doc.get("log") if isinstance(doc, Mapping) else None
    if not isinstance(log, Mapping):
        other = describe_json(doc)
        hint = f" (this is {other.what}: read it with {other.reader})" if other.kind not in (None, "har") else ""
        raise DataFormatError(f"{source}: not a HAR file: the JSON has no top-level 'log' object{hint}")
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise DataFormatError(f"{source}: not a HAR file: 'log.entries' is missing or not a list")
    pages: dict[str, str] = {}
    for page in log.get("pages") or []:
        if isinstance(page, Mapping) and isinstance(page.get("id"), str):
            title = page.get("title")
            pages[page["id"]] = title if isinstance(title, str) and title else page["id"]
    rows = [_entry_row(e, i, pages, body_limit) for i, e in enumerate(entries)]
    _mark_reused(rows)
    run_id = None if source == "<har>" else re.sub(r"(\.gz)?(\.har|\.json)?(\.gz)?$", "", Path(source).name)
    probe_cols = columns("probes")
    df = conform([{k: r.get(k) for k in probe_cols} | {"run_id": run_id} for r in rows], "probes")
    n = len(df)
    for col, dtype in HAR_EXTRA_COLUMNS.items():
        values = [r.get(col) for r in rows] if col != "source_file" else [source] * n
        series = pd.Series(values, index=df.index, dtype=object)
        df[col] = series if dtype == "object" else series.astype(pandas_dtype(dtype))
    df.attrs["bad_entries"] = int((~df["parse_ok"].astype(bool)).sum()) if n else 0
    creator = log.get("creator")
    if isinstance(creator, Mapping):
        df.attrs["creator"] = f"{creator.get('name', '')} {creator.get('version', '')}".strip()
    return df


def read_har(path: str | os.PathLike[str], *, body_limit: int | None = 65536) -> pd.DataFrame:
    """Read a HAR 1.2 file (``.har`` or gzip-compressed) exported by a browser or proxy.

    Each row is one request of the archive, in file order, with the
    ``probes`` columns (:mod:`apiprobe.schema`) and extra columns:

    * ``ts`` — ``startedDateTime`` in UTC; ``url``/``target`` — the URL with
      secrets redacted; ``method``, ``host``, ``port``, ``scheme``, ``ip``
      (``serverIPAddress``);
    * ``dns_ms``, ``connect_ms`` (TCP only: ``connect`` − ``ssl``), ``tls_ms``
      (``ssl``), ``request_ms`` (``send``), ``ttfb_ms`` (``wait``),
      ``transfer_ms`` (``receive``), ``total_ms`` (``time``), ``blocked_ms``
      (``blocked``): float milliseconds, NA where HAR says ``-1``;
    * ``status`` (NA when no response came), ``http_version`` (``HTTP/1.1``,
      ``HTTP/2``, ``HTTP/3``), ``bytes`` (``response.bodySize``, else
      ``content.size``), ``reused_conn`` (True when ``connect`` is ``-1``
      or 0 and the request phases were measured, False when a connection
      was opened, NA when ``timings``/``connect`` are missing),
      ``error_kind``/``error`` for requests without a response (``error``
      also notes a malformed entry, such as a non-numeric status);
    * ``body`` — the response text (base64 decoded; NA for binary content),
      at most ``body_limit`` characters; ``content_type``; ``request_body``
      and ``request_content_type`` (``postData``); ``request_headers`` and
      ``response_headers`` (dicts, lower-case names); all redacted;
    * ``page`` (the page title of ``pageref``), ``connection``, ``entry``
      (position in the file, from 0), ``parse_ok`` (False for a malformed
      entry, kept as a row and counted in ``df.attrs["bad_entries"]``),
      ``source_file``; ``run_id`` is the file name without suffix.

    Parameters
    ----------
    path : str or path-like
        The HAR file.
    body_limit : int or None, default 65536
        Keep at most this many characters of each response body (None: all).

    Returns
    -------
    pandas.DataFrame
        The ``probes`` columns plus :data:`HAR_EXTRA_COLUMNS`, one row per entry.

    Raises
    ------
    DataFormatError
        When the file is missing, not JSON (with line and column), or not a
        HAR archive (another kind of evidence names the function that reads it).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{p}: cannot read HAR file: {exc.strerror or exc}") from exc
    message = refusal(str(p), *judge_bytes(data, p.name), "har", "a HAR file")
    if message is not None:
        raise DataFormatError(message)
    return parse_har(data, source=str(p), body_limit=body_limit)

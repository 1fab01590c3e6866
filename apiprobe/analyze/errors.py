"""Error taxonomy for log events: classify, aggregate over time, and detect bursts and new errors.

:func:`classify_errors` fills ``error_kind`` (vocabulary
:data:`~apiprobe.schema.ERROR_KINDS`) and adds ``error_layer`` (keys of
:data:`~apiprobe.schema.ERROR_LAYERS`), ``retryable`` and ``error_rule`` to an
``events`` table. Each line is classified from, in order:

1. an ``error_kind`` value already in the table;
2. an explicit code in ``attrs``: ``error_kind``, ``error_code`` (also
   ``errorCode``, ``err_code``) or ``code`` (a vocabulary kind, an alias such
   as ``ECONNREFUSED``, ``UNAVAILABLE`` or ``rate_limit_exceeded``, or an HTTP
   status); an Arrow struct/map column and an object column of dicts both work;
3. the Go error string in ``error`` — or in ``msg`` when ``error`` is NA and
   the line is not at trace/debug/info level — matched against
   :data:`ERROR_PATTERNS` (first matching rule wins; the most specific rules
   come first, so ``context deadline exceeded (Client.Timeout exceeded while
   awaiting headers)`` is a ``read_timeout``, not a bare ``deadline_exceeded``);
4. the HTTP ``status``: 429 → ``rate_limited``, 5xx → ``server_error``, other
   4xx → ``client_error`` (401, 403 and 404 are left out, as the vocabulary says:
   they are usually answers, not failures);
5. otherwise a line with an error text, an unknown error code, or at
   error/fatal level is ``error`` (an unexpected failure). A success-like code
   (0, "0", "", "OK", "success", a 2xx/3xx number) is never an error; an
   unknown ``error_code`` / ``error_kind`` value is, but an unknown ``code``
   only when it is a non-numeric string on a warn/error/fatal line (``code``
   is as often a country or product code).

Re-classifying a classified table gives the same result: kinds that came from
an explicit ``error_kind`` are kept, the others are derived again.

``retryable`` answers "can a retry of the same (idempotent) request
succeed?": True for refused and reset connections, GOAWAY, closed idle
connections, pool timeouts, 502/503/504 and 429 (after the back-off it asks
for); False for certificate errors, NXDOMAIN, validation errors, an open
breaker and the caller's own cancellation; **NA means "maybe"**: a
``deadline_exceeded`` or read timeout may be worth one retry only when the
caller's budget has time left and the request is idempotent (the server may
have done the work), and a bare 500 may be a deterministic bug.

Classification is vectorised over the distinct values: each distinct error
string, code and status is classified once (regexes run through pyarrow's
RE2 over the distinct strings) and the result is mapped back to the rows.

:func:`error_counts` and :func:`error_summary` aggregate the classified lines;
:func:`detect_error_findings` compares an incident window with a baseline and
reports bursts, new errors, pool exhaustion, timeouts, retry storms and
breaker flapping (handbook §3.3 and the section of each kind).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe._redact import redact_url
from apiprobe._time import utc_window
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.pool import POOL_LOG_PATTERNS
from apiprobe.analyze.templates import mine_templates
from apiprobe.analyze.tls import _GO_LOG_CAUSES
from apiprobe.schema import ERROR_KINDS

__all__ = [
    "ERROR_PATTERNS",
    "KIND_DEFAULTS",
    "ErrorRule",
    "classify_error_text",
    "classify_errors",
    "detect_error_findings",
    "error_counts",
    "error_summary",
    "error_taxonomy",
]


@dataclass(frozen=True)
class ErrorRule:
    """One rule of the error taxonomy.

    Attributes
    ----------
    name
        Short identifier, shown in the ``error_rule`` column.
    pattern
        Regular expression searched anywhere in the error text (RE2 syntax,
        which is also valid for Python's :mod:`re`).
    kind
        ``error_kind`` given to a match (a key of :data:`~apiprobe.schema.ERROR_KINDS`).
    layer
        ``error_layer`` (a key of :data:`~apiprobe.schema.ERROR_LAYERS`).
    retryable
        Whether a retry can help: True, False, or None for "maybe".
    example
        A verbatim error this rule classifies (tests check each one).
    note
        What the message means.
    case_sensitive
        Match case-sensitively (``EOF``, gobreaker's lower-case ``too many requests``).
    """

    name: str
    pattern: str
    kind: str
    layer: str
    retryable: bool | None
    example: str = ""
    note: str = ""
    case_sensitive: bool = False


#: For every ``error_kind``: (layer, retryable) when only the kind is known (None: unknown / maybe).
KIND_DEFAULTS: dict[str, tuple[str | None, bool | None]] = {
    "dns_failure": ("dns", True),
    "dns_timeout": ("dns", True),
    "nxdomain": ("dns", False),
    "servfail": ("dns", True),
    "connect_refused": ("connect", True),
    "connect_timeout": ("connect", True),
    "connect_error": ("connect", None),
    "tls_error": ("tls", False),
    "tls_untrusted": ("tls", False),
    "tls_expired": ("tls", False),
    "tls_hostname": ("tls", False),
    "tls_timeout": ("tls", True),
    "write_error": ("request", True),
    "read_timeout": ("request", None),
    "body_timeout": ("response", None),
    "connection_reset": ("response", True),
    "protocol_error": ("response", False),
    "deadline_exceeded": ("client", None),
    "canceled": ("client", False),
    "pool_timeout": ("pool", True),
    "idle_conn_closed": ("response", True),
    "goaway": ("response", True),
    "eof": ("response", True),
    "conn_closed": ("pool", True),
    "breaker_open": ("breaker", False),
    "rate_limited": ("server", True),
    "server_error": ("server", None),
    "client_error": ("client", False),
    "error": (None, None),
}


def _escape(fragment: str) -> str:
    """Escape regex metacharacters the same way for RE2 and Python."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", fragment)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


_STATUS = r"(?:status(?: ?code)?|code|HTTP)\W{0,3}"

# Go's resolver errors only: net.DNSError prints "lookup <name> on <server>: <err>" (Go resolver) or
# "lookup <name>: <err>", and a dial wraps it as "dial tcp: lookup <name>…". A bare "lookup " is not
# enough: Go code wraps its own errors as "lookup user 42: …" and "cache lookup for key … timed out".
_DNS_HOST = r"[\w.\-]+"
_DNS_SERVER = r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+(?:%[\w.\-]+)?\])(?::\d+)?"
_DNS_LOOKUP = rf"\blookup {_DNS_HOST} on {_DNS_SERVER}:|\bdial (?:tcp|udp)[46]?: lookup {_DNS_HOST}"

_TLS_CHECK_KINDS = {
    "expired": "tls_expired",
    "not_yet_valid": "tls_expired",
    "hostname_mismatch": "tls_hostname",
    "missing_intermediate": "tls_untrusted",
    "self_signed": "tls_untrusted",
    "untrusted_root": "tls_untrusted",
}
_TLS_EXAMPLES = {
    "certificate signed by unknown authority": 'Get "https://quotes:8443/q": tls: failed to verify certificate: x509: certificate signed by '
    "unknown authority",
    "certificate has expired or is not yet valid": 'Get "https://quotes:8443/q": x509: certificate has expired or is not yet valid: current time '
    "2024-05-01T10:00:00Z is after 2024-04-30T23:59:59Z",
    "certificate is valid for": 'Get "https://10.0.0.5:8443/q": x509: certificate is valid for quotes.internal, not quotes',
    "doesn't contain any IP SANs": 'Get "https://10.0.0.5:8443/q": x509: cannot validate certificate for 10.0.0.5 because it '
    "doesn't contain any IP SANs",
    "TLS handshake timeout": 'Get "https://quotes:8443/q": net/http: TLS handshake timeout',
}
_POOL_EXAMPLES = (
    'Get "http://quotes:8080/q": net/http: request canceled while waiting for connection '
    "(Client.Timeout exceeded while awaiting headers)",
    "redis: connection pool timeout",
    "pg: connection pool timeout",
    "connection pool exhausted",
    "timeout waiting for idle connection",
    "pq: sorry, too many clients already",
)


def _pool_rules() -> list[ErrorRule]:
    """Pool-wait rules, from :data:`apiprobe.analyze.pool.POOL_LOG_PATTERNS`."""
    rules: list[ErrorRule] = []
    taken: set[str] = set()

    def unique(name: str) -> str:
        n, out = 1, name
        while out in taken:
            n += 1
            out = f"{name}_{n}"
        taken.add(out)
        return out

    for pattern, (pool_name, setting) in POOL_LOG_PATTERNS.items():
        if "server connection limit" in pool_name:
            rules.append(
                ErrorRule(
                    unique("db_connection_limit"),
                    pattern,
                    "connect_error",
                    "connect",
                    True,
                    example=next((e for e in _POOL_EXAMPLES if re.search(pattern, e)), ""),
                    note=f"the {pool_name} refused a new connection (check {setting})",
                )
            )
        else:
            rules.append(
                ErrorRule(
                    unique(f"pool_wait_{_slug(pool_name)}"),
                    pattern,
                    "pool_timeout",
                    "pool",
                    True,
                    example=next((e for e in _POOL_EXAMPLES if re.search(pattern, e)), ""),
                    note=f"gave up waiting for a connection from the {pool_name} ({setting})",
                )
            )
    return rules


def _tls_rules() -> list[ErrorRule]:
    """TLS rules, from the Go log fragments of :mod:`apiprobe.analyze.tls`."""
    rules = []
    for fragment, checks, how, _fix in _GO_LOG_CAUSES:
        if "timeout" in fragment.lower():
            kind = "tls_timeout"
        else:
            kinds = {_TLS_CHECK_KINDS.get(c, "tls_error") for c in checks}
            kind = kinds.pop() if len(kinds) == 1 else "tls_error"
        rules.append(
            ErrorRule(
                f"tls_{_slug(fragment)}",
                _escape(fragment),
                kind,
                "tls",
                kind == "tls_timeout",
                example=_TLS_EXAMPLES.get(fragment, fragment),
                note=how,
            )
        )
    return rules


def _rules() -> tuple[ErrorRule, ...]:
    r = ErrorRule
    dns = [
        r(
            "dns_no_such_host",
            r"no such host",
            "nxdomain",
            "dns",
            False,
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: no such host",
            "the resolver answered NXDOMAIN: wrong name, missing record, or a search-domain/ndots surprise",
        ),
        r(
            "dns_timeout",
            rf"(?:{_DNS_LOOKUP}).*(?:i/o timeout|timed out)|\blookup {_DNS_HOST}: i/o timeout",
            "dns_timeout",
            "dns",
            True,
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: read udp 10.1.0.7:41234->10.96.0.10:53: i/o timeout",
            "the resolver did not answer in time",
        ),
        r(
            "dns_server_misbehaving",
            r"server misbehaving",
            "servfail",
            "dns",
            True,
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: server misbehaving",
            "the resolver answered SERVFAIL or REFUSED",
        ),
        r(
            "dns_other",
            rf"{_DNS_LOOKUP}|temporary failure in name resolution|no address associated with hostname",
            "dns_failure",
            "dns",
            True,
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: network is "
            "unreachable",
            "name resolution failed for another reason",
        ),
    ]
    connect = [
        r(
            "dial_refused",
            r"connection refused|connectex: No connection could be made|ECONNREFUSED",
            "connect_refused",
            "connect",
            True,
            'Get "http://quotes:8080/q": dial tcp 10.0.0.5:8080: connect: connection refused',
            "TCP RST to the SYN: nothing listens there (down, restarting, wrong port)",
        ),
        r(
            "dial_timeout",
            r"\bdial tcp[46]?\b.*(?:i/o timeout|connection timed out|operation timed out)|"
            r"connect: connection timed out",
            "connect_timeout",
            "connect",
            True,
            'Get "http://quotes:8080/q": dial tcp 10.0.0.5:8080: i/o timeout',
            "no SYN-ACK in time: host down, packets dropped, or the accept queue is full",
        ),
        r(
            "dial_other",
            r"\bdial (?:tcp|udp|unix)[46]?\b|no route to host|network is unreachable|"
            r"too many open files",
            "connect_error",
            "connect",
            None,
            "dial tcp 10.0.0.5:8080: connect: no route to host",
            "the connection could not be opened",
        ),
    ]
    transport = [
        r(
            "idle_conn_closed",
            r"server closed idle connection",
            "idle_conn_closed",
            "response",
            True,
            'Post "http://quotes:8080/q": http: server closed idle connection',
            "the server closed a kept-alive connection as the client reused it (server idle timeout shorter "
            "than the client's IdleConnTimeout)",
        ),
        r(
            "http2_goaway",
            r"GOAWAY",
            "goaway",
            "response",
            True,
            'Get "https://quotes:8443/q": http2: server sent GOAWAY and closed the connection; '
            'LastStreamID=1999, ErrCode=NO_ERROR, debug=""',
            "the HTTP/2 server is shutting the connection down (restart, max-age, load balancer)",
        ),
        r(
            "sql_conn_closed",
            r"sql: connection is already closed|driver: bad connection|"
            r"use of closed network connection",
            "conn_closed",
            "pool",
            True,
            "sql: connection is already closed",
            "a pooled connection was used after it was closed",
        ),
        r(
            "protocol_error",
            r"malformed HTTP|PROTOCOL_ERROR|http2: (?:invalid|unexpected)|"
            r"unexpected content-type",
            "protocol_error",
            "response",
            False,
            'Get "http://quotes:8080/q": net/http: HTTP/1.x transport connection broken: malformed HTTP response',
            "the peer did not speak valid HTTP (wrong port, proxy, TLS to a plain port)",
        ),
        r(
            "body_length_mismatch",
            r"ContentLength=\d+ with Body length \d+",
            "write_error",
            "request",
            False,
            'Post "http://quotes:8080/q": net/http: HTTP/1.x transport connection broken: http: '
            "ContentLength=120 with Body length 0",
            "the request body was shorter than its Content-Length (a body reader reused after a retry)",
        ),
    ]
    timeouts = [
        r(
            "client_timeout_body",
            r"Client\.Timeout or context cancellation while reading body",
            "body_timeout",
            "response",
            None,
            'Get "http://quotes:8080/q": net/http: request canceled (Client.Timeout or context cancellation '
            "while reading body)",
            "headers came, the body did not finish within http.Client.Timeout",
        ),
        r(
            "client_timeout_headers",
            r"Client\.Timeout exceeded while awaiting headers|"
            r"timeout awaiting response headers",
            "read_timeout",
            "request",
            None,
            'Get "http://quotes:8080/q": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            "no response headers within http.Client.Timeout or Transport.ResponseHeaderTimeout",
        ),
        r(
            "read_io_timeout",
            r"\bread (?:tcp|udp|unix)[46]? \S+: i/o timeout",
            "read_timeout",
            "request",
            None,
            "read tcp 10.0.0.4:51234->10.0.0.5:8080: i/o timeout",
            "a read deadline on the connection expired while waiting for the peer",
        ),
        r(
            "write_io_timeout",
            r"\bwrite (?:tcp|unix)[46]? \S+: i/o timeout",
            "write_error",
            "request",
            True,
            "write tcp 10.0.0.4:51234->10.0.0.5:8080: i/o timeout",
            "a write deadline expired: the peer stopped reading",
        ),
    ]
    resets = [
        r(
            "connection_reset",
            r"connection reset by peer|ECONNRESET|forcibly closed by the remote host",
            "connection_reset",
            "response",
            True,
            "read tcp 10.0.0.4:51234->10.0.0.5:8080: read: connection reset by peer",
            "the peer sent RST mid-exchange (crash, restart, proxy idle timeout)",
        ),
        r(
            "broken_pipe",
            r"broken pipe|EPIPE",
            "connection_reset",
            "request",
            True,
            "write tcp 10.0.0.4:51234->10.0.0.5:8080: write: broken pipe",
            "the client wrote to a connection the peer had already closed",
        ),
        r(
            "eof",
            r"\bEOF\b",
            "eof",
            "response",
            True,
            'Post "http://quotes:8080/q": EOF',
            "the connection ended before a complete response (often a closed keep-alive connection)",
            case_sensitive=True,
        ),
    ]
    breaker = [
        r(
            "breaker_open",
            r"circuit breaker is open|breaker is open|circuit (?:is )?open|hystrix: ",
            "breaker_open",
            "breaker",
            False,
            "circuit breaker is open",
            "the caller's breaker refused the call (gobreaker ErrOpenState)",
        ),
        r(
            "http_429",
            _STATUS + r"429\b|\b429 too many requests",
            "rate_limited",
            "server",
            True,
            "unexpected status 429 Too Many Requests",
            "the callee refused the call for rate",
        ),
        r(
            "http_429_text",
            r"Too Many Requests",
            "rate_limited",
            "server",
            True,
            "quotes API: Too Many Requests",
            "the callee refused the call for rate",
            case_sensitive=True,
        ),
        r(
            "breaker_half_open_limit",
            r"too many requests",
            "breaker_open",
            "breaker",
            False,
            "too many requests",
            "gobreaker ErrTooManyRequests: the half-open breaker already let MaxRequests through",
            case_sensitive=True,
        ),
        r(
            "rate_limiter_wait",
            r"\brate: Wait|would exceed context deadline",
            "rate_limited",
            "breaker",
            False,
            "rate: Wait(n=1) would exceed context deadline",
            "the caller's own limiter (golang.org/x/time/rate) would wait past the deadline",
        ),
        r(
            "rate_limit_text",
            r"rate[ _-]?limit|throttl|quota exceeded",
            "rate_limited",
            "server",
            True,
            "rate limit exceeded",
            "rate limited",
        ),
    ]
    grpc = [
        r(
            "grpc_unavailable",
            r"code = Unavailable",
            "server_error",
            "server",
            True,
            "rpc error: code = Unavailable desc = the connection is draining",
            "gRPC UNAVAILABLE (transient)",
        ),
        r(
            "grpc_resource_exhausted",
            r"code = ResourceExhausted",
            "rate_limited",
            "server",
            True,
            "rpc error: code = ResourceExhausted desc = per-client limit reached",
            "gRPC RESOURCE_EXHAUSTED",
        ),
        r(
            "grpc_internal",
            r"code = (?:Internal|Unknown|DataLoss)\b",
            "server_error",
            "server",
            None,
            "rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR",
            "gRPC INTERNAL / UNKNOWN / DATA_LOSS",
        ),
        r(
            "grpc_invalid",
            r"code = (?:InvalidArgument|FailedPrecondition|OutOfRange)\b",
            "client_error",
            "client",
            False,
            "rpc error: code = InvalidArgument desc = symbol must not be empty",
            "gRPC INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE",
        ),
        r(
            "grpc_deadline",
            r"code = DeadlineExceeded",
            "deadline_exceeded",
            "client",
            None,
            "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
            "gRPC DEADLINE_EXCEEDED",
        ),
        r(
            "grpc_canceled",
            r"code = Canceled",
            "canceled",
            "client",
            False,
            "rpc error: code = Canceled desc = context canceled",
            "gRPC CANCELLED",
        ),
    ]
    context = [
        r(
            "context_deadline",
            r"deadline exceeded",
            "deadline_exceeded",
            "client",
            None,
            'Get "http://quotes:8080/q": context deadline exceeded',
            "the caller's context deadline expired; the message does not say in which phase",
        ),
        r(
            "context_canceled",
            r"context canceled|operation was canceled|request canceled",
            "canceled",
            "client",
            False,
            'Get "http://quotes:8080/q": context canceled',
            "the caller canceled (its own caller went away, or a sibling call failed first)",
        ),
        r(
            "io_timeout",
            r"i/o timeout|timed out",
            "deadline_exceeded",
            "client",
            None,
            "i/o timeout",
            "a connection deadline (os.ErrDeadlineExceeded) expired in an unknown phase",
        ),
    ]
    status = [
        r(
            "http_502_503_504",
            _STATUS + r"50[234]\b|Bad Gateway|Service Unavailable|Gateway Time-?out|"
            r"no healthy upstream|upstream connect error",
            "server_error",
            "server",
            True,
            "unexpected status 503 Service Unavailable",
            "the callee or its proxy is overloaded or down",
        ),
        r(
            "http_5xx",
            _STATUS + r"5\d\d\b|Internal Server Error|\bpanic: ",
            "server_error",
            "server",
            None,
            "unexpected status 500 Internal Server Error",
            "the callee failed while handling the request",
        ),
        r(
            "http_4xx_invalid",
            _STATUS + r"(?:400|405|409|410|411|413|414|415|422)\b|Bad Request|"
            r"Unprocessable Entity|validation (?:failed|error)|invalid (?:argument|request|input|parameter)",
            "client_error",
            "client",
            False,
            "unexpected status 422 Unprocessable Entity",
            "the callee rejected the request as invalid: retrying the same request cannot help",
        ),
    ]
    tls_extra = [
        r(
            "tls_http_to_https",
            r"server gave HTTP response to HTTPS client",
            "tls_error",
            "tls",
            False,
            'Get "https://quotes:8080/q": http: server gave HTTP response to HTTPS client',
            "https:// to a plain-HTTP port",
        ),
        r(
            "tls_other",
            r"\bx509: |\btls: |remote error: ",
            "tls_error",
            "tls",
            False,
            "remote error: tls: bad certificate",
            "another TLS or certificate failure",
        ),
    ]
    return tuple(
        [
            *_pool_rules(),
            *_tls_rules(),
            *tls_extra,
            *dns,
            *connect,
            *transport,
            *timeouts,
            *resets,
            *breaker,
            *grpc,
            *context,
            *status,
        ]
    )


#: The taxonomy, in priority order: the first rule whose pattern matches an error string decides.
ERROR_PATTERNS: tuple[ErrorRule, ...] = _rules()

# explicit codes (attrs error_code / code / error_kind, or a non-vocabulary error_kind) → kind
_CODE_ALIASES: dict[str, str] = {
    "econnrefused": "connect_refused",
    "connection_refused": "connect_refused",
    "refused": "connect_refused",
    "econnreset": "connection_reset",
    "connection_reset": "connection_reset",
    "reset": "connection_reset",
    "epipe": "connection_reset",
    "broken_pipe": "connection_reset",
    "etimedout": "connect_timeout",
    "connect_timeout": "connect_timeout",
    "enotfound": "nxdomain",
    "no_such_host": "nxdomain",
    "eai_again": "dns_failure",
    "deadlineexceeded": "deadline_exceeded",
    "deadline": "deadline_exceeded",
    "timeout": "deadline_exceeded",
    "timed_out": "deadline_exceeded",
    "cancelled": "canceled",
    "context_canceled": "canceled",
    "unavailable": "server_error",
    "service_unavailable": "server_error",
    "internal": "server_error",
    "internal_error": "server_error",
    "internal_server_error": "server_error",
    "unknown": "server_error",
    "resource_exhausted": "rate_limited",
    "resourceexhausted": "rate_limited",
    "too_many_requests": "rate_limited",
    "ratelimited": "rate_limited",
    "rate_limit": "rate_limited",
    "rate_limit_exceeded": "rate_limited",
    "throttled": "rate_limited",
    "invalid_argument": "client_error",
    "invalidargument": "client_error",
    "failed_precondition": "client_error",
    "out_of_range": "client_error",
    "bad_request": "client_error",
    "validation_error": "client_error",
    "validation_failed": "client_error",
    "invalid_request": "client_error",
    "circuit_open": "breaker_open",
    "circuit_breaker_open": "breaker_open",
    "open_state": "breaker_open",
    "pool_exhausted": "pool_timeout",
    "pool_timeout": "pool_timeout",
    "eof": "eof",
    "unexpected_eof": "eof",
    "goaway": "goaway",
    "x509": "tls_untrusted",
    "certificate_expired": "tls_expired",
}
_RETRYABLE_5XX = frozenset({502, 503, 504})
_NOT_FAILURE_4XX = frozenset({401, 403, 404})
_QUIET_LEVELS = frozenset({"trace", "debug", "info"})
_ERROR_LEVELS = frozenset({"error", "fatal"})
_LOUD_LEVELS = frozenset({"warn", "warning", "error", "fatal"})
_ATTR_KEYS = ("error_kind", "error_code", "errorCode", "err_code", "code")
#: Columns that describe the error itself (not the population a rate is computed over).
_ERROR_COLUMNS = frozenset({"error_kind", "error_layer", "retryable", "error_rule", "error", "template_id"})

Info = tuple[str, str | None, bool | None, str]


#: Explicit codes that say more about retrying than their kind does.
_CODE_RETRYABLE: dict[str, bool] = {"unavailable": True, "service_unavailable": True}


def _kind_info(kind: str, rule: str, code: str = "") -> Info:
    layer, retry = KIND_DEFAULTS.get(kind, (None, None))
    return kind, layer, _CODE_RETRYABLE.get(code, retry), rule


def _status_info(code: int, rule: str = "status") -> Info | None:
    if code == 429:
        return "rate_limited", "server", True, f"{rule}:429"
    if 500 <= code <= 599:
        return "server_error", "server", (True if code in _RETRYABLE_5XX else None), f"{rule}:5xx"
    if code == 408:
        return "client_error", "client", True, f"{rule}:4xx"
    if 400 <= code <= 499 and code not in _NOT_FAILURE_4XX:
        return "client_error", "client", False, f"{rule}:4xx"
    return None


def _code_info(value: Any, rule: str) -> Info | None:
    """Classify an explicit code: a vocabulary kind, an alias, or an HTTP status."""
    if value is None or isinstance(value, bool) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        if not np.isfinite(value) or float(value) != int(value):
            return None
        return _status_info(int(value), rule)
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return _status_info(int(text), rule)
    key = re.sub(r"[\s.\-]+", "_", text.lower())
    if key in ERROR_KINDS:
        return _kind_info(key, rule)
    kind = _CODE_ALIASES.get(key) or _CODE_ALIASES.get(key.replace("_", ""))
    return _kind_info(kind, rule, key) if kind else None


#: Every classification an explicit ``error_kind`` value can give.
_EXPLICIT_INFOS: frozenset[Info] = frozenset(
    info
    for info in (
        *(_code_info(k, "error_kind") for k in (*ERROR_KINDS, *_CODE_ALIASES)),
        *(_code_info(c, "error_kind") for c in range(400, 600)),
    )
    if info is not None
)


def _match_rules(texts: Sequence[str]) -> np.ndarray:
    """Index into :data:`ERROR_PATTERNS` of the first rule matching each text; -1 when none matches."""
    out = np.full(len(texts), -1, dtype=np.int64)
    if not len(texts):
        return out
    remaining = np.arange(len(texts))
    arr = pa.array(list(texts), type=pa.large_string())
    for i, rule in enumerate(ERROR_PATTERNS):
        hit = pc.match_substring_regex(arr, rule.pattern, ignore_case=not rule.case_sensitive)
        mask = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            out[remaining[mask]] = i
            keep = ~mask
            remaining = remaining[keep]
            if not len(remaining):
                break
            arr = arr.filter(pa.array(keep))
    return out


def error_taxonomy() -> pd.DataFrame:
    """The classification rules as a table, in priority order (first match wins).

    Returns
    -------
    pandas.DataFrame
        ``priority``, ``name``, ``kind``, ``layer``, ``retryable`` (NA: maybe),
        ``pattern``, ``case_sensitive``, ``example``, ``note`` and
        ``kind_doc`` (the vocabulary's description of the kind).
    """
    df = pd.DataFrame([asdict(r) for r in ERROR_PATTERNS])
    df.insert(0, "priority", np.arange(1, len(df) + 1))
    df["retryable"] = pd.array(df["retryable"].tolist(), dtype="boolean")
    df["kind_doc"] = df["kind"].map(ERROR_KINDS)
    for col in ("name", "kind", "layer", "pattern", "example", "note", "kind_doc"):
        df[col] = df[col].astype("string")
    return df[
        ["priority", "name", "kind", "layer", "retryable", "pattern", "case_sensitive", "example", "note", "kind_doc"]
    ]


def classify_error_text(text: str | None) -> tuple[str | None, str | None, bool | None]:
    """Classify one error string.

    Parameters
    ----------
    text
        An error as a Go service logs it, e.g. ``dial tcp 10.0.0.5:8080:
        connect: connection refused``.

    Returns
    -------
    tuple
        ``(kind, layer, retryable)``: ``kind`` from
        :data:`~apiprobe.schema.ERROR_KINDS` (``"error"`` when no rule matches,
        None for an empty text), ``layer`` from
        :data:`~apiprobe.schema.ERROR_LAYERS` or None, ``retryable`` True,
        False or None ("maybe").

    Examples
    --------
    >>> classify_error_text('Get "http://q/": context deadline exceeded '
    ...                     '(Client.Timeout exceeded while awaiting headers)')
    ('read_timeout', 'request', None)
    """
    if text is None or text is pd.NA or not str(text).strip():
        return None, None, None
    idx = int(_match_rules([str(text)])[0])
    if idx < 0:
        return "error", None, None
    rule = ERROR_PATTERNS[idx]
    return rule.kind, rule.layer, rule.retryable


# --------------------------------------------------------------------------- classify_errors


class _Infos:
    """A growing table of distinct classifications; rows point into it by index."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: list[Info] = []
        self._index: dict[Info, int] = {}

    def add(self, info: Info | None) -> int:
        if info is None:
            return -1
        idx = self._index.get(info)
        if idx is None:
            idx = self._index[info] = len(self.rows)
            self.rows.append(info)
        return idx

    def per_row(
        self, values: Any, positions: np.ndarray | None, classify: Callable[[list[Any]], list[Info | None]]
    ) -> np.ndarray:
        """Classify the distinct non-NA ``values`` once; the index of each row's classification, -1 for none.

        ``values`` holds the rows at ``positions`` (every row when None).
        """
        out = np.full(self.n, -1, dtype=np.int64)
        if len(values) == 0:
            return out
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if not len(uniques):
            return out
        table = np.asarray([self.add(i) for i in classify(list(uniques))] + [-1], dtype=np.int64)
        per_value = table[np.where(codes >= 0, codes, len(uniques))]
        if positions is None:
            return per_value
        out[positions] = per_value
        return out


def _sparse(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Positions and values of the non-None entries, with values factorize can hash."""
    if values.count(None) == len(values):
        return np.zeros(0, dtype=np.int64), []
    pos = np.flatnonzero(np.fromiter(map(operator.is_not, values, repeat(None)), dtype=bool, count=len(values)))
    vals = [v if isinstance(v, str | int | float | bool) else str(v) for v in (values[i] for i in pos)]
    return pos, vals


def _attr_values(attrs: pd.Series) -> dict[str, tuple[np.ndarray, list[Any]]]:
    """For each key of ``_ATTR_KEYS``: (positions, values) of the rows whose attrs carry it."""
    dtype = attrs.dtype
    out: dict[str, tuple[np.ndarray, list[Any]]] = {}
    if isinstance(dtype, pd.ArrowDtype):
        data = pa.array(attrs)
        pa_type = dtype.pyarrow_dtype
        for key in _ATTR_KEYS:
            if pa.types.is_struct(pa_type):
                names = [pa_type.field(i).name for i in range(pa_type.num_fields)]
                if key not in names:
                    continue
                got = pc.struct_field(data, [names.index(key)])
            elif pa.types.is_map(pa_type):
                got = pc.map_lookup(data, pa.scalar(key, type=pa_type.key_type), "first")
            else:
                continue
            valid = np.asarray(pc.is_valid(got).to_numpy(zero_copy_only=False), dtype=bool)
            if valid.any():
                pos, vals = _sparse(got.filter(pa.array(valid)).to_pylist())
                out[key] = (np.flatnonzero(valid)[pos], vals)
        return out
    values = attrs.to_numpy(dtype=object).tolist()
    rows, dicts = _sparse_objects(values)
    for key in _ATTR_KEYS:
        try:
            got = list(map(dict.get, dicts, repeat(key)))
        except TypeError:  # not every value is a dict
            got = [a.get(key) if isinstance(a, dict) else None for a in dicts]
        pos, vals = _sparse(got)
        if len(pos):
            out[key] = (rows[pos], vals)
    return out


def _sparse_objects(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Positions and values of the entries that are not None (without copying when there is no None)."""
    nones = values.count(None)
    if nones == 0:
        return np.arange(len(values)), values
    if nones == len(values):
        return np.zeros(0, dtype=np.int64), []
    pos = np.flatnonzero(np.fromiter(map(operator.is_not, values, repeat(None)), dtype=bool, count=len(values)))
    return pos, [values[i] for i in pos]


def _lower_in(series: pd.Series, *allowed: frozenset[str]) -> list[np.ndarray]:
    """Case-insensitive membership of each value in each of ``allowed``, computed on the distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    where = np.where(codes >= 0, codes, len(uniques))
    lowered = [str(u).strip().lower() for u in uniques]
    return [np.asarray([u in a for u in lowered] + [False], dtype=bool)[where] for a in allowed]


def _on_distinct(series: pd.Series, test: Callable[[Any], bool]) -> np.ndarray:
    """``test`` of each value (False for NA), computed once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray([test(u) for u in uniques] + [False], dtype=bool)[np.where(codes >= 0, codes, len(uniques))]


def _present(series: pd.Series) -> np.ndarray:
    """True where a string column has a non-empty value."""
    return np.asarray((series.notna() & (series != "")).fillna(False), dtype=bool)


def _string(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    return df[col].astype("string")


def _rule_infos(uniques: list[Any]) -> list[Info | None]:
    matched = _match_rules([str(u) for u in uniques])
    res: list[Info | None] = []
    for m in matched:
        rule = ERROR_PATTERNS[m] if m >= 0 else None
        res.append(None if rule is None else (rule.kind, rule.layer, rule.retryable, rule.name))
    return res


def _codes_classifier(rule: str) -> Callable[[list[Any]], list[Info | None]]:
    def classify(uniques: list[Any]) -> list[Info | None]:
        return [_code_info(u, rule) for u in uniques]

    return classify


_SUCCESS_WORDS = frozenset({"", "0", "ok", "success"})


def _success_code(value: Any) -> bool:
    """A code that says success: 0, "0", "", "OK"/"ok"/"success", or a 2xx/3xx number."""
    if value is None or value is pd.NA or isinstance(value, bool):
        return True  # not a code at all
    if isinstance(value, int | float | np.integer | np.floating):
        number: float = float(value)
    else:
        text = str(value).strip()
        if text.lower() in _SUCCESS_WORDS:
            return True
        try:
            number = float(text)
        except ValueError:
            return False
    return bool(np.isfinite(number)) and (number == 0 or (number == int(number) and 200 <= number <= 399))


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def _unknown_codes(key: str, vals: list[Any], classified: np.ndarray, loud: np.ndarray) -> np.ndarray:
    """Which attrs values no rule knows make the line an (unmatched) error.

    ``classified`` tells which values were classified; ``loud`` which lines are at warn/error/fatal level.
    A success-like value never does; under the generic ``code`` only a string on a loud line does (a
    ``code`` is as often a country, currency or product code); under ``error_code``, ``errorCode``,
    ``err_code`` and ``error_kind`` any other value does, as the key says it is an error.
    """
    unknown = ~classified & ~np.fromiter(map(_success_code, vals), dtype=bool, count=len(vals))
    if key == "code":
        unknown &= loud & ~np.fromiter(map(_is_number, vals), dtype=bool, count=len(vals))
    return unknown


def _explicit_infos(out: pd.DataFrame, keep: np.ndarray) -> tuple[np.ndarray, list[Info | None]]:
    """Positions and classifications of the lines a previous pass classified from an explicit ``error_kind``.

    The previous classification is kept when an explicit ``error_kind`` value can give it (``503`` gives
    ``server_error`` with rule ``error_kind:5xx``, ``UNAVAILABLE`` a retryable ``server_error``); otherwise
    (the columns were edited) the kind is classified again.
    """
    pos = np.flatnonzero(keep)
    cols = [
        _string(out, "error_kind"),
        _string(out, "error_layer"),
        (
            out["retryable"].astype("boolean")
            if "retryable" in out.columns
            else pd.Series(pd.NA, index=out.index, dtype="boolean")
        ).astype("string"),
        _string(out, "error_rule"),
    ]
    kind, layer, retry, rule = (c.iloc[pos].fillna("\x01") for c in cols)
    key = kind + "\x00" + layer + "\x00" + retry + "\x00" + rule
    codes, _ = pd.factorize(key, use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]  # one row per distinct key, in code order
    infos: list[Info | None] = []
    for i in first:
        prev: Info = (
            kind.iloc[i],
            None if layer.iloc[i] == "\x01" else layer.iloc[i],
            {"true": True, "false": False}.get(retry.iloc[i].lower()),
            rule.iloc[i],
        )
        infos.append(prev if prev in _EXPLICIT_INFOS else _code_info(kind.iloc[i], "error_kind"))
    return pos, [infos[c] for c in codes]


def classify_errors(events: pd.DataFrame) -> pd.DataFrame:
    """Fill ``error_kind`` and add ``error_layer``, ``retryable`` and ``error_rule`` to an events table.

    Parameters
    ----------
    events
        Table with schema ``events``. Only ``error``, ``msg``, ``level``,
        ``status``, ``attrs`` and ``error_kind`` are read (and, on a table
        classified before, ``error_layer``, ``retryable`` and ``error_rule``);
        missing columns are treated as NA.

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` (same index and columns) with ``error_kind``
        filled from the sources listed in the module docstring, plus
        ``error_layer`` (string, a key of
        :data:`~apiprobe.schema.ERROR_LAYERS`), ``retryable`` (boolean; NA on
        lines that are not errors and where a retry *may* help) and
        ``error_rule`` (string: the :class:`ErrorRule` name; ``attrs.<key>``
        or ``error_kind`` for an explicit code, with ``:5xx``, ``:4xx`` or
        ``:429`` appended when the code is an HTTP status; ``status:5xx``,
        ``status:4xx`` or ``status:429`` from the status column; ``unmatched``
        for an error text or explicit code no rule knows; ``level`` for an
        error-level line with nothing else). Lines that are not errors have
        NA in all four. ``classify_errors(classify_errors(x))`` equals
        ``classify_errors(x)``: on a table with ``error_rule``, the lines
        whose rule starts with ``error_kind`` or is an ``unmatched`` explicit
        code keep their classification and the others are derived again.
    """
    out = events.copy(deep=False)
    n = len(out)
    infos = _Infos(n)
    sources: list[np.ndarray] = []
    unknown_code = np.zeros(n, dtype=bool)

    quiet, at_error_level, loud = _lower_in(_string(out, "level"), _QUIET_LEVELS, _ERROR_LEVELS, _LOUD_LEVELS)
    if "error_kind" in out.columns:
        existing = _string(out, "error_kind")
        if "error_rule" in out.columns:
            # classified before: keep the kinds that came from an explicit error_kind, derive the others again
            rule = _string(out, "error_rule")
            from_kind = (rule.str.startswith("error_kind") & existing.notna()).fillna(False).to_numpy(dtype=bool)
            pos, kept = _explicit_infos(out, from_kind)
            sources.append(
                infos.per_row(
                    pd.Series(np.arange(len(pos)), dtype="int64"), pos, lambda uniques: [kept[int(u)] for u in uniques]
                )
            )
            # an explicit code no rule knew, with nothing else to go by: still an unmatched error
            unknown_code |= ((rule == "unmatched") & existing.notna()).fillna(False).to_numpy(dtype=bool)
            existing = existing.mask(_present(rule))
        idx = infos.per_row(existing, None, _codes_classifier("error_kind"))
        sources.append(idx)
        unknown_code |= _present(existing) & (idx < 0) & ~_on_distinct(existing, _success_code)
    if "attrs" in out.columns and n:
        for key, (pos, vals) in _attr_values(out["attrs"]).items():
            idx = infos.per_row(pd.Series(vals, dtype=object), pos, _codes_classifier(f"attrs.{key}"))
            sources.append(idx)
            unknown_code[pos[_unknown_codes(key, vals, idx[pos] >= 0, loud[pos])]] = True

    error = _string(out, "error")
    has_error = _present(error)
    sources.append(infos.per_row(error, None, _rule_infos))  # "" matches no rule
    if "msg" in out.columns:
        # the message stands in for a missing error, except on trace/debug/info lines
        eligible = np.flatnonzero(~has_error & ~quiet)
        msg = _string(out, "msg").iloc[eligible]
        sources.append(infos.per_row(msg, eligible, _rule_infos))
    if "status" in out.columns:
        status = pd.to_numeric(out["status"], errors="coerce").astype("Float64")
        sources.append(infos.per_row(status, None, _codes_classifier("status")))

    chosen = np.full(n, -1, dtype=np.int64)
    for idx in sources:
        chosen = np.where(chosen >= 0, chosen, idx)
    unmatched = infos.add(("error", None, None, "unmatched"))
    by_level = infos.add(("error", None, None, "level"))
    chosen = np.where(
        chosen >= 0, chosen, np.where(has_error | unknown_code, unmatched, np.where(at_error_level, by_level, -1))
    )

    rows = infos.rows
    kinds = pd.array([r[0] for r in rows], dtype="string")
    layers = pd.array([r[1] for r in rows], dtype="string")
    retry = pd.array([r[2] for r in rows], dtype="boolean")
    rules = pd.array([r[3] for r in rows], dtype="string")
    out["error_kind"] = pd.Series(kinds.take(chosen, allow_fill=True), index=out.index)
    out["error_layer"] = pd.Series(layers.take(chosen, allow_fill=True), index=out.index)
    out["retryable"] = pd.Series(retry.take(chosen, allow_fill=True), index=out.index)
    out["error_rule"] = pd.Series(rules.take(chosen, allow_fill=True), index=out.index)
    return out


def _classified(events: pd.DataFrame) -> pd.DataFrame:
    if {"error_kind", "error_layer", "retryable"} <= set(events.columns):
        return events
    return classify_errors(events)


# --------------------------------------------------------------------------- aggregation


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+")


def _example(text: Any, width: int = 160) -> str:
    """``text`` with URL credentials and secret parameters redacted, cut to ``width`` characters."""
    if text is None or text is pd.NA:
        return ""
    s = _URL.sub(lambda m: redact_url(m.group(0)), str(text))
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _texts(df: pd.DataFrame) -> pd.Series:
    return _string(df, "error").fillna(_string(df, "msg"))


def error_counts(
    events: pd.DataFrame,
    *,
    by: Sequence[str] | str = ("error_kind",),
    freq: str | pd.Timedelta | None = "1min",
) -> pd.DataFrame:
    """Errors per time window and group, long form.

    Parameters
    ----------
    events
        Table with schema ``events``; classified with :func:`classify_errors`
        first when it has no ``error_layer`` column.
    by
        Group columns, e.g. ``("service", "error_kind")``.
    freq
        Window width (pandas offset alias or Timedelta); None for one window
        over the whole table.

    Returns
    -------
    pandas.DataFrame
        One row per (window, group) with at least one error: ``ts`` (window
        start, UTC), the ``by`` columns, ``count`` (error lines), ``lines``
        (all lines in that window and in the same group of the ``by`` columns
        that do not describe the error — e.g. the same service; for
        ``by=("error_kind",)`` every line of the window) and ``error_rate``
        (``count / lines``), and ``window_lines`` (all lines of the window,
        whatever their group). Windows without errors have no row. Lines
        without a time are left out and counted in ``attrs["no_ts"]``.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    df = _classified(events)
    missing = [c for c in (*by, "ts") if c not in df.columns]
    if missing:
        raise KeyError(f"events has no column(s) {', '.join(map(repr, missing))}")
    ts = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    valid = ts.notna().to_numpy(dtype=bool)
    columns = ["ts", *by, "count", "lines", "error_rate", "window_lines"]
    if not valid.any():
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty.attrs["no_ts"] = int((~valid).sum())
        return empty
    window = pd.Series(ts[valid].min(), index=df.index).where(valid) if freq is None else ts.dt.floor(freq)
    work = pd.DataFrame({"ts": window}, index=df.index)
    for c in by:
        work[c] = df[c]
    work = work[valid]
    is_err = df["error_kind"].notna().to_numpy(dtype=bool)[valid]
    denom = ["ts", *[c for c in by if c not in _ERROR_COLUMNS]]
    lines = work.groupby(denom, dropna=False, sort=False).size().rename("lines")
    counts = work[is_err].groupby(["ts", *by], dropna=False, sort=True).size().rename("count").reset_index()
    table = counts.merge(lines.reset_index(), on=denom, how="left")
    window_lines = work.groupby("ts").size().rename("window_lines")
    table = table.merge(window_lines.reset_index(), on="ts", how="left")
    table["count"] = table["count"].astype("int64")
    table["lines"] = table["lines"].astype("int64")
    table["window_lines"] = table["window_lines"].astype("int64")
    table["error_rate"] = table["count"] / table["lines"]
    table = table[columns].sort_values(["ts", "count"], ascending=[True, False], kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["no_ts"] = int((~valid).sum())
    table.attrs["freq"] = None if freq is None else str(freq)
    return table


def _mode(values: pd.Series) -> Any:
    counts = values.value_counts(dropna=False)
    return counts.index[0] if len(counts) else pd.NA


def _ranked_values(kind_codes: np.ndarray, n_kinds: int, values: pd.Series) -> list[list[tuple[Any, int]]]:
    """For each kind code, its (value, count) pairs, most frequent first; NA counts as a value (None).

    ``kind_codes`` has one entry per row of ``values``, -1 for rows that are not errors.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rows = kind_codes >= 0
    width = len(uniques) + 1
    pairs = kind_codes[rows].astype(np.int64) * width + (codes[rows] + 1)
    found, counts = np.unique(pairs, return_counts=True)
    kinds, vals = found // width, found % width - 1
    out: list[list[tuple[Any, int]]] = [[] for _ in range(n_kinds)]
    for i in np.lexsort((-counts, kinds)):
        out[int(kinds[i])].append((uniques[vals[i]] if vals[i] >= 0 else None, int(counts[i])))
    return out


def error_summary(events: pd.DataFrame, *, example_width: int = 160) -> pd.DataFrame:
    """One row per error kind: how many, where, since when, and an example.

    Parameters
    ----------
    events
        Table with schema ``events``; classified first when needed.
    example_width
        Longest example, in characters (URLs in it are redacted).

    Returns
    -------
    pandas.DataFrame
        Most frequent kind first: ``error_kind``, ``count``, ``share`` (of all
        error lines), ``layer``, ``retryable`` (the most common value; NA:
        maybe), ``services`` (comma-separated, sorted), ``rules`` (the rules
        that matched, most frequent first), ``first_seen``, ``last_seen``,
        ``example`` (the most frequent error text of the kind, URLs redacted,
        truncated) and ``description`` (from :data:`~apiprobe.schema.ERROR_KINDS`).
    """
    df = _classified(events)
    columns = [
        "error_kind",
        "count",
        "share",
        "layer",
        "retryable",
        "services",
        "rules",
        "first_seen",
        "last_seen",
        "example",
        "description",
    ]
    kind_codes, kinds = pd.factorize(df["error_kind"], use_na_sentinel=True)
    if not len(kinds):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    rows = kind_codes >= 0
    counts = np.bincount(kind_codes[rows], minlength=len(kinds))

    def top(values: pd.Series) -> list[Any]:
        return [(ranked[0][0] if ranked else None) for ranked in _ranked_values(kind_codes, len(kinds), values)]

    def joined(values: pd.Series, *, sort: bool) -> list[Any]:
        out = []
        for ranked in _ranked_values(kind_codes, len(kinds), values):
            names = [str(v) for v, _ in ranked if v is not None]
            out.append(", ".join(sorted(names) if sort else names) or None)
        return out

    if "ts" in df.columns:
        ts = pd.to_datetime(df["ts"], utc=True, errors="coerce").reset_index(drop=True)[rows]
        grouped = ts.groupby(kind_codes[rows])
        first = grouped.min().reindex(range(len(kinds))).reset_index(drop=True)
        last = grouped.max().reindex(range(len(kinds))).reset_index(drop=True)
    else:
        first = last = pd.Series(pd.NaT, index=range(len(kinds)), dtype="datetime64[ns, UTC]")
    examples = top(_texts(df))
    table = pd.DataFrame(
        {
            "error_kind": pd.array([str(k) for k in kinds], dtype="string"),
            "count": counts.astype("int64"),
            "share": counts / counts.sum(),
            "layer": pd.array(top(df["error_layer"]), dtype="string"),
            "retryable": pd.array(
                [None if v is None or pd.isna(v) else bool(v) for v in top(df["retryable"])], dtype="boolean"
            ),
            "services": pd.array(joined(_string(df, "service"), sort=True), dtype="string"),
            "rules": pd.array(joined(_string(df, "error_rule"), sort=False), dtype="string"),
            "first_seen": first,
            "last_seen": last,
            "example": pd.array([None if e is None else _example(e, example_width) for e in examples], dtype="string"),
            "description": pd.array([ERROR_KINDS.get(str(k)) for k in kinds], dtype="string"),
        }
    )
    table = table.sort_values(["count", "error_kind"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)[columns]


# --------------------------------------------------------------------------- findings

_DETECTOR = "detect_error_findings"

_KIND_SECTIONS: dict[str, str] = {
    **dict.fromkeys(
        ("dns_failure", "dns_timeout", "nxdomain", "servfail", "connect_refused", "connect_timeout", "connect_error"),
        "§2.1",
    ),
    **dict.fromkeys(("tls_error", "tls_untrusted", "tls_expired", "tls_hostname", "tls_timeout"), "§2.2"),
    **dict.fromkeys(("server_error", "client_error"), "§2.4"),
    **dict.fromkeys(("pool_timeout", "conn_closed", "idle_conn_closed"), "§2.5"),
    "rate_limited": "§4.1",
    "breaker_open": "§4.2",
    **dict.fromkeys(("read_timeout", "body_timeout", "deadline_exceeded", "canceled"), "§4.3"),
}

_KIND_FAULTS: dict[str, str] = {"pool_timeout": "pool_exhaustion", "read_timeout": "timeout", "body_timeout": "timeout"}


def _tls_fix(fragment: str) -> str:
    return next((fix for frag, _c, _h, fix in _GO_LOG_CAUSES if frag == fragment), "")


_ADVICE: dict[str, str] = {
    "dns_failure": "Check the resolver (resolv.conf, CoreDNS/kube-dns health) and the name; run the DNS notebook "
    "against the same resolver.",
    "dns_timeout": "The resolver did not answer: check its health and load, and ndots/search domains (Kubernetes "
    "ndots:5 multiplies queries); add a trailing dot to fully qualified names.",
    "nxdomain": "The name does not exist for this resolver: check the spelling, the namespace/search domain and "
    "whether the record was removed.",
    "servfail": "The resolver failed upstream: check the authoritative servers and the resolver's logs.",
    "connect_refused": "Nothing listened on the port: the upstream was down, restarting or scaled to zero, or the "
    "port is wrong. Check deploys and health checks in that window.",
    "connect_timeout": "SYNs went unanswered: host down, a firewall dropping packets, or a full accept queue. Give "
    "net.Dialer its own Timeout, well below the request timeout.",
    "connect_error": "The connection could not be opened (no route, unreachable network, file descriptors "
    "exhausted): check the network path and the client's ulimit.",
    "tls_error": "Compare the TLS versions, cipher suites and ports of client and server; run the TLS notebook on "
    "the target.",
    "tls_untrusted": _tls_fix("certificate signed by unknown authority"),
    "tls_expired": _tls_fix("certificate has expired or is not yet valid"),
    "tls_hostname": _tls_fix("certificate is valid for"),
    "tls_timeout": "The TLS handshake stalled: check the TLS terminator's load; Transport.TLSHandshakeTimeout "
    "bounds it.",
    "write_error": "The request could not be written: the peer closed or stopped reading; check request body "
    "reuse across retries (GetBody) and the server's read timeout.",
    "read_timeout": "The server did not send headers in time: take a goroutine dump and CPU profile of the "
    "upstream, check its own downstream calls and pools, and bound the wait with "
    "Transport.ResponseHeaderTimeout below the caller's deadline.",
    "body_timeout": "Headers came but the body trickled: stream large bodies or give them a longer budget; "
    "http.Client.Timeout includes reading the body.",
    "connection_reset": "The peer reset connections mid-exchange: look for upstream restarts or crashes, and for "
    "proxies or load balancers whose idle timeout is shorter than the client's IdleConnTimeout.",
    "protocol_error": "The peer did not speak the expected HTTP: check the port, the scheme and any proxy between.",
    "deadline_exceeded": "A context deadline expired without saying where: check the timeout budget along the call "
    "chain (each hop's timeout must exceed its downstream's total) and find the slow hop with "
    "traces.",
    "canceled": "Callers canceled: usually their own caller gave up first. Look upstream for the timeout that "
    "fired, and do not count these as the callee's failures.",
    "pool_timeout": "Requests waited for a pooled connection and gave up: size the pool with Little's law "
    "(rate × latency), look for connections held too long (unclosed bodies, long transactions) and "
    "take a goroutine dump while it happens.",
    "idle_conn_closed": "Kept-alive connections were closed by the server as the client reused them: make the "
    "client's IdleConnTimeout shorter than the server's (and any load balancer's) idle timeout.",
    "goaway": "HTTP/2 servers sent GOAWAY: usually rolling restarts or connection max-age; make sure the client "
    "retries idempotent requests on a new connection.",
    "eof": "Connections ended before a complete response: upstream restarts, or an idle keep-alive connection "
    "closed by the server or a proxy; align idle timeouts and retry idempotent requests once.",
    "conn_closed": "Pooled connections were used after closing: check SetConnMaxLifetime/SetConnMaxIdleTime against "
    "the database's and proxies' idle timeouts.",
    "breaker_open": "A circuit breaker refused calls: the upstream failed enough to trip it. Fix the upstream "
    "failure first; check the breaker's thresholds and open duration.",
    "rate_limited": "The callee (or a limiter) refused for rate: back off exponentially with jitter and honour "
    "Retry-After; check which caller's traffic grew.",
    "server_error": "The callee failed with 5xx: read its logs for the same window; retry only 502/503/504, with "
    "backoff.",
    "client_error": "Requests were rejected as invalid: compare the payloads with the callee's schema (see the "
    "serialization notebook); retrying cannot help.",
    "error": "Unclassified errors: read the examples, and add the message to the taxonomy if it recurs.",
}


def _fmt_ts(ts: pd.Timestamp, ref: pd.Timestamp | None = None) -> str:
    if ref is not None and ts.date() == ref.date():
        return ts.strftime("%H:%M:%S")
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def _fmt_window(w: tuple[pd.Timestamp, pd.Timestamp]) -> str:
    return f"{_fmt_ts(w[0])}–{_fmt_ts(w[1], w[0])} UTC"


def _fmt_rate(x: float) -> str:
    return f"{x:.3g}/min"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass
class _Plan:
    """Incident and baseline windows, and how the baseline is measured."""

    incident: tuple[pd.Timestamp, pd.Timestamp]
    baseline: tuple[pd.Timestamp, pd.Timestamp] | None
    auto_bins: pd.Series | None = None  # bin start per row (auto mode): baseline = median over other bins
    bin_width: pd.Timedelta | None = None


def _plan(
    ts: pd.Series,
    is_err: np.ndarray,
    incident: Sequence[Any] | None,
    baseline: Sequence[Any] | None,
    freq: str | pd.Timedelta,
) -> _Plan | None:
    valid = ts.dropna()
    if valid.empty:
        return None
    lo, hi = valid.min(), valid.max() + pd.Timedelta(1, "ns")
    inc = utc_window(incident, "incident")
    base = utc_window(baseline, "baseline")
    if inc is None and base is None:
        width = pd.Timedelta(freq)
        bins = ts.dt.floor(width)
        err_bins = bins[is_err & ts.notna().to_numpy(dtype=bool)]
        if err_bins.empty:
            return None
        busiest = err_bins.value_counts().sort_index(kind="stable")
        start = busiest.idxmax()
        before = (lo, start) if lo < start else None
        return _Plan((start, start + width), before, bins, width)
    if inc is None:
        assert base is not None
        inc = (base[1], hi) if hi > base[1] else (lo, base[0]) if lo < base[0] else None
        if inc is None:
            return None
    if base is None:
        base = (lo, inc[0]) if lo < inc[0] else (inc[1], hi) if hi > inc[1] else None
    return _Plan(inc, base)


def _in(ts: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    return np.asarray(((ts >= window[0]) & (ts < window[1])).fillna(False), dtype=bool)


def _changes(keys: pd.Series, ts: pd.Series, plan: _Plan) -> pd.DataFrame:
    """Per key seen in the incident: incident and baseline counts, expected incident count, first/last time.

    ``expected`` is the baseline rate scaled to the incident's length, or (automatic incident) the median
    count of the other windows; NaN when there is no baseline to compare with.
    """
    columns = ["inc_count", "first", "last", "base_count", "base_lines", "expected"]
    present = keys.notna().to_numpy(dtype=bool)
    inc = _in(ts, plan.incident)
    frame = pd.DataFrame({"key": keys.to_numpy(dtype=object), "ts": ts.array, "inc": inc})
    hits = frame[present & inc]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    grouped = hits.groupby("key")["ts"]
    table = pd.DataFrame({"inc_count": grouped.size().astype("int64"), "first": grouped.min(), "last": grouped.max()})
    if plan.baseline is not None:
        in_base = _in(ts, plan.baseline)
        base_count = frame[present & in_base].groupby("key").size()
        base_lines = int(in_base.sum())
    else:
        base_count, base_lines = pd.Series(dtype="int64"), 0
    table["base_count"] = base_count.reindex(table.index).fillna(0).astype("int64")
    table["base_lines"] = base_lines
    if plan.auto_bins is not None and plan.bin_width is not None:
        bins = plan.auto_bins
        n_other = int((bins.max() - bins.min()) / plan.bin_width)  # every window but the incident one
        others = frame.assign(bin=bins.array)[present & ~inc & bins.notna().to_numpy(dtype=bool)]
        per_key = others.groupby(["key", "bin"]).size()
        expected = {}
        for key in table.index:
            counts = per_key.loc[key].to_numpy(dtype=float) if key in per_key.index.get_level_values(0) else np.zeros(0)
            values = np.concatenate([counts, np.zeros(max(n_other - len(counts), 0))])
            expected[key] = float(np.median(values)) if len(values) else np.nan
        table["expected"] = pd.Series(expected, dtype=float)
    elif plan.baseline is not None and base_lines > 0:
        scale = (plan.incident[1] - plan.incident[0]) / (plan.baseline[1] - plan.baseline[0])
        table["expected"] = table["base_count"] * float(scale)
    else:
        table["expected"] = np.nan
    return table[columns]


def _judge(table: pd.DataFrame, factor: float, min_count: int) -> pd.DataFrame:
    """Add ``fault`` (error_burst, new_error or NA), ``ratio`` and ``threshold`` columns."""
    exp = table["expected"].astype(float)
    threshold = np.maximum(float(min_count), factor * np.maximum(exp.fillna(0.0), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp > 0, table["inc_count"] / exp, np.inf)
    is_new = (table["base_count"] == 0) & (table["base_lines"] > 0)
    burst = ~is_new & (table["inc_count"] >= threshold) & exp.notna()
    fault = pd.Series(None, index=table.index, dtype=object)
    fault[burst] = "error_burst"
    fault[is_new] = "new_error"
    return table.assign(fault=fault, ratio=ratio, threshold=threshold)


def _services(df: pd.DataFrame, mask: np.ndarray) -> str:
    if "service" not in df.columns:
        return ""
    svc = sorted(set(_string(df, "service")[mask].dropna()))
    if not svc:
        return ""
    shown = ", ".join(svc[:4]) + (f" and {len(svc) - 4} more" if len(svc) > 4 else "")
    return f" in {shown}"


def _kind_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, factor: float, min_count: int, texts: pd.Series
) -> tuple[list[dict[str, Any]], set[str]]:
    table = _judge(_changes(df["error_kind"], ts, plan), factor, min_count)
    rows: list[dict[str, Any]] = []
    reported: set[str] = set()
    inc_minutes = (plan.incident[1] - plan.incident[0]).total_seconds() / 60
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    for kind, row in table.iterrows():
        if pd.isna(row["fault"]):
            continue
        kind = str(kind)
        n = int(row["inc_count"])
        if row["fault"] == "new_error" and n < 1:
            continue
        mask = in_inc & (df["error_kind"] == kind).fillna(False).to_numpy(dtype=bool)
        example = _example(texts[mask].dropna().iloc[0]) if texts[mask].notna().any() else ""
        where = _services(df, mask)
        fault = _KIND_FAULTS.get(kind, str(row["fault"]))
        section = _KIND_SECTIONS.get(kind)
        ref = "§3.3" + (f", {section}" if section else "")
        head = (
            f"{kind}: {_plural(n, 'line')}{where} in the incident window {_fmt_window(plan.incident)} "
            f"({_fmt_rate(n / inc_minutes)})"
        )
        if row["fault"] == "new_error":
            base = plan.baseline
            assert base is not None
            evidence = (
                f"{head}, none among the {row['base_lines']:,} lines of the baseline {_fmt_window(base)}; "
                f"first at {_fmt_ts(row['first'])} UTC"
            )
            severity = "critical" if n >= 10 * min_count else "warning" if n >= min_count else "info"
            metric, threshold = "new_error_lines", 0.0
        else:
            if plan.auto_bins is not None:
                against = f"a median of {row['expected']:.3g} per {_fmt_td(plan.bin_width)} window"
            else:
                base = plan.baseline
                assert base is not None
                against = (
                    f"{int(row['base_count']):,} in the baseline {_fmt_window(base)} "
                    f"(expected {row['expected']:.3g} in a window this long)"
                )
            ratio = row["ratio"]
            times = "most windows have none" if not np.isfinite(ratio) else f"{ratio:.1f}× the usual rate"
            evidence = f"{head} against {against}: {times}"
            severity = (
                "critical" if (not np.isfinite(ratio) or ratio >= 3 * factor) and n >= 3 * min_count else "warning"
            )
            metric, threshold = "incident_error_lines", float(row["threshold"])
        if kind in _CALLER_SIDE_KINDS and severity == "critical":
            severity = "warning"  # the callee refused as designed; a caller problem, not an outage
        if example:
            evidence += f"; e.g. {example!r}"
        layer, retry = KIND_DEFAULTS.get(kind, (None, None))
        retry_note = {
            True: " A retry with backoff can help.",
            False: " Retrying will not help.",
            None: " Retry only idempotent requests, and only if the deadline leaves time.",
        }[retry]
        rows.append(
            finding(
                _DETECTOR,
                fault,
                severity,
                f"error_kind {kind}" + (f" ({layer} layer)" if layer else ""),
                metric=metric,
                value=n,
                threshold=threshold,
                ts_start=row["first"],
                ts_end=row["last"],
                evidence=evidence + ".",
                recommendation=_ADVICE.get(kind, _ADVICE["error"]) + retry_note,
                handbook_ref=ref,
            )
        )
        reported.add(kind)
    return rows, reported


def _fmt_td(td: pd.Timedelta | None) -> str:
    if td is None:
        return "window"
    secs = td.total_seconds()
    if secs % 3600 == 0:
        return f"{secs / 3600:g} h"
    if secs % 60 == 0:
        return f"{secs / 60:g} min"
    return f"{secs:g} s"


def _template_findings(
    df: pd.DataFrame,
    ts: pd.Series,
    plan: _Plan,
    factor: float,
    min_count: int,
    reported: set[str],
    sim_threshold: float,
    depth: int,
) -> list[dict[str, Any]]:
    if "level" in df.columns:
        loud = _string(df, "level").str.lower().isin(["warn", "error", "fatal"]).fillna(False).to_numpy(dtype=bool)
    else:
        loud = df["error_kind"].notna().to_numpy(dtype=bool)
    column = "msg" if "msg" in df.columns else "raw" if "raw" in df.columns else None
    if column is None or not loud.any():
        return []  # no message to mine templates from
    sub = df[loud]
    ids, templates = mine_templates(sub, sim_threshold=sim_threshold, depth=depth, column=column)
    keys = ids.reindex(df.index)
    table = _judge(_changes(keys, ts, plan), factor, min_count)
    text_of = dict(zip(templates["template_id"], templates["template"], strict=True))
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    inc_minutes = (plan.incident[1] - plan.incident[0]).total_seconds() / 60
    texts = _string(df, "msg").fillna(_string(df, "raw"))
    rows: list[dict[str, Any]] = []
    for tid, row in table.iterrows():
        if pd.isna(row["fault"]):
            continue
        n = int(row["inc_count"])
        if row["fault"] == "new_error" and n < min_count:
            continue
        mask = in_inc & (keys == tid).fillna(False).to_numpy(dtype=bool)
        kinds = df.loc[mask, "error_kind"].dropna()
        dominant = str(kinds.value_counts().index[0]) if len(kinds) else None
        if dominant is not None and dominant != "error" and dominant in reported:
            continue
        template = str(text_of.get(str(tid), ""))
        where = _services(df, mask)
        head = (
            f"template {template[:100]!r}: {_plural(n, 'warn/error line')}{where} in the incident window "
            f"{_fmt_window(plan.incident)} ({_fmt_rate(n / inc_minutes)})"
        )
        if row["fault"] == "new_error":
            base = plan.baseline
            assert base is not None
            evidence = f"{head}, none in the baseline {_fmt_window(base)}"
            metric, threshold, severity = "new_template_lines", 0.0, "warning"
        else:
            ratio = row["ratio"]
            times = "most windows have none" if not np.isfinite(ratio) else f"{ratio:.1f}× the usual rate"
            evidence = f"{head}: {times}"
            metric, threshold, severity = "incident_template_lines", float(row["threshold"]), "warning"
        example = texts[mask].dropna()
        if len(example):
            evidence += f"; e.g. {_example(example.iloc[0])!r}"
        rows.append(
            finding(
                _DETECTOR,
                str(row["fault"]),
                severity,
                f"template {tid}",
                metric=metric,
                value=n,
                threshold=threshold,
                ts_start=row["first"],
                ts_end=row["last"],
                evidence=evidence + ".",
                recommendation=(
                    "Read these lines first: a message that is new or suddenly frequent at warn/error level "
                    "usually names the failing dependency. Follow their trace ids to the callee."
                    + (f" Its lines classify as {dominant}: " + _ADVICE.get(dominant, "") if dominant else "")
                ),
                handbook_ref="§3.3",
            )
        )
    return rows


def _retry_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, factor: float, min_count: int
) -> list[dict[str, Any]]:
    if "attempt" not in df.columns:
        return []
    attempt = pd.to_numeric(df["attempt"], errors="coerce")
    if attempt.notna().sum() == 0:
        return []
    first_attempt = float(attempt.min())
    is_retry = (attempt > first_attempt).fillna(False)
    keys = pd.Series("retry", index=df.index, dtype="string").where(is_retry)
    table = _judge(_changes(keys, ts, plan), factor, min_count)
    if "retry" not in table.index:
        return []
    row = table.loc["retry"].to_dict()
    if not isinstance(row["fault"], str):
        return []
    n = int(row["inc_count"])
    if n < min_count:
        return []
    in_inc = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    firsts = int(((attempt == first_attempt).fillna(False).to_numpy(dtype=bool) & in_inc).sum())
    amplification = (firsts + n) / firsts if firsts else float("inf")
    max_inc = attempt[in_inc].max()
    base_txt = ""
    if plan.baseline is not None:
        b = plan.baseline
        in_base = ((ts >= b[0]) & (ts < b[1])).fillna(False).to_numpy(dtype=bool)
        max_base = attempt[in_base].max()
        base_txt = f" vs {int(row['base_count']):,} in the baseline {_fmt_window(b)}" + (
            f" (highest attempt {int(max_base)})" if pd.notna(max_base) else ""
        )
    amp = f"{amplification:.1f}" if np.isfinite(amplification) else "unbounded"
    evidence = (
        f"Attempt numbers climb: {_plural(n, 'retry line')} (attempt > {int(first_attempt)}, highest "
        f"attempt {int(max_inc)}){_services(df, in_inc & is_retry.to_numpy(dtype=bool))} in the incident "
        f"window {_fmt_window(plan.incident)}{base_txt}; {amp} lines per first attempt."
    )
    severity = "critical" if not np.isfinite(amplification) or amplification >= 2 else "warning"
    return [
        finding(
            _DETECTOR,
            "retry_storm",
            severity,
            "retries (attempt column)",
            metric="retry_lines",
            value=n,
            threshold=float(row["threshold"]) if row["fault"] == "error_burst" else float(min_count),
            ts_start=row["first"],
            ts_end=row["last"],
            evidence=evidence,
            recommendation=(
                "Retries amplify the load on a struggling upstream: use exponential backoff with full "
                "jitter (delay = random(0, min(cap, base·2^n))), cap attempts at 2-3, keep a retry budget "
                "(e.g. at most 10 % extra requests), retry only retryable errors, and put a circuit "
                "breaker in front so retries stop while it is open."
            ),
            handbook_ref="§3.3, §4.1",
        )
    ]


_TO_OPEN = re.compile(r"(?:\bto[=: ]+\"?open\b|->\s*\"?open\b|→\s*open\b)", re.IGNORECASE)
_BREAKER_WORDS = re.compile(r"breaker|circuit|state", re.IGNORECASE)


def _search_distinct(texts: pd.Series, *patterns: re.Pattern[str]) -> np.ndarray:
    """True where every pattern is found in the text; each distinct text is searched once."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    hit = np.asarray([all(p.search(str(u)) for p in patterns) for u in uniques] + [False], dtype=bool)
    return hit[np.where(codes >= 0, codes, len(uniques))]


def _breaker_findings(
    df: pd.DataFrame, ts: pd.Series, plan: _Plan, freq: str | pd.Timedelta, min_episodes: int
) -> list[dict[str, Any]]:
    scope = ((ts >= plan.incident[0]) & (ts < plan.incident[1])).fillna(False).to_numpy(dtype=bool)
    if plan.auto_bins is not None:
        scope = ts.notna().to_numpy(dtype=bool)  # no explicit window: look at the whole table
    open_err = (df["error_kind"] == "breaker_open").fillna(False).to_numpy(dtype=bool) & scope
    transitions = _search_distinct(_string(df, "msg").fillna(_string(df, "raw")), _TO_OPEN, _BREAKER_WORDS) & scope
    n_trans = int(transitions.sum())
    episodes = 0
    if open_err.any():
        width = pd.Timedelta(freq)
        bins = ts.dt.floor(width)
        active = bins[scope].dropna().unique()
        open_bins = set(bins[open_err].dropna().unique())
        state = False
        for b in sorted(active):
            now = b in open_bins
            if now and not state:
                episodes += 1
            state = now
    opens = max(episodes, n_trans)
    if opens < min_episodes:
        return []
    mask = open_err | transitions
    how = (
        f"{n_trans} state changes to open"
        if n_trans >= episodes
        else f"{episodes} separate runs of breaker_open errors ({int(open_err.sum()):,} lines)"
    )
    return [
        finding(
            _DETECTOR,
            "breaker_flapping",
            "warning",
            "circuit breaker",
            metric="breaker_opens",
            value=opens,
            threshold=float(min_episodes),
            ts_start=ts[mask].min(),
            ts_end=ts[mask].max(),
            evidence=f"The breaker opened {opens} times{_services(df, mask)} between {_fmt_ts(ts[mask].min())} and "
            f"{_fmt_ts(ts[mask].max(), ts[mask].min())} UTC: {how}.",
            recommendation=(
                "A flapping breaker lets bursts of traffic through to a sick upstream and fails the rest: "
                "trip on a failure ratio over a minimum number of requests (gobreaker ReadyToTrip with "
                "Counts.Requests ≥ N) rather than on a few consecutive failures, keep it open longer "
                "(Settings.Timeout), let few probes through in half-open (MaxRequests), and fix the "
                "upstream's failures."
            ),
            handbook_ref="§3.3, §4.2",
        )
    ]


#: 4xx kinds: the callee answered as designed, so a burst is at most a warning.
_CALLER_SIDE_KINDS = frozenset({"client_error", "rate_limited"})


def detect_error_findings(
    events: pd.DataFrame,
    *,
    incident: Sequence[Any] | None = None,
    baseline: Sequence[Any] | None = None,
    factor: float = 3.0,
    min_count: int = 5,
    freq: str | pd.Timedelta = "1min",
    templates: bool = True,
    sim_threshold: float = 0.4,
    depth: int = 4,
    min_breaker_opens: int = 3,
) -> pd.DataFrame:
    """Error bursts, new errors and the faults they point to, from an events table.

    Parameters
    ----------
    events
        Table with schema ``events``; classified with :func:`classify_errors`
        first when needed.
    incident, baseline
        ``(start, end)`` windows (start included, end excluded; naive times are
        UTC). With only one of them, the other is the time before it (or after,
        when nothing came before). With neither, the incident is the busiest
        ``freq`` window of error lines and the baseline is the median window of
        the whole table (zeros included) for bursts, and the lines before the
        incident window for new errors.
    factor
        A kind or template is an ``error_burst`` when its incident count is at
        least ``factor`` × the baseline's expected count (at least 1) and at
        least ``min_count``.
    min_count
        Least incident lines for a burst, a new template, a warning-level new
        kind and a retry storm.
    freq
        Window width for the automatic incident and for breaker episodes.
    templates
        Also mine message templates of warn/error/fatal lines
        (:func:`~apiprobe.analyze.templates.mine_templates`) and report the
        ones that are new or grew; a template whose lines are mostly a kind
        that already has a finding is not reported again.
    sim_threshold, depth
        Passed to the template miner.
    min_breaker_opens
        Least breaker openings (runs of ``breaker_open`` lines separated by
        windows without them, or logged state changes to open) for
        ``breaker_flapping``.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), most severe first. Faults:
        ``error_burst`` and ``new_error`` per kind and per template;
        ``pool_exhaustion`` instead for ``pool_timeout``; ``timeout`` instead
        for ``read_timeout`` and ``body_timeout``; ``retry_storm`` when the
        lines carrying a retry ``attempt`` above the first grow;
        ``breaker_flapping``. ``handbook_ref`` is §3.3 plus the section of the
        kind (§2.1 DNS/connect, §2.2 TLS, §2.4 status codes, §2.5 pools,
        §4.1 retries and rate limits, §4.2 breakers, §4.3 timeouts).
        Severity: a new kind is critical from ``10 × min_count`` lines, a
        warning from ``min_count``; a burst is critical from ``3 × factor``
        times the usual rate and ``3 × min_count`` lines. 4xx kinds
        (``client_error``, ``rate_limited``) are at most warnings: the callee
        refused as designed.
    """
    if factor <= 0 or min_count < 1:
        raise ValueError("factor must be positive and min_count at least 1")
    if events is None or len(events) == 0 or "ts" not in events.columns:
        return findings_frame([])
    df = _classified(events).reset_index(drop=True)
    ts = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    is_err = df["error_kind"].notna().to_numpy(dtype=bool)
    plan = _plan(ts, is_err, incident, baseline, freq)
    if plan is None:
        return findings_frame([])
    texts = _texts(df)
    rows, reported = _kind_findings(df, ts, plan, factor, min_count, texts)
    if templates:
        rows += _template_findings(df, ts, plan, factor, min_count, reported, sim_threshold, depth)
    rows += _retry_findings(df, ts, plan, factor, min_count)
    rows += _breaker_findings(df, ts, plan, freq, min_breaker_opens)
    return findings_frame(rows)

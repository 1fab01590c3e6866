"""The error taxonomy as data: one :class:`ErrorRule` record per Go error message family.

:data:`ERROR_PATTERNS` lists the rules in priority order (the first rule whose
pattern matches an error string decides; the most specific come first, so
``context deadline exceeded (Client.Timeout exceeded while awaiting headers)``
is a ``read_timeout``, not a bare ``deadline_exceeded``). The pool-wait rules
come from :data:`apiprobe.analyze.pool.POOL_LOG_PATTERNS` and the certificate
rules from the Go log fragments of :mod:`apiprobe.analyze.tls`, so each
message family is written down once. :data:`KIND_DEFAULTS` gives the layer
and retryability of a kind known without a rule; ``_CODE_ALIASES`` maps
explicit error codes (``ECONNREFUSED``, ``UNAVAILABLE``…) to kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apiprobe.analyze.pool import POOL_LOG_PATTERNS
from apiprobe.analyze.tls import GO_LOG_CAUSES

__all__ = ["ERROR_PATTERNS", "KIND_DEFAULTS", "ErrorRule"]


@dataclass(frozen=True)
class ErrorRule:
    """One rule of the error taxonomy.

    Parameters
    ----------
    name : str
        Short identifier, shown in the ``error_rule`` column.
    pattern : str
        Regular expression searched anywhere in the error text (RE2 syntax,
        which is also valid for Python's :mod:`re`).
    kind : str
        ``error_kind`` given to a match (a key of :data:`~apiprobe.schema.ERROR_KINDS`).
    layer : str
        ``error_layer`` (a key of :data:`~apiprobe.schema.ERROR_LAYERS`).
    retryable : bool or None
        Whether a retry can help: True, False, or None for "maybe".
    example : str, default ""
        A verbatim error this rule classifies (tests check each one).
    note : str, default ""
        What the message means.
    case_sensitive : bool, default False
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
    "certificate signed by unknown authority": (
        'Get "https://quotes:8443/q": tls: failed to verify certificate: x509: certificate signed by unknown authority'
    ),
    "certificate has expired or is not yet valid": (
        'Get "https://quotes:8443/q": x509: certificate has expired or is not yet valid: '
        "current time 2024-05-01T10:00:00Z is after 2024-04-30T23:59:59Z"
    ),
    "certificate is valid for": (
        'Get "https://10.0.0.5:8443/q": x509: certificate is valid for quotes.internal, not quotes'
    ),
    "doesn't contain any IP SANs": (
        'Get "https://10.0.0.5:8443/q": x509: cannot validate certificate for 10.0.0.5 because it '
        "doesn't contain any IP SANs"
    ),
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


def _example_for(pattern: str) -> str:
    """The first of ``_POOL_EXAMPLES`` that ``pattern`` matches, or ""."""
    return next((e for e in _POOL_EXAMPLES if re.search(pattern, e)), "")


def _pool_rules() -> list[ErrorRule]:
    """Pool-wait rules, one per entry of :data:`apiprobe.analyze.pool.POOL_LOG_PATTERNS`."""
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
        refused = "server connection limit" in pool_name
        rules.append(
            ErrorRule(
                name=unique("db_connection_limit" if refused else f"pool_wait_{_slug(pool_name)}"),
                kind="connect_error" if refused else "pool_timeout",
                layer="connect" if refused else "pool",
                retryable=True,
                pattern=pattern,
                example=_example_for(pattern),
                note=(
                    f"the {pool_name} refused a new connection (check {setting})"
                    if refused
                    else f"gave up waiting for a connection from the {pool_name} ({setting})"
                ),
            )
        )
    return rules


def _tls_rules() -> list[ErrorRule]:
    """TLS rules, one per Go log fragment of :mod:`apiprobe.analyze.tls`."""
    rules = []
    for fragment, checks, how, _fix in GO_LOG_CAUSES:
        if "timeout" in fragment.lower():
            kind = "tls_timeout"
        else:
            kinds = {_TLS_CHECK_KINDS.get(c, "tls_error") for c in checks}
            kind = kinds.pop() if len(kinds) == 1 else "tls_error"
        rules.append(
            ErrorRule(
                name=f"tls_{_slug(fragment)}",
                kind=kind,
                layer="tls",
                retryable=kind == "tls_timeout",
                pattern=_escape(fragment),
                example=_TLS_EXAMPLES.get(fragment, fragment),
                note=how,
            )
        )
    return rules


# --------------------------------------------------------------------------- the rules, by family

_TLS_EXTRA: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="tls_http_to_https",
        kind="tls_error",
        layer="tls",
        retryable=False,
        pattern=r"server gave HTTP response to HTTPS client",
        example='Get "https://quotes:8080/q": http: server gave HTTP response to HTTPS client',
        note="https:// to a plain-HTTP port",
    ),
    ErrorRule(
        name="tls_other",
        kind="tls_error",
        layer="tls",
        retryable=False,
        pattern=r"\bx509: |\btls: |remote error: ",
        example="remote error: tls: bad certificate",
        note="another TLS or certificate failure",
    ),
)

_DNS: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="dns_no_such_host",
        kind="nxdomain",
        layer="dns",
        retryable=False,
        pattern=r"no such host",
        example="dial tcp: lookup quotes.internal on 10.96.0.10:53: no such host",
        note="the resolver answered NXDOMAIN: wrong name, missing record, or a search-domain/ndots surprise",
    ),
    ErrorRule(
        name="dns_timeout",
        kind="dns_timeout",
        layer="dns",
        retryable=True,
        pattern=rf"(?:{_DNS_LOOKUP}).*(?:i/o timeout|timed out)|\blookup {_DNS_HOST}: i/o timeout",
        example=(
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: read udp 10.1.0.7:41234->10.96.0.10:53: i/o timeout"
        ),
        note="the resolver did not answer in time",
    ),
    ErrorRule(
        name="dns_server_misbehaving",
        kind="servfail",
        layer="dns",
        retryable=True,
        pattern=r"server misbehaving",
        example="dial tcp: lookup quotes.internal on 10.96.0.10:53: server misbehaving",
        note="the resolver answered SERVFAIL or REFUSED",
    ),
    ErrorRule(
        name="dns_other",
        kind="dns_failure",
        layer="dns",
        retryable=True,
        pattern=rf"{_DNS_LOOKUP}|temporary failure in name resolution|no address associated with hostname",
        example=(
            "dial tcp: lookup quotes.internal on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: network is unreachable"
        ),
        note="name resolution failed for another reason",
    ),
)

_CONNECT: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="dial_refused",
        kind="connect_refused",
        layer="connect",
        retryable=True,
        pattern=r"connection refused|connectex: No connection could be made|ECONNREFUSED",
        example='Get "http://quotes:8080/q": dial tcp 10.0.0.5:8080: connect: connection refused',
        note="TCP RST to the SYN: nothing listens there (down, restarting, wrong port)",
    ),
    ErrorRule(
        name="dial_timeout",
        kind="connect_timeout",
        layer="connect",
        retryable=True,
        pattern=(
            r"\bdial tcp[46]?\b.*(?:i/o timeout|connection timed out|operation timed out)|"
            r"connect: connection timed out"
        ),
        example='Get "http://quotes:8080/q": dial tcp 10.0.0.5:8080: i/o timeout',
        note="no SYN-ACK in time: host down, packets dropped, or the accept queue is full",
    ),
    ErrorRule(
        name="dial_other",
        kind="connect_error",
        layer="connect",
        retryable=None,
        pattern=(
            r"\bdial (?:tcp|udp|unix)[46]?\b|no route to host|network is unreachable|"
            r"too many open files"
        ),
        example="dial tcp 10.0.0.5:8080: connect: no route to host",
        note="the connection could not be opened",
    ),
)

_TRANSPORT: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="idle_conn_closed",
        kind="idle_conn_closed",
        layer="response",
        retryable=True,
        pattern=r"server closed idle connection",
        example='Post "http://quotes:8080/q": http: server closed idle connection',
        note=(
            "the server closed a kept-alive connection as the client reused it (server idle timeout shorter "
            "than the client's IdleConnTimeout)"
        ),
    ),
    ErrorRule(
        name="http2_goaway",
        kind="goaway",
        layer="response",
        retryable=True,
        pattern=r"GOAWAY",
        example=(
            'Get "https://quotes:8443/q": http2: server sent GOAWAY and closed the connection; '
            'LastStreamID=1999, ErrCode=NO_ERROR, debug=""'
        ),
        note="the HTTP/2 server is shutting the connection down (restart, max-age, load balancer)",
    ),
    ErrorRule(
        name="sql_conn_closed",
        kind="conn_closed",
        layer="pool",
        retryable=True,
        pattern=(
            r"sql: connection is already closed|driver: bad connection|"
            r"use of closed network connection"
        ),
        example="sql: connection is already closed",
        note="a pooled connection was used after it was closed",
    ),
    ErrorRule(
        name="protocol_error",
        kind="protocol_error",
        layer="response",
        retryable=False,
        pattern=(
            r"malformed HTTP|PROTOCOL_ERROR|http2: (?:invalid|unexpected)|"
            r"unexpected content-type"
        ),
        example='Get "http://quotes:8080/q": net/http: HTTP/1.x transport connection broken: malformed HTTP response',
        note="the peer did not speak valid HTTP (wrong port, proxy, TLS to a plain port)",
    ),
    ErrorRule(
        name="body_length_mismatch",
        kind="write_error",
        layer="request",
        retryable=False,
        pattern=r"ContentLength=\d+ with Body length \d+",
        example=(
            'Post "http://quotes:8080/q": net/http: HTTP/1.x transport connection broken: http: '
            "ContentLength=120 with Body length 0"
        ),
        note="the request body was shorter than its Content-Length (a body reader reused after a retry)",
    ),
)

_TIMEOUTS: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="client_timeout_body",
        kind="body_timeout",
        layer="response",
        retryable=None,
        pattern=r"Client\.Timeout or context cancellation while reading body",
        example=(
            'Get "http://quotes:8080/q": net/http: request canceled (Client.Timeout or context cancellation '
            "while reading body)"
        ),
        note="headers came, the body did not finish within http.Client.Timeout",
    ),
    ErrorRule(
        name="client_timeout_headers",
        kind="read_timeout",
        layer="request",
        retryable=None,
        pattern=(
            r"Client\.Timeout exceeded while awaiting headers|"
            r"timeout awaiting response headers"
        ),
        example=(
            'Get "http://quotes:8080/q": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        ),
        note="no response headers within http.Client.Timeout or Transport.ResponseHeaderTimeout",
    ),
    ErrorRule(
        name="read_io_timeout",
        kind="read_timeout",
        layer="request",
        retryable=None,
        pattern=r"\bread (?:tcp|udp|unix)[46]? \S+: i/o timeout",
        example="read tcp 10.0.0.4:51234->10.0.0.5:8080: i/o timeout",
        note="a read deadline on the connection expired while waiting for the peer",
    ),
    ErrorRule(
        name="write_io_timeout",
        kind="write_error",
        layer="request",
        retryable=True,
        pattern=r"\bwrite (?:tcp|unix)[46]? \S+: i/o timeout",
        example="write tcp 10.0.0.4:51234->10.0.0.5:8080: i/o timeout",
        note="a write deadline expired: the peer stopped reading",
    ),
)

_RESETS: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="connection_reset",
        kind="connection_reset",
        layer="response",
        retryable=True,
        pattern=r"connection reset by peer|ECONNRESET|forcibly closed by the remote host",
        example="read tcp 10.0.0.4:51234->10.0.0.5:8080: read: connection reset by peer",
        note="the peer sent RST mid-exchange (crash, restart, proxy idle timeout)",
    ),
    ErrorRule(
        name="broken_pipe",
        kind="connection_reset",
        layer="request",
        retryable=True,
        pattern=r"broken pipe|EPIPE",
        example="write tcp 10.0.0.4:51234->10.0.0.5:8080: write: broken pipe",
        note="the client wrote to a connection the peer had already closed",
    ),
    ErrorRule(
        name="eof",
        kind="eof",
        layer="response",
        retryable=True,
        pattern=r"\bEOF\b",
        case_sensitive=True,
        example='Post "http://quotes:8080/q": EOF',
        note="the connection ended before a complete response (often a closed keep-alive connection)",
    ),
)

_BREAKER: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="breaker_open",
        kind="breaker_open",
        layer="breaker",
        retryable=False,
        pattern=r"circuit breaker is open|breaker is open|circuit (?:is )?open|hystrix: ",
        example="circuit breaker is open",
        note="the caller's breaker refused the call (gobreaker ErrOpenState)",
    ),
    ErrorRule(
        name="http_429",
        kind="rate_limited",
        layer="server",
        retryable=True,
        pattern=_STATUS + r"429\b|\b429 too many requests",
        example="unexpected status 429 Too Many Requests",
        note="the callee refused the call for rate",
    ),
    ErrorRule(
        name="http_429_text",
        kind="rate_limited",
        layer="server",
        retryable=True,
        pattern=r"Too Many Requests",
        case_sensitive=True,
        example="quotes API: Too Many Requests",
        note="the callee refused the call for rate",
    ),
    ErrorRule(
        name="breaker_half_open_limit",
        kind="breaker_open",
        layer="breaker",
        retryable=False,
        pattern=r"too many requests",
        case_sensitive=True,
        example="too many requests",
        note="gobreaker ErrTooManyRequests: the half-open breaker already let MaxRequests through",
    ),
    ErrorRule(
        name="rate_limiter_wait",
        kind="rate_limited",
        layer="breaker",
        retryable=False,
        pattern=r"\brate: Wait|would exceed context deadline",
        example="rate: Wait(n=1) would exceed context deadline",
        note="the caller's own limiter (golang.org/x/time/rate) would wait past the deadline",
    ),
    ErrorRule(
        name="rate_limit_text",
        kind="rate_limited",
        layer="server",
        retryable=True,
        pattern=r"rate[ _-]?limit|throttl|quota exceeded",
        example="rate limit exceeded",
        note="rate limited",
    ),
)

_GRPC: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="grpc_unavailable",
        kind="server_error",
        layer="server",
        retryable=True,
        pattern=r"code = Unavailable",
        example="rpc error: code = Unavailable desc = the connection is draining",
        note="gRPC UNAVAILABLE (transient)",
    ),
    ErrorRule(
        name="grpc_resource_exhausted",
        kind="rate_limited",
        layer="server",
        retryable=True,
        pattern=r"code = ResourceExhausted",
        example="rpc error: code = ResourceExhausted desc = per-client limit reached",
        note="gRPC RESOURCE_EXHAUSTED",
    ),
    ErrorRule(
        name="grpc_internal",
        kind="server_error",
        layer="server",
        retryable=None,
        pattern=r"code = (?:Internal|Unknown|DataLoss)\b",
        example="rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR",
        note="gRPC INTERNAL / UNKNOWN / DATA_LOSS",
    ),
    ErrorRule(
        name="grpc_invalid",
        kind="client_error",
        layer="client",
        retryable=False,
        pattern=r"code = (?:InvalidArgument|FailedPrecondition|OutOfRange)\b",
        example="rpc error: code = InvalidArgument desc = symbol must not be empty",
        note="gRPC INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE",
    ),
    ErrorRule(
        name="grpc_deadline",
        kind="deadline_exceeded",
        layer="client",
        retryable=None,
        pattern=r"code = DeadlineExceeded",
        example="rpc error: code = DeadlineExceeded desc = context deadline exceeded",
        note="gRPC DEADLINE_EXCEEDED",
    ),
    ErrorRule(
        name="grpc_canceled",
        kind="canceled",
        layer="client",
        retryable=False,
        pattern=r"code = Canceled",
        example="rpc error: code = Canceled desc = context canceled",
        note="gRPC CANCELLED",
    ),
)

_CONTEXT: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="context_deadline",
        kind="deadline_exceeded",
        layer="client",
        retryable=None,
        pattern=r"deadline exceeded",
        example='Get "http://quotes:8080/q": context deadline exceeded',
        note="the caller's context deadline expired; the message does not say in which phase",
    ),
    ErrorRule(
        name="context_canceled",
        kind="canceled",
        layer="client",
        retryable=False,
        pattern=r"context canceled|operation was canceled|request canceled",
        example='Get "http://quotes:8080/q": context canceled',
        note="the caller canceled (its own caller went away, or a sibling call failed first)",
    ),
    ErrorRule(
        name="io_timeout",
        kind="deadline_exceeded",
        layer="client",
        retryable=None,
        pattern=r"i/o timeout|timed out",
        example="i/o timeout",
        note="a connection deadline (os.ErrDeadlineExceeded) expired in an unknown phase",
    ),
)

_STATUS_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(
        name="http_502_503_504",
        kind="server_error",
        layer="server",
        retryable=True,
        pattern=(
            _STATUS + r"50[234]\b|Bad Gateway|Service Unavailable|Gateway Time-?out|"
            r"no healthy upstream|upstream connect error"
        ),
        example="unexpected status 503 Service Unavailable",
        note="the callee or its proxy is overloaded or down",
    ),
    ErrorRule(
        name="http_5xx",
        kind="server_error",
        layer="server",
        retryable=None,
        pattern=_STATUS + r"5\d\d\b|Internal Server Error|\bpanic: ",
        example="unexpected status 500 Internal Server Error",
        note="the callee failed while handling the request",
    ),
    ErrorRule(
        name="http_4xx_invalid",
        kind="client_error",
        layer="client",
        retryable=False,
        pattern=(
            _STATUS + r"(?:400|405|409|410|411|413|414|415|422)\b|Bad Request|"
            r"Unprocessable Entity|validation (?:failed|error)|invalid (?:argument|request|input|parameter)"
        ),
        example="unexpected status 422 Unprocessable Entity",
        note="the callee rejected the request as invalid: retrying the same request cannot help",
    ),
)


#: The taxonomy, in priority order: the first rule whose pattern matches an error string decides.
ERROR_PATTERNS: tuple[ErrorRule, ...] = (
    *_pool_rules(),
    *_tls_rules(),
    *_TLS_EXTRA,
    *_DNS,
    *_CONNECT,
    *_TRANSPORT,
    *_TIMEOUTS,
    *_RESETS,
    *_BREAKER,
    *_GRPC,
    *_CONTEXT,
    *_STATUS_RULES,
)

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

#: Explicit codes that say more about retrying than their kind does.
_CODE_RETRYABLE: dict[str, bool] = {"unavailable": True, "service_unavailable": True}

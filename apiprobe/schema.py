"""Evidence and findings schemas, as data.

Every table that crosses a layer boundary (probe → analyze → plot → report)
has a column list here. Conventions:

* times are tz-aware UTC (``datetime64[ns, UTC]``) in a column named ``ts``
  (or ``ts_start``/``ts_end``);
* durations are float milliseconds in columns named ``*_ms``;
* missing is NA (``NaN`` in float columns, ``pd.NA`` elsewhere), never 0:
  a phase that did not happen or failed is NA.

:func:`conform` builds a table in schema order with the right dtypes;
:func:`validate` checks one and raises :class:`~apiprobe.errors.SchemaError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.api.types import pandas_dtype

from apiprobe.errors import SchemaError

TS = "datetime64[ns, UTC]"
STR = "string"
F64 = "float64"
INT = "Int64"
BOOL = "boolean"


@dataclass(frozen=True)
class Column:
    """One column of a schema: name, pandas dtype and meaning (with unit).

    Attributes
    ----------
    name : str
        Column name.
    dtype : str
        pandas dtype name (``"float64"``, ``"string"``, ``"datetime64[ns, UTC]"``...) or
        ``"attrs"`` for a mapping column (an Arrow struct/map or object).
    doc : str
        What the column holds, with its unit.
    """

    name: str
    dtype: str
    doc: str


#: Vocabulary of ``error_kind`` for probes and pings. A row with no failure has NA.
ERROR_KINDS: dict[str, str] = {
    "dns_failure": "the name did not resolve (NXDOMAIN, no address, resolver error)",
    "dns_timeout": "the resolver did not answer within the timeout",
    "nxdomain": "the resolver answered that the name does not exist (NXDOMAIN)",
    "servfail": "the resolver failed to answer (SERVFAIL, REFUSED)",
    "connect_refused": "TCP RST to our SYN: nothing listens on that port",
    "connect_timeout": "no SYN-ACK within the timeout (filtered, black-holed or a full accept queue)",
    "connect_error": "any other failure while opening the TCP connection",
    "tls_error": "the TLS handshake failed for a reason other than the certificate checks below",
    "tls_untrusted": "certificate chain not trusted: missing intermediate, self-signed or unknown root "
    "(Go: x509: certificate signed by unknown authority)",
    "tls_expired": "a certificate is expired or not yet valid (Go: x509: certificate has expired or is not yet valid)",
    "tls_hostname": "the certificate is not valid for the requested name (Go: x509: certificate is valid for A, not B)",
    "tls_timeout": "the TLS handshake did not finish within the timeout",
    "write_error": "the request could not be sent",
    "read_timeout": "the request was sent but no response headers came within the timeout",
    "body_timeout": "headers came but the body did not finish within the timeout",
    "connection_reset": "the peer reset or closed the connection mid-exchange",
    "protocol_error": "the peer answered something that is not valid HTTP",
    "deadline_exceeded": "a context deadline expired; the log line does not say in which phase "
    "(Go: context deadline exceeded)",
    "canceled": "the caller canceled the request (Go: context canceled)",
    "pool_timeout": "no connection could be taken from a pool in time (Go: redis/pg: connection pool "
    "timeout, net/http: request canceled while waiting for connection)",
    "idle_conn_closed": "the server closed a kept-alive connection the client was about to reuse "
    "(Go: http: server closed idle connection)",
    "goaway": "the HTTP/2 server sent GOAWAY and closed the connection",
    "eof": "the connection ended before a complete response (Go: EOF, unexpected EOF)",
    "conn_closed": "a pooled connection was used after it was closed (Go: sql: connection is already closed)",
    "breaker_open": "a circuit breaker refused the call (gobreaker: circuit breaker is open, too many requests)",
    "rate_limited": "the callee refused the call for rate (HTTP 429, rate limit exceeded)",
    "server_error": "the callee answered with a 5xx or logged an internal error",
    "client_error": "the request was rejected as invalid (4xx other than 401/403/404/429)",
    "error": "an unexpected failure; the error column has the details",
}

#: Where a failure happened, for ``error_layer`` in classified log events.
ERROR_LAYERS: dict[str, str] = {
    "dns": "name resolution",
    "connect": "TCP connection setup",
    "tls": "TLS handshake and certificate checks",
    "request": "sending the request or waiting for response headers",
    "response": "reading the response body, or the connection ended mid-response",
    "pool": "waiting for a pooled connection (HTTP, SQL, Redis)",
    "breaker": "a circuit breaker or rate limiter in the caller",
    "server": "the callee failed while handling the request",
    "client": "the caller gave up or sent something invalid",
}

#: Normalised log levels, in order of severity.
LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warn", "error", "fatal")

#: Vocabulary of ``fault`` in findings, shared by every detector.
FAULTS: dict[str, str] = {
    "timeout": "requests that hit the client timeout",
    "slow_phase": "one phase (DNS, connect, TLS, server, transfer) dominates slow requests",
    "high_latency": "round-trip or phase latency above the handbook threshold",
    "jitter": "latency varies strongly between consecutive samples",
    "loss": "failed attempts above the loss threshold",
    "dns": "slow or failing name resolution",
    "connect_refused": "nothing listens where the client connects",
    "tls_chain": "certificate chain not trusted: missing intermediate, self-signed, unknown root, order",
    "tls_expiry": "certificate expired, not yet valid, or expiring soon",
    "tls_hostname": "certificate not valid for the name the client asks for",
    "tls_weak": "weak key, weak signature, old protocol, or a leaf that is a CA",
    "server_errors": "5xx answers above the error-rate threshold",
    "timeout_budget": "a timeout with no slack: over the observed p99, or longer than what its caller has left",
    "serialization": "request/response body decoding traps",
    "status_misuse": "HTTP status codes that say the wrong thing",
    "pool_exhaustion": "waits for a connection from an exhausted pool",
    "retry_storm": "retries amplifying load",
    "retry_misuse": "retries that ignore backoff, retry in lockstep (no jitter) or retry errors a retry cannot fix",
    "breaker_flapping": "a circuit breaker that opens and closes repeatedly",
    "breaker_open": "a circuit breaker rejecting a large share of calls",
    "breaker_misconfig": "a circuit breaker that counts the caller's errors, or whose trip rule cannot fire",
    "orphaned_work": "calls still running after their caller gave up (context not propagated)",
    "fallback": "requests served by a fallback or degraded mode",
    "slo_burn": "the error budget burns faster than a multiwindow burn-rate alert allows",
    "gc_pressure": "garbage collection pauses above the handbook's 5 s per minute",
    "goroutine_leak": "goroutines that only grow",
    "cpu_throttling": "the container's CPU limit throttles the process",
    "propagation_gap": "a trace id lost between services",
    "error_burst": "an error kind or message template grew sharply in the incident window",
    "new_error": "an error kind or message template that the baseline window never showed",
    "slow_span": "one span dominates a trace's critical path",
    "slow_region": "an execution-trace region whose tail is far above its median, and where that time went",
    "goroutine_pileup": "many goroutines blocked at once on the same stack",
    "sched_latency": "goroutines wait long between runnable and running (too few Ps for the work)",
}

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")

#: Vocabulary of ``role`` in hypotheses (triage), in the order a report lists them.
HYPOTHESIS_ROLES: dict[str, str] = {
    "root cause": "nothing in the evidence explains it, and it explains what followed",
    "consequence": "another hypothesis (caused_by) explains it",
    "unexplained symptom": "an effect whose cause is not in the evidence: add the callee's logs or a dump",
    "possible cause": "a cause the evidence cannot place in the incident (no time), or too weakly supported",
    "contributing factor": "configuration, or a fault already there before, that made the incident worse",
    "unrelated": "true and worth fixing, but not part of this incident",
}

#: The phases of one HTTP attempt, in order; their sum is close to ``total_ms``.
PHASES: tuple[str, ...] = ("dns_ms", "connect_ms", "tls_ms", "request_ms", "ttfb_ms", "transfer_ms")
PHASE_LABELS: dict[str, str] = {
    "dns_ms": "DNS",
    "connect_ms": "Connect",
    "tls_ms": "TLS",
    "request_ms": "Request",
    "ttfb_ms": "Server (TTFB)",
    "transfer_ms": "Transfer",
    "total_ms": "Total",
    "rtt_ms": "TCP RTT",
}

#: error_kind values that mean "the client gave up waiting".
TIMEOUT_KINDS: frozenset[str] = frozenset(
    {"dns_timeout", "connect_timeout", "tls_timeout", "read_timeout", "body_timeout"}
)

PROBES: tuple[Column, ...] = (
    Column("ts", TS, "UTC wall-clock time the attempt started"),
    Column("run_id", STR, "identifier shared by all rows of one probe run"),
    Column("target", STR, "the target as given by the user (URL)"),
    Column("url", STR, "normalised URL that was requested"),
    Column("method", STR, "HTTP method"),
    Column("host", STR, "host name from the URL"),
    Column("ip", STR, "address actually connected to; NA if resolution failed"),
    Column("port", INT, "TCP port"),
    Column("scheme", STR, "http or https"),
    Column("resolver", STR, "how the name was resolved: system, literal, static, or a callable's name"),
    Column("dns_ms", F64, "name resolution time, ms; NA for IP literals and failures"),
    Column(
        "connect_ms",
        F64,
        "TCP connect (SYN → SYN-ACK → ACK), ms: before the connect call → the event loop sees it established",
    ),
    Column("tls_ms", F64, "TLS handshake time, ms; NA for plain HTTP and reused connections"),
    Column("request_ms", F64, "writing the request: before the first write → the kernel took the last bytes, ms"),
    Column(
        "ttfb_ms",
        F64,
        "server wait, ms: the instant before the last request bytes are handed to the kernel → the first "
        "response byte read from the socket (in the event loop's read callback, before any HTTP parsing); "
        "late scheduling can only lengthen it, never shorten it below the server's own wait; NA unless an "
        "HTTP response head came back (curl: time_starttransfer − time_pretransfer)",
    ),
    Column("transfer_ms", F64, "first response byte → body read completely, ms (headers parsing included)"),
    Column("total_ms", F64, "start of the attempt (before DNS) → body read completely, ms; NA if it failed"),
    Column("status", INT, "HTTP status code; NA if no response"),
    Column("http_version", STR, "HTTP/1.1 or HTTP/2"),
    Column("tls_version", STR, "negotiated TLS version, e.g. TLSv1.3"),
    Column("reused_conn", BOOL, "True when a kept-alive connection was reused (no connect/TLS phases)"),
    Column("bytes", INT, "response body size in bytes"),
    Column("error_kind", STR, "failure class from ERROR_KINDS; NA on success"),
    Column("error", STR, "failure detail as reported by the network stack"),
)

PINGS: tuple[Column, ...] = (
    Column("ts", TS, "UTC wall-clock time the sample started"),
    Column("run_id", STR, "identifier shared by all rows of one run"),
    Column("target", STR, "host:port as given"),
    Column("ip", STR, "address connected to"),
    Column("port", INT, "TCP port"),
    Column("seq", INT, "sample number within the target, from 0"),
    Column("rtt_ms", F64, "TCP connect time, ms; NA when the sample failed"),
    Column("ok", BOOL, "True when the connection was established"),
    Column("error_kind", STR, "failure class from ERROR_KINDS; NA on success"),
    Column("error", STR, "failure detail"),
)

FINDINGS: tuple[Column, ...] = (
    Column("detector", STR, "function that produced the finding"),
    Column("fault", STR, "fault class from FAULTS"),
    Column("severity", STR, "critical, warning or info"),
    Column("subject", STR, "what the finding is about (target, phase)"),
    Column("ts_start", TS, "first observation involved"),
    Column("ts_end", TS, "last observation involved"),
    Column("metric", STR, "name of the measured quantity"),
    Column("value", F64, "measured value"),
    Column("threshold", F64, "threshold it was compared against"),
    Column("evidence", STR, "one sentence an engineer can read: what was seen"),
    Column("recommendation", STR, "what to do next"),
    Column("handbook_ref", STR, "handbook section, e.g. §2.1"),
)

CERTS: tuple[Column, ...] = (
    Column("target", STR, "host:port or file the chain came from"),
    Column("position", INT, "0 for the leaf, then in the order the server sent them"),
    Column("subject", STR, "subject distinguished name (RFC 4514)"),
    Column("issuer", STR, "issuer distinguished name (RFC 4514)"),
    Column("sans", STR, "subjectAltName DNS names and IPs, comma-separated"),
    Column("not_before", TS, "start of validity, UTC"),
    Column("not_after", TS, "end of validity, UTC"),
    Column("days_left", F64, "days from the evaluation time to not_after (negative: expired)"),
    Column("sha256", STR, "SHA-256 fingerprint of the DER certificate, hex"),
    Column("is_ca", BOOL, "basicConstraints CA flag"),
    Column("self_signed", BOOL, "subject equals issuer and the signature verifies with its own key"),
    Column("key_type", STR, "RSA, EC, Ed25519, ..."),
    Column("key_bits", INT, "public key size in bits"),
    Column("signature_algorithm", STR, "e.g. sha256WithRSAEncryption, ecdsa-with-SHA256"),
    Column("aia_ca_issuers", STR, "AIA caIssuers URL(s): where the issuer certificate can be fetched"),
)

TLS_VERDICTS: tuple[Column, ...] = (
    Column("target", STR, "host:port or file the chain came from"),
    Column("store", STR, "trust store the check ran against: certifi, system, or a CA file"),
    Column("check", STR, "name of the check (expired, hostname_mismatch, missing_intermediate, ...)"),
    Column("ok", BOOL, "True when the check passed"),
    Column("severity", STR, "critical, warning or info (meaningful when ok is False)"),
    Column("detail", STR, "what was found, in plain language"),
    Column("go_error", STR, "what a Go client logs for this defect; NA when it connects fine"),
    Column("recommendation", STR, "what to change"),
)

DNS: tuple[Column, ...] = (
    Column("ts", TS, "UTC time the query was sent"),
    Column("name", STR, "name queried"),
    Column("rtype", STR, "record type: A, AAAA, CNAME, ..."),
    Column("resolver", STR, "system (getaddrinfo) or the server address queried"),
    Column("rcode", STR, "NOERROR, NXDOMAIN, SERVFAIL, ...; NA when no answer came"),
    Column("answers", STR, "answer addresses/targets, sorted, comma-separated"),
    Column("ttl", INT, "smallest TTL of the answer (or the negative-caching TTL), seconds"),
    Column("elapsed_ms", F64, "query time, ms; NA when no answer came"),
    Column("error_kind", STR, "failure class from ERROR_KINDS; NA on a NOERROR answer"),
    Column("error", STR, "failure detail"),
    Column("run_id", STR, "identifier shared by all rows of one run"),
    Column("attempt", INT, "attempt number within (name, rtype, resolver), from 0"),
    Column("transport", STR, "udp, tcp (after a truncated answer) or system (getaddrinfo)"),
)

GOROUTINES: tuple[Column, ...] = (
    Column("goroutine_id", INT, "goroutine number; NA for debug=1 (aggregated) dumps"),
    Column("state", STR, "state from the header: select, chan receive, IO wait, running, ..."),
    Column("wait_minutes", F64, "minutes blocked, from the header; NA when not printed (< 1 minute)"),
    Column("top_function", STR, "leaf-most function that is not runtime.*"),
    Column("wait_site", STR, "what it waits for: http_pool_wait, sql_pool_wait, mutex, net_io, ..."),
    Column("stack", STR, "function names, leaf first, newline-separated"),
    Column("created_by", STR, "function that started the goroutine"),
    Column("group_id", STR, "same function sequence (arguments ignored), as panicparse groups"),
    Column("count", INT, "goroutines this row stands for: 1 for debug=2, the group size for debug=1"),
    Column("locked", BOOL, "locked to an OS thread"),
    Column("frames", STR, "file:line per frame, newline-separated"),
    Column("created_in", INT, "parent goroutine id (Go 1.21+ 'in goroutine N')"),
    Column("source", STR, "file the dump came from"),
    Column("app_function", STR, "first frame outside the standard library"),
    Column("ancestors", STR, "ancestor goroutine ids (GODEBUG=tracebackancestors)"),
    Column("labels", STR, "pprof labels (debug=1)"),
    Column("truncated", BOOL, "the stack was cut by the runtime"),
    Column("line_no", INT, "line of the goroutine header in the dump"),
)

#: dtype marker for a column of per-row key/value data: an Arrow struct
#: (``pd.ArrowDtype(pa.struct(...))``) or Python dicts in an object column.
ATTRS = "attrs"

#: One log line (:func:`apiprobe.read_logs`). :func:`apiprobe.classify_errors`
#: fills ``error_kind`` and adds ``error_layer`` (a key of :data:`ERROR_LAYERS`),
#: ``retryable`` (boolean; NA when it depends, e.g. a deadline with budget
#: left) and ``error_rule`` (the rule that decided).
EVENTS: tuple[Column, ...] = (
    Column("ts", TS, "UTC time the line was logged; NaT when the line had no readable time"),
    Column("service", STR, "service that wrote the line (the service argument, a service field, or the file name)"),
    Column("level", STR, "trace, debug, info, warn, error or fatal (LEVELS); NA when absent"),
    Column("msg", STR, "message text"),
    Column("logger", STR, "logger name (zap logger, slog group, ...)"),
    Column("trace_id", STR, "trace id, whichever key variant carried it, lower-case hex"),
    Column("span_id", STR, "span id, lower-case hex"),
    Column("error", STR, "error text (error, err, error.message ...)"),
    Column("error_kind", STR, "failure class from ERROR_KINDS, filled by classify_errors; NA otherwise"),
    Column("status", INT, "HTTP status code logged with the line"),
    Column("latency_ms", F64, "request latency logged with the line, ms (durations in s/ns/strings converted)"),
    Column("route", STR, "route, path or URL logged with the line"),
    Column("attempt", INT, "retry attempt number logged with the line"),
    Column("caller", STR, "source location (caller, source, func/file)"),
    Column("attrs", ATTRS, "every other field of the line, by key"),
    Column("raw", STR, "the line as written; kept for lines that did not parse (NA otherwise)"),
    Column("line_no", INT, "line number in source_file, from 1"),
    Column("source_file", STR, "file the line came from"),
    Column("parse_ok", BOOL, "False when the line could not be parsed in its dialect; then raw has it"),
)

SPANS: tuple[Column, ...] = (
    Column("trace_id", STR, "trace id, lower-case hex"),
    Column("span_id", STR, "span id, lower-case hex"),
    Column("parent_span_id", STR, "parent span id; NA for a root span"),
    Column("service", STR, "service.name of the process that recorded the span"),
    Column("name", STR, "operation name"),
    Column("kind", STR, "server, client, internal, producer, consumer; NA when unspecified"),
    Column("start", TS, "span start, UTC"),
    Column("end", TS, "span end, UTC"),
    Column("duration_ms", F64, "end − start, ms"),
    Column("status", STR, "ok, error or unset"),
    Column("attrs", ATTRS, "span attributes / tags, by key"),
    Column("http_status", INT, "http.status_code / http.response.status_code attribute"),
    Column("source_file", STR, "file the span came from"),
)

# --------------------------------------------------------------------------- resilience (handbook §4)

#: The waits of a retry policy (:func:`apiprobe.retry_schedule`).
RETRY_SCHEDULE: tuple[Column, ...] = (
    Column("run", INT, "independent run (one call retried until the policy stops), from 0"),
    Column("retry", INT, "index of the wait within the run, from 0 (the wait before attempt retry + 2)"),
    Column("delay_s", F64, "the wait, seconds (the libraries' unit; nanosecond-exact)"),
    Column("elapsed_s", F64, "from the first attempt's start to the end of this wait, attempts included, seconds"),
)

#: Amplification down a call chain (:func:`apiprobe.retry_amplification`).
RETRY_AMPLIFICATION: tuple[Column, ...] = (
    Column("hop", INT, "position in the chain, 1 at the top"),
    Column("caller", STR, "the calling service"),
    Column("callee", STR, "the called service"),
    Column("attempts", INT, "attempts per call from the caller (retries + 1)"),
    Column("amplification", F64, "calls reaching the callee per user request, worst case"),
)

#: One outgoing call attempt (:func:`apiprobe.retry_attempts`).
RETRY_ATTEMPTS: tuple[Column, ...] = (
    Column("ts", TS, "when the attempt was logged or its span started, UTC"),
    Column("caller", STR, "service making the call"),
    Column("callee", STR, "service called (a field, the Go error's prefix, or the span's peer); NA if unknown"),
    Column("request_id", STR, "id shared by the attempts of one original request (request id or trace id)"),
    Column("attempt", INT, "attempt number within the request, from 1"),
    Column("ok", BOOL, "no error, status below 500 and not 429"),
    Column("status", INT, "HTTP status of the attempt"),
    Column("error", STR, "error text of the attempt"),
    Column("error_kind", STR, "failure class (ERROR_KINDS) when classified"),
    Column("gap_s", F64, "seconds since the request's previous attempt; NaN for the first"),
    Column("offset_s", F64, "seconds since the request's first attempt"),
    Column("source", STR, "logs or traces"),
)

#: Requests and retries per caller → callee over time (:func:`apiprobe.retry_timeline`).
RETRY_TIMELINE: tuple[Column, ...] = (
    Column("ts", TS, "bin start, UTC"),
    Column("caller", STR, "service making the calls"),
    Column("callee", STR, "service called"),
    Column("requests", INT, "first attempts in the bin"),
    Column("retries", INT, "later attempts in the bin"),
    Column("failures", INT, "failed attempts in the bin"),
    Column("amplification", F64, "attempts / requests; NaN without requests"),
)

#: Circuit-breaker state changes (:func:`apiprobe.replay_breaker` on datetimes, :func:`apiprobe.breaker_from_logs`).
BREAKER_TRANSITIONS: tuple[Column, ...] = (
    Column("ts", TS, "when the breaker was consulted and changed, UTC (seconds when replayed from seconds)"),
    Column("from_state", STR, "closed, half-open or open"),
    Column("to_state", STR, "closed, half-open or open"),
)

#: Each child span against its parent's time left (:func:`apiprobe.timeout_budget`).
TIMEOUT_BUDGET: tuple[Column, ...] = (
    Column("trace_id", STR, "trace id"),
    Column("span_id", STR, "the child span"),
    Column("caller", STR, "the parent span's service"),
    Column("callee", STR, "the child span's service"),
    Column("name", STR, "the child's operation"),
    Column("start", TS, "child start, UTC"),
    Column("end", TS, "child end, UTC"),
    Column("duration_ms", F64, "child duration, ms"),
    Column("parent_left_ms", F64, "parent end − child start, ms: the time the caller had left"),
    Column("overrun_ms", F64, "child end − parent end, ms; positive when the child outlived its caller"),
    Column("orphaned", BOOL, "the child outlived its caller by more than 1 ms"),
    Column("deadline_ms", F64, "declared deadline (grpc-timeout, deadline/timeout attribute), ms; NaN without one"),
    Column("exceeds_parent", BOOL, "the declared deadline is longer than what the caller had left"),
)

#: A declared call graph's budget, hop by hop (:func:`apiprobe.budget_tree`).
BUDGET_TREE: tuple[Column, ...] = (
    Column("path", STR, "root/…/callee"),
    Column("depth", INT, "1 for a root's calls"),
    Column("caller", STR, "calling service"),
    Column("callee", STR, "called service"),
    Column("timeout_s", F64, "one attempt's timeout, seconds"),
    Column("retries", INT, "retries after the first attempt"),
    Column("backoff", STR, "retry preset between attempts; NA for none"),
    Column("attempts", INT, "retries + 1"),
    Column("worst_s", F64, "every attempt times out and every wait is at its longest, seconds"),
    Column("caller_timeout_s", F64, "the timeout of the call into the caller, seconds; NaN at a root"),
    Column("slack_s", F64, "caller_timeout_s − worst_s"),
    Column("verdict", STR, "over budget, no slack, ok, or root"),
)

#: Deadline and cancel errors across services, per trace (:func:`apiprobe.deadline_chains`).
DEADLINE_CHAINS: tuple[Column, ...] = (
    Column("trace_id", STR, "trace id"),
    Column("first_service", STR, "the service that gave up first"),
    Column("first_kind", STR, "deadline_exceeded or canceled"),
    Column("first_ts", TS, "when it gave up, UTC"),
    Column("services", INT, "services with such errors in the trace"),
    Column("chain", STR, "service: kind → …, each service once, in time order"),
    Column("spread_ms", F64, "first to last such error, ms"),
)

#: Requests served by a fallback, per bin (:func:`apiprobe.fallback_share`).
FALLBACK_SHARE: tuple[Column, ...] = (
    Column("ts", TS, "bin start, UTC"),
    Column("service", STR, "the service answering requests"),
    Column("requests", INT, "requests answered in the bin"),
    Column("fallback", INT, "requests served by a fallback in the bin"),
    Column("share", F64, "fallback / requests; NaN without requests"),
    Column("primary_calls", INT, "the service's outgoing call attempts in the bin"),
    Column("primary_errors", INT, "failed outgoing call attempts in the bin"),
    Column("primary_error_rate", F64, "primary_errors / primary_calls; NaN without calls"),
)

METRICS: tuple[Column, ...] = (
    Column("ts", TS, "sample (or evaluation) time, UTC"),
    Column("metric", STR, "the sample's name (Prometheus' __name__); one column per label follows"),
    Column("value", F64, "the sample value; NaN and ±Inf kept as Prometheus gives them"),
)

GOLDEN_SIGNALS: tuple[Column, ...] = (
    Column("ts", TS, "evaluation time, UTC"),
    Column("service", STR, "value of the service label (job by default); empty when absent"),
    Column("signal", STR, "rate, error_ratio, p50/p90/p99, goroutines, heap_bytes, gc_seconds_per_minute, pool_usage"),
    Column("value", F64, "the signal's value in its unit"),
    Column("unit", STR, "req/s, ratio, s, goroutines, bytes, s/min"),
    Column("promql", STR, "the PromQL that computes the same series in Prometheus or Grafana"),
)

SLO_BURN: tuple[Column, ...] = (
    Column("ts", TS, "evaluation time, UTC"),
    Column("window", STR, "the window as a Prometheus duration (5m, 1h, 3d)"),
    Column("window_s", F64, "the window in seconds"),
    Column("errors", F64, "errors in the window (extrapolated increase, as PromQL increase())"),
    Column("total", F64, "requests in the window"),
    Column("error_ratio", F64, "errors / total; NaN without requests"),
    Column("burn_rate", F64, "error_ratio / (1 - objective): 1 spends the budget exactly over the SLO period"),
)

INVENTORY: tuple[Column, ...] = (
    Column("path", STR, "the file, relative to the folder triaged"),
    Column(
        "kind", STR, "evidence kind (logs, traces, har, pprof, goroutines, certs, metrics, ...); NA: not recognised"
    ),
    Column("dialect", STR, "log dialect, trace format or table format, when the kind has several"),
    Column("what", STR, "what the file is, in words"),
    Column("services", STR, "services the file covers, comma-separated"),
    Column("ts_start", TS, "first timestamp in the file (or when it was taken)"),
    Column("ts_end", TS, "last timestamp in the file"),
    Column("rows", INT, "rows it gave: log lines, spans, samples, goroutines, certificates, payloads"),
    Column("bytes", INT, "file size on disk"),
    Column("usable", BOOL, "True when its evidence went into the triage"),
    Column("reason", STR, "why it could not be used (or what is partly wrong with it)"),
)

TRIAGE_TIMELINE: tuple[Column, ...] = (
    Column("ts", TS, "start of the bin, or the moment of an event or finding, UTC"),
    Column("source", STR, "logs, traces, metrics, findings"),
    Column("service", STR, "the service; empty when the row is about no one service"),
    Column(
        "signal",
        STR,
        "errors, requests, latency_p99_ms, pool_waits, breaker_state, burn_rate, pool_usage, event, finding",
    ),
    Column("series", STR, "what the signal is split by: an error kind, a breaker, an SLO window, a fault"),
    Column("value", F64, "the value in the signal's unit (count per bin, ms, ratio); NaN for events"),
    Column("text", STR, "for events and findings: one line to show"),
    Column("severity", STR, "for findings: critical, warning or info"),
)

HYPOTHESES: tuple[Column, ...] = (
    Column("rank", INT, "1 for the most likely root cause; consequences follow their cause"),
    Column("title", STR, "the hypothesis in one line"),
    Column("fault", STR, "fault class from FAULTS"),
    Column("confidence", F64, "0-1: how strongly independent evidence supports it"),
    Column("evidence", STR, "what was seen, with the files"),
    Column("confirm", STR, "what would confirm or refute it"),
    Column("next", STR, "what to do now"),
    Column("handbook_ref", STR, "handbook section"),
    Column("role", STR, "from HYPOTHESIS_ROLES: root cause, consequence, unexplained symptom, possible cause, ..."),
    Column("caused_by", INT, "rank of the hypothesis that explains this one; NA for roots"),
    Column("service", STR, "where it happens"),
    Column("ts_start", TS, "first observation"),
    Column("ts_end", TS, "last observation"),
    Column("why", STR, "why it is ranked here, in words"),
    Column("sources", STR, "the kinds of evidence behind it, comma-separated"),
    Column("files", STR, "the files behind it, comma-separated"),
    Column("findings", STR, "row numbers of its findings in the triage findings table, comma-separated"),
    Column("notebook", STR, "the per-type notebook to open next"),
    Column("parameters", STR, "that notebook's parameters, as JSON"),
)

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "probes": PROBES,
    "pings": PINGS,
    "findings": FINDINGS,
    "certs": CERTS,
    "tls_verdicts": TLS_VERDICTS,
    "dns": DNS,
    "goroutines": GOROUTINES,
    "events": EVENTS,
    "spans": SPANS,
    "retry_schedule": RETRY_SCHEDULE,
    "retry_amplification": RETRY_AMPLIFICATION,
    "retry_attempts": RETRY_ATTEMPTS,
    "retry_timeline": RETRY_TIMELINE,
    "breaker_transitions": BREAKER_TRANSITIONS,
    "timeout_budget": TIMEOUT_BUDGET,
    "budget_tree": BUDGET_TREE,
    "deadline_chains": DEADLINE_CHAINS,
    "fallback_share": FALLBACK_SHARE,
    "metrics": METRICS,
    "golden_signals": GOLDEN_SIGNALS,
    "slo_burn": SLO_BURN,
    "inventory": INVENTORY,
    "triage_timeline": TRIAGE_TIMELINE,
    "hypotheses": HYPOTHESES,
}


def columns(name: str) -> list[str]:
    """Return the column names of schema ``name`` in order.

    Parameters
    ----------
    name : str
        Schema name, a key of :data:`SCHEMAS`.

    Returns
    -------
    list of str
        The column names, in schema order.

    Raises
    ------
    SchemaError
        When ``name`` is not a known schema.
    """
    return [c.name for c in _schema(name)]


def _schema(name: str) -> tuple[Column, ...]:
    try:
        return SCHEMAS[name]
    except KeyError:
        raise SchemaError(f"unknown schema {name!r}; known: {', '.join(sorted(SCHEMAS))}") from None


def _is_attrs_dtype(dtype: Any) -> bool:
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return bool(pa.types.is_struct(dtype.pyarrow_dtype) or pa.types.is_map(dtype.pyarrow_dtype))
    return str(dtype) == "object"


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == ATTRS:
        return series if _is_attrs_dtype(series.dtype) else series.astype(object)
    if dtype == TS:
        return pd.to_datetime(series, utc=True, format="ISO8601").astype(pandas_dtype(TS))
    if dtype == F64:
        return pd.to_numeric(series, errors="raise").astype(pandas_dtype(F64))
    if dtype == INT:
        return pd.to_numeric(series, errors="raise").astype(pandas_dtype(INT))
    if dtype == BOOL and not pd.api.types.is_bool_dtype(series.dtype):
        mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}

        def to_bool(v: Any) -> Any:
            if isinstance(v, str):
                key = v.strip().lower()
                if key not in mapping:
                    raise SchemaError(f"not a boolean: {v!r}")
                return mapping[key]
            return v

        series = series.astype(object).map(to_bool)
    return series.astype(pandas_dtype(dtype))


def conform(data: pd.DataFrame | Iterable[Mapping[str, Any]] | None, name: str) -> pd.DataFrame:
    """Return ``data`` as a DataFrame with exactly the columns of schema ``name``.

    Missing columns are added as NA, values are cast to the schema dtypes and
    columns are put in schema order; extra columns are kept after them.

    Parameters
    ----------
    data : pandas.DataFrame, iterable of mapping, or None
        A DataFrame, an iterable of row mappings, or None for an empty table.
        A DataFrame is copied, never modified.
    name : str
        Schema name, a key of :data:`SCHEMAS`.

    Returns
    -------
    pandas.DataFrame
        A new table: the schema's columns in order with their dtypes, then any extra columns.

    Raises
    ------
    SchemaError
        When ``name`` is not a known schema or a column cannot be cast to its schema dtype.
    """
    schema = _schema(name)
    if data is None:
        df = pd.DataFrame()
    elif isinstance(data, pd.DataFrame):
        df = data.copy()
    else:
        df = pd.DataFrame.from_records(list(data))
    out: dict[str, pd.Series] = {}
    n = len(df)
    for col in schema:
        if col.name in df.columns:
            try:
                out[col.name] = _cast(df[col.name], col.dtype)
            except (ValueError, TypeError) as exc:
                raise SchemaError(f"{name}.{col.name}: cannot cast to {col.dtype}: {exc}") from exc
        else:
            empty = pd.Series([None] * n, index=df.index, dtype=object)
            out[col.name] = empty if col.dtype == ATTRS else empty.astype(pandas_dtype(col.dtype))
    extra = [c for c in df.columns if c not in out]
    result = pd.DataFrame(out, index=df.index)
    for c in extra:
        result[c] = df[c]
    return result.reset_index(drop=True)


def validate(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check that ``df`` follows schema ``name``; return it unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    name : str
        Schema name, a key of :data:`SCHEMAS`.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so a check can sit in a pipeline.

    Raises
    ------
    SchemaError
        Listing every missing column, dtype mismatch and, for ``error_kind``,
        ``fault`` and ``severity``, values outside the vocabulary.
    """
    problems: list[str] = []
    for col in _schema(name):
        if col.name not in df.columns:
            problems.append(f"missing column {col.name!r}")
            continue
        actual = str(df[col.name].dtype)
        if col.dtype == ATTRS:
            if not _is_attrs_dtype(df[col.name].dtype):
                problems.append(f"column {col.name!r} has dtype {actual}, expected an Arrow struct or object")
            continue
        if actual != col.dtype and not (col.dtype == STR and isinstance(df[col.name].dtype, pd.StringDtype)):
            problems.append(f"column {col.name!r} has dtype {actual}, expected {col.dtype}")
    vocab: dict[str, set[str]] = {"error_kind": set(ERROR_KINDS), "fault": set(FAULTS), "severity": set(SEVERITIES)}
    if name == "hypotheses":
        vocab["role"] = set(HYPOTHESIS_ROLES)
    for col_name, allowed in vocab.items():
        if col_name in df.columns:
            bad = sorted(set(df[col_name].dropna().astype(str)) - allowed)
            if bad:
                problems.append(f"column {col_name!r} has values outside the vocabulary: {bad}")
    if problems:
        raise SchemaError(f"table does not follow schema {name!r}: " + "; ".join(problems))
    return df

"""HTTP probe with per-phase timings.

Each attempt resolves the name first (timed on its own), then requests the
resolved address with the original ``Host`` header and SNI, so DNS, TCP
connect, TLS, request write, server wait (TTFB) and transfer are separate
phases. Connections are cold by default: every attempt pays connect and TLS
(REFERENCE §2). One ``httpx.AsyncClient`` per run sends every attempt through
the probe transport (:mod:`apiprobe.probe._transport`), which takes the phase
boundaries at the socket. Observed failures become rows with ``error_kind``;
only malformed targets raise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ssl
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from apiprobe._redact import redact_url
from apiprobe.errors import InvalidParameterError
from apiprobe.probe._resolve import (
    DEFAULT_PORTS,
    Resolver,
    UrlTarget,
    parse_url,
    resolve,
    resolver_label,
)
from apiprobe.probe._shards import run_shards, tick
from apiprobe.probe._transport import TIMING, ProbeTransport, Timing
from apiprobe.probe.runner import Job, check_options, monotonic_ms, run_jobs, run_sync, sync_twin
from apiprobe.schema import conform

__all__ = ["aprobe_http", "probe_http"]


def _warn_unverified() -> None:
    warnings.warn(
        "TLS certificate verification is OFF for this probe run: timings are measured but "
        "an untrusted or forged certificate will not be reported",
        UserWarning,
        stacklevel=4,
    )


def _ssl_context(verify: bool, cafile: str | None) -> ssl.SSLContext:
    if not verify:
        _warn_unverified()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if cafile:
        return ssl.create_default_context(cafile=cafile)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


#: OpenSSL verify codes → error_kind (the same classes a Go client logs).
_VERIFY_KINDS = {
    9: "tls_expired",  # X509_V_ERR_CERT_NOT_YET_VALID
    10: "tls_expired",  # X509_V_ERR_CERT_HAS_EXPIRED
    62: "tls_hostname",  # X509_V_ERR_HOSTNAME_MISMATCH
    64: "tls_hostname",  # X509_V_ERR_IP_ADDRESS_MISMATCH
    2: "tls_untrusted",  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
    18: "tls_untrusted",  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    19: "tls_untrusted",  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
    20: "tls_untrusted",  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "tls_untrusted",  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
}


def _classify(exc: BaseException, timing: Timing, got_headers: bool) -> str:
    """Map an exception raised during an attempt to an ``error_kind``.

    ``timing`` says which phase was under way (:meth:`Timing.pending`);
    ``got_headers`` whether the response head had arrived.
    """
    pending = timing.pending()
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return _VERIFY_KINDS.get(e.verify_code, "tls_error")
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls_error"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        if pending in ("dns", "connect", "tls"):
            return f"{pending}_timeout"
        if pending == "send":
            return "write_error"
        return "body_timeout" if got_headers else "read_timeout"
    if pending == "tls":
        return "tls_error"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connect_refused"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        return "connect_refused" if "refused" in text else "connect_error"
    if any(isinstance(e, ConnectionResetError | BrokenPipeError) for e in chain):
        return "connection_reset"
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc).lower()
        if "disconnected" in text or "closed" in text or "incomplete" in text:
            return "connection_reset"
        return "protocol_error"
    if isinstance(exc, httpx.LocalProtocolError | httpx.DecodingError | httpx.UnsupportedProtocol):
        return "protocol_error"
    if isinstance(exc, httpx.WriteError):
        return "write_error"
    if isinstance(exc, httpx.ReadError):
        return "connection_reset"
    return "error"


def _describe(exc: BaseException) -> str:
    """``Type: message``, followed by the root cause when it says more."""
    text = str(exc).strip()
    root: BaseException = exc
    for _ in range(8):
        nxt = root.__cause__ or root.__context__
        if nxt is None:
            break
        root = nxt
    head = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    root_text = str(root).strip()
    if root is not exc and root_text and root_text not in text:
        head += f" ({root_text})"
    return head


@dataclass(frozen=True)
class _Prepared:
    """What every attempt at one (target, address) shares, built once per run."""

    url: httpx.URL
    headers: list[tuple[bytes, bytes]]
    extensions: dict[str, Any]
    target: str
    shown_url: str


class _HttpProber:
    """Holds the shared client and options for one probe run."""

    def __init__(
        self,
        *,
        timeout: float,
        method: str,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        verify: bool,
        cafile: str | None,
        resolver: Resolver,
        keepalive: bool,
        body_limit: int,
        run_id: str,
    ) -> None:
        self.timeout = timeout
        self.method = method.upper()
        self.headers = dict(headers or {})
        self.content = content
        self.resolver = resolver
        self.resolver_label = resolver_label(resolver)
        self.keepalive = keepalive
        self.body_limit = body_limit
        self.run_id = run_id
        self.client = httpx.AsyncClient(
            transport=ProbeTransport(_ssl_context(verify, cafile), keepalive=keepalive),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,  # never route probes through a proxy from the environment
        )
        self._timeouts = httpx.Timeout(timeout).as_dict()
        self._prepared: dict[tuple[UrlTarget, str], _Prepared] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    def _prepare(self, target: UrlTarget, ip: str) -> _Prepared:
        """The request parts for ``target`` sent to ``ip`` (cached: attempts differ only in timing)."""
        key = (target, ip)
        prepared = self._prepared.get(key)
        if prepared is None:
            bracketed = f"[{target.host}]" if ":" in target.host else target.host  # IPv6 literal
            default = target.port == DEFAULT_PORTS[target.scheme]
            host_header = bracketed if default else f"{bracketed}:{target.port}"
            # what client.build_request would send (httpx's Accept and Accept-Encoding), minus cookies:
            # every attempt is a first visit
            headers = httpx.Headers({"Host": host_header})
            headers.update(self.client.headers)
            headers.update({"User-Agent": "apiprobe/0.1", **self.headers})
            if self.content is not None:
                headers["Content-Length"] = str(len(self.content))
            extensions: dict[str, Any] = {"timeout": self._timeouts}
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            prepared = _Prepared(
                url=httpx.URL(target.url).copy_with(host=ip),
                headers=headers.raw,
                extensions=extensions,
                target=redact_url(target.target),
                shown_url=redact_url(target.url),
            )
            self._prepared[key] = prepared
        return prepared

    async def attempt(self, target: UrlTarget) -> dict[str, Any]:
        wall = dt.datetime.now(dt.UTC)
        t0 = monotonic_ms()
        row: dict[str, Any] = {
            "ts": wall,
            "run_id": self.run_id,
            "method": self.method,
            "host": target.host,
            "port": target.port,
            "scheme": target.scheme,
            "reused_conn": False,
        }
        timing = Timing()
        try:
            async with asyncio.timeout(self.timeout):
                await self._attempt(target, row, t0, timing)
        except TimeoutError as exc:
            # The attempt's overall deadline fired (e.g. a trickling body).
            row["error_kind"] = row.get("error_kind") or _classify(exc, timing, "status" in row)
            row["error"] = f"no completion within the {self.timeout:g} s timeout"
            _fill_phases(row, timing, t0=t0, end=None)
        if "target" not in row:
            row["target"], row["url"] = redact_url(target.target), redact_url(target.url)
        return row

    async def _attempt(self, target: UrlTarget, row: dict[str, Any], t0: float, timing: Timing) -> None:
        res = await resolve(target.host, target.port, self.resolver, self.timeout)
        row["resolver"] = res.resolver if res.resolver == "literal" else self.resolver_label
        row["dns_ms"] = res.dns_ms
        if res.error_kind:
            row["error_kind"], row["error"] = res.error_kind, res.error
            return
        ip = res.ips[0]
        row["ip"] = ip
        prepared = self._prepare(target, ip)
        row["target"], row["url"] = prepared.target, prepared.shown_url
        request = httpx.Request(
            self.method,
            prepared.url,
            headers=prepared.headers,
            content=self.content,
            extensions={**prepared.extensions, TIMING: timing},
        )
        try:
            response = await self.client.send(request, stream=True)
            try:
                row["status"] = response.status_code
                row["http_version"] = response.http_version
                row["tls_version"] = _tls_version(response)
                size = 0
                captured = bytearray()
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if len(captured) < self.body_limit:
                        captured += chunk[: self.body_limit - len(captured)]
                end = monotonic_ms()
                row["bytes"] = size
                if self.body_limit:
                    row["body"] = bytes(captured).decode("utf-8", "replace")
            finally:
                await response.aclose()
        except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
            row["error_kind"] = _classify(exc, timing, "status" in row)
            row["error"] = _describe(exc)
            if str(row["error_kind"]).startswith("tls_"):
                row["error"] += f" — diagnose the chain: apiprobe tls {target.host}:{target.port}"
            _fill_phases(row, timing, t0=t0, end=None)
            return
        _fill_phases(row, timing, t0=t0, end=end)


def _tls_version(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    ssl_object = stream.get_extra_info("ssl_object")
    return ssl_object.version() if ssl_object is not None else None


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def _fill_phases(row: dict[str, Any], timing: Timing, *, t0: float, end: float | None) -> None:
    """Write phase durations from ``timing``; phases that did not complete stay NA.

    ``end`` is when the body had been read (None: the attempt failed, so no
    transfer or total). The server wait runs from the instant before the last
    request write to the first response byte, and only counts when the answer
    was an HTTP response head (``status`` in ``row``).
    """
    row["reused_conn"] = timing.reused  # failed attempts too: a stale kept-alive connection is a finding
    row["connect_ms"] = _span(timing.connect_start, timing.connect_end)
    row["tls_ms"] = _span(timing.tls_start, timing.tls_end)
    written = not timing.write_failed and timing.write_end is not None
    row["request_ms"] = _span(timing.first_write, timing.write_end) if written else None
    ttfb = _span(timing.last_write, timing.first_byte) if written and "status" in row else None
    row["ttfb_ms"] = ttfb if ttfb is None or ttfb >= 0 else None  # an answer before the request was out
    if end is not None and timing.first_byte is not None:
        row["transfer_ms"] = end - timing.first_byte
        row["total_ms"] = end - t0


async def aprobe_http(
    urls: str | Iterable[str],
    *,
    count: int = 1,
    interval: float = 1.0,
    timeout: float = 5.0,
    concurrency: int = 10,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    verify: bool = True,
    cafile: str | None = None,
    resolver: Resolver = None,
    keepalive: bool = False,
    duration: float | None = None,
    rate: float | None = None,
    body_limit: int = 0,
    progress: bool | None = None,
    run_id: str | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Probe HTTP(S) URLs and time every phase of every attempt.

    ``probe_http`` blocks until done (also inside a running Jupyter kernel);
    ``aprobe_http`` is the same probe as a coroutine, for code that runs its own event loop.

    A timeout, refused connection, unresolvable name or TLS failure is a row
    with ``error_kind`` set, never an exception; only misuse raises.

    Parameters
    ----------
    urls
        One URL or several (http or https).
    count
        Attempts per URL.
    interval
        Seconds between the starts of consecutive attempts to the same URL
        (0: as fast as ``concurrency`` allows).
    timeout
        Overall deadline of one attempt in seconds, DNS to last body byte
        (like ``curl --max-time``).
    concurrency
        Maximum attempts in flight across all URLs.
    method, headers, content
        The request to send. Header values are sent as given and never stored.
    verify
        Verify the server certificate. Turning it off emits a warning.
    cafile
        PEM file of CA certificates to trust instead of certifi's bundle.
    resolver
        None or ``"system"`` (getaddrinfo), a mapping host → address(es)
        (like ``curl --resolve``), or a callable host → addresses.
    keepalive
        Reuse connections between attempts (``reused_conn`` tells which were
        reused); off by default so every attempt measures connect and TLS.
    duration
        Seconds to keep probing; overrides ``count`` (``duration / interval``).
    rate
        Maximum attempts per second across all URLs.
    body_limit
        Keep up to this many bytes of each response body in a ``body`` column.
    progress
        Show a progress bar (None: when there are 20 or more attempts).
    run_id
        Identifier written to every row (default: random).
    workers
        Processes to spread the attempts over (1: this process only). A cold probe
        keeps a core busy in Python, so a long run on a machine with idle cores gets
        through more attempts per second with ``workers=os.cpu_count()``
        (``benchmarks/bench_probe.py`` measures it). The workers share ``concurrency``
        (never more in flight in all) and ``rate`` evenly; rows come
        back merged in start order. The first such run of a session waits for a helper
        process to import the probe (about a second); in a script, call it under
        ``if __name__ == "__main__":``, since each worker re-imports the script.

    Returns
    -------
    pandas.DataFrame
        Schema ``probes`` (:data:`apiprobe.schema.PROBES`), one row per attempt, sorted by ``ts``.
        Phase durations are float milliseconds, NA when the phase did not happen or failed.

        * ``ts`` -- UTC wall-clock time the attempt started (``datetime64[ns, UTC]``).
        * ``run_id`` -- identifier shared by all rows of the run.
        * ``target``, ``url`` -- the URL as given and as requested (query secrets redacted).
        * ``method``, ``host`` -- HTTP method and the host name from the URL.
        * ``ip`` -- address connected to; NA when resolution failed.
        * ``port``, ``scheme`` -- TCP port; ``http`` or ``https``.
        * ``resolver`` -- ``system``, ``literal``, ``static`` or the resolver callable's name.
        * ``dns_ms`` -- name resolution, ms; NA for IP literals.
        * ``connect_ms`` -- TCP connect (SYN → SYN-ACK → ACK), ms.
        * ``tls_ms`` -- TLS handshake, ms; NA for plain HTTP and reused connections.
        * ``request_ms`` -- writing the request headers and body, ms.
        * ``ttfb_ms`` -- server wait, ms: from the instant before the last request bytes are
          handed to the kernel to the first response byte read from the socket (before HTTP
          parsing), so late scheduling can lengthen it but never make it shorter than the
          server's own wait; NA unless an HTTP response head came back.
        * ``transfer_ms`` -- first response byte → body read completely, ms.
        * ``total_ms`` -- attempt start (before DNS) → body read completely, ms; NA when it failed.
        * ``status`` -- HTTP status code; NA when no response came.
        * ``http_version``, ``tls_version`` -- ``HTTP/1.1`` / ``HTTP/2``, e.g. ``TLSv1.3``.
        * ``reused_conn`` -- True when a kept-alive connection was reused.
        * ``bytes`` -- response body size, bytes.
        * ``error_kind`` -- failure class from :data:`apiprobe.schema.ERROR_KINDS`; NA on success.
        * ``error`` -- failure detail from the network stack.
        * ``body`` -- the first ``body_limit`` bytes of the body, decoded (only with ``body_limit``).

    Raises
    ------
    InvalidTargetError
        When a URL is malformed or not http/https.
    InvalidParameterError
        When ``urls`` is empty, an option is out of range (``count`` < 1, ``timeout`` ≤ 0,
        negative ``interval``, ``concurrency`` < 1, ``rate`` ≤ 0, ``workers`` < 1), ``duration``
        comes without a positive ``interval``, ``resolver`` is of an unsupported kind, or a
        resolver function comes with ``workers`` > 1 (it cannot cross to another process).
    ProbeWorkerError
        When a worker process died before returning its rows.

    Examples
    --------
    >>> df = probe_http("https://api.example.com/health", count=10, interval=1)  # doctest: +SKIP
    """
    targets = [parse_url(u) for u in ([urls] if isinstance(urls, str) else list(urls))]
    if not targets:
        raise InvalidParameterError(f"urls is empty ({urls!r}): give at least one URL")
    check_options(count=count, interval=interval, timeout=timeout, concurrency=concurrency, rate=rate)
    if duration is not None and interval <= 0:
        raise InvalidParameterError(
            f"duration={duration!r} needs a positive interval, got interval={interval!r} "
            "(attempts = duration / interval)"
        )
    if duration is not None:
        count = max(1, int(duration / interval + 1e-9)) if interval > 0 else count
    if workers < 1:
        raise InvalidParameterError(f"workers must be at least 1, got {workers!r}")
    options: dict[str, Any] = {
        "timeout": timeout,
        "method": method,
        "headers": dict(headers or {}),
        "content": content,
        "verify": verify,
        "cafile": cafile,
        "resolver": resolver,
        "keepalive": keepalive,
        "body_limit": max(0, body_limit),
        "run_id": run_id or uuid.uuid4().hex[:12],
    }
    if workers > 1 and callable(resolver):
        raise InvalidParameterError(
            f"workers={workers} runs attempts in other processes, which cannot call the resolver function "
            f"{resolver_label(resolver)!r}: give resolver as None, 'system' or a mapping, or use workers=1"
        )
    plan = [(seq * interval, t) for seq in range(count) for t in targets]
    shards = min(workers, len(plan), concurrency)
    if shards == 1:
        rows = await _run_plan(options, plan, concurrency=concurrency, rate=rate, progress=progress)
    else:
        if not verify:
            _warn_unverified()  # once, here: the worker processes stay quiet
        per_shard = [
            (
                options,
                plan[i::shards],
                concurrency // shards + (i < concurrency % shards),
                None if rate is None else rate / shards,
            )
            for i in range(shards)
        ]
        parts = await run_shards(_probe_shard, per_shard, total=len(plan), progress=progress, desc="http probes")
        rows = [row for part in parts for row in part]
    df = conform(rows, "probes")
    return df.sort_values("ts", kind="stable").reset_index(drop=True)


async def _run_plan(
    options: dict[str, Any],
    plan: list[tuple[float, UrlTarget]],
    *,
    concurrency: int,
    rate: float | None,
    progress: bool | None,
    counted: bool = False,
) -> list[dict[str, Any]]:
    """Run the attempts of ``plan`` (due second, target) in this process; rows in plan order."""
    prober = _HttpProber(**options)

    async def attempt(target: UrlTarget) -> dict[str, Any]:
        row = await prober.attempt(target)
        if counted:
            tick()
        return row

    jobs = [Job(due, functools.partial(attempt, t)) for due, t in plan]
    try:
        return await run_jobs(jobs, concurrency=concurrency, rate=rate, progress=progress, desc="http probes")
    finally:
        await prober.aclose()


def _probe_shard(
    options: dict[str, Any], plan: list[tuple[float, UrlTarget]], concurrency: int, rate: float | None
) -> list[dict[str, Any]]:
    """One worker's share of a ``workers`` run, in its own process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an unverified run was announced by the caller
        return run_sync(
            lambda: _run_plan(options, plan, concurrency=concurrency, rate=rate, progress=False, counted=True)
        )


probe_http = sync_twin(aprobe_http, "probe_http")

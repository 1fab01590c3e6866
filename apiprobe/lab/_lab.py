"""The :class:`FaultLab`: lifecycle, URLs and the server thread over the catalogue of ``_catalogue``."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.serialization import Encoding

from apiprobe.errors import LabError
from apiprobe.lab._catalogue import (
    _ALL_TLS_SPECS,
    _HTTP_SPECS,
    _TCP_SPECS,
    _TLS_FAULT_SPECS,
    _TLS_SPECS,
    Endpoint,
    _TlsSpec,
)
from apiprobe.lab._certs import LAB_SANS, LabPki, write_pem
from apiprobe.lab._dns import DnsServer, default_lab_zone
from apiprobe.lab._http import FaultApp
from apiprobe.lab._pool import PoolServer
from apiprobe.lab._protocol import ConnectionRegistry, DiscardProtocol, HttpProtocol, RegisteredProtocol
from apiprobe.lab._server import ManagedServer, run_loop
from apiprobe.lab._sockets import bind_socket, close_all, open_syn_drop, port_of

logger = logging.getLogger("apiprobe.lab")

_BACKLOG = 1024
_POOL_CAPACITY = 2
_POOL_SERVICE_MS = 50
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0

#: Path under which the AIA server publishes the lab intermediate (DER).
_AIA_PATH = "/apiprobe-lab-intermediate.crt"


class _AiaProtocol(RegisteredProtocol):
    """Answer one plain HTTP request with the lab intermediate (DER) or a 404, then close.

    This is the server behind the AIA ``caIssuers`` URL of ``https_missing_intermediate``:
    ``curl -o inter.crt URL`` fetches what the server should have sent.
    """

    def __init__(self, registry: ConnectionRegistry, path: str, der: bytes) -> None:
        super().__init__(registry)
        self._path = path
        self._der = der
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._buffer += data
        if b"\r\n\r\n" not in self._buffer and len(self._buffer) < 8192:
            return
        parts = bytes(self._buffer).split(b"\r\n", 1)[0].split()
        method = parts[0] if parts else b""
        target = parts[1].decode("latin-1").split("?", 1)[0] if len(parts) > 1 else ""
        if method in (b"GET", b"HEAD") and target == self._path:
            status, ctype, body = "200 OK", "application/pkix-cert", self._der
        else:
            status, ctype, body = "404 Not Found", "text/plain", f"only {self._path} lives here\n".encode()
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self._transport.write(head + (b"" if method == b"HEAD" else body))
        self._transport.close()


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Connection errors caused by clients are expected in a fault lab: log them at DEBUG only."""
    exc = context.get("exception")
    if isinstance(exc, OSError | asyncio.CancelledError):
        logger.debug("fault lab: %s: %r", context.get("message"), exc)
        return
    loop.default_exception_handler(context)


def _server_context(chain: Path, key: Path, *, legacy: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if legacy:  # OpenSSL refuses to load a 1024-bit key or a SHA-1 signed leaf at its default level
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(chain, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@dataclass
class _Running:
    """Everything a started lab owns (so a failed start can tear down what exists)."""

    loop: asyncio.AbstractEventLoop | None = None
    thread: threading.Thread | None = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    ca_path: Path | None = None
    intermediate_path: Path | None = None
    chain_paths: dict[str, Path] = field(default_factory=dict)
    aia_url: str | None = None
    aia_der: bytes = b""
    ports: dict[str, int] = field(default_factory=dict)
    sockets: list[socket.socket] = field(default_factory=list)  # closed at teardown, in order
    servers: list[asyncio.Server] = field(default_factory=list)
    registry: ConnectionRegistry | None = None
    dns: DnsServer | None = None
    pool: PoolServer | None = None


class FaultLab(ManagedServer):
    """Real servers on loopback that reproduce API faults on demand.

    The servers run on an asyncio loop in a background thread; every port is
    ephemeral. See :mod:`apiprobe.lab` for the endpoints and their query
    parameters.

    Parameters
    ----------
    seed : int, default 0
        Seed of the random behaviour (``jitter`` delays, ``flaky`` failures):
        two labs with the same seed answer their n-th request identically.
    host : str, default "127.0.0.1"
        IP literal to bind every port to (``"::1"`` works too).
    tls : bool, default True
        Generate a CA and serve the HTTPS endpoints.
    tls_faults : bool, default True
        Serve one HTTPS endpoint per certificate defect (``https_expired``,
        ``https_missing_intermediate``, ... see :mod:`apiprobe.lab`), all issued
        from the lab's CA hierarchy, plus a small HTTP server for the AIA
        ``caIssuers`` URL (:attr:`aia_url`). Needs ``tls=True``.
    dns : bool, default True
        Run a DNS server (UDP and TCP, :attr:`dns`) with the zone
        :func:`~apiprobe.lab._dns.default_lab_zone` (``ok.lab.test``,
        ``slow.lab.test``, ``nx.lab.test``, ...).

    Examples
    --------
    >>> with FaultLab(seed=0) as lab:                        # doctest: +SKIP
    ...     httpx.get(lab.url("delay", ms=200))
    ...     httpx.get(lab.url("https_ok"), verify=ssl.create_default_context(cafile=lab.ca_path))
    >>> with FaultLab(tls_faults=True) as lab:               # doctest: +SKIP
    ...     probe_tls(*lab.address("https_missing_intermediate"), cafile=lab.ca_path)
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        tls: bool = True,
        tls_faults: bool = True,
        dns: bool = True,
    ) -> None:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise LabError(f"FaultLab host must be an IP literal such as 127.0.0.1 or ::1, not {host!r}") from None
        tls_faults = tls_faults and tls  # the broken-chain endpoints are HTTPS
        self._seed = int(seed)
        self._host = host
        self._tls = bool(tls)
        self._tls_faults = bool(tls_faults)
        self._dns = bool(dns)
        self._init_lifecycle()
        self._run = _Running()
        self._endpoints: dict[str, Endpoint] = {}

    # -- lifecycle (start, stop, with: apiprobe.lab._server.ManagedServer) ----------------

    _what = "the fault lab"

    def _before_start(self) -> None:
        # the temp dir is made before the finalizer, so that at exit the finalizer runs first
        if self._tls:
            self._run.tmp = tempfile.TemporaryDirectory(prefix="apiprobe-lab-")

    def _teardown_call(self) -> tuple[Callable[[_Running], None], _Running]:
        return _teardown, self._run

    def _after_stop(self) -> None:
        self._endpoints = {}

    def __repr__(self) -> str:
        port = self._run.ports.get("http")
        where = f" http://{self._netloc(port)}" if port else ""
        return f"<FaultLab seed={self._seed} {self._state}{where}>"

    # -- public views ---------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """Seed of the random behaviour."""
        return self._seed

    @property
    def host(self) -> str:
        """The IP every port is bound to."""
        return self._host

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        """Every endpoint by name, in catalogue order (a fresh copy)."""
        self._require_running()
        return dict(self._endpoints)

    @property
    def ca_path(self) -> Path:
        """PEM file of the lab CA; trust it to verify the HTTPS endpoints.

        Raises
        ------
        LabError
            If the lab is not running or was created with ``tls=False``.
        """
        self._require_running()
        if self._run.ca_path is None:
            raise LabError("this FaultLab was created with tls=False: there is no CA")
        return self._run.ca_path

    @property
    def intermediate_path(self) -> Path:
        """PEM file of the lab intermediate CA (issued by the root in :attr:`ca_path`).

        It issues the leaves of the broken-chain endpoints; ``https_missing_intermediate``
        leaves it out of its chain.

        Raises
        ------
        LabError
            If the lab is not running or was created with ``tls=False``.
        """
        self._require_running()
        if self._run.intermediate_path is None:
            raise LabError("this FaultLab was created with tls=False: there is no CA")
        return self._run.intermediate_path

    @property
    def aia_url(self) -> str:
        """Plain-HTTP URL serving the lab intermediate (DER), as named by the AIA ``caIssuers`` extension.

        Raises
        ------
        LabError
            If the lab is not running or was created without ``tls_faults=True``.
        """
        self._require_running()
        if self._run.aia_url is None:
            raise LabError("the AIA server runs only with FaultLab(tls_faults=True)")
        return self._run.aia_url

    def chain_path(self, name: str) -> Path:
        """PEM file holding the certificates TLS endpoint ``name`` presents, in the order it sends them.

        Raises
        ------
        LabError
            If the lab is not running or ``name`` is not a running TLS endpoint.
        """
        self._require_running()
        path = self._run.chain_paths.get(name)
        if path is None:
            raise LabError(f"{name!r} is not a running TLS endpoint; known: {', '.join(self._run.chain_paths)}")
        return path

    def url(self, name: str, /, *, over: str | None = None, **query: Any) -> str:
        """URL of endpoint ``name``, with query parameters overriding the defaults.

        Parameters
        ----------
        name : str
            An endpoint name (see :attr:`endpoints`).
        over : str, optional
            Name of a TLS endpoint (``"https_ok"``) to reach the HTTP route
            ``name`` through: ``lab.url("delay", over="https_ok", ms=100)`` gives
            ``https://127.0.0.1:PORT/delay?ms=100``.
        **query
            Query parameters; ``None`` removes a default. For ``status`` the
            ``code`` keyword fills the path (``/status/404``).

        Returns
        -------
        str
            The URL.

        Raises
        ------
        LabError
            If the lab is not running or a name is unknown.
        """
        self._require_running()
        http_specs = {s.name: s for s in _HTTP_SPECS}
        tls_specs = {n: s for n, s in _ALL_TLS_SPECS.items() if n in self._run.ports}
        if name in _ALL_TLS_SPECS and name not in tls_specs:
            hint = "FaultLab(tls_faults=True)" if self._tls else "FaultLab(tls=True)"
            raise LabError(f"{name!r} is not served by this lab; start {hint}")
        if name in _TCP_SPECS:
            if query or over:
                raise LabError(f"{name!r} is a TCP-level endpoint: it takes no query and no 'over'")
            return f"http://{self._netloc(self._run.ports[name])}/"
        if name in tls_specs:
            if over is not None:
                raise LabError(f"{name!r} is already a TLS endpoint; 'over' names the TLS endpoint to use")
            return self._http_url("https", self._run.ports[name], tls_specs[name].path, {}, query)
        if name == "pool" and self._run.pool is not None:
            if over is not None:
                raise LabError("'pool' is its own server; it cannot be reached 'over' TLS")
            return self._run.pool.url + (f"?{urlencode(query)}" if query else "")
        spec = http_specs.get(name)
        if spec is None:
            raise LabError(f"unknown fault lab endpoint {name!r}; known: {', '.join(self._endpoints)}")
        if over is None:
            return self._http_url("http", self._run.ports["http"], spec.path, spec.defaults, query)
        if over not in tls_specs or over not in self._run.ports:
            raise LabError(f"'over' must name a running TLS endpoint, not {over!r}")
        return self._http_url("https", self._run.ports[over], spec.path, spec.defaults, query)

    def address(self, name: str) -> tuple[str, int]:
        """``(host, port)`` an endpoint listens on, for TCP-level probes.

        Raises
        ------
        LabError
            If the lab is not running or the name is unknown.
        """
        self._require_running()
        if name in self._run.ports and name != "http":
            return self._host, self._run.ports[name]
        if name in self._endpoints:  # an HTTP route: it lives on the shared plain port
            return self._host, self._run.ports["http"]
        raise LabError(f"unknown fault lab endpoint {name!r}; known: {', '.join(self._endpoints)}")

    def describe(self) -> list[dict[str, str]]:
        """One dict per endpoint (``name``, ``url``, ``fault``, ``expect``), for printing as a table."""
        return [dataclasses.asdict(e) for e in self.endpoints.values()]

    # -- internals ----------------------------------------------------------------------

    def _netloc(self, port: int | None) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{port}"

    def _http_url(self, scheme: str, port: int, path: str, defaults: dict[str, Any], query: dict[str, Any]) -> str:
        params = {**defaults, **query}
        if "{" in path:
            fields = {k: params.pop(k) for k in list(params) if "{" + k + "}" in path}
            path = path.format(**fields)
        pairs = [(k, _query_value(v)) for k, v in params.items() if v is not None]
        qs = f"?{urlencode(pairs)}" if pairs else ""
        return f"{scheme}://{self._netloc(port)}{path}{qs}"

    def _tls_specs(self) -> tuple[_TlsSpec, ...]:
        if not self._tls:
            return ()
        return (*_TLS_SPECS, *_TLS_FAULT_SPECS) if self._tls_faults else _TLS_SPECS

    def _start(self) -> None:
        run = self._run
        host = self._host
        tls_specs = self._tls_specs()
        # Listening sockets are bound first, in the caller's thread, so a bind error surfaces at once
        # (and the AIA URL written into certificates can name its port).
        bound: dict[str, socket.socket] = {}
        extra = ("aia",) if self._tls_faults else ()
        for name in ("http", "blackhole", *(spec.name for spec in tls_specs), *extra):
            bound[name] = bind_socket(host)
            run.sockets.append(bound[name])
            run.ports[name] = port_of(bound[name])
        tls_contexts: dict[str, ssl.SSLContext] = {}
        if run.tmp is not None:
            tmp = Path(run.tmp.name)
            if self._tls_faults:
                run.aia_url = f"http://{self._netloc(run.ports['aia'])}{_AIA_PATH}"
            sans = LAB_SANS if host in LAB_SANS else (*LAB_SANS, host)
            pki = LabPki.create(f"seed {self._seed}", sans, aia_url=run.aia_url)
            run.ca_path = write_pem(tmp / "ca.pem", [pki.root.cert])
            run.intermediate_path = write_pem(tmp / "intermediate.pem", [pki.intermediate.cert])
            run.aia_der = pki.intermediate.cert.public_bytes(Encoding.DER)
            for spec in tls_specs:
                chain, key = spec.build(pki).write(tmp, spec.name)
                run.chain_paths[spec.name] = chain
                tls_contexts[spec.name] = _server_context(chain, key, legacy=spec.legacy)

        refused = bind_socket(host)  # bound, never listening
        run.sockets.append(refused)
        run.ports["refused"] = port_of(refused)
        listener, fillers = open_syn_drop(host)
        run.sockets.extend([*fillers, listener])  # fillers first: close them before the listener
        run.ports["syn_drop"] = port_of(listener)

        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        run.loop = loop
        run.thread = threading.Thread(target=run_loop, args=(loop,), name="apiprobe-fault-lab", daemon=True)
        run.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(bound, tls_contexts), loop)
        try:
            future.result(timeout=_START_TIMEOUT_S)
        except FutureTimeoutError:
            future.cancel()
            raise LabError(f"servers did not start within {_START_TIMEOUT_S:.0f} s") from None

        endpoints: dict[str, Endpoint] = {}
        for http in _HTTP_SPECS:
            url = self._http_url("http", run.ports["http"], http.path, http.defaults, {})
            endpoints[http.name] = Endpoint(http.name, url, http.fault, http.expect)
        for tcp in _TCP_SPECS.values():
            url = f"http://{self._netloc(run.ports[tcp.name])}/"
            endpoints[tcp.name] = Endpoint(tcp.name, url, tcp.fault, tcp.expect)
        for tls in tls_specs:
            if tls.name in tls_contexts:
                url = self._http_url("https", run.ports[tls.name], tls.path, {}, {})
                endpoints[tls.name] = Endpoint(tls.name, url, tls.fault, tls.expect)
        self._endpoints = endpoints
        if self._dns:
            run.dns = DnsServer(default_lab_zone(), host=host, seed=self._seed).start()
        run.pool = PoolServer(capacity=_POOL_CAPACITY, service_ms=_POOL_SERVICE_MS, host=host).start()
        run.ports["pool"] = run.pool.port
        endpoints["pool"] = Endpoint(
            "pool",
            run.pool.url,
            f"an upstream that serves only {_POOL_CAPACITY} requests at once ({_POOL_SERVICE_MS} ms each); "
            "the rest queue; its /metrics shows the slots as a database/sql pool (go_sql_stats_connections_*)",
            f"200: above concurrency {_POOL_CAPACITY} throughput stays flat and latency grows linearly",
        )

    @property
    def dns(self) -> DnsServer:
        """The lab's DNS server; pass ``lab.dns.spec`` as a resolver to :func:`apiprobe.probe_dns`.

        Raises
        ------
        LabError
            If the lab is not running or was created with ``dns=False``.
        """
        if self._run.dns is None or self._state != "running":
            raise LabError("the lab DNS server runs only in a running FaultLab(dns=True)")
        return self._run.dns

    async def _serve(self, bound: dict[str, socket.socket], tls_contexts: dict[str, ssl.SSLContext]) -> None:
        """Runs on the lab loop: wrap the bound sockets in asyncio servers."""
        loop = asyncio.get_running_loop()
        run = self._run
        registry = run.registry = ConnectionRegistry()
        app = FaultApp(self._seed)
        app.metrics.connections = registry.__len__  # go_goroutines: a Go server runs one per connection

        def http_factory(ctx: ssl.SSLContext | None = None) -> Callable[[], asyncio.Protocol]:
            return lambda: HttpProtocol(app, registry, ctx)

        factories: dict[str, Callable[[], asyncio.Protocol]] = {
            "http": http_factory(),
            "blackhole": lambda: DiscardProtocol(registry),
        }
        for name, ctx in tls_contexts.items():
            factories[name] = http_factory(ctx)
        if "aia" in bound:
            der = run.aia_der
            factories["aia"] = lambda: _AiaProtocol(registry, _AIA_PATH, der)
        for name, sock in bound.items():
            sock.setblocking(False)
            run.servers.append(await loop.create_server(factories[name], sock=sock, backlog=_BACKLOG))


async def _shutdown(run: _Running) -> None:
    """Runs on the lab loop: close servers, drop connections, cancel leftover tasks."""
    loop = asyncio.get_running_loop()
    # Stop accepting first and let connections already accepted finish their set-up:
    # closing a server while asyncio (3.11) still builds a transport for a freshly accepted
    # socket trips an assertion in Server._attach and leaks that socket.
    for server in run.servers:
        for sock in server.sockets:
            loop.remove_reader(sock.fileno())
    for _ in range(3):
        await asyncio.sleep(0)
    accepting = [t for t in asyncio.all_tasks() if "_accept_connection" in getattr(t.get_coro(), "__qualname__", "")]
    if accepting:
        await asyncio.wait(accepting, timeout=1.0)
    for server in run.servers:
        server.close()
    if run.registry is not None:
        await run.registry.abort_all()
    for server in run.servers:
        await server.wait_closed()
    # Let asyncio's own accept tasks and the handler tasks cancelled by aborting settle,
    # then cancel whatever is left.
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not current]
    if leftovers:
        _, pending = await asyncio.wait(leftovers, timeout=1.0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _teardown(run: _Running) -> None:
    """Release whatever ``run`` holds; safe after a partial start. Called once, by the finalizer."""
    if run.dns is not None:
        run.dns.stop()
    if run.pool is not None:
        run.pool.stop()
    loop, thread = run.loop, run.thread
    if loop is not None and thread is not None and thread.is_alive():
        try:
            asyncio.run_coroutine_threadsafe(_shutdown(run), loop).result(timeout=_STOP_TIMEOUT_S)
        except Exception:
            logger.warning("fault lab: clean shutdown failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_STOP_TIMEOUT_S)
        if thread.is_alive():
            logger.warning("fault lab: server thread did not stop within %.0f s", _STOP_TIMEOUT_S)
    elif loop is not None and not loop.is_closed():
        loop.close()
    close_all(run.sockets)
    run.sockets.clear()
    if run.tmp is not None:
        run.tmp.cleanup()


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)

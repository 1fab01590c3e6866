"""A resilience scenario on loopback: a flaky upstream, a client with a breaker, retries and a fallback.

Handbook §4 in motion: ``inventory`` is a real HTTP/1.1 server on 127.0.0.1
(the fault lab's connection handling, its own loop thread) that fails during an
outage; ``checkout`` runs ``clients`` workers sharing one :class:`httpx.AsyncClient`
on a second loop thread. Each user request follows the common Go layout — a retry
loop (``retry_schedule``, ``retry_decision``) whose every attempt goes through
``cb.Execute`` of a sony/gobreaker breaker (:class:`~apiprobe.analyze.resilience.GoBreaker`),
then a cache fallback. inventory writes zerolog JSON, checkout zap production JSON;
:class:`ResilienceScenario` holds what really happened. Times are ``time.time_ns()``
at the start advanced by the monotonic clock (as Go's ``time.Now``), so the breaker's
expiries and both threads' lines agree even if the wall clock steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from apiprobe.analyze.resilience import GoBreaker, RetryPolicy, retry_decision, retry_policy, retry_schedule
from apiprobe.errors import InvalidParameterError, LabError
from apiprobe.lab._http import Connection, FaultApp, Request, Route
from apiprobe.lab._lab import _quiet_exception_handler, _Running, _teardown
from apiprobe.lab._protocol import ConnectionRegistry, HttpProtocol
from apiprobe.lab._server import ManagedServer, run_loop
from apiprobe.lab._sockets import bind_socket, port_of
from apiprobe.schema import conform

__all__ = ["ResilienceScenario", "run_resilience_scenario"]

_NS, _MS = 1_000_000_000, 1_000_000
_HOST = "127.0.0.1"
_OUTAGE_FAIL_P, _HEALTHY_FAIL_P = 0.9, 0.02
_THINK_S = (0.02, 0.08)  # a worker's pause between user requests
_REQUEST_TIMEOUT_S = 2.0  # checkout's context deadline for one user request, retries included
_ATTEMPT_TIMEOUT_S = 1.0  # http.Client.Timeout of one attempt
_START_TIMEOUT_S, _STOP_TIMEOUT_S = 15.0, 10.0
_DEFAULT_BREAKER: dict[str, Any] = {"max_requests": 2, "timeout_s": 0.6, "interval_s": 0.0, "ready_to_trip": None}
#: gobreaker's ErrOpenState and ErrTooManyRequests.
_BREAKER_ERRORS = {"open": "circuit breaker is open", "too_many_requests": "too many requests"}


class _Clock:
    """Wall-clock nanoseconds from ``time.time_ns()`` at creation, advanced monotonically."""

    def __init__(self) -> None:
        self.wall0, self._mono0 = time.time_ns(), time.perf_counter_ns()

    def now(self) -> int:
        return self.wall0 + time.perf_counter_ns() - self._mono0


def _go_json(rec: Mapping[str, Any]) -> str:
    """One JSON line as zap and zerolog write it: keys in order, floats as ``strconv.FormatFloat(f, 'f', -1)``."""
    parts = []
    for key, value in rec.items():
        if isinstance(value, float):
            text = repr(value)
            text = text[:-2] if text.endswith(".0") else text
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def _rfc3339_ms(ns: int) -> str:
    """zerolog with ``TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"`` (UTC)."""
    sec, frac = divmod(ns, _NS)
    return datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // _MS:03d}Z"


# -- inventory: the flaky upstream ------------------------------------------------------------


@dataclass
class _InventoryApp(FaultApp):
    """Every path answers ``GET /v1/stock``: 503 with high probability during the outage."""

    clock: _Clock | None = None
    outage_ns: tuple[int, int] = (0, 0)
    lines: list[tuple[int, str]] = field(default_factory=list)

    def route(self, request: Request) -> Route:
        return self._stock

    async def _stock(self, conn: Connection) -> None:
        clock = self.clock
        assert clock is not None
        start = clock.now()
        s = self.stream("inventory")
        s.count += 1
        u_fail, u_delay = s.rng.random(), s.rng.random()
        down = self.outage_ns[0] <= start - clock.wall0 < self.outage_ns[1]
        failed = u_fail < (_OUTAGE_FAIL_P if down else _HEALTHY_FAIL_P)
        await asyncio.sleep(((5.0 + 15.0 * u_delay) if down else (1.0 + 4.0 * u_delay)) / 1000.0)
        status = 503 if failed else 200
        conn.respond(status, {"error": "inventory unavailable"} if failed else {"sku": "sku-42", "in_stock": 7})
        end = clock.now()
        headers = conn.request.headers
        attempt = headers.get("x-attempt", "")
        rec = {
            "level": "error" if failed else "info",
            "service": "inventory",
            "request_id": headers.get("x-request-id", ""),
            "attempt": int(attempt) if attempt.isdigit() else 0,
            "status": status,
            "latency_ms": round((end - start) / _MS, 3),
            "time": _rfc3339_ms(end),
            "message": "request",
        }
        self.lines.append((end, _go_json(rec)))


class _Inventory(ManagedServer):
    """The upstream server: a bound loopback socket served by :class:`HttpProtocol` on its own loop."""

    _what = "the inventory upstream"

    def __init__(self, app: _InventoryApp) -> None:
        self._init_lifecycle()
        self._app = app
        self._run = _Running()
        self.url = ""

    def _teardown_call(self) -> tuple[Callable[[_Running], None], _Running]:
        return _teardown, self._run

    def _start(self) -> None:
        run = self._run
        sock = bind_socket(_HOST)
        run.sockets.append(sock)
        loop = run.loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        run.thread = threading.Thread(target=run_loop, args=(loop,), name="apiprobe-inventory", daemon=True)
        run.thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock), loop).result(timeout=_START_TIMEOUT_S)
        self.url = f"http://{_HOST}:{port_of(sock)}/v1/stock"

    async def _serve(self, sock: Any) -> None:
        registry = self._run.registry = ConnectionRegistry()
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: HttpProtocol(self._app, registry), sock=sock, backlog=1024)
        self._run.servers.append(server)


# -- checkout: the client ---------------------------------------------------------------------


class _Checkout:
    """checkout's workers, its breaker, its log lines and the ground truth they produce."""

    def __init__(self, clock: _Clock, url: str, policy: RetryPolicy, breaker: Mapping[str, Any], seed: int) -> None:
        self.clock, self.url, self.policy, self.seed = clock, url, policy, seed
        self.lines: list[tuple[int, str]] = []
        self.transitions: list[tuple[int, str, str]] = []
        self.requests = self.attempts = self.calls = self.fallbacks = 0
        self.rejections = {"open": 0, "too_many_requests": 0}
        self._fixed = None if policy.jittered else self._schedule(0)
        self.breaker = GoBreaker(
            max_requests=int(breaker["max_requests"]),
            interval_ns=round(breaker["interval_s"] * _NS),
            timeout_ns=round(breaker["timeout_s"] * _NS),
            ready_to_trip=breaker["ready_to_trip"],
            now_ns=clock.now(),
            on_state_change=self._changed,
        )

    def _schedule(self, seed: int) -> list[float]:
        return [float(x) for x in retry_schedule(self.policy, n=1, seed=seed)["delay_s"]]

    def _log(self, ns: int, level: str, caller: str, msg: str, fields: Mapping[str, Any]) -> None:
        rec = {"level": level, "ts": ns / _NS, "caller": f"checkout/{caller}", "msg": msg, "service": "checkout"}
        rec.update((k, v) for k, v in fields.items() if v is not None)
        self.lines.append((ns, _go_json(rec)))

    def _changed(self, ns: int, old: str, new: str) -> None:
        self.transitions.append((ns, old, new))
        fields = {"breaker": "inventory", "from": old, "to": new}
        self._log(ns, "warn", "breaker.go:27", "circuit breaker state changed", fields)

    async def run(self, clients: int, stop_ns: int, limit_s: float) -> None:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, trust_env=False, follow_redirects=False) as client:
            workers = [self._worker(client, w, stop_ns) for w in range(clients)]
            await asyncio.wait_for(asyncio.gather(*workers), timeout=limit_s)

    async def _worker(self, client: httpx.AsyncClient, w: int, stop_ns: int) -> None:
        rng = random.Random(f"apiprobe-resilience:{self.seed}:{w}")
        await asyncio.sleep(rng.uniform(0.0, _THINK_S[1]))
        n = 0
        while self.clock.now() < stop_ns:
            n += 1
            await self._request(client, rng, self.seed * 10**9 + w * 10**6 + n)
            await asyncio.sleep(rng.uniform(*_THINK_S))

    async def _request(self, client: httpx.AsyncClient, rng: random.Random, seed: int) -> None:
        clock = self.clock
        rid, trace = f"{rng.getrandbits(64):016x}", f"{rng.getrandbits(128):032x}"
        start = clock.now()
        deadline = start + round(_REQUEST_TIMEOUT_S * _NS)
        self.requests += 1
        waits: list[float] | None = self._fixed
        attempt, ok = 0, False
        while True:
            attempt += 1
            began = clock.now()
            status, error = await self._attempt(client, rid, attempt, deadline)
            end = clock.now()
            ok, wait = error is None, None
            if not ok:
                waits = self._schedule(seed) if waits is None else waits
                retry = attempt <= len(waits) and retry_decision(
                    self.policy, status=status, error=None if status else error, context_done=end >= deadline
                )
                if retry and end + round(waits[attempt - 1] * _NS) < deadline:
                    wait = waits[attempt - 1]
            self.attempts += 1
            fields = {
                "upstream": "inventory",
                "request_id": rid,
                "trace_id": trace,
                "attempt": attempt,
                "status": status,
                "error": error,
                "latency_ms": round((end - began) / _MS, 3),
                "wait_ms": None if wait is None else round(wait * 1000.0, 3),
            }
            self._log(end, "info" if ok else "warn", "client.go:112", "upstream call", fields)
            if wait is None:
                break
            await asyncio.sleep(wait)
        if not ok:
            self.fallbacks += 1
            fields = {"fallback": "cache", "request_id": rid}
            self._log(clock.now(), "warn", "client.go:131", "served from fallback cache", fields)
        end = clock.now()
        fields = {"request_id": rid, "status": 200, "fallback": not ok, "latency_ms": round((end - start) / _MS, 3)}
        self._log(end, "info", "handler.go:57", "request served", fields)

    async def _attempt(
        self, client: httpx.AsyncClient, rid: str, attempt: int, deadline: int
    ) -> tuple[int | None, str | None]:
        """One ``cb.Execute(func)``: ``(status, error)``; the error is Go's text, None on success."""
        now = self.clock.now()
        _, generation, rejected = self.breaker.before(now)
        if rejected is not None:
            self.rejections[rejected] += 1
            return None, _BREAKER_ERRORS[rejected]
        self.calls += 1
        timeout = max(min(_ATTEMPT_TIMEOUT_S, (deadline - now) / _NS), 0.001)
        status: int | None = None
        try:
            headers = {"X-Request-Id": rid, "X-Attempt": str(attempt)}
            response = await client.get(self.url, headers=headers, timeout=timeout)
            status = response.status_code
            error = None if status < 500 else f"unexpected HTTP status {status} {response.reason_phrase}"
        except httpx.TimeoutException:
            error = f'Get "{self.url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        except httpx.HTTPError as exc:
            error = f'Get "{self.url}": {exc or type(exc).__name__}'
        self.breaker.after(generation, error is None, self.clock.now())
        return status, error


# -- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResilienceScenario:
    """What :func:`run_resilience_scenario` wrote and what really happened.

    Attributes
    ----------
    checkout_log, inventory_log : pathlib.Path
        ``logs/checkout.log`` (zap production JSON) and ``logs/inventory.log`` (zerolog JSON).
    requests : int
        User requests checkout served (each ends with a "request served" line).
    attempts : int
        Attempts of all user requests: calls that reached inventory plus breaker rejections.
    upstream_calls : int
        Attempts the breaker let through (HTTP requests sent to inventory).
    rejections : dict of str to int
        Breaker rejections by reason: ``open`` and ``too_many_requests``.
    fallbacks : int
        User requests served from the fallback cache.
    transitions : pandas.DataFrame
        ``ts, from_state, to_state`` (tz-aware UTC): every change the live breaker made.
    started : pandas.Timestamp
        Scenario start (UTC); ``outage`` and ``duration_s`` count from it.
    outage : tuple of pandas.Timestamp
        Start and end of inventory's outage.
    duration_s : float
        How long the workers issued new user requests.
    policy : RetryPolicy
        The retry policy used.
    breaker : dict
        The breaker settings used (``max_requests``, ``timeout_s``, ``interval_s``, ``ready_to_trip``).
    """

    checkout_log: Path
    inventory_log: Path
    requests: int
    attempts: int
    upstream_calls: int
    rejections: dict[str, int]
    fallbacks: int
    transitions: pd.DataFrame
    started: pd.Timestamp
    outage: tuple[pd.Timestamp, pd.Timestamp]
    duration_s: float
    policy: RetryPolicy
    breaker: dict[str, Any]

    @property
    def logs_dir(self) -> Path:
        """The folder holding both logs (what :func:`apiprobe.load.logs.read_logs` reads)."""
        return self.checkout_log.parent

    @property
    def amplification(self) -> float:
        """Attempts per user request (NaN without requests)."""
        return self.attempts / self.requests if self.requests else math.nan


async def _cancel_all() -> None:
    """Cancel every other task of the running loop and wait for them to unwind."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _number(value: Any, name: str, lo: float, hi: float, *, whole: bool = False) -> Any:
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not (math.isfinite(value) and lo <= value <= hi):
        what = "a whole number" if whole else "a number"
        raise InvalidParameterError(f"{name} must be {what} in [{lo:g}, {hi:g}], got {value!r}")
    return value if whole else float(value)


def _breaker_settings(breaker: Mapping[str, Any] | None) -> dict[str, Any]:
    if breaker is not None and not isinstance(breaker, Mapping):
        raise InvalidParameterError(f"breaker must be a mapping of settings, got {breaker!r}")
    out = {**_DEFAULT_BREAKER, **(breaker or {})}
    if len(out) > len(_DEFAULT_BREAKER):
        unknown = ", ".join(sorted(set(out) - set(_DEFAULT_BREAKER)))
        raise InvalidParameterError(f"breaker has no setting {unknown}; it takes {', '.join(_DEFAULT_BREAKER)}")
    for key, hi in (("max_requests", 1e6), ("timeout_s", 3600.0), ("interval_s", 3600.0)):
        out[key] = _number(out[key], f"breaker {key}", 0.0, hi, whole=key == "max_requests")
    if out["ready_to_trip"] is not None and not callable(out["ready_to_trip"]):
        raise InvalidParameterError(f"breaker ready_to_trip must be callable, got {out['ready_to_trip']!r}")
    return out


def run_resilience_scenario(
    out_dir: str | os.PathLike[str],
    *,
    policy: RetryPolicy | str | None = None,
    jitter: bool = False,
    breaker: Mapping[str, Any] | None = None,
    clients: int = 6,
    duration_s: float = 8.0,
    outage: tuple[float, float] = (1.5, 5.0),
    seed: int = 0,
) -> ResilienceScenario:
    """Run checkout against a flaky inventory on loopback and write both services' logs.

    Parameters
    ----------
    out_dir : str or path-like
        Where ``logs/checkout.log`` and ``logs/inventory.log`` are written (created if needed).
    policy : RetryPolicy or str, optional
        checkout's retry policy (see :func:`~apiprobe.analyze.resilience.retry_policy`); it must
        stop by itself. Default: ``exponential`` with 50 ms base, 400 ms cap, 3 retries.
    jitter : bool, default False
        With the default policy, full jitter instead of none (ignored when ``policy`` is given).
    breaker : mapping, optional
        gobreaker settings: ``max_requests`` (2), ``timeout_s`` (0.6), ``interval_s`` (0),
        ``ready_to_trip`` (None: more than 5 consecutive failures).
    clients : int, default 6
        Concurrent checkout workers (1–256).
    duration_s : float, default 8.0
        How long workers issue new user requests (0.1–600 s); in-flight requests then
        finish within checkout's 2 s request deadline.
    outage : tuple of float, default (1.5, 5.0)
        Start and end of inventory's outage in seconds from the start, within ``[0, duration_s]``;
        during it inventory answers 503 with probability 0.9 after 5–20 ms, otherwise with 0.02.
    seed : int, default 0
        Seed of inventory's failures, the workers' pauses and ids, and the retry jitter.

    Returns
    -------
    ResilienceScenario
        The log paths and the ground truth.

    Raises
    ------
    InvalidParameterError
        An argument out of range, or a policy that never stops.
    LabError
        The upstream could not start, or the run did not finish in time.
    """
    clients = _number(clients, "clients", 1, 256, whole=True)
    duration_s = _number(duration_s, "duration_s", 0.1, 600.0)
    seed = _number(seed, "seed", 0, 2**32 - 1, whole=True)
    if not isinstance(outage, tuple | list) or len(outage) != 2:
        raise InvalidParameterError(f"outage must be a pair (start_s, end_s), got {outage!r}")
    o_start = _number(outage[0], "outage start", 0.0, duration_s)
    o_end = _number(outage[1], "outage end", o_start, duration_s)
    if not isinstance(jitter, bool):
        raise InvalidParameterError(f"jitter must be True or False, got {jitter!r}")
    if policy is None:
        policy = retry_policy("exponential", base_s=0.05, cap_s=0.4, retries=3, jitter="full" if jitter else "none")
    policy = retry_policy(policy)
    retry_schedule(policy, n=1, seed=0)  # refuses a policy with no stop rule
    settings = _breaker_settings(breaker)
    logs = Path(out_dir) / "logs"
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(f"out_dir {str(out_dir)!r}: cannot create {logs}: {exc}") from exc

    app = _InventoryApp(seed=seed, outage_ns=(round(o_start * _NS), round(o_end * _NS)))
    limit_s = duration_s + _REQUEST_TIMEOUT_S + 2.0
    with _Inventory(app) as inventory:
        clock = app.clock = _Clock()
        checkout = _Checkout(clock, inventory.url, policy, settings, seed)
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        thread = threading.Thread(target=run_loop, args=(loop,), name="apiprobe-checkout", daemon=True)
        thread.start()
        future = asyncio.run_coroutine_threadsafe(
            checkout.run(clients, clock.wall0 + round(duration_s * _NS), limit_s), loop
        )
        try:
            future.result(timeout=limit_s + _STOP_TIMEOUT_S)
        except TimeoutError as exc:  # also concurrent.futures' (an alias since 3.11)
            raise LabError(f"the resilience scenario did not finish within {limit_s:.1f} s") from exc
        finally:  # on error or interrupt too: cancel the workers so that the client closes its sockets
            if not future.done():
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(timeout=_STOP_TIMEOUT_S)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=_STOP_TIMEOUT_S)
    paths = {}
    for name, lines in (("checkout", checkout.lines), ("inventory", app.lines)):
        paths[name] = logs / f"{name}.log"
        ordered = sorted(lines, key=lambda pair: pair[0])
        paths[name].write_text("".join(line + "\n" for _, line in ordered), encoding="utf-8")
    transitions = pd.DataFrame(checkout.transitions, columns=["ts", "from_state", "to_state"])
    transitions["ts"] = pd.to_datetime(transitions["ts"].astype("int64"), unit="ns", utc=True)
    started = pd.Timestamp(clock.wall0, unit="ns", tz="UTC")
    return ResilienceScenario(
        checkout_log=paths["checkout"],
        inventory_log=paths["inventory"],
        requests=checkout.requests,
        attempts=checkout.attempts,
        upstream_calls=checkout.calls,
        rejections=dict(checkout.rejections),
        fallbacks=checkout.fallbacks,
        transitions=conform(transitions, "breaker_transitions"),
        started=started,
        outage=(started + pd.Timedelta(seconds=o_start), started + pd.Timedelta(seconds=o_end)),
        duration_s=duration_s,
        policy=policy,
        breaker=settings,
    )

"""TCP-connect probe: round-trip time, jitter and loss without ICMP.

A TCP connect takes one round trip (SYN → SYN-ACK), needs no privileges and
goes through the same firewalls and load balancers as the service's real
traffic, which makes it a better RTT sample for an API than ``ping``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pandas as pd

from apiprobe.errors import InvalidParameterError
from apiprobe.probe._resolve import Resolver, parse_hostport, resolve
from apiprobe.probe.runner import Job, check_options, monotonic_ms, run_jobs, sync_twin
from apiprobe.schema import conform

__all__ = ["aprobe_tcp", "probe_tcp"]


async def _connect_once(ip: str, port: int, timeout: float) -> tuple[float | None, str | None, str | None]:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    start = monotonic_ms()
    try:
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (ip, port))
        return monotonic_ms() - start, None, None
    except TimeoutError:
        return None, "connect_timeout", f"no SYN-ACK from {ip}:{port} within {timeout:g} s"
    except ConnectionRefusedError as exc:
        return None, "connect_refused", f"{ip}:{port}: {exc.strerror or exc}"
    except OSError as exc:
        return None, "connect_error", f"{ip}:{port}: {exc.strerror or exc}"
    finally:
        sock.close()


async def aprobe_tcp(
    targets: str | Iterable[str],
    *,
    count: int = 10,
    interval: float = 1.0,
    timeout: float = 3.0,
    concurrency: int = 10,
    resolver: Resolver = None,
    progress: bool | None = None,
    run_id: str | None = None,
) -> pd.DataFrame:
    """Sample TCP-connect round-trip times to ``host:port`` targets.

    ``probe_tcp`` blocks until done (also inside a running Jupyter kernel);
    ``aprobe_tcp`` is the same probe as a coroutine, for code that runs its own event loop.

    The name is resolved once per target, so samples measure the network, not
    the resolver. A refused or timed-out connect is a row with ``ok`` False,
    never an exception; loss is the share of such rows.

    Parameters
    ----------
    targets
        ``host:port``, ``[v6addr]:port`` or http(s) URLs (default ports apply).
    count
        Samples per target.
    interval
        Seconds between samples of one target.
    timeout
        Seconds to wait for one connect.
    concurrency
        Maximum connects in flight.
    resolver
        As in :func:`apiprobe.probe_http`.
    progress
        Show a progress bar (None: when there are 20 or more samples).
    run_id
        Identifier written to every row.

    Returns
    -------
    pandas.DataFrame
        Schema ``pings`` (:data:`apiprobe.schema.PINGS`), one row per connect attempt, sorted by ``ts``.

        * ``ts`` -- UTC wall-clock time the sample started (``datetime64[ns, UTC]``).
        * ``run_id`` -- identifier shared by all rows of the run.
        * ``target`` -- the target as given.
        * ``ip`` -- address connected to; NA when the name did not resolve.
        * ``port`` -- TCP port.
        * ``seq`` -- sample number within the target, from 0.
        * ``rtt_ms`` -- TCP connect time (SYN → SYN-ACK), float ms; NA when the sample failed.
        * ``ok`` -- True when the connection was established.
        * ``error_kind`` -- ``connect_refused``, ``connect_timeout``, ``connect_error``,
          ``dns_failure`` or ``dns_timeout``; NA on success.
        * ``error`` -- failure detail.

    Raises
    ------
    InvalidTargetError
        When a target is not ``host:port`` or a URL.
    InvalidParameterError
        When ``targets`` is empty, ``count`` or ``concurrency`` is below 1, ``timeout`` is
        not positive, or ``resolver`` is of an unsupported kind.
    """
    items = [targets] if isinstance(targets, str) else list(targets)
    parsed = [(t, *parse_hostport(t)) for t in items]
    if not parsed:
        raise InvalidParameterError(f"targets is empty ({targets!r}): give at least one host:port")
    check_options(count=count, timeout=timeout, concurrency=concurrency)
    run = run_id or uuid.uuid4().hex[:12]
    resolutions = await asyncio.gather(*(resolve(h, p, resolver, timeout) for _, h, p in parsed))

    def job(
        target: str, host: str, port: int, seq: int, ip: str | None, failure: tuple[str | None, str | None]
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def run_one() -> dict[str, Any]:
            row: dict[str, Any] = {
                "ts": dt.datetime.now(dt.UTC),
                "run_id": run,
                "target": target,
                "ip": ip,
                "port": port,
                "seq": seq,
            }
            if ip is None:
                row.update(ok=False, error_kind=failure[0], error=failure[1])
                return row
            rtt, kind, error = await _connect_once(ip, port, timeout)
            row.update(rtt_ms=rtt, ok=kind is None, error_kind=kind, error=error)
            return row

        return run_one

    jobs = []
    for (target, host, port), res in zip(parsed, resolutions, strict=True):
        ip = res.ips[0] if res.ips else None
        for seq in range(count):
            jobs.append(Job(seq * interval, job(target, host, port, seq, ip, (res.error_kind, res.error))))
    rows = await run_jobs(jobs, concurrency=concurrency, progress=progress, desc="tcp pings")
    return conform(rows, "pings").sort_values(["ts"], kind="stable").reset_index(drop=True)


probe_tcp = sync_twin(aprobe_tcp, "probe_tcp")

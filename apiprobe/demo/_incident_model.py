"""The demo incident's simulation state: requests, spans, ids, clocks and the log buffer."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apiprobe.demo._incident_format import _ms
from apiprobe.demo._incident_story import _S, _T_INC, _T_JOB_END, DEMO_SERVICES


@dataclass
class _Span:
    service: str
    trace_id: str
    span_id: str
    parent: str
    name: str
    kind: int  # OTLP: 1 internal, 2 server, 3 client
    start: int
    end: int
    attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class _Request:
    t0: int
    kind: str
    method: str
    path: str
    route: str
    client_ip: str
    trace_id: str
    span_id: str
    body: str | None = None
    forced: dict[str, Any] = field(default_factory=dict)
    sampled: bool = False
    end: int = 0
    status: int = 200
    error: str | None = None
    response: str = ""


class _Sim:
    """Random sources, ids, and what the services logged and traced so far.

    ``clock_skew`` maps a service to how far its clock is ahead of true time (ns, negative when
    behind): the times a service *writes* in its log lines are read off its own clock
    (:meth:`clock`); the log buffer and the spans keep true time.
    """

    def __init__(self, seed: int, clock_skew: Mapping[str, int] | None = None) -> None:
        self.skew: dict[str, int] = dict(clock_skew or {})
        self.rng = random.Random(seed)
        self.ids = random.Random(seed + 1)
        self.seq = 0
        self.logs: dict[str, list[tuple[int, int, str]]] = {s: [] for s in DEMO_SERVICES}
        self.spans: list[_Span] = []
        self.requests: list[_Request] = []
        self.attempts: list[tuple[int, str]] = []  # payments: (time, outcome) for the pool stats
        self.order_no = 58210
        self.panicked = False
        self.clients = [
            f"{net}.{self.ids.randrange(2, 250)}" for net in ("203.0.113", "198.51.100", "192.0.2") for _ in range(20)
        ]

    # ids and small helpers -----------------------------------------------------------------
    def trace_id(self) -> str:
        return f"{self.ids.getrandbits(128) | 1 << 124:032x}"

    def span_id(self) -> str:
        return f"{self.ids.getrandbits(64) | 1 << 60:016x}"

    def lognormal(self, median_ms: float, sigma: float) -> int:
        return _ms(median_ms * math.exp(sigma * self.rng.gauss(0.0, 1.0)))

    def net(self) -> int:
        return self.rng.randrange(200_000, 700_000)

    def clock(self, service: str, ns: int) -> int:
        """What ``service``'s clock reads at true time ``ns``."""
        return ns + self.skew.get(service, 0)

    def log(self, service: str, ns: int, line: str) -> None:
        self.seq += 1
        self.logs[service].append((ns, self.seq, line))

    def span(
        self,
        req: _Request,
        service: str,
        parent: str,
        name: str,
        kind: int,
        start: int,
        end: int,
        attrs: dict[str, Any],
        error: str | None = None,
        span_id: str | None = None,
    ) -> str:
        sid = span_id or self.span_id()
        if req.sampled:
            self.spans.append(_Span(service, req.trace_id, sid, parent, name, kind, start, end, attrs, error))
        return sid

    @staticmethod
    def severity(ns: int) -> float:
        """How exhausted the payments pool is, 0..1."""
        if ns < _T_INC:
            return 0.0
        if ns < _T_INC + 120 * _S:
            return (ns - _T_INC) / (120 * _S)
        if ns < _T_JOB_END:
            return 1.0
        return max(0.04, 1.0 - (ns - _T_JOB_END) / (170 * _S))

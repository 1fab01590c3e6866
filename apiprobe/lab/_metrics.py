"""The fault lab's ``/metrics``: its real traffic in the Go Prometheus client's names and types.

:class:`HttpMetrics` counts what a Go server instrumented with ``promhttp`` would
show (``InstrumentHandlerCounter``, ``InstrumentHandlerDuration``,
``InstrumentHandlerInFlight``), and renders it as the text exposition format
0.0.4 the Go client answers a scrape with:

``http_requests_total{code, handler, method}`` (counter)
    Requests whose handler returned. ``code`` is the status as a string,
    ``method`` the lower-case method (``get``), or ``unknown`` for a method
    outside promhttp's list, as ``sanitizeMethod`` does. ``handler`` is the
    route pattern, never the raw path, so the label stays bounded:
    ``/status/{code}`` for every code, and ``/`` for paths no route matches (in
    a Go ``ServeMux`` the ``/`` pattern catches them and answers 404).
``http_request_duration_seconds{code, handler, method}`` (histogram)
    The same requests, from the moment the request was parsed to the moment the
    response was written (for ``/delay`` the delay is included), in the Go
    client's default buckets (``prometheus.DefBuckets``).
``http_requests_in_flight`` (gauge)
    Requests being handled right now (a delayed request counts while it waits).
``go_goroutines`` (gauge)
    A stand-in, as the lab is Python: what a Go server would hold a goroutine
    for, i.e. every live asyncio task of the server's loop plus every open
    connection (a Go ``net/http`` server runs one goroutine per connection).
``go_sql_stats_connections_*{db_name}``
    Only where a pool exists (the pool-limited upstream, :class:`PoolStats`), in
    the names of ``github.com/dlmiddlecote/sqlstats``, the usual Go exporter of
    ``sql.DBStats``: gauges ``max_open``, ``open``, ``in_use``, ``idle``;
    counters ``waited_for``, ``blocked_seconds``, ``closed_max_idle``,
    ``closed_max_lifetime``, ``closed_max_idle_time`` (as in Go, without a
    ``_total`` suffix).
``process_*``
    The lab process's real CPU time, memory, open file descriptors and start
    time, from ``prometheus_client``'s ``ProcessCollector`` on a registry of its
    own (never the global default registry, so several labs in one process do
    not collide).

How requests end, as a Go handler would end them: a route that drops the
connection instead of answering (``/close``, ``/garbage``, ``/reset``) is a Go
handler that aborts with ``panic(http.ErrAbortHandler)``: the counter and the
histogram, which observe after the handler returns, never see it, while the
in-flight gauge, decremented in a ``defer``, goes back down. A request whose
client goes away while the route waits (a probe timing out on ``/delay``) is a
handler that returns when its request context is canceled: ``promhttp``
records it with ``code="200"`` (no status written counts as 200) and the time
until the client left, which is what a Go server's dashboard shows for client
timeouts. ``/metrics`` itself is served uninstrumented, as ``promhttp.Handler()``
usually is, and does not count its own scrapes.

Counting is kept off ``prometheus_client``'s metric objects: one response costs
a dict lookup, a bisect and three list updates; the text is rendered only when
scraped.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "DEF_BUCKETS", "HttpMetrics", "PoolStats"]

#: The Go client's default histogram buckets (``prometheus.DefBuckets``), in seconds.
DEF_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: What a Go client answers a scrape with (text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: ``promhttp``'s ``sanitizeMethod``: these methods lower-cased, any other ``unknown``.
_METHODS = {
    m: m.lower() for m in ("GET", "PUT", "HEAD", "POST", "DELETE", "CONNECT", "OPTIONS", "NOTIFY", "TRACE", "PATCH")
}
_INF = len(DEF_BUCKETS)  # slot of observations above the last bound
_SUM = _INF + 1  # slot of the sum of observations
_LE = tuple(f"{b:g}" for b in DEF_BUCKETS)


@dataclass(frozen=True)
class PoolStats:
    """One reading of a connection pool in ``sql.DBStats`` terms.

    Attributes
    ----------
    max_open : int
        ``MaxOpenConnections``: the pool's capacity.
    open : int
        ``OpenConnections``: connections established, in use or idle.
    in_use : int
        ``InUse``: connections held by a request right now.
    wait_count : int
        ``WaitCount``: requests that had to wait for a connection, since start.
    wait_seconds : float
        ``WaitDuration``: their total wait, in seconds.
    """

    max_open: int
    open: int
    in_use: int
    wait_count: int
    wait_seconds: float

    def families(self, db_name: str) -> list[tuple[str, str, str, float]]:
        """``(name, type, help, value)`` of each sqlstats family, sorted by name as the Go registry sorts them."""
        prefix = "go_sql_stats_connections_"
        rows = [
            ("max_open", "gauge", "Maximum number of open connections to the database.", self.max_open),
            ("open", "gauge", "The number of established connections both in use and idle.", self.open),
            ("in_use", "gauge", "The number of connections currently in use.", self.in_use),
            ("idle", "gauge", "The number of idle connections.", self.open - self.in_use),
            ("waited_for", "counter", "The total number of connections waited for.", self.wait_count),
            ("blocked_seconds", "counter", "The total time blocked waiting for a new connection.", self.wait_seconds),
            # the lab's pools have no idle limit and no lifetime: they never close a connection
            ("closed_max_idle", "counter", "The total number of connections closed due to SetMaxIdleConns.", 0),
            ("closed_max_lifetime", "counter", "The total number of connections closed due to SetConnMaxLifetime.", 0),
            ("closed_max_idle_time", "counter", "The total number of connections closed due to SetConnMaxIdleTime.", 0),
        ]
        return sorted((prefix + name, kind, text, value) for name, kind, text, value in rows)


class HttpMetrics:
    """Request counters, duration histograms and gauges of one lab server, rendered in the Go client's names.

    Parameters
    ----------
    connections : callable, optional
        Returns the number of open connections (added to the live asyncio tasks
        for ``go_goroutines``); none by default.
    pool : callable, optional
        Returns the current :class:`PoolStats` of the server's pool, exposed as
        ``go_sql_stats_connections_*``; no pool families without it.
    db_name : str, default "lab"
        The ``db_name`` label of the pool families.

    Attributes
    ----------
    in_flight : int
        Requests being handled; the server increments and decrements it.
    """

    def __init__(
        self,
        connections: Callable[[], int] | None = None,
        pool: Callable[[], PoolStats] | None = None,
        db_name: str = "lab",
    ) -> None:
        self.connections = connections
        self.pool = pool
        self.db_name = db_name
        self.in_flight = 0
        # (code, method label, handler) -> [non-cumulative bucket counts..., count above the last bound, sum]
        self._series: dict[tuple[int, str, str], list[float]] = {}
        self._process = _SortedFamilies(CollectorRegistry(auto_describe=False))
        ProcessCollector(registry=self._process.registry)

    def observe(self, code: int, method: str, handler: str, seconds: float) -> None:
        """Count one request whose handler returned with status ``code`` after ``seconds``.

        Parameters
        ----------
        code : int
            The status written (200 when none was).
        method : str
            The request method as received.
        handler : str
            The route pattern (``/status/{code}``), not the raw path.
        seconds : float
            From the request parsed to the response written.
        """
        key = (code, _METHODS.get(method, "unknown"), handler)
        s = self._series.get(key)
        if s is None:
            s = self._series[key] = [0] * (_SUM + 1)
        s[bisect.bisect_left(DEF_BUCKETS, seconds)] += 1
        s[_SUM] += seconds

    def goroutines(self) -> int:
        """The ``go_goroutines`` stand-in: live asyncio tasks of the running loop plus open connections."""
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:  # no running loop (rendered outside the server's loop)
            tasks = 0
        return tasks + (self.connections() if self.connections is not None else 0)

    def render(self) -> bytes:
        """The exposition (text format 0.0.4), families sorted by name as the Go registry sorts them.

        Returns
        -------
        bytes
            The page, UTF-8.
        """
        out = [
            "# HELP go_goroutines Number of goroutines that currently exist.",
            "# TYPE go_goroutines gauge",
            f"go_goroutines {_number(self.goroutines())}",
        ]
        if self.pool is not None:
            label = f'{{db_name="{_escape(self.db_name)}"}}'
            for name, kind, help_text, value in self.pool().families(self.db_name):
                out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name}{label} {_number(value)}"]
        # the Go registry sorts a family's series by label value, labels in name order: code, handler, method
        rows = sorted(
            (f'code="{code}",handler="{_escape(handler)}",method="{method}"', s)
            for (code, method, handler), s in list(self._series.items())
        )
        out += [
            "# HELP http_request_duration_seconds A histogram of latencies for requests.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for labels, s in rows:
            running = 0
            for le, n in zip(_LE, s, strict=False):
                running += int(n)
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {_number(running)}')
            count = running + int(s[_INF])
            out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {_number(count)}')
            out.append(f"http_request_duration_seconds_sum{{{labels}}} {_number(s[_SUM])}")
            out.append(f"http_request_duration_seconds_count{{{labels}}} {_number(count)}")
        out += [
            "# HELP http_requests_in_flight A gauge of requests currently being served by the wrapped handler.",
            "# TYPE http_requests_in_flight gauge",
            f"http_requests_in_flight {_number(self.in_flight)}",
            "# HELP http_requests_total A counter for requests to the wrapped handler.",
            "# TYPE http_requests_total counter",
        ]
        for labels, s in rows:
            out.append(f"http_requests_total{{{labels}}} {_number(sum(s[:_SUM]))}")
        # process_* sorts after every family above, so appending keeps the page in name order
        return ("\n".join(out) + "\n").encode() + generate_latest(self._process)


class _SortedFamilies(Collector):
    """A registry's families in name order, as the Go registry gathers them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        """The registry's families, sorted by name."""
        return sorted(self.registry.collect(), key=lambda family: family.name)


def _number(value: float) -> str:
    """A sample value as the Go client writes it: ``strconv.FormatFloat(v, 'g', -1, 64)``.

    The shortest digits that round-trip; exponent form when the decimal
    exponent is below -4 or at least 6 (``2.905512e+06``, ``1e-05``, ``4265``).
    """
    v = float(value)
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if math.isnan(v):
        return "NaN"
    if v == 0:
        return "0"
    d = Decimal(repr(v)).normalize()
    _, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    exp10 = len(digits) - 1 + exponent
    if -4 <= exp10 < 6:
        return format(d, "f")
    mantissa = "".join(map(str, digits))
    mantissa = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if v < 0 else ''}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"


def _escape(value: str) -> str:
    """Escape a label value for the text format (backslash, double quote, newline)."""
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")

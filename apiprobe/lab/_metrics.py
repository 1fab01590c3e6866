"""The fault lab's ``/metrics``: its real traffic in the Go Prometheus client's names and types.

The HTTP app counts every response it completes the way Go's ``promhttp``
middleware does (``InstrumentHandlerCounter`` / ``InstrumentHandlerDuration``):
``http_requests_total{code, method, handler}`` and the histogram
``http_request_duration_seconds`` with the Go client's default buckets, from the
moment the request was parsed to the moment its response was written. Routes
that break the connection instead of answering (``/close``, ``/garbage``,
``/reset``) complete no response and are not counted, as a hijacked Go handler
is not. ``handler`` is the route (``/status/{code}`` for every code), so the
label stays bounded. ``go_goroutines`` is the lab's stand-in for what a Go
server would hold: one per open connection plus one per waiting request
(live asyncio tasks).

The pool-limited upstream exposes its semaphore as a database/sql pool in the
names of ``dlmiddlecote/sqlstats`` (the usual Go exporter of ``sql.DBStats``):
``go_sql_stats_connections_max_open`` (capacity), ``..._in_use`` (requests
being served), ``..._idle``, ``..._waited_for`` (requests that had to queue)
and ``..._blocked_seconds`` (their total wait), with ``db_name="lab"``.

Counting costs a dict lookup and a bisect per response; the text is rendered
only when scraped.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["CONTENT_TYPE", "DEF_BUCKETS", "HttpMetrics", "render_pool"]

#: The Go client's default histogram buckets (prometheus.DefBuckets), in seconds.
DEF_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: What a Go client answers a scrape with (text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _le(bound: float) -> str:
    return f"{bound:g}"


@dataclass
class _Series:
    buckets: list[int] = field(default_factory=lambda: [0] * len(DEF_BUCKETS))
    total: float = 0.0
    count: int = 0


@dataclass
class HttpMetrics:
    """Request counters and duration histograms of one lab, keyed by ``(code, method, handler)``."""

    series: dict[tuple[str, str, str], _Series] = field(default_factory=dict)
    connections: Callable[[], int] = field(default=lambda: 0)

    def observe(self, code: int, method: str, handler: str, seconds: float) -> None:
        """Count one completed response of ``seconds``."""
        key = (str(code), method.lower(), handler)
        s = self.series.get(key)
        if s is None:
            s = self.series[key] = _Series()
        i = bisect.bisect_left(DEF_BUCKETS, seconds)
        if i < len(DEF_BUCKETS):
            s.buckets[i] += 1
        s.total += seconds
        s.count += 1

    def render(self) -> bytes:
        """The exposition (text format 0.0.4), families in the Go client's order."""
        items = sorted(self.series.items())
        out = [
            "# HELP go_goroutines Number of goroutines that currently exist.",
            "# TYPE go_goroutines gauge",
            f"go_goroutines {_tasks() + self.connections()}",
            "# HELP http_request_duration_seconds A histogram of latencies for requests.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for (code, method, handler), s in items:
            labels = f'code="{code}",handler="{handler}",method="{method}"'
            running = 0
            for bound, n in zip(DEF_BUCKETS, s.buckets, strict=True):
                running += n
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="{_le(bound)}"}} {running}')
            out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {s.count}')
            out.append(f"http_request_duration_seconds_sum{{{labels}}} {s.total!r}")
            out.append(f"http_request_duration_seconds_count{{{labels}}} {s.count}")
        out += [
            "# HELP http_requests_total A counter for requests to the wrapped handler.",
            "# TYPE http_requests_total counter",
        ]
        for (code, method, handler), s in items:
            out.append(f'http_requests_total{{code="{code}",handler="{handler}",method="{method}"}} {s.count}')
        return ("\n".join(out) + "\n").encode()


def _tasks() -> int:
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:  # no running loop (rendered outside the lab's loop)
        return 0


def render_pool(capacity: int, in_use: int, waited: int, blocked_s: float, served: int, db_name: str = "lab") -> bytes:
    """The pool-limited upstream's semaphore as ``sql.DBStats`` in sqlstats' names (text format 0.0.4)."""
    label = f'{{db_name="{db_name}"}}'
    families = (
        ("go_sql_stats_connections_max_open", "gauge", "Maximum number of open connections to the database.", capacity),
        (
            "go_sql_stats_connections_open",
            "gauge",
            "The number of established connections both in use and idle.",
            capacity,
        ),
        ("go_sql_stats_connections_in_use", "gauge", "The number of connections currently in use.", in_use),
        ("go_sql_stats_connections_idle", "gauge", "The number of idle connections.", capacity - in_use),
        ("go_sql_stats_connections_waited_for", "counter", "The total number of connections waited for.", waited),
        (
            "go_sql_stats_connections_blocked_seconds",
            "counter",
            "The total time blocked waiting for a new connection.",
            blocked_s,
        ),
        ("http_requests_total", "counter", "A counter for requests to the wrapped handler.", served),
    )
    out = [f"go_goroutines {_tasks()}"]
    out.insert(0, "# TYPE go_goroutines gauge")
    for name, kind, help_text, value in families:
        labels = '{code="200",handler="/",method="get"}' if name == "http_requests_total" else label
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name}{labels} {value!r}"]
    return ("\n".join(out) + "\n").encode()

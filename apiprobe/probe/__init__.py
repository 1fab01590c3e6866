"""Collect: live probes. Network side effects live here and nowhere else.

Every probe returns rows and never raises on a network failure: a timeout,
refused connection, unresolvable name or bad certificate is a row with
``error_kind`` set (vocabulary in :data:`apiprobe.schema.ERROR_KINDS`).
:func:`read_prometheus` is a read, not a probe: a Prometheus that cannot answer
raises :class:`~apiprobe.errors.PrometheusError`, as a missing file would.
"""

from apiprobe.probe.concurrency import probe_concurrency
from apiprobe.probe.dns import aprobe_dns, probe_dns
from apiprobe.probe.http import aprobe_http, probe_http
from apiprobe.probe.prometheus import read_prometheus
from apiprobe.probe.runner import run_jobs, run_sync
from apiprobe.probe.tcp import aprobe_tcp, probe_tcp
from apiprobe.probe.tls import probe_tls

__all__ = [
    "aprobe_dns",
    "aprobe_http",
    "aprobe_tcp",
    "probe_concurrency",
    "probe_dns",
    "probe_http",
    "probe_tcp",
    "probe_tls",
    "read_prometheus",
    "run_jobs",
    "run_sync",
]

"""Collect: live probes. Network side effects live here and nowhere else.

Every probe returns rows and never raises on a network failure: a timeout,
refused connection, unresolvable name or bad certificate is a row with
``error_kind`` set (vocabulary in :data:`apiprobe.schema.ERROR_KINDS`).
:func:`read_prometheus` is a read, not a probe: a Prometheus that cannot answer
raises :class:`~apiprobe.errors.PrometheusError`, as a missing file would.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

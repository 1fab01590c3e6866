"""Figures: pure ``fig_*(df, ...) -> plotly.graph_objects.Figure`` builders.

Each takes an evidence table with column names as keyword parameters
(defaults match :mod:`apiprobe.schema`), never mutates it and never calls
``.show()``; widgets and headless reports draw the same figures.

Modules: :mod:`~apiprobe.plot.latency` (latency and failures over time),
:mod:`~apiprobe.plot.distribution` (ECDF, histogram, jitter and loss),
:mod:`~apiprobe.plot.phases` (request waterfall, phase breakdown),
:mod:`~apiprobe.plot.error_kinds` (classified log errors, templates),
:mod:`~apiprobe.plot.status`, :mod:`~apiprobe.plot.dns`,
:mod:`~apiprobe.plot.tls`, :mod:`~apiprobe.plot.pool`,
:mod:`~apiprobe.plot.profiles`, :mod:`~apiprobe.plot.traces`,
:mod:`~apiprobe.plot.resilience` (retries, breakers, timeout budgets, fallbacks),
:mod:`~apiprobe.plot.metrics` (golden signals, SLO burn, error budget),
:mod:`~apiprobe.plot.triage` (every source on one incident timeline). Shared
machinery (look, colours, time binning, failure rule) lives in
``plot/_core.py``; shared parameter docs in ``plot/_doc.py``.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

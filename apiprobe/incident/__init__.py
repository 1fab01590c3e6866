"""Incident triage: read a folder of mixed evidence, run every detector, and tell one story.

:func:`triage` is the front door (``apiprobe triage PATH``). It reads with
:mod:`apiprobe.load` and reasons with :mod:`apiprobe.analyze` (the pure part,
:mod:`apiprobe.analyze.triage`); it never probes the network.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

"""Glue for notebooks: set-up, getting evidence and showing it (the explorers live in apiprobe.widgets).

Notebooks do ``import apiprobe.notebook as nb`` and call these, so they hold
prose and calls, not logic: ``get_*`` fetches a notebook's evidence (probing
live or loading files, or the demo data), ``show_*`` displays a part of it,
``detect_*_faults`` gathers the findings a notebook reports. One module per
notebook topic; :mod:`apiprobe.notebook._display` and
:mod:`apiprobe.notebook._common` hold what they share.

The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

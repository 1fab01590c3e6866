"""Analyze: pure functions, DataFrame in, DataFrame out.

``detect_*`` functions return a findings table (schema ``findings``);
``summarize_*`` and ``compare_*`` return tables. No I/O, no plotting.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

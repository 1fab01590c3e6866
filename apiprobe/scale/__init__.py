"""Logs beyond memory: stream them into a Parquet evidence store that DuckDB queries out of core.

:func:`convert_logs` (``apiprobe logs PATH --to DIR``) writes the store; the
aggregating analyses accept its directory in place of a DataFrame. For a
cluster, :mod:`apiprobe.dask` reads logs into a dask DataFrame.

The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

"""Load: files into evidence tables.

``read_*`` opens a path; ``parse_*`` takes text, bytes or a file object.
Unreadable input raises :class:`~apiprobe.errors.DataFormatError` naming the
file and what is wrong.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

"""Show (interactive): ipywidgets explorers over the same functions as the reports.

Each notebook's ``Explore`` section does ``import apiprobe.widgets as aw`` and
builds one explorer from the evidence its static cells already hold. The
explorers call the same ``analyze`` functions, ``fig_*`` builders and
``nb.show_*`` displays as those cells, so a drill-down shows what the report
shows, for the slice picked. Widgets need a live kernel and front end:
reports leave out cells tagged ``interactive-only`` and draw the static
figures instead.

The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

"""Report: run notebooks headless with papermill into offline HTML, ``findings.json`` and, after a triage,
``postmortem.md``.

:func:`run_report` runs any notebooks; :func:`triage_report` leads with the
triage of an evidence folder and runs the notebooks it picks; :func:`demo_runs`
is the fault lab's part of ``make demo``.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

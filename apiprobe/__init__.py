"""apiprobe: probes and notebooks for diagnosing failing API calls between services.

The flow is collect → load → analyze → show → report (``docs/architecture.md``):

* :mod:`apiprobe.probe` — live HTTP(S), TCP, DNS and TLS probes (network side effects only here);
* :mod:`apiprobe.load` — evidence files and saved tables into DataFrames;
* :mod:`apiprobe.analyze` — pure DataFrame → DataFrame functions and ``detect_*`` findings;
* :mod:`apiprobe.plot` — ``fig_*`` figure builders (``import apiprobe.plot as aplt``);
* :mod:`apiprobe.notebook`, :mod:`apiprobe.widgets` — notebook glue and explorers;
* :mod:`apiprobe.report` — papermill runs and offline HTML reports;
* :mod:`apiprobe.lab`, :mod:`apiprobe.demo` — the fault lab and the demo data.

``import apiprobe`` is light: the names below load their layer on first use
(PEP 562), so a script that only reads logs never imports httpx, and nothing
here imports plotly, IPython or papermill. The list of names is written once,
in ``__init__.pyi`` (which type checkers read too).
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__version__ = "0.1.0"

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)

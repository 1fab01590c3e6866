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

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def _surface() -> dict[str, str]:
    """Public name → module that holds it, read from the stub next to this file."""
    tree = ast.parse(Path(__file__).with_suffix(".pyi").read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


_SURFACE = _surface()
__all__ = sorted(_SURFACE, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))


def __getattr__(name: str) -> Any:
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module 'apiprobe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

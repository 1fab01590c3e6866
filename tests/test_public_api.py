"""The public surface, pinned: each namespace's ``__all__`` against a committed snapshot.

Adding, removing or renaming a public name makes this test fail until
``tests/snapshots/public_api/<namespace>.txt`` is updated in the same change
(``APIPROBE_UPDATE_SNAPSHOTS=1 pytest tests/test_public_api.py`` rewrites them),
so every change of the surface is visible in review.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import apiprobe

NAMESPACES = [
    "apiprobe",
    "apiprobe.probe",
    "apiprobe.load",
    "apiprobe.analyze",
    "apiprobe.plot",
    "apiprobe.incident",
    "apiprobe.scale",
    "apiprobe.dask",
    "apiprobe.widgets",
    "apiprobe.notebook",
    "apiprobe.report",
    "apiprobe.lab",
    "apiprobe.demo",
]
SNAPSHOTS = Path(__file__).parent / "snapshots" / "public_api"
#: What `import apiprobe` must never pull in: the notebook, figure and report stack.
HEAVY = (
    "IPython",
    "ipywidgets",
    "plotly",
    "papermill",
    "nbconvert",
    "nbformat",
    "jupyter_client",
    "ipykernel",
    "duckdb",
    "dask",
)


def _ruff_order(names: list[str]) -> list[str]:
    """isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions."""
    return sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))


@pytest.mark.parametrize("name", NAMESPACES)
def test_namespace_matches_its_snapshot(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == _ruff_order(exported), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ names a symbol twice"
    for symbol in exported:
        assert getattr(module, symbol, None) is not None, f"{name}.__all__ names missing {symbol}"
    snapshot = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("APIPROBE_UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text("\n".join(exported) + "\n", encoding="utf-8")
    pinned = snapshot.read_text(encoding="utf-8").split()
    added, removed = sorted(set(exported) - set(pinned)), sorted(set(pinned) - set(exported))
    assert not added and not removed, (
        f"{name}: public names changed (added {added}, removed {removed}); "
        f"if on purpose, update {snapshot.relative_to(Path.cwd()) if snapshot.is_relative_to(Path.cwd()) else snapshot}"
    )


def test_top_level_is_the_library_surface_only() -> None:
    """Figures, notebook glue, the lab and demo data live in their own namespaces."""
    for symbol in apiprobe.__all__:
        assert not symbol.startswith(("fig_", "show_", "get_", "demo_")), symbol
    assert {"FaultLab", "LatencyExplorer", "setup_notebook", "write_demo"}.isdisjoint(apiprobe.__all__)
    assert set(dir(apiprobe)) >= set(apiprobe.__all__)


def test_import_is_light() -> None:
    """``import apiprobe`` (and ``apiprobe --help``) load none of the notebook, plot or report stack."""
    code = (
        "import sys, apiprobe, apiprobe.cli; apiprobe.cli.build_parser();"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "", f"import apiprobe pulled in: {res.stdout.strip()}"


def test_names_load_lazily_from_their_layer() -> None:
    code = (
        "import sys, apiprobe; before = 'httpx' in sys.modules; apiprobe.read_logs;"
        "after_load = 'httpx' in sys.modules; apiprobe.probe_http; print(before, after_load, 'httpx' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["False", "False", "True"]
    with pytest.raises(AttributeError, match="no attribute 'fig_smoke'"):
        apiprobe.fig_smoke  # noqa: B018  (figures live in apiprobe.plot)


def test_promised_functions_exist_with_keyword_options() -> None:
    sig = inspect.signature(apiprobe.probe_http)
    for option in (
        "count",
        "interval",
        "timeout",
        "concurrency",
        "method",
        "headers",
        "verify",
        "cafile",
        "resolver",
        "keepalive",
    ):
        assert sig.parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, option
    assert set(inspect.signature(apiprobe.probe_tcp).parameters) >= {"targets", "count", "interval", "timeout"}
    assert "timeout_ms" in inspect.signature(apiprobe.detect_latency_faults).parameters


def test_every_module_imports() -> None:
    for info in pkgutil.walk_packages(apiprobe.__path__, "apiprobe."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)

"""The public surface: sorted, complete ``__all__`` everywhere, and the names the docs promise."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import apiprobe

PACKAGES = [
    "apiprobe",
    "apiprobe.probe",
    "apiprobe.analyze",
    "apiprobe.load",
    "apiprobe.plot",
    "apiprobe.widgets",
    "apiprobe.lab",
    "apiprobe.notebook",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_sorted_and_resolvable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    order = sorted(exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert exported == order, f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported)
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"


def test_top_level_all_is_complete() -> None:
    public = {n for n, v in vars(apiprobe).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public - {"__version__"} <= set(apiprobe.__all__) | {"annotations"}


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


def test_exceptions_share_one_root_and_builtins() -> None:
    for cls in (apiprobe.InvalidTargetError, apiprobe.SchemaError, apiprobe.DataFormatError):
        assert issubclass(cls, apiprobe.ApiprobeError) and issubclass(cls, ValueError)
    for cls in (apiprobe.LabError, apiprobe.ReportError):
        assert issubclass(cls, apiprobe.ApiprobeError) and issubclass(cls, RuntimeError)

"""Lazy package surfaces (PEP 562): a name loads its module on first use.

A package keeps its public names in ``__init__.pyi`` (one ``from M import X as
X`` line per name, which type checkers read as the package's stub) and its
``__init__.py`` calls :func:`lazy_surface`. ``import apiprobe`` then costs
milliseconds, and a notebook kernel imports only the modules its cells touch.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["lazy_surface"]


def _order(name: str) -> tuple[int, str]:
    """isort-style order, as ruff's RUF022 keeps ``__all__``: CONSTANTS, Classes, functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def lazy_surface(package: str, init_file: str) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for a package whose surface is its stub.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    init_file : str
        The package's ``__file__``; the stub is the ``.pyi`` beside it.

    Returns
    -------
    tuple
        ``(__all__, __getattr__, __dir__)`` to assign at module level.
    """
    stub = Path(init_file).with_suffix(".pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    root = package.partition(".")[0]
    # public name -> (module, name there); only this project's re-exports count (not __future__, typing)
    surface = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.partition(".")[0] == root
        for alias in node.names
    }
    names = sorted(surface, key=_order)
    namespace = importlib.import_module(package).__dict__

    def getattr_(name: str) -> Any:
        if name in surface:
            module, original = surface[name]
            value = getattr(importlib.import_module(module), original)
        else:  # a submodule (``apiprobe.analyze.profiles``), as an eager package would have bound it
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *names})

    return names, getattr_, dir_

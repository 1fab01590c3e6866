"""numpydoc on every public callable: Parameters for its arguments, Returns for what it gives back.

Public means named in the ``__all__`` of a public namespace (see ``tests/test_public_api.py``).
Functions list every parameter under ``Parameters`` and have a ``Returns``
(or ``Yields``) section unless they return ``None``; classes document their
fields under ``Parameters`` or ``Attributes``.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from test_public_api import NAMESPACES


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of ``doc``: title → body."""
    parts = re.split(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", doc, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _documented_params(body: str) -> set[str]:
    names: set[str] = set()
    for line in body.splitlines():
        m = re.match(r"^ {0,8}(\*{0,2}[A-Za-z_][\w, *]*?)\s*(?::|$)", line)
        if m and not line.startswith(" " * 9) and line.strip():
            names.update(n.strip().lstrip("*") for n in m.group(1).split(","))
    return names


def _problems(name: str, obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return [f"{name}: no docstring"]
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return []
        sections = _sections(doc)
        if not ({"Parameters", "Attributes"} & set(sections)):
            return [f"{name}: class docstring has neither Parameters nor Attributes"]
        return []
    if not callable(obj):
        return []
    out = []
    sections = _sections(doc)
    sig = inspect.signature(obj)
    params = [p for p in sig.parameters if p not in ("self", "cls")]
    if params:
        documented = _documented_params(sections.get("Parameters", ""))
        missing = [p for p in params if p not in documented]
        if missing:
            out.append(f"{name}: Parameters does not document {', '.join(missing)}")
    returns_none = sig.return_annotation in (None, "None", inspect.Signature.empty)
    if not returns_none and not ({"Returns", "Yields"} & set(sections)):
        out.append(f"{name}: no Returns section")
    return out


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_public_callables_have_numpydoc(namespace: str) -> None:
    module = importlib.import_module(namespace)
    problems = [p for symbol in module.__all__ for p in _problems(f"{namespace}.{symbol}", getattr(module, symbol))]
    assert not problems, "\n".join(problems)

"""The one error rule of ``apiprobe/errors.py``, checked on the source and on the classes."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import apiprobe
import apiprobe.errors as errors

PACKAGE = Path(apiprobe.__file__).parent
BUILTINS = {
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "LookupError",
    "RuntimeError",
    "OSError",
    "IOError",
    "FileNotFoundError",
    "AssertionError",
}


def _builtin_raises(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in BUILTINS:
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: raise {exc.id}")
    return out


def test_no_bare_builtin_raise_in_the_package() -> None:
    found = [line for path in sorted(PACKAGE.rglob("*.py")) for line in _builtin_raises(path)]
    assert not found, "raise an ApiprobeError subclass instead (see apiprobe/errors.py):\n" + "\n".join(found)


def test_every_exception_class_is_in_the_tree_and_its_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.ApiprobeError), name
        assert name in doc, f"{name} is missing from the tree drawn in errors.py"


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.InvalidParameterError, ValueError),
        (errors.InvalidTargetError, ValueError),
        (errors.SchemaError, ValueError),
        (errors.DataFormatError, ValueError),
        (errors.ProfileFormatError, ValueError),
        (errors.WireFormatError, ValueError),
        (errors.LabError, RuntimeError),
        (errors.ReportError, RuntimeError),
    ],
)
def test_classes_inherit_the_matching_builtin(cls: type, builtin: type) -> None:
    assert issubclass(cls, errors.ApiprobeError) and issubclass(cls, builtin)


def test_no_exception_class_defined_outside_errors_py_is_public() -> None:
    """Private control-flow exceptions (``_AbortError``) are fine; a public one belongs in the tree."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)} | {
                    b.attr for b in node.bases if isinstance(b, ast.Attribute)
                }
                if bases & (BUILTINS | {"ApiprobeError", "BaseException"}):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: class {node.name}")
    assert not offenders, "\n".join(offenders)


def test_missing_column_is_schema_error_everywhere() -> None:
    import pandas as pd

    from apiprobe._frames import require_columns

    with pytest.raises(errors.SchemaError, match="'ttfb_ms'"):
        require_columns(pd.DataFrame({"a": [1]}), ["a", "ttfb_ms"], table="probes")
    assert inspect.getdoc(errors)

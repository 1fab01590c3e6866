"""Packaging promises: environment.yml matches pyproject, notebooks are stripped, CI runs make test."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _pyproject_deps() -> dict[str, str]:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for d in deps:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*([^;]*)", d)  # an environment marker (; sys_platform ...) aside
        assert m, d
        out[m[1].lower()] = m[2].replace(" ", "")
    return out


def _conda_deps() -> dict[str, str]:
    out = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+-\s+([A-Za-z0-9_.-]+)\s*([^#]*)", line)
        if m and m[1] not in ("python", "pip", "conda-forge"):
            out[m[1].lower().replace("_", "-")] = m[2].replace(" ", "")  # conda names may use "_"
    return out


def test_environment_yml_matches_pyproject() -> None:
    assert _conda_deps() == _pyproject_deps()


def test_constraints_pin_every_runtime_dependency() -> None:
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    assert set(_pyproject_deps()) <= pinned


NOTEBOOKS = sorted((REPO / "apiprobe" / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_stripped_and_parameterised(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs"
    assert "parameters" in code[0].get("metadata", {}).get("tags", []), "first code cell must be tagged"
    assert re.match(r"^\d\d_[a-z0-9_]+\.ipynb$", path.name)


def test_ci_runs_make_test() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_readme_names_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


#: What a notebook may import: the library as a user would, its figures, the notebook glue and
#: (in its interactive-only explore cells) the explorers.
NOTEBOOK_IMPORTS = {"apiprobe": "ap", "apiprobe.notebook": "nb", "apiprobe.plot": "aplt", "apiprobe.widgets": "aw"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_explorers_are_built_only_in_interactive_cells(path: Path) -> None:
    """A headless run never imports ipywidgets: the explorers live in cells the report leaves out."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "apiprobe.widgets" in "".join(cell["source"]):
            assert "interactive-only" in cell["metadata"].get("tags", []), f"{path.name}: untagged explorer cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_only_the_public_namespaces(path: Path) -> None:
    import ast
    import importlib

    nb = json.loads(path.read_text())
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            pytest.fail(f"{path.name}: 'from {node.module} import …' — use {NOTEBOOK_IMPORTS}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert NOTEBOOK_IMPORTS.get(alias.name) == alias.asname, f"{path.name}: import {alias.name}"
    aliases = {alias: importlib.import_module(module) for module, alias in NOTEBOOK_IMPORTS.items()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            module = aliases[node.value.id]
            assert node.attr in module.__all__, f"{path.name}: {node.value.id}.{node.attr} is not public"

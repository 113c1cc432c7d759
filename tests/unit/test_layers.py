"""Layers run one way: contract -> features -> training and registry -> serving -> CLI.

Every import statement of every module of the project's packages is read from its source (an AST check, no
module is run) and judged against the allowed direction. A package may always import itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each package may import from the project's other packages.
ALLOWED = {
    "vsv_model": set(),
    "features": {"vsv_model"},
    "data_synthetic": {"vsv_model", "features"},
    "registry": {"vsv_model"},
    "training": {"vsv_model", "features", "registry"},
    "casework": {"vsv_model", "features"},
    "route_learning": {"vsv_model", "features", "registry"},
    "serving": {"vsv_model", "features", "registry", "casework"},
    "monitoring": {"vsv_model", "features", "registry", "serving"},
    "spark_jobs": {"vsv_model", "features", "registry", "serving"},
    "vsv_cli": {"vsv_model", "features", "data_synthetic", "registry", "training", "serving", "monitoring", "spark_jobs",
                "casework", "route_learning"},
}
PROJECT = set(ALLOWED)


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in a module, including those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, imported in imported_packages(path):
            if imported in PROJECT and imported != package and imported not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return wrong


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_run_one_way(package):
    assert (ROOT / package / "__init__.py").exists()
    assert violations(package) == []


def test_the_check_finds_an_import_against_the_order(tmp_path, monkeypatch):
    """The checker itself: a base-package module importing a stage is reported with its line."""
    (tmp_path / "vsv_model").mkdir()
    (tmp_path / "vsv_model" / "bad.py").write_text("import os\n\n\ndef f():\n    from serving import scoring\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert violations("vsv_model") == ["vsv_model/bad.py:5 imports serving"]


def test_every_top_level_package_is_placed_in_the_order():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= PROJECT, f"place {sorted(packages - PROJECT)} in ALLOWED"


def test_every_package_is_installed_with_the_project():
    """A package missing from pyproject's list works in the tests (they run from the checkout) and fails in `vsv`."""
    import tomllib

    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]["find"]["include"]
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"}
    assert {name.rstrip("*") for name in listed} == on_disk == PROJECT

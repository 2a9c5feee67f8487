"""The shape the code keeps (README "Code organisation"): read from the source itself.

The layers themselves are import-linter contracts (setup.cfg), checked here and by
``lint-imports`` in CI; these tests hold the rest of the shape.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "marketplace"
#: the longest a view may be; most are about ten lines
VIEW_LINES = 25
MODULE_LINES = 600
#: data, not code: the demo catalogue's rows, one product a block
DATA_MODULES = {"demo_data.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _is_route(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "route"
        for d in node.decorator_list
    )


def test_the_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True, check=False
    )
    assert "0 broken" in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0


def test_no_view_is_longer_than_a_screen():
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"
        for path in _modules()
        for node in _tree(path).body
        if isinstance(node, ast.FunctionDef)
        and _is_route(node)
        and node.end_lineno - node.lineno + 1 > VIEW_LINES
    ]
    assert long == []


def test_no_module_holds_more_than_one_subject():
    long = [
        f"{path.relative_to(PACKAGE)} ({count})"
        for path in _modules()
        if path.name not in DATA_MODULES
        and (count := len(path.read_text().splitlines())) > MODULE_LINES
    ]
    assert long == []


def test_only_the_app_factory_imports_our_packages_inside_functions():
    """A function-level import hides an arrow from a reader; the factory's are explained."""
    hidden = []
    for path in _modules():
        if path == PACKAGE / "__init__.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "marketplace"
                    ):
                        hidden.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}")
    assert hidden == []


@pytest.mark.parametrize(
    "infrastructure",
    ["backup", "db", "jobs", "mail", "pagecache", "pdf", "storage", "web", "numbers"],
)
def test_infrastructure_modules_name_no_domain_package(infrastructure):
    domains = {
        "accounts",
        "catalog",
        "inventory",
        "orders",
        "reviews",
        "money",
        "institutions",
        "pkk",
        "sellers",
        "storefront",
    }
    named = {
        (node.module or "").split(".")[1]
        for node in ast.walk(_tree(PACKAGE / f"{infrastructure}.py"))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("marketplace.")
    }
    assert named & domains == set()

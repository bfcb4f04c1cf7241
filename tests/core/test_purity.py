"""rebook.core is what workflow code may import, so it must stay pure: every module under it
imports only the standard library, temporalio (its common types) and other rebook.core
modules. Checked on the source, so an import hidden in a rarely run branch counts too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import rebook.core

CORE_DIR = Path(rebook.core.__file__).resolve().parent
CORE_MODULES = sorted(CORE_DIR.rglob("*.py"))
ALLOWED_THIRD_PARTY = {"temporalio"}


def _imported_modules(path: Path) -> list[str]:
    """Every module the file imports at run time (imports only type checkers see, under
    `if TYPE_CHECKING:`, never execute)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            assert node.module is not None
            names.append(node.module)
    return names


def _runtime_nodes(node: ast.AST) -> list[ast.AST]:
    type_checking_only = isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    if type_checking_only:
        assert isinstance(node, ast.If)
        return [n for child in node.orelse for n in _runtime_nodes(child)]
    return [node, *(n for child in ast.iter_child_nodes(node) for n in _runtime_nodes(child))]


def _allowed(module: str) -> bool:
    root = module.split(".")[0]
    return (
        root in sys.stdlib_module_names
        or root in ALLOWED_THIRD_PARTY
        or module == "rebook.core"
        or module.startswith("rebook.core.")
    )


def test_core_has_modules_to_check() -> None:
    assert len(CORE_MODULES) > 10


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: str(p.relative_to(CORE_DIR)))
def test_core_module_imports_only_stdlib_temporalio_and_core(path: Path) -> None:
    leaked = [module for module in _imported_modules(path) if not _allowed(module)]
    assert leaked == []

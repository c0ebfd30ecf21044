"""Layers: absorption sits below nutrition and physiology; neither imports the other; no
private name crosses a module; matplotlib is imported only when a plot is rendered."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cobalamin"
MINE = [
    *sorted((SRC / "physiology").glob("*.py")),
    *sorted((SRC / "nutrition").glob("*.py")),
    SRC / "absorption.py",
    SRC / "knowledge" / "physiology.py",
]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_nutrition_and_physiology_do_not_import_each_other() -> None:
    for path in (SRC / "nutrition").glob("*.py"):
        assert not any(m.startswith("cobalamin.physiology") for m, _ in _imports(path)), path
    for path in (SRC / "physiology").glob("*.py"):
        assert not any(m.startswith("cobalamin.nutrition") for m, _ in _imports(path)), path


def test_absorption_and_parameters_sit_below_both() -> None:
    for path in (SRC / "absorption.py", SRC / "knowledge" / "physiology.py"):
        for module, _ in _imports(path):
            assert not module.startswith(("cobalamin.physiology", "cobalamin.nutrition")), path


def test_no_private_name_imported_across_modules() -> None:
    for path in MINE:
        for module, names in _imports(path):
            if module.startswith("cobalamin"):
                private = [n for n in names if n.startswith("_")]
                assert not private, (path.name, module, private)


def test_matplotlib_is_imported_only_for_a_plot() -> None:
    code = (
        "import sys, cobalamin\n"
        "from typer.testing import CliRunner\n"
        "from cobalamin.cli.app import app\n"
        "res = CliRunner().invoke(app, ['assess', '--pack', 'gelderse-vallei'],"
        ' input=\'{"results": [{"test": "b12", "value": 180, "unit": "pmol/L"}]}\')\n'
        "assert res.exit_code == 0, res.output\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

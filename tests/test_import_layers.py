"""The package's import contracts (``[tool.importlinter]`` in pyproject.toml): one-way layers,
nothing inside the package imports ``api`` or ``cli``, no cycle between the modules of a
package. Checked on the package itself, and on a copy with one back-arrow injected, which
must break them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import supercon3d

PACKAGE = Path(supercon3d.__file__).parent
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]


def lint_imports(source_root: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with this repository's contracts, on the ``supercon3d`` package found
    under ``source_root`` (first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache", "--no-logo", str(PYPROJECT)],
        capture_output=True, text=True, cwd=cwd, env=env,
    )  # fmt: skip


def test_the_package_keeps_its_import_contracts(tmp_path):
    """The installed source tree passes every contract."""
    result = lint_imports(PACKAGE.parent, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "back_import", "broken", "named"),
    [
        (
            "data/inputs.py",
            "from supercon3d import api",
            "One-way layers",
            "supercon3d.data.inputs",
        ),
        ("models/shipped.py", "import supercon3d.screening.funnel", "One-way layers", "shipped"),
        ("training/workflow.py", "from supercon3d.cli import main", "imports api or cli", "cli"),
        (
            "screening/predict.py",
            "import supercon3d.screening.files",
            "cycles",
            ".predict -> .files",
        ),
    ],
)
def test_a_back_arrow_breaks_a_contract(tmp_path, module, back_import, broken, named):
    """A copy of the package with one import against the contracts fails ``lint-imports``,
    which names the contract and the import."""
    copy = tmp_path / "src" / "supercon3d"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "resources"))
    target = copy / module
    target.write_text(target.read_text() + f"\n\ndef _back_arrow():\n    {back_import}\n")
    result = lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stdout.split("Broken contracts")[1]
    assert broken in report and named in report

"""The command line starts without heavy imports, and importing the package changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from supercon3d.cli.main import SUBCOMMANDS, app

HEAVY_MODULES = (
    "torch", "torch_geometric", "e3nn", "lightgbm", "matminer", "smact", "pymatgen",
    "matplotlib", "sklearn", "pandas",
)  # fmt: skip


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (SPGLIB_WARNING unset) and return its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "SPGLIB_WARNING"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout


def test_importing_the_cli_loads_no_heavy_module():
    loaded = run_python(
        "import sys, supercon3d.cli.main\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    assert loaded.strip() == "[]"


def test_building_each_subcommand_loads_no_heavy_module():
    """What ``supercon3d <command> --help`` imports: the command module and its options."""
    loaded = run_python(
        "import json, sys\n"
        "from supercon3d.cli.main import SUBCOMMANDS, LazyCommand\n"
        "heavy = {}\n"
        "for name, (target, summary) in SUBCOMMANDS.items():\n"
        "    LazyCommand(name, target, summary).command\n"
        f"    heavy[name] = sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)\n"
        "print(json.dumps(heavy))"
    )
    assert json.loads(loaded) == {name: [] for name in SUBCOMMANDS}


def test_import_sets_no_environment_variable_and_no_plot_backend(tmp_path):
    png = tmp_path / "sites.png"
    state = run_python(
        "import os, sys\n"
        "import numpy as np\n"
        "import supercon3d.cli.main, supercon3d.data.stats\n"
        "from supercon3d.evaluation.report import site_importance_plot\n"
        "print(os.environ.get('SPGLIB_WARNING'), 'matplotlib' in sys.modules)\n"
        f"site_importance_plot(['0 Mg', '1 B'], np.array([40.0, 60.0]), {str(png)!r}, 'MgB2')\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    assert state.split() == ["None", "False", "False"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_running_a_command_quiets_spglib(monkeypatch):
    monkeypatch.delenv("SPGLIB_WARNING", raising=False)
    result = CliRunner().invoke(app, ["train", "--config", "no-such-config"])
    assert result.exit_code == 2
    assert os.environ["SPGLIB_WARNING"] == "OFF"


def test_help_lists_every_subcommand_and_shows_their_options():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in SUBCOMMANDS)
    result = CliRunner().invoke(app, ["data", "stats", "--help"])
    assert result.exit_code == 0
    assert "--contact-factor" in result.output and "0.15" in result.output


def test_train_choices_are_the_named_configurations():
    from typing import get_args

    from supercon3d.defaults import AblationName, RunConfigName, TrainSubsetName
    from supercon3d.training.config import ABLATIONS, CONFIGS, TRAIN_SUBSETS

    assert get_args(RunConfigName) == tuple(CONFIGS)
    assert get_args(AblationName) == tuple(ABLATIONS)
    assert get_args(TrainSubsetName) == tuple(TRAIN_SUBSETS)

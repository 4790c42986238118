"""The ``supercon3d`` command.

Each subcommand's module is imported only when that subcommand runs or shows its help, so
``supercon3d --help`` imports no command module; the command modules themselves import torch,
pymatgen and the like inside their command functions, so a subcommand's ``--help`` is quick too.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "predict": (
        "supercon3d.cli.predict:predict",
        "Predict Tc (K) for ordered or disordered crystals: ensemble mean of ln Tc and its spread.",
    ),
    "train": (
        "supercon3d.cli.train:train",
        "Train SODNet fold models; an interrupted run resumes when started again.",
    ),
    "blend": (
        "supercon3d.cli.train:blend",
        "Blend each fold model with its fold's composition model (Magpie + LightGBM).",
    ),
    "evaluate": (
        "supercon3d.cli.evaluate:evaluate",
        "Score every fold model on its held-out test fold, by family and disorder class.",
    ),
    "baseline": (
        "supercon3d.cli.baseline:baseline",
        "Cross-validate a composition baseline (Magpie descriptors + LightGBM, RF or SVR).",
    ),
    "data": ("supercon3d.cli.data:data_app", "Inspect the datasets."),
    "generate": (
        "supercon3d.cli.generate:generate_app",
        "Generate crystal structures steered toward high Tc (DiffCSP-SC).",
    ),
    "screen": (
        "supercon3d.cli.screen:screen_app",
        "Screen structure databases (resumable SQLite; local or Dask); `screen report` tables.",
    ),
    "discover": (
        "supercon3d.cli.discover:discover",
        "Generate/screen → Tc → stability → unique, novel → doping → candidate tables and report.",
    ),
    "stability": (
        "supercon3d.cli.stability:stability",
        "Relax crystals with CHGNet or SevenNet-0 and give their energy above the convex hull.",
    ),
    "dope": (
        "supercon3d.cli.dope:dope",
        "Doped variants (substitutions, anion vacancies) of crystals ranked by predicted ΔTc.",
    ),
    "serve": (
        "supercon3d.cli.serve:serve",
        "A local web page: predict uploaded CIFs, browse screening databases, run discover.",
    ),
}
"""Name -> ("module:attribute" of a command function or a Typer app, summary for the list)."""


class LazyCommand(TyperCommand):
    """A subcommand listed under its summary; its module is imported when it is run (or its
    help shown), and the real command parses the arguments from then on."""

    def __init__(self, name: str, target: str, summary: str):
        super().__init__(name, help=summary, short_help=summary)
        self.target = target

    @functools.cached_property
    def command(self) -> TyperCommand | TyperGroup:
        """The real command, built from the imported function or Typer app."""
        module, attribute = self.target.split(":")
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            return typer.main.get_group(target)
        single = typer.Typer(add_completion=False)
        single.command(name=self.name)(target)
        return typer.main.get_command(single)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: typer.Context | None = None,
        **extra: Any,
    ) -> typer.Context:
        return self.command.make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """The top-level group: the :data:`SUBCOMMANDS`, each a :class:`LazyCommand`."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        for name, (target, summary) in SUBCOMMANDS.items():
            self.add_command(LazyCommand(name, target, summary))


HELP_OPTIONS = ["-h", "--help"]
"""On the app and, through click's context inheritance, on every command and subcommand."""
PACKAGE = "supercon3d"

app = typer.Typer(
    name="supercon3d",
    cls=LazyGroup,
    help="Machine-learning superconductor discovery for ordered and disordered crystals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": HELP_OPTIONS},
)


def print_version(requested: bool) -> None:
    """``--version``: the installed package's version (from its metadata), then exit."""
    if requested:
        typer.echo(f"{PACKAGE} {importlib.metadata.version(PACKAGE)}")
        raise typer.Exit()


@app.callback()
def quiet_spglib(
    version: bool = typer.Option(
        False,
        "--version",
        callback=print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    # spglib prints a line to stderr for every cell it cannot symmetrize; the commands handle
    # those cells (space group 0), so the lines are noise. SPGLIB_WARNING=ON keeps them.
    os.environ.setdefault("SPGLIB_WARNING", "OFF")

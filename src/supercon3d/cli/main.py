"""The ``supercon3d`` command."""

from __future__ import annotations

import os

import typer

from supercon3d.cli.baseline import baseline
from supercon3d.cli.data import data_app
from supercon3d.cli.evaluate import evaluate
from supercon3d.cli.generate import generate_app
from supercon3d.cli.predict import predict
from supercon3d.cli.train import blend, train

# spglib prints a line to stderr for every cell it cannot symmetrize; the commands handle those
# cells (space group 0), so the lines are noise. SPGLIB_WARNING=ON in the environment keeps them.
os.environ.setdefault("SPGLIB_WARNING", "OFF")

app = typer.Typer(
    name="supercon3d",
    help="Machine-learning superconductor discovery for ordered and disordered crystals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(generate_app, name="generate")
app.command()(predict)
app.command()(train)
app.command()(blend)
app.command()(evaluate)
app.command()(baseline)

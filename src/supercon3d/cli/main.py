"""The ``supercon3d`` command."""

from __future__ import annotations

import typer

from supercon3d.cli.baseline import baseline
from supercon3d.cli.data import data_app
from supercon3d.cli.evaluate import evaluate
from supercon3d.cli.generate import generate_app
from supercon3d.cli.predict import predict
from supercon3d.cli.train import blend, train

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

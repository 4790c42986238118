"""Options shared by several commands."""

from __future__ import annotations

from typing import Literal

import typer

OutputFormat = Literal["table", "tsv", "json"]
"""What a command that prints a table prints (:mod:`supercon3d.cli.tables`)."""

FormatOption = typer.Option(
    "table",
    "--format",
    help="table: fitted to the terminal (80 columns in a pipe; the least important columns "
    "left out first); tsv or json: every field of every row, nothing else on stdout.",
)

DataOption = typer.Option(
    None,
    "--data",
    help=(
        "Datasets folder (default: $SUPERCON3D_DATA, else 'data' in "
        "~/.config/supercon3d/config.toml, else ../shared/datasets in a source checkout)."
    ),
)

CompositionEmbeddingOption = typer.Option(
    None,
    "--element-embedding",
    help="Add the fraction-weighted mean and std of this pretrained element embedding "
    "(CHGNet's, from its wheel) to the Magpie descriptors of the composition models.",
)

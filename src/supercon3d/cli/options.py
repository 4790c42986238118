"""Options shared by several commands."""

from __future__ import annotations

import typer

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

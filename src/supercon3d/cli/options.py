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

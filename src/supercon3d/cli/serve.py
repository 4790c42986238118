"""``supercon3d serve``: the local web page (predict, screening databases, discovery runs).

The work is :func:`supercon3d.web.serve`; it is imported inside the command so that
``--help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path

import typer

from supercon3d.cli.progress import console, one_line_errors
from supercon3d.cli.results import interruptible
from supercon3d.web.settings import DEFAULT_HOST, DEFAULT_PORT


@interruptible
@one_line_errors
def serve(
    db: list[Path] = typer.Option(
        [], "--db", help="A screening database (`screen` wrote it) to browse, read-only; repeat."
    ),
    runs: Path | None = typer.Option(
        None, help="Folder of discovery runs: listed, and where runs started from the page go."
    ),
    host: str = typer.Option(
        DEFAULT_HOST, help="Address to bind; any but loopback requires the printed access token."
    ),
    port: int = typer.Option(DEFAULT_PORT, min=1, max=65535, help="Port to listen on."),
    token: str | None = typer.Option(
        None, envvar="SUPERCON3D_TOKEN", help="Access token (default: generated off loopback)."
    ),
    checkpoints: Path | None = typer.Option(
        None, help="Run folder of the Tc model (default: the shipped one)."
    ),
) -> None:
    """Serve a local web page for Tc prediction, screening databases and discovery runs.

    Binds 127.0.0.1 unless told otherwise; on any other address every request needs the
    access token printed at start. The page needs no internet. Stop with Ctrl-C.
    """
    from supercon3d.web import serve as run_server

    def say(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True)

    run_server(db, runs, host, port, token, checkpoints, say=say)

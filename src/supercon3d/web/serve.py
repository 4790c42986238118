"""Start the server: check the folders it may read, pick the token, print the URL, run."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from supercon3d.errors import SuperCon3DError
from supercon3d.web.security import TOKEN_PARAMETER, is_loopback, new_token
from supercon3d.web.settings import DEFAULT_HOST, DEFAULT_PORT, ServeSettings

STARTUP_POLL_S = 0.1


class ServeError(SuperCon3DError, ValueError):
    """A server that cannot start as asked (a missing database or runs folder)."""


def serve_settings(
    databases: Sequence[str | os.PathLike] = (),
    runs: str | os.PathLike | None = None,
    host: str = DEFAULT_HOST,
    token: str | None = None,
    checkpoints: str | os.PathLike | None = None,
) -> ServeSettings:
    """The settings of a server on ``host``: each database must be a file and ``runs`` a
    folder (created if missing); off loopback a token is required (generated unless
    given)."""
    paths = tuple(Path(db).resolve() for db in databases)
    for path in paths:
        if not path.is_file():
            raise ServeError(f"{path}: no such database file")
    folder = None
    if runs is not None:
        folder = Path(runs).resolve()
        if folder.exists() and not folder.is_dir():
            raise ServeError(f"{folder}: is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    if token is None and not is_loopback(host):
        token = new_token()
    return ServeSettings(
        databases=paths, runs=folder, token=token,
        checkpoints=None if checkpoints is None else Path(checkpoints),
    )  # fmt: skip


def url(host: str, port: int, token: str | None) -> str:
    """The address to open (with the token when there is one)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?{TOKEN_PARAMETER}={token}" if token else "")


def serve(
    databases: Sequence[str | os.PathLike] = (),
    runs: str | os.PathLike | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    checkpoints: str | os.PathLike | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the page on ``host``:``port`` until interrupted; ``say`` prints the address
    (with the access token off loopback) once the models are loaded."""
    import uvicorn

    from supercon3d.web.app import create_app

    settings = serve_settings(databases, runs, host, token, checkpoints)
    app = create_app(settings)
    say(f"loading the models; then open {url(host, port, settings.token)}")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@contextlib.contextmanager
def running_server(settings: ServeSettings, host: str = DEFAULT_HOST) -> Iterator[str]:
    """A server for ``settings`` on a free port of ``host``, run in a thread of this process
    until the block ends (models loaded before it starts); yields its base URL."""
    import uvicorn

    from supercon3d.web.app import create_app

    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.bind((host, 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise ServeError("the server stopped while starting (see the log above)")
            time.sleep(STARTUP_POLL_S)
        yield url(host, port, None).rstrip("/")
    finally:
        server.should_exit = True
        thread.join()
        listening.close()

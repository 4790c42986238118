"""What the app holds while it runs: its settings, the model thread, the known
superconductors and the discovery jobs it started."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request

from supercon3d.web.settings import ServeSettings

Result = TypeVar("Result")


@dataclass
class ServerState:
    """The app's state (``app.state.server``). ``model_thread``: the one thread that runs
    the models (predictions queue there, the event loop never waits on them); ``known``: the
    reported superconductors (None without the data folder); ``jobs``: discovery jobs by run
    name; ``browsers``: the open databases (:class:`~supercon3d.screening.browse.BrowseIndex`)
    by index."""

    settings: ServeSettings
    model_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="supercon3d-model")
    )
    known: Any = None
    jobs: dict = field(default_factory=dict)
    browsers: dict = field(default_factory=dict)


async def in_model_thread(
    request: Request, function: Callable[..., Result], *arguments: object
) -> Result:
    """``function(*arguments)`` run in the app's model thread, awaited."""
    state: ServerState = request.app.state.server
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(state.model_thread, functools.partial(function, *arguments))

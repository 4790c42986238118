"""The ASGI application of ``supercon3d serve``: the page, its static files and the JSON API.

Models load once, when the app starts (a first prediction of a small built-in crystal warms
every cache the page's predictions use); requests that need a model wait in the model thread
(:mod:`supercon3d.web.state`), so the page and the other endpoints stay responsive.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI

from supercon3d.errors import SuperCon3DError
from supercon3d.web.security import BodyLimitMiddleware, TokenMiddleware
from supercon3d.web.settings import ServeSettings
from supercon3d.web.state import ServerState

HERE = Path(__file__).parent
WARM_UP_CIF = """data_Nb
_cell_length_a 3.3
_cell_length_b 3.3
_cell_length_c 3.3
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Nb1 Nb 0 0 0 1
Nb2 Nb 0.5 0.5 0.5 1
"""
"""A small crystal (bcc Nb) predicted at start, so that every model is loaded before the
first request."""
log = logging.getLogger("supercon3d.web")


def _load_models(state: ServerState) -> None:
    """Load the Tc model, the classifier and the known superconductors (blocking)."""
    from supercon3d.web.predictions import predict_uploads
    from supercon3d.web.uploads import Upload

    (record,) = predict_uploads([Upload("warm-up.cif", WARM_UP_CIF)], state.settings.checkpoints)
    if "error" in record:
        raise RuntimeError(f"the Tc model could not predict a test crystal: {record['error']}")
    from supercon3d.data.known import KnownSuperconductors

    try:
        state.known = KnownSuperconductors.load(state.settings.data)
    except SuperCon3DError as error:
        log.warning("no nearest known superconductors: %s", error)


def create_app(settings: ServeSettings) -> FastAPI:
    """The app for ``settings`` (models load when it starts, with ``load_models``)."""
    from fastapi.staticfiles import StaticFiles

    from supercon3d.web import pages, routes_discover, routes_predict, routes_screen

    state = ServerState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.load_models:
            state.model_thread.submit(_load_models, state).result()
        yield
        state.model_thread.shutdown(wait=False, cancel_futures=True)
        for browser in state.browsers.values():
            browser.close()

    app = FastAPI(
        title="supercon3d",
        summary="Tc prediction, screening databases and discovery runs of supercon3d.",
        lifespan=lifespan,
        docs_url=None,  # the docs page would load its scripts from the internet
        redoc_url=None,
    )
    app.state.server = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages, routes_predict, routes_screen, routes_discover):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes)
    if settings.token is not None:
        app.add_middleware(TokenMiddleware, token=settings.token)
    return app

"""The page itself: one HTML document (three tabs) that uses only the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from supercon3d.web.state import ServerState

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    state: ServerState = request.app.state.server
    return templates.TemplateResponse(
        request, "index.html",
        {"databases": len(state.settings.databases), "runs": state.settings.runs is not None},
    )  # fmt: skip

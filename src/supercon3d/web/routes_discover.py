"""The discovery API: ``GET /api/runs`` (every run, with its stages), ``POST /api/runs``
(start a run in the background), ``GET /api/runs/{name}``, ``GET
/api/runs/{name}/candidates/{table}`` and the run's own files under ``/runs/{name}/``
(``report.html`` and what it links to)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from supercon3d.web.runs import RunNameError, describe_run, list_runs, run_folder, start_run
from supercon3d.web.state import ServerState

router = APIRouter(tags=["discover"])
CANDIDATE_TABLES = {
    "ordered": "candidates_ordered.csv",
    "disordered": "candidates_disordered.csv",
    "high_pressure_hydrides": "high_pressure_hydrides.csv",
}


class RunRequest(BaseModel):
    """A discovery run to start: its folder name, the quick preset or the default, the
    generator's seed (None: the preset's)."""

    name: str
    quick: bool = True
    seed: int | None = None


def _runs(request: Request) -> tuple[Path, dict]:
    state: ServerState = request.app.state.server
    if state.settings.runs is None:
        raise HTTPException(404, "this server was started without --runs")
    return state.settings.runs, state.jobs


def _folder(request: Request, name: str) -> Path:
    runs, _ = _runs(request)
    try:
        return run_folder(runs, name)
    except RunNameError as error:
        raise HTTPException(400, str(error)) from None


@router.get("/api/runs", summary="Every discovery run of the runs folder")
async def runs(request: Request) -> list[dict]:
    """Each run's name, status, stages (name, n_in, n_out, seconds), SUN rate, candidate
    counts, settings, whether it has a report, error and log lines."""
    folder, jobs = _runs(request)
    return await asyncio.to_thread(list_runs, folder, jobs)


@router.post("/api/runs", summary="Start (or resume) a discovery run", status_code=202)
async def start(request: Request, run: RunRequest) -> dict:
    """Starts ``discover`` into the runs folder's ``name`` in the background; answers the
    run's summary at once."""
    folder, jobs = _runs(request)
    try:
        job = start_run(folder, jobs, run.name, run.quick, run.seed)
    except RunNameError as error:
        raise HTTPException(400, str(error)) from None
    return describe_run(folder / run.name, job)


@router.get("/api/runs/{name}", summary="One discovery run")
async def run(request: Request, name: str) -> dict:
    folder = _folder(request, name)
    _, jobs = _runs(request)
    if not folder.is_dir() and name not in jobs:
        raise HTTPException(404, f"no run {name!r}")
    return describe_run(folder, jobs.get(name))


@router.get("/api/runs/{name}/candidates/{table}", summary="A run's candidate table")
async def candidates(request: Request, name: str, table: str) -> list[dict]:
    """The rows of ``candidates_ordered.csv`` (``ordered``), ``candidates_disordered.csv``
    (``disordered``) or ``high_pressure_hydrides.csv``; empty before the run writes it."""
    import pandas as pd

    if table not in CANDIDATE_TABLES:
        raise HTTPException(404, f"no table {table!r}: one of {', '.join(CANDIDATE_TABLES)}")
    path = _folder(request, name) / CANDIDATE_TABLES[table]
    if not path.is_file() or path.stat().st_size == 0:
        return []
    frame = await asyncio.to_thread(pd.read_csv, path)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@router.get("/runs/{name}/{path:path}", summary="A file of a run folder (its report)")
async def run_file(request: Request, name: str, path: str) -> FileResponse:
    """A file inside the run's folder (``report.html`` and the files it links); nothing
    outside it."""
    folder = _folder(request, name).resolve()
    target = (folder / path).resolve()
    if not target.is_relative_to(folder) or not target.is_file():
        raise HTTPException(404, f"no file {path!r} in run {name!r}")
    return FileResponse(target)

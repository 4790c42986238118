"""The prediction API: ``POST /api/predict``, ``POST /api/predict/export`` and
``POST /api/structure``."""

from __future__ import annotations

import io
import json

from fastapi import APIRouter, Body, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from supercon3d.screening.prediction import csv_row
from supercon3d.web.predictions import predict_uploads, structure_view
from supercon3d.web.state import ServerState, in_model_thread
from supercon3d.web.uploads import TooManyFiles, Upload, expand_uploads

router = APIRouter(prefix="/api", tags=["predict"])
EXPORT_NAME = "supercon3d-predictions"


async def _uploads(state: ServerState, files: list[UploadFile]) -> list[Upload]:
    """The structures of the request's files; 413 with one line above the count limit."""
    if len(files) > state.settings.max_files:
        raise HTTPException(413, f"too many files: at most {state.settings.max_files} per request")
    parts = [(file.filename, await file.read()) for file in files]
    try:
        return expand_uploads(parts, state.settings.max_files, state.settings.max_archive_bytes)
    except TooManyFiles as error:
        raise HTTPException(413, str(error)) from None


@router.post("/predict", summary="Predict Tc of uploaded CIFs (or zips of CIFs)")
async def predict(request: Request, files: list[UploadFile] = File(...)) -> list[dict]:
    """One record per structure, in order: the records ``supercon3d predict --out`` writes
    (file, formula, disorder_class, family, high_pressure_hydride, p_superconductor,
    tc_kelvin, tc_low_kelvin, tc_high_kelvin (K), ln_tc, ln_tc_std (ln K), n_sites,
    warnings, novelty, in_domain, nearest_known); a refused file is a record with ``file``
    and ``error``, in the same list."""
    state: ServerState = request.app.state.server
    uploads = await _uploads(state, files)
    return await in_model_thread(request, predict_uploads, uploads, state.settings.checkpoints)


@router.post("/predict/export", summary="The prediction records as a CSV or JSON file")
async def export(
    records: list[dict] = Body(...), format: str = Query("csv", pattern="^(csv|json)$")
) -> Response:
    """The records of :func:`predict` as a download: ``csv`` (one row each, warnings joined,
    as ``predict --out FILE.csv``) or ``json`` (as ``predict --out FILE.json``)."""
    disposition = {"content-disposition": f'attachment; filename="{EXPORT_NAME}.{format}"'}
    if format == "json":
        text = json.dumps(records, indent=1, allow_nan=False)
        return Response(text, media_type="application/json", headers=disposition)
    import pandas as pd

    buffer = io.StringIO()
    pd.DataFrame([csv_row(record) for record in records]).to_csv(buffer, index=False)
    return Response(buffer.getvalue(), media_type="text/csv", headers=disposition)


@router.post("/structure", summary="The 3D view of one uploaded CIF")
async def structure(
    request: Request, file: UploadFile = File(...), member: str | None = Form(None)
) -> dict:
    """Cell (Å), sites with occupancies and attention shares (%), the prediction record, the
    nearest reported superconductors and the CIF text of one uploaded CIF; for a zip, of its
    structure labelled ``member`` (as in the prediction records), else its first."""
    state: ServerState = request.app.state.server
    uploads = await _uploads(state, [file])
    upload = next((u for u in uploads if u.name == member), uploads[0])
    return await in_model_thread(
        request, structure_view, upload, state.settings.checkpoints, state.known
    )

"""The screening API: the databases the server was started with, read-only.

``GET /api/databases`` lists them; ``GET /api/databases/{index}/rows`` pages through one
(filters, sort); ``GET /api/databases/{index}/report`` is ``screen report --json``'s table;
``GET /api/databases/{index}/export`` the filtered rows as CSV; ``GET
/api/databases/{index}/structure`` the 3D view of a row, read from the source the database
names for it (a CIF file, a folder or zip member, a CSV cell, a frame of an ASE file).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from supercon3d import api
from supercon3d.screening.browse import MAX_PAGE_ROWS, BrowseFilter, BrowseIndex
from supercon3d.screening.database import COLUMNS, ScreenDatabaseError
from supercon3d.screening.sources import ID_SEPARATOR, KIND_ATOMS, KIND_CIF, iter_source
from supercon3d.web.predictions import structure_view
from supercon3d.web.state import ServerState, in_model_thread
from supercon3d.web.uploads import Upload, expand_uploads

router = APIRouter(prefix="/api/databases", tags=["screen"])
EXPORT_ROWS = 100_000
"""Most rows one export writes."""


def _database_path(request: Request, index: int) -> Path:
    state: ServerState = request.app.state.server
    if not 0 <= index < len(state.settings.databases):
        raise HTTPException(404, f"no database {index}: this server has "
                            f"{len(state.settings.databases)}")  # fmt: skip
    return state.settings.databases[index]


def _browser(request: Request, index: int) -> BrowseIndex:
    """The open database ``index`` (opened on first use, then kept); 400 if it is not a
    screening database."""
    state: ServerState = request.app.state.server
    path = _database_path(request, index)
    if index not in state.browsers:
        try:
            state.browsers[index] = BrowseIndex(path)
        except ScreenDatabaseError as error:
            raise HTTPException(400, str(error)) from None
    return state.browsers[index]


def _page(browser: BrowseIndex, where: BrowseFilter, sort: str, descending: bool, offset: int,
          limit: int):  # fmt: skip
    try:
        return browser.page(where, sort, descending, offset, limit)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None


class RowQuery:
    """The filter and order of a rows or export request, one FastAPI dependency: its query
    parameters keep the names and defaults of :class:`BrowseFilter`'s fields (``tc_min`` and
    ``tc_max`` in K, ``p_min`` and ``p_max`` probabilities)."""

    def __init__(
        self,
        sort: str = Query("tc_kelvin", json_schema_extra={"enum": list(COLUMNS)}),
        descending: bool = True,
        family: list[str] | None = Query(
            None, description="keep these families (repeat the parameter)"
        ),
        disorder_class: list[str] | None = Query(None, description="keep these disorder classes"),
        stage: list[int] | None = Query(
            None, description="keep these stages (0 failed, 1 composition, 2 structure)"
        ),
        p_min: float | None = Query(None, ge=0, le=1),
        p_max: float | None = Query(None, ge=0, le=1),
        tc_min: float | None = Query(None, description="K"),
        tc_max: float | None = Query(None, description="K"),
        elements: list[str] | None = Query(None, description="elements that must all be present"),
        without: list[str] | None = Query(None, description="elements that must all be absent"),
        known: str | None = Query(None, pattern="^(known|novel)?$"),
    ) -> None:
        self.sort = sort
        self.descending = descending
        self.where = BrowseFilter(
            tuple(family or ()), tuple(disorder_class or ()), tuple(stage or ()), p_min, p_max,
            tc_min, tc_max, tuple(elements or ()), tuple(without or ()), known or None,
        )  # fmt: skip


@router.get("", summary="The screening databases this server reads")
async def databases(request: Request) -> list[dict]:
    """Index, file name and row count of each database."""
    state: ServerState = request.app.state.server

    def describe(index: int, path: Path) -> dict:
        try:
            browser = _browser(request, index)
            return {"index": index, "name": path.name, "rows": browser.count(),
                    "metadata": browser.metadata(), "error": None}  # fmt: skip
        except HTTPException as error:
            return {"index": index, "name": path.name, "rows": 0, "metadata": {},
                    "error": error.detail}  # fmt: skip

    return await asyncio.to_thread(
        lambda: [describe(i, path) for i, path in enumerate(state.settings.databases)]
    )


@router.get("/{index}/rows", summary="A page of a database's rows, filtered and sorted")
async def rows(
    request: Request, index: int, query: RowQuery = Depends(),
    offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=MAX_PAGE_ROWS),
) -> dict:  # fmt: skip
    """``rows`` (every column of the ``results`` table), ``total`` (rows matching the
    filter) and ``offset``."""
    browser = _browser(request, index)
    page = await asyncio.to_thread(
        _page, browser, query.where, query.sort, query.descending, offset, limit
    )
    return {"rows": page.rows, "total": page.total, "offset": page.offset}


@router.get("/{index}/export", summary="The filtered rows of a database as CSV")
async def export(request: Request, index: int, query: RowQuery = Depends()) -> Response:
    """Every matching row (at most :data:`EXPORT_ROWS`), all columns, in the chosen order."""
    import pandas as pd

    browser = _browser(request, index)
    chosen = []
    while len(chosen) < EXPORT_ROWS:
        page = await asyncio.to_thread(
            _page, browser, query.where, query.sort, query.descending, len(chosen), MAX_PAGE_ROWS
        )
        chosen += page.rows
        if len(page.rows) < MAX_PAGE_ROWS:
            break
    buffer = io.StringIO()
    pd.DataFrame(chosen, columns=list(chosen[0]) if chosen else list(COLUMNS)).to_csv(
        buffer, index=False
    )
    name = f"{browser.path.stem}-selection.csv"
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/{index}/report", summary="The screening table (as `screen report --json`)")
async def report(
    request: Request, index: int, top: int = Query(20, ge=1, le=10_000),
    disordered_only: bool = False, unreported: bool = False,
) -> list[dict]:  # fmt: skip
    """The ``top`` rows, rescored first, by predicted Tc (K) then P(superconductor)."""
    path = _database_path(request, index)
    try:
        return await asyncio.to_thread(api.screen_report, path, top, disordered_only, unreported)
    except ScreenDatabaseError as error:
        raise HTTPException(400, str(error)) from None


def _screened_item(path: Path, row: dict, label: str) -> Upload:
    """The CIF of a row whose source is a CSV (a cell of CIF text) or a file ``ase.io`` reads
    (a frame), read again by screen's own reader (default CIF column) and found by its
    content hash (``sha256``; by name for a row that failed to read). A frame is turned into
    a structure under the input contract, then written as a CIF."""
    from supercon3d.data.cif import CifReadError, write_cif
    from supercon3d.screening.scoring import read_item

    sha256, name = row.get("sha256"), row.get("name")
    for item in iter_source(path):
        if item.name == path.name and item.error is not None:  # the source as a whole
            return Upload(label, error=item.error)
        if (item.sha256 == sha256) if sha256 else (item.name == name):
            break
    else:
        return Upload(label, error=f"no item of {path} has the content screened (the file "
                      "changed since, or it was screened with another --cif-column)")  # fmt: skip
    if item.kind == KIND_CIF:
        return Upload(label, text=item.content)
    if item.kind != KIND_ATOMS:
        return Upload(label, error=item.error)
    try:
        structure, _, _ = read_item(item)
    except CifReadError as error:
        return Upload(label, error=str(error))
    with tempfile.TemporaryDirectory(prefix="supercon3d-web-") as folder:
        cif = Path(folder) / "frame.cif"
        write_cif(structure, cif)
        return Upload(label, text=cif.read_text())


def _source_cif(database_path: Path, row: dict) -> Upload:
    """The CIF of a row, read from the source its database names: a CIF file, a file in a
    folder, a zip member, a CSV cell or a frame of a file ``ase.io`` reads."""
    source, name = row.get("source") or "", row.get("name") or ""
    inside = row["id"].split(ID_SEPARATOR, 1)[1] if ID_SEPARATOR in row["id"] else None
    label = Path(name).name or row["id"]
    for base in (Path(source), database_path.parent / source):
        try:
            if base.is_file() and inside is None:
                (upload,) = expand_uploads([(label, base.read_bytes())], 1, 0)
                return upload
            if base.is_dir() and inside is not None:
                (upload,) = expand_uploads([(label, (base / inside).read_bytes())], 1, 0)
                return upload
            if base.is_file() and zipfile.is_zipfile(base):
                with zipfile.ZipFile(base) as archive:
                    (upload,) = expand_uploads([(label, archive.read(inside))], 1, 0)
                    return upload
            if base.is_file():
                return _screened_item(base, row, label)
        except (OSError, KeyError, ValueError) as error:
            return Upload(label, error=f"cannot read it from {source} ({error})")
    return Upload(label, error=f"its source {source or '?'} is not a file or folder here")


@router.get("/{index}/structure", summary="The 3D view of a database row")
async def structure(request: Request, index: int, id: str) -> dict:
    """As ``POST /api/structure``, for the row ``id``, plus ``row`` (its columns)."""
    state: ServerState = request.app.state.server
    browser = _browser(request, index)
    path = browser.path
    row = await asyncio.to_thread(browser.row, id)
    if row is None:
        raise HTTPException(404, f"no row {id!r} in {path.name}")
    upload = await asyncio.to_thread(_source_cif, path, row)
    view = await in_model_thread(request, structure_view, upload, state.settings.checkpoints,
                                 state.known)  # fmt: skip
    return {**view, "row": row}

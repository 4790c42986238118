"""Predictions and structure views of uploaded CIF texts, through :mod:`supercon3d.api`.

The texts are written under generated names (``0001.cif``, ...) in a private temporary
folder, predicted as files (the records ``supercon3d predict --out`` writes, by
:meth:`~supercon3d.screening.prediction.TcPrediction.to_dict`), and the temporary path is
replaced by the upload's label in each record. Blocking: the app runs these in its model
thread.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from supercon3d import api
from supercon3d.web.uploads import Upload

NEAREST_KNOWN = 5
"""Reported superconductors listed beside a structure."""


def _relabel(record: dict, path: str, name: str) -> dict:
    """``record`` with the temporary ``path`` replaced by the upload's ``name`` everywhere."""
    relabelled = {}
    for key, value in record.items():
        if isinstance(value, str):
            value = value.replace(path, name)
        elif key == "warnings":
            value = [warning.replace(path, name) for warning in value]
        relabelled[key] = value
    return relabelled


def predict_uploads(uploads: Sequence[Upload], checkpoints: str | os.PathLike | None) -> list[dict]:
    """One prediction record per upload, in order: refused uploads as error records, the
    others predicted by :func:`supercon3d.api.predict` in this process."""
    readable = [i for i, upload in enumerate(uploads) if upload.error is None]
    records = [upload.record() if upload.error else None for upload in uploads]
    if not readable:
        return records
    with tempfile.TemporaryDirectory(prefix="supercon3d-web-") as folder:
        paths = [Path(folder) / f"{n:04d}.cif" for n in range(len(readable))]
        for index, path in zip(readable, paths):
            path.write_text(uploads[index].text)
        predictions = api.predict(paths, checkpoints=checkpoints, workers=1)
        for index, path, prediction in zip(readable, paths, predictions):
            records[index] = _relabel(prediction.to_dict(), str(path), uploads[index].name)
    return records


def _sites(structure, importance: dict[int, float]) -> list[dict]:
    """Each site of ``structure``: Cartesian position (Å), species with occupancies, and its
    share (%) of the model's attention (None when the model gave none)."""
    return [
        {
            "xyz": [round(float(x), 4) for x in site.coords],
            "species": {e.symbol: round(float(a), 4) for e, a in site.species.items()},
            "importance_percent": importance.get(index),
        }
        for index, site in enumerate(structure)
    ]


def structure_view(upload: Upload, checkpoints: str | os.PathLike | None, known) -> dict:
    """What the page draws for one structure: ``name``, ``formula``, ``lattice`` (rows are
    the cell vectors, Å), ``sites`` (see :func:`_sites`), ``nearest_known`` (formula and
    reported Tc in K of the closest reported superconductors; empty without the data
    folder's tables, ``known`` None), ``cif`` (the text) and ``error`` (why the structure or
    its attention could not be read, else None)."""
    from supercon3d.data.cif import CifReadError, read_cif
    from supercon3d.screening.prediction import TcPrediction

    view = {
        "name": upload.name, "cif": upload.text, "formula": None, "lattice": None, "sites": [],
        "nearest_known": [], "error": upload.error,
    }  # fmt: skip
    if upload.error is not None:
        return view
    with tempfile.TemporaryDirectory(prefix="supercon3d-web-") as folder:
        path = Path(folder) / "0001.cif"
        path.write_text(upload.text)
        try:
            structure = read_cif(path).structure
        except CifReadError as error:
            view["error"] = str(error).replace(str(path), upload.name)
            return view
        importance = {}
        try:
            sites = api.explain(TcPrediction(file=str(path)), checkpoints)
        except ValueError as error:  # no graph (e.g. a site without neighbours)
            view["error"] = str(error).replace(str(path), upload.name)
        else:
            if len(sites) == len(structure):
                importance = {s.site: round(s.importance_percent, 3) for s in sites}
    view["formula"] = structure.composition.reduced_formula
    view["lattice"] = [[round(float(x), 4) for x in row] for row in structure.lattice.matrix]
    view["sites"] = _sites(structure, importance)
    if known is not None:
        view["nearest_known"] = [
            {"formula": formula, "reported_tc_kelvin": tc}
            for formula, tc in known.nearest(structure.composition, NEAREST_KNOWN)
        ]
    return view

"""Tc of mixed inputs (structure files, folders, pymatgen Structures) and the sites behind it.

The one implementation of predicting structure inputs (``api.predict``, ``dope``, ``discover``
and the benchmarks call it): CIF files go to
:func:`supercon3d.screening.files.predict_cif_files` (read and predicted in worker
processes); the structures of other files and Structures are read under the same contract
and get their graph built here. The records come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from supercon3d.data.inputs import ReadStructure, StructureInput, named_inputs
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.screening.explain import SiteImportance
    from supercon3d.screening.prediction import TcPrediction


def predict_inputs(
    inputs: StructureInput | Iterable[StructureInput],
    *,
    names: Sequence[str] | None = None,
    checkpoints: str | os.PathLike | None = None,
    blend: bool = True,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    strict: bool = False,
) -> list[TcPrediction]:
    """One Tc record per structure of ``inputs`` (named as in
    :func:`supercon3d.data.inputs.named_inputs`), in order: ln Tc (ln K) and its spread, Tc
    and the interval (K), P(superconductor) and the chemical family, under the ensemble of
    ``checkpoints`` (default: the shipped model; ``blend``: with its composition blend, if it
    has one). CIF files, a folder's at any depth included, are read and predicted in
    ``workers`` processes (default: all cores;
    :func:`supercon3d.screening.files.predict_cif_files`); the structures of other files
    (archives, CSVs of CIF text, formats ``ase.io`` reads) and Structures are read under the
    same contract (:func:`supercon3d.data.inputs.read_except_cifs`,
    :func:`~supercon3d.data.inputs.checked_structure`) and predicted here. A structure that
    fails, and a folder that cannot be read, gets an ``error`` record; ``strict``: one with a
    warning fails too."""
    from supercon3d.data.inputs import checked_structure, read_except_cifs
    from supercon3d.models.shipped import ensemble_source
    from supercon3d.screening.files import predict_cif_files

    items, name_of = named_inputs(inputs, names)
    entries: list[str | ReadStructure] = []
    for i, item in enumerate(items):
        if i in name_of:
            entries.append(checked_structure(item, name_of[i], strict))
        else:
            entries += [
                e if isinstance(e, ReadStructure) else str(e)
                for e in read_except_cifs([item], strict)
            ]
    paths = [entry for entry in entries if isinstance(entry, str)]
    with progress("predicting CIFs", len(paths)) as advance:
        from_files = iter(
            predict_cif_files(
                paths, ensemble_source(checkpoints, blend), workers=workers, progress=advance,
                strict=strict, classify=True,
            )
        )  # fmt: skip
    read = [entry for entry in entries if isinstance(entry, ReadStructure)]
    from_structures = iter(_predict_structures(read, checkpoints, blend))
    return [next(from_files) if isinstance(e, str) else next(from_structures) for e in entries]


def _predict_structures(
    read: Sequence[ReadStructure], checkpoints: str | os.PathLike | None, blend: bool
) -> list[TcPrediction]:
    """The records of structures read in this process (in order): the reader's error, or
    the prediction with the reader's warnings (no model is loaded when none was read)."""
    from supercon3d.screening.prediction import TcPrediction

    if all(entry.error is not None for entry in read):
        return [TcPrediction(file=e.name, error=e.error, warnings=list(e.warnings)) for e in read]
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.models.superconductor import SuperconductorClassifier
    from supercon3d.screening.predict import predict_prepared, prepare_structure

    model = load_ensemble(checkpoints, blend)
    prepared = []
    for entry in read:
        if entry.error is not None:
            failed = TcPrediction(file=entry.name, error=entry.error, warnings=list(entry.warnings))
            prepared.append(failed)
            continue
        outcome = prepare_structure(entry.structure, entry.name, model.graph_settings)
        outcome.warnings = list(entry.warnings)
        prepared.append(outcome)
    return predict_prepared(prepared, model, SuperconductorClassifier.shipped())


def explain_prediction(
    prediction: TcPrediction, checkpoints: str | os.PathLike | None = None
) -> list[SiteImportance]:
    """Each site's share (%) of the attention received in the last block, for a record of
    :func:`predict_inputs` made with the same ``checkpoints``; a record of a file carries no
    graph, so the file is read again. ValueError for a record without a graph."""
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.screening.explain import site_importance
    from supercon3d.screening.predict import prepare_files

    if prediction.error is not None:
        raise ValueError(f"{prediction.file}: no graph to explain ({prediction.error})")
    model = load_ensemble(checkpoints)
    graph = prediction.graph
    if graph is None:
        (prepared,) = prepare_files([prediction.file], model.graph_settings, workers=1)
        if prepared.error is not None:
            raise ValueError(f"{prediction.file}: no graph to explain ({prepared.error})")
        graph = prepared.graph
    return site_importance(graph, model)

"""Tc of mixed inputs (CIF files, folders, pymatgen Structures) and the sites behind it.

Files go to :func:`supercon3d.screening.files.predict_files_from` (read and predicted in worker
processes); Structures get their graph built here. The records come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from supercon3d.data.inputs import StructureInput, named_inputs
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.screening.explain import SiteImportance
    from supercon3d.screening.prediction import TcPrediction


def predict_inputs(
    inputs: StructureInput | Iterable[StructureInput],
    *,
    names: Sequence[str] | None = None,
    checkpoints: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    strict: bool = False,
) -> list[TcPrediction]:
    """One Tc record per structure of ``inputs`` (named as in
    :func:`supercon3d.data.inputs.named_inputs`), in order: ln Tc (ln K) and its spread, Tc
    and the interval (K), P(superconductor) and the chemical family, under the ensemble of
    ``checkpoints`` (default: the shipped model). A structure that fails gets an ``error``
    record; ``workers``: processes reading and predicting CIFs (default: all cores);
    ``strict``: a CIF with a warning fails too."""
    from supercon3d.data.cif import expand_cif_paths
    from supercon3d.models.shipped import ensemble_source
    from supercon3d.screening.files import predict_files_from

    items, name_of = named_inputs(inputs, names)
    files = {i: expand_cif_paths([item]) for i, item in enumerate(items) if i not in name_of}
    paths = [path for group in files.values() for path in group]
    with progress("predicting CIFs", len(paths)) as advance:
        from_files = iter(
            predict_files_from(
                paths, ensemble_source(checkpoints), workers=workers, progress=advance,
                strict=strict, classify=True,
            )
        )  # fmt: skip
    from_structures = iter(_predict_structures(items, name_of, checkpoints))
    outcomes = []
    for i in range(len(items)):
        if i in files:
            outcomes += [next(from_files) for _ in files[i]]
        else:
            outcomes.append(next(from_structures))
    return outcomes


def _predict_structures(
    items: Sequence[StructureInput], name_of: dict[int, str], checkpoints: str | os.PathLike | None
) -> list[TcPrediction]:
    """The records of the Structures among ``items`` (at the positions of ``name_of``),
    predicted in this process."""
    if not name_of:
        return []
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.models.superconductor import SuperconductorClassifier
    from supercon3d.screening.predict import predict_prepared, prepare_structure

    model = load_ensemble(checkpoints)
    prepared = [
        prepare_structure(items[i], name, model.graph_settings) for i, name in name_of.items()
    ]
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

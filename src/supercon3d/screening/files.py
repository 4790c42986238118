"""Predicting CIF files in worker processes, from a process that loads no model.

Chunks of :data:`PREDICT_CHUNK` files go to worker processes that each load the ensemble (and
the classifier) once and run torch on one thread, which on two cores is faster than one
process on two torch threads. This module imports neither torch nor pymatgen: the calling
process starts its workers at once instead of first spending seconds on imports it does not
need, and gets back light records (:meth:`TcPrediction.without_inputs`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from supercon3d.executor import make_executor
from supercon3d.models.shipped import EnsembleSource
from supercon3d.screening.prediction import TcPrediction

PREDICT_CHUNK = 50
"""Files per task when predicting in workers (a progress step; ensemble batches of 64)."""
MIN_FILES_PER_PREDICT_WORKER = 100
"""Fewest files worth starting a predicting worker for: its imports and model loading take
about 8 s (the ensemble and classifier modules 6 s, their files 2 s), reading and predicting
one file about 0.1 s on one thread."""


def _predict_chunk(job: tuple[list[str], EnsembleSource, bool, bool]) -> list[TcPrediction]:
    """Read and predict a chunk of files with the ensemble loaded from ``source`` (once per
    process); P(superconductor) from the shipped classifier with ``classify``."""
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.models.superconductor import SuperconductorClassifier
    from supercon3d.screening.predict import predict_prepared, prepare_files

    paths, source, strict, classify = job
    ensemble = load_ensemble(*source)
    outcomes = prepare_files(paths, ensemble.graph_settings, workers=1, strict=strict)
    classifier = SuperconductorClassifier.shipped() if classify else None
    return [o.without_inputs() for o in predict_prepared(outcomes, ensemble, classifier)]


def predict_cif_files(
    paths: Sequence[str | os.PathLike],
    source: EnsembleSource,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
    classify: bool = False,
) -> list[TcPrediction]:
    """Tc of each CIF file (in order): ensemble mean of ln Tc (ln K), its spread, exp(mean)
    in K and the interval, with ``classify`` also P(superconductor) (see
    :func:`supercon3d.screening.predict.predict_prepared`), with the ensemble of ``source``
    loaded where the files are predicted: in each of ``workers`` processes (default: all
    cores; fewer when there are under :data:`MIN_FILES_PER_PREDICT_WORKER` files each), or
    here when that is one. The records come back without their inputs
    (:meth:`TcPrediction.without_inputs`); this process loads nothing while workers do.
    ``progress`` is called with the files done. The step of
    :func:`supercon3d.screening.inputs.predict_inputs` that reads CIFs: call that one."""
    names = [str(path) for path in paths]
    jobs = [
        (names[start : start + PREDICT_CHUNK], source, strict, classify)
        for start in range(0, len(names), PREDICT_CHUNK)
    ]
    outcomes = []
    with make_executor(workers, len(names), MIN_FILES_PER_PREDICT_WORKER) as executor:
        for chunk in executor.map(_predict_chunk, jobs, chunksize=1):
            outcomes += chunk
            if progress:
                progress(len(chunk))
    return outcomes

"""Predicting Tc for CIF files with a SODNet ensemble.

Files are read, classified, turned into graphs and predicted in parallel: chunks of
:data:`PREDICT_CHUNK` files go to worker processes that each load the ensemble (and the
classifier) once and run torch on one thread, which on two cores is faster than one process
on two torch threads. A file that fails (unreadable CIF, element outside the embedding, a
site with no neighbour in the cutoff) is reported with a one-line error naming it and the
others still get their prediction.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pymatgen.core import Composition, Structure

from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.data.family import chemical_family, is_high_pressure_hydride
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.executor import make_executor
from supercon3d.graphs import CrystalGraph, GraphSettings
from supercon3d.graphs.crystal_graph import GraphBuildError, graph_arrays, structure_to_graph
from supercon3d.models.sodnet.ensemble import EnsembleSource, SODNetEnsemble, load_ensemble
from supercon3d.models.structure_features import structure_descriptors
from supercon3d.models.superconductor import SuperconductorClassifier

MAX_ABS_LN_TC = 700.0
"""Largest |ln Tc| (ln K) turned into kelvin: exp overflows a float just above 709."""
PREDICT_CHUNK = 50
"""Files per task when predicting in workers (a progress step; ensemble batches of 64)."""
MIN_FILES_PER_PREDICT_WORKER = 100
"""Fewest files worth starting a predicting worker for: its imports and model loading take
about 7 s (torch 5 s, the ensemble and classifier 2 s), reading and predicting one file about
0.1 s on one thread."""


@dataclass
class TcPrediction:
    """The prediction for one file; ``error`` (one line) instead of numbers if it failed.

    ``tc_kelvin`` is the Tc the crystal would have *if* it superconducts (exp of the ensemble
    mean ln Tc); ``p_superconductor`` says how likely that is. ``tc_low_kelvin`` and
    ``tc_high_kelvin`` bound the conformal interval at the model's calibrated level (90 % for
    the shipped model; None for a run without ``intervals.json``). ``family`` and
    ``high_pressure_hydride`` come from rules over the composition
    (:mod:`supercon3d.data.family`)."""

    file: str
    formula: str | None = None
    disorder_class: str | None = None
    family: str | None = None
    high_pressure_hydride: bool | None = None
    n_sites: int | None = None
    p_superconductor: float | None = None
    tc_kelvin: float | None = None
    tc_low_kelvin: float | None = None
    tc_high_kelvin: float | None = None
    ln_tc: float | None = None
    ln_tc_std: float | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    graph: CrystalGraph | None = field(default=None, repr=False)
    composition: Composition | None = field(default=None, repr=False)
    structure_features: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The JSON record: file, formula, disorder_class, family, high_pressure_hydride,
        p_superconductor, tc_kelvin, tc_low_kelvin, tc_high_kelvin (K), ln_tc, ln_tc_std
        (ln K), n_sites and warnings; or file and error."""
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {
            "file": self.file,
            "formula": self.formula,
            "disorder_class": self.disorder_class,
            "family": self.family,
            "high_pressure_hydride": self.high_pressure_hydride,
            "p_superconductor": self.p_superconductor,
            "tc_kelvin": self.tc_kelvin,
            "tc_low_kelvin": self.tc_low_kelvin,
            "tc_high_kelvin": self.tc_high_kelvin,
            "ln_tc": self.ln_tc,
            "ln_tc_std": self.ln_tc_std,
            "n_sites": self.n_sites,
            "warnings": self.warnings,
        }


def _prepare(job: tuple[str, GraphSettings, bool]) -> tuple[TcPrediction, dict | None]:
    """Read (``strict`` or not), classify and build the graph arrays of one file (NumPy only:
    runs in workers)."""
    path, settings, strict = job
    try:
        record = read_cif(path, strict)
        arrays = graph_arrays(record.structure, settings, name=path)
    except (CifReadError, GraphBuildError) as error:
        return TcPrediction(file=path, error=str(error)), None
    prediction = describe_structure(
        record.structure, path, record.warnings, record.overfull_occupancies
    )
    return prediction, arrays


def describe_structure(
    structure: Structure,
    name: str,
    warnings: Sequence[str] = (),
    overfull_occupancies: Sequence[float] = (),
) -> TcPrediction:
    """The record of a structure before prediction: formula, disorder class, sites."""
    report = classify_disorder(structure, overfull_occupancies=overfull_occupancies)
    composition = structure.composition
    return TcPrediction(
        file=name,
        formula=composition.reduced_formula,
        disorder_class=report.disorder_class.value,
        family=chemical_family(composition),
        high_pressure_hydride=is_high_pressure_hydride(composition),
        n_sites=len(structure),
        warnings=list(warnings),
        composition=composition,
        structure_features=structure_descriptors(structure),
    )


def prepare_structure(structure: Structure, name: str, settings: GraphSettings) -> TcPrediction:
    """:func:`describe_structure` and the graph of an in-memory structure (no file is
    written); ``error`` naming ``name`` if the graph cannot be built."""
    try:
        graph = structure_to_graph(structure, settings, name)
    except GraphBuildError as error:
        return TcPrediction(file=name, error=str(error))
    prediction = describe_structure(structure, name)
    prediction.graph = graph
    return prediction


def prepare_files(
    paths: Sequence[str | os.PathLike],
    settings: GraphSettings,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
) -> list[TcPrediction]:
    """Read, classify and build the graph of each file (in order), without predicting, on
    ``workers`` processes (default: all cores; see :func:`supercon3d.executor.make_executor`);
    ``strict``: a file with a CIF warning fails (see :func:`supercon3d.data.cif.read_cif`).
    """
    jobs = [(str(path), settings, strict) for path in paths]
    outcomes = []
    with make_executor(workers, len(jobs)) as executor:
        for outcome, arrays in executor.map(_prepare, jobs):
            if arrays is not None:
                outcome.graph = CrystalGraph.from_arrays(arrays)
            outcomes.append(outcome)
            if progress:
                progress(1)
    return outcomes


def _predict_chunk(job: tuple[list[str], EnsembleSource, bool, bool]) -> list[TcPrediction]:
    """Read and predict a chunk of files with the ensemble loaded from ``source`` (once per
    process); P(superconductor) from the shipped classifier with ``classify``."""
    paths, source, strict, classify = job
    ensemble = load_ensemble(*source)
    outcomes = prepare_files(paths, ensemble.graph_settings, workers=1, strict=strict)
    classifier = SuperconductorClassifier.shipped() if classify else None
    return predict_prepared(outcomes, ensemble, classifier)


def predict_files(
    paths: Sequence[str | os.PathLike],
    ensemble: SODNetEnsemble,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
    classify: bool = False,
) -> list[TcPrediction]:
    """Tc of each file (in order): ensemble mean of ln Tc (ln K), its spread, exp(mean) in K
    and the interval, with ``classify`` also P(superconductor) (see :func:`predict_prepared`).
    An ensemble read from a folder predicts in workers (:func:`predict_files_from`); one
    assembled in memory predicts here, after reading on ``workers`` processes."""
    if ensemble.source is not None:
        return predict_files_from(paths, ensemble.source, workers, progress, strict, classify)
    outcomes = prepare_files(paths, ensemble.graph_settings, workers, progress, strict)
    classifier = SuperconductorClassifier.shipped() if classify else None
    return predict_prepared(outcomes, ensemble, classifier)


def predict_files_from(
    paths: Sequence[str | os.PathLike],
    source: EnsembleSource,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
    classify: bool = False,
) -> list[TcPrediction]:
    """:func:`predict_files` with the ensemble of ``source``, loaded where the files are
    predicted: in each of ``workers`` processes (default: all cores; fewer when there are
    under :data:`MIN_FILES_PER_PREDICT_WORKER` files each), or here when that is one. This
    process loads nothing while workers do. ``progress`` is called with the files done."""
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


def predict_prepared(
    outcomes: Sequence[TcPrediction],
    ensemble: SODNetEnsemble,
    classifier: SuperconductorClassifier | None = None,
) -> list[TcPrediction]:
    """Fill in ln Tc (ln K), its spread, Tc (K) and, when the ensemble has a calibration, the
    interval (K) of the prepared records that have a graph (one batched ensemble call), and
    with a ``classifier`` P(superconductor); records with an error are left as they are. A
    prediction that is not a finite number (within ``MAX_ABS_LN_TC``) becomes the record's
    error."""
    outcomes = list(outcomes)
    ready = [o for o in outcomes if o.error is None]
    if ready and classifier is not None:
        compositions = [o.composition for o in ready]
        descriptors = np.vstack([o.structure_features for o in ready])
        chances = classifier.predict_proba_described(compositions, descriptors)
        for outcome, chance in zip(ready, chances):
            outcome.p_superconductor = float(chance)
    if ready:
        mean, std = ensemble.predict([o.graph for o in ready])
        for outcome, ln_tc, spread in zip(ready, mean, std):
            if not (abs(ln_tc) <= MAX_ABS_LN_TC and math.isfinite(spread)):
                outcome.error = f"{outcome.file}: the model gave no finite Tc (ln Tc = {ln_tc:g})"
                continue
            outcome.ln_tc = float(ln_tc)
            outcome.ln_tc_std = float(spread)
            outcome.tc_kelvin = math.exp(float(ln_tc))
            if ensemble.intervals is not None:
                low, high = ensemble.intervals.bounds(outcome.ln_tc, outcome.family)
                outcome.tc_low_kelvin, outcome.tc_high_kelvin = math.exp(low), math.exp(high)
    return outcomes

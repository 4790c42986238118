"""Predicting Tc for CIF files and structures with a SODNet ensemble.

Files are read, classified and turned into graphs here; :mod:`supercon3d.screening.files`
predicts them in worker processes, for :func:`supercon3d.screening.inputs.predict_inputs`
(the one workflow that predicts structure inputs). A file that fails
(unreadable CIF, element outside the embedding, a site with no neighbour in the cutoff) is
reported with a one-line error naming it and the others still get their prediction.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import numpy as np
from pymatgen.core import Structure

from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.data.family import chemical_family, is_high_pressure_hydride
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.executor import make_executor
from supercon3d.graphs import CrystalGraph, GraphSettings
from supercon3d.graphs.crystal_graph import GraphBuildError, graph_arrays, structure_to_graph
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.models.structure_features import structure_descriptors
from supercon3d.models.superconductor import SuperconductorClassifier
from supercon3d.screening.prediction import TcPrediction

MAX_ABS_LN_TC = 700.0
"""Largest |ln Tc| (ln K) turned into kelvin: exp overflows a float just above 709."""


def _prepare(job: tuple[str, GraphSettings, bool]) -> tuple[TcPrediction, dict | None]:
    """Read (``strict`` or not), classify and build the graph arrays of one file (NumPy only:
    runs in workers)."""
    path, settings, strict = job
    try:
        record = read_cif(path, strict)
    except CifReadError as error:
        return TcPrediction(file=path, error=str(error)), None
    try:
        arrays = graph_arrays(record.structure, settings, name=path)
    except GraphBuildError as error:
        return TcPrediction(file=path, error=str(error), warnings=list(record.warnings)), None
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


def predict_prepared(
    outcomes: Sequence[TcPrediction],
    ensemble: SODNetEnsemble,
    classifier: SuperconductorClassifier | None = None,
) -> list[TcPrediction]:
    """Fill in ln Tc (ln K), its spread, Tc (K), when the ensemble has a novelty reference the
    novelty, in_domain and nearest_known, when it has a calibration the interval (K, widening
    with the novelty for a novelty calibration) of the prepared records that have a graph
    (batched calls), and with a ``classifier`` P(superconductor); records with an error are
    left as they are. A prediction that is not a finite number (within ``MAX_ABS_LN_TC``)
    becomes the record's error."""
    outcomes = list(outcomes)
    ready = [o for o in outcomes if o.error is None]
    if ready and classifier is not None:
        compositions = [o.composition for o in ready]
        descriptors = np.vstack([o.structure_features for o in ready])
        chances = classifier.predict_proba_described(compositions, descriptors)
        for outcome, chance in zip(ready, chances):
            outcome.p_superconductor = float(chance)
    if ready and ensemble.novelty is not None:
        novelties = ensemble.novelty.describe([o.composition for o in ready])
        for outcome, novelty in zip(ready, novelties):
            outcome.novelty = round(novelty.novelty, 4)
            outcome.in_domain = novelty.in_domain
            outcome.nearest_known = novelty.nearest_known
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
                low, high = ensemble.intervals.bounds(
                    outcome.ln_tc, outcome.family, outcome.novelty
                )
                outcome.tc_low_kelvin, outcome.tc_high_kelvin = math.exp(low), math.exp(high)
    return outcomes

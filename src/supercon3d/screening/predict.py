"""Predicting Tc for CIF files with a SODNet ensemble.

Files are read, classified and turned into graphs in parallel; a file that fails (unreadable
CIF, element outside the embedding, a site with no neighbour in the cutoff) is reported with a
one-line error naming it and the others still get their prediction.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.graphs import CrystalGraph, GraphSettings
from supercon3d.graphs.crystal_graph import GraphBuildError, graph_arrays
from supercon3d.models.sodnet.ensemble import SODNetEnsemble


@dataclass
class TcPrediction:
    """The prediction for one file; ``error`` (one line) instead of numbers if it failed."""

    file: str
    formula: str | None = None
    disorder_class: str | None = None
    n_sites: int | None = None
    tc_kelvin: float | None = None
    ln_tc: float | None = None
    ln_tc_std: float | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    graph: CrystalGraph | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The JSON record: file, formula, disorder_class, tc_kelvin (K), ln_tc, ln_tc_std
        (ln K), n_sites and warnings; or file and error."""
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {
            "file": self.file,
            "formula": self.formula,
            "disorder_class": self.disorder_class,
            "tc_kelvin": self.tc_kelvin,
            "ln_tc": self.ln_tc,
            "ln_tc_std": self.ln_tc_std,
            "n_sites": self.n_sites,
            "warnings": self.warnings,
        }


def _prepare(job: tuple[str, GraphSettings]) -> tuple[TcPrediction, dict | None]:
    """Read, classify and build the graph arrays of one file (NumPy only: runs in workers)."""
    path, settings = job
    try:
        record = read_cif(path)
        arrays = graph_arrays(record.structure, settings, name=path)
    except (CifReadError, GraphBuildError) as error:
        return TcPrediction(file=path, error=str(error)), None
    report = classify_disorder(record.structure, overfull_occupancies=record.overfull_occupancies)
    prediction = TcPrediction(
        file=path,
        formula=record.structure.composition.reduced_formula,
        disorder_class=report.disorder_class.value,
        n_sites=len(record.structure),
        warnings=record.warnings,
    )
    return prediction, arrays


def prepare_files(
    paths: Sequence[str | os.PathLike],
    settings: GraphSettings,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[TcPrediction]:
    """Read, classify and build the graph of each file (in order), without predicting.

    Workers are started with ``spawn``: forking a process that already runs torch threads
    can deadlock.
    """
    jobs = [(str(path), settings) for path in paths]
    workers = workers or os.cpu_count() or 1
    outcomes = []
    with ExitStack() as stack:
        if workers == 1 or len(jobs) < 16:
            results = map(_prepare, jobs)
        else:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
            results = pool.map(_prepare, jobs, chunksize=8)
        for outcome, arrays in results:
            if arrays is not None:
                outcome.graph = CrystalGraph.from_arrays(arrays)
            outcomes.append(outcome)
            if progress:
                progress(1)
    return outcomes


def predict_files(
    paths: Sequence[str | os.PathLike],
    ensemble: SODNetEnsemble,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[TcPrediction]:
    """Tc of each file: ensemble mean of ln Tc (ln K), its spread, and exp(mean) in K."""
    outcomes = prepare_files(paths, ensemble.graph_settings, workers, progress)
    ready = [o for o in outcomes if o.error is None]
    if ready:
        mean, std = ensemble.predict([o.graph for o in ready])
        for outcome, ln_tc, spread in zip(ready, mean, std):
            outcome.ln_tc = float(ln_tc)
            outcome.ln_tc_std = float(spread)
            outcome.tc_kelvin = math.exp(float(ln_tc))
    return outcomes

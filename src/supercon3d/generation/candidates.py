"""Generated structures as candidates: validity, novelty, space group and the Tc that the
shipped SODNet ensemble (an independent judge, not the guidance model) predicts; written as
one CIF per structure plus ``candidates.csv``, and scored as the DiffCSP-SC paper does.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from supercon3d.data.cif import CifReadError, read_cif, write_cif
from supercon3d.data.contract import InputRefused, check_structure
from supercon3d.generation.metrics import (
    Fingerprints,
    composition_is_valid,
    coverage,
    density_wasserstein,
    novel_mask,
    num_elements_wasserstein,
    structure_is_valid,
    success_rates,
    unique_mask,
)
from supercon3d.graphs.crystal_graph import GraphBuildError, structure_to_graph
from supercon3d.models.sodnet.ensemble import SODNetEnsemble

CANDIDATES_FILE = "candidates.csv"
RUN_FILE = "run.json"
CIF_FOLDER = "cifs"
UNGUIDED_FOLDER = "unguided"
CSV_COLUMNS = [
    "file", "formula", "num_atoms", "spacegroup", "tc_kelvin", "valid_structure",
    "valid_composition", "novel", "ln_tc", "ln_tc_std", "seed", "level",
]  # fmt: skip


@dataclass
class Candidate:
    """One generated structure. ``tc_kelvin`` = exp(ensemble mean ln Tc); NaN where SODNet
    could not build its graph (e.g. no neighbour within the cutoff). ``seed`` and ``level``
    (t/T) are -1 and NaN for a structure generated from noise."""

    file: str
    formula: str
    num_atoms: int
    spacegroup: int
    tc_kelvin: float
    valid_structure: bool
    valid_composition: bool
    novel: bool
    ln_tc: float
    ln_tc_std: float
    seed: int = -1
    level: float = math.nan

    @property
    def valid(self) -> bool:
        return self.valid_structure and self.valid_composition


def spacegroup_number(structure: Structure, symprec: float = 0.1) -> int:
    """International space-group number at ``symprec`` (Å); 0 if spglib finds none."""
    try:
        return int(SpacegroupAnalyzer(structure, symprec=symprec).get_space_group_number())
    except Exception:  # spglib raises several error types on degenerate cells
        return 0


def judge_tc(
    structures: Sequence[Structure], ensemble: SODNetEnsemble
) -> tuple[np.ndarray, np.ndarray]:
    """SODNet ensemble mean and spread of ln Tc (ln K) per structure; NaN where the graph
    cannot be built."""
    mean = np.full(len(structures), np.nan)
    std = np.full(len(structures), np.nan)
    graphs, where = [], []
    for index, structure in enumerate(structures):
        try:
            graphs.append(structure_to_graph(structure, ensemble.graph_settings, f"#{index}"))
            where.append(index)
        except GraphBuildError:
            continue
    if graphs:
        mean[where], std[where] = ensemble.predict(graphs)
    return mean, std


def contract_accepts(structure: Structure) -> bool:
    """Whether the input contract (:func:`~supercon3d.data.contract.check_structure`)
    accepts ``structure``."""
    try:
        check_structure(structure, "generated structure")
    except InputRefused:
        return False
    return True


def assess(
    structures: Sequence[Structure],
    ensemble: SODNetEnsemble,
    reference: Sequence[Structure],
    names: Sequence[str],
    seeds: Sequence[int] | None = None,
    levels: Sequence[float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Candidate]:
    """Validity, novelty against ``reference`` (training and pre-training structures),
    space group and judged Tc of each structure. Structurally valid: CDVAE's test
    (:func:`~supercon3d.generation.metrics.structure_is_valid`) passed and the input contract
    accepts it (what reading its CIF back requires: no lattice vector under 1 Å, ...).
    Novelty, space group and Tc are computed for structurally valid structures only (False,
    0 and NaN otherwise)."""
    valid = [structure_is_valid(s) and contract_accepts(s) for s in structures]
    ln_tc = np.full(len(structures), np.nan)
    ln_tc_std = np.full(len(structures), np.nan)
    where = np.flatnonzero(valid)
    novel = np.zeros(len(structures), dtype=bool)
    if len(where):
        ln_tc[where], ln_tc_std[where] = judge_tc([structures[i] for i in where], ensemble)
        novel[where] = novel_mask([structures[i] for i in where], reference, progress=progress)
    candidates = []
    for index, structure in enumerate(structures):
        valid_structure = valid[index]
        candidates.append(
            Candidate(
                file=f"{CIF_FOLDER}/{names[index]}.cif",
                formula=structure.composition.reduced_formula,
                num_atoms=len(structure),
                spacegroup=spacegroup_number(structure) if valid_structure else 0,
                tc_kelvin=math.exp(ln_tc[index]) if np.isfinite(ln_tc[index]) else math.nan,
                valid_structure=valid_structure,
                valid_composition=composition_is_valid(structure.composition),
                novel=bool(novel[index]),
                ln_tc=float(ln_tc[index]),
                ln_tc_std=float(ln_tc_std[index]),
                seed=-1 if seeds is None else int(seeds[index]),
                level=math.nan if levels is None else float(levels[index]),
            )
        )
        if progress and not valid_structure:
            progress(1)
    return candidates


def write_run(
    folder: str | os.PathLike,
    structures: Sequence[Structure],
    candidates: Sequence[Candidate],
    info: dict,
) -> Path:
    """One CIF per structure under ``cifs/``, ``candidates.csv`` and ``run.json`` (``info``)."""
    folder = Path(folder)
    (folder / CIF_FOLDER).mkdir(parents=True, exist_ok=True)
    for structure, candidate in zip(structures, candidates):
        write_cif(structure, folder / candidate.file)
    table = pd.DataFrame([asdict(c) for c in candidates], columns=CSV_COLUMNS)
    table.to_csv(folder / CANDIDATES_FILE, index=False)
    (folder / RUN_FILE).write_text(json.dumps(info, indent=1))
    return folder / CANDIDATES_FILE


def read_candidates(folder: str | os.PathLike) -> pd.DataFrame:
    """``candidates.csv`` of a generation folder; FileNotFoundError naming it if missing."""
    path = Path(folder) / CANDIDATES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no candidates.csv (run supercon3d generate --out)")
    return pd.read_csv(path)


def is_compound(formula: str) -> bool:
    """True for a formula of at least two elements (an elemental cell is no discovery)."""
    return len(Composition(formula)) >= 2


def best_per_seed(
    table: pd.DataFrame, novel_only: bool = False, compounds_only: bool = False
) -> np.ndarray:
    """Per seed, the highest judged ln Tc (ln K) among its valid structures (with
    ``novel_only``, novel ones; with ``compounds_only``, ones of at least two elements);
    NaN for a seed with none."""
    seeds = sorted(table["seed"].unique())
    ok = table["valid_structure"] & table["valid_composition"] & np.isfinite(table["ln_tc"])
    if novel_only:
        ok &= table["novel"]
    if compounds_only:
        ok &= table["formula"].map(is_compound)
    best = table[ok].groupby("seed")["ln_tc"].max()
    return np.array([best.get(seed, np.nan) for seed in seeds])


def generation_quality(
    generated: Sequence[Structure],
    held_out: Sequence[Structure],
    progress: Callable[[int], None] | None = None,
    held_out_fingerprints: Fingerprints | None = None,
) -> dict:
    """Coverage recall and precision of valid generated structures against held-out corpus
    structures, and the Wasserstein distances of density (g/cm³) and number of elements.
    ``held_out_fingerprints`` (of ``held_out``) saves recomputing them for every run."""
    reference = held_out if held_out_fingerprints is None else held_out_fingerprints
    result = coverage(generated, reference, progress=progress)
    return {
        "coverage_recall": result["recall"],
        "coverage_precision": result["precision"],
        "wasserstein_density": density_wasserstein(generated, held_out),
        "wasserstein_num_elements": num_elements_wasserstein(generated, held_out),
    }


def read_valid_structures(folder: str | os.PathLike, table: pd.DataFrame) -> dict[str, Structure]:
    """The structures of ``table``'s structurally valid rows, by ``file``, read from
    ``folder``; a CIF the input contract refuses (:mod:`supercon3d.data.contract`) is left
    out and its row's ``valid_structure`` set to False (``table`` is changed in place)."""
    readable = {}
    for name in table.loc[table["valid_structure"], "file"]:
        try:
            readable[name] = read_cif(Path(folder) / name).structure
        except CifReadError:  # refused by the input contract: not a valid structure
            continue
    table["valid_structure"] &= table["file"].isin(readable)
    return readable


def evaluate_run(
    folder: str | os.PathLike,
    training_ln_tc: np.ndarray,
    held_out: Sequence[Structure] | None = None,
    progress: Callable[[int], None] | None = None,
    held_out_fingerprints: Fingerprints | None = None,
) -> dict:
    """Scores of one generation folder (fractions in [0, 1]); a structure whose CIF the input
    contract refuses (:mod:`supercon3d.data.contract`) counts as structurally invalid.

    ``validity_*``: over all structures; ``uniqueness``: distinct (StructureMatcher) among
    the valid ones; ``novelty``: novel among the valid ones. For seed runs also ``sr10``,
    ``sr30``, ``sr50`` (best valid structure per seed against percentiles of
    ``training_ln_tc``), the same restricted to novel structures (``novel_sr*``) and to novel
    structures of at least two elements (``compound_sr*``: an elemental cell, such as the
    pure hydrogen that Tc guidance drifts toward, is no discovery). With
    ``held_out`` structures (and optionally their fingerprints), also
    :func:`generation_quality` of the valid ones."""
    folder = Path(folder)
    table = read_candidates(folder)
    readable = read_valid_structures(folder, table)
    valid = table["valid_structure"] & table["valid_composition"]
    valid_structures = [readable[name] for name in table.loc[valid, "file"]]
    scores = {
        "n": len(table),
        "validity_structure": float(table["valid_structure"].mean()),
        "validity_composition": float(table["valid_composition"].mean()),
        "validity": float(valid.mean()),
        "uniqueness": float(unique_mask(valid_structures).mean()) if valid_structures else 0.0,
        "novelty": float(table.loc[valid, "novel"].mean()) if valid.any() else 0.0,
        "tc_kelvin_median_valid": float(table.loc[valid, "tc_kelvin"].median()),
    }
    if (table["seed"] >= 0).all():
        scores["seeds"] = int(table["seed"].nunique())
        scores.update(success_rates(best_per_seed(table), training_ln_tc))
        novel = success_rates(best_per_seed(table, novel_only=True), training_ln_tc)
        scores.update({f"novel_{name}": value for name, value in novel.items()})
        compound = success_rates(
            best_per_seed(table, novel_only=True, compounds_only=True), training_ln_tc
        )
        scores.update({f"compound_{name}": value for name, value in compound.items()})
    if held_out is not None and valid_structures:
        scores.update(
            generation_quality(valid_structures, held_out, progress, held_out_fingerprints)
        )
    return scores

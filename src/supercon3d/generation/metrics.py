"""Metrics for generated crystals: validity, uniqueness, novelty, coverage, property
distributions (as CDVAE and DiffCSP define them) and the DiffCSP-SC success rates.

Validity follows CDVAE: a structure is valid when no two atoms (periodic images included) are
closer than 0.5 Å and its cell is at least 0.1 Å³; a composition is valid when it passes the
SMACT charge-neutrality and Pauling electronegativity screen (single elements and all-metal
alloys pass). Coverage compares CrystalNN ("ops") structure fingerprints and Magpie
composition fingerprints of the generated and reference sets.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache
from typing import NamedTuple

import numpy as np
from matminer.featurizers.composition import ElementProperty
from matminer.featurizers.site import CrystalNNFingerprint
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Structure
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from supercon3d.generation.charge import OXIDATION_STATES, charge_imbalance

SUCCESS_PERCENTILES = {"sr10": 90.0, "sr30": 70.0, "sr50": 50.0}
_NEIGHBOUR_CELLS = np.array(
    [cell for cell in itertools.product((-1, 0, 1), repeat=3) if any(cell)], dtype=float
)


class Fingerprints(NamedTuple):
    """Per-structure fingerprints from :func:`fingerprints`.

    ``structure`` (n, 61): :func:`structure_fingerprint` rows; ``composition`` (n, 132):
    :func:`composition_fingerprint` rows (unscaled); ``ok`` (n,) bool: both computed and
    finite. Rows of failed structures are NaN.
    """

    structure: np.ndarray
    composition: np.ndarray
    ok: np.ndarray


def structure_is_valid(
    structure: Structure, min_distance: float = 0.5, min_volume: float = 0.1
) -> bool:
    """True if every interatomic distance, periodic images included, is at least
    ``min_distance`` (Å) and the cell volume is at least ``min_volume`` (Å³).

    An atom closer than ``min_distance`` to its own image (a lattice vector shorter than
    ``min_distance``), a structure without sites, or non-finite coordinates are invalid.
    Distances are minimum-image distances in the LLL-reduced cell (27 images), so the cost is
    bounded even for the degenerate cells an untrained generator makes.
    """
    if len(structure) == 0:
        return False
    if not (
        np.isfinite(structure.lattice.matrix).all() and np.isfinite(structure.frac_coords).all()
    ):
        return False
    if not structure.volume >= min_volume:
        return False
    reduced = structure.lattice.get_lll_reduced_lattice()
    if np.linalg.norm(_NEIGHBOUR_CELLS @ reduced.matrix, axis=1).min() < min_distance:
        return False
    distances = structure.distance_matrix
    np.fill_diagonal(distances, np.inf)
    return bool(distances.min() >= min_distance)


def composition_is_valid(
    composition: Composition,
    oxidation_states: str = OXIDATION_STATES,
    max_denominator: int = 1000,
) -> bool:
    """SMACT validity of a composition, as CDVAE's ``smact_validity``.

    True for a single element and for compositions made only of metals (``smact.metals``);
    otherwise True if some combination of the elements' oxidation states is charge neutral at
    the composition's reduced integer stoichiometry and passes the Pauling electronegativity
    test (cations less electronegative than anions). As in CDVAE, the Pauling test is skipped
    (passes) when an element has no Pauling electronegativity (e.g. Pm, Rn).

    ``oxidation_states`` names the SMACT set (an ``oxidation_states_<name>`` attribute of
    :class:`smact.Element`); the default "smact14" is the set CDVAE and DiffCSP used (SMACT
    2.x's default), while SMACT 4 defaults to "icsd24". Non-integer amounts are turned into
    the smallest integer ratio after rounding each amount to a fraction with denominator at
    most ``max_denominator`` (La1.85Sr0.15CuO4 -> La37Sr3Cu20O80). Compositions with elements
    unknown to SMACT (dummy species, Z > 103) are invalid.
    """
    elements = composition.element_composition
    symbols = [element.symbol for element in elements]
    if not symbols:
        return False
    counts = _integer_counts([elements[symbol] for symbol in symbols], max_denominator)
    try:
        imbalance = charge_imbalance(symbols, counts, oxidation_states)
    except KeyError:
        return False
    return imbalance is not None and imbalance.charge == 0


def _integer_counts(amounts: Sequence[float], max_denominator: int) -> list[int]:
    """The smallest integer ratio of ``amounts`` (each first rounded to a fraction)."""
    fractions = [Fraction(amount).limit_denominator(max_denominator) for amount in amounts]
    scale = math.lcm(*(fraction.denominator for fraction in fractions))
    counts = [int(fraction * scale) for fraction in fractions]
    divisor = math.gcd(*counts)
    return [count // divisor for count in counts]


def unique_mask(
    structures: Sequence[Structure], matcher: StructureMatcher | None = None
) -> np.ndarray:
    """(n,) bool: True for the first structure of each group of matching structures.

    A structure is unique if it matches none of the earlier unique structures with the same
    reduced formula. ``matcher`` defaults to ``StructureMatcher()``; it must compare species,
    since only same-formula pairs are tried.
    """
    matcher = StructureMatcher() if matcher is None else matcher
    representatives: dict[str, list[Structure]] = defaultdict(list)
    mask = np.zeros(len(structures), dtype=bool)
    for index, structure in enumerate(structures):
        group = representatives[structure.composition.reduced_formula]
        if not any(matcher.fit(structure, other) for other in group):
            group.append(structure)
            mask[index] = True
    return mask


def novel_mask(
    structures: Sequence[Structure],
    reference: Sequence[Structure],
    matcher: StructureMatcher | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(n,) bool: True where a structure matches no reference structure.

    Only pairs with the same reduced formula are compared. ``matcher`` defaults to
    ``StructureMatcher()``; it must compare species. ``progress(1)`` after each structure.
    """
    matcher = StructureMatcher() if matcher is None else matcher
    by_formula: dict[str, list[Structure]] = defaultdict(list)
    for known in reference:
        by_formula[known.composition.reduced_formula].append(known)
    novel = np.ones(len(structures), dtype=bool)
    for index, structure in enumerate(structures):
        candidates = by_formula.get(structure.composition.reduced_formula, [])
        novel[index] = not any(matcher.fit(structure, known) for known in candidates)
        if progress is not None:
            progress(1)
    return novel


def success_rates(
    best_ln_tc: np.ndarray, training_ln_tc: np.ndarray, novel: np.ndarray | None = None
) -> dict[str, float]:
    """DiffCSP-SC success rates "sr10", "sr30" and "sr50".

    ``best_ln_tc`` holds, per seed, the ln Tc (ln K) of its best valid structure, NaN when it
    has none. SR10/SR30/SR50 is the fraction of all seeds whose value is at or above the
    90th/70th/50th percentile (linear interpolation) of ``training_ln_tc`` (ln K). With
    ``novel`` (per seed, whether its best structure is novel), non-novel seeds fail too.
    """
    best = np.asarray(best_ln_tc, dtype=float)
    training = np.asarray(training_ln_tc, dtype=float)
    if best.ndim != 1 or best.size == 0:
        raise ValueError("best_ln_tc must be a non-empty 1-D array")
    if training.size == 0 or not np.isfinite(training).all():
        raise ValueError("training_ln_tc must be non-empty and finite")
    eligible = np.ones(best.shape, dtype=bool) if novel is None else np.asarray(novel, dtype=bool)
    if eligible.shape != best.shape:
        raise ValueError("novel must have one entry per seed")
    return {
        name: float(np.mean(eligible & (best >= np.percentile(training, q))))
        for name, q in SUCCESS_PERCENTILES.items()
    }


@cache
def _site_featurizer() -> CrystalNNFingerprint:
    return CrystalNNFingerprint.from_preset("ops")


@cache
def _composition_featurizer() -> ElementProperty:
    return ElementProperty.from_preset("magpie")


def structure_fingerprint(structure: Structure) -> np.ndarray:
    """Mean over sites of the CrystalNN "ops" site fingerprint (61 values, dimensionless)."""
    featurizer = _site_featurizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = [featurizer.featurize(structure, index) for index in range(len(structure))]
    return np.mean(np.asarray(sites, dtype=float), axis=0)


def composition_fingerprint(composition: Composition) -> np.ndarray:
    """Magpie element-property statistics of a composition (132 values, mixed units)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(_composition_featurizer().featurize(composition), dtype=float)


def fingerprints(
    structures: Sequence[Structure], progress: Callable[[int], None] | None = None
) -> Fingerprints:
    """Structure and composition fingerprints of each structure, computed once for reuse.

    CrystalNN takes about 0.1-1 s per structure; ``progress`` is called with 1 after each
    structure (e.g. ``tqdm.update``). A structure whose fingerprints raise or are not finite
    gets NaN rows and ``ok`` False.
    """
    n_structure = len(_site_featurizer().feature_labels())
    n_composition = len(_composition_featurizer().feature_labels())
    structure_fp = np.full((len(structures), n_structure), np.nan)
    composition_fp = np.full((len(structures), n_composition), np.nan)
    for index, structure in enumerate(structures):
        pair = _try_fingerprints(structure)
        if pair is not None:
            structure_fp[index], composition_fp[index] = pair
        if progress is not None:
            progress(1)
    ok = np.isfinite(structure_fp).all(axis=1) & np.isfinite(composition_fp).all(axis=1)
    return Fingerprints(structure_fp, composition_fp, ok)


def _try_fingerprints(structure: Structure) -> tuple[np.ndarray, np.ndarray] | None:
    """Both fingerprints of a structure, or None if a featurizer raises."""
    try:
        return structure_fingerprint(structure), composition_fingerprint(structure.composition)
    except Exception:  # any featurizer failure only excludes this structure
        return None


def coverage(
    generated: Sequence[Structure] | Fingerprints,
    reference: Sequence[Structure] | Fingerprints,
    structure_cutoff: float = 0.4,
    composition_cutoff: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, float]:
    """CDVAE coverage: "recall", "precision", and "generated_failed", "reference_failed".

    Pass valid structures only, or their precomputed :func:`fingerprints`. Distances are
    Euclidean between structure fingerprints and between composition fingerprints standardized
    with the mean and standard deviation (ddof=0; 1 where zero) of the reference set. A
    structure is covered when its nearest structure fingerprint on the other side is within
    ``structure_cutoff`` and its nearest composition fingerprint within ``composition_cutoff``
    (the two nearest neighbours may differ, as in CDVAE). Recall is the covered fraction of the
    reference structures whose fingerprints succeeded; precision is the covered fraction of all
    generated structures (failures count as not covered, as CDVAE). The "_failed" entries count
    fingerprint failures. ``progress`` is passed to :func:`fingerprints`.
    """
    generated_fp = _as_fingerprints(generated, progress)
    reference_fp = _as_fingerprints(reference, progress)
    if len(generated_fp.ok) == 0 or not reference_fp.ok.any():
        raise ValueError("coverage needs generated structures and fingerprinted references")
    reference_composition = reference_fp.composition[reference_fp.ok]
    mean = reference_composition.mean(axis=0)
    std = reference_composition.std(axis=0)
    std[std == 0] = 1.0
    structure_distance = cdist(
        generated_fp.structure[generated_fp.ok], reference_fp.structure[reference_fp.ok]
    )
    composition_distance = cdist(
        (generated_fp.composition[generated_fp.ok] - mean) / std,
        (reference_composition - mean) / std,
    )
    recalled = _covered(
        structure_distance, composition_distance, 0, structure_cutoff, composition_cutoff
    )
    precise = _covered(
        structure_distance, composition_distance, 1, structure_cutoff, composition_cutoff
    )
    return {
        "recall": float(recalled.mean()),
        "precision": float(precise.sum() / len(generated_fp.ok)),
        "generated_failed": float((~generated_fp.ok).sum()),
        "reference_failed": float((~reference_fp.ok).sum()),
    }


def _as_fingerprints(
    items: Sequence[Structure] | Fingerprints, progress: Callable[[int], None] | None
) -> Fingerprints:
    return items if isinstance(items, Fingerprints) else fingerprints(items, progress)


def _covered(
    structure_distance: np.ndarray,
    composition_distance: np.ndarray,
    axis: int,
    structure_cutoff: float,
    composition_cutoff: float,
) -> np.ndarray:
    """Whether the nearest neighbour along ``axis`` is within both cutoffs (none: not covered)."""
    nearest_structure = np.min(structure_distance, axis=axis, initial=np.inf)
    nearest_composition = np.min(composition_distance, axis=axis, initial=np.inf)
    return (nearest_structure <= structure_cutoff) & (nearest_composition <= composition_cutoff)


def density_wasserstein(generated: Sequence[Structure], reference: Sequence[Structure]) -> float:
    """Wasserstein distance between the density distributions (g/cm³)."""
    return float(
        wasserstein_distance(
            [structure.density for structure in generated],
            [structure.density for structure in reference],
        )
    )


def num_elements_wasserstein(
    generated: Sequence[Structure | Composition], reference: Sequence[Structure | Composition]
) -> float:
    """Wasserstein distance between the distributions of the number of distinct elements."""
    return float(
        wasserstein_distance(
            [_num_elements(item) for item in generated], [_num_elements(item) for item in reference]
        )
    )


def _num_elements(item: Structure | Composition) -> int:
    composition = item.composition if isinstance(item, Structure) else item
    return len(composition.element_composition)

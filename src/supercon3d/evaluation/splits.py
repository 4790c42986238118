"""Cross-validation splits that keep related materials apart: chemical-system-grouped k folds
and leave-one-family-out folds. Pure functions from a list of compositions (or group labels)
to one fold index per entry.

Grouped folds: every entry of one chemical system (its element set, e.g. ``B-Mg``) lands in
the same fold, so a doping series or a family of polymorphs is never split between training
and test. Groups are shuffled with ``numpy.random.default_rng(seed)``, stably sorted by size
(largest first) and each is given to the fold that has the fewest entries so far (lowest
index on ties). Fold sizes then differ by at most the size of the largest group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pymatgen.core import Composition

GROUPED_SEED = 42
CLASSIFIER_FOLDS = 5
"""Chemical-system-grouped folds of the P(superconductor) classifier's cross-validation."""


def chemical_system(composition: Composition) -> str:
    """The element set of a composition as a sorted, dash-joined string (e.g. ``B-Mg``);
    hydrogen isotopes count as H."""
    return "-".join(sorted(str(el) for el in composition.element_composition.elements))


HOST_MIN_FRACTION = 0.05
"""Atomic fraction above which an element belongs to a composition's host system."""


def host_system(composition: Composition, min_fraction: float = HOST_MIN_FRACTION) -> str:
    """The elements above ``min_fraction`` of the atoms, sorted and dash-joined: the host that
    dopants and substituents at a few per cent are made in (La1.85Sr0.15CuO4 and La2CuO4 both
    ``Cu-La-O``); hydrogen isotopes count as H. A stricter grouping than
    :func:`chemical_system`, which gives every dopant its own group."""
    fractions = composition.element_composition.fractional_composition
    return "-".join(sorted(str(el) for el, x in fractions.items() if x > min_fraction))


def grouped_folds(groups: Sequence[str], n_folds: int, seed: int = GROUPED_SEED) -> np.ndarray:
    """Fold index (0 … n_folds − 1) per entry, keeping all entries of one group in one fold and
    balancing fold sizes (see the module docstring)."""
    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    sizes = Counter(groups)
    if len(sizes) < n_folds:
        raise ValueError(f"{len(sizes)} groups cannot fill {n_folds} folds")
    names = sorted(sizes)
    shuffled = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    fold_sizes = np.zeros(n_folds, dtype=int)
    fold_of_group = {}
    for name in sorted(shuffled, key=lambda g: -sizes[g]):
        fold = int(np.argmin(fold_sizes))
        fold_of_group[name] = fold
        fold_sizes[fold] += sizes[name]
    return np.array([fold_of_group[g] for g in groups], dtype=int)


def chemical_system_folds(
    compositions: Sequence[Composition], n_folds: int, seed: int = GROUPED_SEED
) -> np.ndarray:
    """:func:`grouped_folds` over the compositions' chemical systems."""
    return grouped_folds([chemical_system(c) for c in compositions], n_folds, seed)


def host_system_folds(
    compositions: Sequence[Composition], n_folds: int, seed: int = GROUPED_SEED
) -> np.ndarray:
    """:func:`grouped_folds` over the compositions' host systems (:func:`host_system`)."""
    return grouped_folds([host_system(c) for c in compositions], n_folds, seed)


def family_folds(families: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Leave-one-family-out folds: the sorted distinct families, and per entry the index of
    its family in that list (fold k tests on family k and trains on the others)."""
    names = sorted(set(families))
    index = {name: i for i, name in enumerate(names)}
    return names, np.array([index[f] for f in families], dtype=int)

"""Composition helpers: parsing formulas and comparing compositions independent of scale."""

from __future__ import annotations

import math

from pymatgen.core import Composition

CompositionKey = tuple[tuple[str, float], ...]


def parse_formula(formula: str) -> Composition | None:
    """The composition of a formula string, or None when it is not a valid formula."""
    try:
        composition = Composition(str(formula)).element_composition
    except Exception:  # pymatgen raises ValueError, KeyError, ... on bad formulas
        return None
    return composition if composition.num_atoms > 0 else None


def composition_key(composition: Composition, decimals: int = 3) -> CompositionKey:
    """A hashable key equal for compositions with the same reduced (fractional) composition.

    Oxidation states are dropped and fractions rounded to ``decimals``, so ``Ba2Cu3O7`` and
    ``Ba0.4Cu0.6O1.4`` share a key.
    """
    amounts = {str(el): float(x) for el, x in composition.element_composition.items()}
    total = math.fsum(amounts.values())  # exact sum: the key must not depend on element order
    return tuple(sorted((el, round(x / total, decimals)) for el, x in amounts.items()))

"""Doping: substitutional and vacancy variants of a structure as partially occupied
structures, scored by the disorder-aware Tc model.

    from supercon3d.doping import doped_variants
    variants = doped_variants(structure, "La2CuO4")   # list of DopedVariant
"""

from supercon3d.doping.results import DopingResult, rank_variants
from supercon3d.doping.variants import DEFAULT_FRACTIONS, DopedVariant, doped_variants

__all__ = ["DEFAULT_FRACTIONS", "DopedVariant", "DopingResult", "doped_variants", "rank_variants"]

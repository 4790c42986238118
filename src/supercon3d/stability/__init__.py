"""Stability filter: relax candidates with a machine-learned potential (CHGNet or SevenNet-0)
and compute their energy above a convex hull built with the same potential.

    from supercon3d.stability import assess_stability
    records = assess_stability([structure], ["candidate"])
    records[0].e_above_hull   # eV/atom
"""

from supercon3d.stability.assess import StabilityRecord, assess_stability
from supercon3d.stability.potentials import (
    DEFAULT_POTENTIAL,
    POTENTIALS,
    PotentialUnavailableError,
)
from supercon3d.stability.relax import DEFAULT_MAX_STEPS

__all__ = [
    "DEFAULT_MAX_STEPS",
    "DEFAULT_POTENTIAL",
    "POTENTIALS",
    "PotentialUnavailableError",
    "StabilityRecord",
    "assess_stability",
]

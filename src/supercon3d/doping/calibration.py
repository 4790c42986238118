"""The predicted ΔTc of a doped variant: the shipped Tc model's answer, made comparable and
shrunk toward what doping usually does.

Two corrections, neither retraining the model:

1. **Dilute reference.** The model scores an ordered parent and a partially occupied variant
   through different disorder classes, whose offsets differ: ordered MgB₂ gets 31.5 K, the
   same cell with 0.5 % Al on Mg 36.7 K, and every Al or Li variant of MgB₂ looked like a
   gain. The model's ΔTc is therefore taken against the *dilute twin* of each variant, the
   same substitution (or vacancy) at :data:`DILUTE_FRACTION` — partially occupied like the
   variant, with a composition change below the model's resolution — so that only what the
   dopant changes is left.
2. **Prior.** Doping an optimally doped or stoichiometric parent most often lowers its Tc:
   in the SuperCon formula table's doping series (``supercon_formulas/supercon_11949.csv``,
   pairs by :mod:`~supercon3d.doping.series`, whole-number parents) Tc falls by a median
   :data:`PRIOR_SLOPE` of itself per unit dopant share. The prior ΔTc is
   −PRIOR_SLOPE · x · Tc_parent (the parent's predicted Tc, K) and is added to the model's
   dilute-referenced ΔTc. The slope was fitted with every series of the doping benchmark's
   SuperCon3D pairs left out (their parents' and relatives' formulas), so the benchmark
   (``benchmarks/doping_hit_rate.py``, which refits and prints it) measures it held out.
"""

from __future__ import annotations

import os
import statistics
from typing import TYPE_CHECKING

from pymatgen.core import Structure

if TYPE_CHECKING:
    from supercon3d.doping.series import Relation
    from supercon3d.doping.variants import DopedVariant
    from supercon3d.screening.prediction import TcPrediction

DILUTE_FRACTION = 0.005
"""Dopant share (or vacant share) of the dilute twin: half the smallest proposed fraction,
above the disorder taxonomy's occupancy tolerance (1e-3) so that the twin is partially
occupied."""
PRIOR_SLOPE = 1.078
"""Median relative Tc loss per unit dopant share, −ΔTc / (x · Tc_parent), over the 1,287
doping pairs of the SuperCon formula table outside the benchmark's series (refit by
``python benchmarks/doping_hit_rate.py``)."""


def dilute_twin(variant: DopedVariant) -> Structure:
    """``variant``'s structure with its substitution or vacancy at :data:`DILUTE_FRACTION`
    of the host sites instead of ``variant.fraction`` (each host site's original occupancy
    recovered from the variant's)."""
    species = []
    for site in variant.structure:
        amounts: dict[str, float] = {}
        for sp, amount in site.species.items():
            symbol = getattr(sp, "symbol", str(sp))
            amounts[symbol] = amounts.get(symbol, 0.0) + float(amount)
        if variant.host in amounts:
            if variant.dopant is None:
                original = amounts[variant.host] / (1 - variant.fraction)
            else:
                original = amounts[variant.host] + amounts.pop(variant.dopant, 0.0)
            amounts[variant.host] = original * (1 - DILUTE_FRACTION)
            if variant.dopant is not None:
                amounts[variant.dopant] = original * DILUTE_FRACTION
        species.append({symbol: amount for symbol, amount in amounts.items() if amount > 0})
    structure = variant.structure
    return Structure(structure.lattice, species, structure.frac_coords)


def prior_delta(fraction: float, parent_tc: float) -> float:
    """The prior ΔTc (K) of doping a share ``fraction`` into a parent of Tc ``parent_tc`` (K)."""
    return -PRIOR_SLOPE * fraction * parent_tc


def calibrated_delta(variant_tc: float, twin_tc: float, parent_tc: float, fraction: float) -> float:
    """The predicted ΔTc (K): the model's Tc of the variant minus that of its dilute twin,
    plus the prior (module docstring)."""
    return variant_tc - twin_tc + prior_delta(fraction, parent_tc)


def fit_prior_slope(relations: list[Relation], tc: dict[str, float]) -> float:
    """The median of −ΔTc / (x · Tc_parent) over ``relations`` (``tc`` in K by parent)."""
    return statistics.median(
        -relation.delta_tc_data / (relation.fraction * tc[relation.parent])
        for relation in relations
    )


def prior_fit_relations(
    data: str | os.PathLike | None = None,
) -> tuple[list[Relation], dict[str, float], set[str]]:
    """The formula-table doping pairs the prior is fitted on, their Tc (K) by formula, and
    the reduced formulas left out: those of every SuperCon3D benchmark pair's parent and
    relative."""
    from pymatgen.core import Composition

    from supercon3d.data.supercon3d import read_tc_table
    from supercon3d.doping.series import formula_table_relations, supercon3d_relations

    table = read_tc_table(data)
    excluded = {
        Composition(table.loc[name, "cf"]).reduced_formula
        for relation in supercon3d_relations(data)
        for name in (relation.parent, relation.relative)
    }
    relations, tc = formula_table_relations(excluded, data)
    return relations, tc, excluded


def predicted_deltas(
    variants: list[DopedVariant], predictions: list[TcPrediction], parent: TcPrediction
) -> list[tuple[float, float] | None]:
    """Per variant, (calibrated ΔTc, the model's own ΔTc against the parent) in K, or None
    when the variant, its dilute twin or the parent has no prediction. The twins (one per
    host and dopant) are scored with the shipped model
    (:func:`supercon3d.screening.inputs.predict_inputs`)."""
    from supercon3d.screening.inputs import predict_inputs

    if parent.error is not None or parent.tc_kelvin is None:
        return [None] * len(variants)
    twins: dict[tuple[str, str | None], int] = {}
    structures, names = [], []
    for variant in variants:
        key = (variant.host, variant.dopant)
        if key not in twins:
            twins[key] = len(structures)
            structures.append(dilute_twin(variant))
            names.append(f"{variant.name}__dilute")
    scored = predict_inputs(structures, names=names) if structures else []
    deltas: list[tuple[float, float] | None] = []
    for variant, prediction in zip(variants, predictions):
        twin = scored[twins[(variant.host, variant.dopant)]]
        if prediction.error is not None or twin.error is not None:
            deltas.append(None)
            continue
        calibrated = calibrated_delta(
            prediction.tc_kelvin, twin.tc_kelvin, parent.tc_kelvin, variant.fraction
        )
        deltas.append((calibrated, prediction.tc_kelvin - parent.tc_kelvin))
    return deltas

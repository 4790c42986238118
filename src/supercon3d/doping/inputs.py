"""Doped variants of mixed inputs (CIF files, folders, pymatgen Structures), scored by the
Tc model and ranked per parent; optionally their stability."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from supercon3d.data.inputs import StructureInput, input_stem, read_structures
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.data.inputs import ReadStructure
    from supercon3d.doping.results import DopingResult
    from supercon3d.screening.prediction import TcPrediction

DEFAULT_TOP = 10
"""Variants kept per parent, by predicted ΔTc."""


def dope_inputs(
    inputs: StructureInput | Iterable[StructureInput],
    *,
    top: int | None = DEFAULT_TOP,
    fractions: Sequence[float] | None = None,
    with_stability: bool = False,
    names: Sequence[str] | None = None,
    max_dopants_per_host: int | None = None,
    potential: str | None = None,
    max_steps: int | None = None,
    progress: ProgressFactory = no_progress,
) -> list[DopingResult]:
    """Doped variants of each structure of ``inputs``: substitutions by dopants of compatible
    charge and size (a periodic-table neighbour of the host, oxidation state within one, Shannon
    radius within 30 % of the host ion's; :mod:`supercon3d.doping.dopants`) and anion
    vacancies within the redox window, at each of ``fractions`` of the host sites (default
    0.05/0.1/0.2/0.3), scored by the shipped Tc model as partially occupied structures. Per
    parent the ``top`` variants (all with None) by predicted ΔTc (K): the variant's Tc minus
    its dilute (0.5 %) twin's plus the prior −1.078 · x · Tc_parent fitted on SuperCon doping
    series (:mod:`supercon3d.doping.calibration`). ``with_stability`` relaxes the kept
    variants' ordered approximants (:func:`supercon3d.stability.inputs.assess_inputs` with
    ``potential`` and ``max_steps``). A CIF's reader warnings are kept with its rows
    (``parent_warnings``). A parent that cannot be read, that the stability step would refuse
    (:func:`supercon3d.doping.parents.parent_refusal`) or that has no plausible dopant is one
    result with its ``error``."""
    from supercon3d.doping.dopants import DEFAULT_MAX_DOPANTS_PER_HOST
    from supercon3d.doping.results import DopingResult
    from supercon3d.doping.variants import DEFAULT_FRACTIONS
    from supercon3d.screening.inputs import predict_inputs
    from supercon3d.screening.prediction import TcPrediction

    fractions = tuple(fractions) if fractions is not None else DEFAULT_FRACTIONS
    per_host = max_dopants_per_host or DEFAULT_MAX_DOPANTS_PER_HOST
    read = [_refused(item) for item in read_structures(inputs, names)]
    good = [item for item in read if item.error is None]
    parent_predictions = iter(
        predict_inputs([item.structure for item in good], names=[item.name for item in good])
    )
    results: list[DopingResult] = []
    with progress("doping", len(read)) as advance:
        for item in read:
            if item.error is not None:
                failed = TcPrediction(item.name, error=item.error, warnings=list(item.warnings))
                ranked = [DopingResult(None, None, failed, error=item.error)]
            else:
                ranked = _ranked_variants(item, next(parent_predictions), fractions, per_host, top)
            for result in ranked:
                result.parent_warnings = list(item.warnings)
            results += ranked
            advance(1)
    if with_stability:
        from supercon3d.stability.inputs import assess_inputs

        kept = [r for r in results if r.variant is not None]
        records = assess_inputs(
            [r.variant.structure for r in kept], names=[r.variant.name for r in kept],
            potential=potential, max_steps=max_steps, progress=progress,
        )  # fmt: skip
        for result, record in zip(kept, records):
            result.stability = record
    return results


def _refused(item: ReadStructure) -> ReadStructure:
    """``item``, or the same without its structure and with the one-line error of
    :func:`~supercon3d.doping.parents.parent_refusal` (the stability step's rules) when it
    cannot be doped."""
    from supercon3d.doping.parents import parent_refusal

    if item.structure is None:
        return item
    why = parent_refusal(item.structure, item.name)
    return item if why is None else replace(item, structure=None, error=why)


def _ranked_variants(
    parent: ReadStructure,
    prediction: TcPrediction,
    fractions: tuple[float, ...],
    per_host: int,
    top: int | None,
) -> list[DopingResult]:
    """The ``top`` doped variants of one readable ``parent`` (its Tc record ``prediction``)
    by predicted ΔTc (K, :func:`~supercon3d.doping.results.rank_variants`), or one result
    with the error when it has none."""
    from supercon3d.doping.results import DopingResult, rank_variants
    from supercon3d.doping.variants import doped_variants, safe_name
    from supercon3d.screening.inputs import predict_inputs

    label = safe_name(input_stem(parent.name))
    variants = doped_variants(parent.structure, label, fractions, per_host)
    if not variants:
        why = f"{parent.name}: no plausible dopant or anion vacancy for {prediction.formula}"
        return [DopingResult(None, None, prediction, error=why)]
    scored = predict_inputs([v.structure for v in variants], names=[v.name for v in variants])
    return rank_variants(variants, scored, prediction, top)

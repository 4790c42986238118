"""Stability of mixed inputs (CIF files, folders, pymatgen Structures): read, relaxed and
placed on the potential's reference hull, one record per structure in input order."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from supercon3d.data.inputs import StructureInput, read_structures
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.stability.assess import StabilityRecord


def assess_inputs(
    inputs: StructureInput | Iterable[StructureInput],
    *,
    names: Sequence[str] | None = None,
    potential: str | None = None,
    max_steps: int | None = None,
    progress: ProgressFactory = no_progress,
    workers: int | None = None,
    complete_hull: bool = True,
    completion_window: float = math.inf,
) -> list[StabilityRecord]:
    """One :class:`~supercon3d.stability.assess.StabilityRecord` per structure of ``inputs``
    (named as in :func:`supercon3d.data.inputs.named_inputs`), in order: relaxed with
    ``potential`` (default CHGNet; at most ``max_steps`` FIRE steps) and placed on its
    reference hull (energy and e_above_hull in eV/atom). Oxidation states (from a CIF that
    declares them) are removed first. An unreadable CIF gets a record with its ``error``.
    ``workers``, ``complete_hull`` and ``completion_window`` (eV/atom) as for
    :func:`~supercon3d.stability.assess.assess_stability`. Raises
    ``PotentialUnavailableError`` without the ``stability`` extra."""
    from supercon3d.stability.assess import StabilityRecord, assess_stability
    from supercon3d.stability.potentials import DEFAULT_POTENTIAL, check_potential
    from supercon3d.stability.relax import DEFAULT_MAX_STEPS

    potential = check_potential(potential or DEFAULT_POTENTIAL)
    read = read_structures(inputs, names)
    good = [item for item in read if item.error is None]
    assessed = iter(
        assess_stability(
            [item.structure.copy().remove_oxidation_states() for item in good],
            [item.name for item in good],
            potential=potential,
            max_steps=DEFAULT_MAX_STEPS if max_steps is None else max_steps,
            progress=progress,
            workers=workers,
            complete_hull=complete_hull,
            completion_window=completion_window,
        )
    )
    return [
        next(assessed)
        if item.error is None
        else StabilityRecord(item.name, error=item.error, potential=potential)
        for item in read
    ]

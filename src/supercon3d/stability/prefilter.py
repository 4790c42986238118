"""A cheap stability pre-filter: the potential's static energy of a structure as it is
(unrelaxed), placed on the same reference hull as the relaxed ones, so that a structure
hopelessly above it is not relaxed in full.

Relaxation lowers the energy, so a structure lies further above the hull before relaxation
than after, by what relaxation gains. The pre-filter drops a structure only when it lies more
than a margin above the stability window before relaxation (discover's is
:data:`~supercon3d.discovery.settings.DEFAULT_PREFILTER_MARGIN`), chosen from measurement so
that relaxation brought no measured structure from there into the stability window
(``benchmarks/prefilter_margin.py``: the energy above the hull of generated and substituted
structures before and after relaxation). The hull is not completed here:
completion only adds phases, which can only raise a structure above the hull, so leaving it
out errs towards relaxing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supercon3d.progress import ProgressFactory, no_progress
from supercon3d.stability.assess import assess_stability
from supercon3d.stability.potentials import DEFAULT_POTENTIAL

if TYPE_CHECKING:
    from pymatgen.core import Structure


@dataclass(frozen=True)
class Unrelaxed:
    """A structure's static energy (eV/atom) as given and its energy above the reference
    hull (eV/atom; None without a hull for its elements or when the energy failed, with
    ``error`` then saying why in one line)."""

    name: str
    energy_per_atom: float | None
    e_above_hull: float | None
    error: str | None = None


def unrelaxed_positions(
    structures: Sequence[Structure],
    names: Sequence[str],
    potential: str = DEFAULT_POTENTIAL,
    progress: ProgressFactory = no_progress,
    workers: int | None = None,
) -> list[Unrelaxed]:
    """The static energy of each structure (no relaxation step) and where it lies on the
    potential's reference hull (not completed), in order."""
    records = assess_stability(
        structures, names, potential, max_steps=0, progress=progress, workers=workers,
        complete_hull=False,
    )  # fmt: skip
    return [
        Unrelaxed(record.file, record.energy_per_atom, record.e_above_hull, record.error)
        for record in records
    ]


def hopeless(position: Unrelaxed, window: float) -> bool:
    """Whether ``position`` lies more than ``window`` eV/atom above the hull before
    relaxation (never for a structure without a position: the full relaxation judges it)."""
    return position.e_above_hull is not None and position.e_above_hull > window

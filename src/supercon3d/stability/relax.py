"""Relaxing one ordered structure with a potential: ASE FIRE on positions and cell
(``FrechetCellFilter``), a bounded number of steps.

A run that ends at the step limit is returned with ``converged=False`` (its energy is an upper
bound of the relaxed one); a run whose volume changes by more than
:data:`VOLUME_CHANGE_LIMIT` is flagged in ``warning``; one whose energy stops being finite or
whose cell loses more than :data:`MAX_VOLUME_LOSS` of its volume fails
(:class:`RelaxationError`).
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from pymatgen.core import Structure

from supercon3d.errors import SuperCon3DError
from supercon3d.stability.potentials import Potential

if TYPE_CHECKING:
    from ase import Atoms
    from ase.optimize.optimize import Optimizer

DEFAULT_MAX_STEPS = 100
"""FIRE steps per relaxation (positions and cell together)."""
FORCE_TOLERANCE = 0.1
"""eV/Å: converged when every force (and the cell stress times the volume per atom) is below
it. Energies are then within a few meV/atom of the minimum, well inside the 0.1 eV/atom
stability window."""
NEIGHBOUR_CUTOFF = 6.0
"""Å: an atom without a neighbour this close is isolated (CHGNet's graph cutoff), and its
energy would come from the potential's per-element offsets alone."""
MIN_INTERATOMIC_DISTANCE = 0.5
"""Å: two atoms closer than this overlap (H2, the shortest bond, is 0.74 Å). The potentials'
energies are meaningless there, and CHGNet's three-body graph of such a cell can exhaust the
memory (a SuperCon3D hydride CIF with H sites 0.005 Å apart took 24 GiB)."""
DENSITY_RADIUS = 5.0
"""Å: the radius of CHGNet's atom graph, within which neighbours are counted."""
MAX_NEIGHBOURS_PER_ATOM = 350
"""Neighbours per atom within :data:`DENSITY_RADIUS`, on average, above which a cell is
refused as denser than any known solid: the densest SuperCon3D structures, superhydrides at
100-250 GPa, have up to 285 (BeH2 261), a metal at ambient pressure 40-80. A generated
Sc-Be-H cell with 417 (1.2 Å³/atom) took CHGNet's three-body graph 2.5 GiB and minutes per
relaxation step."""
STATIC_BATCH = 16
"""Structures per CHGNet call in :func:`static_energies`."""
VOLUME_CHANGE_LIMIT = 0.3
"""A relative volume change beyond ±30 % is flagged as a collapse (or blow-up)."""
MAX_VOLUME_LOSS = 0.5
"""A relaxation whose cell loses more than this share of its volume is stopped as failed:
the cell is unphysical, and each step of a collapsing cell costs more (a generated cell
collapsing under CHGNet grew to 10 GiB and ran for 20 minutes on one core)."""


class RelaxationError(SuperCon3DError, ValueError):
    """The potential gave no finite energy for a structure; one line."""


@dataclass
class Relaxation:
    """A relaxed structure, its energy (eV/atom), whether the forces fell below
    :data:`FORCE_TOLERANCE`, the FIRE steps taken, the relative volume change and a warning
    (volume collapse) or None."""

    structure: Structure
    energy_per_atom: float
    converged: bool
    steps: int
    volume_change: float
    warning: str | None = None


def isolated_atoms(structure: Structure) -> int:
    """How many atoms have no neighbour within :data:`NEIGHBOUR_CUTOFF`."""
    centres = structure.get_neighbor_list(r=NEIGHBOUR_CUTOFF, exclude_self=True)[0]
    return len(structure) - len(set(centres.tolist()))


def neighbours_per_atom(structure: Structure) -> float:
    """Mean number of neighbours per atom within :data:`DENSITY_RADIUS` (images included)."""
    centres = structure.get_neighbor_list(r=DENSITY_RADIUS, exclude_self=True)[0]
    return len(centres) / len(structure)


def overlapping_atoms(structure: Structure) -> tuple[int, int, float] | None:
    """The first pair of atoms (site indices, distance in Å) closer than
    :data:`MIN_INTERATOMIC_DISTANCE`, periodic images included; None when there is none."""
    centres, neighbours, _, distances = structure.get_neighbor_list(
        r=MIN_INTERATOMIC_DISTANCE, exclude_self=True
    )
    if not len(centres):
        return None
    first = int(distances.argmin())
    return int(centres[first]), int(neighbours[first]), float(distances[first])


def static_energy_per_atom(structure: Structure, potential: Potential) -> float:
    """The energy (eV/atom) of ``structure`` as it is, without relaxing."""
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = potential.calculator
    energy = float(atoms.get_potential_energy()) / len(atoms)
    if not math.isfinite(energy):
        raise RelaxationError(f"the {potential.name} energy is not finite")
    return energy


def _stop_on_collapse(
    atoms: Atoms, start_volume: float, optimizer: Optimizer, max_loss: float
) -> None:
    """Raise :class:`RelaxationError` once the cell has lost over ``max_loss`` of
    ``start_volume`` (Å³); called after every optimizer step."""
    loss = 1.0 - atoms.get_volume() / start_volume
    if loss > max_loss:
        raise RelaxationError(
            f"the cell collapsed (volume -{loss:.0%}) after {optimizer.nsteps} steps; stopped"
        )


def relax(
    structure: Structure,
    potential: Potential,
    max_steps: int = DEFAULT_MAX_STEPS,
    relax_cell: bool = True,
    max_volume_loss: float = MAX_VOLUME_LOSS,
) -> Relaxation:
    """Relax an ordered ``structure`` (positions, and the cell with ``relax_cell``) with at
    most ``max_steps`` FIRE steps; ``max_steps=0`` gives the static energy. A cell losing
    more than ``max_volume_loss`` of its volume stops the run (:class:`RelaxationError`)."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = potential.calculator
    volume = atoms.get_volume()
    converged = False
    steps = 0
    if max_steps > 0:
        with contextlib.redirect_stdout(io.StringIO()):
            optimizer = FIRE(FrechetCellFilter(atoms) if relax_cell else atoms, logfile=None)
            optimizer.attach(partial(_stop_on_collapse, atoms, volume, optimizer, max_volume_loss))
            converged = bool(optimizer.run(fmax=FORCE_TOLERANCE, steps=max_steps))
        steps = int(optimizer.nsteps)
    energy = float(atoms.get_potential_energy()) / len(atoms)
    if not math.isfinite(energy):
        raise RelaxationError(f"the {potential.name} energy diverged during relaxation")
    change = atoms.get_volume() / volume - 1.0
    warning = None
    if abs(change) > VOLUME_CHANGE_LIMIT:
        what = "collapsed" if change < 0 else "expanded"
        warning = f"volume {what} by {abs(change):.0%} during relaxation"
    relaxed = AseAtomsAdaptor.get_structure(atoms)
    return Relaxation(relaxed, energy, converged, steps, float(change), warning)


def static_energies(structures: list[Structure], potential: Potential) -> list[float]:
    """Energies (eV/atom) of ``structures`` as they are: CHGNet in batches without forces,
    other potentials one by one through their calculator."""
    if potential.name != "chgnet":
        return [static_energy_per_atom(structure, potential) for structure in structures]
    predictions = potential.calculator.model.predict_structure(
        structures, task="e", batch_size=STATIC_BATCH
    )
    if isinstance(predictions, dict):
        predictions = [predictions]
    return [float(prediction["e"]) for prediction in predictions]

"""Stability of candidate structures: relax each with a potential and place it on the
reference hull of the same potential (:mod:`supercon3d.stability.hull`), completed with
prototype binaries for the pairs of elements it lacks where that can change the verdict
(:mod:`supercon3d.stability.completion`). The relaxations run in worker processes, the
placing on the hull here.

A disordered structure is scored through its ordered approximants
(:mod:`supercon3d.stability.approximants`): each ordering's static energy is computed, the
lowest is relaxed. A structure that fails (an element the potential was not trained on, an
energy that diverges) gets a record with ``error`` and the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supercon3d.executor import Executor, make_executor
from supercon3d.progress import ProgressFactory, no_progress
from supercon3d.stability.potentials import DEFAULT_POTENTIAL
from supercon3d.stability.relax import DEFAULT_MAX_STEPS

if TYPE_CHECKING:
    from pymatgen.core import Structure

    from supercon3d.stability.hull import HullPosition, ReferenceHull
    from supercon3d.stability.potentials import Potential

MIN_RELAXATIONS_PER_WORKER = 3
"""Fewest relaxations worth starting a worker process for: its imports and the potential's
loading take about 8 s (torch 5 s, CHGNet 3 s), one relaxation of a 20-atom cell 4–10 s."""


@dataclass
class StabilityRecord:
    """One structure's stability: ``energy_per_atom`` (eV/atom, relaxed with ``potential``),
    ``e_above_hull`` (eV/atom; None without a hull for its system), ``hull_incomplete``
    (see :mod:`supercon3d.stability.hull`), whether it was ``relaxed`` and ``converged``
    within the step limit, ``steps`` taken, ``volume_change`` (relative), a ``warning``
    (volume collapse, approximant used) and ``error`` (one line) when it failed.
    ``structure`` is the relaxed structure symmetrised at
    :data:`~supercon3d.chemistry.symmetry.SYMPREC` (not serialized; its energy is the
    relaxed one's). A chemist's checks (:mod:`supercon3d.chemistry`): ``space_group`` and
    ``space_group_number`` of the symmetrised relaxed structure (of the structure as given
    when it is disordered; None when not relaxed or spglib finds none), ``molecular`` (of
    the relaxed structure, else of the one given), ``charge_balanced`` with its
    ``charge_kind`` and ``n_elements`` (of the composition; None when the structure could
    not be read)."""

    file: str
    formula: str | None = None
    energy_per_atom: float | None = None
    e_above_hull: float | None = None
    hull_incomplete: bool = True
    relaxed: bool = False
    converged: bool = False
    error: str | None = None
    volume_change: float | None = None
    steps: int = 0
    potential: str = DEFAULT_POTENTIAL
    warnings: list[str] = field(default_factory=list)
    space_group: str | None = None
    space_group_number: int | None = None
    charge_balanced: bool | None = None
    charge_kind: str | None = None
    n_elements: int | None = None
    molecular: bool | None = None
    structure: Structure | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        """The JSON record (every field but ``structure``)."""
        return {
            "file": self.file,
            "formula": self.formula,
            "energy_per_atom": self.energy_per_atom,
            "e_above_hull": self.e_above_hull,
            "hull_incomplete": self.hull_incomplete,
            "relaxed": self.relaxed,
            "converged": self.converged,
            "error": self.error,
            "volume_change": self.volume_change,
            "steps": self.steps,
            "potential": self.potential,
            "warnings": list(self.warnings),
            "space_group": self.space_group,
            "space_group_number": self.space_group_number,
            "charge_balanced": self.charge_balanced,
            "charge_kind": self.charge_kind,
            "n_elements": self.n_elements,
            "molecular": self.molecular,
        }


def _chemistry(record: StabilityRecord, structure: Structure) -> None:
    """Fill the chemist's checks of ``record`` from ``structure`` (the relaxed one when
    there is one); a structure they cannot judge (a species that is no element) keeps them
    None, with a warning."""
    from supercon3d.chemistry import chemistry_profile

    try:
        profile = chemistry_profile(structure)
    except (ValueError, KeyError) as error:
        record.warnings.append(f"chemist's checks not made: {error}")
        return
    record.charge_balanced, record.charge_kind = profile.charge_balanced, profile.charge_kind
    record.n_elements, record.molecular = profile.n_elements, profile.molecular


def _unsupported_elements(structure: Structure, potential: Potential) -> list[str]:
    return sorted(
        str(element) for element in structure.composition.elements
        if element.Z not in potential.atomic_numbers
    )  # fmt: skip


def _lowest_ordering(structure: Structure, potential: Potential) -> tuple[Structure, str | None]:
    """``structure`` if ordered, else its approximant ordering of lowest static energy and a
    note saying so."""
    from supercon3d.stability.approximants import ordered_approximants
    from supercon3d.stability.relax import (
        MIN_INTERATOMIC_DISTANCE,
        RelaxationError,
        overlapping_atoms,
        static_energy_per_atom,
    )

    if structure.is_ordered:
        return structure, None
    orderings = [s for s in ordered_approximants(structure) if overlapping_atoms(s) is None]
    if not orderings:
        raise RelaxationError(
            f"every ordered approximant puts atoms closer than {MIN_INTERATOMIC_DISTANCE:g} Å"
        )
    energies = [static_energy_per_atom(ordering, potential) for ordering in orderings]
    best = orderings[energies.index(min(energies))]
    note = (
        f"disordered: scored as the lowest of {len(orderings)} random orderings "
        f"({best.composition.reduced_formula}, {len(best)} sites)"
    )
    return best, note


def relax_one(
    structure: Structure, name: str, potential: Potential, max_steps: int
) -> StabilityRecord:
    """The stability record of one structure, relaxed (then symmetrised) but not yet placed
    on the hull (errors recorded, not raised)."""
    from supercon3d.chemistry import symmetrise
    from supercon3d.stability.relax import (
        DENSITY_RADIUS,
        MAX_NEIGHBOURS_PER_ATOM,
        NEIGHBOUR_CUTOFF,
        RelaxationError,
        isolated_atoms,
        neighbours_per_atom,
        overlapping_atoms,
        relax,
    )

    structure = structure.copy()
    structure.remove_oxidation_states()  # the potential and the hull work on elements
    record = StabilityRecord(name, structure.composition.reduced_formula, potential=potential.name)
    _chemistry(record, structure)
    outside = _unsupported_elements(structure, potential)
    if outside:
        record.error = (
            f"{name}: element {', '.join(outside)} outside the {potential.name} training set"
        )
        return record
    overlap = overlapping_atoms(structure) if structure.is_ordered else None
    if overlap is not None:
        first, second, distance = overlap
        record.error = (
            f"{name}: sites {first} and {second} are {distance:.3f} Å apart (overlapping "
            f"atoms); the {potential.name} energy would be meaningless"
        )
        return record
    crowding = neighbours_per_atom(structure)
    if crowding > MAX_NEIGHBOURS_PER_ATOM:
        record.error = (
            f"{name}: {crowding:.0f} neighbours per atom within {DENSITY_RADIUS:g} Å, denser "
            f"than any known solid (at most {MAX_NEIGHBOURS_PER_ATOM}); not relaxed"
        )
        return record
    isolated = isolated_atoms(structure)
    if isolated:
        record.error = (
            f"{name}: {isolated} atom(s) without a neighbour within {NEIGHBOUR_CUTOFF:g} Å; "
            f"the {potential.name} energy would be meaningless"
        )
        return record
    try:
        ordered, note = _lowest_ordering(structure, potential)
        relaxation = relax(ordered, potential, max_steps)
    except (RelaxationError, ValueError, RuntimeError) as error:
        record.error = (
            f"{name}: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
        )
        return record
    record.warnings += [text for text in (note, relaxation.warning) if text]
    record.formula = relaxation.structure.composition.reduced_formula
    record.energy_per_atom = relaxation.energy_per_atom
    record.relaxed = max_steps > 0
    record.converged = relaxation.converged
    record.steps = relaxation.steps
    record.volume_change = relaxation.volume_change
    _chemistry(record, relaxation.structure)
    symmetrised = symmetrise(relaxation.structure if structure.is_ordered else structure)
    record.space_group = symmetrised.space_group
    record.space_group_number = symmetrised.space_group_number
    record.structure = symmetrised.structure if structure.is_ordered else relaxation.structure
    return record


def _position(record: StabilityRecord, hull: ReferenceHull) -> HullPosition | None:
    """Where a relaxed ``record`` lies on ``hull`` (None when it was not relaxed); raises
    :class:`~supercon3d.stability.hull.HullUnavailableError` for an element the hull lacks."""
    if record.structure is None or record.energy_per_atom is None:
        return None
    return hull.position(record.structure.composition, record.energy_per_atom)


def place_on_hull(record: StabilityRecord, hull: ReferenceHull) -> None:
    """Fill ``e_above_hull`` and ``hull_incomplete`` of a relaxed ``record``; a system with
    an element the hull lacks gets a warning instead."""
    from supercon3d.stability.hull import HullUnavailableError

    try:
        position = _position(record, hull)
    except HullUnavailableError as error:
        record.warnings.append(str(error))
        return
    if position is not None:
        record.e_above_hull = position.e_above_hull
        record.hull_incomplete = position.hull_incomplete


def _worth_completing(record: StabilityRecord, hull: ReferenceHull, window: float) -> bool:
    """Whether ``record`` lies on an incomplete part of ``hull`` within ``window`` eV/atom
    of it (completing can only raise its e_above_hull, so one above the window stays so)."""
    from supercon3d.stability.hull import HullUnavailableError

    try:
        position = _position(record, hull)
    except HullUnavailableError:
        return False
    return position is not None and position.hull_incomplete and position.e_above_hull <= window


def _relax_task(task: tuple[Structure, str, str, int]) -> StabilityRecord:
    """:func:`relax_one` of one ``(structure, name, potential name, max_steps)`` task, with
    the potential loaded once per process and run on one thread."""
    from supercon3d.stability.potentials import load_potential, potential_threads

    structure, name, potential, max_steps = task
    try:
        with potential_threads():
            return relax_one(structure, name, load_potential(potential), max_steps)
    except Exception as error:  # one structure's failure is its own row's, not the run's
        return StabilityRecord(name, potential=potential, error=f"{name}: {_one_line(error)}")


def _one_line(error: BaseException) -> str:
    """The first line of ``error``'s message, with its type."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


def _not_relaxed(task: tuple[Structure, str, str, int], error: BaseException) -> StabilityRecord:
    """The record of a task the worker processes stopped before finishing."""
    _, name, potential, _ = task
    return StabilityRecord(
        name, potential=potential, error=f"{name}: not relaxed ({_one_line(error)})"
    )


def assess_stability(
    structures: Sequence[Structure],
    names: Sequence[str],
    *,
    potential: str = DEFAULT_POTENTIAL,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: ProgressFactory = no_progress,
    workers: int | None = None,
    complete_hull: bool = True,
    completion_window: float = math.inf,
) -> list[StabilityRecord]:
    """One :class:`StabilityRecord` per structure, in order: relaxed with ``potential``
    (at most ``max_steps`` FIRE steps) and placed on that potential's reference hull. With
    ``complete_hull``, the relaxed structures that lie within ``completion_window`` eV/atom
    of an incomplete part of the hull get it completed before they are placed: prototype
    binaries relaxed for the element pairs it lacks (cached; see
    :mod:`supercon3d.stability.completion`). A stability filter passes its window: a
    structure above it cannot come back, since added phases only raise its energy above
    the hull. ``workers``:
    relaxations run at once, each in its own process on one thread (default: all cores;
    fewer when there are under :data:`MIN_RELAXATIONS_PER_WORKER` each). Raises only when
    the potential itself is unavailable (:class:`PotentialUnavailableError`): a structure
    that fails, the worker processes stopping (each structure not relaxed then gets an
    ``error``), a hull that cannot be completed or a record that cannot be placed on it
    (a warning on the records concerned) fail their own records, never the run."""
    from supercon3d.stability.hull import HullUnavailableError, reference_hull
    from supercon3d.stability.potentials import check_potential

    if len(structures) != len(names):
        raise ValueError(f"{len(names)} names for {len(structures)} structures")
    check_potential(potential)
    hull: ReferenceHull | None = None
    unavailable = ""
    try:
        hull = reference_hull(potential)
    except HullUnavailableError as error:
        unavailable = str(error)
    tasks = [(structure, name, potential, max_steps) for structure, name in zip(structures, names)]
    records: list[StabilityRecord] = []
    with make_executor(workers, len(tasks), MIN_RELAXATIONS_PER_WORKER) as executor:
        with progress(f"relaxing ({potential})", len(tasks)) as advance:
            try:
                for record in executor.map(_relax_task, tasks, chunksize=1):
                    records.append(record)
                    advance(1)
            except BrokenExecutor as error:  # a worker killed (out of memory, a crash)
                records += [_not_relaxed(task, error) for task in tasks[len(records) :]]
        if hull is not None and complete_hull:
            hull = _completed(hull, records, potential, executor, progress, completion_window)
    for record in records:
        if hull is None:
            if record.structure is not None:
                record.warnings.append(unavailable)
            continue
        try:
            place_on_hull(record, hull)
        except Exception as error:  # the hull's failure for this record only
            record.warnings.append(f"not placed on the hull ({_one_line(error)})")
    return records


def _completed(
    hull: ReferenceHull,
    records: list[StabilityRecord],
    potential: str,
    executor: Executor,
    progress: ProgressFactory,
    window: float,
) -> ReferenceHull:
    """``hull`` completed for the systems of the ``records`` within ``window`` eV/atom of an
    incomplete part of it (:func:`assess_stability`); when the completion fails, ``hull`` as
    it was, with a warning on each of those records (they stay ``hull_incomplete``)."""
    from supercon3d.stability import completion
    from supercon3d.stability.hull import chemical_system

    waiting = [record for record in records if _worth_completing(record, hull, window)]
    systems = {chemical_system(record.structure.composition) for record in waiting}
    pairs = completion.missing_pairs(hull, systems)
    if not pairs:
        return hull
    try:
        return completion.complete_hull(pairs, potential, executor, progress)
    except Exception as error:  # the records that needed it keep the incomplete hull
        for record in waiting:
            record.warnings.append(f"hull not completed ({_one_line(error)})")
        return hull

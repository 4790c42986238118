"""Completing the reference hull for the chemical systems at hand.

The reference table covers 2,398 of the 3,486 pairs among its 84 elements; a generated
candidate often joins two elements that meet in no compound of it (in the first default
discover run, 60 of 85 valid candidates), and its hull was then incomplete. For each such
pair, :func:`complete_hull` relaxes the ten binary prototypes of
:func:`~supercon3d.stability.prototypes.binary_prototypes` with the same potential and adds
the lowest energy of each of the five formulas to a table: for the default potential,
``scripts/stability_binaries.py`` did so once for every missing pair and the result ships
(:func:`~supercon3d.stability.hull.shipped_binaries_path`); a pair still missing at run time
(another potential) goes to the cache table
(:func:`~supercon3d.stability.hull.binaries_path`), so it is relaxed once per machine.
All ten are relaxed: choosing one per formula by its static energy often misses the relaxed
minimum by tenths of an eV/atom (the hexagonal cells start far from their best c/a;
``benchmarks/hull_completion.py`` measures it). A pair whose every prototype fails stays
missing (its systems stay ``hull_incomplete``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from supercon3d.executor import Executor
from supercon3d.progress import ProgressFactory, no_progress
from supercon3d.stability.hull import (
    ReferenceHull,
    binaries_path,
    lowest_entries,
    readable_table,
    reference_hull,
    write_reference_table,
)

PROTOTYPE_MAX_STEPS = 100
"""FIRE steps per prototype relaxation (2–4 atom cells: about 1 s each on one core)."""
PROTOTYPE_SOURCE = "prototype-{}-{}"
"""Source id of a prototype row: its prototype name and reduced formula."""


def missing_pairs(hull: ReferenceHull, systems: Iterable[frozenset[str]]) -> list[tuple[str, str]]:
    """The pairs of elements (alphabetical, each once) of ``systems`` that meet in no compound
    of ``hull``; pairs with an element the hull has no elemental reference for are left out
    (nothing can complete them)."""
    found: set[tuple[str, str]] = set()
    for system in systems:
        found.update(
            (first, second) for first, second in hull.missing_pairs(system)
            if hull.has_element(first) and hull.has_element(second)
        )  # fmt: skip
    return sorted(found)


def _relax_pair(task: tuple[str, str, str, int]) -> list[tuple[str, float, str]]:
    """The binary prototypes of one ``(first, second, potential, max_steps)`` pair, each
    relaxed: (formula, energy in eV/atom, source id) of the lowest of each formula. A
    prototype whose relaxation fails is left out; one denser than
    :data:`~supercon3d.stability.relax.MAX_NEIGHBOURS_PER_ATOM` is not tried."""
    from supercon3d.stability.potentials import load_potential, potential_threads
    from supercon3d.stability.prototypes import binary_prototypes
    from supercon3d.stability.relax import (
        MAX_NEIGHBOURS_PER_ATOM,
        RelaxationError,
        neighbours_per_atom,
        relax,
    )

    first, second, potential, max_steps = task
    lowest: dict[str, tuple[float, str]] = {}
    with potential_threads():
        loaded = load_potential(potential)
        for name, cell in binary_prototypes(first, second).items():
            if neighbours_per_atom(cell) > MAX_NEIGHBOURS_PER_ATOM:
                continue
            try:
                energy = relax(cell, loaded, max_steps).energy_per_atom
            except (RelaxationError, ValueError, RuntimeError):
                continue
            formula = cell.composition.reduced_formula
            if formula not in lowest or energy < lowest[formula][0]:
                lowest[formula] = (energy, PROTOTYPE_SOURCE.format(name, formula))
    return [(formula, energy, source) for formula, (energy, source) in sorted(lowest.items())]


def complete_hull(
    pairs: list[tuple[str, str]],
    potential: str,
    executor: Executor,
    progress: ProgressFactory = no_progress,
    max_steps: int = PROTOTYPE_MAX_STEPS,
    table_path: Path | None = None,
) -> ReferenceHull:
    """The reference hull of ``potential`` with the element ``pairs`` (from
    :func:`missing_pairs`) covered: their prototype binaries relaxed on ``executor`` (one task
    a pair, ten relaxations of at most ``max_steps`` FIRE steps) and added to the table at
    ``table_path`` (the cache table when not given) as each pair finishes (a run stopped
    halfway keeps the pairs done). A table that cannot be written (a read-only cache) is
    warned of once; the binaries still complete this hull."""
    path = table_path or binaries_path(potential)
    table = readable_table(path)
    caching = True
    tasks = [(first, second, potential, max_steps) for first, second in pairs]
    with progress(f"completing the hull ({len(pairs)} element pairs)", len(pairs)) as advance:
        for rows in executor.map(_relax_pair, tasks, chunksize=1):
            found = {formula: (energy, source) for formula, energy, source in rows}
            table = lowest_entries(table, found)
            if caching:
                caching = _cache_table(path, table)
            advance(1)
    completed = reference_hull(potential)
    return completed if caching else ReferenceHull(lowest_entries(completed.entries, table))


def _cache_table(path: Path, table: dict[str, tuple[float, str]]) -> bool:
    """Write ``table`` to ``path``; False, with a warning, when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_reference_table(path, [(f, e, source) for f, (e, source) in table.items()])
    except OSError as error:
        warnings.warn(
            f"{path}: cannot be written ({error.strerror or error}); the hull is completed "
            "for this run only, the binaries are computed again next time",
            stacklevel=3,
        )
        return False
    return True

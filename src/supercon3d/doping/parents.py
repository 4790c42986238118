"""Parents that doping refuses: the structures the stability step refuses before relaxing
(:func:`supercon3d.stability.assess.relax_one`), judged with the same rules and thresholds of
:mod:`supercon3d.stability.relax`, so that ``dope`` and ``stability`` agree on what is a
crystal: ordered atoms closer than ``MIN_INTERATOMIC_DISTANCE`` (0.5 Å), more neighbours per
atom than any known solid, or an atom without a neighbour within ``NEIGHBOUR_CUTOFF``.
Partially occupied sites closer than 0.5 Å are positional disorder and pass, as in the input
contract. The potential's element coverage is not a property of the crystal and is left to
``--stability``.
"""

from __future__ import annotations

from pymatgen.core import Structure


def parent_refusal(structure: Structure, name: str) -> str | None:
    """One line naming ``name`` and why it cannot be doped, or None when it can."""
    from supercon3d.stability.relax import (
        DENSITY_RADIUS,
        MAX_NEIGHBOURS_PER_ATOM,
        NEIGHBOUR_CUTOFF,
        isolated_atoms,
        neighbours_per_atom,
        overlapping_atoms,
    )

    overlap = overlapping_atoms(structure) if structure.is_ordered else None
    if overlap is not None:
        first, second, distance = overlap
        return (
            f"{name}: sites {first} and {second} are {distance:.3f} Å apart (overlapping "
            f"atoms); not doped"
        )
    crowding = neighbours_per_atom(structure)
    if crowding > MAX_NEIGHBOURS_PER_ATOM:
        return (
            f"{name}: {crowding:.0f} neighbours per atom within {DENSITY_RADIUS:g} Å, denser "
            f"than any known solid (at most {MAX_NEIGHBOURS_PER_ATOM}); not doped"
        )
    isolated = isolated_atoms(structure)
    if isolated:
        return (
            f"{name}: {isolated} atom(s) without a neighbour within {NEIGHBOUR_CUTOFF:g} Å; "
            f"not doped"
        )
    return None

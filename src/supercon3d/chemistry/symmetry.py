"""The space group of a structure and its symmetrised form, with spglib (through pymatgen's
``SpacegroupAnalyzer``) at :data:`SYMPREC` and :data:`ANGLE_TOLERANCE`.

A relaxation that stops at a force tolerance leaves atoms a few hundredths of an ångström
off their symmetric positions, so spglib at a tight tolerance calls most relaxed cells P1;
0.1 Å (the tolerance Materials Project uses to symmetrise) finds the group a chemist would
name. Symmetrising an ordered structure returns spglib's refined cell: the conventional
standard cell of that group with the atoms on their ideal positions (a face-centred cell
holds four times the primitive's atoms). A disordered structure gets its space group only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

SYMPREC = 0.1
"""Å: largest displacement of an atom from its symmetric position that spglib forgives."""
ANGLE_TOLERANCE = 5.0
"""Degrees: the same for the cell's angles."""


@dataclass(frozen=True)
class Symmetrised:
    """A structure symmetrised at :data:`SYMPREC`, with its space group's Hermann-Mauguin
    ``space_group`` symbol and ``space_group_number`` (1-230); both None when spglib finds
    no symmetry (the structure is then returned as it was)."""

    structure: Structure
    space_group: str | None
    space_group_number: int | None


def _analyzer(structure: Structure) -> SpacegroupAnalyzer | None:
    try:
        analyzer = SpacegroupAnalyzer(structure, symprec=SYMPREC, angle_tolerance=ANGLE_TOLERANCE)
        analyzer.get_space_group_number()
    except Exception:  # spglib and pymatgen raise several types; all mean "no symmetry found"
        return None
    return analyzer


def space_group(structure: Structure) -> tuple[str | None, int | None]:
    """(symbol, number) of the space group of ``structure`` at :data:`SYMPREC`; (None,
    None) when spglib finds none."""
    analyzer = _analyzer(structure)
    if analyzer is None:
        return None, None
    return analyzer.get_space_group_symbol(), analyzer.get_space_group_number()


def symmetrise(structure: Structure) -> Symmetrised:
    """``structure`` symmetrised (module docstring); a disordered one, or one whose refined
    cell would change its composition, is kept as it is, with its space group."""
    analyzer = _analyzer(structure)
    if analyzer is None:
        return Symmetrised(structure, None, None)
    symbol, number = analyzer.get_space_group_symbol(), analyzer.get_space_group_number()
    if not structure.is_ordered:
        return Symmetrised(structure, symbol, number)
    refined = analyzer.get_refined_structure()
    if refined.composition.reduced_composition != structure.composition.reduced_composition:
        return Symmetrised(structure, symbol, number)
    return Symmetrised(refined, symbol, number)

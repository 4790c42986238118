"""Space-group templates of crystal cells: the space group, its operations in the cell's own
basis and the Wyckoff orbits of the atoms, from spglib.

A template fixes which coordinates of a cell are free: each orbit has a representative atom
whose fractional coordinates may move only inside the subspace its site-symmetry group fixes
(the projector ``P`` = mean of the site-symmetry rotations), and every other atom of the orbit
is the image of the representative under one operation (its coset operation). The metric
tensor G = L Lᵀ of the lattice (Å²) must satisfy Wᵀ G W = G for every rotation W of the group.
Species are not part of a template: generation puts one species on each orbit.

Templates of the generator's corpus (:class:`TemplateLibrary`) are drawn with the frequency
with which their key (space-group number and sorted Wyckoff letters) occurs there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import spglib
import torch
from pymatgen.core import Structure

from supercon3d.errors import SuperCon3DError

TEMPLATE_SYMPREC = 0.1
"""spglib tolerance (Å) for the symmetry of a template's source cell, as the corpus uses."""
CHECK_SYMPREC = 1e-3
"""spglib tolerance (Å) at which a generated structure must show its template's symmetry."""
SYMMETRIZED_TOLERANCE = 1e-6
"""Largest residual (fractional) of a symmetrized position under its site-symmetry group."""
P1 = 1
MERGE_DISTANCE = 0.5
"""Atoms of one orbit closer than this (Å) are merged onto their special position: the
distance under which a structure counts as invalid."""
DUPLICATE_DISTANCE = 1e-3
"""Atoms of one orbit closer than this (Å) after merging are one atom."""


class TemplateError(SuperCon3DError, ValueError):
    """A structure whose symmetry cannot be made into a template (named in the message)."""


@dataclass(frozen=True)
class Orbit:
    """One Wyckoff orbit of a cell: ``atoms`` (indices; the first is the representative),
    ``wyckoff`` letter, ``projector`` (3, 3) onto the representative's free fractional
    displacements and, per atom, the coset operation x -> W x + w (``coset_rotations`` (m, 3,
    3) integer, ``coset_translations`` (m, 3) fractional) that maps the representative onto it."""

    atoms: tuple[int, ...]
    wyckoff: str
    projector: np.ndarray
    coset_rotations: np.ndarray
    coset_translations: np.ndarray

    @property
    def representative(self) -> int:
        return self.atoms[0]

    @property
    def free_coordinates(self) -> int:
        """Free fractional coordinates of the orbit (0 for a fixed position such as 1a)."""
        return round(float(np.trace(self.projector)))


@dataclass(frozen=True)
class SymmetryTemplate:
    """A space group in a cell's basis and the orbits of that cell's atoms.

    ``rotations`` (K, 3, 3) integer and ``translations`` (K, 3) fractional: the operations
    x -> W x + w of the group in the cell's basis; ``frac`` (N, 3): the source cell's
    positions, symmetrized (exactly fixed by the operations); ``lattice`` (3, 3) Å: its
    lattice, with a symmetrized metric; ``atomic_numbers`` (N,): the source's species (for
    reference only)."""

    space_group: int
    rotations: np.ndarray
    translations: np.ndarray
    orbits: tuple[Orbit, ...]
    frac: np.ndarray
    lattice: np.ndarray
    atomic_numbers: np.ndarray

    @property
    def num_atoms(self) -> int:
        return len(self.frac)

    @property
    def point_group(self) -> np.ndarray:
        """(R, 3, 3) the distinct rotations: the point group in the cell's basis."""
        return np.unique(self.rotations, axis=0)

    @property
    def wyckoff_letters(self) -> str:
        """The orbits' Wyckoff letters, sorted (``"add"`` for MgB2)."""
        return "".join(sorted(orbit.wyckoff for orbit in self.orbits))

    @property
    def key(self) -> tuple[int, str]:
        """(space-group number, sorted Wyckoff letters): templates with equal keys count as
        one when drawing."""
        return self.space_group, self.wyckoff_letters

    def orbit_of_atoms(self) -> np.ndarray:
        """(N,) the orbit index of every atom."""
        index = np.empty(self.num_atoms, dtype=np.int64)
        for number, orbit in enumerate(self.orbits):
            index[list(orbit.atoms)] = number
        return index


def wrap(delta: np.ndarray) -> np.ndarray:
    """Fractional differences wrapped into [-0.5, 0.5)."""
    return delta - np.floor(delta + 0.5)


def symmetrized_metric(lattice: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """G' = mean over rotations W of Wᵀ G W, with G = L Lᵀ (Å²): the nearest metric that the
    group leaves invariant."""
    metric = lattice @ lattice.T
    return np.mean([w.T @ metric @ w for w in rotations.astype(float)], axis=0)


def lattice_with_metric(lattice: np.ndarray, metric: np.ndarray) -> np.ndarray:
    """The lattice (rows: vectors, Å) with metric tensor ``metric`` obtained from ``lattice``
    by the lower-triangular map C' C⁻¹ of the two Cholesky factors (orientation kept)."""
    current = np.linalg.cholesky(lattice @ lattice.T)
    wanted = np.linalg.cholesky(metric)
    return wanted @ np.linalg.solve(current, lattice)


def _orbit(
    atoms: list[int],
    frac: np.ndarray,
    lattice: np.ndarray,
    rotations: np.ndarray,
    translations: np.ndarray,
    wyckoff: str,
    name: str,
) -> tuple[Orbit, np.ndarray]:
    """An orbit and its atoms' symmetrized positions (m, 3)."""
    representative = frac[atoms[0]]
    images = np.einsum("kij,j->ki", rotations, representative) + translations
    stabiliser_size = len(rotations) // len(atoms)
    offsets = wrap(images - representative)
    distances = np.linalg.norm(offsets @ lattice, axis=1)
    stabiliser = np.argsort(distances, kind="stable")[:stabiliser_size]
    if distances[stabiliser].max() > 2 * TEMPLATE_SYMPREC:
        raise TemplateError(f"{name}: the site symmetry of atom {atoms[0]} is inconsistent")
    fixed = representative + offsets[stabiliser].mean(axis=0)
    fixed_images = np.einsum("kij,j->ki", rotations[stabiliser], fixed) + translations[stabiliser]
    residual = np.abs(wrap(fixed_images - fixed)).max()
    if residual > SYMMETRIZED_TOLERANCE:
        raise TemplateError(f"{name}: could not symmetrize atom {atoms[0]} ({residual:.2g})")
    projector = rotations[stabiliser].astype(float).mean(axis=0)
    cosets = []
    for atom in atoms:
        offsets = wrap(images - frac[atom])
        cosets.append(int(np.argmin(np.linalg.norm(offsets @ lattice, axis=1))))
    coset_rotations = rotations[cosets].astype(np.int64)
    coset_translations = translations[cosets]
    positions = np.mod(np.einsum("kij,j->ki", coset_rotations, fixed) + coset_translations, 1.0)
    orbit = Orbit(tuple(atoms), wyckoff, projector, coset_rotations, coset_translations)
    return orbit, positions


def p1_template(structure: Structure) -> SymmetryTemplate:
    """The template of space group P1: every atom its own orbit, all coordinates free."""
    identity = np.eye(3, dtype=np.int64)
    orbits = tuple(
        Orbit((i,), "a", np.eye(3), identity[None], np.zeros((1, 3))) for i in range(len(structure))
    )
    return SymmetryTemplate(
        P1,
        identity[None],
        np.zeros((1, 3)),
        orbits,
        np.mod(structure.frac_coords, 1.0),
        structure.lattice.matrix.copy(),
        np.array(structure.atomic_numbers),
    )


def template_from_structure(
    structure: Structure, symprec: float = TEMPLATE_SYMPREC, name: str = "structure"
) -> SymmetryTemplate:
    """The template of an ordered structure in its own cell and atom order (spglib at
    ``symprec`` Å). Raises :class:`TemplateError` naming ``name`` when spglib finds no
    symmetry or the orbits are inconsistent."""
    lattice = structure.lattice.matrix
    frac = np.mod(structure.frac_coords, 1.0)
    cell = (lattice, frac, structure.atomic_numbers)
    dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if dataset is None:
        raise TemplateError(f"{name}: spglib found no symmetry at {symprec} Å")
    rotations = np.asarray(dataset.rotations, dtype=np.int64)
    translations = np.asarray(dataset.translations, dtype=float)
    equivalent = np.asarray(dataset.equivalent_atoms)
    orbits, positions = [], np.empty_like(frac)
    for representative in dict.fromkeys(equivalent.tolist()):
        atoms = [representative, *(i for i in np.flatnonzero(equivalent == representative)
                                   if i != representative)]  # fmt: skip
        orbit, symmetric = _orbit(
            atoms, frac, lattice, rotations, translations, dataset.wyckoffs[representative], name
        )
        orbits.append(orbit)
        positions[atoms] = symmetric
    metric = symmetrized_metric(lattice, np.unique(rotations, axis=0))
    return SymmetryTemplate(
        int(dataset.number),
        rotations,
        translations,
        tuple(orbits),
        positions,
        lattice_with_metric(lattice, metric),
        np.array(structure.atomic_numbers),
    )


def generator_cell(structure: Structure, symprec: float = TEMPLATE_SYMPREC) -> Structure:
    """The cell the generator works in: the primitive cell (spglib at ``symprec``),
    Niggli-reduced, as the corpus and :func:`~supercon3d.generation.crystal.crystal_data`
    make it."""
    from supercon3d.generation.corpus import primitive_cell

    primitive, _ = primitive_cell(structure, symprec)
    return primitive.get_reduced_structure()


def template_from_cif(path: str | os.PathLike, max_atoms: int) -> SymmetryTemplate:
    """The template of a CIF's structure in its Niggli-reduced primitive cell. Raises
    :class:`TemplateError` naming the file when it cannot be read, is disordered or its
    primitive cell holds more than ``max_atoms`` atoms."""
    from supercon3d.data.cif import CifReadError, read_cif

    try:
        structure = read_cif(path).structure
    except CifReadError as error:
        raise TemplateError(str(error)) from error
    if not structure.is_ordered:
        raise TemplateError(f"{path}: a template needs an ordered structure")
    cell = generator_cell(structure)
    if len(cell) > max_atoms:
        raise TemplateError(
            f"{path}: its primitive cell has {len(cell)} atoms, more than the generator's "
            f"{max_atoms}"
        )
    return template_from_structure(cell, name=str(path))


def symmetry_holds(
    structure: Structure, template: SymmetryTemplate, tolerance: float = CHECK_SYMPREC
) -> bool:
    """Whether every operation of ``template`` maps ``structure`` (in the template's cell
    basis) onto itself, species kept, within ``tolerance`` Å."""
    frac = np.mod(structure.frac_coords, 1.0)
    z = np.array(structure.atomic_numbers)
    lattice = structure.lattice.matrix
    for rotation, translation in zip(template.rotations.astype(float), template.translations):
        images = frac @ rotation.T + translation
        offsets = wrap(images[:, None, :] - frac[None, :, :])
        distances = np.linalg.norm(offsets @ lattice, axis=-1)
        distances[z[:, None] != z[None, :]] = np.inf
        if distances.min(axis=1).max() > tolerance:
            return False
    return True


def symmetry_outcome(
    structure: Structure, template: SymmetryTemplate, tolerance: float = CHECK_SYMPREC
) -> str:
    """``"exact"``: spglib at ``tolerance`` Å finds the template's space group;
    ``"supergroup"``: the template's operations hold and spglib finds a larger group;
    ``"lower"``: an operation of the template does not hold."""
    if not symmetry_holds(structure, template, tolerance):
        return "lower"
    cell = (structure.lattice.matrix, structure.frac_coords, structure.atomic_numbers)
    dataset = spglib.get_symmetry_dataset(cell, symprec=tolerance)
    if dataset is not None and int(dataset.number) == template.space_group:
        return "exact"
    return "supergroup"


def merge_collapsed_orbits(
    structure: Structure, template: SymmetryTemplate, min_distance: float = MERGE_DISTANCE
) -> Structure:
    """``structure`` (in ``template``'s cell and atom order) with every orbit whose atoms
    came closer than ``min_distance`` Å to each other moved onto the special position they
    approach (the mean over the operations that keep the representative that close) and its
    coinciding atoms merged into one: the sampler can drive a free parameter onto a special
    position, where the orbit's atoms fall on top of each other. An orbit whose near
    operations fix no common point (a cell shorter than ``min_distance``) is left as is."""
    frac = np.mod(structure.frac_coords, 1.0)
    lattice = structure.lattice.matrix
    rotations = template.rotations.astype(float)
    positions, species = [], []
    for orbit in template.orbits:
        representative = frac[orbit.representative]
        images = np.einsum("kij,j->ki", rotations, representative) + template.translations
        offsets = wrap(images - representative)
        near = np.linalg.norm(offsets @ lattice, axis=1) < min_distance
        if near.sum() > len(rotations) // len(orbit.atoms):
            special = representative + offsets[near].mean(axis=0)
            moved = np.einsum("kij,j->ki", rotations[near], special) + template.translations[near]
            if np.abs(wrap(moved - special)).max() < SYMMETRIZED_TOLERANCE:  # a true site group
                representative = special
        orbit_positions = (
            np.einsum("kij,j->ki", orbit.coset_rotations, representative) + orbit.coset_translations
        )
        kept: list[np.ndarray] = []
        for position in np.mod(orbit_positions, 1.0):
            gaps = [np.linalg.norm(wrap(position - other) @ lattice) for other in kept]
            if not gaps or min(gaps) > DUPLICATE_DISTANCE:
                kept.append(position)
        positions += kept
        species += [structure[orbit.representative].species] * len(kept)
    return Structure(structure.lattice, species, np.array(positions))


class TemplateLibrary:
    """The templates of a set of cells, drawn as often as their keys occur. Templates are
    made when first drawn (spglib takes about 5 ms a cell), and the space groups of all
    cells only when a draw is restricted to one."""

    def __init__(self, structures: Sequence[Structure]):
        self.structures = list(structures)
        self._templates: dict[int, SymmetryTemplate] = {}
        self._space_groups: list[int] | None = None

    @classmethod
    def from_structures(cls, structures: Sequence[Structure]) -> TemplateLibrary:
        """A library of the cells of ``structures`` (the generator's corpus cells)."""
        return cls(structures)

    def template(self, index: int) -> SymmetryTemplate:
        """The template of cell ``index`` in its Niggli-reduced form (as the denoiser saw
        it); P1 where spglib reads no symmetry."""
        if index not in self._templates:
            cell = self.structures[index].get_reduced_structure()
            try:
                self._templates[index] = template_from_structure(cell, name=f"cell {index}")
            except TemplateError:
                self._templates[index] = p1_template(cell)
        return self._templates[index]

    def counts(self) -> Counter:
        """How often each key occurs (makes every template)."""
        return Counter(self.template(i).key for i in range(len(self.structures)))

    def space_groups(self) -> list[int]:
        """The space-group number of each cell (spglib at :data:`TEMPLATE_SYMPREC`; 0 where
        it finds none)."""
        if self._space_groups is None:
            self._space_groups = [_space_group_number(s) for s in self.structures]
        return self._space_groups

    def draw(
        self, n: int, generator: torch.Generator | None, space_group: int | None = None
    ) -> list[SymmetryTemplate]:
        """``n`` templates drawn with replacement, each cell equally likely (so each key as
        often as it occurs), among the cells of ``space_group`` if given. Raises
        :class:`TemplateError` when no cell has that space group."""
        pool = list(range(len(self.structures)))
        if space_group is not None:
            pool = [i for i, number in enumerate(self.space_groups()) if number == space_group]
            if not pool:
                groups = len(set(self.space_groups()))
                raise TemplateError(
                    f"no template of space group {space_group} in the corpus "
                    f"({groups} groups occur; give one with --template)"
                )
        picks = torch.randint(len(pool), (n,), generator=generator).tolist()
        return [self.template(pool[i]) for i in picks]


def _space_group_number(structure: Structure) -> int:
    cell = (structure.lattice.matrix, structure.frac_coords, structure.atomic_numbers)
    dataset = spglib.get_symmetry_dataset(cell, symprec=TEMPLATE_SYMPREC)
    return 0 if dataset is None else int(dataset.number)

"""The input contract: what the structure reader accepts, refuses and warns about.

Every command reads CIFs through :func:`supercon3d.data.cif.read_cif`, which applies these
rules in three steps:

- :func:`check_cif_block` on the CIF's own data, before pymatgen builds anything: the cell
  parameters, every atom-site row (element symbol, occupancy, coordinates) and the work the
  symmetry expansion will take;
- :func:`check_parsed_structure` on what pymatgen made of it: no atom-site row dropped, read as
  another element or merged past a full position, no space group silently replaced by P1;
- :func:`check_structure` on the structure itself (also usable on an in-memory structure):
  cell, size, positions, elements, occupancies, volume per atom and interatomic distances.

Structures that do not come from a CIF (a frame of a file ``ase.io`` reads, a Structure given
to the Python API) meet :func:`check_structure` too, and the raw arrays of an ASE frame meet
:func:`check_atoms_arrays` before a structure is built from them. The bytes of every input
are read under the file rule (:mod:`supercon3d.data.files`).

A broken rule raises :class:`InputRefused`, one line naming the source and the rule. What was
changed on reading, or is doubtful but readable, comes back as warnings, which ``strict``
turns into refusals (:func:`refuse_warnings`). ``docs/input_contract.md`` is the table users
rely on; the thresholds below were measured against the 1,578 SuperCon3D CIFs, all of which
are accepted (five with warnings, see that table).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Element, Lattice, Structure
from pymatgen.core.periodic_table import DummySpecies
from pymatgen.io.cif import str2float
from pymatgen.symmetry.groups import SpaceGroup

from supercon3d.data.refusals import (
    RULE_BLOCKS,
    RULE_CELL,
    RULE_COORDINATES,
    RULE_ELEMENT,
    RULE_OCCUPANCY,
    RULE_POSITIONS,
    RULE_SITES,
    RULE_SIZE,
    RULE_STRICT,
    RULE_SYMMETRY,
    RULE_VOLUME,
    InputRefused,
)
from supercon3d.data.refusals import RULE_FILE as RULE_FILE  # re-exported
from supercon3d.data.refusals import CifReadError as CifReadError  # re-exported

MAX_SITES = 2_000
"""Most sites in a cell, atom-site rows before the symmetry expansion and sites after it
(SuperCon3D: at most 552)."""
MAX_SYMMETRY_IMAGES = 5_000
"""Most atom-site rows times symmetry operations. pymatgen compares every image with the
positions kept so far, so its time grows with the square of this: 9 s at the limit on a busy
2-core machine, 80 s at 20,000 (``benchmarks/contract_memory.py``; SuperCon3D: at most 576)."""
MAX_SPACE_GROUP_OPERATIONS = 192
"""Operations of the largest space groups (F m -3 m with its centring): the count assumed for
a named space group that pymatgen's table does not hold."""
MAX_FRACTIONAL_COORDINATE = 10.0
"""Largest absolute fractional coordinate accepted: a position ten cells away is a typing
error, and one of 1e30 wraps to 0 with no digits left."""
MIN_CELL_EXTENT_ANGSTROM = 1.0
"""Shortest lattice vector (Å): below it every atom overlaps its own periodic image
(SuperCon3D: 1.70 Å at least)."""
MAX_CELL_LENGTH_ANGSTROM = 1_000.0
"""Longest cell edge (Å): protein crystals reach a few hundred Å, SuperCon3D 58 Å; longer
edges would also take the lattice reduction out of floating-point range."""
VOLUME_PER_ATOM_REFUSED = (0.1, 5_000.0)
"""Volume per atom (Å³/atom, atoms counted by occupancy) outside which a cell is refused."""
VOLUME_PER_ATOM_WARNED = (1.0, 500.0)
"""Volume per atom (Å³/atom) outside which a cell is accepted with a warning. Solids lie
between about 5 and 70; compressed superhydrides go down to 1.9 (SuperCon3D: Hf1H10) and
Li1P2H14, whose cell holds the atoms of three, has 0.22."""
MIN_DISTANCE_ANGSTROM = 0.5
"""Two sites closer than this (Å) whose occupancies add up to more than ``1 +
OCCUPANCY_TOLERANCE`` cannot both be there: warned, not refused, because five SuperCon3D
entries have such pairs (duplicated metal sites 0.005 Å apart in Hf1H10 and Zr1H10, 0.09 to
0.23 Å in 195012, Li1P2H14 and 151637), while H-H distances in the hydrides start at 0.72 Å.
Partially occupied sites closer than this are positional disorder and pass. pymatgen's
``Structure.is_valid`` uses the same 0.5 Å."""
OCCUPANCY_TOLERANCE = 0.05
"""How far above 1 one species' occupancy, or a site's total in a structure, may go before it
is refused (a refined occupancy of 1.02(3) is rescaled to 1 with a warning)."""
MAX_POSITION_OCCUPANCY = 1.5
"""Most atoms the atom-site rows at one position may add up to. Up to it pymatgen rescales
them to 1, with a warning, and the disorder taxonomy calls a position above ``1 +
OVERFULL_TOLERANCE`` interstitial (Nb 1 + Ti 0.3); two full atoms at one position (Mg 1 + B 1,
or one atom listed twice) are refused."""
MAX_ATOMIC_NUMBER = 103
"""Heaviest element the element tables of the crystal graphs hold (Lr); anything heavier is
not an element the software knows."""
MAX_MODELLED_ATOMIC_NUMBER = 94
"""Heaviest element the shipped models describe (Pu): the structural ensemble embeds elements
with CHGNet's pretrained atom embedding, which holds H to Pu (the Magpie data of the
composition models covers H to Lr). Am to Lr are refused rather than scored with an empty
element vector."""
SITE_MATCH_TOLERANCE = 1e-3
"""Fractional distance within which an atom-site row is looked up among the parsed sites
(pymatgen merges positions closer than 1e-4)."""
DISTANCE_ROWS = 256
"""Sites whose distances to all others are computed at once (bounds that array's memory)."""

BENIGN_NOTES = (
    "fractional coordinates rounded to ideal values",
    "Skipping relative stoichiometry check",
    "Cannot determine chemical composition from CIF",
    "Spacegroup from",
    "holds no atom sites",
)
"""Warnings that ``strict`` lets pass: pymatgen rounding 0.3333 to 1/3, using the space-group
symbol for the operations or skipping (or failing to run) its formula check, and a data block
with no atoms."""

CELL_LENGTHS = ("_cell_length_a", "_cell_length_b", "_cell_length_c")
CELL_ANGLES = ("_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma")
SYMMETRY_OPERATION_KEYS = (
    "_symmetry_equiv_pos_as_xyz",
    "_symmetry_equiv_pos_as_xyz_",
    "_space_group_symop_operation_xyz",
    "_space_group_symop_operation_xyz_",
)
SPACE_GROUP_KEYS = (
    "_symmetry_space_group_name_H-M",
    "_symmetry_space_group_name_H_M",
    "_space_group_name_H-M_alt",
    "_space_group_name_Hall",
    "_symmetry_space_group_name_Hall",
    "_space_group_IT_number",
    "_symmetry_Int_Tables_number",
)
"""Where a CIF names its space group (pymatgen reads these and their variants)."""
P1_NAMES = ("P1", "1")
NO_SYMMETRY_NOTE = "Defaulting to P1"
"""pymatgen's words when it found no symmetry and read the CIF as P1."""
_UNKNOWN_VALUES = ("?", ".")
_OPERATION = re.compile(r"[-+*/.\d\sxyzXYZ]+(,[-+*/.\d\sxyzXYZ]+){2}")
"""A symmetry operation such as ``-x+1/2, y, z``: pymatgen reads ``x, y, q`` as ``x, y, 0``."""
_SYMBOL = re.compile(r"([A-Z][a-z]?)(?![a-z])(.*)", re.DOTALL)


class NoAtomSites(InputRefused):
    """A data block without an atom-site loop (a publication or global block)."""

    def __init__(self, source: str):
        super().__init__(source, RULE_SITES, "no atom sites (_atom_site_label loop)")

    def __reduce__(self) -> tuple:
        return type(self), (self.source,)


@dataclass(frozen=True)
class AtomSite:
    """One row of a CIF's atom-site loop as the CIF states it."""

    label: str
    element: str
    occupancy: float
    fractional: tuple[float, float, float]


def _column(block: dict, key: str) -> list[str] | None:
    """A CIF item as a list of its values (one for an item outside a loop); None if absent."""
    value = block.get(key)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _number(text: str) -> float | None:
    """A CIF number without its uncertainty (``0.25(3)`` is 0.25); None for ``?``, ``.`` or
    anything else that is not a number (pymatgen reads ``.`` as 0)."""
    if text.strip() in _UNKNOWN_VALUES:
        return None
    try:
        return str2float(text)
    except (ValueError, TypeError):
        return None


def element_of(symbol: str) -> str | None:
    """The element a CIF type symbol or label names (``Cu2+``, ``O1a``, ``Nb``), or None when it
    names none or not only one: ``NH3``, ``OH``, ``Wat``, ``CU1`` or ``cu``, which pymatgen reads
    as nihonium, nothing, oxygen and copper."""
    match = _SYMBOL.fullmatch(symbol.strip())
    if match is None or match.group(2)[:1].isalpha():
        return None
    if not Element.is_valid_symbol(match.group(1)):
        return None
    return Element(match.group(1)).symbol


def check_element(symbol: str, z: int, where: str, source: str) -> None:
    """The element ``symbol`` (atomic number ``z``) is one the models describe: Z from 1 to
    ``MAX_MODELLED_ATOMIC_NUMBER``."""
    if z > MAX_ATOMIC_NUMBER:
        detail = f"{where}: {symbol} (Z = {z}) is beyond Z = {MAX_ATOMIC_NUMBER}"
        raise InputRefused(source, RULE_ELEMENT, detail)
    if not 1 <= z <= MAX_MODELLED_ATOMIC_NUMBER:
        raise InputRefused(
            source, RULE_ELEMENT, f"{where}: {symbol} (Z = {z}) is beyond Pu (Z = "
            f"{MAX_MODELLED_ATOMIC_NUMBER}), the heaviest element the models describe",
        )  # fmt: skip


def check_atoms_arrays(numbers: Sequence, positions: Sequence, cell: Sequence, source: str) -> None:
    """The arrays of a structure given as atomic numbers, Cartesian positions (Å) and cell (Å,
    rows are lattice vectors), before a structure is built from them: a 3 × 3 finite cell, one
    finite position of three numbers per atom, at most ``MAX_SITES`` atoms, each an element
    the models describe (:func:`check_element`)."""
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3) or not np.isfinite(cell).all():
        raise InputRefused(source, RULE_CELL, "the lattice vectors are not three finite vectors")
    if len(numbers) > MAX_SITES:
        raise InputRefused(
            source, RULE_SIZE, f"{len(numbers):,} atoms, above the limit of {MAX_SITES:,}"
        )
    if len(numbers) == 0:
        raise InputRefused(source, RULE_SITES, "no atoms")
    positions = np.asarray(positions, dtype=float)
    if positions.shape != (len(numbers), 3):
        raise InputRefused(source, RULE_POSITIONS, "not one position of three numbers per atom")
    _check_finite(positions, "Cartesian", source)
    for index, z in enumerate(numbers):
        symbol = Element.from_Z(int(z)).symbol if 1 <= int(z) <= 118 else f"Z = {int(z)}"
        check_element(symbol, int(z), f"atom {index}", source)


def _check_finite(coordinates: np.ndarray, kind: str, source: str) -> None:
    """Every coordinate of an (n, 3) array is a finite number."""
    bad = np.flatnonzero(~np.isfinite(coordinates).all(axis=1))
    if bad.size:
        value = coordinates[bad[0]].tolist()
        raise InputRefused(
            source, RULE_POSITIONS, f"site {bad[0]}: {kind} position {value} is not finite"
        )


def check_positions(structure: Structure, source: str) -> None:
    """Every site's position is finite and within ``MAX_FRACTIONAL_COORDINATE`` cells of the
    origin along each lattice vector (an atom a million Å away is a typing error, and the
    neighbour searches would span it)."""
    fractional = structure.frac_coords
    _check_finite(fractional, "fractional", source)
    far = np.abs(fractional).max(axis=1)
    if far.size and far.max() > MAX_FRACTIONAL_COORDINATE:
        index = int(far.argmax())
        raise InputRefused(
            source, RULE_POSITIONS, f"site {index}: fractional position "
            f"{np.round(fractional[index], 3).tolist()} is beyond ±"
            f"{MAX_FRACTIONAL_COORDINATE:g} cells",
        )  # fmt: skip


def check_block_names(names: Sequence[str], source: str) -> None:
    """A CIF holds at least one data block, each named once (the CIF standard's rule; pymatgen
    would keep only the last of two blocks with one name)."""
    if not names:
        raise InputRefused(source, RULE_BLOCKS, "no data_ block: not a CIF")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputRefused(source, RULE_BLOCKS, f"data block name {repeated[0]!r} used twice")


def check_lattice(lattice: Lattice, source: str) -> None:
    """Finite lattice vectors spanning a volume, none shorter than
    ``MIN_CELL_EXTENT_ANGSTROM`` or longer than ``MAX_CELL_LENGTH_ANGSTROM``. A lattice of
    volume V has a vector no longer than (√2 V)^(1/3) (Hermite's bound), so a nearly flat cell
    is refused by the same rule."""
    matrix = lattice.matrix
    if not np.isfinite(matrix).all():
        raise InputRefused(source, RULE_CELL, "the lattice vectors are not finite")
    lengths = np.linalg.norm(matrix, axis=1)
    if lengths.max() > MAX_CELL_LENGTH_ANGSTROM:
        raise InputRefused(
            source, RULE_CELL, f"a lattice vector {lengths.max():.3g} Å long, above "
            f"{MAX_CELL_LENGTH_ANGSTROM:g} Å",
        )  # fmt: skip
    volume = abs(float(np.linalg.det(matrix)))
    if not volume > 0:
        raise InputRefused(source, RULE_CELL, "the cell has no volume (coplanar vectors)")
    given = float(lengths.min())
    flat_bound = (2**0.5 * volume) ** (1 / 3)
    if given >= MIN_CELL_EXTENT_ANGSTROM and flat_bound < MIN_CELL_EXTENT_ANGSTROM:
        raise InputRefused(
            source, RULE_CELL, f"the cell is nearly flat ({volume:.3g} Å³), so it has a lattice "
            f"vector at most {flat_bound:.3g} Å long: atoms would overlap their periodic images",
        )  # fmt: skip
    shortest = given if given < MIN_CELL_EXTENT_ANGSTROM else _shortest_lattice_vector(matrix)
    if shortest < MIN_CELL_EXTENT_ANGSTROM:
        raise InputRefused(
            source, RULE_CELL, f"a lattice vector {shortest:.3g} Å long, below "
            f"{MIN_CELL_EXTENT_ANGSTROM:g} Å: every atom would overlap its own periodic image",
        )  # fmt: skip


def _shortest_lattice_vector(matrix: np.ndarray) -> float:
    """The shortest lattice vector (Å) of a cell that is not flat (a nearly singular basis
    would make the LLL reduction slow): the shortest combination of -1, 0 and 1 times the
    LLL-reduced vectors."""
    reduced = Lattice(matrix).get_lll_reduced_lattice().matrix
    steps = np.array([c for c in itertools.product((-1, 0, 1), repeat=3) if any(c)])
    return float(np.linalg.norm(steps @ reduced, axis=1).min())


def check_cell_parameters(block: dict, source: str) -> None:
    """The CIF's cell lengths are finite, positive and at most ``MAX_CELL_LENGTH_ANGSTROM``,
    its angles strictly between 0° and 180°
    and all six make a lattice (see :func:`check_lattice`); pymatgen would read a negative
    length as a flipped vector and NaN as a cell. ``a`` is required; other missing ones are
    left to pymatgen, which derives them from the crystal system or fails."""
    if CELL_LENGTHS[0] not in block:
        raise InputRefused(source, RULE_CELL, f"no cell ({CELL_LENGTHS[0]} is missing)")
    values = {}
    for key in (*CELL_LENGTHS, *CELL_ANGLES):
        texts = _column(block, key)
        if texts is None:
            continue
        name = key.removeprefix("_cell_").replace("_", " ")
        value = _number(texts[0]) if len(texts) == 1 else None
        if value is None or not math.isfinite(value):
            detail = f"cell {name} {texts[0]!r} is not a finite number"
            raise InputRefused(source, RULE_CELL, detail)
        if key in CELL_LENGTHS and not 0 < value <= MAX_CELL_LENGTH_ANGSTROM:
            raise InputRefused(
                source, RULE_CELL, f"cell {name} = {value:g} Å is not between 0 and "
                f"{MAX_CELL_LENGTH_ANGSTROM:g} Å",
            )  # fmt: skip
        if key in CELL_ANGLES and not 0 < value < 180:
            raise InputRefused(
                source, RULE_CELL, f"cell {name} = {value:g}° is not between 0° and 180°"
            )
        values[key] = value
    if len(values) == len(CELL_LENGTHS) + len(CELL_ANGLES):
        parameters = [values[key] for key in (*CELL_LENGTHS, *CELL_ANGLES)]
        check_lattice(Lattice.from_parameters(*parameters), source)


def atom_site_rows(block: dict, source: str) -> list[AtomSite]:
    """The atom-site rows as the CIF states them, each naming one known element (the type
    symbol, else the label), with a numeric occupancy in [0, 1 + ``OCCUPANCY_TOLERANCE``]
    (1 when the column is absent, as the CIF standard says) and finite fractional coordinates
    no larger than ``MAX_FRACTIONAL_COORDINATE``."""
    labels = _column(block, "_atom_site_label")
    if labels is None:
        raise NoAtomSites(source)
    coordinates = [_column(block, f"_atom_site_fract_{axis}") for axis in "xyz"]
    if any(column is None for column in coordinates):
        raise InputRefused(
            source, RULE_SITES, "no fractional coordinates (_atom_site_fract_x/y/z); "
            "Cartesian ones are not read",
        )  # fmt: skip
    symbols = _column(block, "_atom_site_type_symbol")
    occupancies = _column(block, "_atom_site_occupancy")
    columns = [labels, *coordinates, *(c for c in (symbols, occupancies) if c is not None)]
    if len({len(column) for column in columns}) > 1:
        raise InputRefused(source, RULE_SITES, "the atom-site columns differ in length")
    if len(labels) > MAX_SITES:
        raise InputRefused(
            source, RULE_SIZE, f"{len(labels):,} atom sites, above the limit of {MAX_SITES:,}"
        )
    rows = []
    for index, label in enumerate(labels):
        symbol = symbols[index] if symbols is not None else label
        where = f"atom site {label!r}"
        element = element_of(symbol)
        if element is None:
            raise InputRefused(
                source, RULE_ELEMENT, f"{where}: {symbol!r} does not name one element "
                "(give its element symbol in _atom_site_type_symbol)",
            )  # fmt: skip
        check_element(element, Element(element).Z, where, source)
        occupancy = 1.0 if occupancies is None else _occupancy(occupancies[index], where, source)
        fractional = tuple(_coordinate(c[index], axis, where, source) for c, axis in
                           zip(coordinates, "xyz"))  # fmt: skip
        rows.append(AtomSite(label, element, occupancy, fractional))
    return rows


def _occupancy(text: str, where: str, source: str) -> float:
    value = _number(text)
    if value is None or not math.isfinite(value):
        raise InputRefused(source, RULE_OCCUPANCY, f"{where}: occupancy {text!r} is not a number")
    if value < 0:
        raise InputRefused(source, RULE_OCCUPANCY, f"{where}: occupancy {value:g} is negative")
    if value > 1 + OCCUPANCY_TOLERANCE:
        raise InputRefused(
            source, RULE_OCCUPANCY,
            f"{where}: occupancy {value:g} is above 1 (+ {OCCUPANCY_TOLERANCE:g} tolerance)",
        )  # fmt: skip
    return value


def _coordinate(text: str, axis: str, where: str, source: str) -> float:
    value = _number(text)
    if value is None or not math.isfinite(value):
        raise InputRefused(source, RULE_COORDINATES, f"{where}: {axis} = {text!r} is not a number")
    if abs(value) > MAX_FRACTIONAL_COORDINATE:
        raise InputRefused(
            source, RULE_COORDINATES, f"{where}: fractional {axis} = {value:g} is beyond "
            f"±{MAX_FRACTIONAL_COORDINATE:g}",
        )  # fmt: skip
    return value


def _symmetry_operations(block: dict, source: str) -> int:
    """How many symmetry operations pymatgen will apply: those listed (each one readable), else
    those of the named space group (:func:`_named_operations`), else 1 (P1)."""
    for key in SYMMETRY_OPERATION_KEYS:
        listed = _column(block, key)
        if listed:
            unreadable = [op for op in listed if not _OPERATION.fullmatch(op.strip())]
            if unreadable:
                raise InputRefused(
                    source, RULE_SYMMETRY, f"symmetry operation {unreadable[0]!r} is not readable"
                )
            return len(listed)
    declared = declared_space_group(block)
    return 1 if declared is None else _named_operations(declared)


@functools.cache
def _space_group_symbols() -> dict[str, str]:
    """pymatgen's space-group symbols by their spelling without spaces or underscores."""
    from pymatgen.symmetry.groups import SYMM_DATA

    return {re.sub(r"[\s_]", "", symbol): symbol for symbol in SYMM_DATA["space_group_encoding"]}


def _named_operations(name: str) -> int:
    """The operations of the space group ``name`` (a symbol or number), as pymatgen makes
    them; ``MAX_SPACE_GROUP_OPERATIONS`` for one this lookup does not know (pymatgen has
    further tables, or refuses it)."""
    compact = re.sub(r"[\s_'\"]", "", name)
    if compact.upper() in P1_NAMES:
        return 1
    try:
        if compact.isdigit():
            group = SpaceGroup.from_int_number(int(compact))
        else:
            group = SpaceGroup(_space_group_symbols()[compact])
    except (KeyError, ValueError, IndexError):
        return MAX_SPACE_GROUP_OPERATIONS
    return len(group.symmetry_ops)


def declared_space_group(block: dict) -> str | None:
    """The space group a CIF names (symbol or number), if any."""
    for key in SPACE_GROUP_KEYS:
        values = _column(block, key)
        if values and values[0].strip() not in _UNKNOWN_VALUES:
            return values[0].strip()
    return None


def check_cif_block(block: dict, source: str) -> tuple[list[AtomSite], list[str]]:
    """The rules on a CIF data block (pymatgen's ``CifParser.as_dict()`` of one block) before
    a structure is built: cell parameters, atom-site rows and the symmetry expansion's size.
    Returns the rows and the warnings (rows of occupancy 0, which pymatgen drops)."""
    if "_atom_site_label" not in block:
        raise NoAtomSites(source)
    check_cell_parameters(block, source)
    rows = atom_site_rows(block, source)
    images = len(rows) * _symmetry_operations(block, source)
    if images > MAX_SYMMETRY_IMAGES:
        raise InputRefused(
            source, RULE_SIZE, f"{len(rows):,} atom sites × {images // len(rows)} symmetry "
            f"operations = {images:,} positions to compare, above {MAX_SYMMETRY_IMAGES:,}",
        )  # fmt: skip
    empty = [row.label for row in rows if row.occupancy == 0]
    if not empty:
        return rows, []
    return rows, [f"{len(empty)} atom site(s) of occupancy 0 dropped ({', '.join(empty)})"]


def check_parsed_structure(
    structure: Structure,
    block: dict,
    rows: Sequence[AtomSite],
    parser_notes: Sequence[str],
    overfull: Sequence[float],
    source: str,
) -> list[str]:
    """The rules on what pymatgen built from ``block`` (its ``parser_notes`` and the
    ``overfull`` occupancy sums it rescaled), then :func:`check_structure`. Returns the
    warnings."""
    if any(NO_SYMMETRY_NOTE in note for note in parser_notes):
        if any(_column(block, key) for key in SYMMETRY_OPERATION_KEYS):
            raise InputRefused(
                source, RULE_SYMMETRY, "the symmetry operations could not be read; reading the "
                "CIF as P1 would drop their atoms",
            )  # fmt: skip
        declared = declared_space_group(block)
        if declared is not None and re.sub(r"[\s_'\"]", "", declared).upper() not in P1_NAMES:
            raise InputRefused(
                source, RULE_SYMMETRY, f"space group {declared!r} is not recognised; reading "
                "the CIF as P1 would drop its symmetry-equivalent atoms",
            )  # fmt: skip
    notes = []
    if overfull:
        worst = max(overfull)
        if worst > MAX_POSITION_OCCUPANCY:
            raise InputRefused(
                source, RULE_OCCUPANCY, f"occupancies at one position sum to {worst:g}, above "
                f"{MAX_POSITION_OCCUPANCY:g}: that many atoms cannot share it",
            )  # fmt: skip
        notes.append(
            f"occupancies at {len(overfull)} position(s) sum to > 1 (up to {worst:.4g}): "
            "rescaled to 1"
        )
    _check_every_row_read(structure, rows, source)
    return notes + check_structure(structure, source)


def _check_every_row_read(structure: Structure, rows: Sequence[AtomSite], source: str) -> None:
    """Each atom-site row of nonzero occupancy is a site of ``structure`` holding its element,
    and ``structure`` holds no element that no row names."""
    held = [{species.symbol for species in site.species} for site in structure]
    rows = [row for row in rows if row.occupancy > 0]
    for start in range(0, len(rows), DISTANCE_ROWS):
        chunk = rows[start : start + DISTANCE_ROWS]
        offset = np.array([row.fractional for row in chunk])[:, None, :] - structure.frac_coords
        near = (np.abs(offset - np.round(offset)) < SITE_MATCH_TOLERANCE).all(axis=2)
        for row, found in zip(chunk, near):
            _check_row_read(row, set().union(*(held[i] for i in np.flatnonzero(found))), source)
    extra = set().union(*held) - {row.element for row in rows}
    if extra:
        raise InputRefused(
            source, RULE_SITES, f"{', '.join(sorted(extra))} in the read structure stands on no "
            "atom site (an implicit hydrogen?)",
        )  # fmt: skip


def _check_row_read(row: AtomSite, elements: set[str], source: str) -> None:
    """``row`` was read: its position holds ``elements``, among them its own."""
    where = f"atom site {row.label!r} ({row.element})"
    if not elements:
        raise InputRefused(source, RULE_SITES, f"{where} is missing from the read structure")
    if row.element == "H" and elements == {"O"}:
        raise InputRefused(
            source, RULE_SITES, f"{where} shares its position with O: pymatgen would drop it "
            "as an implicit hydrogen",
        )  # fmt: skip
    if row.element not in elements:
        raise InputRefused(source, RULE_SITES, f"{where} was read as {', '.join(sorted(elements))}")


def check_structure(structure: Structure, source: str) -> list[str]:
    """The rules on a structure: its lattice (:func:`check_lattice`), at most ``MAX_SITES``
    sites, finite positions within ``MAX_FRACTIONAL_COORDINATE`` cells
    (:func:`check_positions`), elements the models describe (:func:`check_element`),
    occupancies in (0, 1] per species
    and at most 1 + ``OCCUPANCY_TOLERANCE`` per site, a volume per atom within
    ``VOLUME_PER_ATOM_REFUSED``. Returns the warnings: a volume per atom outside
    ``VOLUME_PER_ATOM_WARNED``, sites closer than ``MIN_DISTANCE_ANGSTROM``."""
    check_lattice(structure.lattice, source)
    if len(structure) == 0:
        raise InputRefused(source, RULE_SITES, "no atom sites")
    if len(structure) > MAX_SITES:
        raise InputRefused(
            source, RULE_SIZE, f"{len(structure):,} sites, above the limit of {MAX_SITES:,}"
        )
    check_positions(structure, source)
    occupancy = np.array([_site_occupancy(site, index, source) for index, site in
                          enumerate(structure)])  # fmt: skip
    per_atom = structure.volume / occupancy.sum()
    low, high = VOLUME_PER_ATOM_REFUSED
    if not low <= per_atom <= high:
        raise InputRefused(
            source, RULE_VOLUME, f"{per_atom:.3g} Å³ per atom, outside {low:g} to {high:g}"
        )
    notes = []
    low, high = VOLUME_PER_ATOM_WARNED
    if not low <= per_atom <= high:
        notes.append(
            f"{per_atom:.3g} Å³ per atom, outside the {low:g} to {high:g} of solids: atoms "
            "overlap or float apart"
        )
    return notes + _close_pairs(structure, occupancy)


def _site_occupancy(site, index: int, source: str) -> float:
    """The total occupancy of a site whose species are known elements with occupancies in
    (0, 1]; refused otherwise."""
    where = f"site {index}"
    for species, amount in site.species.items():
        if isinstance(species, DummySpecies):
            raise InputRefused(source, RULE_ELEMENT, f"{where}: {species} is not an element")
        check_element(species.symbol, species.Z, where, source)
        if not 0 < amount <= 1 or not math.isfinite(amount):
            raise InputRefused(
                source, RULE_OCCUPANCY, f"{where}: occupancy {amount:g} of {species} is not in "
                "(0, 1]",
            )  # fmt: skip
    total = float(sum(site.species.values()))
    if total > 1 + OCCUPANCY_TOLERANCE:
        raise InputRefused(
            source, RULE_OCCUPANCY, f"{where}: occupancies sum to {total:g}, above 1 "
            f"(+ {OCCUPANCY_TOLERANCE:g} tolerance)",
        )  # fmt: skip
    return total


def _close_pairs(structure: Structure, occupancy: np.ndarray) -> list[str]:
    """A warning for site pairs closer than ``MIN_DISTANCE_ANGSTROM`` (minimum image) whose
    occupancies add up to more than ``1 + OCCUPANCY_TOLERANCE``, naming the closest."""
    frac = structure.frac_coords
    found, closest = 0, None
    for start in range(0, len(structure), DISTANCE_ROWS):
        distances = structure.lattice.get_all_distances(frac[start : start + DISTANCE_ROWS], frac)
        rows, others = np.nonzero(distances < MIN_DISTANCE_ANGSTROM)
        sites = rows + start
        clash = (others > sites) & (occupancy[sites] + occupancy[others] > 1 + OCCUPANCY_TOLERANCE)
        found += int(clash.sum())
        for row, other in zip(rows[clash], others[clash]):
            if closest is None or distances[row, other] < closest[0]:
                closest = (float(distances[row, other]), row + start, int(other))
    if not found:
        return []
    distance, i, j = closest
    return [
        f"{found} site pair(s) closer than {MIN_DISTANCE_ANGSTROM:g} Å with occupancies summing "
        f"above 1, so both cannot be there (closest: sites {i} {structure[i].species.formula} "
        f"and {j} {structure[j].species.formula}, {distance:.3g} Å apart)"
    ]


def refuse_warnings(source: str, warnings: Sequence[str]) -> None:
    """``strict`` reading: refuse an input with a warning other than :data:`BENIGN_NOTES`."""
    serious = [w for w in warnings if not any(note in w for note in BENIGN_NOTES)]
    if serious:
        more = f" (and {len(serious) - 1} more warnings)" if len(serious) > 1 else ""
        raise InputRefused(source, RULE_STRICT, f"{serious[0]}{more}")

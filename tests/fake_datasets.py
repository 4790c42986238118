"""A tiny data folder with the layout of the real one, for the generator's tests."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter


def fcc(element: str, a: float) -> Structure:
    """The conventional (4-atom) cell of an fcc metal with edge ``a`` (Å)."""
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), [element], [[0, 0, 0]])


def rocksalt(cation: str, anion: str, a: float) -> Structure:
    """The conventional (8-atom) rock-salt cell with edge ``a`` (Å)."""
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), [cation, anion], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def body_centred(a: float, first: str, second: str) -> Structure:
    return Structure(Lattice.cubic(a), [first, second], [[0, 0, 0], [0.5, 0.5, 0.5]])


def large_p1() -> Structure:
    """24 atoms at random positions: P1, so its primitive cell is itself."""
    coords = np.random.default_rng(0).random((24, 3))
    return Structure(Lattice.orthorhombic(7.1, 8.3, 9.7), ["Mg"] * 12 + ["O"] * 12, coords)


BROKEN_CIF = "data_broken\n_cell_length_a 3.0\nloop_\n_atom_site_label\nnot a cif at all\n"

MP = {
    "mp-1": fcc("Cu", 3.61),
    "mp-2": rocksalt("Na", "Cl", 5.64),  # duplicate of the training entry 1.cif
    "mp-3": large_p1(),
    "mp-5": Structure(Lattice.cubic(2.87), [{"Fe": 0.9}], [[0, 0, 0]]),  # vacancy
}
DSC = {
    "Cu1-MP-mp-1": fcc("Cu", 3.61),  # duplicate of mp-1
    "Nb1Ti1-MP-mp-6": Structure(Lattice.cubic(3.3), [{"Nb": 0.5, "Ti": 0.5}], [[0, 0, 0]]),
    "Nb0.5Ti0.5-MP-mp-7-synth_doped": Structure(Lattice.cubic(3.3), ["Nb"], [[0, 0, 0]]),
    "Fe1-MP-mp-13": body_centred(2.87, "Fe", "Fe"),  # same key as the validation entry
    "Mg1O1-MP-mp-1265": rocksalt("Mg", "O", 4.21),
}
SPLIT_ENTRIES = {
    "train": {
        "1.cif": (rocksalt("Na", "Cl", 5.64), 1.5),
        "2.cif": (body_centred(4.1, "Cs", "Cl"), 2.0),
    },
    "val": {"3.cif": (body_centred(2.87, "Fe", "Fe"), 0.5)},
    "test": {"4.cif": (fcc("Al", 4.05), 0.1)},
}


def write_split(path, entries: dict[str, tuple[Structure, float]]) -> None:
    rows = [
        (name, math.exp(ln_tc), ln_tc, str(CifWriter(structure)), f"mp-{i}")
        for i, (name, (structure, ln_tc)) in enumerate(entries.items())
    ]
    pd.DataFrame(rows, columns=["name", "tc", "logtc", "cif", "material_id"]).to_csv(path)


def write_fake_datasets(root: Path) -> Path:
    """Write the fake data folder (a dozen tiny structures) under ``root``."""
    for folder, structures in (("mp_structures/cifs", MP), ("3dsc_mp/cifs", DSC)):
        (root / folder).mkdir(parents=True)
        for stem, structure in structures.items():
            CifWriter(structure).write_file(root / folder / f"{stem}.cif")
    (root / "mp_structures/cifs/mp-4.cif").write_text(BROKEN_CIF)
    (root / "supercon_formulas").mkdir()
    (root / "supercon_formulas/supercon_stanev2018.csv").write_text("name,Tc\nCu1,0\nNb1Ti1,9.5\n")
    (root / "supercon3d_ordered_splits").mkdir()
    for split, entries in SPLIT_ENTRIES.items():
        write_split(root / "supercon3d_ordered_splits" / f"{split}.csv", entries)
    return root

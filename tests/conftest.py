"""Shared fixtures: a throw-away cache folder, hand-made structures, SuperCon3D loaded once.

Tests that read the data folder carry the ``data`` marker; without a data folder they are
skipped, with one line saying why (CI has the folder and runs them all)."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.settings import DataFolderError, data_dir


def data_folder_absent() -> str | None:
    """Why there is no data folder (the one-line error), or None when there is one."""
    try:
        data_dir()
    except DataFolderError as error:
        return str(error)
    return None


def pytest_report_header(config: pytest.Config) -> str:
    absent = data_folder_absent()
    return f"data folder: {data_dir()}" if absent is None else f"no data folder: {absent}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``data`` when the data folder is absent."""
    absent = data_folder_absent()
    if absent is None:
        return
    skip = pytest.mark.skip(reason=f"no data folder ({absent})")
    for item in items:
        if item.get_closest_marker("data") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test writes caches under a temporary folder, never the user's."""
    monkeypatch.setenv("SUPERCON3D_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a test module, as in a pool worker (in-process ensemble
    predictions on a busy 2-core machine run several times slower on two threads)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def supercon3d():
    """The full SuperCon3D dataset (about 6 s to load)."""
    return load_supercon3d()


def cubic(a: float, species: list, coords: list) -> Structure:
    """A cubic cell of edge ``a`` (Å); sites as pymatgen species and fractional coordinates."""
    return Structure(Lattice.cubic(a), species, coords)


@pytest.fixture
def rocksalt() -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def ybco(chain_oxygen: float = 1.0) -> Structure:
    """YBa2Cu3O7 (Pmmm, room-temperature cell): plane Cu at z = 0.355, chain Cu at 0 with two
    apical oxygens at 1.85 Å and the chain oxygens (occupancy ``chain_oxygen``) along b."""
    species = ["Y", "Ba", "Ba", "Cu", "Cu", "Cu", "O", "O", "O", "O", "O", "O", {"O": chain_oxygen}]
    coords = [
        [0.5, 0.5, 0.5], [0.5, 0.5, 0.184], [0.5, 0.5, 0.816],
        [0, 0, 0], [0, 0, 0.355], [0, 0, 0.645],
        [0.5, 0, 0.378], [0.5, 0, 0.622], [0, 0.5, 0.378], [0, 0.5, 0.622],
        [0, 0, 0.158], [0, 0, 0.842], [0, 0.5, 0],
    ]  # fmt: skip
    return Structure(Lattice.orthorhombic(3.82, 3.89, 11.68), species, coords)


def p1_cif(
    a: float, sites: list[tuple[str, float, float, float, float]], symmetry: bool = True
) -> str:
    """CIF text of a cubic cell (edge ``a``, Å) with (element, x, y, z, occupancy) sites."""
    lines = ["data_test"]
    lines += [f"_cell_length_{axis} {a}" for axis in "abc"]
    lines += [f"_cell_angle_{angle} 90" for angle in ("alpha", "beta", "gamma")]
    if symmetry:
        lines += [
            "_symmetry_space_group_name_H-M 'P 1'",
            "loop_",
            "_symmetry_equiv_pos_as_xyz",
            " x,y,z",
        ]
    lines += ["loop_"] + [
        f"_atom_site_{field}"
        for field in ("label", "type_symbol", "fract_x", "fract_y", "fract_z", "occupancy")
    ]
    lines += [f"{el}{i} {el} {x} {y} {z} {occ}" for i, (el, x, y, z, occ) in enumerate(sites)]
    return "\n".join(lines) + "\n"


def random_rotation(seed: int = 0) -> np.ndarray:
    """A proper rotation matrix (det +1)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q

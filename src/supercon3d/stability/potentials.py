"""The machine-learned interatomic potentials that stand in for DFT, loaded once per process.

Both ship their weights inside their wheels (no download at run time). CHGNet is a core
dependency (the shipped Tc model reads its atom embedding); SevenNet is the optional extra
``pip install "supercon3d[stability]"``. Without a potential's package, :func:`load_potential`
raises :class:`PotentialUnavailableError` with one line saying what to install.

- ``chgnet``: CHGNet 0.3.0 (MPtrj, 412k parameters), elements H–Pu (Z 1–94), its checkpoint
  read as tensors only (:func:`~supercon3d.pretrained.chgnet_model`).
- ``sevennet``: SevenNet-0 (``7net-0``, MPtrj, equivariant), the elements of its type map.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supercon3d.errors import SuperCon3DError, missing_extra
from supercon3d.executor import worker_resource
from supercon3d.pretrained import CHGNET_MODEL, chgnet_model

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

POTENTIALS = ("chgnet", "sevennet")
"""The potentials :func:`load_potential` knows, by name."""
DEFAULT_POTENTIAL = "chgnet"
"""Chosen by measurement (benchmarks/stability_potentials.py,
docs/notebook/benchmarks-2026-11.md): a 20-atom relaxation took a median 4.1 s of CPU
against 8.2 s for SevenNet-0, and it loads in 3 s instead of 31 s; only CHGNet has a shipped
reference hull."""
EXTRA = "stability"
"""The optional dependency group that installs SevenNet."""
_PACKAGES = {"chgnet": "chgnet", "sevennet": "sevenn"}
_MODELS = {"chgnet": CHGNET_MODEL, "sevennet": "7net-0"}
NOT_INSTALLED = "not installed"
"""The package version :func:`potential_version` gives for a package that is not installed."""
CHGNET_MAX_ATOMIC_NUMBER = 94
"""CHGNet embeds elements H (1) to Pu (94)."""
SEVENNET_MODEL = _MODELS["sevennet"]
TORCH_THREADS = 1
"""Threads torch uses while a potential runs. The models are small: on the shared 2-core
machine one thread took 0.13 s per force call on a 24-atom cell, two threads 0.97 s."""


class PotentialUnavailableError(SuperCon3DError, ImportError):
    """A potential's package is not installed, or the name is not one of :data:`POTENTIALS`;
    the message is one line saying what to do."""


@dataclass(frozen=True)
class Potential:
    """A loaded potential: its ``name``, an ASE ``calculator`` (energies in eV, forces in
    eV/Å, stress in eV/Å³) and the atomic numbers it was trained on."""

    name: str
    calculator: Calculator
    atomic_numbers: frozenset[int]


def check_potential(name: str) -> str:
    """``name`` if it is a known potential whose package is installed, else
    :class:`PotentialUnavailableError` with one line saying what to install."""
    if name not in POTENTIALS:
        raise PotentialUnavailableError(
            f"unknown potential {name!r}; choose one of {', '.join(POTENTIALS)}"
        )
    package = _PACKAGES[name]
    if importlib.util.find_spec(package) is None:
        raise PotentialUnavailableError(missing_extra(f"the {name} potential", package, EXTRA))
    return name


def potential_version(name: str) -> dict[str, str]:
    """What identifies the installed potential ``name`` (one of :data:`POTENTIALS`) and so
    its energies: ``potential``, ``package``, ``package_version`` (:data:`NOT_INSTALLED`
    when missing) and ``model`` (the pretrained weights supercon3d loads)."""
    package = _PACKAGES[name]
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        version = NOT_INSTALLED
    return {"potential": name, "package": package, "package_version": version,
            "model": _MODELS[name]}  # fmt: skip


def _load_chgnet() -> Potential:
    from chgnet.model.dynamics import CHGNetCalculator

    model = chgnet_model(CHGNET_MODEL)
    calculator = CHGNetCalculator(model, use_device="cpu")
    return Potential("chgnet", calculator, frozenset(range(1, CHGNET_MAX_ATOMIC_NUMBER + 1)))


def _load_sevennet() -> Potential:
    from sevenn.calculator import SevenNetCalculator

    calculator = SevenNetCalculator(SEVENNET_MODEL, device="cpu")
    return Potential("sevennet", calculator, frozenset(int(z) for z in calculator.type_map))


_LOADERS = {"chgnet": _load_chgnet, "sevennet": _load_sevennet}


def load_potential(name: str) -> Potential:
    """The potential ``name`` (one of :data:`POTENTIALS`), loaded once per process on CPU."""
    check_potential(name)
    with contextlib.redirect_stdout(io.StringIO()):  # the packages print on loading
        return worker_resource(("stability-potential", name), _LOADERS[name])


QUIETED_WARNINGS = (
    "Converting a tensor with requires_grad=True to a scalar",  # CHGNet, every call
    "logm result may be inaccurate",  # scipy, in ASE's cell filter, harmless at 1e-13
)
"""Warnings printed on every step that say nothing about the result."""


@contextlib.contextmanager
def potential_threads() -> Iterator[None]:
    """Run torch, and the BLAS/OpenMP pools that ASE's cell filter uses through numpy/scipy,
    on :data:`TORCH_THREADS` threads inside the block, without the
    :data:`QUIETED_WARNINGS`, then restore. On the shared 2-core
    machine one BLAS thread halved the CPU time of a relaxation (14 FIRE steps of a 20-atom
    cell: 4.8 s instead of 9.5 s)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    try:
        with threadpool_limits(limits=TORCH_THREADS), warnings.catch_warnings():
            for message in QUIETED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        torch.set_num_threads(before)

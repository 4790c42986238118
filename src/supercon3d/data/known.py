"""What the literature already reports about a composition: a known superconductor, a known
non-superconductor, related superconductors in the same chemical system, an entry of SuperCon3D.

Sources (all read in place from the data folder): the SuperCon formula tables
``supercon_11949`` (superconductors) and ``supercon_stanev2018`` (Tc = 0 marks a measured
non-superconductor), and SuperCon3D's ``tc.csv`` (its ``cf`` formulas and Tc, which adds the
hydrides taken from the literature). A composition's reported Tc is the median over all
superconducting rows with its key. Compositions are
compared by :func:`~supercon3d.data.composition.composition_key` (reduced fractions rounded to
three decimals), never by formula strings.

*Related* superconductors are the other superconducting compositions with the same element
set: the "parent compound" column of the paper's screening table (a doped relative of a
candidate, or the parent a doped candidate comes from).

:class:`KnownCompositions` says which sources of the data folder hold a composition at all
(novelty in the sense "new to the literature"): SuperCon (both formula tables, any Tc),
SuperCon3D (its ``cf`` formulas and CIFs), 3DSC and the Materials Project structures, and the
short list of common molecules :data:`KNOWN_MOLECULES`. The compositions of the CIF folders
come from each file's ``_chemical_formula_sum`` line (the CIF is parsed only when it has none)
and are cached in the cache folder, keyed by the folders' file list (names, sizes, times).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pymatgen.core import Composition

from supercon3d.data.cif import CifReadError, cif_files, read_cif
from supercon3d.data.composition import CompositionKey, composition_key, parse_formula
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.data.tables import load_supercon_formulas, tc_by_key
from supercon3d.file_state import folder_state
from supercon3d.settings import cache_dir, data_dir, dataset_path

ElementSet = frozenset[str]

SUPERCON = "SuperCon"
SUPERCON3D = "SuperCon3D"
THREEDSC = "3DSC"
MATERIALS_PROJECT = "MP"
MOLECULE = "molecule"
"""The names :meth:`KnownCompositions.sources` gives, in this order."""
SOURCE_ORDER = (SUPERCON, SUPERCON3D, THREEDSC, MATERIALS_PROJECT)
"""The data folder's sources, in the order :meth:`KnownCompositions.sources` lists them."""
STRUCTURE_FOLDERS: dict[str, str] = {
    SUPERCON3D: "supercon3d/cif",
    THREEDSC: "3dsc_mp/cifs",
    MATERIALS_PROJECT: "mp_structures/cifs",
}
"""The CIF folders of the data folder whose compositions count as known, by source."""
KNOWN_MOLECULES: dict[str, str] = {
    "H2": "hydrogen", "N2": "nitrogen", "O2": "oxygen", "F2": "fluorine", "Cl2": "chlorine",
    "H2O": "water", "H2O2": "hydrogen peroxide", "H3N": "ammonia", "N2H4": "hydrazine",
    "CH4": "methane", "C2H6": "ethane", "C2H4": "ethylene", "C2H2": "acetylene",
    "C6H6": "benzene", "CH4O": "methanol", "C2H6O": "ethanol", "CO": "carbon monoxide",
    "CO2": "carbon dioxide", "CS2": "carbon disulfide", "HCN": "hydrogen cyanide",
    "NO": "nitric oxide", "NO2": "nitrogen dioxide", "N2O": "nitrous oxide",
    "SO2": "sulfur dioxide", "SO3": "sulfur trioxide", "H2S": "hydrogen sulfide",
    "H2Se": "hydrogen selenide", "HF": "hydrogen fluoride", "HCl": "hydrogen chloride",
    "HBr": "hydrogen bromide", "HI": "hydrogen iodide", "PH3": "phosphine",
    "AsH3": "arsine", "SiH4": "silane", "GeH4": "germane", "B2H6": "diborane",
    "CCl4": "carbon tetrachloride", "SF6": "sulfur hexafluoride",
}  # fmt: skip
"""Common molecules (formula: name): a crystal of one of these compositions is a molecular
solid, not a new compound, whatever its cell (compared by reduced composition, so C2H2 and
C6H6 are one entry)."""
COMPOSITIONS_CACHE_VERSION = 1
_FORMULA_SUM = re.compile(r"^_chemical_formula_sum\s+(?:'([^'\n]*)'|\"([^\"\n]*)\"|(\S+))", re.M)


@dataclass(frozen=True)
class KnownMatch:
    """What is reported for one composition.

    ``reported_tc_kelvin``: median reported Tc (K) of the superconducting entries with the same
    reduced composition (None when there is none); ``reported_non_superconductor``: SuperCon
    lists the composition with Tc = 0 and never as a superconductor. ``related_count`` /
    ``related_best_tc_kelvin``: other superconducting compositions with the same element set
    and the highest of their reported Tc (K); ``related_superconductors`` says both in words
    (``"12 (best 93 K)"``, empty when there are none)."""

    known_superconductor: bool
    reported_tc_kelvin: float | None
    reported_non_superconductor: bool
    related_count: int
    related_best_tc_kelvin: float | None
    in_supercon3d: bool

    @property
    def related_superconductors(self) -> str:
        """``"<count> (best <Tc> K)"``, or ``""`` without related superconductors."""
        if not self.related_count:
            return ""
        return f"{self.related_count} (best {self.related_best_tc_kelvin:.3g} K)"


def element_set(key: CompositionKey) -> ElementSet:
    """The elements of a composition key."""
    return frozenset(element for element, _ in key)


class KnownSuperconductors:
    """Look-ups of reported superconductors by composition; build with :meth:`load`."""

    def __init__(
        self,
        tc_of: dict[CompositionKey, float],
        non_superconductors: set[CompositionKey],
        supercon3d: set[CompositionKey],
        supercon: frozenset[CompositionKey] = frozenset(),
    ):
        """``supercon``: every composition of the SuperCon formula tables, whatever its Tc
        (what :class:`KnownCompositions` counts as SuperCon's)."""
        self.supercon = frozenset(supercon)
        self.supercon3d = frozenset(supercon3d)
        self._tc_of = tc_of
        self._non_superconductors = non_superconductors - tc_of.keys()
        self._by_elements: dict[ElementSet, list[float]] = defaultdict(list)
        for key, tc in tc_of.items():
            self._by_elements[element_set(key)].append(tc)

    @classmethod
    def load(cls, data: str | os.PathLike | None = None) -> KnownSuperconductors:
        """The look-up over the data folder's tables (cached per data folder)."""
        return _load(None if data is None else os.fspath(data))

    def __len__(self) -> int:
        """Number of distinct superconducting compositions."""
        return len(self._tc_of)

    def lookup(self, composition: Composition) -> KnownMatch:
        """What is reported for ``composition`` (oxidation states and scale ignored)."""
        key = composition_key(composition)
        tc = self._tc_of.get(key)
        related = list(self._by_elements.get(element_set(key), []))
        if tc is not None:
            related.remove(tc)
        return KnownMatch(
            known_superconductor=tc is not None,
            reported_tc_kelvin=tc,
            reported_non_superconductor=key in self._non_superconductors,
            related_count=len(related),
            related_best_tc_kelvin=max(related) if related else None,
            in_supercon3d=key in self.supercon3d,
        )

    def nearest(self, composition: Composition, count: int) -> list[tuple[str, float]]:
        """The ``count`` reported superconductors closest to ``composition`` (L1 distance of
        the reduced fractions, nearest first; the composition itself first when reported):
        (formula, reported Tc in K)."""
        fractions = dict(composition_key(composition))

        def distance(key: CompositionKey) -> float:
            other = dict(key)
            return sum(abs(fractions.get(e, 0.0) - other.get(e, 0.0)) for e in {*fractions, *other})

        closest = sorted(self._tc_of, key=distance)[:count]
        return [(_formula(key), self._tc_of[key]) for key in closest]


def _formula(key: CompositionKey) -> str:
    """A composition key as a formula, its smallest amount scaled to 1 (``YBa2Cu3O6.95``)."""
    smallest = min((x for _, x in key if x > 0), default=1.0)
    amounts = [(e, x / smallest) for e, x in key if x > 0]
    return "".join(e if abs(x - 1) < 1e-3 else f"{e}{x:.3g}" for e, x in amounts)


@functools.lru_cache(maxsize=2)
def _load(data: str | None) -> KnownSuperconductors:
    stanev = load_supercon_formulas("supercon_stanev2018", data)
    superconductors = load_supercon_formulas("supercon_11949", data)
    tc_table = read_tc_table(data)
    compositions = [parse_formula(formula) for formula in tc_table["cf"]]
    supercon3d = pd.DataFrame(
        [(composition_key(c), tc) for c, tc in zip(compositions, tc_table["tc"]) if c is not None],
        columns=["key", "tc"],
    )
    reported = pd.concat(
        [
            superconductors[["key", "tc"]],
            stanev.loc[stanev["tc"] > 0, ["key", "tc"]],
            supercon3d,
        ]
    )
    tc_of = {key: tc for key, (tc, _) in tc_by_key(reported).items()}
    non_superconductors = set(stanev.loc[stanev["tc"] <= 0, "key"])
    supercon = frozenset(superconductors["key"]) | frozenset(stanev["key"])
    return KnownSuperconductors(tc_of, non_superconductors, set(supercon3d["key"]), supercon)


def molecule_name(composition: Composition) -> str | None:
    """The name(s) of the :data:`KNOWN_MOLECULES` with the reduced composition of
    ``composition`` (``"ammonia"`` for H3N; ``"acetylene / benzene"`` for CH), else None."""
    names = _molecules_by_key().get(composition_key(composition))
    return " / ".join(names) if names else None


@functools.cache
def _molecules_by_key() -> dict[CompositionKey, list[str]]:
    by_key: dict[CompositionKey, list[str]] = defaultdict(list)
    for formula, name in KNOWN_MOLECULES.items():
        by_key[composition_key(Composition(formula))].append(name)
    return dict(by_key)


class KnownCompositions:
    """Which sources hold a composition (reduced, compared by
    :func:`~supercon3d.data.composition.composition_key`); build with :meth:`load`.

    ``compositions`` maps a source name (:data:`SUPERCON`, :data:`SUPERCON3D`,
    :data:`THREEDSC`, :data:`MATERIALS_PROJECT`) to its set of composition keys; the
    :data:`KNOWN_MOLECULES` are always known (source :data:`MOLECULE`)."""

    def __init__(self, compositions: Mapping[str, frozenset[CompositionKey]]):
        self.compositions = {name: frozenset(keys) for name, keys in compositions.items()}

    @classmethod
    def load(cls, data: str | os.PathLike | None = None) -> KnownCompositions:
        """The sources of the data folder (cached per data folder in this process; the CIF
        folders' compositions also on disk, see :func:`structure_compositions`)."""
        return _load_compositions(None if data is None else os.fspath(data))

    def sources(self, composition: Composition) -> tuple[str, ...]:
        """The sources holding ``composition``, in the order of :data:`SOURCE_ORDER`; empty
        for a composition new to all of them."""
        key = composition_key(composition)
        found = [name for name in SOURCE_ORDER if key in self.compositions.get(name, ())]
        if key in _molecules_by_key():
            found.append(MOLECULE)
        return tuple(found)

    def known_in(self, composition: Composition) -> str:
        """The sources holding ``composition`` joined by ``;`` (``"SuperCon;MP"``); ``""``
        for a new one."""
        return ";".join(self.sources(composition))


@functools.lru_cache(maxsize=2)
def _load_compositions(data: str | None) -> KnownCompositions:
    superconductors = KnownSuperconductors.load(data)
    folders = structure_compositions(data)
    return KnownCompositions({
        SUPERCON: superconductors.supercon,
        SUPERCON3D: superconductors.supercon3d | folders[SUPERCON3D],
        THREEDSC: folders[THREEDSC],
        MATERIALS_PROJECT: folders[MATERIALS_PROJECT],
    })  # fmt: skip


def cif_formula(path: Path) -> Composition | None:
    """The composition a CIF declares in ``_chemical_formula_sum``, else the composition of
    its parsed structure; None (with a warning naming the file) when neither can be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""  # read_cif below says why in one line
    match = _FORMULA_SUM.search(text)
    declared = parse_formula(next(g for g in match.groups() if g is not None)) if match else None
    if declared is not None:
        return declared
    try:
        return read_cif(path).structure.composition
    except CifReadError as error:
        warnings.warn(f"{error}; left out of the known compositions", stacklevel=2)
        return None


def _compositions_cache_file(data: Path, folders: Mapping[str, Path]) -> Path:
    """``<cache>/known/compositions-<hash>.json``, the hash over the folders' file lists."""
    state = {name: folder_state(folder) for name, folder in folders.items()}
    payload = json.dumps([COMPOSITIONS_CACHE_VERSION, str(data), state])
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    return cache_dir() / "known" / f"compositions-{digest}.json"


def structure_compositions(
    data: str | os.PathLike | None = None,
) -> dict[str, frozenset[CompositionKey]]:
    """The composition keys of each of the :data:`STRUCTURE_FOLDERS` (by source name): read
    once from the CIFs (:func:`cif_formula`), then from the cache, which a changed file list
    (a file added, removed or rewritten) replaces."""
    root = data_dir(data)
    folders = {name: dataset_path(folder, root) for name, folder in STRUCTURE_FOLDERS.items()}
    cache = _compositions_cache_file(root, folders)
    if cache.is_file():
        stored = json.loads(cache.read_text())
        return {
            name: frozenset(tuple((el, x) for el, x in key) for key in keys)
            for name, keys in stored.items()
        }
    found = {}
    for name, folder in folders.items():
        compositions = (cif_formula(path) for path in cif_files(folder))
        found[name] = frozenset(composition_key(c) for c in compositions if c is not None)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({name: sorted(keys) for name, keys in found.items()}))
    os.replace(partial, cache)
    return found

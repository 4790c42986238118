"""The pre-training corpus of the crystal generator: ordered primitive cells, de-duplicated.

Structures come from, in priority order: the SuperCon3D ordered training split, the Materials
Project structures, and the 3DSC structures that were not synthetically doped. Each one is read
with :mod:`supercon3d.data.cif`, skipped when disordered, reduced to its primitive cell (spglib
at ``symprec``) and skipped when that cell has more than ``max_atoms`` atoms. Structures whose
key (reduced formula, space-group number) equals an earlier one's are dropped, and so are those
whose key equals an entry's of the validation or test split, so that neither split leaks into
the corpus. A seeded fraction of what remains is held out to measure generation quality.

Lattices are in Å (rows are the lattice vectors); coordinates are fractional. Species are
stored as elements (atomic numbers), without oxidation states.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pymatgen.core import Element, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from supercon3d.data.cif import CifReadError, CifRecord, read_cif, read_cif_text
from supercon3d.data.tables import load_3dsc_index, load_mp_index
from supercon3d.executor import make_executor
from supercon3d.settings import cache_dir, data_dir, dataset_path, warn_cache_once

CORPUS_FORMAT_VERSION = 1
SOURCES = ("supercon3d", "mp", "3dsc")
SPLITS = ("train", "val", "test")
EVALUATION_SPLITS = ("val", "test")
SELECTION_COUNTS = (
    "read",
    "failed",
    "disordered",
    "too_large",
    "evaluation_overlap",
    "duplicates",
    *(f"kept_{source}" for source in SOURCES),
)
UNKNOWN_SPACE_GROUP = 0
"""Space-group number recorded when spglib cannot determine the symmetry."""

Split = Literal["train", "val", "test"]
StructureKey = tuple[str, int]


@dataclass(frozen=True)
class CorpusSettings:
    """How the corpus is built.

    ``max_atoms``: largest number of atoms in a primitive cell; ``holdout_fraction``: share of
    the de-duplicated structures held out, drawn with ``seed``; ``symprec``: spglib tolerance
    (Å) for the primitive cell and the space group.
    """

    max_atoms: int = 20
    holdout_fraction: float = 0.1
    seed: int = 0
    symprec: float = 0.1

    def __post_init__(self) -> None:
        if self.max_atoms < 1:
            raise ValueError(f"max_atoms must be at least 1, got {self.max_atoms}")
        if not 0.0 <= self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction must be in [0, 1), got {self.holdout_fraction}")
        if self.symprec <= 0.0:
            raise ValueError(f"symprec must be positive, got {self.symprec}")


@dataclass
class StructureCorpus:
    """Primitive, ordered structures with their ``ids``, ``sources`` and hold-out flags.

    ``counts`` says how many structures were read, failed, skipped (``disordered``,
    ``too_large``, ``evaluation_overlap``, ``duplicates``), kept per source and split into
    ``train`` and ``held_out``.
    """

    structures: list[Structure]
    ids: list[str]
    sources: list[str]
    held_out: np.ndarray
    counts: dict[str, int]
    settings: CorpusSettings

    def __len__(self) -> int:
        return len(self.structures)

    def train(self) -> list[Structure]:
        """The structures that are not held out."""
        return [s for s, held in zip(self.structures, self.held_out) if not held]

    def held_out_structures(self) -> list[Structure]:
        """The structures held out to measure generation quality."""
        return [s for s, held in zip(self.structures, self.held_out) if held]

    def save(self, path: str | os.PathLike) -> None:
        """Write a compressed ``.npz`` (no pickled objects); the file is replaced atomically."""
        path = Path(path)
        partial_file = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with open(partial_file, "wb") as handle:
                np.savez_compressed(
                    handle,
                    **structure_arrays(self.structures),
                    ids=np.array(self.ids, dtype=str),
                    sources=np.array(self.sources, dtype=str),
                    held_out=np.asarray(self.held_out, dtype=bool),
                    counts=np.array(json.dumps(self.counts)),
                    settings=np.array(json.dumps(asdict(self.settings))),
                )
            os.replace(partial_file, path)
        except BaseException:  # a full or read-only disk: no partial file left
            partial_file.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> StructureCorpus:
        """Read a corpus written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as arrays:
            return cls(
                structures=structures_from_arrays(
                    arrays["lattices"],
                    arrays["num_atoms"],
                    arrays["atomic_numbers"],
                    arrays["frac_coords"],
                ),
                ids=arrays["ids"].tolist(),
                sources=arrays["sources"].tolist(),
                held_out=arrays["held_out"],
                counts=json.loads(str(arrays["counts"])),
                settings=CorpusSettings(**json.loads(str(arrays["settings"]))),
            )


def _structure(lattice: np.ndarray, atomic_numbers: np.ndarray, frac: np.ndarray) -> Structure:
    return Structure(Lattice(lattice), atomic_numbers.tolist(), frac)


def structure_arrays(structures: Sequence[Structure]) -> dict[str, np.ndarray]:
    """Ordered structures as arrays: ``lattices`` (M, 3, 3) in Å, ``num_atoms`` (M,), and the
    ``atomic_numbers`` (N,) and ``frac_coords`` (N, 3) of all structures concatenated."""
    return {
        "lattices": np.array([s.lattice.matrix for s in structures]).reshape(-1, 3, 3),
        "num_atoms": np.array([len(s) for s in structures], dtype=np.int64),
        "atomic_numbers": np.array([z for s in structures for z in s.atomic_numbers], np.int64),
        "frac_coords": np.array([x for s in structures for x in s.frac_coords]).reshape(-1, 3),
    }


def structures_from_arrays(
    lattices: np.ndarray, num_atoms: np.ndarray, atomic_numbers: np.ndarray, frac_coords: np.ndarray
) -> list[Structure]:
    """The inverse of :func:`structure_arrays`."""
    bounds = np.cumsum(num_atoms)[:-1]
    return [
        _structure(lattice, numbers, coords)
        for lattice, numbers, coords in zip(
            lattices, np.split(atomic_numbers, bounds), np.split(frac_coords, bounds)
        )
    ]


@dataclass(frozen=True)
class _Candidate:
    """A structure to consider: a CIF file, or CIF text from a split table."""

    source: str
    id: str
    file: str | None = None
    text: str | None = None

    def read(self) -> CifRecord:
        if self.text is not None:
            return read_cif_text(self.text, self.id)
        return read_cif(self.file)


@dataclass
class _Reduced:
    """What became of a candidate: its status, key and (when kept) its primitive cell."""

    status: Literal["ok", "failed", "disordered", "too_large"]
    formula: str = ""
    space_group: int = UNKNOWN_SPACE_GROUP
    lattice: np.ndarray | None = None
    atomic_numbers: np.ndarray | None = None
    frac_coords: np.ndarray | None = None

    @property
    def key(self) -> StructureKey:
        return self.formula, self.space_group

    def structure(self) -> Structure:
        return _structure(self.lattice, self.atomic_numbers, self.frac_coords)


def primitive_cell(structure: Structure, symprec: float) -> tuple[Structure, int]:
    """The primitive cell (spglib) and space-group number of an ordered structure.

    When spglib fails, the given cell is returned, with space group ``UNKNOWN_SPACE_GROUP``
    if the symmetry could not be determined at all.
    """
    try:
        analyzer = SpacegroupAnalyzer(structure, symprec=symprec)
    except ValueError:
        return structure, UNKNOWN_SPACE_GROUP
    try:
        primitive = analyzer.find_primitive()
    except ValueError:
        primitive = structure
    return primitive, analyzer.get_space_group_number()


def _reduce(candidate: _Candidate, settings: CorpusSettings) -> _Reduced:
    """Read, check and reduce one candidate; plain arrays only, so it is cheap to send back."""
    try:
        structure = candidate.read().structure
    except CifReadError:
        return _Reduced("failed")
    if not structure.is_ordered:
        return _Reduced("disordered")
    primitive, space_group = primitive_cell(structure, settings.symprec)
    formula = primitive.composition.element_composition.reduced_formula
    if len(primitive) > settings.max_atoms:
        return _Reduced("too_large", formula, space_group)
    return _Reduced(
        "ok",
        formula,
        space_group,
        primitive.lattice.matrix.copy(),
        np.array(primitive.atomic_numbers, dtype=np.int64),
        primitive.frac_coords,
    )


def _reduce_all(
    candidates: Sequence[_Candidate],
    settings: CorpusSettings,
    workers: int | None,
    progress: Callable[[int], None] | None,
) -> list[_Reduced]:
    """:func:`_reduce` over all candidates, in order, on ``workers`` processes (see
    :func:`supercon3d.executor.make_executor`)."""
    reduced = []
    with make_executor(workers, len(candidates)) as executor:
        for outcome in executor.map(partial(_reduce, settings=settings), candidates):
            reduced.append(outcome)
            if progress is not None:
                progress(1)
    return reduced


def _split_table(split: Split, data: str | os.PathLike | None) -> pd.DataFrame:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    path = dataset_path(f"supercon3d_ordered_splits/{split}.csv", data)
    return pd.read_csv(path, usecols=["name", "logtc", "cif"], dtype={"name": str, "cif": str})


def _split_candidates(split: Split, data: str | os.PathLike | None) -> list[_Candidate]:
    table = _split_table(split, data)
    return [_Candidate("supercon3d", name, text=cif) for name, cif in zip(table.name, table.cif)]


def _corpus_candidates(data: str | os.PathLike | None) -> list[_Candidate]:
    """The SuperCon3D training split, then MP, then the non-doped 3DSC files."""
    mp = load_mp_index(data)
    dsc = load_3dsc_index(data)
    dsc = dsc[~dsc["synth_doped"]]
    return [
        *_split_candidates("train", data),
        *(_Candidate("mp", mp_id, file=file) for mp_id, file in zip(mp.mp_id, mp.file)),
        *(_Candidate("3dsc", Path(file).stem, file=file) for file in dsc.file),
    ]


def _select(
    candidates: Sequence[_Candidate], reduced: Sequence[_Reduced], excluded: set[StructureKey]
) -> tuple[list[int], dict[str, int]]:
    """Positions of the structures kept (the first of each key, none with an ``excluded``
    key) and the counts of what was read, failed, skipped and kept per source."""
    counts = dict.fromkeys(SELECTION_COUNTS, 0)
    seen: set[StructureKey] = set()
    kept = []
    for position, (candidate, outcome) in enumerate(zip(candidates, reduced)):
        if outcome.status == "failed":
            counts["failed"] += 1
            continue
        counts["read"] += 1
        if outcome.status != "ok":
            counts[outcome.status] += 1
        elif outcome.key in excluded:
            counts["evaluation_overlap"] += 1
        elif outcome.key in seen:
            counts["duplicates"] += 1
        else:
            seen.add(outcome.key)
            kept.append(position)
            counts[f"kept_{candidate.source}"] += 1
    return kept, counts


def holdout_mask(n: int, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask over ``n`` items with ``round(fraction * n)`` True, drawn with ``seed``."""
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(seed).permutation(n)[: round(fraction * n)]] = True
    return mask


def build_corpus(
    settings: CorpusSettings = CorpusSettings(),
    data: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StructureCorpus:
    """Read, reduce, filter, de-duplicate and split the corpus (see the module docstring).

    The per-structure work runs on ``workers`` spawned processes (default: all cores).
    ``progress`` is called with the number of structures finished since its last call; the
    validation and test entries, reduced to know their keys, are among them. A CIF that
    cannot be read is counted in ``counts["failed"]`` and the build goes on.
    """
    candidates = _corpus_candidates(data)
    evaluation = [c for split in EVALUATION_SPLITS for c in _split_candidates(split, data)]
    reduced = _reduce_all([*candidates, *evaluation], settings, workers, progress)
    excluded = {r.key for r in reduced[len(candidates) :] if r.formula}
    kept, counts = _select(candidates, reduced[: len(candidates)], excluded)
    held_out = holdout_mask(len(kept), settings.holdout_fraction, settings.seed)
    counts.update(held_out=int(held_out.sum()), train=int((~held_out).sum()))
    return StructureCorpus(
        structures=[reduced[i].structure() for i in kept],
        ids=[candidates[i].id for i in kept],
        sources=[candidates[i].source for i in kept],
        held_out=held_out,
        counts=counts,
        settings=settings,
    )


def corpus_cache_file(
    settings: CorpusSettings = CorpusSettings(),
    data: str | os.PathLike | None = None,
    cache_folder: str | os.PathLike | None = None,
) -> Path:
    """Where :func:`load_or_build_corpus` keeps the corpus built with these settings from this
    data folder: ``<cache>/corpus/corpus-<hash>.npz``."""
    payload = {
        **asdict(settings),
        "data": str(data_dir(data)),
        "format": CORPUS_FORMAT_VERSION,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir(cache_folder) / "corpus" / f"corpus-{digest}.npz"


def load_or_build_corpus(
    settings: CorpusSettings = CorpusSettings(),
    data: str | os.PathLike | None = None,
    cache_folder: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StructureCorpus:
    """The cached corpus for these settings and data folder, built and cached when missing.

    The cache is not invalidated when files of the data folder change; delete it then. A
    cached file that cannot be read (damaged) or a cache that cannot be written (a read-only
    folder) is warned of once (:func:`~supercon3d.settings.warn_cache_once`) and the corpus
    is built all the same.
    """
    path = corpus_cache_file(settings, data, cache_folder)
    if path.is_file():
        try:
            return StructureCorpus.load(path)
        except Exception as error:  # NumPy raises many types for a damaged file
            reason = getattr(error, "strerror", None) or type(error).__name__
            warn_cache_once(path, f"cannot be read ({reason}; damaged?): the corpus is built")
    corpus = build_corpus(settings, data, workers, progress)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        corpus.save(path)
    except OSError as error:
        reason = error.strerror or error
        warn_cache_once(path, f"cannot be written ({reason}); built again next time")
    return corpus


def ordered_split(
    split: Split, data: str | os.PathLike | None = None
) -> list[tuple[str, Structure, float]]:
    """A SuperCon3D ordered split: ``(name, structure as given (P1), ln Tc in ln K)`` per entry.

    Raises :class:`~supercon3d.data.cif.CifReadError` if an entry's CIF cannot be read.
    """
    table = _split_table(split, data)
    return [
        (name, read_cif_text(cif, name).structure, float(ln_tc))
        for name, cif, ln_tc in zip(table.name, table.cif, table.logtc)
    ]


def primitive_split(
    split: Split,
    settings: CorpusSettings = CorpusSettings(),
    data: str | os.PathLike | None = None,
) -> list[tuple[str, Structure, float]]:
    """:func:`ordered_split` reduced to primitive cells of at most ``settings.max_atoms``
    atoms, the cells the generator handles: seeds and the guidance model's training data."""
    reduced = []
    for name, structure, ln_tc in ordered_split(split, data):
        primitive, _ = primitive_cell(structure, settings.symprec)
        if len(primitive) <= settings.max_atoms:
            reduced.append((name, primitive, ln_tc))
    return reduced


def without_elements(
    split: Sequence[tuple[str, Structure, float]], symbols: Sequence[str]
) -> list[tuple[str, Structure, float]]:
    """The entries of a split whose structures hold none of the elements ``symbols`` (as
    elements or as ions: H and H+ alike)."""
    excluded = {Element(symbol) for symbol in symbols}
    return [
        entry
        for entry in split
        if excluded.isdisjoint(entry[1].composition.element_composition.elements)
    ]


def draw_seeds(
    split: Sequence[tuple[str, Structure, float]], n: int, seed: int
) -> list[tuple[str, Structure, float]]:
    """``n`` entries of a :func:`primitive_split` drawn without replacement with ``seed``: the
    seeds of ``supercon3d generate --from-seeds``."""
    return [split[i] for i in np.random.default_rng(seed).permutation(len(split))[:n]]

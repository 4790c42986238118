"""Where a discovery run's structures come from: the generator (from noise, from seeds), the
best rows of a ``supercon3d screen`` database and CIF files or folders, and ionic substitution
into known structures (:mod:`supercon3d.generation.substitution`). Each structure gets an
``id`` (``n00012`` from noise, ``s00012`` from seeds, ``u00012`` by substitution, ``c<file
stem>`` from a CIF, ``d<row number>`` from the database) that names it in every later stage."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure

from supercon3d.data.cif import cif_input_paths, write_cif
from supercon3d.data.inputs import read_cif_files
from supercon3d.discovery.settings import GENERATOR, SUBSTITUTION, DiscoverySettings
from supercon3d.discovery.stages import Dropped
from supercon3d.generation.candidates import is_compound
from supercon3d.progress import Log, ProgressFactory

GENERATION_FOLDER = "generation"
"""Under the run folder: the generator's own output (``noise/``, ``seeds/``: CIFs,
candidates.csv and run.json of ``supercon3d generate``) and the substitution source's
(``substitution/``: :data:`SUBSTITUTIONS_FILE`, a CIF per structure and
:data:`MADE_FILE`)."""
SUBSTITUTIONS_FILE = "substitutions.csv"
"""One row per substituted structure: id, formula and the :data:`PROPERTY_KEYS
<supercon3d.generation.substitution.PROPERTY_KEYS>` (parent, substitution, probability)."""
MADE_FILE = "made.json"
"""What a source folder records of its making: ``{"n": structures, "seconds": wall time}``."""
SUBSTITUTED = "substitution"
"""The ``source`` of a structure made by substitution (the generator's are ``noise`` and
``seeds``)."""

UNREADABLE = "unreadable CIF"
INVALID_STRUCTURE = "structurally invalid (generator)"
UNBALANCED = "not charge-balanced (SMACT)"
ELEMENTAL = "elemental cell (no compound)"
NO_CIF = "screen row whose CIF is no file here (archive, CSV or moved)"


@dataclass
class Source:
    """One structure entering the run: its ``id`` and where it came from (``source``: noise,
    seeds, screen or cif; ``origin``: the file)."""

    id: str
    source: str
    origin: str
    structure: Structure


def generated(
    out: Path,
    settings: DiscoverySettings,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    log: Log,
) -> tuple[list[Source], list[Dropped], int]:
    """Generate from noise and/or seeds into ``out/generation``; the structures that are
    valid compounds, those dropped (invalid, not charge-balanced, elemental) and the count
    generated."""
    from supercon3d.generation.workflow import GenerationSettings, run_generation

    runs = []
    budget = settings.structure_budget()[GENERATOR]
    if budget > 0:
        runs.append(("noise", "n", budget, False))
    if settings.from_seeds and settings.seeds > 0:
        runs.append(("seeds", "s", settings.seeds, True))
    kept, dropped, total = [], [], 0
    for mode, prefix, n, from_seeds in runs:
        folder = out / GENERATION_FOLDER / mode
        wanted = GenerationSettings(
            n=n, from_seeds=from_seeds, compare_unguided=False,
            steps=settings.generation_steps, seed=settings.seed,
        )  # fmt: skip
        made = run_generation(folder, wanted, data=data, progress=progress, log=log)["guided"]
        total += len(made.structures)
        for structure, candidate in zip(made.structures, made.candidates):
            name = f"{prefix}{Path(candidate.file).stem}"
            formula = structure.composition.reduced_formula
            if not candidate.valid_structure:
                dropped.append(Dropped(name, formula, INVALID_STRUCTURE))
            elif not candidate.valid_composition:
                dropped.append(Dropped(name, formula, UNBALANCED))
            elif not is_compound(formula):
                dropped.append(Dropped(name, formula, ELEMENTAL))
            else:
                origin = str((folder / candidate.file).relative_to(out))
                kept.append(Source(name, mode, origin, structure))
    return kept, dropped, total


def _valid(name: str, structure: Structure) -> Dropped | None:
    """Why a made structure falls out (the generator's checks: structure, SMACT composition,
    a compound), or None."""
    from supercon3d.generation.metrics import composition_is_valid, structure_is_valid

    formula = structure.composition.reduced_formula
    if not structure_is_valid(structure):
        return Dropped(name, formula, INVALID_STRUCTURE)
    if not composition_is_valid(structure.composition):
        return Dropped(name, formula, UNBALANCED)
    if not is_compound(formula):
        return Dropped(name, formula, ELEMENTAL)
    return None


def provenance(structure: Structure) -> str:
    """What a substituted structure came from (``"Sr->Ba in mp-1234 (SrTiO3)"``), ``""``
    for any other structure."""
    properties = structure.properties or {}
    if "substitution" not in properties:
        return ""
    return (f"{properties['substitution']} in {properties['parent']} "
            f"({properties['parent_formula']})")  # fmt: skip


def substituted(
    out: Path,
    settings: DiscoverySettings,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    log: Log,
) -> tuple[list[Source], list[Dropped], int]:
    """The substitution source's share of the structure budget, written to
    ``out/generation/substitution`` (a CIF each, :data:`SUBSTITUTIONS_FILE`,
    :data:`MADE_FILE`) and judged by the generator's checks; the structures kept, those
    dropped and the count made."""
    from supercon3d.generation.substitution import PROPERTY_KEYS, substitute_structures

    n = settings.structure_budget()[SUBSTITUTION]
    if n <= 0:
        return [], [], 0
    folder = out / GENERATION_FOLDER / SUBSTITUTED
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    made = substitute_structures(n, seed=settings.seed, data=data, progress=progress)
    seconds = time.perf_counter() - started
    kept, dropped, rows = [], [], []
    for index, structure in enumerate(made):
        name = f"u{index:05d}"
        path = folder / f"{name}.cif"
        write_cif(structure, path)
        rows.append({"id": name, "formula": structure.composition.reduced_formula,
                     **{key: structure.properties[key] for key in PROPERTY_KEYS}})  # fmt: skip
        why = _valid(name, structure)
        if why is not None:
            dropped.append(why)
        else:
            kept.append(Source(name, SUBSTITUTED, str(path.relative_to(out)), structure))
    columns = ["id", "formula", *PROPERTY_KEYS]
    pd.DataFrame(rows, columns=columns).to_csv(folder / SUBSTITUTIONS_FILE, index=False)
    (folder / MADE_FILE).write_text(json.dumps({"n": len(made), "seconds": round(seconds, 1)}))
    log(f"substitution: {len(made)} structures in {seconds:.0f} s, {len(kept)} valid")
    return kept, dropped, len(made)


def _cif_sources(paths: list[Path], prefix: str, source: str) -> Iterator[Source | Dropped]:
    for read in read_cif_files(paths):
        path = Path(read.name)
        name = f"{prefix}{path.stem}"
        if read.error is None:
            yield Source(name, source, read.name, read.structure)
        else:
            yield Dropped(name, path.name, UNREADABLE, read.error)


def from_cifs(paths: tuple[str, ...]) -> tuple[list[Source], list[Dropped]]:
    """The structures of CIF files and folders (a folder: every ``*.cif`` under it, at any
    depth; one that cannot be read or loops is dropped with the reason); a file met twice is
    read once."""
    entries = cif_input_paths(paths)
    unique = list(dict.fromkeys(path.resolve() for path, problem in entries if problem is None))
    unreadable = [(path, problem) for path, problem in entries if problem is not None]
    items = list(_cif_sources(unique, "c", "cif"))
    items += [Dropped(f"c{p.stem}", p.name, UNREADABLE, f"{p}: {why}") for p, why in unreadable]
    return [i for i in items if isinstance(i, Source)], [i for i in items if isinstance(i, Dropped)]


def _row_cif(row: dict, folder: Path) -> Path | None:
    """The CIF of a screen row: its source file, or the member ``name`` of its source
    folder (as given, or relative to the database's folder); None for an archive or CSV."""
    for base in (Path(), folder):
        source = base / str(row["source"])
        for path in (source, source / str(row["name"])):
            if path.suffix.lower() == ".cif" and path.is_file():
                return path
    return None


def from_screen(database: str, rows: int) -> tuple[list[Source], list[Dropped]]:
    """The ``rows`` best rows of a ``supercon3d screen`` database (its own ranking: the
    furthest stage, then Tc), read from the CIF each row came from."""
    from supercon3d.screening.database import open_readonly

    with open_readonly(database) as opened:
        found = opened.top(rows)
    kept, dropped = [], []
    for row in found:
        name = f"d{len(kept) + len(dropped):05d}"
        cif = _row_cif(row, Path(database).parent)
        if cif is None:
            dropped.append(Dropped(name, str(row["reduced_formula"]), NO_CIF, str(row["id"])))
            continue
        for item in _cif_sources([cif], "d", "screen"):
            item.id = name
            (kept if isinstance(item, Source) else dropped).append(item)
    return kept, dropped

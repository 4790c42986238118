"""Where a discovery run's structures come from: the generator (from noise, from seeds), the
best rows of a ``supercon3d screen`` database and CIF files or folders. Each structure gets an
``id`` (``n00012`` from noise, ``s00012`` from seeds, ``c<file stem>`` from a CIF, ``d<row
number>`` from the database) that names it in every later stage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymatgen.core import Structure

from supercon3d.data.cif import expand_cif_paths
from supercon3d.data.inputs import read_cif_files
from supercon3d.discovery.settings import DiscoverySettings
from supercon3d.discovery.stages import Dropped
from supercon3d.generation.candidates import is_compound
from supercon3d.progress import Log, ProgressFactory

GENERATION_FOLDER = "generation"
"""Under the run folder: the generator's own output (``noise/``, ``seeds/``: CIFs,
candidates.csv and run.json of ``supercon3d generate``)."""

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
    if settings.generate > 0:
        runs.append(("noise", "n", settings.generate, False))
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


def _cif_sources(paths: list[Path], prefix: str, source: str) -> Iterator[Source | Dropped]:
    for read in read_cif_files(paths):
        path = Path(read.name)
        name = f"{prefix}{path.stem}"
        if read.error is None:
            yield Source(name, source, read.name, read.structure)
        else:
            yield Dropped(name, path.name, UNREADABLE, read.error)


def from_cifs(paths: tuple[str, ...]) -> tuple[list[Source], list[Dropped]]:
    """The structures of CIF files and folders (a folder: its ``*.cif``); a file met twice
    is read once."""
    unique = list(dict.fromkeys(path.resolve() for path in expand_cif_paths(paths)))
    items = list(_cif_sources(unique, "c", "cif"))
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

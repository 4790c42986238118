"""Building many graphs in parallel, cached on disk.

A graph is stored as ``<cache>/graphs/<settings digest>/<sha256 of the CIF bytes>.pt`` (a
dict of tensors, read back with ``torch.load(weights_only=True)``), so a changed file or
changed settings never reuse a stale graph. An unreadable cache file is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.executor import make_executor
from supercon3d.graphs.crystal_graph import (
    CrystalGraph,
    GraphBuildError,
    GraphSettings,
    graph_arrays,
)
from supercon3d.settings import cache_dir


@dataclass
class GraphSet:
    """Graphs built from files (in input order, failures left out) and what failed."""

    graphs: list[CrystalGraph]
    failures: list[ValueError]

    def by_name(self) -> dict[str, CrystalGraph]:
        return {g.name: g for g in self.graphs}


def graph_cache_dir(settings: GraphSettings, root: str | os.PathLike | None = None) -> Path:
    path = cache_dir(root) / "graphs" / settings.digest()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_cached(path: Path) -> CrystalGraph | None:
    try:
        return CrystalGraph.from_arrays(torch.load(path, weights_only=True))
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign file: rebuild it
        path.unlink(missing_ok=True)
        return None


def _build_and_store(job: tuple[str, GraphSettings, str | None]) -> dict | ValueError:
    source, settings, cache_file = job
    try:
        record = read_cif(source)
        arrays = graph_arrays(record.structure, settings, Path(source).name)
    except (CifReadError, GraphBuildError) as error:
        return error
    if cache_file is not None:
        tmp = Path(f"{cache_file}.{os.getpid()}.tmp")
        torch.save({k: torch.as_tensor(v) if k != "name" else v for k, v in arrays.items()}, tmp)
        tmp.replace(cache_file)
    return arrays


def graphs_from_cifs(
    paths: Sequence[str | os.PathLike],
    settings: GraphSettings = GraphSettings(),
    use_cache: bool = True,
    cache_root: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> GraphSet:
    """Graphs of CIF files; unreadable files or structures are returned in ``failures``.

    Graphs not in the cache are built on ``workers`` processes (default: all cores; see
    :func:`supercon3d.executor.make_executor`).
    """
    paths = [Path(p) for p in paths]
    folder = graph_cache_dir(settings, cache_root) if use_cache else None
    results: list[CrystalGraph | ValueError | None] = [None] * len(paths)
    jobs, job_index = [], []
    for i, path in enumerate(paths):
        if not path.is_file():
            results[i] = CifReadError(str(path), "no such file")
            continue
        cache_file = folder / f"{_file_key(path)}.pt" if folder else None
        cached = _load_cached(cache_file) if cache_file else None
        if cached is not None:
            cached.name = path.name
            results[i] = cached
            if progress:
                progress(1)
        else:
            jobs.append((str(path), settings, str(cache_file) if cache_file else None))
            job_index.append(i)

    with make_executor(workers, len(jobs)) as executor:
        for i, outcome in zip(job_index, executor.map(_build_and_store, jobs)):
            results[i] = (
                outcome if isinstance(outcome, ValueError) else CrystalGraph.from_arrays(outcome)
            )
            if progress:
                progress(1)
    graphs = [r for r in results if isinstance(r, CrystalGraph)]
    failures = [r for r in results if isinstance(r, ValueError)]
    return GraphSet(graphs, failures)

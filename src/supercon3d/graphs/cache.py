"""Building many graphs in parallel, cached on disk.

A graph is stored as ``<cache>/graphs/<settings digest>/<sha256 of the CIF bytes>.pt`` (a
dict of tensors, read back with ``torch.load(weights_only=True)``), so a changed file or
changed settings never reuse a stale graph. A cache file that cannot be read (damaged,
another program's) is rebuilt; a cache folder that cannot be created or written (a read-only
disk) is warned of once (:func:`~supercon3d.settings.warn_cache_once`) and the graphs are
built all the same, uncached.
"""

from __future__ import annotations

import contextlib
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
from supercon3d.settings import cache_dir, warn_cache_once


@dataclass
class GraphSet:
    """Graphs built from files (in input order, failures left out) and what failed."""

    graphs: list[CrystalGraph]
    failures: list[ValueError]

    def by_name(self) -> dict[str, CrystalGraph]:
        return {g.name: g for g in self.graphs}


def graph_cache_dir(settings: GraphSettings, root: str | os.PathLike | None = None) -> Path:
    """The folder of the graphs built with ``settings`` (created here); ``OSError`` when it
    cannot be created."""
    path = cache_dir(root) / "graphs" / settings.digest()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _usable_cache_dir(settings: GraphSettings, root: str | os.PathLike | None) -> Path | None:
    """:func:`graph_cache_dir`, or None, warned of once, when it cannot be created."""
    try:
        return graph_cache_dir(settings, root)
    except OSError as error:
        folder = cache_dir(root) / "graphs"
        reason = error.strerror or error
        warn_cache_once(folder, f"cannot be created ({reason}); graphs are built uncached")
        return None


def _file_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_cached(path: Path) -> CrystalGraph | None:
    """The cached graph at ``path``; None when there is none, or when it cannot be read
    (removed, where it can be, to be rebuilt)."""
    try:
        return CrystalGraph.from_arrays(torch.load(path, weights_only=True))
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: rebuild it
        reason = getattr(error, "strerror", None) or type(error).__name__
        warn_cache_once(path, f"cannot be read ({reason}; damaged?): the graph is rebuilt")
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


def _build_and_store(
    job: tuple[str, GraphSettings, str | None],
) -> tuple[dict, str | None] | ValueError:
    """The graph arrays of one file and, when they could not be cached, why; or the error
    that stopped the graph (runs in workers)."""
    source, settings, cache_file = job
    try:
        record = read_cif(source)
        arrays = graph_arrays(record.structure, settings, Path(source).name)
    except (CifReadError, GraphBuildError) as error:
        return error
    if cache_file is None:
        return arrays, None
    tmp = Path(f"{cache_file}.{os.getpid()}.tmp")
    try:
        torch.save({k: torch.as_tensor(v) if k != "name" else v for k, v in arrays.items()}, tmp)
        tmp.replace(cache_file)
    except OSError as error:  # a read-only cache folder: the graph is kept all the same
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return arrays, f"cannot be written ({error.strerror or error}); graphs are built uncached"
    return arrays, None


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
    :func:`supercon3d.executor.make_executor`). A cache that cannot be used is warned of once
    and the graphs are built all the same (see the module docstring).
    """
    paths = [Path(p) for p in paths]
    folder = _usable_cache_dir(settings, cache_root) if use_cache else None
    results: list[CrystalGraph | ValueError | None] = [None] * len(paths)
    jobs, job_index = [], []
    for i, path in enumerate(paths):
        if not path.is_file():
            results[i] = CifReadError(str(path), "no such file")
            continue
        try:
            cache_file = folder / f"{_file_key(path)}.pt" if folder else None
        except OSError as error:
            results[i] = CifReadError(str(path), error.strerror or str(error))
            continue
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
            if isinstance(outcome, ValueError):
                results[i] = outcome
            else:
                arrays, not_cached = outcome
                results[i] = CrystalGraph.from_arrays(arrays)
                if not_cached is not None:
                    warn_cache_once(folder, not_cached)
            if progress:
                progress(1)
    graphs = [r for r in results if isinstance(r, CrystalGraph)]
    failures = [r for r in results if isinstance(r, ValueError)]
    return GraphSet(graphs, failures)

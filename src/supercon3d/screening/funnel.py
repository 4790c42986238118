"""The screening funnel: sources streamed in shards through the two stages into the database.

How a run goes (the coordinator is this process; it alone writes the database):

1. **Stage 1 for everything.** Items stream from the sources
   (:mod:`~supercon3d.screening.sources`) in shards of ``shard_size``. Before a shard is sent
   out, every item whose content hash the database already holds (under any id: a resumed
   run, a duplicate, a moved file) gets a copy of the stored row and is not scored again.
   At most ``IN_FLIGHT_PER_WORKER`` shards per worker are out at once, so memory does not grow
   with the input. Each finished shard is written in one transaction.
2. **Stage 2 for the top.** When stage 1 has covered every source, the rows to rescore are
   chosen in the database: the ``rescore_top`` fraction of the readable rows by
   P(superconductor), or every row with P(superconductor) ≥ ``rescore_above``. The sources are
   streamed again, and the selected items (same id, same content) go through the structural
   ensemble in shards. The choice is made over the finished stage-1 table, so it is the same
   whether a run was interrupted or not; rows already at stage 2 are not redone. Stage-2
   shards hold about the same number of sites (:func:`stage_two_site_budget`), at least
   ``STAGE_TWO_SHARDS_PER_WORKER`` per worker where the selection allows, so that every
   worker gets some of it and no shard of large cells keeps one worker busy long after the
   others are done.

A run killed at any moment loses only the shards in flight; started again, it skips what is
stored and finishes the rest. Ctrl-C (SIGINT) stops the run: finished shards are written,
the ones being computed are dropped (the next run redoes them), and KeyboardInterrupt is
raised to the caller.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from supercon3d import __version__
from supercon3d.defaults import (
    DEFAULT_CIF_COLUMN,
    DEFAULT_LOCAL_SHARD_SIZE,
    DEFAULT_RESCORE_TOP,
    DEFAULT_SHARD_SIZE,
    ScreenEngine,
)
from supercon3d.executor import DaskExecutor, Executor, LocalExecutor, SerialExecutor
from supercon3d.screening.database import (
    SCHEMA,
    STAGE_COMPOSITION,
    STAGE_FAILED,
    STAGE_STRUCTURE,
    ScreenDatabase,
    Selected,
)
from supercon3d.screening.shards import Shard, failed_row, model_folder
from supercon3d.screening.sources import KIND_ERROR, StructureItem, iter_sources
from supercon3d.screening.tasks import rescore_shard, score_shard

IN_FLIGHT_PER_WORKER = 2
"""Shards sent out per worker at once: one running, one waiting."""
STAGE_TWO_SHARDS_PER_WORKER = 8
"""Stage-2 shards per worker (when the selection allows): a structure costs stage 2 about
nine times what it costs stage 1 (68 against 7.5 ms on one worker,
``benchmarks/screen_dask_scaling.py``), so the top 10 % of a 2,000-structure run in one
1,000-structure shard would leave all other workers idle; and the last shard keeps one
worker busy while the others idle, a tail that shrinks with the shard."""
POLL_SECONDS = 0.05
"""How often the coordinator checks for a finished shard or a stop request."""
ENGINES: tuple[str, ...] = get_args(ScreenEngine)
COPIED_COLUMNS_EXCLUDED = ("id", "source", "name")
"""What a row copied for the same content does not take from the stored row."""


@dataclass
class StageTiming:
    """What one stage did: structures scored, copied from stored rows, failed, and the wall
    time (s)."""

    scored: int = 0
    reused: int = 0
    failed: int = 0
    shards: int = 0
    wall_s: float = 0.0

    @property
    def per_second(self) -> float:
        """Structures scored per second of wall time."""
        return self.scored / self.wall_s if self.wall_s else 0.0


@dataclass
class ScreenRun:
    """What :func:`run_screen` did: the database, the stage-1 and stage-2 timings, the rows
    the database holds now (and how many of them failed) and the wall time (s) of the run."""

    database: Path
    composition: StageTiming = field(default_factory=StageTiming)
    structure: StageTiming = field(default_factory=StageTiming)
    rows: int = 0
    failed_rows: int = 0
    wall_s: float = 0.0


@dataclass(frozen=True)
class ShardDone:
    """Passed to ``on_shard`` after a shard is written: its stage, its number of rows and the
    rows the stage writes in all when known before it starts (stage 2: those selected)."""

    stage: int
    rows: int
    total: int | None = None


def _folder_digest(folder: Path) -> str:
    """The sha256 of a model folder: of its ``MANIFEST.sha256`` when it has one, else of
    every file (name and content), in sorted order."""
    manifest = folder / "MANIFEST.sha256"
    digest = hashlib.sha256()
    files = (
        [manifest] if manifest.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    )
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_identity(checkpoints: str | os.PathLike | None = None) -> dict[str, str]:
    """What a database records of the run that writes it: schema, package version, and the
    models (structural ensemble with its composition models, and the shipped classifier)."""
    from importlib import resources

    from supercon3d.models.shipped import SHIPPED_CLASSIFIER

    folder = model_folder(checkpoints)
    with resources.as_file(resources.files("supercon3d.resources") / SHIPPED_CLASSIFIER) as path:
        classifier = _folder_digest(Path(path))
    model = f"{folder.name}:{_folder_digest(folder)[:16]}+classifier:{classifier[:16]}"
    return {"schema": SCHEMA, "package_version": __version__, "model": model}


def make_screen_executor(
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> Executor:
    """The engine of a screen: ``local`` (a process pool of ``workers``, default all cores;
    run here when that is one) or ``dask`` (the scheduler at ``scheduler``, else a
    ``LocalCluster`` of ``workers``)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "dask":
        return DaskExecutor(scheduler, workers)
    if scheduler is not None:
        raise ValueError("--scheduler needs --engine dask")
    count = workers if workers is not None else (os.cpu_count() or 1)
    return SerialExecutor() if count == 1 else LocalExecutor(count)


class _StopRequest:
    """Set by SIGINT while a screen runs (in the main thread); the previous handler is back
    afterwards."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous = None

    def __enter__(self) -> _StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    @property
    def requested(self) -> bool:
        return self.event.is_set()


def _shards(items: Iterable[StructureItem], size: int) -> Iterator[tuple[StructureItem, ...]]:
    iterator = iter(items)
    while shard := tuple(itertools.islice(iterator, size)):
        yield shard


def _bounded(
    executor: Executor,
    function: Callable[[Shard], list[dict]],
    shards: Iterable[Shard],
    in_flight: int,
    stop: _StopRequest,
) -> Iterator[list[dict]]:
    """The result of ``function`` on each shard as soon as it is finished (not in the order
    of the shards), with at most ``in_flight`` shards out at once: a slow shard does not keep
    the other workers waiting for new work. On a stop request, the finished results are still
    yielded, then KeyboardInterrupt is raised."""
    pending: list = []
    shards = iter(shards)
    exhausted = False
    while True:
        while not exhausted and not stop.requested and len(pending) < in_flight:
            shard = next(shards, None)
            if shard is None:
                exhausted = True
            else:
                pending.append(executor.submit(function, shard))
        if not pending:
            break
        while not (finished := [f for f in pending if f.done()]) and not stop.requested:
            time.sleep(POLL_SECONDS)
        if stop.requested:
            break
        for future in finished:
            pending.remove(future)
            yield future.result()
    if stop.requested:
        for future in pending:
            if future.done() and future.exception() is None:
                yield future.result()
            else:
                future.cancel()
        raise KeyboardInterrupt


def _copied(item: StructureItem, stored: dict) -> dict:
    """The stored row of the same content, under this item's id."""
    row = {k: v for k, v in stored.items() if k not in COPIED_COLUMNS_EXCLUDED}
    return {**row, "id": item.id, "source": item.source, "name": item.name}


def _stage_one_shards(
    database: ScreenDatabase,
    items: Iterable[StructureItem],
    size: int,
    checkpoints: str | None,
    data: str | None,
    timing: StageTiming,
) -> Iterator[Shard]:
    """Shards of the items to score; an item whose content the database holds gets a copy
    of the stored row at once instead, and one its source could not give is written as a
    failed row here."""
    for group in _shards(items, size):
        stored = database.finished(item.sha256 for item in group)
        copies = [_copied(item, stored[item.sha256]) for item in group if item.sha256 in stored]
        failed = [failed_row(item, item.error) for item in group if item.kind == KIND_ERROR]
        todo = tuple(
            item for item in group if item.sha256 not in stored and item.kind != KIND_ERROR
        )
        if copies or failed:
            database.write(copies + failed)
            timing.reused += len(copies)
            timing.scored += len(failed)
            timing.failed += len(failed)
        if todo:
            yield Shard(todo, checkpoints, data)


def stage_two_site_budget(selected: Mapping[str, Selected], workers: int) -> int:
    """Sites per stage-2 shard: the selection's sites spread over
    :data:`STAGE_TWO_SHARDS_PER_WORKER` shards per worker, so that the shards cost about the
    same whatever the sizes of their cells."""
    total = sum(choice.n_sites for choice in selected.values())
    return max(1, math.ceil(total / (STAGE_TWO_SHARDS_PER_WORKER * max(1, workers))))


def stage_two_shards(
    items: Iterable[StructureItem],
    selected: Mapping[str, Selected],
    max_items: int,
    site_budget: int,
    checkpoints: str | None,
) -> Iterator[Shard]:
    """Shards of the ``selected`` items (same id and content), in source order: a shard
    closes at ``max_items`` items or once its cells hold ``site_budget`` sites."""
    group: list[StructureItem] = []
    sites = 0
    for item in items:
        choice = selected.get(item.id)
        if choice is None or item.sha256 is None or choice.sha256 != item.sha256:
            continue
        group.append(item)
        sites += choice.n_sites
        if len(group) == max_items or sites >= site_budget:
            yield Shard(tuple(group), checkpoints)
            group, sites = [], 0
    if group:
        yield Shard(tuple(group), checkpoints)


def run_screen(
    sources: Sequence[str | os.PathLike],
    database_path: str | os.PathLike,
    rescore_top: float | None = DEFAULT_RESCORE_TOP,
    *,
    rescore_above: float | None = None,
    cif_column: str = DEFAULT_CIF_COLUMN,
    id_column: str | None = None,
    executor: Executor | None = None,
    shard_size: int | None = None,
    checkpoints: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    force_new: bool = False,
    on_shard: Callable[[ShardDone], None] | None = None,
) -> ScreenRun:
    """Screen ``sources`` into the database at ``database_path`` (see the module docstring);
    ``executor``: the engine (default: :func:`make_screen_executor`'s local pool, closed at
    the end); ``shard_size``: structures per task (default ``DEFAULT_SHARD_SIZE`` on Dask,
    ``DEFAULT_LOCAL_SHARD_SIZE`` otherwise); ``on_shard`` is called after each shard is
    written."""
    if rescore_above is not None:
        rescore_top = None
    if rescore_top is not None and not 0.0 <= rescore_top <= 1.0:
        raise ValueError(f"rescore_top must be a fraction in [0, 1], got {rescore_top}")
    if shard_size is not None and shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    started = time.perf_counter()
    checkpoints = None if checkpoints is None else os.fspath(checkpoints)
    data = None if data is None else os.fspath(data)
    identity = run_identity(checkpoints)
    own_executor = executor is None
    run = ScreenRun(Path(database_path))
    with (
        ScreenDatabase.open(database_path, identity, force_new) as database,
        _StopRequest() as stop,
    ):
        executor = executor or make_screen_executor()
        if shard_size is None:
            dask = isinstance(executor, DaskExecutor)
            shard_size = DEFAULT_SHARD_SIZE if dask else DEFAULT_LOCAL_SHARD_SIZE
        try:
            in_flight = IN_FLIGHT_PER_WORKER * executor.workers
            items = iter_sources(sources, cif_column, id_column)
            shards = _stage_one_shards(
                database, items, shard_size, checkpoints, data, run.composition
            )
            _run_stage(
                run.composition,
                executor,
                score_shard,
                shards,
                in_flight,
                stop,
                database.write,
                STAGE_COMPOSITION,
                on_shard,
            )
            selected = database.rescore_selection(rescore_top, rescore_above)
            if selected:
                items = iter_sources(sources, cif_column, id_column)
                budget = stage_two_site_budget(selected, executor.workers)
                shards = stage_two_shards(items, selected, shard_size, budget, checkpoints)
                _run_stage(
                    run.structure,
                    executor,
                    rescore_shard,
                    shards,
                    in_flight,
                    stop,
                    database.write_structure_stage,
                    STAGE_STRUCTURE,
                    on_shard,
                    total=len(selected),
                )
        finally:
            if own_executor:
                executor.close()
        run.rows = database.count()
        run.failed_rows = database.count("error IS NOT NULL")
    run.wall_s = time.perf_counter() - started
    return run


def _run_stage(
    timing: StageTiming,
    executor: Executor,
    function: Callable[[Shard], list[dict]],
    shards: Iterable[Shard],
    in_flight: int,
    stop: _StopRequest,
    write: Callable[[list[dict]], None],
    stage: int,
    on_shard: Callable[[ShardDone], None] | None,
    total: int | None = None,
) -> None:
    started = time.perf_counter()
    try:
        for rows in _bounded(executor, function, shards, in_flight, stop):
            write(rows)
            timing.shards += 1
            timing.scored += len(rows)
            failed = STAGE_FAILED if stage == STAGE_COMPOSITION else STAGE_COMPOSITION
            timing.failed += sum(row["stage"] == failed for row in rows)
            if on_shard is not None:
                on_shard(ShardDone(stage, len(rows), total))
    finally:
        timing.wall_s += time.perf_counter() - started

"""The project's process pool (:class:`supercon3d.executor.LocalExecutor`) against joblib's
loky backend on the same ``screen`` workload, interleaved on one machine.

    nice -n 10 python benchmarks/executor_loky.py [--n 200] [--repeats 2] [--loky-first]

``--n`` CIFs of the screening corpus (spread evenly, as ``screen_throughput.py`` takes them)
are screened into a new database with the defaults (stage 1 for all, stage 2 for the top
10 %) through ``supercon3d.api.screen``'s library function, once per engine and repeat, the
engines alternating so that a change in the machine's load hits both (``--loky-first``: loky
opens each repeat, to balance a trend in the load). The loky engine is a thin adapter
(:class:`LokyExecutor`: ``submit`` and ``map`` on loky's process pool, workers on one
thread); the screen needs nothing more. A warm-up screen of a few CIFs (in this
process, no workers) first fills the on-disk caches both engines read. Printed: the wall time
(s) of each run and the median per engine, with the load average before each run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import as_completed
from pathlib import Path

from screen_common import corpus_files, linked_sample

from supercon3d.executor import (
    DEFAULT_CHUNKSIZE,
    THREAD_VARIABLES,
    Executor,
    LocalExecutor,
    SerialExecutor,
)
from supercon3d.machine import describe_machine
from supercon3d.screening.funnel import run_screen

WARM_UP = 8
"""CIFs screened here, without workers, before timing (fills the caches on disk)."""


class LokyExecutor(Executor):
    """``workers`` loky processes (joblib's backend), one torch thread each."""

    def __init__(self, workers: int):
        from joblib.externals.loky import ProcessPoolExecutor

        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, env=dict.fromkeys(THREAD_VARIABLES, "1"))

    def map(self, function: Callable, items: Iterable, chunksize: int = DEFAULT_CHUNKSIZE):
        return self._pool.map(function, items, chunksize=chunksize)

    def map_unordered(self, function: Callable, items: Iterable, report=None) -> Iterator:
        futures = [self._pool.submit(function, item) for item in items]
        return (future.result() for future in as_completed(futures))

    def submit(self, function: Callable, item):
        return self._pool.submit(function, item)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


ENGINES = {"executor.LocalExecutor": LocalExecutor, "joblib loky": LokyExecutor}


def timed_screen(folder: Path, engine: Callable[[int], Executor], workers: int) -> float:
    """Wall time (s) of one screen of ``folder`` into a new database, pool start and close
    included."""
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        with engine(workers) as executor:
            run_screen([folder], Path(scratch) / "screen.db", executor=executor)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loky-first", action="store_true", help="loky first in each repeat")
    args = parser.parse_args()
    engines = dict(reversed(ENGINES.items())) if args.loky_first else ENGINES
    print(describe_machine())
    files = corpus_files()
    with tempfile.TemporaryDirectory() as scratch:
        warm = linked_sample(files, WARM_UP, Path(scratch) / "warm")
        timed_screen(warm, lambda _: SerialExecutor(), args.workers)
        folder = linked_sample(files, args.n, Path(scratch) / "cifs")
        times: dict[str, list[float]] = {name: [] for name in engines}
        for repeat in range(args.repeats):
            for name, engine in engines.items():
                load = os.getloadavg()[0]
                seconds = timed_screen(folder, engine, args.workers)
                times[name].append(seconds)
                print(f"repeat {repeat}: {name}: {seconds:.1f} s (load average {load:.1f})",
                      flush=True)  # fmt: skip
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name}: median {median:.1f} s, {args.n / median:.1f} structures/s")


if __name__ == "__main__":
    main()

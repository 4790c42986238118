"""One executor for every parallel stage: a function over items, in worker processes or here.

Workers are started with ``spawn`` (forking a process that already runs torch threads can
deadlock) and run torch on one thread each. Starting one costs its imports, about 1 s for CIF
reading and 5 s once torch is needed, so :func:`worker_count` starts no more workers than
there are ``MIN_ITEMS_PER_WORKER`` items for, and runs the items here when that is one.

An error raised by the function in a worker is raised again here; one that cannot be pickled
is raised as :class:`WorkerError` with its one-line message instead of breaking the pool.
A worker keeps what it loads (a model ensemble) for its later tasks with
:func:`worker_resource`. :func:`make_executor` picks the engine: :class:`LocalExecutor` or
:class:`SerialExecutor`; :class:`DaskExecutor` runs the same functions on a Dask cluster
(a scheduler's address, or a ``LocalCluster`` it starts). :meth:`Executor.submit` starts one
task and returns its future (``done()``, ``result()``), for callers that keep only a bounded
number of tasks in flight over a stream.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any, TypeVar

from supercon3d.errors import SuperCon3DError, missing_extra

Item = TypeVar("Item")
Result = TypeVar("Result")
Report = Callable[[Any], None]

DEFAULT_CHUNKSIZE = 8
"""Items sent to a worker at once by :meth:`Executor.map`."""
MIN_ITEMS_PER_WORKER = 256
"""Fewest items worth starting a worker for. Its imports take about 1 s for CIF reading and
5 s once torch is needed: the time to read 250 CIFs (4 ms each) or to read and build 340
graphs (14 ms each), measured on 2 cores."""
PARENT_POLL_SECONDS = 1.0
"""How often a worker checks that the process that started it still runs."""
REPORT_POLL_SECONDS = 0.2
"""How often :meth:`LocalExecutor.map_unordered` checks for a broken pool while it waits."""
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Set to 1 in a worker, so torch imported later in it also runs on one thread."""

_REPORT, _DONE = "report", "done"

_resources: dict[Hashable, Any] = {}
_shared: Any = None
_report: Report | None = None
_messages: Any = None  # in a worker: the queue of reports to the parent process


DASK_EXTRA = "cluster"
"""The optional dependency group that installs Dask."""
"""What installs the Dask engine's packages (dask.distributed, dask-jobqueue)."""


class EngineUnavailableError(SuperCon3DError, RuntimeError):
    """An engine whose optional packages are not installed (one line says what to install)."""


class WorkerError(RuntimeError):
    """An error raised in a worker that could not be sent back as itself; one line."""


def resolve_workers(workers: int | None) -> int:
    """``workers`` checked to be at least 1; ``None`` means all cores."""
    if workers is None:
        return os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return workers


def worker_count(n_items: int, workers: int | None, min_items_per_worker: int | None = None) -> int:
    """Processes worth using for ``n_items``: at most ``workers`` (``None``: all cores), and
    no more than give each ``min_items_per_worker`` items (default ``MIN_ITEMS_PER_WORKER``).
    1 means the items run in this process."""
    workers = resolve_workers(workers)
    per_worker = MIN_ITEMS_PER_WORKER if min_items_per_worker is None else min_items_per_worker
    return max(1, min(workers, n_items // max(1, per_worker)))


def worker_resource(key: Hashable, factory: Callable[[], Result]) -> Result:
    """The object ``key`` of this process, made by ``factory()`` on first use: a worker
    function loads a model once per worker, not once per task."""
    if key not in _resources:
        _resources[key] = factory()
    return _resources[key]


def shared_object() -> Any:
    """The ``shared`` object the running executor was made with (sent once per worker)."""
    return _shared


def send_report(message: Any) -> None:
    """Pass ``message`` (picklable) to the ``report`` callback of the running
    :meth:`Executor.map_unordered`; nothing happens outside one."""
    if _report is not None:
        _report(message)


def _sendable(error: Exception) -> Exception:
    """``error`` if it survives pickling, else a :class:`WorkerError` with its first line."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        first_line = next(iter(str(error).splitlines()), "")
        return WorkerError(f"{type(error).__name__}: {first_line}")
    return error


def _run(function: Callable[[Item], Result], item: Item) -> Result:
    """``function(item)`` in a worker, its error made sendable."""
    try:
        return function(item)
    except Exception as error:
        sendable = _sendable(error)
        if sendable is error:
            raise
        raise sendable from error


def _run_reporting(function: Callable[[Item], Result], task: tuple[int, int], item: Item) -> Result:
    """``function(item)`` in a worker with its reports sent to the parent, then ``task`` as
    the last message of this task."""
    global _report
    _report = partial(_post_report, task[0])
    try:
        return _run(function, item)
    finally:
        _report = None
        _messages.put((task[0], _DONE, task[1]))


def _post_report(call: int, message: Any) -> None:
    _messages.put((call, _REPORT, message))


def _leave_on_interrupt(signum: int, frame: Any) -> None:
    """A worker's answer to Ctrl-C: leave at once and silently (the parent reports it)."""
    os._exit(128 + signum)


def _one_thread() -> None:
    """Run torch, and the BLAS libraries torch loads later, on one thread in this process."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _leave_when_orphaned(parent: int) -> None:
    """Poll (every :data:`PARENT_POLL_SECONDS`) until the process that started this worker
    is gone, then leave at once: a parent killed outright (SIGKILL, SIGTERM) would otherwise
    leave the worker running its task to the end (a relaxation: minutes)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _start_worker(messages: Any, shared: Any) -> None:
    """Worker initializer: Ctrl-C ends the worker quietly, so does the end of its parent; one
    torch thread, the report queue and the shared object."""
    global _messages, _shared
    signal.signal(signal.SIGINT, _leave_on_interrupt)
    threading.Thread(target=_leave_when_orphaned, args=(os.getppid(),), daemon=True).start()
    _one_thread()
    _messages, _shared = messages, pickle.loads(shared)


class _InterruptIgnoringProcess(SpawnProcess):
    """A spawned worker that ignores Ctrl-C until :func:`_start_worker` (the disposition
    survives the exec, so Python installs no KeyboardInterrupt handler): Ctrl-C reaches the
    whole process group, and a worker starting up would print a traceback."""

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return super().start()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().start()
        finally:
            signal.signal(signal.SIGINT, previous)


class _WorkerContext(SpawnContext):
    Process = _InterruptIgnoringProcess


class Executor(ABC):
    """Runs a function over items; use it as a context manager (``with``)."""

    workers: int

    @abstractmethod
    def map(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        chunksize: int = DEFAULT_CHUNKSIZE,
    ) -> Iterator[Result]:
        """``function`` of each item, yielded in input order as they become ready."""

    @abstractmethod
    def map_unordered(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        report: Report | None = None,
    ) -> Iterator[Result]:
        """``function`` of each item (one task each), yielded as they finish; what the
        function passes to :func:`send_report` reaches ``report`` here meanwhile."""

    @abstractmethod
    def submit(self, function: Callable[[Item], Result], item: Item) -> Any:
        """Start ``function(item)`` as one task; its future has ``done()`` and ``result()``
        (which raises the task's error)."""

    @abstractmethod
    def close(self) -> None:
        """Release the workers (waiting for running tasks)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs everything in this process (and torch on this process's threads)."""

    workers = 1

    def __init__(self, shared: Any = None):
        global _shared
        self._previous_shared, _shared = _shared, shared

    def map(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        chunksize: int = DEFAULT_CHUNKSIZE,
    ) -> Iterator[Result]:
        return map(function, items)

    def map_unordered(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        report: Report | None = None,
    ) -> Iterator[Result]:
        global _report
        for item in items:
            previous, _report = _report, report
            try:
                result = function(item)
            finally:
                _report = previous
            yield result

    def submit(self, function: Callable[[Item], Result], item: Item) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(item))
        except Exception as error:
            future.set_exception(error)
        return future

    def close(self) -> None:
        global _shared
        _shared = self._previous_shared


class LocalExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine, one torch thread each;
    ``shared`` is sent to each worker once (read there with :func:`shared_object`), as a copy
    pickled in this process: sent as it is, every tensor in it would hold a file descriptor
    open (torch's sharing), and a training set of 9,000 graphs passes the open-file limit."""

    def __init__(self, workers: int, shared: Any = None):
        self.workers = resolve_workers(workers)
        context = _WorkerContext()
        self._messages = context.Queue()
        self._calls = itertools.count()
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._messages, pickle.dumps(shared)),
        )

    def map(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        chunksize: int = DEFAULT_CHUNKSIZE,
    ) -> Iterator[Result]:
        return self._pool.map(partial(_run, function), items, chunksize=chunksize)

    def map_unordered(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        report: Report | None = None,
    ) -> Iterator[Result]:
        call = next(self._calls)
        futures = {
            index: self._pool.submit(_run_reporting, function, (call, index), item)
            for index, item in enumerate(items)
        }
        waiting = set(futures)
        while waiting:
            try:
                message_call, kind, payload = self._messages.get(timeout=REPORT_POLL_SECONDS)
            except queue.Empty:
                _raise_if_broken(futures[index] for index in waiting)
                continue
            if message_call != call:
                continue
            if kind == _REPORT:
                if report is not None:
                    report(payload)
            else:
                waiting.discard(payload)
                yield futures[payload].result()

    def submit(self, function: Callable[[Item], Result], item: Item) -> Future:
        return self._pool.submit(_run, function, item)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._messages.close()
        self._messages.join_thread()


def _run_on_one_thread(function: Callable[[Item], Result], item: Item) -> Result:
    """``function(item)`` in a Dask worker, on one thread like a :class:`LocalExecutor`'s."""
    _one_thread()
    return _run(function, item)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: the scheduler at ``address``, or a ``LocalCluster`` of
    ``workers`` processes (one thread each) started here and stopped on :meth:`close`. Each
    Dask worker is a separate process, so :func:`worker_resource` keeps one model per worker
    as in a :class:`LocalExecutor`; ``shared`` and the reports of :meth:`map_unordered` are
    not supported."""

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:
            raise EngineUnavailableError(
                missing_extra("the Dask engine", f"dask.distributed ({error})", DASK_EXTRA)
            ) from None

        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=resolve_workers(workers), threads_per_worker=1, processes=True,
                dashboard_address=None,
            )  # fmt: skip
            address = self._cluster.scheduler_address
        self._client = Client(address)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def map(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        chunksize: int = DEFAULT_CHUNKSIZE,
    ) -> Iterator[Result]:
        futures = [self.submit(function, item) for item in items]
        return (future.result() for future in futures)

    def map_unordered(
        self,
        function: Callable[[Item], Result],
        items: Iterable[Item],
        report: Report | None = None,
    ) -> Iterator[Result]:
        from distributed import as_completed

        return (future.result() for future in as_completed(
            [self.submit(function, item) for item in items]))  # fmt: skip

    def submit(self, function: Callable[[Item], Result], item: Item) -> Any:
        return self._client.submit(_run_on_one_thread, function, item, pure=False)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _raise_if_broken(futures: Iterable[Future]) -> None:
    """Raise the error of a future whose worker died (it will send no more messages)."""
    for future in futures:
        if future.done() and isinstance(future.exception(), BrokenProcessPool):
            future.result()


def make_executor(
    workers: int | None,
    n_items: int,
    min_items_per_worker: int | None = None,
    shared: Any = None,
) -> Executor:
    """The executor for ``n_items`` items: a :class:`LocalExecutor` of
    :func:`worker_count` processes, or a :class:`SerialExecutor` when that is one."""
    count = worker_count(n_items, workers, min_items_per_worker)
    if count == 1:
        return SerialExecutor(shared)
    return LocalExecutor(count, shared)

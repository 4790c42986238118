"""Discovery runs under the server's runs folder: started in the background, listed, compared.

A run is a sub-folder named by the user (letters, digits, ``-`` and ``_`` only: a name
never becomes any other path). Its state is what :func:`supercon3d.api.discover` writes
(``run.json`` after every stage), so a page reloaded, or a server started again, sees the
same stages; the jobs this process started add their status and log lines.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from supercon3d import api
from supercon3d.errors import SuperCon3DError

RUN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RUN_FILE = "run.json"
REPORT_FILE = "report.html"
SUN_NUMERATOR, SUN_DENOMINATOR = "unique", "sources"
"""The SUN rate: structures kept stable, unique and novel (``unique`` stage out) per
structure made or named (``sources`` stage in, the invalid ones included), as
``benchmarks/discover_run.py`` counts it over the generated structures."""
LOG_LINES = 200
"""Log lines kept per job."""
RUNNING, FINISHED, FAILED = "running", "finished", "failed"


class RunNameError(SuperCon3DError, ValueError):
    """A run name that is not a plain folder name."""


@dataclass
class Job:
    """A discovery run started by this server: its status and last log lines."""

    name: str
    status: str = RUNNING
    error: str | None = None
    log: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    thread: threading.Thread | None = field(default=None, repr=False)

    def say(self, message: str) -> None:
        self.log = [*self.log, str(message)][-LOG_LINES:]


def run_folder(runs: Path, name: str) -> Path:
    """The folder of run ``name`` under ``runs``; :class:`RunNameError` for any other name."""
    if not RUN_NAME.match(name):
        raise RunNameError(f"{name!r}: a run name is 1-64 letters, digits, '-' or '_'")
    return runs / name


def _sun_rate(stages: list[dict]) -> float | None:
    kept = {stage["name"]: stage["n_out"] for stage in stages}
    made = {stage["name"]: stage["n_in"] for stage in stages}
    if not made.get(SUN_DENOMINATOR) or SUN_NUMERATOR not in kept:
        return None
    return kept[SUN_NUMERATOR] / made[SUN_DENOMINATOR]


def describe_run(folder: Path, job: Job | None) -> dict:
    """A run's summary: ``name``, ``status`` (running, finished, failed, or ``stopped``
    for an unfinished run no job of this server runs), ``stages`` (name, n_in, n_out,
    seconds per finished stage), ``sun_rate``, ``counts`` (candidates per table),
    ``settings``, ``report`` (whether report.html exists), ``error`` and ``log``."""
    record: dict = {}
    if (folder / RUN_FILE).is_file():
        try:
            record = json.loads((folder / RUN_FILE).read_text())
        except (OSError, ValueError) as error:
            record = {"error": f"{RUN_FILE} unreadable ({error})"}
    stages = [{k: s.get(k) for k in ("name", "n_in", "n_out", "seconds")}
              for s in record.get("stages", [])]  # fmt: skip
    status = job.status if job else (FINISHED if record.get("finished") else "stopped")
    return {
        "name": folder.name, "status": status, "stages": stages,
        "sun_rate": _sun_rate(stages), "counts": record.get("counts", {}),
        "settings": record.get("settings", {}), "started": record.get("started"),
        "report": (folder / REPORT_FILE).is_file(),
        "error": (job.error if job else None) or record.get("error"),
        "log": job.log if job else [],
    }  # fmt: skip


def list_runs(runs: Path, jobs: dict[str, Job]) -> list[dict]:
    """Every run folder under ``runs`` (and every job), by name."""
    names = {p.name for p in runs.iterdir() if p.is_dir() and RUN_NAME.match(p.name)} | set(jobs)
    return [describe_run(runs / name, jobs.get(name)) for name in sorted(names)]


def start_run(runs: Path, jobs: dict[str, Job], name: str, quick: bool, seed: int | None) -> Job:
    """Start (or resume) run ``name`` in a background thread; :class:`RunNameError` for a
    bad name or a run already running."""
    folder = run_folder(runs, name)
    if name in jobs and jobs[name].status == RUNNING:
        raise RunNameError(f"{name!r} is already running")
    job = Job(name)

    def work() -> None:
        try:
            api.discover(folder, quick=quick, seed=seed, log=job.say)
            job.status = FINISHED
        except Exception as error:  # any failure of the run is the job's one line
            job.error = f"{name}: {error}"
            job.status = FAILED

    job.thread = threading.Thread(target=work, name=f"discover-{name}", daemon=True)
    jobs[name] = job
    job.thread.start()
    return job

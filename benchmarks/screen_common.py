"""What the screening benchmarks share: the benchmark corpus, running ``supercon3d screen`` in
a subprocess with cold caches while sampling the memory of its process tree, and reading the
table it wrote."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from supercon3d.screening.database import open_readonly
from supercon3d.settings import dataset_path

CORPUS_FOLDERS = ("3dsc_mp/cifs", "mp_structures/cifs")
"""The 15,608 CIFs of the issue's benchmark: 3DSC's Materials Project part and the MP
structures it matched against."""
SAMPLE_SECONDS = 0.2
"""How often the memory of the process tree is read."""
_STAGE_LINE = re.compile(
    r"stage 1: ([\d,]+) scored .*?, ([\d.]+) s; stage 2: ([\d,]+) rescored, ([\d.]+) s", re.S
)


def corpus_files() -> list[Path]:
    """Every CIF of :data:`CORPUS_FOLDERS`, sorted by folder then name."""
    return [p for folder in CORPUS_FOLDERS for p in sorted(dataset_path(folder).glob("*.cif"))]


def linked_sample(files: list[Path], n: int, folder: Path) -> Path:
    """A folder of symbolic links to ``n`` of ``files`` spread evenly over the list (every
    one when ``n`` is its length): a source of ``n`` CIFs."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = [files[index * len(files) // n] for index in range(n)]
    for index, path in enumerate(chosen):
        (folder / f"{index:06d}_{path.name}").symlink_to(path)
    return folder


@dataclass
class ScreenCommandRun:
    """One ``supercon3d screen`` subprocess: exit status, wall time (s), the peak resident
    memory (MiB) of the coordinator, of the largest worker and of the whole tree at once,
    the stage-1 and stage-2 structure counts and wall times (s) it printed, and its stderr.
    ``coordinator_cpu_s``: the CPU time (user + system, s) of the coordinator process alone
    (Dask's scheduler runs in it), as last read before it exited."""

    returncode: int
    wall_s: float
    coordinator_cpu_s: float
    peak_coordinator_mib: float
    peak_worker_mib: float
    peak_total_mib: float
    stage1: int
    stage1_s: float
    stage2: int
    stage2_s: float
    stderr: str


def run_screen_command(arguments: list[str], cache: Path) -> ScreenCommandRun:
    """Run ``python -m supercon3d screen ARGUMENTS`` with its cache folder at ``cache``
    (empty: cold), sampling the memory of its process tree."""
    env = {**os.environ, "SUPERCON3D_CACHE": str(cache), "COLUMNS": "160"}
    command = [sys.executable, "-m", "supercon3d", "screen", *arguments]
    started = time.perf_counter()
    log = tempfile.TemporaryFile("w+")  # not a pipe: a long run cannot fill it and block
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    parent = psutil.Process(process.pid)
    peak_parent = peak_worker = peak_total = 0
    coordinator_cpu = 0.0
    while process.poll() is None:
        try:
            children = parent.children(recursive=True)
            own = parent.memory_info().rss
            others = [child.memory_info().rss for child in children]
            times = parent.cpu_times()
            coordinator_cpu = times.user + times.system
        except psutil.Error:
            own, others = 0, []
        peak_parent = max(peak_parent, own)
        peak_worker = max([peak_worker, *others])
        peak_total = max(peak_total, own + sum(others))
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    log.seek(0)
    stderr = log.read()
    log.close()
    match = _STAGE_LINE.search(" ".join(stderr.split()))
    stage = (
        (
            int(match[1].replace(",", "")),
            float(match[2]),
            int(match[3].replace(",", "")),
            float(match[4]),
        )
        if match
        else (0, 0.0, 0, 0.0)
    )
    mib = 2**20
    return ScreenCommandRun(
        process.returncode,
        wall,
        coordinator_cpu,
        peak_parent / mib,
        peak_worker / mib,
        peak_total / mib,
        *stage,
        stderr,
    )


def table(path: Path) -> list[dict]:
    """Every row of a screening database, by id."""
    with open_readonly(path) as database:
        return database.all_rows()


def differences(first: list[dict], second: list[dict], tolerance: float = 1e-6) -> list[str]:
    """Where two tables differ (ids, or a value beyond a relative ``tolerance``)."""
    found = []
    if [row["id"] for row in first] != [row["id"] for row in second]:
        return [f"ids differ: {len(first)} rows vs {len(second)}"]
    for a, b in zip(first, second):
        for column, value in a.items():
            other = b[column]
            if isinstance(value, float) and isinstance(other, float):
                if abs(value - other) > tolerance * max(abs(value), abs(other), 1e-12):
                    found.append(f"{a['id']} {column}: {value} vs {other}")
            elif value != other:
                found.append(f"{a['id']} {column}: {value!r} vs {other!r}")
    return found


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())

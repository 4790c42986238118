"""``supercon3d screen`` killed with SIGKILL at random moments, then resumed, gives the table
of an uninterrupted run.

    python benchmarks/screen_kill_resume.py [--n 300] [--kills 3] [--seed 0]

An uninterrupted run first; then the same command on a new database is started ``--kills``
times, each resuming what the last one left, and killed (the coordinator and its workers, like
``kill -9`` of the job) at a random moment of its work: once the database shows a progress
(rows written, plus rows rescored) drawn uniformly over the whole run (the ``--kills`` draws
taken in increasing order), and a further random delay of up to ``MAX_EXTRA_DELAY_S``, so
that kills land inside batches too. A final run finishes it. Each kill is followed by a check
that the database opens and how many rows it kept; the final table is compared column by
column (floats to a relative 1e-6).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screen_common import corpus_files, differences, linked_sample, load_average, table

from supercon3d.machine import describe_machine

SHARD_SIZE = 20
"""Small shards, so that a kill lands between many commits."""
DEFAULT_N = 300
MAX_EXTRA_DELAY_S = 2.0
POLL_S = 0.1
RESCORE_TOP = 0.1


def progress(path: Path) -> int:
    """Rows written plus rows rescored (0 before the database exists or while it is locked)."""
    import sqlite3

    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1.0) as connection:
            query = "SELECT COUNT(*), COALESCE(SUM(stage = 2), 0) FROM results"
            rows, rescored = connection.execute(query).fetchone()
    except sqlite3.DatabaseError:
        return 0
    return rows + rescored


def screen(arguments: list[str], cache: Path) -> subprocess.Popen:
    env = {**os.environ, "SUPERCON3D_CACHE": str(cache)}
    command = [sys.executable, "-m", "supercon3d", "screen", *arguments]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    draw = random.Random(args.seed)
    print(f"machine: {describe_machine()}")
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = linked_sample(corpus_files(), args.n, scratch / "cifs")
        common = [str(source), "--shard-size", str(SHARD_SIZE), "--top", "0"]
        started = time.perf_counter()
        reference_db = scratch / "uninterrupted.sqlite"
        screen([*common, "--db", str(reference_db)], scratch / "cache-a").wait()
        wall = time.perf_counter() - started
        print(f"uninterrupted: {args.n} CIFs in {wall:.1f} s")
        killed_db = scratch / "killed.sqlite"
        end = round(args.n * (1 + RESCORE_TOP))
        targets = sorted(draw.uniform(0, end) for _ in range(args.kills))
        for kill, target in enumerate(targets, start=1):
            delay = draw.uniform(0.0, MAX_EXTRA_DELAY_S)
            process = screen([*common, "--db", str(killed_db)], scratch / "cache-b")
            while process.poll() is None and progress(killed_db) < target:
                time.sleep(POLL_S)
            time.sleep(delay)
            if process.poll() is not None:
                print(f"kill {kill}: the run finished before progress {target:.0f}")
                continue
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            rows = table(killed_db)
            rescored = sum(row["stage"] == 2 for row in rows)
            print(
                f"kill {kill}: SIGKILL at progress {target:.0f} of {end} + {delay:.1f} s; "
                f"the database opens: {len(rows)} rows, {rescored} rescored"
            )
        screen([*common, "--db", str(killed_db)], scratch / "cache-b").wait()
        found = differences(table(reference_db), table(killed_db))
    rows = args.n
    if found:
        print(f"resumed table differs from the uninterrupted one in {len(found)} places:")
        for line in found[:10]:
            print(f"  {line}")
        raise SystemExit(1)
    print(f"resumed after {args.kills} kills: the same table as uninterrupted ({rows} rows)")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

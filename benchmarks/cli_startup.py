"""Wall time and peak memory of ``supercon3d --help`` and ``supercon3d predict --help``.

    python benchmarks/cli_startup.py [--repeats 5]

Each command runs in its own process; the figures are the median wall time (s) and the
largest maximum resident set size (MB) over the repeats. Goal: under 1 s and 150 MB each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from supercon3d.machine import describe_machine

COMMANDS = (["--help"], ["predict", "--help"])
WALL_GOAL_S = 1.0
RSS_GOAL_MB = 150


def supercon3d_executable() -> list[str]:
    """The installed ``supercon3d`` script, else ``python -m supercon3d``."""
    script = shutil.which("supercon3d", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "supercon3d"]


def measure(command: list[str]) -> tuple[float, float]:
    """Wall time (s) and maximum resident set size (MB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit status {process.returncode}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    executable = supercon3d_executable()
    # measured before describe_machine imports torch: a child's peak RSS counts the parent's
    # pages it was forked with
    runs_by_command = [
        [measure(executable + arguments) for _ in range(args.repeats)] for arguments in COMMANDS
    ]
    print(f"machine: {describe_machine()}")
    for arguments, runs in zip(COMMANDS, runs_by_command):
        wall = statistics.median(w for w, _ in runs)
        rss = max(r for _, r in runs)
        verdict = "ok" if wall < WALL_GOAL_S and rss < RSS_GOAL_MB else "over the goal"
        print(
            f"supercon3d {' '.join(arguments)}: {wall:.2f} s median of {args.repeats}, "
            f"max RSS {rss:.0f} MB ({verdict}: < {WALL_GOAL_S:g} s, < {RSS_GOAL_MB} MB)"
        )


if __name__ == "__main__":
    main()

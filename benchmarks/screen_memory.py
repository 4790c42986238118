"""Peak memory of ``supercon3d screen`` against the number of inputs: it must not grow with it.

    python benchmarks/screen_memory.py [--sizes 1500 15608]

Target (issue 17): the peak RSS on 15 k inputs within 20 % of that on 1.5 k. Each size runs
the command with its defaults (all cores, --rescore-top 0.1) in a fresh process with an empty
cache folder and a new database, on CIFs spread evenly over 3dsc_mp/cifs + mp_structures/cifs;
the memory of the coordinator and of each worker is sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from screen_common import corpus_files, linked_sample, load_average, run_screen_command

from supercon3d.machine import describe_machine

DEFAULT_SIZES = (1500, 15608)
TOLERANCE = 0.20
"""Largest relative growth of the peak RSS from the smallest to the largest size."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    args = parser.parse_args()

    files = corpus_files()
    print(f"machine: {describe_machine()}")
    peaks = {}
    for size in sorted(args.sizes):
        size = min(size, len(files))
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            source = linked_sample(files, size, scratch / "cifs")
            arguments = [str(source), "--db", str(scratch / "screen.sqlite"), "--top", "0"]
            print(f"load average before {size:,}: {load_average()}")
            run = run_screen_command(arguments, scratch / "cache")
        if run.returncode not in (0, 3):
            raise SystemExit(f"supercon3d screen failed ({run.returncode}):\n{run.stderr[-2000:]}")
        peaks[size] = run
        print(
            f"{size:>6,} CIFs: {run.wall_s:6.1f} s ({size / run.wall_s:5.1f}/s); peak RSS "
            f"coordinator {run.peak_coordinator_mib:4.0f} MiB, largest worker "
            f"{run.peak_worker_mib:4.0f} MiB, whole tree {run.peak_total_mib:5.0f} MiB"
        )
    smallest, largest = peaks[min(peaks)], peaks[max(peaks)]
    for what in ("peak_coordinator_mib", "peak_worker_mib", "peak_total_mib"):
        growth = getattr(largest, what) / getattr(smallest, what) - 1
        verdict = "within" if growth <= TOLERANCE else "NOT within"
        print(
            f"{what}: {100 * growth:+.1f} % from {min(peaks):,} to {max(peaks):,} inputs "
            f"({verdict} {100 * TOLERANCE:.0f} %)"
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

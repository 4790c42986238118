"""``supercon3d screen --engine dask``: throughput with a LocalCluster of 2 workers against 1.

    python benchmarks/screen_dask_scaling.py [--n 2000] [--shard-size 250]

Target (issue 17): 2 local workers reach at least 1.6 x the throughput of 1. Both runs use the
same CIFs (spread evenly over 3dsc_mp/cifs + mp_structures/cifs), an empty cache folder and a
new database, and count the whole command (cluster start, worker imports, model loading).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from screen_common import corpus_files, linked_sample, load_average, run_screen_command

from supercon3d.machine import describe_machine

TARGET_SPEEDUP = 1.6
ALEXANDRIA = 4_500_000
"""Structures in Alexandria, the largest database the issue names."""
CLUSTER_SIZES = (16, 64, 256)
RESCORE_FRACTION = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--shard-size", type=int, default=250)
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    rates, single = {}, None
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = linked_sample(corpus_files(), args.n, scratch / "cifs")
        for workers in (1, 2):
            print(f"load average before {workers} worker(s): {load_average()}")
            arguments = [
                str(source),
                "--db",
                str(scratch / f"dask{workers}.sqlite"),
                "--engine",
                "dask",
                "--dask-workers",
                str(workers),
                "--shard-size",
                str(args.shard_size),
                "--top",
                "0",
            ]
            run = run_screen_command(arguments, scratch / f"cache{workers}")
            if run.returncode not in (0, 3):
                raise SystemExit(f"screen failed ({run.returncode}):\n{run.stderr[-2000:]}")
            rates[workers] = args.n / run.wall_s
            single = single or run
            print(
                f"{workers} worker(s): {run.wall_s:.1f} s end to end ({rates[workers]:.1f}/s); "
                f"stage 1 {run.stage1_s:.1f} s, stage 2 {run.stage2_s:.1f} s; coordinator "
                f"CPU {run.coordinator_cpu_s:.1f} s"
            )
    speedup = rates[2] / rates[1]
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    print(f"speed-up with 2 workers: {speedup:.2f} x (target {TARGET_SPEEDUP} x: {verdict})")
    print(f"load average after: {load_average()}")
    per_structure = single.stage1_s / single.stage1 + RESCORE_FRACTION * (
        single.stage2_s / max(single.stage2, 1)
    )
    print(
        f"one worker: {single.stage1_s / single.stage1 * 1000:.1f} ms per structure in stage "
        f"1, {single.stage2_s / max(single.stage2, 1) * 1000:.1f} ms per structure in stage 2 "
        "(start-up included)"
    )
    for workers in CLUSTER_SIZES:
        hours = ALEXANDRIA * per_structure / workers / 3600
        print(f"estimate, {ALEXANDRIA:,} structures on {workers} such workers: {hours:.1f} h")


if __name__ == "__main__":
    main()

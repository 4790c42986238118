"""Wall time of ``supercon3d predict``: start to first prediction, and a folder of CIFs.

    python benchmarks/predict_speed.py [--n 1000] [--checkpoints RUN_DIR]

Goals on a 2-core machine: warm start to first prediction (one CIF, a fresh process, Python
start-up included) at most 10 s; a folder of 1,000 CIFs at most 2 minutes.
Runs the real command in a subprocess; the CIFs are the first ``n`` SuperCon3D files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from supercon3d.machine import describe_machine
from supercon3d.settings import dataset_path


def timed(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--checkpoints", type=Path, default=None)
    args = parser.parse_args()

    command = [sys.executable, "-m", "supercon3d", "predict"]
    if args.checkpoints:
        command += ["--checkpoints", str(args.checkpoints)]
    cifs = sorted(dataset_path("supercon3d/cif").glob("*.cif"))[: args.n]
    print(f"machine: {describe_machine()}")
    timed(command + [str(cifs[0])])  # fills the OS file cache and Python's bytecode cache
    print(f"warm start to first prediction (1 CIF): {timed(command + [str(cifs[0])]):.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        for cif in cifs:
            (Path(folder) / cif.name).symlink_to(cif)
        out = Path(folder) / "predictions.json"
        seconds = timed(command + [folder, "--out", str(out)])
        records = json.loads(out.read_text())
    failed = sum(r.get("error") is not None for r in records)
    print(f"folder of {len(cifs)} CIFs: {seconds:.1f} s ({failed} failed)")


if __name__ == "__main__":
    main()

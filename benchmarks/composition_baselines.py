"""Run every composition baseline on the 10-fold protocol through the CLI; print a table.

    python benchmarks/composition_baselines.py [--models lgbm rf svr]

Each row is one ``supercon3d baseline --model M [--extra-formulas] --json`` run: MAE and R²
on ln Tc (mean ± sample std over the 10 test folds) and its wall time on this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

from supercon3d.machine import describe_machine


def run(model: str, extra_formulas: bool) -> tuple[list[str], dict, float]:
    extra = ["--extra-formulas"] if extra_formulas else []
    command = ["supercon3d", "baseline", "--model", model, *extra, "--json"]
    start = time.perf_counter()
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return command, json.loads(completed.stdout), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lgbm", "rf", "svr"])
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    print("| command | MAE (ln K) | R² | wall time |")
    print("|---|---|---|---|")
    for model in args.models:
        for extra in (False, True):
            command, result, seconds = run(model, extra)
            print(
                f"| `{' '.join(command)}` | {result['mae_mean']:.3f} ± {result['mae_std']:.3f} "
                f"| {result['r2_mean']:.3f} ± {result['r2_std']:.3f} | {seconds:.0f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Cross-validation tables of SODNet runs, as markdown for docs/benchmarks.md.

    python benchmarks/sodnet_results.py RUN_DIR [RUN_DIR ...]

Runs ``supercon3d evaluate RUN_DIR --json`` for each folder (the first one also with the
LightGBM baselines on the same folds) and prints: one row per run (and its blend, when the run
has a ``blend.json``), then per-fold and per-class tables of the first run. MAE and R² are on
ln Tc (ln K), mean ± sample std over the test folds each run has.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from supercon3d.machine import describe_machine


def evaluate(run_dir: Path, baselines: bool) -> dict:
    command = [sys.executable, "-m", "supercon3d", "evaluate", str(run_dir), "--json"]
    if not baselines:
        command.append("--no-baselines")
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def row(name: str, summary: dict, folds: str) -> str:
    r2 = f"{summary['r2_mean']:.3f} ± {summary['r2_std']:.3f}"
    return f"| {name} | {folds} | {summary['mae_mean']:.3f} ± {summary['mae_std']:.3f} | {r2} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}\n")
    print("| model | test folds | MAE (ln K) | R² |\n|---|---|---|---|")
    first = None
    for index, run_dir in enumerate(args.runs):
        summary = evaluate(run_dir, baselines=index == 0)
        folds = ",".join(str(f["fold"]) for f in summary["folds"])
        first = first or summary
        print(row(summary["model"], summary, folds))
        for other in summary["compared"]:
            print(row(other["model"], other, folds))
    print("\n| fold | n_test | MAE | R² |\n|---|---|---|---|")
    for f in first["folds"]:
        print(f"| {f['fold']} | {f['n_test']} | {f['mae']:.3f} | {f['r2']:.3f} |")
    for key, title in (("by_disorder", "disorder"), ("by_family", "family")):
        print(f"\n| {title} | n | MAE | R² |\n|---|---|---|---|")
        for g in first[key]:
            print(f"| {g[title]} | {g['n']} | {g['mae']:.3f} | {g['r2']:.3f} |")


if __name__ == "__main__":
    main()

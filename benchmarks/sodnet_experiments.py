"""SODNet experiments compared on the same test folds: training subsets and ablations.

    python benchmarks/sodnet_experiments.py --folds 0,1,2 runs/sodnet-cpu \
        runs/sodnet-cpu-train-ordered-sd runs/sodnet-cpu-train-ordered \
        runs/sodnet-cpu-no-occupancy runs/sodnet-cpu-no-disorder-nodes \
        runs/sodnet-cpu-no-disorder-edges runs/sodnet-cpu-invariant

Each run's fold models for ``--folds`` (SODNet alone: a run's blend is left out) are scored
with ``supercon3d evaluate --json`` on their own test folds; the first run is also compared
with the LightGBM composition baselines on the same folds. Prints a markdown table: MAE and R²
on ln Tc (ln K), mean ± sample std over the folds, and MAE per disorder class with all the
folds' test entries pooled.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from supercon3d.machine import describe_machine
from supercon3d.models.sodnet.ensemble import PRIOR_FILE

CLASSES = ("O", "SD", "PD", "SPD")


def fold_view(run_dir: Path, folds: list[int], into: Path) -> Path:
    """A folder with links to the run's checkpoints of ``folds`` and its prior, no blend."""
    view = into / run_dir.name
    view.mkdir()
    for fold in folds:
        source = run_dir / f"fold{fold}.safetensors"
        if not source.is_file():
            raise SystemExit(f"{source}: missing; train that fold first")
        (view / source.name).symlink_to(source.resolve())
    if (run_dir / PRIOR_FILE).is_file():
        (view / PRIOR_FILE).symlink_to((run_dir / PRIOR_FILE).resolve())
    return view


def evaluate(view: Path, baselines: bool) -> tuple[dict, pd.DataFrame]:
    command = [sys.executable, "-m", "supercon3d", "evaluate", str(view), "--json"]
    if not baselines:
        command.append("--no-baselines")
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout), pd.read_csv(view / "evaluation_predictions.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--folds", default="0,1,2")
    parser.add_argument(
        "--no-baselines", action="store_true", help="Skip the LightGBM rows of the first run."
    )
    args = parser.parse_args()
    folds = [int(f) for f in args.folds.split(",")]
    print(f"machine: {describe_machine()}; test folds {args.folds}\n")
    header = "| model | MAE (ln K) | R² | " + " | ".join(f"MAE {c}" for c in CLASSES) + " |"
    print(header + "\n|" + "---|" * (3 + len(CLASSES)))
    with tempfile.TemporaryDirectory() as folder:
        for index, run_dir in enumerate(args.runs):
            view = fold_view(run_dir, folds, Path(folder))
            summary, predictions = evaluate(view, index == 0 and not args.no_baselines)
            errors = (predictions["ln_tc_pred"] - predictions["ln_tc"]).abs()
            by_class = errors.groupby(predictions["disorder"]).mean()
            cells = " | ".join(f"{by_class.get(c, float('nan')):.3f}" for c in CLASSES)
            print(
                f"| {summary['model']} | {summary['mae_mean']:.3f} ± {summary['mae_std']:.3f} "
                f"| {summary['r2_mean']:.3f} ± {summary['r2_std']:.3f} | {cells} |"
            )
            for other in summary["compared"]:
                print(
                    f"| {other['model']} | {other['mae_mean']:.3f} ± {other['mae_std']:.3f} "
                    f"| {other['r2_mean']:.3f} ± {other['r2_std']:.3f} |" + " |" * len(CLASSES)
                )


if __name__ == "__main__":
    main()

"""Coverage of the conformal Tc intervals of a run (default: the shipped model).

Each fold model predicts its validation fold (calibration) and its test fold; for every test
fold the family-wise conformal half-widths are fitted on the validation errors of the other
entries, and the share of test entries inside their interval is that fold's coverage.
``--write`` also fits the calibration on all validation folds and writes ``intervals.json``
into the run folder (what ``supercon3d predict`` reads). An ambient run (``train --ambient``)
is calibrated and scored without the high-pressure hydrides it never saw.

    python benchmarks/interval_coverage.py [--run DIR] [--level 0.9] [--write]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from supercon3d.data.family import chemical_family
from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.evaluation.ensemble import cross_validate_ensemble
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.intervals import (
    INTERVAL_LEVEL,
    coverage_by_fold,
    fit_calibration,
    with_errors,
)
from supercon3d.machine import describe_machine
from supercon3d.models.intervals import INTERVALS_FILE
from supercon3d.models.sodnet.ensemble import SODNetEnsemble, shipped_model_dir
from supercon3d.training.config import run_is_ambient
from supercon3d.training.sodnet import training_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None, help="run folder (default: shipped)")
    parser.add_argument("--level", type=float, default=INTERVAL_LEVEL)
    parser.add_argument("--write", action="store_true", help="write intervals.json to the run")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = args.run or shipped_model_dir()
    ensemble = SODNetEnsemble.from_dir(folder)
    dataset = load_supercon3d()
    if run_is_ambient(folder):
        dataset = dataset.without_high_pressure_hydrides()
    graphs, _ = training_set(dataset, ensemble.graph_settings)
    folds = FoldAssignment.shipped()
    family = {e.id: chemical_family(e.structure.composition) for e in dataset.entries}
    parts = {}
    for part in ("val", "test"):
        _, predictions = cross_validate_ensemble(
            ensemble, graphs.graphs, dataset, folds, folder.name, part
        )
        parts[part] = predictions.assign(rule_family=predictions["id"].map(family))
    print(describe_machine())
    for group in ("rule_family", "disorder"):
        coverage = coverage_by_fold(parts["val"], parts["test"], args.level, group)
        print(f"\ncalibrated per {group} at level {args.level}:")
        print(coverage.to_string(index=False, float_format="%.3f"))
        print(
            f"coverage {coverage['coverage'].mean():.3f} ± {coverage['coverage'].std():.3f}, "
            f"mean half-width {coverage['mean_half_width'].mean():.3f} ln K"
        )
    test = with_errors(parts["test"])
    pooled = coverage_by_fold(
        parts["val"].assign(one="x"), parts["test"].assign(one="x"), args.level, "one"
    )
    print(f"\npooled (one quantile): coverage {pooled['coverage'].mean():.3f}")
    calibration = fit_calibration(with_errors(parts["val"]), args.level, "rule_family")
    widths = test["rule_family"].map(calibration.half_width_for)
    by_family = (
        test.assign(inside=test["error"] <= widths)
        .groupby("rule_family")["inside"]
        .agg(["mean", "size"])
    )
    print("\ntest coverage per family with the all-fold calibration (in-sample for widths):")
    print(by_family.to_string(float_format="%.3f"))
    print("half-widths (ln K):", {k: round(v, 3) for k, v in calibration.half_width.items()})
    if args.write:
        path = calibration.save(Path(folder) / INTERVALS_FILE)
        print(f"wrote {path}")
    print(f"took {time.perf_counter() - started:.0f} s")
    pd.set_option("display.width", 120)


if __name__ == "__main__":
    main()

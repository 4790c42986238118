"""Coverage of the conformal Tc intervals of a run (default: the shipped model), per split,
for the family-wise calibration (``intervals.json`` format 1) and the novelty calibration
(format 2), and how well novelty separates easy from hard predictions.

Per split (random, chemical-system, leave-one-family-out), the run's composition model
predicts each fold's validation and test entries (``interval_oof.py``: the run's own fold
models on the random folds, refits on the others; cached). Every such entry gets its novelty
relative to its fold's training compositions (:mod:`supercon3d.models.novelty`; the feature
projection is fitted once on every composition, labels unseen). For every test fold:

- ``family``: family-wise conformal half-widths from the same split's validation errors of the
  entries outside the fold (what format 1 ships);
- ``system-val``: the novelty calibration fitted on the chemical-system validation errors of
  the entries outside the fold;
- ``grouped``: the same on those and the leave-one-family-out test errors of the entries
  outside the fold (on the leave-one-family-out split: calibrated without any entry of the
  held-out family, so that the difficulty far from the data is learnt from other families
  only). The leave-one-family-out errors, made on a family the model never saw, shape the
  difficulty and the pooled quantile but not their own family's quantile: the shipped model
  has seen every family, so a family's quantile comes from its chemical-system errors alone.
  ``--calibration`` says which one ``--write`` ships (intervals.json format 2).

Printed per split: coverage (mean ± std over the test folds) and mean half-width (ln K), and
the same per rule family (every test fold's rows pooled). Then,
on the chemical-system test folds, the MAE of the novelty terciles. The novelty scale (1 = the
median distance of held-out chemical systems) and the in-domain threshold (the upper tercile
boundary of those novelties: an out-of-domain prediction is one in the chemical-system
tercile farthest from the training data) come from the same run.

Unless ``--no-ensemble``, the run's network ensemble (blended) also predicts its random test
and validation folds (several minutes: every structure's graph), scored with both
calibrations as well. ``--write`` writes the novelty calibration (``intervals.json``) and the
novelty reference (``novelty.safetensors``) of all the training compositions into the run
folder; rerun ``scripts/model_manifest.py`` for a shipped one. ``--reference-only`` skips
the predictions: only the novelty scale and threshold (and, with ``--write``, the reference),
which need no model fits.

    python benchmarks/interval_coverage.py [--run DIR] [--level 0.9] [--no-ensemble] [--write]
                                           [--reference-only]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from interval_oof import fold_training_compositions, out_of_fold

from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import SPLITS, split_folds
from supercon3d.evaluation.intervals import (
    INTERVAL_LEVEL,
    UNSEEN_FAMILY,
    coverage_by,
    fit_novelty_calibration,
    held_out_half_widths,
    with_errors,
)
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.intervals import INTERVALS_FILE
from supercon3d.models.novelty import (
    NOVELTY_FILE,
    FeatureProjection,
    NoveltyReference,
    distinct_compositions,
    mean_neighbour_distance,
)
from supercon3d.models.sodnet.ensemble import blend_featurizer, shipped_model_dir
from supercon3d.settings import cache_dir
from supercon3d.training.config import run_is_ambient

CAP_QUANTILE = 0.99
"""The difficulty is flat beyond this quantile of the calibration novelties."""


UNIT_AMOUNT = re.compile(r"(?<=[A-Za-z])1(?![0-9.])")
"""An amount of exactly 1 in a SuperCon formula (``Mg1B2``), left out of the names shown."""


def training_reference(dataset, formulas: pd.DataFrame):
    """(compositions, formulas, Tc (K)) of everything the run's composition models trained
    on: the SuperCon3D entries and the superconducting formula-table rows (formulas as the
    tables write them, without amounts of 1)."""
    rows = formulas[(formulas["tc"] > 0).to_numpy()]
    compositions = [e.structure.composition for e in dataset.entries] + list(rows["composition"])
    names = [
        UNIT_AMOUNT.sub("", f) for f in [e.formula for e in dataset.entries] + list(rows["formula"])
    ]
    tc = [e.tc for e in dataset.entries] + list(rows["tc"])
    return compositions, names, tc


def fold_distances(
    dataset, formulas, split_name, featurizer, projection, predictions
) -> np.ndarray:
    """Raw novelty distance of every prediction row to its fold's training compositions."""
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = split_folds(split_name, dataset)
    distances = np.full(len(predictions), np.nan)
    for fold, rows in predictions.groupby("fold"):
        compositions, _ = fold_training_compositions(
            by_id, folds.split(int(fold)), formulas, split_name
        )
        first, _, _ = distinct_compositions(compositions, [""] * len(compositions),
                                            [0.0] * len(compositions))  # fmt: skip
        points = projection.project(featurizer.transform([compositions[i] for i in first]))
        queries = [by_id[i].structure.composition for i in rows["id"]]
        distances[rows.index] = mean_neighbour_distance(
            points, projection.project(featurizer.transform(queries))
        )
    return distances


def held_out_rows(dataset, split_name: str) -> pd.DataFrame:
    """``id``, ``fold`` and ``part`` (val or test) of every held-out entry of each fold."""
    ids = {entry.id for entry in dataset.entries}
    folds = split_folds(split_name, dataset)
    rows = []
    for fold in range(folds.n_folds):
        split = folds.split(fold)
        for part in ("val", "test"):
            rows += [(i, fold, part) for i in getattr(split, part) if i in ids]
    return pd.DataFrame(rows, columns=["id", "fold", "part"])


def novelty_scale(dataset, formulas, featurizer, projection) -> tuple[float, float]:
    """(scale, in-domain threshold): the median raw distance of the chemical-system test
    entries to their folds' training compositions, and the upper tercile boundary of their
    novelties."""
    rows = held_out_rows(dataset, "chemical-system").query("part == 'test'")
    rows = rows.reset_index(drop=True)
    distance = fold_distances(dataset, formulas, "chemical-system", featurizer, projection, rows)
    scale = float(np.median(distance))
    return scale, float(np.quantile(distance / scale, 2 / 3))


def novelty_tables(folder, dataset, formulas, featurizer, projection, scale: float) -> dict:
    """Per split, the out-of-fold table of ``interval_oof.py`` with each row's raw
    ``distance`` to its fold's training compositions and its ``novelty`` (over ``scale``)."""
    tables = {}
    for split_name in SPLITS:
        table = out_of_fold(folder, dataset, formulas, split_name, featurizer)
        table["distance"] = fold_distances(
            dataset, formulas, split_name, featurizer, projection, table
        )
        table["novelty"] = table["distance"] / scale
        tables[split_name] = table
    return tables


def calibration_sets(tables: dict) -> dict[str, pd.DataFrame]:
    """The calibration errors of each novelty calibration: the chemical-system validation
    errors alone (``system-val``), and those with the leave-one-family-out test errors
    marked as made on an unseen family (``grouped``)."""
    system_val = tables["chemical-system"].query("part == 'val'")
    unseen = tables["family"].query("part == 'test'")
    return {
        "system-val": with_errors(system_val),
        "grouped": with_errors(
            pd.concat([system_val.assign(**{UNSEEN_FAMILY: False}),
                       unseen.assign(**{UNSEEN_FAMILY: True})], ignore_index=True)
        ),
    }  # fmt: skip


def coverage_line(name: str, scored: pd.DataFrame) -> str:
    """Coverage (mean ± std over the test folds), mean half-width (ln K), worst fold."""
    coverage = coverage_by(scored, "fold")
    return (
        f"{name:<9} coverage {coverage['coverage'].mean():.3f} ± {coverage['coverage'].std():.3f}"
        f"  mean half-width {coverage['mean_half_width'].mean():.3f} ln K"
        f"  (min fold {coverage['coverage'].min():.3f})"
    )


def family_table(scores: dict[str, pd.DataFrame]) -> str:
    """Coverage and mean half-width (ln K) per rule family, one column pair per calibration."""
    columns = {}
    for name, scored in scores.items():
        table = coverage_by(scored, "rule_family").set_index("rule_family")
        columns[(name, "coverage")] = table["coverage"]
        columns[(name, "width")] = table["mean_half_width"]
    columns[("", "n")] = table["n_test"]
    return pd.DataFrame(columns).to_string(float_format="%.3f")


def score_split(val, test, calibrations: dict, level) -> dict[str, pd.DataFrame]:
    """The test rows with their half-widths (``held_out_half_widths``) under the family-wise
    calibration on the split's own validation errors, and under each novelty calibration
    (name: (errors, cap))."""
    scores = {"family": held_out_half_widths(val, test, level, "rule_family")}
    for name, (errors, cap) in calibrations.items():
        scores[name] = held_out_half_widths(errors, test, level, "rule_family", cap)
    return scores


def print_scores(scores: dict[str, pd.DataFrame]) -> None:
    for name, scored in scores.items():
        print(coverage_line(name, scored))
    print(family_table(scores))


def ensemble_predictions(folder: Path, dataset, oof_random: pd.DataFrame) -> pd.DataFrame:
    """The blended network ensemble's random-fold val and test predictions, with the novelty
    of the same (entry, fold, part) rows of the composition model's table."""
    from supercon3d.evaluation.ensemble import cross_validate_ensemble
    from supercon3d.evaluation.folds import FoldAssignment
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.training.sodnet import training_set

    ensemble = SODNetEnsemble.from_dir(folder)
    graphs, _ = training_set(dataset, ensemble.graph_settings)
    frames = []
    for part in ("val", "test"):
        _, predictions = cross_validate_ensemble(
            ensemble, graphs.graphs, dataset, FoldAssignment.shipped(), folder.name, part
        )
        frames.append(predictions.assign(part=part))
    table = pd.concat(frames, ignore_index=True)[["id", "fold", "part", "ln_tc_pred"]]
    return oof_random.drop(columns="ln_tc_pred").merge(table, on=["id", "fold", "part"])


def write_reference(reference: NoveltyReference, folder: Path) -> None:
    path = reference.save(folder / NOVELTY_FILE)
    print(f"wrote {path} ({len(reference.points)} compositions, "
          f"{path.stat().st_size / 1e6:.2f} MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None, help="run folder (default: shipped)")
    parser.add_argument("--level", type=float, default=INTERVAL_LEVEL)
    parser.add_argument("--no-ensemble", action="store_true", help="composition model only")
    parser.add_argument("--write", action="store_true", help="write the calibration and novelty")
    parser.add_argument(
        "--calibration",
        choices=("grouped", "system-val"),
        default="grouped",
        help="the novelty calibration written: on the chemical-system validation errors and "
        "the leave-one-family-out test errors (grouped), or the former alone",
    )
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="no predictions: the novelty reference only (with --write, novelty.safetensors)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    folder = args.run or shipped_model_dir()
    ambient = run_is_ambient(folder)
    dataset = load_supercon3d(workers=1)
    if ambient:
        dataset = dataset.without_high_pressure_hydrides()
    formulas = load_supercon_formulas(ambient=ambient)
    featurizer = MagpieFeaturizer(cache_dir(), blend_featurizer(folder).element_embedding)
    reference = training_reference(dataset, formulas)
    first, _, _ = distinct_compositions(*reference)
    features = featurizer.transform([reference[0][i] for i in first])
    projection = FeatureProjection.fit(features)
    scale, threshold = novelty_scale(dataset, formulas, featurizer, projection)
    print(describe_machine())
    print(f"novelty space: {projection.components.shape[1]} axes keep "
          f"{projection.variance_kept(features):.1%} of the scaled variance")  # fmt: skip
    print(f"novelty scale {scale:.4f} (raw distance), in-domain threshold {threshold:.3f}")
    reference_file = NoveltyReference.build(*reference, projection, featurizer, scale, threshold)
    if args.reference_only:
        if args.write:
            write_reference(reference_file, folder)
        print(f"took {time.perf_counter() - started:.0f} s")
        return

    tables = novelty_tables(folder, dataset, formulas, featurizer, projection, scale)
    system_test = tables["chemical-system"].query("part == 'test'")
    calibrations = {
        name: (errors, float(errors["novelty"].quantile(CAP_QUANTILE)))
        for name, errors in calibration_sets(tables).items()
    }
    for name, (_, cap) in calibrations.items():
        print(f"{name}: difficulty flat beyond novelty {cap:.2f}")
    for split_name, table in tables.items():
        val, test = table.query("part == 'val'"), table.query("part == 'test'")
        print(f"\n{split_name} folds, composition model (MAE "
              f"{with_errors(test)['error'].mean():.3f} ln K, median novelty "
              f"{test['novelty'].median():.2f}), level {args.level}:")  # fmt: skip
        print_scores(score_split(val, test, calibrations, args.level))
    errors = with_errors(system_test)
    tercile = pd.qcut(errors["novelty"], 3, labels=["in-domain", "middle", "out-of-domain"])
    by_tercile = errors.groupby(tercile, observed=True).agg(
        mae=("error", "mean"), novelty=("novelty", "median"), n=("error", "size")
    )
    print("\nchemical-system test folds by novelty tercile (MAE in ln K):")
    print(by_tercile.to_string(float_format="%.3f"))
    ratio = by_tercile["mae"].iloc[0] / by_tercile["mae"].iloc[-1]
    print(f"in-domain / out-of-domain MAE: {ratio:.3f}")

    if not args.no_ensemble:
        blended = ensemble_predictions(folder, dataset, tables["random"])
        val, test = blended.query("part == 'val'"), blended.query("part == 'test'")
        print(f"\nrandom folds, the blended network ensemble (MAE "
              f"{with_errors(test)['error'].mean():.3f} ln K):")  # fmt: skip
        print_scores(score_split(val, test, calibrations, args.level))

    errors, cap = calibrations[args.calibration]
    calibration = fit_novelty_calibration(errors, cap, args.level, "rule_family")
    print(f"\nnovelty calibration ({args.calibration}):", calibration.to_dict())
    if args.write:
        write_reference(reference_file, folder)
        print("wrote", calibration.save(folder / INTERVALS_FILE))
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()

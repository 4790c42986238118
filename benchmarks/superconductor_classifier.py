"""Train and evaluate the P(superconductor) classifier and print its figures.

    python benchmarks/superconductor_classifier.py [--element-embedding chgnet]
        [--doping-level] [--plane-doping] [--seed N] [--seeds N] [--jobs N] [--grouped]
        [--weight-compositions] [--no-ablations] [--compare-planes] [--ship]

Prints the rows per source, the out-of-fold ROC-AUC on chemical-system-grouped 5 folds
(overall, 3DSC structure rows alone, per family), on random 5 folds, and without the
structure descriptors; the Brier score of each calibration; P(superconductor) of the textbook
non-superconductors and of the pressure-only compounds (with their structure and from the
composition alone); and the wall time. ``--element-embedding chgnet`` adds the
fraction-weighted mean and std of CHGNet's element vectors to the Magpie descriptors,
``--doping-level`` the doping level from charge neutrality, ``--plane-doping`` the CuO2
planes' hole counts of cuprate structures (:mod:`supercon3d.models.oxidation_state`). Every
model is an ensemble of ``--seeds`` LightGBM fits (5 by default) with the seeds ``--seed``,
``--seed`` + 1, ... (row and feature subsampling; ``--seed`` 0 by default), their
probabilities averaged.

``--grouped`` adds the evaluation with each composition weighted once: ROC-AUC and PR-AUC
(mean ± standard deviation over three grouping seeds), overall and per family, on folds
grouped by element set and by host system (elements above 5 at. %), and the share of test
rows with a near-duplicate composition (element-fraction L2 < 0.01) in another fold.
``--weight-compositions`` fits every model (evaluated and shipped) with the same weights: each
composition weighs 1 however many rows it has. ``--no-ablations`` skips the random-fold and
composition-only evaluations (printed as nan): a third of the fits, what shipping needs.
``--compare-planes`` prints the same grouped figures with and without the CuO2 planes' hole
counts (cuprate rows), and the ln Tc MAE of a LightGBM regressor on the superconducting cuprate
structures with and without them (host-system grouped, three seeds), and the probe materials'
P(SC) from each variant fitted on every row (Platt-calibrated on the first grouped folds); no
model is fitted to ship then. ``--jobs`` sets LightGBM's threads (2 by default; 1 on a
machine loaded by other work).

``--ship`` writes the ensemble fitted on every row into the package
(``src/supercon3d/resources/models/superconductor``, replacing its boosters) with its SHA-256
manifest. The structure, plane and Magpie descriptors are cached under the cache folder, so
a rerun reads no CIF.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from lightgbm import LGBMRegressor
from pymatgen.core import Composition, Lattice, Structure

from supercon3d.data.pressure_only import PRESSURE_ONLY_SUPERCONDUCTORS
from supercon3d.evaluation.reference_materials import textbook_non_superconductors
from supercon3d.evaluation.splits import CLASSIFIER_FOLDS, grouped_folds, host_system
from supercon3d.machine import describe_machine
from supercon3d.models.calibration import ProbabilityCalibration
from supercon3d.models.composition import COMPOSITION_EMBEDDINGS, MagpieFeaturizer
from supercon3d.models.superconductor import SuperconductorClassifier
from supercon3d.models.weights import write_manifest
from supercon3d.training.superconductor import (
    GROUPING_SEEDS,
    N_SEEDS,
    balanced_weights,
    classifier_seeds,
    grouped_evaluation,
    make_classifier,
    prepare_training,
    structure_columns,
    train_superconductor_classifier,
)

SHIPPED = Path(__file__).resolve().parents[1] / "src/supercon3d/resources/models/superconductor"
PRESSURE_ONLY_EXAMPLES = ("GaAs", "InSb", "CeRhIn5")


def alpha_quartz() -> Structure:
    """α-quartz, P3₂21, a = 4.913 Å, c = 5.405 Å (Si 3a x = 0.4697; O 6c)."""
    return Structure.from_spacegroup(
        "P3_221", Lattice.hexagonal(4.913, 5.405), ["Si", "O"],
        [[0.4697, 0.0, 0.0], [0.4135, 0.2669, 0.1191]],
    )  # fmt: skip


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def print_grouped_table(scores, label: str = "") -> None:
    """One row per grouping and metric: mean ± std over the grouping seeds, per family."""
    subsets = list(scores[0].roc_auc)
    print(f"\n{label}composition-weighted out-of-fold AUC, {CLASSIFIER_FOLDS} folds, mean ± std")
    print(f"over grouping seeds {sorted({s.seed for s in scores})}")
    print("| grouping | metric | " + " | ".join(subsets) + " |")
    print("|---|---|" + "---|" * len(subsets))
    for grouping in dict.fromkeys(s.grouping for s in scores):
        mine = [s for s in scores if s.grouping == grouping]
        for metric in ("roc_auc", "pr_auc"):
            cells = [_mean_std([getattr(s, metric)[name] for s in mine]) for name in subsets]
            print(
                f"| {grouping} | {metric.replace('_', '-').upper()} | " + " | ".join(cells) + " |"
            )
    shares = [f"{scores[0].superconductor_share[name]:.3f}" for name in subsets]
    print("| (random ranking) | PR-AUC | " + " | ".join(shares) + " |")
    print("\n| grouping | ROC-AUC, rows pooled | near-duplicate share, compositions | rows |")
    print("|---|---|---|---|")
    for grouping in dict.fromkeys(s.grouping for s in scores):
        mine = [s for s in scores if s.grouping == grouping]
        print(
            f"| {grouping} | {_mean_std([s.roc_auc_rows_pooled for s in mine])} "
            f"| {_mean_std([s.near_duplicate_share for s in mine])} "
            f"| {_mean_std([s.near_duplicate_share_rows for s in mine])} |"
        )


def cuprate_tc_mae(table, features: np.ndarray, n_jobs: int) -> dict[str, list[float]]:
    """ln Tc MAE (ln K) of a LightGBM regressor over the superconducting cuprate structure
    rows, host-system grouped folds, per grouping seed: all rows, SuperCon3D's, 3DSC's."""
    rows = (
        (table["family"] == "cuprate") & table["has_structure"] & (table["tc_kelvin"] > 0)
    ).to_numpy()
    sub = table[rows]
    x, y = features[rows], np.log(sub["tc_kelvin"].to_numpy(dtype=float))
    groups = [host_system(c) for c in sub["composition"]]
    source = sub["source"].to_numpy()
    maes: dict[str, list[float]] = {"all": [], "supercon3d": [], "3dsc": []}
    for seed in GROUPING_SEEDS:
        folds = grouped_folds(groups, CLASSIFIER_FOLDS, seed)
        predicted = np.empty(len(y))
        for fold in range(CLASSIFIER_FOLDS):
            test = folds == fold
            model = LGBMRegressor(
                n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=10,
                subsample=0.8, subsample_freq=1, colsample_bytree=0.5, reg_lambda=1.0,
                n_jobs=n_jobs, random_state=0, deterministic=True, verbose=-1,
            )  # fmt: skip
            predicted[test] = model.fit(x[~test], y[~test]).predict(x[test])
        error = np.abs(predicted - y)
        maes["all"].append(float(error.mean()))
        for name in ("supercon3d", "3dsc"):
            maes[name].append(float(error[source == name].mean()))
    return maes


def print_probes(classifier: SuperconductorClassifier) -> None:
    """P(SC) of the textbook non-superconductors and quartz (with their structure and from
    the composition alone) and of pressure-only compounds (composition alone)."""
    materials = {**textbook_non_superconductors(), "quartz (SiO2)": alpha_quartz()}
    structures = list(materials.values())
    compositions = [s.composition for s in structures]
    with_structure = classifier.predict_proba(compositions, structures)
    composition_only = classifier.predict_proba(compositions)
    print("\n| textbook non-superconductor | P(SC) with structure | P(SC) composition only |")
    print("|---|---|---|")
    for name, p, q in zip(materials, with_structure, composition_only):
        print(f"| {name} | {p:.3f} | {q:.3f} |")
    named = list(PRESSURE_ONLY_EXAMPLES)
    print("\nP(SC) from the composition alone: " + ", ".join(
        f"{name} {p:.3f}"
        for name, p in zip(named, classifier.predict_proba([Composition(n) for n in named]))
    ))  # fmt: skip
    print(f"pressure-only compounds labelled 0: {', '.join(PRESSURE_ONLY_SUPERCONDUCTORS)}")


def compare_planes(
    args: argparse.Namespace, seeds: list[int], variants: tuple[str, ...] = ("without", "with")
) -> None:
    """Grouped AUCs and the cuprates' ln Tc MAE with and without the planes' hole counts."""
    table, with_planes = prepare_training(
        n_jobs=args.jobs, element_embedding=args.element_embedding,
        doping_level=args.doping_level, plane_doping=True,
    )  # fmt: skip
    without = with_planes[:, : -structure_columns(True) + structure_columns(False)]
    cuprates = (table["family"] == "cuprate") & table["has_structure"]
    found = table.loc[cuprates, "cuo2_copper_share"] > 0
    print(
        f"cuprate structure rows: {int(cuprates.sum())}, with CuO2 planes found: {int(found.sum())}"
    )
    for name, features in (("without", without), ("with", with_planes)):
        if name not in variants:
            continue
        scores = grouped_evaluation(table, features, args.jobs, seeds=seeds)
        print_grouped_table(scores, f"{name} the CuO2 planes' hole counts: ")
        maes = cuprate_tc_mae(table, features, args.jobs)
        print(
            f"cuprate structures' ln Tc MAE {name} them (host-system grouped): "
            + ", ".join(f"{k} {_mean_std(v)}" for k, v in maes.items())
        )
        labels = table["label"].to_numpy(dtype=int)
        classifier = SuperconductorClassifier(
            [make_classifier(seed, args.jobs).fit(features, labels).booster_ for seed in seeds],
            ProbabilityCalibration.fit(
                "platt", scores[0].probabilities, labels, balanced_weights(labels)
            ),
            featurizer=MagpieFeaturizer(element_embedding=args.element_embedding),
            doping_level=args.doping_level,
            plane_doping=name == "with",
        )
        print(f"\nfitted on every row, Platt-calibrated on the first grouped folds ({name}):")
        print_probes(classifier)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ship", action="store_true", help="write the model into the package")
    parser.add_argument(
        "--element-embedding", choices=COMPOSITION_EMBEDDINGS, help="embedding statistics to add"
    )
    parser.add_argument(
        "--doping-level", action="store_true", help="add the doping level from charge neutrality"
    )
    parser.add_argument(
        "--plane-doping", action="store_true", help="add the CuO2 planes' hole counts"
    )
    parser.add_argument("--seed", type=int, default=0, help="LightGBM's first seed")
    parser.add_argument("--seeds", type=int, default=N_SEEDS, help="LightGBM fits per model")
    parser.add_argument(
        "--jobs", type=int, default=2, help="LightGBM threads (1 on a loaded machine)"
    )
    parser.add_argument(
        "--grouped", action="store_true", help="composition-weighted, three grouping seeds"
    )
    parser.add_argument(
        "--weight-compositions", action="store_true", help="fit with each composition once"
    )
    parser.add_argument(
        "--no-ablations", action="store_true", help="skip the random and composition-only folds"
    )
    parser.add_argument(
        "--compare-planes", action="store_true", help="with and without the planes' holes"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"machine: {describe_machine()}")
    if args.compare_planes:
        compare_planes(args, classifier_seeds(args.seed, args.seeds))
        print(f"\nwall time: {time.perf_counter() - start:.0f} s")
        return
    classifier, evaluation = train_superconductor_classifier(
        n_jobs=args.jobs,
        element_embedding=args.element_embedding,
        doping_level=args.doping_level,
        seed=args.seed,
        n_seeds=args.seeds,
        plane_doping=args.plane_doping,
        grouped=args.grouped,
        weight_compositions=args.weight_compositions,
        ablations=not args.no_ablations,
    )

    print("\n| source | superconductors | non-superconductors |\n|---|---|---|")
    for source, counts in evaluation.n_rows.items():
        print(f"| {source} | {counts['superconductors']} | {counts['non_superconductors']} |")
    print(f"\nROC-AUC, out of fold, {CLASSIFIER_FOLDS} folds | all rows | 3DSC structures")
    print("|---|---|---|")
    print(
        f"| chemical-system grouped | {evaluation.auc_grouped:.3f} "
        f"| {evaluation.auc_grouped_structures:.3f} |"
    )
    print(f"| random | {evaluation.auc_random:.3f} | {evaluation.auc_random_structures:.3f} |")
    print(
        f"| grouped, composition only | {evaluation.auc_grouped_composition_only:.3f} "
        f"| {evaluation.auc_grouped_structures_composition_only:.3f} |"
    )
    print("\ngrouped ROC-AUC per family:")
    for family, auc in evaluation.auc_grouped_by_family.items():
        print(f"  {family}: {auc:.3f}")
    print("\ncross-fitted class-balanced Brier score per calibration (grouped folds):")
    for method, brier in evaluation.brier.items():
        print(f"  {method}: {brier:.4f}")
    print(f"chosen: {evaluation.calibration}")
    if evaluation.grouped:
        print_grouped_table(evaluation.grouped)

    print_probes(classifier)

    if args.ship:
        for stale in SHIPPED.glob("*.txt.xz"):
            stale.unlink()
        classifier.save(SHIPPED)
        write_manifest(SHIPPED)
        sizes = ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in sorted(SHIPPED.iterdir())
        )
        print(f"\nshipped to {SHIPPED}: {sizes}")
    print(f"\nwall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

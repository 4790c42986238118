"""Train and evaluate the P(superconductor) classifier and print its figures.

    python benchmarks/superconductor_classifier.py [--element-embedding chgnet]
        [--doping-level] [--seed N] [--seeds N] [--ship]

Prints the rows per source, the out-of-fold ROC-AUC on chemical-system-grouped 5 folds
(overall, 3DSC structure rows alone, per family), on random 5 folds, and without the
structure descriptors; the Brier score of each calibration; P(superconductor) of the textbook
non-superconductors (with their structure and from the composition alone); and the wall
time. ``--element-embedding chgnet`` adds the fraction-weighted mean and std of CHGNet's
element vectors to the Magpie descriptors, ``--doping-level`` the doping level from charge
neutrality (:mod:`supercon3d.models.oxidation_state`). Every model is an ensemble of
``--seeds`` LightGBM fits (5 by default) with the seeds ``--seed``, ``--seed`` + 1, ...
(row and feature subsampling; ``--seed`` 0 by default), their probabilities averaged.
``--ship`` writes the ensemble fitted on every row into the package
(``src/supercon3d/resources/models/superconductor``, replacing its boosters) with its SHA-256
manifest. The structure and Magpie descriptors are cached under the cache folder, so
a rerun reads no CIF.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from supercon3d.evaluation.reference_materials import textbook_non_superconductors
from supercon3d.evaluation.splits import CLASSIFIER_FOLDS
from supercon3d.machine import describe_machine
from supercon3d.models.composition import COMPOSITION_EMBEDDINGS
from supercon3d.models.weights import write_manifest
from supercon3d.training.superconductor import (
    N_SEEDS,
    train_superconductor_classifier,
)

SHIPPED = Path(__file__).resolve().parents[1] / "src/supercon3d/resources/models/superconductor"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ship", action="store_true", help="write the model into the package")
    parser.add_argument(
        "--element-embedding", choices=COMPOSITION_EMBEDDINGS, help="embedding statistics to add"
    )
    parser.add_argument(
        "--doping-level", action="store_true", help="add the doping level from charge neutrality"
    )
    parser.add_argument("--seed", type=int, default=0, help="LightGBM's first seed")
    parser.add_argument("--seeds", type=int, default=N_SEEDS, help="LightGBM fits per model")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"machine: {describe_machine()}")
    classifier, evaluation = train_superconductor_classifier(
        element_embedding=args.element_embedding,
        doping_level=args.doping_level,
        seed=args.seed,
        n_seeds=args.seeds,
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

    materials = textbook_non_superconductors()
    structures = list(materials.values())
    compositions = [s.composition for s in structures]
    with_structure = classifier.predict_proba(compositions, structures)
    composition_only = classifier.predict_proba(compositions)
    print("\n| textbook non-superconductor | P(SC) with structure | P(SC) composition only |")
    print("|---|---|---|")
    for name, p, q in zip(materials, with_structure, composition_only):
        print(f"| {name} | {p:.3f} | {q:.3f} |")

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

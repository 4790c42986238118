"""Does a crystal's structure predict what the composition model misses? (issue 15)

    python benchmarks/prototype_residuals.py [--folds 0-9] [--priors runs/prototype-priors]

Issue 15 asks the structure to earn 0.03 ln K over the composition model. Every route measured
so far gave the structure to a network or to LightGBM beside the composition; here it gets
the cleanest chance: correct the composition model's own error. For each random test fold the
shipped blend's composition model (LightGBM on Magpie + CHGNet element statistics with the
SuperCon formulas, ``composition_model("chgnet")``) predicts ln Tc; its training entries get
out-of-fold predictions from five inner groups (:func:`stacked_prior.fold_priors`: no
training entry's prediction has seen its own material), so their residuals (ln Tc − prior, ln
K) are what the model misses on materials it has not seen. Two structural corrections of a
validation or test entry's prior, each scaled by a factor chosen on the validation fold:

- **isostructural residual**: the shrunk mean residual of the training entries with the same
  prototype, Σ r / (n + m); prototype = the space group, or the space group and the sorted
  Wyckoff letters of the symmetry-distinct sites (spglib at the structure descriptors'
  tolerances); m and the prototype chosen on the validation fold too;
- **descriptor residual**: a small LightGBM on the six structure descriptors
  (:mod:`supercon3d.models.structure_features`) and the prior, fitted to the training
  residuals.

Prints per test fold the MAE (ln K) of the prior alone and with each correction, the
choices, and the Spearman correlation of each correction with the test residuals (pooled over
the folds). The priors (60 LightGBM fits, the long part) are saved per fold in ``--priors``
and reused.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from lightgbm import LGBMRegressor
from pymatgen.core import Structure
from scipy.stats import spearmanr
from stacked_prior import fold_priors

from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.structure_features import structure_descriptors, symmetry_dataset
from supercon3d.settings import cache_dir
from supercon3d.training.blend import composition_model

ELEMENT_EMBEDDING = "chgnet"
INNER_GROUPS = 5
SHRINKAGE = (1.0, 3.0, 10.0, 30.0)
"""Pseudo-counts m of the isostructural mean, Σ r / (n + m)."""
SCALES = np.round(np.linspace(0.0, 1.0, 11), 2)
"""Factors of a correction tried on the validation fold (0: the prior alone)."""
PROTOTYPES = ("space group", "space group + Wyckoff")
PRIORS_RECIPE_FILE = "recipe.json"
"""In ``--priors``: the inner-group count and element embedding its saved priors were made with."""


def prototypes(structure: Structure) -> dict[str, tuple | None]:
    """The entry's prototype at each granularity of :data:`PROTOTYPES` (None if spglib fails)."""
    dataset = symmetry_dataset(structure)
    if dataset is None:
        return dict.fromkeys(PROTOTYPES)
    distinct = sorted(set(dataset.equivalent_atoms))
    wyckoff = tuple(sorted(dataset.wyckoffs[i] for i in distinct))
    return {PROTOTYPES[0]: (dataset.number,), PROTOTYPES[1]: (dataset.number, wyckoff)}


def isostructural(train_ids, residual, protos, ids, granularity: str, m: float) -> np.ndarray:
    """Σ r / (n + m) over the training entries sharing each id's prototype (0 without one)."""
    sums, counts = defaultdict(float), defaultdict(int)
    for i in train_ids:
        key = protos[i][granularity]
        if key is not None:
            sums[key] += residual[i]
            counts[key] += 1
    out = []
    for i in ids:
        key = protos[i][granularity]
        out.append(sums[key] / (counts[key] + m) if key in counts else 0.0)
    return np.array(out)


def best_scale(prior: np.ndarray, correction: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(factor of :data:`SCALES`, its MAE) minimising |prior + factor · correction − truth|."""
    errors = [np.abs(prior + s * correction - truth).mean() for s in SCALES]
    best = int(np.argmin(errors))
    return float(SCALES[best]), float(errors[best])


def descriptor_features(descriptors: dict, prior: dict, ids: list[str]) -> np.ndarray:
    """Each id's structure descriptors with its prior (ln K) appended."""
    return np.array([np.append(descriptors[i], prior[i]) for i in ids])


def descriptor_model(features: np.ndarray, residuals: np.ndarray) -> LGBMRegressor:
    """A small LightGBM fitted to the training residuals (ln K)."""
    model = LGBMRegressor(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        n_jobs=2,
        random_state=0,
        deterministic=True,
        verbose=-1,
    )
    return model.fit(features, residuals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="0-9", help="test folds, e.g. 0-9 or 0,3")
    parser.add_argument("--priors", default="runs/prototype-priors")
    args = parser.parse_args()
    if "-" in args.folds:
        first, last = args.folds.split("-")
        fold_ids = list(range(int(first), int(last) + 1))
    else:
        fold_ids = [int(f) for f in args.folds.split(",")]
    started = time.perf_counter()

    dataset = load_supercon3d()
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = FoldAssignment.shipped()
    config = composition_model(ELEMENT_EMBEDDING)
    formulas = load_supercon_formulas(config.formulas_table)
    featurizer = MagpieFeaturizer(cache_dir(), element_embedding=ELEMENT_EMBEDDING)
    out = Path(args.priors)
    out.mkdir(parents=True, exist_ok=True)
    recipe = {"inner": INNER_GROUPS, "element_embedding": ELEMENT_EMBEDDING}
    recipe_file = out / PRIORS_RECIPE_FILE
    if not recipe_file.is_file():
        recipe_file.write_text(json.dumps(recipe))
    if json.loads(recipe_file.read_text()) != recipe:
        raise SystemExit(f"{out}: holds priors of another recipe; choose another --priors")
    priors = {}
    for fold in fold_ids:
        path = out / f"fold{fold}.priors.json"
        if not path.is_file():
            split = folds.split(fold)
            path.write_text(
                json.dumps(fold_priors(by_id, split, formulas, featurizer, INNER_GROUPS, config))
            )
        priors[fold] = json.loads(path.read_text())
    prior_seconds = time.perf_counter() - started

    protos = {i: prototypes(e.structure) for i, e in by_id.items()}
    descriptors = {i: structure_descriptors(e.structure) for i, e in by_id.items()}
    truth = {i: e.ln_tc for i, e in by_id.items()}

    print(f"# {describe_machine()}")
    print(
        f"# priors {prior_seconds:.0f} s; entries with a prototype: "
        f"{sum(p[PROTOTYPES[0]] is not None for p in protos.values())} of {len(protos)}"
    )
    print("fold    prior  isostructural (prototype, m, factor)    descriptors (factor)")
    rows, pooled = [], defaultdict(list)
    for fold in fold_ids:
        split = folds.split(fold)
        train = [i for i in split.train if i in by_id]
        residual = {i: truth[i] - priors[fold][i] for i in train}
        parts = {}
        for part, ids in (("val", split.val), ("test", split.test)):
            ids = [i for i in ids if i in by_id]
            parts[part] = (
                ids,
                np.array([priors[fold][i] for i in ids]),
                np.array([truth[i] for i in ids]),
            )
        choice = None
        for granularity in PROTOTYPES:
            for m in SHRINKAGE:
                ids, prior, y = parts["val"]
                correction = isostructural(train, residual, protos, ids, granularity, m)
                scale, error = best_scale(prior, correction, y)
                if choice is None or error < choice[0] - 1e-12:
                    choice = (error, granularity, m, scale)
        _, granularity, m, iso_scale = choice
        train_features = descriptor_features(descriptors, priors[fold], train)
        model = descriptor_model(train_features, np.array([residual[i] for i in train]))
        ids, prior, y = parts["val"]
        desc_scale, _ = best_scale(
            prior, model.predict(descriptor_features(descriptors, priors[fold], ids)), y
        )

        ids, prior, y = parts["test"]
        iso = isostructural(train, residual, protos, ids, granularity, m)
        desc = model.predict(descriptor_features(descriptors, priors[fold], ids))
        row = [
            np.abs(prior - y).mean(),
            np.abs(prior + iso_scale * iso - y).mean(),
            np.abs(prior + desc_scale * desc - y).mean(),
        ]
        rows.append(row)
        pooled["residual"] += list(y - prior)
        pooled["isostructural"] += list(iso)
        pooled["descriptors"] += list(desc)
        print(
            f"{fold:4d} {row[0]:8.4f} {row[1]:8.4f} ({granularity}, {m:g}, {iso_scale:.1f})"
            f" {row[2]:10.4f} ({desc_scale:.1f})"
        )
    means = np.mean(rows, axis=0)
    print("mean " + " ".join(f"{value:8.4f}" for value in means))
    for name in ("isostructural", "descriptors"):
        rho = spearmanr(pooled[name], pooled["residual"]).statistic
        print(f"Spearman correlation of the {name} correction with the test residuals: {rho:.3f}")
    print(f"# all {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

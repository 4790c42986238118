"""The shipped composition model's loss, row weights, hyperparameters and training rows (issue 15)

    python benchmarks/composition_objectives.py [--variants l2,huber1]

The blend's composition model (LightGBM on Magpie + CHGNet element statistics, SuperCon3D
training entries plus the SuperCon formula rows the baseline may use) is fitted with
LightGBM's default squared loss, while every figure here is a mean absolute error in ln K.
Each variant of :data:`VARIANTS` changes one thing: the loss (absolute, or Huber with the
named transition in ln K), the weight of the SuperCon3D rows against the formula rows
(the test entries are SuperCon3D's), one group of the fixed hyperparameters of
``make_regressor("lgbm")``, or the number of models with different seeds whose mean is the
prediction (bagging), or adds training rows: the SuperCon formulas measured not to
superconduct (Tc = 0 in ``supercon_stanev2018``; none shares the split's key with a
validation or test entry), either labelled ln Tc = ln(``zeros_tc`` K), or censored (Tc below
``zeros_tc``: a squared loss only where the prediction lies above ln ``zeros_tc``, nothing
below). 10 folds; prints each fold's validation and test MAE (ln K) and the means (a variant
would be chosen on the validation column), and the mean size of a fold model as a shipped
file (xz-compressed prediction text; the first seed's).

``--features magpie`` fits the variants on the Magpie descriptors alone, the features of
the composition baseline that ``evaluate`` reports as ``baseline_mae_mean``;
``--features magpie+chgnet+oxidation`` adds the doping level
(:mod:`supercon3d.models.oxidation_state`) to the blend's features.

``--split chemical-system`` uses the chemical-system-grouped folds (and their rule for the
formula rows) instead of the random ones.

``--blend-run DIR`` (a blended run of the same split, e.g. the shipped
``src/supercon3d/resources/models/sodnet-cpu``) also blends each variant with that run's
network of the fold, at one weight chosen on the fold's validation entries (the ``blend``
rule), and prints the blend's test MAE: what the shipped recipe would score with that
composition model.
"""

from __future__ import annotations

import argparse
import lzma
import time
from pathlib import Path

import numpy as np
from blend_weights import part_predictions
from composition_embeddings import features as variant_features
from composition_folds import fold_rows, load_inputs
from pymatgen.core import Composition

from supercon3d.data.tables import load_supercon_formulas
from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.booster_file import XZ_PRESET, prediction_text
from supercon3d.models.composition import make_regressor
from supercon3d.training.baseline import fold_held_out_free_rows
from supercon3d.training.blend import best_weight
from supercon3d.training.config import run_split

SEED = 0
VARIANTS: dict[str, dict[str, float | str]] = {
    "l2": {},
    "l1": {"objective": "l1"},
    "huber0.5": {"objective": "huber", "alpha": 0.5},
    "huber1": {"objective": "huber", "alpha": 1.0},
    "supercon3d-x3": {"supercon3d_weight": 3.0},
    "l1+supercon3d-x3": {"objective": "l1", "supercon3d_weight": 3.0},
    "rate0.01-trees3000": {"learning_rate": 0.01, "n_estimators": 3000},
    "leaves31": {"num_leaves": 31},
    "leaves127-leafmin10": {"num_leaves": 127, "min_child_samples": 10},
    "leaves255-leafmin10": {"num_leaves": 255, "min_child_samples": 10},
    "leaves127-leafmin10-rate0.01-trees3000": {
        "num_leaves": 127,
        "min_child_samples": 10,
        "learning_rate": 0.01,
        "n_estimators": 3000,
    },
    "leaves127-leafmin10-rate0.05-trees600": {
        "num_leaves": 127,
        "min_child_samples": 10,
        "learning_rate": 0.05,
        "n_estimators": 600,
    },
    "features0.25": {"colsample_bytree": 0.25},
    "l2penalty10": {"reg_lambda": 10.0},
    "extra-trees-trees2000": {"extra_trees": True, "n_estimators": 2000},
    "seeds5": {"seeds": 5},
    "zeros-label1K": {"zeros": "label", "zeros_tc": 1.0},
    "zeros-label0.3K": {"zeros": "label", "zeros_tc": 0.3},
    "zeros-below1K": {"zeros": "censored", "zeros_tc": 1.0},
    "zeros-below2K": {"zeros": "censored", "zeros_tc": 2.0},
}
"""LightGBM parameters changed from ``make_regressor("lgbm")``; ``supercon3d_weight`` is the
sample weight of the SuperCon3D training entries (formula rows: 1); ``seeds`` models with
seeds 0, 1, ... are averaged; ``zeros`` adds the non-superconductor rows, labelled at or
censored below ``zeros_tc`` (K)."""
NON_SUPERCONDUCTOR_TABLE = "supercon_stanev2018"
"""The formula table whose Tc = 0 rows are the non-superconductors."""


def shipped_megabytes(model) -> float:
    """The size (MB) of a fitted LightGBM model as a shipped file: its prediction text,
    xz-compressed as ``models.booster_file.write_booster`` writes it."""
    text = prediction_text(model.booster_).encode()
    return len(lzma.compress(text, preset=XZ_PRESET)) / 1e6


def censored_squared_loss(censored: np.ndarray):
    """LightGBM objective: squared loss, except that a ``censored`` row (its target an upper
    bound) adds nothing while the prediction stays below its target."""

    def objective(
        target: np.ndarray, predicted: np.ndarray, weight: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        residual = predicted - target
        counted = (~censored | (residual > 0)).astype(float)
        scale = counted if weight is None else counted * weight
        return residual * scale, scale

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--blend-run", type=Path, default=None, help="blend with this run")
    parser.add_argument("--split", choices=("random", "chemical-system"), default="random")
    parser.add_argument(
        "--features",
        choices=("magpie+chgnet", "magpie", "magpie+chgnet+oxidation"),
        default="magpie+chgnet",
        help="Magpie + CHGNet statistics (the blend's composition model), Magpie alone, or "
        "Magpie + CHGNet statistics + the doping level (models.oxidation_state)",
    )
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    started = time.perf_counter()
    inputs = load_inputs(args.split)
    zeros_table = None
    if any("zeros" in VARIANTS[name] for name in names):
        zeros_table = load_supercon_formulas(NON_SUPERCONDUCTOR_TABLE)
        zeros_table = zeros_table[zeros_table["tc"] == 0]
    table = element_table("chgnet").astype(float)

    def features(compositions: list[Composition]) -> np.ndarray:
        return variant_features(args.features, compositions, inputs.featurizer, table)

    networks = None
    if args.blend_run is not None:
        if run_split(args.blend_run) != args.split:
            parser.error(f"{args.blend_run}: a {run_split(args.blend_run)} run, not {args.split}")
        networks = part_predictions(args.blend_run).set_index(["fold", "part", "id"])["network"]
    parts = ("val", "test", "blend") if networks is not None else ("val", "test")
    print(f"# {describe_machine()}\n# features: {args.features}, {args.split} folds")
    print("| fold | " + " | ".join(f"{name} {' / '.join(parts)}" for name in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    maes = {name: {part: [] for part in parts} for name in names}
    sizes = {name: [] for name in names}
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas, inputs.split)
        train_x = features(rows.compositions)
        held_out = {
            part: (
                features([entry.structure.composition for entry in getattr(rows, part)]),
                np.array([entry.ln_tc for entry in getattr(rows, part)]),
            )
            for part in ("val", "test")
        }
        zeros_x = None
        for name in names:
            params = dict(VARIANTS[name])
            x, target = train_x, rows.ln_tc
            offset = 0.0
            zeros = params.pop("zeros", None)
            if zeros is not None:
                if zeros_x is None:
                    allowed = fold_held_out_free_rows(zeros_table, rows.val, rows.test, args.split)
                    zeros_x = features(list(allowed["composition"]))
                bound = np.log(float(params.pop("zeros_tc")))
                x = np.vstack([train_x, zeros_x])
                target = np.concatenate([rows.ln_tc, np.full(len(zeros_x), bound)])
                if zeros == "censored":
                    censored = np.arange(len(target)) >= len(rows.ln_tc)
                    offset = float(rows.ln_tc.mean())
                    target = target - offset
                    params["objective"] = censored_squared_loss(censored)
            weights = np.ones(len(target))
            weights[: len(rows.train)] = params.pop("supercon3d_weight", 1.0)
            seeds = int(params.pop("seeds", 1))
            models = [
                make_regressor("lgbm", SEED + seed)
                .set_params(**params)
                .fit(x, target, sample_weight=weights)
                for seed in range(seeds)
            ]
            sizes[name].append(shipped_megabytes(models[0]))
            predicted = {
                part: offset + np.mean([model.predict(held) for model in models], axis=0)
                for part, (held, _) in held_out.items()
            }
            for part, (_, truth) in held_out.items():
                maes[name][part].append(float(np.abs(predicted[part] - truth).mean()))
            if networks is not None:
                network = {
                    part: networks.loc[[(fold, part, e.id) for e in getattr(rows, part)]].to_numpy()
                    for part in held_out
                }
                w = best_weight(network["val"], predicted["val"], held_out["val"][1])
                blend = w * network["test"] + (1 - w) * predicted["test"]
                maes[name]["blend"].append(float(np.abs(blend - held_out["test"][1]).mean()))
        cells = [" / ".join(f"{maes[n][part][-1]:.3f}" for part in parts) for n in names]
        print(f"| {fold} | " + " | ".join(cells) + " |", flush=True)
    print("\nmean over the folds (ln K):")
    for name, errors in maes.items():
        blend = f", blend {np.mean(errors['blend']):.4f}" if "blend" in errors else ""
        print(
            f"  {name}: validation {np.mean(errors['val']):.4f}, "
            f"test {np.mean(errors['test']):.4f} ± {np.std(errors['test'], ddof=1):.4f}{blend}, "
            f"{np.mean(sizes[name]):.2f} MB per model as shipped"
        )
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

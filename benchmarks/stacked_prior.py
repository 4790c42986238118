"""SODNet as a residual over the fold's own composition model (stacking; issue 15)

    python benchmarks/stacked_prior.py --folds 0,1 [--out runs/sodnet-cpu-stacked]

The shipped ``cpu`` network learns a correction to a shared composition prior that has seen
no SuperCon3D material (:mod:`supercon3d.training.prior`), and is then blended with the
fold's LightGBM + formulas model, which has. Here the network's prior *is* that fold model,
so the network learns only what the best composition model leaves:

- validation and test entries: the prior is the fold's LightGBM + formulas model
  (:func:`~supercon3d.training.baseline.fit_fold_baseline`, the blend's composition model);
- training entries: out-of-fold predictions of the same recipe, cross-fitted over
  ``--inner`` groups of the training entries (all entries of one composition key in one
  group); the model for group g trains on the other groups plus the formula rows that share
  no composition key with a validation, test or group-g entry, so no training entry's
  prior has seen its own material.

Everything else is the ``cpu`` configuration. Folds train ``--workers`` at a time (one thread
each), resumably (``fold<k>.state.pt``) in ``--out``. Prints per test fold the MAE (ln K) of
the composition model, the stacked network alone and their blend (weight chosen on the
validation fold, :func:`~supercon3d.training.blend.best_weight`), the best validation MAE and
the MAE of the out-of-fold priors on the training entries (a leak would make it far lower
than the test fold's), then the means. The priors are saved beside the checkpoints
(``fold<k>.priors.json``) and reused.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from supercon3d.data.composition import composition_key
from supercon3d.data.supercon3d import Entry, load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment, FoldSplit
from supercon3d.executor import make_executor, shared_object
from supercon3d.graphs import GraphSettings
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.sodnet import SODNet
from supercon3d.models.sodnet.checkpoint import read_checkpoint
from supercon3d.models.sodnet.ensemble import predict_ln_tc
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fit_fold_baseline
from supercon3d.training.blend import COMPOSITION_MODEL, best_weight
from supercon3d.training.config import CONFIGS
from supercon3d.training.sodnet import check_run_folder, fold_paths, train_fold, training_set

SPLIT = "random"
SEED = 0
STACKING_FILE = "stacking.json"
"""The run folder's inner-group count and seed, which its saved priors were made with."""


def inner_groups(entries: list[Entry], n_groups: int, seed: int) -> list[list[Entry]]:
    """The entries in ``n_groups`` groups, every composition key inside one group."""
    by_key: dict = {}
    for entry in entries:
        by_key.setdefault(composition_key(entry.structure.composition), []).append(entry)
    keys = list(by_key)
    order = np.random.default_rng(seed).permutation(len(keys))
    groups: list[list[Entry]] = [[] for _ in range(n_groups)]
    for position, index in enumerate(order):
        groups[position % n_groups].extend(by_key[keys[index]])
    return groups


def fold_priors(
    by_id, split, formulas, featurizer, n_groups: int, config=COMPOSITION_MODEL
) -> dict[str, float]:
    """The stacked prior (ln K) of every training, validation and test id of one fold: the
    fold's composition baseline (``config``, with ``featurizer``'s descriptors) for its
    validation and test ids; for each inner group of its training ids the same baseline fitted
    as if the group were test entries too."""
    train = [by_id[i] for i in split.train if i in by_id]
    priors = {}
    for group in inner_groups(train, n_groups, SEED):
        inside = [entry.id for entry in group]
        rest = [entry.id for entry in train if entry.id not in set(inside)]
        inner = FoldSplit(split.fold, rest, split.val, split.test + inside)
        model, _ = fit_fold_baseline(by_id, inner, config, formulas, featurizer, SPLIT)
        priors.update(zip(inside, model.predict([entry.structure.composition for entry in group])))
    model, _ = fit_fold_baseline(by_id, split, config, formulas, featurizer, SPLIT)
    held_out = [by_id[i] for i in split.val + split.test if i in by_id]
    priors.update(
        zip([e.id for e in held_out], model.predict([e.structure.composition for e in held_out]))
    )
    return priors


def _train_with_priors(job) -> dict:
    """Set one fold's priors on the shared graphs, then train the fold."""
    run, fold, folds, run_dir, priors = job
    data = shared_object()
    for name, value in priors.items():
        if name in data.graphs:
            data.graphs[name].prior = torch.tensor([value], dtype=torch.float32)
    return train_fold(run, fold, data, folds, run_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="0,1")
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="runs/sodnet-cpu-stacked")
    args = parser.parse_args()
    fold_ids = [int(f) for f in args.folds.split(",")]
    started = time.perf_counter()

    run = CONFIGS["cpu"].replace(name="cpu-stacked")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    check_run_folder(run, out)
    stacking = out / STACKING_FILE
    if not stacking.is_file():
        stacking.write_text(json.dumps({"inner": args.inner, "seed": SEED}))
    if json.loads(stacking.read_text()) != {"inner": args.inner, "seed": SEED}:
        raise SystemExit(f"{out}: holds priors of another --inner; choose another --out")
    dataset = load_supercon3d()
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = FoldAssignment.shipped()
    formulas = load_supercon_formulas(COMPOSITION_MODEL.formulas_table)
    featurizer = MagpieFeaturizer(cache_dir())
    priors = {}
    for fold in fold_ids:
        path = out / f"fold{fold}.priors.json"
        if not path.is_file():
            path.write_text(
                json.dumps(fold_priors(by_id, folds.split(fold), formulas, featurizer, args.inner))
            )
        priors[fold] = json.loads(path.read_text())
    prior_seconds = time.perf_counter() - started

    settings = GraphSettings(k=run.model.k, cutoff=run.model.cutoff, embedding=run.model.embedding)
    data, _ = training_set(dataset, settings)
    jobs = [(run, fold, folds, str(out), priors[fold]) for fold in fold_ids]
    with make_executor(args.workers, len(jobs), min_items_per_worker=1, shared=data) as executor:
        list(executor.map_unordered(_train_with_priors, jobs))

    print(f"# {describe_machine()}")
    print(f"priors {prior_seconds:.0f} s, all {time.perf_counter() - started:.0f} s")
    print("fold  composition stacked-alone        blend  weight  val-MAE  prior-on-training")
    rows = []
    for fold in fold_ids:
        split = folds.split(fold)
        checkpoint = read_checkpoint(fold_paths(out, fold)["checkpoint"])
        model = checkpoint.load_into(SODNet(checkpoint.config))
        result = {}
        for part, ids in (("val", split.val), ("test", split.test)):
            graphs = [data.graphs[i] for i in ids if i in data.graphs]
            prior = np.array([priors[fold][g.name] for g in graphs])
            truth = np.array([by_id[g.name].ln_tc for g in graphs])
            network = predict_ln_tc(model, checkpoint.normalization, graphs, prior=prior)
            result[part] = (prior, network, truth)
        weight = best_weight(result["val"][1], result["val"][0], result["val"][2])
        prior, network, truth = result["test"]
        row = [
            np.abs(prior - truth).mean(),
            np.abs(network - truth).mean(),
            np.abs(weight * network + (1 - weight) * prior - truth).mean(),
        ]
        rows.append(row)
        val_mae = checkpoint.info["val_mae"]
        on_training = np.mean([abs(priors[fold][i] - by_id[i].ln_tc) for i in split.train])
        numbers = "".join(f"{value:13.3f}" for value in row)
        print(f"{fold:4d}{numbers}{weight:8.2f}{val_mae:9.3f}{on_training:19.3f}")
    means = np.mean(rows, axis=0)
    print("mean" + "".join(f"{value:13.3f}" for value in means))


if __name__ == "__main__":
    main()

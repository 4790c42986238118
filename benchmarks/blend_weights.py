"""Could the blend weight depend on the material? (issue 15)

    python benchmarks/blend_weights.py [--run DIR]

A blended run (default: the shipped ``sodnet-cpu``) mixes each fold's network with its
fold's composition model at one weight, chosen on the fold's validation entries
(``training.blend.best_weight``). Here each fold's network alone and composition model
predict the fold's validation and test entries, and the test MAE (ln K) is compared for
weights chosen, without looking at the fold's own test entries:

- ``one weight`` (what ships): on the fold's validation entries;
- ``per disorder``: one weight for the ordered entries, one for the disordered (SD, PD,
  SPD, ID), each on the fold's validation entries of that kind;
- ``per family``: one weight per chemical family (``data.family`` rules), each on the
  fold's validation entries of that family;
- ``other folds``: one weight on the pooled test predictions of the other folds' models
  (none trained on them; for a family run: chosen on the other families).

Then, pooled over all test folds (a description, not a model choice): each model's MAE
and the weight that would have been best, per disorder kind, per family, per fifth of the
gap between the two models' predictions and per range of the measured Tc. The run's split
is read from its folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from supercon3d.data.family import chemical_family
from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.evaluation.folds import split_folds
from supercon3d.machine import describe_machine
from supercon3d.models.sodnet.ensemble import SODNetEnsemble, shipped_model_dir
from supercon3d.training.blend import best_weight
from supercon3d.training.config import run_split
from supercon3d.training.sodnet import training_set

GAP_BINS = 5
"""The pooled test entries are cut into this many equal parts by |network − composition|."""
TC_EDGES_KELVIN = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 300.0)
"""Ranges of the measured Tc (K) the pooled test entries are grouped by."""
Rule = Callable[[pd.DataFrame], pd.Series]


def part_predictions(folder: Path) -> pd.DataFrame:
    """Per fold and entry of its validation and test folds: ln Tc, the network alone
    (``network``) and the fold's composition model (``composition``), in ln K."""
    ensemble = SODNetEnsemble.from_dir(folder)
    if not ensemble.blended:
        raise SystemExit(f"{folder}: not a blended run (no blend.json)")
    dataset = load_supercon3d()
    graphs, _ = training_set(dataset, ensemble.graph_settings)
    folds = split_folds(run_split(folder), dataset)
    by_id = {entry.id: entry for entry in dataset.entries}
    frames = []
    for member in sorted(ensemble.members, key=lambda m: m.fold):
        network = dataclasses.replace(member, composition=None, sodnet_weight=1.0)
        for part in ("val", "test"):
            ids = [i for i in getattr(folds.split(member.fold), part) if i in graphs.graphs]
            chosen = [graphs.graphs[i] for i in ids]
            compositions = [graph.composition() for graph in chosen]
            frames.append(
                pd.DataFrame(
                    {
                        "id": ids,
                        "fold": member.fold,
                        "part": part,
                        "ln_tc": [by_id[i].ln_tc for i in ids],
                        "network": network.predict(chosen, compositions),
                        "composition": member.composition.predict(compositions),
                        "ordered": [by_id[i].disorder_class == "O" for i in ids],
                        "family": [chemical_family(c) for c in compositions],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def weight(rows: pd.DataFrame) -> float:
    return best_weight(rows["network"].to_numpy(), rows["composition"].to_numpy(),
                       rows["ln_tc"].to_numpy())  # fmt: skip


def blended(rows: pd.DataFrame, w: float) -> np.ndarray:
    return w * rows["network"].to_numpy() + (1 - w) * rows["composition"].to_numpy()


def mae(rows: pd.DataFrame, predicted: np.ndarray) -> float:
    return float(np.abs(predicted - rows["ln_tc"].to_numpy()).mean())


def grouped_mae(val: pd.DataFrame, test: pd.DataFrame, rule: Rule) -> float:
    """Test MAE with one weight per group of ``rule``, each chosen on the validation
    entries of that group (all validation entries where a group has none)."""
    predicted = pd.Series(np.nan, index=test.index)
    for group, rows in test.groupby(rule(test)):
        chosen = val[rule(val) == group]
        predicted[rows.index] = blended(rows, weight(chosen if len(chosen) else val))
    return mae(test, predicted.to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None, help="run folder (default: shipped)")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = args.run or shipped_model_dir()
    rows = part_predictions(folder)
    print(f"# {describe_machine()}\n# {folder} ({run_split(folder)} split)")
    val_all, test_all = (rows[rows["part"] == part] for part in ("val", "test"))
    strategies = ("one weight", "per disorder", "per family", "other folds")
    print("| fold | network | composition | " + " | ".join(strategies) + " |")
    print("|---" * (len(strategies) + 3) + "|")
    results = {name: [] for name in ("network", "composition", *strategies)}
    for fold in sorted(test_all["fold"].unique()):
        val, test = val_all[val_all["fold"] == fold], test_all[test_all["fold"] == fold]
        results["network"].append(mae(test, test["network"].to_numpy()))
        results["composition"].append(mae(test, test["composition"].to_numpy()))
        results["one weight"].append(mae(test, blended(test, weight(val))))
        results["per disorder"].append(grouped_mae(val, test, lambda r: r["ordered"]))
        results["per family"].append(grouped_mae(val, test, lambda r: r["family"]))
        other = weight(test_all[test_all["fold"] != fold])
        results["other folds"].append(mae(test, blended(test, other)))
        print(f"| {fold} | " + " | ".join(f"{v[-1]:.3f}" for v in results.values()) + " |")
    print("| mean | " + " | ".join(f"**{np.mean(v):.4f}**" for v in results.values()) + " |")

    gap = (test_all["network"] - test_all["composition"]).abs()
    groups = {
        "disorder": test_all["ordered"].map({True: "ordered", False: "disordered"}),
        "family": test_all["family"],
        "gap fifth": pd.qcut(gap, GAP_BINS, labels=False).map(lambda q: f"{q + 1}"),
        "Tc (K)": pd.cut(np.exp(test_all["ln_tc"]), TC_EDGES_KELVIN),
    }
    print("\npooled test entries | n | mean gap | network | composition | best weight")
    print("|---|---|---|---|---|---|")
    for kind, labels in groups.items():
        for label, chosen in test_all.groupby(labels, observed=True):
            print(f"| {kind} {label} | {len(chosen)} | {gap[chosen.index].mean():.3f} "
                  f"| {mae(chosen, chosen['network'].to_numpy()):.3f} "
                  f"| {mae(chosen, chosen['composition'].to_numpy()):.3f} "
                  f"| {weight(chosen):.2f} |")  # fmt: skip
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

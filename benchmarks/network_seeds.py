"""Does averaging several trainings of the network per fold earn the structure its place?
(issue 15)

    python benchmarks/network_seeds.py --run runs/A --run runs/B [--base DIR]

``--base`` is a blended run (default: the shipped ``sodnet-cpu``); each ``--run`` is a run
of the same split trained with another seed or architecture (no blend needed). Per fold,
on the fold's test entries (MAE, ln K): the base network alone, each run's network alone,
the mean of all the networks, and each of them blended with the base run's composition
model at one weight chosen on the fold's validation entries (what ``supercon3d blend``
does). Also printed: how far two trainings of one fold disagree (mean |difference| of
their test predictions, ln K), which bounds what averaging them can remove.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
from blend_weights import blended, mae, part_predictions, weight

from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.graphs import GraphSettings
from supercon3d.machine import describe_machine
from supercon3d.models.sodnet.ensemble import SODNetEnsemble, shipped_model_dir
from supercon3d.training.config import run_split
from supercon3d.training.sodnet import TrainingSet, training_set


@functools.cache
def graphs_of(settings: GraphSettings) -> TrainingSet:
    """SuperCon3D's graphs under ``settings``, built once for every run that shares them."""
    return training_set(load_supercon3d(), settings)[0]


def network_predictions(folder: Path, rows: pd.DataFrame) -> np.ndarray:
    """ln Tc (ln K) of ``folder``'s network of each row's fold, for every row of
    ``rows`` (columns ``id`` and ``fold``), in their order."""
    ensemble = SODNetEnsemble.from_dir(folder, blend=False)
    graphs = graphs_of(ensemble.graph_settings)
    predicted = np.full(len(rows), np.nan)
    for fold, chosen in rows.groupby("fold"):
        fold_graphs = [graphs.graphs[i] for i in chosen["id"]]
        positions = rows.index.get_indexer(chosen.index)
        predicted[positions] = ensemble.member(int(fold)).predict(fold_graphs)
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=None, help="blended run (default: shipped)")
    parser.add_argument("--run", type=Path, action="append", required=True, help="other run")
    args = parser.parse_args()
    started = time.perf_counter()
    base = args.base or shipped_model_dir()
    for folder in args.run:
        if run_split(folder) != run_split(base):
            raise SystemExit(f"{folder}: {run_split(folder)} split, the base is {run_split(base)}")
    rows = part_predictions(base)
    networks = {"base": rows["network"].to_numpy()}
    networks |= {folder.name: network_predictions(folder, rows) for folder in args.run}
    rows = rows.assign(**{f"net {name}": values for name, values in networks.items()})
    rows["net mean"] = np.mean(list(networks.values()), axis=0)
    rows["net runs mean"] = np.mean([networks[f.name] for f in args.run], axis=0)
    candidates = [c for c in rows.columns if c.startswith("net ")]
    print(f"# {describe_machine()}\n# base {base} ({run_split(base)} split)")
    print("| fold | composition | " + " | ".join(candidates) + " | "
          + " | ".join(f"blend {c[4:]}" for c in candidates) + " |")  # fmt: skip
    print("|---" * (2 * len(candidates) + 2) + "|")
    val_all, test_all = (rows[rows["part"] == part] for part in ("val", "test"))
    results: dict[str, list[float]] = {"composition": []}
    for fold in sorted(test_all["fold"].unique()):
        val, test = val_all[val_all["fold"] == fold], test_all[test_all["fold"] == fold]
        results["composition"].append(mae(test, test["composition"].to_numpy()))
        for column in candidates:
            results.setdefault(column, []).append(mae(test, test[column].to_numpy()))
        for column in candidates:
            chosen_val = val.assign(network=val[column])
            chosen_test = test.assign(network=test[column])
            w = weight(chosen_val)
            results.setdefault(f"blend {column[4:]}", []).append(
                mae(chosen_test, blended(chosen_test, w))
            )
        print(f"| {fold} | " + " | ".join(f"{v[-1]:.3f}" for v in results.values()) + " |")
    print("| mean | " + " | ".join(f"**{np.mean(v):.4f}**" for v in results.values()) + " |")

    print("\nmean |difference| of two networks' test predictions (ln K)")
    for a, b in itertools.combinations(networks, 2):
        gap = np.abs(test_all[f"net {a}"] - test_all[f"net {b}"]).mean()
        print(f"- {a} / {b}: {gap:.3f}")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

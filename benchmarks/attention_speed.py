"""SODNet's attention through e3nn's tensor product against the factored path (l <= 1).

    python benchmarks/attention_speed.py [--files 500] [--repeats 3]

Times, on one torch thread, the shipped ensemble's prediction of ``files`` SuperCon3D graphs
(all ten members, batches of 64) and one training epoch's forward and backward passes of the
`cpu` configuration (scaled from the same graphs to a fold's 1,262, batches of 32), once with
:class:`~supercon3d.models.sodnet.layers.FactoredMessage` and once with the e3nn modules
it replaces; the best of ``repeats`` is printed with the largest difference in ln Tc.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from torch_geometric.data import Batch

from supercon3d.graphs import graphs_from_cifs
from supercon3d.machine import describe_machine
from supercon3d.models.sodnet import SODNet
from supercon3d.models.sodnet.ensemble import load_ensemble
from supercon3d.settings import dataset_path
from supercon3d.training.config import CONFIGS

TRAIN_GRAPHS = 1262
TRAIN_BATCH = 32


def set_factored(model: SODNet, factored: list) -> None:
    """Put ``factored`` (one per block, None for e3nn's path) into ``model``."""
    for block, path in zip(model.blocks, factored):
        block.attention.factored = path


def best_time(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def training_epoch(model: SODNet, graphs: list) -> None:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    for start in range(0, len(graphs), TRAIN_BATCH):
        loss = model(Batch.from_data_list(graphs[start : start + TRAIN_BATCH])).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe_machine()}; torch threads: 1")
    ensemble = load_ensemble()
    paths = sorted(dataset_path("supercon3d/cif").glob("*.cif"))[: args.files]
    graphs = graphs_from_cifs(paths, ensemble.graph_settings).graphs
    edges = sum(int(g.edge_index.shape[1]) for g in graphs)
    print(f"{len(graphs)} graphs, {edges} edges")

    network = ensemble.members[0].model  # one network runs every member's weights
    factored = [block.attention.factored for block in network.blocks]
    timings = {}
    for label, path in (("e3nn tensor product", [None] * len(factored)), ("factored", factored)):
        set_factored(network, path)
        timings[label] = best_time(lambda: ensemble.predict(graphs)[0], args.repeats)
    set_factored(network, factored)
    difference = np.abs(timings["factored"][1] - timings["e3nn tensor product"][1]).max()
    for label, (seconds, _) in timings.items():
        print(f"ensemble prediction, {label:20s} {seconds:6.2f} s ({len(graphs)} graphs)")
    print(f"largest difference in ln Tc: {difference:.2e}")

    torch.manual_seed(0)
    model = SODNet(CONFIGS["cpu"].model)
    own = [block.attention.factored for block in model.blocks]
    for label, path in (("e3nn tensor product", [None] * len(own)), ("factored", own)):
        set_factored(model, path)
        seconds, _ = best_time(lambda: training_epoch(model, graphs), 1)
        epoch = seconds / len(graphs) * TRAIN_GRAPHS
        print(f"training epoch (forward + backward), {label:20s} {epoch:6.1f} s per epoch")


if __name__ == "__main__":
    main()

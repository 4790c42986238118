"""Time one SODNet training epoch on SuperCon3D for candidate architectures.

    python benchmarks/sodnet_epoch_time.py [--threads 1] [--sample 320]

Trains on a fixed random sample of ``sample`` graphs (batches of 32) and scales the time to
the 1,262 graphs of a fold's training set; this is how the `cpu` configuration was sized so
that 10 folds finish within 2 hours on a 2-core machine (two folds in parallel, one thread
each).
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from torch_geometric.data import Batch

from supercon3d.graphs import GraphSettings, graphs_from_cifs
from supercon3d.machine import describe_machine
from supercon3d.models.sodnet import SODNet
from supercon3d.settings import dataset_path
from supercon3d.training.config import CONFIGS

CANDIDATES = {
    "cpu (lmax 1, 3 blocks, 64x0e+16x1o)": {},
    "lmax 2 (+8x2e)": {"lmax": 2},
    "invariant (lmax 0)": {"lmax": 0},
    "2 blocks": {"blocks": 2},
    "k = 32": {"k": 32},
}
TRAIN_GRAPHS = 1262


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sample", type=int, default=320)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {describe_machine()}; torch threads: {args.threads}")
    paths = sorted(dataset_path("supercon3d/cif").glob("*.cif"))
    for label, changes in CANDIDATES.items():
        run = CONFIGS["cpu"].replace(**changes)
        settings = GraphSettings(k=run.model.k, cutoff=run.model.cutoff)
        graphs = graphs_from_cifs(paths, settings).graphs
        sample = random.Random(0).sample(graphs, args.sample)
        torch.manual_seed(0)
        model = SODNet(run.model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        started = time.perf_counter()
        for start in range(0, len(sample), 32):
            loss = model(Batch.from_data_list(sample[start : start + 32])).abs().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = (time.perf_counter() - started) / len(sample) * TRAIN_GRAPHS
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{label:38s} {parameters:8d} parameters  {seconds:6.1f} s per training epoch")


if __name__ == "__main__":
    main()

"""Build all SuperCon3D graphs cold (empty cache), then warm, and print the wall times.

    python benchmarks/graph_build.py [--k 16] [--cutoff 8] [--workers N]

Goal: cold build of all 1,578 graphs in at most 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from supercon3d.graphs import GraphSettings, graphs_from_cifs
from supercon3d.machine import describe_machine
from supercon3d.settings import dataset_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=GraphSettings.k)
    parser.add_argument("--cutoff", type=float, default=GraphSettings.cutoff)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    settings = GraphSettings(k=args.k, cutoff=args.cutoff)
    paths = sorted(dataset_path("supercon3d/cif").glob("*.cif"))
    print(f"machine: {describe_machine()}")
    print(f"settings: k={settings.k}, cutoff={settings.cutoff} Å, embedding={settings.embedding}")
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):
            start = time.perf_counter()
            result = graphs_from_cifs(paths, settings, cache_root=cache, workers=args.workers)
            seconds = time.perf_counter() - start
            edges = sum(g.num_edges for g in result.graphs)
            print(
                f"{label}: {len(result.graphs)} graphs ({len(result.failures)} failed), "
                f"{edges} edges in {seconds:.1f} s"
            )


if __name__ == "__main__":
    main()

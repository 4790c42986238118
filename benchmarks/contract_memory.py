"""Worst-case memory and time of reading one structure and building its graph.

Each case runs in a fresh process: read the CIF under the input contract
(:func:`supercon3d.data.cif.read_cif_text`), then build the crystal graph at the shipped
model's settings (k = 16, 8 Å). The peak resident memory above the process's state after its
imports, and the wall time, are what one input can cost; the cases are the largest inputs
each bound lets through, and the inputs of issue 16 that used to exhaust memory.

    python benchmarks/contract_memory.py            # all cases, a table
    python benchmarks/contract_memory.py --json     # one JSON object per case
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from supercon3d.data.contract import (
    MAX_SITES,
    MAX_SPACE_GROUP_OPERATIONS,
    MAX_SYMMETRY_IMAGES,
)
from supercon3d.graphs.crystal_graph import MAX_NEIGHBOUR_PAIRS

CUTOFF_ANGSTROM = 8.0
SEED = 0


def cif_text(edge: float, rows: list[tuple[str, float, float, float]], symmetry: str) -> str:
    """A cubic CIF of edge ``edge`` (Å) with (element, x, y, z) rows, fully occupied."""
    lines = ["data_case"] + [f"_cell_length_{axis} {edge}" for axis in "abc"]
    lines += [f"_cell_angle_{angle} 90" for angle in ("alpha", "beta", "gamma")]
    lines += [symmetry, "loop_", "_atom_site_label", "_atom_site_type_symbol"]
    lines += [f"_atom_site_fract_{axis}" for axis in "xyz"] + ["_atom_site_occupancy"]
    lines += [f"{el}{i} {el} {x:.6f} {y:.6f} {z:.6f} 1" for i, (el, x, y, z) in enumerate(rows)]
    return "\n".join(lines) + "\n"


P1 = "_symmetry_space_group_name_H-M 'P 1'"


def random_rows(n: int) -> list[tuple[str, float, float, float]]:
    coords = np.random.default_rng(SEED).random((n, 3))
    return [("Nb", *xyz) for xyz in coords]


def densest_graph() -> str:
    """``MAX_SITES`` sites in the smallest cube the neighbour-pair bound lets through."""
    volume = MAX_SITES**2 * (4 / 3) * math.pi * CUTOFF_ANGSTROM**3 / MAX_NEIGHBOUR_PAIRS
    return cif_text(volume ** (1 / 3) * 1.001, random_rows(MAX_SITES), P1)


def largest_expansion() -> str:
    """As many rows in F m -3 m (named, operations not listed) as the symmetry bound allows."""
    rows = MAX_SYMMETRY_IMAGES // MAX_SPACE_GROUP_OPERATIONS
    return cif_text(40.0, random_rows(rows), "_symmetry_space_group_name_H-M 'F m -3 m'")


def one_atom(edge: float) -> Callable[[], str]:
    return lambda: cif_text(edge, [("Nb", 0.0, 0.0, 0.0)], P1)


def supercon3d(name: str) -> Callable[[], str]:
    def text() -> str:
        from supercon3d.settings import dataset_path

        return (dataset_path("supercon3d/cif") / name).read_text()

    return text


CASES: dict[str, Callable[[], str]] = {
    "MgB2 (671985)": supercon3d("671985.cif"),
    "largest SuperCon3D cell (84513, 552 sites)": supercon3d("84513.cif"),
    "densest SuperCon3D cell (Li1P2H14)": supercon3d("Li1P2H14.cif"),
    f"{MAX_SITES} sites at the neighbour-pair bound": densest_graph,
    f"{MAX_SYMMETRY_IMAGES:,} symmetry images (F m -3 m)": largest_expansion,
    "one Nb in a 0.1 Å cell (issue 16: 1.2 GB)": one_atom(0.1),
    "one Nb in a 0.05 Å cell (issue 16: MemoryError)": one_atom(0.05),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(name: str) -> dict:
    """Read and graph one case in this process; its outcome, extra peak memory and time."""
    from supercon3d.data.cif import CifReadError, read_cif_text
    from supercon3d.graphs.crystal_graph import GraphBuildError, GraphSettings, graph_arrays

    text = CASES[name]()
    before, started = peak_mb(), time.perf_counter()
    try:
        record = read_cif_text(text, name)
        arrays = graph_arrays(record.structure, GraphSettings(cutoff=CUTOFF_ANGSTROM), name)
        outcome = f"graph of {len(record.structure)} sites, {arrays['edge_len'].size} edges"
    except (CifReadError, GraphBuildError) as error:
        outcome = f"refused: {error.reason}"
    return {
        "case": name,
        "outcome": outcome,
        "extra_peak_mb": round(peak_mb() - before, 1),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, help="Run one case here (used internally).")
    parser.add_argument("--json", action="store_true", help="One JSON object per case.")
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(run_case(args.case)))
        return
    for name in CASES:
        command = [sys.executable, __file__, "--case", name]
        result = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['extra_peak_mb']:8.1f} MB {result['seconds']:7.2f} s  "
                  f"{result['case']}: {result['outcome']}")  # fmt: skip


if __name__ == "__main__":
    main()

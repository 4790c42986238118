"""CHGNet against SevenNet-0 on the same relaxations: time, steps and agreement.

    nice -n 10 python benchmarks/stability_potentials.py [--n 20]

``--n`` Materials Project structures of ``MIN_SITES``–``MAX_SITES`` sites (seeded draw from
``mp_structures/cifs``), each strained by ``STRAIN`` in volume and rattled by ``RATTLE_A`` Å
so that it has to relax, are relaxed by each potential (the stability filter's settings:
``DEFAULT_MAX_STEPS`` FIRE steps, ``FORCE_TOLERANCE``, one torch thread). Printed per
potential: load time, median CPU time per relaxation (one torch thread: the wall time on an
idle core; the wall time on the shared machine is printed too), median steps, share
converged; and
the agreement of the two: median |ΔE| (eV/atom) of the relaxed energies and of the static
energies of the MP geometry, and the median relative difference of the relaxed volumes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
from pymatgen.core import Structure

from supercon3d.machine import describe_machine
from supercon3d.settings import dataset_path
from supercon3d.stability.potentials import POTENTIALS, load_potential, potential_threads
from supercon3d.stability.relax import (
    DEFAULT_MAX_STEPS,
    FORCE_TOLERANCE,
    relax,
    static_energy_per_atom,
)

MIN_SITES, MAX_SITES = 16, 24
STRAIN = 0.05
RATTLE_A = 0.05
SEED = 0


def draw(n: int) -> list[tuple[str, Structure]]:
    """``n`` ordered MP structures of MIN_SITES–MAX_SITES sites, seeded."""
    paths = sorted(dataset_path("mp_structures/cifs").glob("*.cif"))
    random.Random(SEED).shuffle(paths)
    found = []
    for path in paths:
        structure = Structure.from_file(path)
        if structure.is_ordered and MIN_SITES <= len(structure) <= MAX_SITES:
            found.append((path.stem, structure))
        if len(found) == n:
            return found
    return found


def perturbed(structure: Structure, seed: int) -> Structure:
    """``structure`` with its volume scaled by 1 + STRAIN and each atom moved by RATTLE_A Å."""
    moved = structure.copy()
    moved.scale_lattice(structure.volume * (1 + STRAIN))
    rng = np.random.default_rng(seed)
    for index in range(len(moved)):
        moved.translate_sites([index], rng.normal(0, RATTLE_A, 3), frac_coords=False)
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    print(describe_machine())
    cells = draw(args.n)
    print(f"{len(cells)} structures, {MIN_SITES}-{MAX_SITES} sites (median "
          f"{statistics.median(len(s) for _, s in cells):.0f}); {DEFAULT_MAX_STEPS} steps, "
          f"fmax {FORCE_TOLERANCE} eV/Å")  # fmt: skip
    results = {}
    for name in POTENTIALS:
        started = time.perf_counter()
        potential = load_potential(name)
        loaded = time.perf_counter() - started
        rows = []
        with potential_threads():
            for i, (_, structure) in enumerate(cells):
                static = static_energy_per_atom(structure, potential)
                started, cpu = time.perf_counter(), time.process_time()
                result = relax(perturbed(structure, i), potential)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                rows.append((cpu, result.steps, result.converged, result.energy_per_atom,
                             static, result.structure.volume, seconds))  # fmt: skip
                print(f"  {name} {cells[i][0]} ({len(structure)} sites): {cpu:.1f} s CPU, "
                      f"{seconds:.1f} s wall, {result.steps} steps", flush=True)  # fmt: skip
        results[name] = rows
        seconds, steps, converged = zip(*[row[:3] for row in rows])
        wall = statistics.median(row[6] for row in rows)
        print(f"{name}: load {loaded:.1f} s; relaxation median {statistics.median(seconds):.1f} s "
              f"CPU on one thread (max {max(seconds):.1f}; shared-machine wall {wall:.1f} s), "
              f"median {statistics.median(steps):.0f} steps "
              f"({statistics.median(s / max(1, k) for s, k in zip(seconds, steps)):.2f} s/step), "
              f"converged {statistics.mean(converged):.0%}")  # fmt: skip
    first, second = (results[name] for name in POTENTIALS)
    relaxed = [abs(a[3] - b[3]) for a, b in zip(first, second)]
    static = [abs(a[4] - b[4]) for a, b in zip(first, second)]
    volume = [abs(a[5] / b[5] - 1) for a, b in zip(first, second)]
    print(
        f"agreement {POTENTIALS[0]} vs {POTENTIALS[1]}: median |ΔE| relaxed "
        f"{statistics.median(relaxed):.3f} eV/atom (max {max(relaxed):.3f}), static MP geometry "
        f"{statistics.median(static):.3f} eV/atom; median |ΔV/V| {statistics.median(volume):.1%}"
    )


if __name__ == "__main__":
    main()

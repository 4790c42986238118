"""How much relaxation lowers the energy above the hull of new structures: whether a cheap
pre-filter (the static energy of a structure as made, against the hull) could spare discover
the relaxation of structures hopelessly above the hull without losing stable ones. It could
not: discover relaxes every gated structure (docs: the measured lowering reached 3 eV/atom
for a generated structure that ended within the window, and a margin that safe spared one
relaxation in 21).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/prefilter_margin.py [--generated 20]
        [--substituted 20] [--seed 0] [--steps 250]

``--generated`` structures from noise (the shipped generator, Tc-guided, ``--steps`` reverse
steps; the structurally and compositionally valid ones are kept) and ``--substituted``
structures of the substitution source, both with ``--seed``. Each gets the potential's static
energy as made and is then relaxed as discover relaxes (``DEFAULT_MAX_STEPS`` FIRE steps),
both placed on the same reference hull (not completed, so that the difference is the
relaxation's alone). Printed per source: the energy above the hull before and after and the
lowering (median, 90th percentile, largest); then, per candidate margin above the window, how many
structures the pre-filter would drop and how many of those relaxation brought within the 0.1 eV/atom
stability window (the pre-filter must lose none), and the highest energy above the hull before
relaxation of any structure that ended within the window.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from supercon3d.discovery.settings import DEFAULT_E_HULL
from supercon3d.generation.substitution import substitute_structures
from supercon3d.generation.workflow import GenerationSettings, run_generation
from supercon3d.machine import describe_machine
from supercon3d.stability.assess import assess_stability
from supercon3d.stability.relax import DEFAULT_MAX_STEPS

MARGINS = (0.4, 0.9, 1.4, 1.9, 2.9, 4.9)
"""Candidate pre-filter margins (eV/atom above the stability window before relaxation)."""


def generated(n: int, seed: int, steps: int) -> list:
    """The valid structures among ``n`` generated from noise."""
    with tempfile.TemporaryDirectory() as folder:
        settings = GenerationSettings(n=n, compare_unguided=False, steps=steps, seed=seed)
        run = run_generation(folder, settings)["guided"]
    return [
        structure
        for structure, candidate in zip(run.structures, run.candidates)
        if candidate.valid_structure and candidate.valid_composition
    ]


def measure(structures: list) -> tuple[np.ndarray, np.ndarray, float]:
    """Energy above the hull (eV/atom) before and after relaxation of each structure with
    both (NaN where missing), and the seconds the static energies took."""
    names = [f"{i:05d}" for i in range(len(structures))]
    started = time.perf_counter()
    before = assess_stability(structures, names, max_steps=0, complete_hull=False)
    static_seconds = time.perf_counter() - started
    after = assess_stability(structures, names, max_steps=DEFAULT_MAX_STEPS, complete_hull=False)
    first = np.array([np.nan if p.e_above_hull is None else p.e_above_hull for p in before])
    second = np.array([np.nan if r.e_above_hull is None else r.e_above_hull for r in after])
    return first, second, static_seconds


def report(name: str, before: np.ndarray, after: np.ndarray, static_seconds: float) -> None:
    both = ~np.isnan(before) & ~np.isnan(after)
    before, after = before[both], after[both]
    lowering = before - after
    print(f"\n{name}: {both.sum()} structures with both energies "
          f"(static energies {static_seconds:.0f} s in all)")  # fmt: skip
    for label, values in (("before", before), ("after", after), ("lowering", lowering)):
        if len(values):
            p90 = np.percentile(values, 90)
            print(f"  E_hull {label:8s} median {np.median(values):7.3f}  "
                  f"p90 {p90:7.3f}  max {values.max():7.3f} eV/atom")  # fmt: skip
    window = after <= DEFAULT_E_HULL
    if window.any():
        print(f"  within {DEFAULT_E_HULL} eV/atom after relaxation: {window.sum()}, "
              f"highest before: {before[window].max():.3f} eV/atom")  # fmt: skip
    for margin in MARGINS:
        dropped = before > DEFAULT_E_HULL + margin
        lost = int((dropped & window).sum())
        threshold = DEFAULT_E_HULL + margin
        print(f"  margin {margin:4.1f} (> {threshold:.1f} eV/atom): drops {dropped.sum():3d} "
              f"of {len(before)}, of which {lost} would have been stable")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=20)
    parser.add_argument("--substituted", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=250, help="reverse steps of the generator")
    args = parser.parse_args()
    print(describe_machine())
    sources = {}
    if args.substituted:
        sources["substitution"] = substitute_structures(args.substituted, seed=args.seed)
    if args.generated:
        sources["generator"] = generated(args.generated, args.seed, args.steps)
    pooled_before, pooled_after = [], []
    for name, structures in sources.items():
        before, after, seconds = measure(structures)
        report(name, before, after, seconds)
        pooled_before.append(before)
        pooled_after.append(after)
    if len(sources) > 1:
        report("all", np.concatenate(pooled_before), np.concatenate(pooled_after), 0.0)


if __name__ == "__main__":
    main()

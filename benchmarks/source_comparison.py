"""The generator against the substitution source on one budget, over several seeds.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/source_comparison.py --out runs/sources
        [--quick] [--seeds 0 1 2] [--generate N] [--equal]

One ``discover --source both`` run per seed in ``OUT/seed<k>`` (a run folder with the same
settings is resumed): the structure budget (``--generate``, default the preset's) is split
between the generator and ionic substitution as the default run splits it
(:data:`~supercon3d.discovery.settings.SUBSTITUTION_SHARE`), or in halves with ``--equal``
(the same budget for each, as the share was measured), and both then pass the same stages.
With
``--quick`` the quick preset is used but every gated structure is relaxed (``relax_top`` =
the budget), so that the stable and SUN rates measure the sources, not a shortlist.

Printed per source, the mean over the seeds (and the range) of each entry of ``run.json``'s
``source_comparison`` (:mod:`supercon3d.discovery.comparison`): the rates of valid,
charge-balanced, stable, unique and SUN structures over those made, the shares above P-1 and
with P(SC) ≥ 0.5 among the SUN candidates, and the seconds per SUN candidate; then each
seed's SUN rates. Also the load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from supercon3d.discovery.comparison import COMPARISON_KEY
from supercon3d.discovery.pipeline import run_discovery
from supercon3d.discovery.settings import (
    DEFAULT_GENERATE,
    EQUAL_SHARE,
    QUICK_GENERATE,
    SUBSTITUTION_SHARE,
    resolve_settings,
)
from supercon3d.machine import describe_machine

SHOWN = (
    "made", "valid_rate", "charge_balanced_rate", "stable_rate", "unique_rate",
    "sun", "sun_rate", "above_p1_share", "likely_superconductor_share", "seconds",
    "seconds_per_sun",
)  # fmt: skip
"""The comparison's entries printed, in this order."""


def run_seed(out: Path, seed: int, quick: bool, generate: int, share: float) -> dict:
    """The source comparison of one ``--source both`` run (run or resumed) giving
    substitution ``share`` of the budget, by source."""
    relax_all = {"relax_top": generate} if quick else {}
    settings = resolve_settings(
        quick, generate, source="both", seed=seed, substitution_share=share, **relax_all
    )
    run = run_discovery(out, settings)
    return {row["source"]: row for row in run.record[COMPARISON_KEY]}


def summary(values: list) -> str:
    """Mean and range of the numbers among ``values`` (``-`` without any)."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return "-"
    mean = float(np.mean(numbers))
    if len(numbers) == 1:
        return f"{mean:.3g}"
    return f"{mean:.3g} ({min(numbers):.3g}–{max(numbers):.3g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the run folders")
    parser.add_argument("--quick", action="store_true", help="the quick preset (minutes)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generate", type=int, default=None, help="structures per run")
    parser.add_argument("--equal", action="store_true", help="halves of the budget per source")
    args = parser.parse_args()
    generate = args.generate or (QUICK_GENERATE if args.quick else DEFAULT_GENERATE)
    share = EQUAL_SHARE if args.equal else SUBSTITUTION_SHARE
    print(describe_machine())
    print(f"load average before: {os.getloadavg()}")
    by_seed = {}
    for seed in args.seeds:
        started = time.perf_counter()
        by_seed[seed] = run_seed(args.out / f"seed{seed}", seed, args.quick, generate, share)
        print(f"seed {seed}: {time.perf_counter() - started:.0f} s")
    print(f"load average after: {os.getloadavg()}")
    sources = sorted({source for comparison in by_seed.values() for source in comparison})
    print(f"\n{generate} structures a run, substitution's share {share:g}; seeds {args.seeds}")
    print(f"{'':28s}" + "".join(f"{source:>26s}" for source in sources))
    for key in SHOWN:
        cells = [
            summary([by_seed[seed].get(source, {}).get(key) for seed in args.seeds])
            for source in sources
        ]
        print(f"{key:28s}" + "".join(f"{cell:>26s}" for cell in cells))
    for seed, comparison in by_seed.items():
        rates = ", ".join(f"{s} {comparison[s]['sun_rate']}" for s in sources if s in comparison)
        print(f"seed {seed} SUN rate: {rates}")


if __name__ == "__main__":
    main()

"""How the guidance scale moves the seed optimisation: a small sweep to choose the default.

    python benchmarks/guidance_sweep.py [--checkpoints DIR] [--seeds 20] [--steps 100]
        [--scales 0,1,3,10] [--type-snr 0.16] [--charge-balance 100]
        [--symmetry free,constrained] [--split val]

For each scale: the same ``seeds`` structures of the SuperCon3D ordered training split (or,
with ``--split val``, of the validation split: settings are chosen there, and reported on
the training split's seeds of ``supercon3d generate --from-seeds``), each
noised to t = 0.1T..T and denoised with ``steps`` reverse steps for a full run; every result
is judged by the shipped SODNet ensemble. Prints, per scale, the structural and compositional
validity, the share of valid results that are a single element (guidance drifts toward pure
hydrogen), the median judged Tc of valid results, SR10/SR30/SR50 (best valid result per seed
against the training split's ln Tc percentiles), SR10 counting compounds only and the share
of valid results in a space group above P-1 (spglib, 0.1 Å). ``--symmetry constrained`` keeps
each result in its seed's space group and Wyckoff orbits. Novelty is not checked here (see
``supercon3d generate``).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from supercon3d.generation.candidates import assess, best_per_seed, is_compound
from supercon3d.generation.corpus import primitive_split
from supercon3d.generation.generator import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_TYPE_SNR,
    SEED_LEVELS,
    CrystalGenerator,
)
from supercon3d.generation.metrics import success_rates
from supercon3d.machine import describe_machine
from supercon3d.models.sodnet.ensemble import SODNetEnsemble

P_1 = 2
"""Space-group number of P-1: "above P-1" means a number greater than this."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=Path, default=None)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--scales", default="0,1,3,10")
    parser.add_argument("--type-snr", type=float, default=DEFAULT_TYPE_SNR)
    parser.add_argument("--charge-balance", type=float, default=DEFAULT_CHARGE_BALANCE)
    parser.add_argument("--symmetry", default="free", help="free, constrained or both (comma)")
    parser.add_argument("--split", choices=("train", "val"), default="train", help="seeds from")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    options = {
        "steps": args.steps, "type_snr": args.type_snr, "charge_balance": args.charge_balance
    }  # fmt: skip
    generator = (
        CrystalGenerator.from_dir(args.checkpoints, **options)
        if args.checkpoints
        else CrystalGenerator.shipped(**options)
    )
    ensemble = SODNetEnsemble.shipped()
    training_ln_tc = np.array([ln_tc for _, _, ln_tc in primitive_split("train")])
    split = primitive_split(args.split)
    seeds = [structure for _, structure, _ in random.Random(0).sample(split, args.seeds)]
    print(
        f"{len(seeds)} {args.split} seeds x {len(SEED_LEVELS)} levels, "
        f"{args.steps} steps for t = T, type SNR {args.type_snr:g}, "
        f"charge balance {args.charge_balance:g}\n"
    )
    print(
        "| symmetry | scale | valid structure | valid composition | median Tc of valid (K) "
        "| elemental | SR10 | SR30 | SR50 | SR10 compounds | above P-1 | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    runs = [
        (symmetry, float(scale))
        for symmetry in args.symmetry.split(",")
        for scale in args.scales.split(",")
    ]
    for symmetry, scale in runs:
        started = time.perf_counter()
        made = generator.from_seeds(
            seeds, SEED_LEVELS, scale, generator=torch.Generator().manual_seed(0),
            constrained=symmetry == "constrained",
        )  # fmt: skip
        seconds = time.perf_counter() - started
        structures = [m.structure for m in made]
        names = [str(i) for i in range(len(made))]
        candidates = assess(
            structures, ensemble, [], names, [m.seed for m in made], [m.level for m in made]
        )
        table = pd.DataFrame([vars(c) for c in candidates])
        valid = table["valid_structure"] & table["valid_composition"]
        rates = success_rates(best_per_seed(table), training_ln_tc)
        compounds = success_rates(best_per_seed(table, compounds_only=True), training_ln_tc)
        elemental = ~table.loc[valid, "formula"].map(is_compound)
        above_p1 = (table.loc[valid, "spacegroup"] > P_1).mean()
        print(
            f"| {symmetry} | {scale:g} | {table['valid_structure'].mean():.3f} "
            f"| {table['valid_composition'].mean():.3f} "
            f"| {table.loc[valid, 'tc_kelvin'].median():.1f} | {elemental.mean():.2f} "
            f"| {rates['sr10']:.2f} | {rates['sr30']:.2f} | {rates['sr50']:.2f} "
            f"| {compounds['sr10']:.2f} | {above_p1:.2f} "
            f"| {seconds:.0f} |"
        )


if __name__ == "__main__":
    main()

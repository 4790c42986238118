"""The seed success rates of one generation run, judged by several Tc models.

    python benchmarks/rejudge_seeds.py RUN [--judge MODEL_FOLDER ...]

SR10 / SR30 / SR50 of ``supercon3d generate --from-seeds`` depend on the SODNet ensemble that
judges the generated structures. To tell a change of the judge from a change of the generated
structures, this reads the structures of RUN and of RUN/unguided once and judges them again
with each ``--judge`` (a run or model folder; default: the shipped model): per judge and run,
the success rates over all valid structures, novel ones and novel compounds, as
``supercon3d generate evaluate`` computes them (validity and novelty from RUN's
candidates.csv).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from supercon3d.generation.candidates import (
    best_per_seed,
    judge_tc,
    read_candidates,
    read_valid_structures,
)
from supercon3d.generation.metrics import success_rates
from supercon3d.generation.workflow import training_ln_tc
from supercon3d.machine import describe_machine
from supercon3d.models.shipped import shipped_model_dir
from supercon3d.models.sodnet.ensemble import SODNetEnsemble

VARIANTS = {
    "": {},
    "novel_": {"novel_only": True},
    "compound_": {"novel_only": True, "compounds_only": True},
}
"""Success-rate prefixes and what :func:`best_per_seed` keeps for them."""


def rejudged_rates(folder: Path, ensemble: SODNetEnsemble, thresholds: np.ndarray) -> dict:
    """SR10/30/50 (plain, novel, novel compounds) of ``folder`` with ``ensemble`` as judge."""
    table = read_candidates(folder)
    readable = read_valid_structures(folder, table)
    ln_tc = np.full(len(table), np.nan)
    judged = table.index[table["valid_structure"]]
    ln_tc[judged] = judge_tc([readable[table.at[i, "file"]] for i in judged], ensemble)[0]
    table["ln_tc"] = ln_tc
    rates = {}
    for prefix, keep in VARIANTS.items():
        for name, rate in success_rates(best_per_seed(table, **keep), thresholds).items():
            rates[prefix + name] = rate
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="output folder of generate --from-seeds")
    parser.add_argument("--judge", type=Path, action="append", help="model folder (repeatable)")
    args = parser.parse_args()
    started = time.perf_counter()
    judges = args.judge or [shipped_model_dir()]
    thresholds = training_ln_tc()
    runs = {"guided": args.run, "unguided": args.run / "unguided"}
    print(f"# {describe_machine()}")
    print("| judge | run | " + " | ".join(f"{p}sr10 / 30 / 50" for p in VARIANTS) + " |")
    print("|---" * (2 + len(VARIANTS)) + "|")
    for judge in judges:
        ensemble = SODNetEnsemble.from_dir(judge)
        for name, folder in runs.items():
            rates = rejudged_rates(folder, ensemble, thresholds)
            cells = [
                " / ".join(f"{rates[f'{p}sr{q}']:.2f}" for q in (10, 30, 50)) for p in VARIANTS
            ]
            print(f"| {judge} | {name} | " + " | ".join(cells) + " |")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Time ``supercon3d discover`` (``--quick`` and the defaults) and read its outcome.

    python benchmarks/discover_run.py --out runs/discover [--skip-default] [--skip-quick] [--seed N]

For each run (``OUT/quick``, ``OUT/default``; an existing run folder with the same settings
is resumed, so delete it to time it again): the command's wall time (s), the wall time of
each stage from ``run.json``, the load average before and after (the machine is shared), and
for the generated structures:

- the generator's SUN rate: generated structures that are stable (within 0.1 eV/atom of
  the hull, complete hull), unique and novel, i.e. that reach the ``unique`` stage, over
  all generated;
- share of hydrogen-rich cells (more than half of the atoms H) among the valid generated
  structures (``sources``) and among those the stability filter kept (``stable``);
- per source (``run.json``'s comparison): made, valid, charge-balanced, stable, SUN, the
  share above P-1 and with P(SC) ≥ 0.5 among SUN, and seconds per SUN candidate;
- stable, novel candidates with P(SC) ≥ 0.5 in ``candidates_ordered.csv``;
- a chemist's look at the candidate tables (ordered and disordered): the share charge-balanced
  or intermetallic, the largest number of elements, molecular rows, rows without a space
  group, and the space groups above P-1 (number ≥ 3).

``--seed`` passes the generator's random seed to both runs (default: the command's, 0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from pymatgen.core import Composition

from supercon3d.discovery.comparison import COMPARISON_KEY
from supercon3d.discovery.pipeline import DISORDERED_FILE, ORDERED_FILE
from supercon3d.discovery.run_record import RUN_FILE
from supercon3d.discovery.settings import LIKELY_SUPERCONDUCTOR
from supercon3d.discovery.sources import GENERATION_FOLDER
from supercon3d.discovery.stages import TABLE_FILE
from supercon3d.machine import describe_machine

GENERATED_SOURCES = ("noise", "seeds")
HYDROGEN_RICH = 0.5
"""A cell is hydrogen-rich above this atomic fraction of H."""
ABOVE_TRICLINIC = 3
"""Space-group numbers from this one up are above P-1 (1: P1, 2: P-1)."""


def candidate_checks(out: Path) -> None:
    """Print what a chemist checks first over both candidate tables."""
    tables = [
        pd.read_csv(out / name, dtype={"id": str}) for name in (ORDERED_FILE, DISORDERED_FILE)
    ]
    rows = pd.concat(tables, ignore_index=True)
    if rows.empty:
        print("candidates: none")
        return
    balanced = rows["charge_balanced"].astype(str).str.lower().eq("true")
    molecular = rows["molecular"].astype(str).str.lower().eq("true")
    numbers = pd.to_numeric(rows["space_group_number"], errors="coerce")
    print(f"candidates: {len(rows)} (ordered {len(tables[0])}, disordered {len(tables[1])}); "
          f"charge-balanced or intermetallic {balanced.mean():.1%}; "
          f"largest number of elements {int(rows['n_elements'].max())}; "
          f"molecular {int(molecular.sum())}; "
          f"without a space group {int(numbers.isna().sum())}; above P-1 "
          f"{int((numbers >= ABOVE_TRICLINIC).sum())} of {len(rows)}")  # fmt: skip
    print("charge kinds: " + ", ".join(
        f"{kind}: {n}" for kind, n in rows["charge_kind"].fillna("?").value_counts().items()
    ))  # fmt: skip


def hydrogen_rich_share(formulas: pd.Series) -> float:
    """Share of formulas with more than :data:`HYDROGEN_RICH` of their atoms H."""
    if formulas.empty:
        return float("nan")
    rich = [Composition(f).get_atomic_fraction("H") > HYDROGEN_RICH for f in formulas]
    return sum(rich) / len(rich)


def generated_count(out: Path) -> int:
    """Structures the generator made in this run (valid or not)."""
    tables = (out / GENERATION_FOLDER).glob("*/candidates.csv")
    return sum(len(pd.read_csv(table)) for table in tables)


def summarize(out: Path, wall: float) -> None:
    record = json.loads((out / RUN_FILE).read_text())
    print(f"\n## {out}: {wall:.0f} s wall for the command")
    print("| stage | in | kept | seconds | dropped |")
    print("|---|---|---|---|---|")
    for stage in record["stages"]:
        dropped = ", ".join(f"{reason}: {n}" for reason, n in stage["dropped"].items())
        print(f"| {stage['name']} | {stage['n_in']} | {stage['n_out']} | {stage['seconds']} "
              f"| {dropped} |")  # fmt: skip
    made = generated_count(out)
    stage_table = {name: pd.read_csv(out / name / TABLE_FILE, dtype={"id": str})
                   for name in ("sources", "stable", "unique")}  # fmt: skip
    generated = {name: t[t["source"].isin(GENERATED_SOURCES)] for name, t in stage_table.items()}
    sun = len(generated["unique"])
    e_hull = record["settings"]["e_hull"]
    print(f"generator: made {made}; valid compounds: {len(generated['sources'])}; "
          f"stable (≤ {e_hull} eV/atom, complete hull): {len(generated['stable'])}; "
          f"stable, unique and novel: {sun}")  # fmt: skip
    if made:
        print(f"generator SUN rate: {sun / made:.3f} ({sun} of {made})")
    print(f"hydrogen-rich (> {HYDROGEN_RICH:.0%} H) share: before the filter "
          f"{hydrogen_rich_share(generated['sources']['formula']):.3f} "
          f"({len(generated['sources'])} valid), after "
          f"{hydrogen_rich_share(generated['stable']['formula']):.3f} "
          f"({len(generated['stable'])} stable)")  # fmt: skip
    ordered = pd.read_csv(out / ORDERED_FILE)
    likely = ordered[(ordered["p_superconductor"] >= LIKELY_SUPERCONDUCTOR) & ordered["novel"]]
    print(f"stable, novel, P(SC) ≥ {LIKELY_SUPERCONDUCTOR} in {ORDERED_FILE}: {len(likely)} "
          f"of {len(ordered)} rows")  # fmt: skip
    source_table(record.get(COMPARISON_KEY, []))
    candidate_checks(out)


def source_table(comparison: list[dict]) -> None:
    """Print run.json's comparison of the sources (one row per source)."""
    if not comparison:
        return
    print("| source | made | valid | charge-balanced | stable | SUN | SUN rate | above P-1 "
          "(SUN) | P(SC) ≥ 0.5 (SUN) | s per SUN |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in comparison:
        print(f"| {row['source']} | {row['made']} | {row['valid']} | {row['charge_balanced']} "
              f"| {row['stable']} | {row['sun']} | {row['sun_rate']:.2f} "
              f"| {row['above_p1_share']:.2f} | {row['likely_superconductor_share']:.2f} "
              f"| {row['seconds_per_sun']} |")  # fmt: skip


def run(out: Path, extra: list[str]) -> None:
    command = [sys.executable, "-m", "supercon3d", "discover", "--out", str(out), *extra]
    print(f"$ {' '.join(command[2:])}   (load average before: {os.getloadavg()[0]:.1f})")
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    summarize(out, wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/discover"))
    parser.add_argument("--skip-quick", action="store_true")
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--seed", type=int, default=None, help="the generator's random seed")
    args = parser.parse_args()
    seed = [] if args.seed is None else ["--seed", str(args.seed)]
    print(describe_machine())
    if not args.skip_quick:
        run(args.out / "quick", ["--quick", *seed])
    if not args.skip_default:
        run(args.out / "default", seed)


if __name__ == "__main__":
    main()

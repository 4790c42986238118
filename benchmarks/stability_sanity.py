"""Sanity of the stability filter: real, synthesized compounds should lie on or near the hull.

    nice -n 10 python benchmarks/stability_sanity.py [--n 120] [--potential chgnet]
    nice -n 10 python benchmarks/stability_sanity.py --hydrides [--out hydrides.json]

A seeded draw of ``--n`` ordered SuperCon3D entries (ICSD structures, at most ``MAX_SITES``
sites to fit the 2-core budget; high-pressure hydrides left out, they are not stable at
ambient pressure) goes through ``api.stability`` with the defaults. Printed: how many have a
complete hull, the share of those within ``WINDOW`` eV/atom of the hull (target ≥ 85 %), the
distribution of e_above_hull (quantiles and bins), the same share against a hull without
the entry's own formula (as a novel compound is judged; then with the element pairs that
lose their last compound completed by prototype binaries, as ``discover`` completes a novel
compound's hull), the share converged, the median
time per structure and the entries furthest above the hull; a running count after every ``CHUNK``
(the records so far are in ``--out``; ``--summarize OUT`` prints the figures of a run that
was stopped).

``--hydrides`` takes instead every SuperCon3D high-pressure hydride (measured at 100–250 GPa,
all ordered; smallest cells first, no size cap), relaxed the same way at zero pressure: they
should lie above the ambient hull. Printed: the distribution of their e_above_hull
(quantiles and bins, all placed entries and those with a complete hull), the share on or
below the hull and the lowest entries.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

from supercon3d import api
from supercon3d.data.cif import read_cif
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.executor import make_executor
from supercon3d.machine import describe_machine
from supercon3d.settings import dataset_path
from supercon3d.stability import DEFAULT_POTENTIAL
from supercon3d.stability.completion import complete_hull, missing_pairs
from supercon3d.stability.hull import (
    HullUnavailableError,
    ReferenceHull,
    chemical_system,
    lowest_entries,
    prototype_binaries,
    reference_hull,
    shipped_entries,
)

MAX_SITES = 40
WINDOW = 0.1
BINS = (-np.inf, 0.0, 0.025, 0.05, 0.1, 0.2, 0.5, np.inf)
HYDRIDE_BINS = (-np.inf, 0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, np.inf)
SEED = 0
WORST = 8
CHUNK = 10
"""Structures per call, with a running count printed after each."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    parser.add_argument("--out", type=Path, default=None, help="Write the records as JSON.")
    parser.add_argument(
        "--summarize", type=Path, default=None, help="Only summarize the records of an --out."
    )
    parser.add_argument(
        "--hydrides", action="store_true", help="The high-pressure hydrides, at zero pressure."
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    args = parser.parse_args()
    print(describe_machine())
    summary = summarize_hydrides if args.hydrides else summarize
    if args.summarize is not None:
        summary(json.loads(args.summarize.read_text()), args.potential)
        return
    chosen = high_pressure_hydrides() if args.hydrides else ambient_sample(args.n)
    started = time.perf_counter()
    records: list[dict] = []
    for first in range(0, len(chosen), CHUNK):
        batch = api.stability(
            chosen[first : first + CHUNK], potential=args.potential, workers=args.workers
        )
        records += [r.to_json() for r in batch]
        if args.out is not None:
            args.out.write_text(json.dumps(records, indent=1))
        done = [r for r in records if r["error"] is None and r["e_above_hull"] is not None]
        complete = [r["e_above_hull"] for r in done if not r["hull_incomplete"]]
        print(f"  {len(records)} done: {sum(v <= WINDOW for v in complete)}/{len(complete)} "
              f"complete-hull entries within {WINDOW} eV/atom", flush=True)  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"{seconds / max(1, len(records)):.1f} s per structure (wall, shared machine)")
    summary(records, args.potential)


def ambient_sample(n: int) -> list[Path]:
    """A seeded draw of ``n`` ordered SuperCon3D CIFs of at most ``MAX_SITES`` sites, the
    high-pressure hydrides left out."""
    table = read_tc_table()
    folder = dataset_path("supercon3d/cif")
    names = sorted(name for name, order in zip(table.index, table["order"]) if order == "order")
    random.Random(SEED).shuffle(names)
    chosen = []
    for name in names:
        structure = read_cif(folder / name).structure
        if len(structure) <= MAX_SITES and not is_high_pressure_hydride(structure.composition):
            chosen.append(folder / name)
        if len(chosen) == n:
            break
    return chosen


def high_pressure_hydrides() -> list[Path]:
    """Every ordered SuperCon3D CIF of a high-pressure hydride, fewest sites first."""
    table = read_tc_table()
    folder = dataset_path("supercon3d/cif")
    sized = []
    for name, order in zip(table.index, table["order"]):
        structure = read_cif(folder / name).structure
        if order == "order" and is_high_pressure_hydride(structure.composition):
            sized.append((len(structure), name))
    return [folder / name for _, name in sorted(sized)]


def summarize_hydrides(records: list[dict], potential: str) -> None:
    """Print the ``--hydrides`` figures of the module docstring (records in JSON form)."""
    records = placed_again(records, potential)
    failed = [r for r in records if r["error"] is not None]
    placed = [r for r in records if r["error"] is None and r["e_above_hull"] is not None]
    converged = np.mean([r["converged"] for r in placed]) if placed else float("nan")
    print(f"{len(records)} high-pressure hydrides at zero pressure, {potential}: {len(failed)} "
          f"failed, {len(placed)} placed on the hull; converged {converged:.0%}")  # fmt: skip
    for r in failed:
        print(f"  failed: {Path(r['file']).name}: {r['error']}")
    for r in records:
        if r["error"] is None and r["e_above_hull"] is None:
            print(f"  not placed: {Path(r['file']).name}: {'; '.join(r['warnings'])}")
    complete = [r for r in placed if not r["hull_incomplete"]]
    for label, chosen in (("all placed", placed), ("complete hull", complete)):
        values = np.array([r["e_above_hull"] for r in chosen])
        if not len(values):
            continue
        quantiles = np.percentile(values, [0, 10, 25, 50, 75, 90, 100])
        counts, _ = np.histogram(values, bins=HYDRIDE_BINS)
        labels = [f"{lo:g}..{hi:g}" for lo, hi in zip(HYDRIDE_BINS[:-1], HYDRIDE_BINS[1:])]
        print(f"{label} ({len(values)}): on or below the hull (<= 0) {np.mean(values <= 0):.1%}, "
              f"within {WINDOW} eV/atom {np.mean(values <= WINDOW):.1%}; quantiles "
              f"0/10/25/50/75/90/100 %: " + " / ".join(f"{q:.3f}" for q in quantiles)
              + " eV/atom")  # fmt: skip
        print("  bins (eV/atom): " + ", ".join(f"{b}: {c}" for b, c in zip(labels, counts)))
    for r in sorted(placed, key=lambda r: r["e_above_hull"])[:WORST]:
        state = "converged" if r["converged"] else "not converged"
        print(f"  lowest: {Path(r['file']).name} {r['formula']}: {r['e_above_hull']:.3f} "
              f"eV/atom ({state}, {r['steps']} steps"
              f"{', hull incomplete' if r['hull_incomplete'] else ''})")  # fmt: skip


def placed_again(records: list[dict], potential: str) -> list[dict]:
    """The records with ``e_above_hull`` and ``hull_incomplete`` recomputed from their
    formula and energy by this version's hull rules (records of an older run included)."""
    hull = reference_hull(potential)
    for r in records:
        if r["error"] is None and r["energy_per_atom"] is not None:
            try:
                position = hull.position(Composition(r["formula"]), r["energy_per_atom"])
            except HullUnavailableError:
                continue
            r["e_above_hull"], r["hull_incomplete"] = (
                position.e_above_hull,
                position.hull_incomplete,
            )
    return records


def summarize(records: list[dict], potential: str, workers: int | None = None) -> None:
    """Print the figures of the module docstring for stability records (JSON form)."""
    records = placed_again(records, potential)
    failed = [r for r in records if r["error"] is not None]
    placed = [r for r in records if r["error"] is None and r["e_above_hull"] is not None]
    complete = [r for r in placed if not r["hull_incomplete"]]
    values = np.array([r["e_above_hull"] for r in complete])
    converged = np.mean([r["converged"] for r in placed]) if placed else float("nan")
    print(f"{len(records)} ordered entries (<= {MAX_SITES} sites, no high-pressure hydrides), "
          f"{potential}: {len(failed)} failed, {len(placed)} placed on the hull, "
          f"{len(complete)} with a complete hull; converged {converged:.0%}")  # fmt: skip
    for r in failed:
        print(f"  failed: {r['error']}")
    if len(values):
        incomplete = [r["e_above_hull"] <= WINDOW for r in placed if r["hull_incomplete"]]
        print(f"within {WINDOW} eV/atom of the hull: {np.mean(values <= WINDOW):.1%} "
              f"({int(np.sum(values <= WINDOW))}/{len(values)}); incomplete-hull entries "
              f"within: {sum(incomplete)}/{len(incomplete)}")  # fmt: skip
        quantiles = np.percentile(values, [10, 25, 50, 75, 90])
        print("e_above_hull quantiles 10/25/50/75/90 %: "
              + " / ".join(f"{q:.3f}" for q in quantiles) + " eV/atom")  # fmt: skip
        counts, _ = np.histogram(values, bins=BINS)
        labels = [f"{lo:g}..{hi:g}" for lo, hi in zip(BINS[:-1], BINS[1:])]
        print("bins (eV/atom): " + ", ".join(f"{b}: {c}" for b, c in zip(labels, counts)))
        for r in sorted(complete, key=lambda r: -r["e_above_hull"])[:WORST]:
            state = "converged" if r["converged"] else "not converged"
            print(f"  {Path(r['file']).name} {r['formula']}: {r['e_above_hull']:.3f} eV/atom "
                  f"({state}, {r['steps']} steps)")  # fmt: skip
    if placed:
        print(f"median steps {statistics.median(r['steps'] for r in placed):.0f}")
    leave_own_formula_out(complete, potential, workers)


def _without_own(records: list[dict], potential: str) -> list[ReferenceHull]:
    """For each record, the shipped table without its formula, with the prototype
    binaries (those of its own formula included: a novel compound faces them too)."""
    shipped, binaries = shipped_entries(potential), prototype_binaries(potential)
    return [
        ReferenceHull(lowest_entries({f: e for f, e in shipped.items() if f != r["formula"]},
                                     binaries))
        for r in records
    ]  # fmt: skip


def leave_own_formula_out(records: list[dict], potential: str, workers: int | None) -> None:
    """The same entries against a hull without their own formula (most SuperCon3D formulas
    are in the MP-derived table, so the plain figure mostly compares a relaxed ICSD structure
    with its own static MP twin): the share still within WINDOW, as a novel compound would
    be judged; then again with the pairs that lose their last compound completed by
    prototype binaries, as ``discover`` completes a novel compound's hull."""
    for completed in (False, True):
        hulls = _without_own(records, potential)
        if completed:
            pairs = sorted({
                pair for r, hull in zip(records, hulls)
                for pair in missing_pairs(hull, [chemical_system(Composition(r["formula"]))])
            })  # fmt: skip
            started = time.perf_counter()
            with make_executor(workers, len(pairs), 1) as executor:
                complete_hull(pairs, potential, executor)
            print(f"completed {len(pairs)} element pairs with prototype binaries "
                  f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
            hulls = _without_own(records, potential)
        values = []
        for r, hull in zip(records, hulls):
            try:
                position = hull.position(Composition(r["formula"]), r["energy_per_atom"])
            except HullUnavailableError:
                continue
            if not position.hull_incomplete:
                values.append(position.e_above_hull)
        values = np.array(values)
        if len(values):
            quantiles = np.percentile(values, [10, 50, 90])
            label = "own formula left out, pairs completed" if completed else (
                "own formula left out of the hull")  # fmt: skip
            print(f"{label}: {np.mean(values <= WINDOW):.1%} "
                  f"({int(np.sum(values <= WINDOW))}/{len(values)}) within {WINDOW} eV/atom; "
                  f"quantiles 10/50/90 %: " + " / ".join(f"{q:.3f}" for q in quantiles)
                  + " eV/atom")  # fmt: skip


if __name__ == "__main__":
    main()

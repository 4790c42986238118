"""How many real superconductors the chemist's gates of ``discover`` would throw away.

    python benchmarks/chemistry_gates.py [--data DIR] [--show 15]

Every SuperCon3D CIF (ordered and disordered, read under the input contract) goes through
:func:`supercon3d.chemistry.chemistry_profile`; a gate drops it as ``discover`` would with
its defaults (not charge-balanced under common oxidation states, more than
:data:`~supercon3d.discovery.settings.DEFAULT_MAX_ELEMENTS` elements, a radioactive element,
molecular). Each is a synthesised superconductor, so every drop is a false rejection; the
figures say how strict the gates are, per gate and per family, with the high-pressure
hydrides apart (their ambient-pressure chemistry is not the one they are made in). Also the
time per structure (ms) of the checks alone.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import pandas as pd

from supercon3d.chemistry import chemistry_profile
from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.discovery.settings import DEFAULT_MAX_ELEMENTS
from supercon3d.machine import describe_machine
from supercon3d.settings import data_dir

GATES = ("charge", "elements", "radioactive", "molecular")


def failed_gates(profile, max_elements: int) -> list[str]:
    """The gates a structure's chemistry profile fails, in the order discover tests them."""
    failed = []
    if not profile.charge_balanced:
        failed.append("charge")
    if profile.n_elements > max_elements:
        failed.append("elements")
    if profile.radioactive:
        failed.append("radioactive")
    if profile.molecular:
        failed.append("molecular")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--show", type=int, default=15, help="failures listed per gate")
    args = parser.parse_args()
    print(describe_machine())
    folder = data_dir(args.data) / "supercon3d"
    table = pd.read_csv(folder / "tc.csv", index_col=0)
    rows, unreadable, seconds = [], 0, 0.0
    for name, entry in table.iterrows():
        try:
            structure = read_cif(folder / "cif" / name).structure
        except CifReadError:
            unreadable += 1
            continue
        started = time.perf_counter()
        profile = chemistry_profile(structure)
        seconds += time.perf_counter() - started
        rows.append({
            "file": name, "formula": structure.composition.reduced_formula,
            "family": entry["family"], "order": entry["order"],
            "hydride_hp": is_high_pressure_hydride(structure.composition),
            "kind": profile.charge_kind,
            "failed": failed_gates(profile, DEFAULT_MAX_ELEMENTS),
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    print(f"{len(frame)} SuperCon3D structures read ({unreadable} refused by the contract); "
          f"checks {1000 * seconds / len(frame):.2f} ms per structure")  # fmt: skip
    for label, part in (
        ("ambient (no high-pressure hydrides)", frame[~frame["hydride_hp"]]),
        ("high-pressure hydrides", frame[frame["hydride_hp"]]),
    ):
        passed = part["failed"].map(len).eq(0)
        print(f"\n{label}: {passed.sum()} of {len(part)} pass every gate ({passed.mean():.1%})")
        counts = Counter(gate for failed in part["failed"] for gate in failed)
        print("  failing each gate: " + ", ".join(f"{g} {counts.get(g, 0)}" for g in GATES))
        print("  charge kinds: " + ", ".join(
            f"{kind} {n}" for kind, n in part["kind"].value_counts().items()
        ))  # fmt: skip
        for family, members in part.groupby("family"):
            ok = members["failed"].map(len).eq(0)
            print(f"  {family}: {ok.sum()} of {len(members)} pass ({ok.mean():.1%})")
        for gate in GATES:
            names = part[part["failed"].map(lambda failed, g=gate: g in failed)]
            if len(names):
                shown = ", ".join(names["formula"].head(args.show))
                print(f"  {gate}: {shown}{' ...' if len(names) > args.show else ''}")


if __name__ == "__main__":
    main()

"""Prototype binaries for the element pairs that meet in no binary compound of the shipped
reference table, computed once per potential and shipped as
``src/supercon3d/resources/stability/<potential>_binaries.csv.gz``, with its record
``<potential>_binaries.json`` (potential, package version, model, date, command).

    nice -n 10 python scripts/stability_binaries.py [--pairs corpus|all] [--potential chgnet]

A candidate's hull is complete when each pair of its elements meets in a compound inside its
system, so a pair is only covered for every system by a binary compound. ``--pairs all``
takes every pair among the table's elements that lacks one (2,503 of 3,486 for chgnet: about
three hours on two cores); ``--pairs corpus`` (default) only those that occur together in a
structure of the generator's training corpus, most frequent first: the combinations the
generator learned to produce. Each pair gets the ten binary prototypes of
``supercon3d.stability.prototypes`` relaxed as ``supercon3d.stability.completion`` does at
run time (same function, same steps), the lowest energy per formula kept. The table is
rewritten as each pair finishes and a rerun starts from what it holds, so a stopped run
loses at most the pairs in flight. Prints the pairs done, the wall time and the pairs whose
every prototype failed (those stay ``hull_incomplete`` until a run completes them).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter

from pymatgen.core import Composition

from supercon3d.executor import make_executor
from supercon3d.generation.workflow import load_corpus
from supercon3d.machine import describe_machine
from supercon3d.stability.completion import complete_hull, missing_pairs
from supercon3d.stability.hull import (
    ReferenceHull,
    chemical_system,
    lowest_entries,
    read_reference_table,
    readable_table,
    reference_path,
    shipped_binaries_path,
    write_table_metadata,
)
from supercon3d.stability.potentials import DEFAULT_POTENTIAL


def corpus_pairs() -> Counter[frozenset[str]]:
    """How many structures of the generator's training corpus hold each pair of elements."""
    counts: Counter[frozenset[str]] = Counter()
    for structure in load_corpus().train():
        system = sorted(chemical_system(structure.composition))
        counts.update(frozenset(pair) for pair in itertools.combinations(system, 2))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", choices=("corpus", "all"), default="corpus")
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    args = parser.parse_args()
    print(describe_machine())
    reference = read_reference_table(reference_path(args.potential))
    output = shipped_binaries_path(args.potential)
    hull = ReferenceHull(reference)
    elements = sorted({str(e) for f in reference for e in Composition(f)})
    elements = [e for e in elements if hull.has_element(e)]
    every = [frozenset(pair) for pair in itertools.combinations(elements, 2)]
    without_binary = missing_pairs(hull, every)
    counts = corpus_pairs() if args.pairs == "corpus" else Counter(every)
    wanted = [pair for pair in without_binary if counts[frozenset(pair)]]
    done = ReferenceHull(lowest_entries(reference, readable_table(output)))
    pairs = sorted(missing_pairs(done, [frozenset(p) for p in wanted]),
                   key=lambda pair: (-counts[frozenset(pair)], pair))  # fmt: skip
    print(f"{len(elements)} elements, {len(every):,} pairs; {len(without_binary):,} meet in no "
          f"binary compound of the reference table; {len(wanted):,} of those chosen "
          f"(--pairs {args.pairs}), {len(wanted) - len(pairs):,} already in "
          f"{output.name}")  # fmt: skip
    started = time.perf_counter()
    with make_executor(args.workers, len(pairs), 1) as executor:
        complete_hull(pairs, args.potential, executor, table_path=output)
    write_table_metadata(output, args.potential, " ".join(["python", *sys.argv]))
    print(f"{len(pairs):,} pairs relaxed in {time.perf_counter() - started:.0f} s")
    finished = ReferenceHull(lowest_entries(reference, readable_table(output)))
    failed = missing_pairs(finished, [frozenset(p) for p in wanted])
    print(f"{len(readable_table(output)):,} formulas in {output.name}; pairs with every "
          f"prototype failed: {', '.join('-'.join(p) for p in failed) or 'none'}")  # fmt: skip


if __name__ == "__main__":
    main()

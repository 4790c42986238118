"""Validity of the data the generator learns from and starts from: the ceiling for its scores.

    python benchmarks/corpus_validity.py [--seeds 100]

Prints the structural and compositional (SMACT, as CDVAE) validity and the share of structures
holding hydrogen of the pre-training corpus (training part and held-out part, and by source),
of the SuperCon3D ordered training split as primitive cells (the pool that seed optimisation
draws from), of its entries at or above the SR10 threshold (the 90th percentile of the split's
ln Tc: what Tc guidance steers toward), and of the ``seeds`` seeds that
``supercon3d generate --from-seeds --n SEEDS`` draws with its default random seed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
from pymatgen.core import Structure

from supercon3d.generation.corpus import (
    CorpusSettings,
    draw_seeds,
    load_or_build_corpus,
    ordered_split,
    primitive_split,
)
from supercon3d.generation.metrics import composition_is_valid, structure_is_valid
from supercon3d.machine import describe_machine


def row(name: str, structures: Sequence[Structure]) -> str:
    structural = np.mean([structure_is_valid(s) for s in structures])
    compositional = np.mean([composition_is_valid(s.composition) for s in structures])
    hydrogen = np.mean(["H" in s.composition for s in structures])
    return (
        f"| {name} | {len(structures):,} | {structural:.3f} | {compositional:.3f} "
        f"| {hydrogen:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {describe_machine()}\n")
    corpus = load_or_build_corpus(CorpusSettings())
    split = primitive_split("train")
    print("| structures | n | valid structure | valid composition (SMACT) | holding H |")
    print("|---|---|---|---|---|")
    print(row("corpus, training part", corpus.train()))
    print(row("corpus, held-out part", corpus.held_out_structures()))
    for source in sorted(set(corpus.sources)):
        chosen = [s for s, origin in zip(corpus.structures, corpus.sources) if origin == source]
        print(row(f"corpus from {source}", chosen))
    print(row("SuperCon3D ordered training split (seed pool)", [s for _, s, _ in split]))
    threshold = np.percentile([ln_tc for _, _, ln_tc in ordered_split("train")], 90)
    top = [structure for _, structure, ln_tc in split if ln_tc >= threshold]
    print(row("seed pool at or above the SR10 threshold", top))
    seeds = [structure for _, structure, _ in draw_seeds(split, args.seeds, seed=0)]
    print(row(f"the {args.seeds} seeds of `generate --from-seeds`", seeds))


if __name__ == "__main__":
    main()

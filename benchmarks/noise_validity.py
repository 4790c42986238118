"""Validity of structures generated from noise, on samples large enough to read the 80 % target:
guidance scales x type-corrector SNRs x charge-balance scales, generated on any device.

    python benchmarks/noise_validity.py --n 2000 --configs 3:0,0:0,3:0.16,0:0.16 \
        --device cuda --no-score --out runs/noise-validity
    python benchmarks/noise_validity.py --score-only --out runs/noise-validity
    python benchmarks/noise_validity.py --n 1000 --configs 3:0:300 --symmetry constrained \
        --tag constrained- --out runs/noise-validity-constrained

A configuration is ``scale:snr`` or ``scale:snr:charge`` (guidance scale, type-corrector
SNR, charge-balance scale). Generation writes ``<out>/<tag>scale<S>-snr<R>[-charge<C>].npz``
per configuration (the structures as arrays; random seed 0, all 1,000 reverse steps or
``--steps``, the shipped generator or ``--checkpoints``)
and ``<out>/<name>.json`` with its seconds and machine, so a GPU machine without the data
folder or SMACT can generate and this one score. Scoring prints per configuration:
structural and compositional validity (with the standard error of a share), the share of
compositionally invalid structures that hold hydrogen, the share of single-element
structures, the mean number of elements, the median Tc of valid structures judged by the
shipped SODNet ensemble and the share of structurally valid structures in a space group above
P-1 (spglib, 0.1 Å). ``--symmetry constrained`` generates each structure inside a space-group
template drawn from the corpus (seed 0); the generation JSON then counts the structurally
valid structures whose space group at 1e-3 Å is exactly the template's, a larger one, or
lower.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from supercon3d.generation.corpus import (
    load_or_build_corpus,
    structure_arrays,
    structures_from_arrays,
)
from supercon3d.generation.generator import CrystalGenerator
from supercon3d.generation.metrics import structure_is_valid
from supercon3d.generation.symmetry_template import TemplateLibrary, symmetry_outcome
from supercon3d.machine import describe_machine

P_1 = 2
"""Space-group number of P-1: "above P-1" means a number greater than this."""


def parse_configs(text: str) -> list[tuple[float, float, float]]:
    """'3:0,0:0.16:300' -> [(3.0, 0.0, 0.0), (0.0, 0.16, 300.0)]: (guidance scale, type SNR,
    charge-balance scale) triples."""
    configs = [[float(x) for x in item.split(":")] for item in text.split(",")]
    return [tuple(values + [0.0] * (3 - len(values))) for values in configs]


def config_name(tag: str, scale: float, snr: float, charge: float) -> str:
    name = f"{tag}scale{scale:g}-snr{snr:g}"
    return f"{name}-charge{charge:g}" if charge else name


def generate(args: argparse.Namespace) -> None:
    templates = None
    if args.symmetry == "constrained":
        library = TemplateLibrary.from_structures(load_or_build_corpus().train())
        templates = library.draw(args.n, torch.Generator().manual_seed(0))
    for scale, snr, charge in parse_configs(args.configs):
        options = {"type_snr": snr, "charge_balance": charge, "batch_size": args.batch_size,
                   "device": args.device, "steps": args.steps}  # fmt: skip
        generator = (
            CrystalGenerator.from_dir(args.checkpoints, **options)
            if args.checkpoints
            else CrystalGenerator.shipped(**options)
        )
        started = time.perf_counter()
        structures = generator.from_noise(
            args.n, scale, torch.Generator().manual_seed(0), templates=templates
        )
        seconds = time.perf_counter() - started
        name = config_name(args.tag, scale, snr, charge)
        np.savez_compressed(args.out / f"{name}.npz", **structure_arrays(structures))
        info = {"n": args.n, "scale": scale, "steps": args.steps or "all", "type_snr": snr,
                "charge_balance": charge,
                "seconds": round(seconds, 1),
                "checkpoints": str(args.checkpoints or "shipped"),
                "batch_size": args.batch_size, "machine": describe_machine(),
                "symmetry": args.symmetry}  # fmt: skip
        if templates is not None:
            outcomes = [symmetry_outcome(s, t) for s, t in zip(structures, templates)
                        if structure_is_valid(s)]  # fmt: skip
            info["symmetry_check"] = {
                k: outcomes.count(k) for k in ("exact", "supergroup", "lower")
            }
        (args.out / f"{name}.json").write_text(json.dumps(info, indent=1))
        print(f"{name}: {args.n} structures in {seconds:.0f} s", flush=True)


def share(mask: np.ndarray) -> str:
    p = mask.mean()
    return f"{p:.3f} ± {np.sqrt(p * (1 - p) / len(mask)):.3f}"


def score(out: Path) -> None:
    from supercon3d.generation.candidates import assess
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble

    ensemble = SODNetEnsemble.shipped()
    print(f"scored on: {describe_machine()}\n")
    print(
        "| run | guidance scale | type SNR | charge balance | n | valid structure "
        "| valid composition | invalid compositions with H | single element "
        "| elements per cell | median Tc of valid (K) | above P-1 | generation (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sorted(out.glob("*scale*-snr*.npz")):
        info = json.loads(path.with_suffix(".json").read_text())
        with np.load(path) as arrays:
            structures = structures_from_arrays(**arrays)
        names = [str(i) for i in range(len(structures))]
        candidates = assess(structures, ensemble, [], names)
        structural = np.array([c.valid_structure for c in candidates])
        compositional = np.array([c.valid_composition for c in candidates])
        hydrogen = np.array(["H" in s.composition for s in structures])[~compositional]
        element_counts = np.array([len(s.composition) for s in structures])
        valid_tc = [c.tc_kelvin for c in candidates if c.valid]
        above_p1 = np.array([c.spacegroup > P_1 for c in candidates])[structural]
        print(
            f"| {path.stem} | {info['scale']:g} | {info['type_snr']:g} "
            f"| {info.get('charge_balance', 0):g} | {len(structures)} "
            f"| {share(structural)} | {share(compositional)} "
            f"| {hydrogen.mean() if hydrogen.size else 0:.2f} | {np.mean(element_counts == 1):.2f} "
            f"| {element_counts.mean():.2f} "
            f"| {np.nanmedian(valid_tc):.2f} | {above_p1.mean():.2f} | {info['seconds']:.0f} |"
        )
        if "symmetry_check" in info:
            print(f"  {path.stem}: symmetry at 1e-3 Å {info['symmetry_check']}")
    machines = {json.loads(p.read_text())["machine"] for p in out.glob("*scale*-snr*.json")}
    print("\ngenerated on: " + "; ".join(sorted(machines)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--configs", default="3:0,0:0,3:0.16,0:0.16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--checkpoints", type=Path, help="generator folder (default: shipped)")
    parser.add_argument("--tag", default="", help="prefix of the file names")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--symmetry", choices=("free", "constrained"), default="free")
    parser.add_argument("--steps", type=int, default=None, help="reverse steps (default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs/noise-validity"))
    parser.add_argument("--no-score", action="store_true", help="generate only")
    parser.add_argument("--score-only", action="store_true", help="score what --out holds")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.score_only:
        generate(args)
    if not args.no_score:
        score(args.out)


if __name__ == "__main__":
    main()

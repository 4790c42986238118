"""Speed of the generator on this machine: a pre-training epoch for candidate network sizes,
and the two sampling jobs of `supercon3d generate` with the shipped generator (the
charge-balance term's cost depends on the compositions the weights produce).

    python benchmarks/generator_speed.py [--sample 800] [--noise-steps 1000] [--seed-steps 250]
        [--charge-balance 300]

- epoch time: Adam steps over a fixed random sample of ``sample`` corpus structures (batches
  of 64), scaled to the whole training corpus;
- from noise: 100 structures, guided, ``noise-steps`` reverse steps (two denoiser passes and
  one gradient pass of the guidance model each), free and inside space-group templates drawn
  from the corpus (the projections' cost);
- seed optimisation: 100 seeds x 10 levels (t = 0.1T..T), guided, ``seed-steps`` reverse
  steps for a full denoising.
Step counts, the guidance scale and the charge-balance scale default to those of
``supercon3d generate``.
Generation budgets on a 2-core machine: 100 from noise <= 5 minutes; the guided 100 x 10 seed
run <= 15 minutes (judging by SODNet and validity checks come on top; see the docs).
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from torch_geometric.loader import DataLoader

from supercon3d.generation.corpus import load_or_build_corpus, primitive_split
from supercon3d.generation.defaults import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_NOISE_STEPS,
    DEFAULT_SEED_STEPS,
)
from supercon3d.generation.diffusion import NoiseSchedule, denoising_loss
from supercon3d.generation.generator import SEED_LEVELS, CrystalGenerator
from supercon3d.generation.network import Denoiser, NetworkConfig
from supercon3d.generation.symmetry_template import TemplateLibrary
from supercon3d.generation.training import GeneratorConfig, crystal_dataset
from supercon3d.machine import describe_machine

CANDIDATES = {
    "default (hidden 128, 4 layers)": NetworkConfig(),
    "hidden 96, 3 layers": NetworkConfig(hidden=96, layers=3),
    "hidden 256, 4 layers": NetworkConfig(hidden=256, layers=4),
}


def epoch_seconds(network: NetworkConfig, sample: list, corpus_size: int) -> float:
    config = GeneratorConfig()
    schedule = NoiseSchedule(config.diffusion)
    torch.manual_seed(0)
    model = Denoiser(network)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(sample, batch_size=64, shuffle=False)
    started = time.perf_counter()
    for batch in loader:
        loss, _ = denoising_loss(model, batch, schedule)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) * corpus_size / len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=800)
    parser.add_argument("--noise-steps", type=int, default=DEFAULT_NOISE_STEPS)
    parser.add_argument("--seed-steps", type=int, default=DEFAULT_SEED_STEPS)
    parser.add_argument("--charge-balance", type=float, default=DEFAULT_CHARGE_BALANCE)
    args = parser.parse_args()
    print(f"machine: {describe_machine()}, torch threads {torch.get_num_threads()}")

    corpus = load_or_build_corpus()
    train = crystal_dataset(corpus.train())
    sample = random.Random(0).sample(train, min(args.sample, len(train)))
    print(f"corpus: {len(train)} training structures, {len(corpus)} in all")
    for name, network in CANDIDATES.items():
        params = sum(p.numel() for p in Denoiser(network).parameters())
        seconds = epoch_seconds(network, sample, len(train))
        print(f"pre-training epoch, {name}: {seconds:.1f} s ({params:,} parameters)")

    scale, charge = DEFAULT_GUIDANCE_SCALE, args.charge_balance
    print(f"sampling: guidance scale {scale:g}, charge balance {charge:g}")
    generator = CrystalGenerator.shipped(steps=args.noise_steps, charge_balance=charge)
    started = time.perf_counter()
    generator.from_noise(100, scale, generator=torch.Generator().manual_seed(0))
    seconds = time.perf_counter() - started
    print(f"100 structures from noise, guided, {args.noise_steps} steps: {seconds:.1f} s")
    started = time.perf_counter()
    library = TemplateLibrary.from_structures(corpus.train())
    print(f"templates of the corpus: {time.perf_counter() - started:.1f} s")
    templates = library.draw(100, torch.Generator().manual_seed(0))
    started = time.perf_counter()
    generator.from_noise(100, scale, torch.Generator().manual_seed(0), templates=templates)
    seconds = time.perf_counter() - started
    print(f"100 structures from noise in templates, guided, {args.noise_steps} steps: "
          f"{seconds:.1f} s")  # fmt: skip

    seeds = [structure for _, structure, _ in primitive_split("train")]
    seeds = random.Random(0).sample(seeds, 100)
    generator = CrystalGenerator.shipped(steps=args.seed_steps, charge_balance=charge)
    started = time.perf_counter()
    generator.from_seeds(seeds, SEED_LEVELS, scale, generator=torch.Generator().manual_seed(0))
    seconds = time.perf_counter() - started
    print(f"100 seeds x 10 levels, guided, {args.seed_steps} steps: {seconds:.1f} s")


if __name__ == "__main__":
    main()

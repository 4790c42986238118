"""Speed of the generator on this machine: a pre-training epoch for candidate network sizes,
and the two sampling jobs of `supercon3d generate` (weights do not change the cost, so
freshly initialised networks are timed).

    python benchmarks/generator_speed.py [--sample 800] [--steps 250]

- epoch time: Adam steps over a fixed random sample of ``sample`` corpus structures (batches
  of 64), scaled to the whole training corpus;
- from noise: 100 structures, ``steps`` reverse steps (two denoiser passes each);
- seed optimisation: 100 seeds x 10 levels (t = 0.1T..T), guided (one more gradient pass of
  the guidance model per step).
Generation budgets on a 2-core machine: 100 from noise <= 5 minutes; the guided 100 x 10 seed
run <= 15 minutes (judging by SODNet and validity checks come on top; see the docs).
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from torch_geometric.loader import DataLoader

from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.corpus import load_or_build_corpus, primitive_split
from supercon3d.generation.diffusion import NoiseSchedule, denoising_loss
from supercon3d.generation.generator import SEED_LEVELS, CrystalGenerator
from supercon3d.generation.network import Denoiser, NetworkConfig, TimeDependentTcPredictor
from supercon3d.generation.training import GeneratorConfig, atom_count_histogram, crystal_dataset
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
    parser.add_argument("--steps", type=int, default=250)
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

    config = GeneratorConfig()
    torch.manual_seed(0)
    denoiser = GeneratorCheckpoint(
        "denoiser", Denoiser(config.network).eval(), config.diffusion,
        num_atoms=atom_count_histogram(train),
    )  # fmt: skip
    guidance = GeneratorCheckpoint(
        "guidance", TimeDependentTcPredictor(config.guidance_network).eval(), config.diffusion
    )
    generator = CrystalGenerator(denoiser, guidance, steps=args.steps)
    started = time.perf_counter()
    generator.from_noise(100, generator=torch.Generator().manual_seed(0))
    print(f"100 structures from noise, {args.steps} steps: {time.perf_counter() - started:.1f} s")

    seeds = [structure for _, structure, _ in primitive_split("train")]
    seeds = random.Random(0).sample(seeds, 100)
    started = time.perf_counter()
    generator.from_seeds(seeds, SEED_LEVELS, 1.0, generator=torch.Generator().manual_seed(0))
    print(f"100 seeds x 10 levels, guided: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

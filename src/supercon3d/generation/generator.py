"""Generating crystal structures with a trained denoiser, optionally steered toward high Tc.

Two modes: from noise (N drawn from the training distribution of atoms per cell), and the
seed optimisation of DiffCSP-SC (each seed noised to t = r·T for several r and denoised).
Either may be constrained to space-group templates (:mod:`~supercon3d.generation.
symmetry_projection`): from noise, templates given per structure; from seeds, each seed's own.
Checkpoints are loaded once per process and device (:func:`load_checkpoints`) and shared by
the generators built on them.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from pymatgen.core import Structure
from torch_geometric.data import Batch, Data

from supercon3d.file_state import FileState, folder_state
from supercon3d.generation.charge import ChargeBalance
from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.crystal import crystal_data, to_structure, to_structures
from supercon3d.generation.defaults import DEFAULT_CHARGE_BALANCE, DEFAULT_TYPE_SNR
from supercon3d.generation.diffusion import (
    CrystalState,
    Guidance,
    NoiseSchedule,
    noise_state,
    noised_state,
    sample,
)
from supercon3d.generation.symmetry_projection import SymmetryConstraint
from supercon3d.generation.symmetry_template import (
    SymmetryTemplate,
    TemplateError,
    merge_collapsed_orbits,
    p1_template,
    template_from_structure,
)
from supercon3d.models.shipped import shipped_generator_dir

DENOISER_FILE = "denoiser.safetensors"
GUIDANCE_FILE = "guidance.safetensors"
SEED_LEVELS: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(1, 11))
LOADED_GENERATORS = 4
"""Checkpoint pairs kept loaded per process (folder and device); the oldest one is dropped."""

Checkpoints = tuple[GeneratorCheckpoint, GeneratorCheckpoint | None]


@functools.lru_cache(maxsize=LOADED_GENERATORS)
def _cached_checkpoints(
    folder: Path, device: torch.device, state: tuple[FileState, ...]
) -> Checkpoints:
    denoiser = GeneratorCheckpoint.load(folder / DENOISER_FILE, "denoiser")
    guidance_path = folder / GUIDANCE_FILE
    guidance = (
        GeneratorCheckpoint.load(guidance_path, "guidance") if guidance_path.exists() else None
    )
    for checkpoint in (denoiser, guidance):
        if checkpoint is not None:
            checkpoint.model.to(device)
    return denoiser, guidance


def load_checkpoints(
    folder: str | os.PathLike | None = None, device: torch.device | str = "cpu"
) -> Checkpoints:
    """``denoiser.safetensors`` and, if present, ``guidance.safetensors`` of a folder (default:
    the shipped generator) with their networks on ``device``, loaded once per process: a later
    call returns the same checkpoints while the folder's files are unchanged. They are shared:
    read-only (the checkpoints are frozen, the networks in eval mode)."""
    folder = Path(folder or shipped_generator_dir()).resolve()
    return _cached_checkpoints(folder, torch.device(device), folder_state(folder))


@dataclass
class SeededStructure:
    """A structure generated from seed ``seed`` (an index) noised to level ``level`` (t/T)."""

    seed: int
    level: float
    structure: Structure


class CrystalGenerator:
    """A denoiser and, optionally, a guidance Tc predictor that steers it.

    ``steps``: reverse steps for a full denoising from t = T (None: all T); a run from
    t = r·T takes ceil(r·steps). ``batch_size``: crystals denoised together. ``type_snr``:
    signal-to-noise ratio of the Langevin corrector on the atom types (0: none).
    ``charge_balance``: scale of the term that steers the types toward charge-neutral
    compositions (0: none; :class:`ChargeBalance`). ``device``: where the networks run."""

    def __init__(
        self,
        denoiser: GeneratorCheckpoint,
        guidance: GeneratorCheckpoint | None = None,
        steps: int | None = None,
        batch_size: int = 250,
        type_snr: float = DEFAULT_TYPE_SNR,
        charge_balance: float = DEFAULT_CHARGE_BALANCE,
        device: torch.device | str = "cpu",
    ):
        if denoiser.kind != "denoiser" or (guidance is not None and guidance.kind != "guidance"):
            raise ValueError("expected a denoiser and a guidance checkpoint")
        if guidance is not None and guidance.diffusion != denoiser.diffusion:
            raise ValueError("the guidance model was trained with another diffusion schedule")
        self.denoiser = denoiser
        self.guidance = guidance
        self.schedule = NoiseSchedule(denoiser.diffusion)
        self.steps = steps
        self.batch_size = batch_size
        self.type_snr = type_snr
        self.charge_balance = ChargeBalance(charge_balance) if charge_balance > 0 else None
        self.device = torch.device(device)
        for checkpoint in (denoiser, guidance):
            if checkpoint is not None:
                checkpoint.model.to(self.device)

    @classmethod
    def from_dir(cls, folder: str | os.PathLike, **options) -> CrystalGenerator:
        """A generator on the checkpoints of a folder (:func:`load_checkpoints`, cached);
        ``options`` as for the constructor."""
        denoiser, guidance = load_checkpoints(folder, options.get("device", "cpu"))
        return cls(denoiser, guidance, **options)

    @classmethod
    def shipped(cls, **options) -> CrystalGenerator:
        """A generator on the shipped checkpoints (cached); ``options`` as for the constructor."""
        return cls.from_dir(shipped_generator_dir(), **options)

    def _guidance(self, scale: float) -> Guidance | None:
        if scale == 0:
            return None
        if self.guidance is None:
            raise ValueError("guidance needs a guidance model (guidance.safetensors)")
        return Guidance(self.guidance.model, scale)

    def _steps_from(self, start: int) -> int | None:
        if self.steps is None:
            return None
        return max(1, math.ceil(self.steps * start / self.schedule.timesteps))

    def _denoise(
        self,
        state: CrystalState,
        start: int,
        scale: float,
        generator: torch.Generator | None,
        progress: Callable[[int], None] | None,
        constraint: SymmetryConstraint | None = None,
    ) -> list[Structure]:
        out = sample(
            self.denoiser.model, state.to(self.device), self.schedule, start=start,
            steps=self._steps_from(start),
            guidance=self._guidance(scale), generator=generator, progress=progress,
            type_snr=self.type_snr, charge_balance=self.charge_balance, constraint=constraint,
        )  # fmt: skip
        out = out.to("cpu")
        structures = to_structures(out.lattice, out.frac, out.z, out.atoms)
        if constraint is None:
            return structures
        return [merge_collapsed_orbits(s, t) for s, t in zip(structures, constraint.templates)]

    def _reverse_step_count(self, start: int) -> int:
        steps = self._steps_from(start)
        return start if steps is None else min(steps, start)

    def _start(self, level: float) -> int:
        return max(1, round(level * self.schedule.timesteps))

    def progress_total(self, n: int, levels: Sequence[float] | None = None) -> int:
        """The ``progress`` calls of :meth:`from_noise` (``levels`` None) or
        :meth:`from_seeds` for ``n`` structures or seeds."""
        batches = -(-n // self.batch_size)
        starts = [self.schedule.timesteps] if levels is None else map(self._start, levels)
        return batches * sum(self._reverse_step_count(start) for start in starts)

    def from_noise(
        self,
        n: int,
        guidance_scale: float = 0.0,
        generator: torch.Generator | None = None,
        progress: Callable[[int], None] | None = None,
        templates: Sequence[SymmetryTemplate] | None = None,
    ) -> list[Structure]:
        """``n`` new structures; ``progress(1)`` per reverse step of each batch. With
        ``templates`` (n), structure i has the atoms, space group and Wyckoff orbits of
        template i, its free parameters drawn from the prior."""
        if templates is not None and len(templates) != n:
            raise ValueError(f"expected {n} templates, got {len(templates)}")
        T = self.schedule.timesteps
        structures = []
        for start in range(0, n, self.batch_size):
            size = min(self.batch_size, n - start)
            if templates is None:
                counts = self.denoiser.sample_num_atoms(size, generator)
                state = noise_state(counts, generator)
                structures += self._denoise(state, T, guidance_scale, generator, progress)
                continue
            chunk = templates[start : start + size]
            constraint = SymmetryConstraint(chunk, self.device)
            state = noise_state(torch.tensor([t.num_atoms for t in chunk]), generator)
            state = symmetric_start(state.to(self.device), constraint, generator)
            structures += self._denoise(state, T, guidance_scale, generator, progress, constraint)
        return structures

    def from_seeds(
        self,
        seeds: Sequence[Structure],
        levels: Sequence[float] = SEED_LEVELS,
        guidance_scale: float = 0.0,
        generator: torch.Generator | None = None,
        progress: Callable[[int], None] | None = None,
        constrained: bool = False,
    ) -> list[SeededStructure]:
        """Each seed noised to t = level·T for every level and denoised (the optimisation
        protocol of DiffCSP-SC); results in seed-major order. ``constrained``: each result
        keeps its seed's space group and Wyckoff orbits (:func:`seed_template`)."""
        graphs = [crystal_data(seed) for seed in seeds]
        templates = [seed_template(g, i) for i, g in enumerate(graphs)] if constrained else []
        results: dict[tuple[int, float], Structure] = {}
        for level in levels:
            start = self._start(level)
            for first in range(0, len(graphs), self.batch_size):
                chunk = graphs[first : first + self.batch_size]
                state = noised_state(Batch.from_data_list(chunk), start, self.schedule, generator)
                constraint = None
                if constrained:
                    chunk_templates = templates[first : first + self.batch_size]
                    constraint = SymmetryConstraint(chunk_templates, self.device)
                    state = symmetric_noised(state.to(self.device), constraint)
                made = self._denoise(state, start, guidance_scale, generator, progress, constraint)
                for offset, structure in enumerate(made):
                    results[(first + offset, level)] = structure
        return [
            SeededStructure(seed, level, results[(seed, level)])
            for seed in range(len(graphs))
            for level in levels
        ]


def seed_template(graph: Data, index: int) -> SymmetryTemplate:
    """The template of a seed's generator cell (a graph of
    :func:`~supercon3d.generation.crystal.crystal_data`), P1 where spglib reads none."""
    structure = to_structure(graph.lattice[0], graph.frac, graph.z)
    try:
        return template_from_structure(structure, name=f"seed {index}")
    except TemplateError:
        return p1_template(structure)


def symmetric_start(
    state: CrystalState, constraint: SymmetryConstraint, generator: torch.Generator | None
) -> CrystalState:
    """Prior noise made to fit the templates: lattice projected, types drawn once per orbit
    (:meth:`~SymmetryConstraint.orbit_noise`), each orbit's free coordinates drawn uniformly
    around the template's positions."""
    _, reference = constraint.reference()
    return CrystalState(
        constraint.lattice(state.lattice),
        constraint.initial_frac(reference.to(state.frac.device), generator),
        constraint.orbit_noise(state.types),
        state.atoms,
    )


def symmetric_noised(state: CrystalState, constraint: SymmetryConstraint) -> CrystalState:
    """Noised seeds projected onto their templates (displacements from the symmetrized
    seed)."""
    _, reference = constraint.reference()
    return CrystalState(
        constraint.lattice(state.lattice),
        constraint.frac(state.frac, reference.to(state.frac.device)),
        constraint.types(state.types),
        state.atoms,
    )

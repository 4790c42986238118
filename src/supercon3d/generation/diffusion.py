"""The joint diffusion of DiffCSP over lattice, fractional coordinates and atom types.

- lattice L (Å) and one-hot atom types A: DDPM with a cosine β schedule over T steps. The
  denoiser predicts the clean lattice and the clean types' logits, from which each reverse
  step's noise follows (ε = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t)); predicting the noise directly
  made the first reverse steps, where 1/√α_t reaches 30, amplify the network's error into
  cells hundreds of Å long;
- fractional coordinates F: score matching with a wrapped normal on the unit torus, noise
  σ_t geometric from ``sigma_begin`` to ``sigma_end``, sampled with a predictor–corrector
  (Langevin) step.

Time steps are integers t = 1..T (t = 0 is the data); networks see t / T.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as functional
from scipy.stats import norm
from torch_geometric.data import Batch

from supercon3d.generation.charge import ChargeBalance
from supercon3d.generation.crystal import MAX_ATOMIC_NUMBER
from supercon3d.generation.network import Denoiser, TimeDependentTcPredictor
from supercon3d.generation.symmetry_projection import SymmetryConstraint

WRAP_IMAGES = 10
"""Periodic images k = -10..10 summed in the wrapped normal (enough for σ <= 0.5)."""


@dataclass(frozen=True)
class DiffusionConfig:
    """Noise schedules, the Langevin step and the loss weights (lattice: mean squared error of
    the clean lattice in Å²; coordinates: of the standardized score; types: cross-entropy of
    the clean type)."""

    timesteps: int = 1000
    sigma_begin: float = 0.005
    sigma_end: float = 0.5
    langevin_step: float = 1e-5
    lattice_weight: float = 1.0
    frac_weight: float = 1.0
    type_weight: float = 1.0

    def to_dict(self) -> dict:
        return asdict(self)


def cosine_betas(timesteps: int, offset: float = 0.008) -> torch.Tensor:
    """β_1..β_T of the cosine schedule (Nichol & Dhariwal 2021), clipped to [1e-4, 0.999]."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
    alpha_bar = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return betas.clamp(1e-4, 0.999)


def wrapped_normal_score(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """∂/∂x log Σ_k N(x + k; 0, σ²): the score of a normal wrapped on the unit circle.
    ``sigma`` broadcasts against ``x``."""
    k = torch.arange(-WRAP_IMAGES, WRAP_IMAGES + 1, dtype=x.dtype, device=x.device)
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)[..., None]
    shifted = x[..., None] + k
    weights = torch.softmax(-(shifted**2) / (2 * sigma**2), dim=-1)
    return -(weights * shifted).sum(-1) / sigma[..., 0] ** 2


def expected_squared_score(sigmas: torch.Tensor, samples: int = 500) -> torch.Tensor:
    """E[score(x)²] for x from the wrapped normal of each width σ (numerical quadrature at
    normal quantiles, deterministic): the coordinate target is divided by its square root so
    that it has unit scale at every t."""
    z = torch.tensor(norm.ppf((torch.arange(samples) + 0.5).numpy() / samples))
    sigmas = sigmas.double()[:, None]
    return torch.cat(
        [(wrapped_normal_score(chunk * z, chunk) ** 2).mean(1) for chunk in sigmas.split(50)]
    )


class NoiseSchedule:
    """Per-step tensors, indexed by t = 0..T: ``betas``, ``alpha_bars``, ``sigmas`` (σ_0 = 0)
    and ``score_norms`` (E[score²] at σ_t)."""

    def __init__(self, config: DiffusionConfig):
        self.config = config
        T = config.timesteps
        betas = cosine_betas(T)
        self.betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas]).float()
        self.alpha_bars = torch.cat([torch.ones(1), torch.cumprod(1 - betas, 0).float()])
        ratio = config.sigma_end / config.sigma_begin
        sigmas = config.sigma_begin * ratio ** (torch.arange(T, dtype=torch.float64) / (T - 1))
        self.sigmas = torch.cat([torch.zeros(1, dtype=torch.float64), sigmas]).float()
        norms = expected_squared_score(sigmas)
        self.score_norms = torch.cat([torch.ones(1), norms.float()])

    @property
    def timesteps(self) -> int:
        return self.config.timesteps


@dataclass
class NoisyCrystals:
    """Crystals at diffusion step ``t`` (B,): lattice (B, 3, 3) Å, frac (N, 3), types (N, 100),
    with the noise that was added (the training targets)."""

    lattice: torch.Tensor
    frac: torch.Tensor
    types: torch.Tensor
    t: torch.Tensor
    lattice_noise: torch.Tensor
    frac_score: torch.Tensor
    type_noise: torch.Tensor


def one_hot_types(z: torch.Tensor) -> torch.Tensor:
    """Atomic numbers (N,) as one-hot vectors (N, 100)."""
    return functional.one_hot(z - 1, MAX_ATOMIC_NUMBER).float()


def add_noise(
    batch: Batch, t: torch.Tensor, schedule: NoiseSchedule, generator: torch.Generator | None
) -> NoisyCrystals:
    """Noise each crystal of ``batch`` to its step ``t`` (B,); ``frac_score`` is the score of
    the coordinate noise divided by sqrt(E[score²]) (the denoiser's target). The noise is drawn
    on the CPU from ``generator`` (the same noise on every device) and moved to the batch's."""
    device = batch.lattice.device
    t = t.cpu()

    def noise(shape: torch.Size) -> torch.Tensor:
        return torch.randn(shape, generator=generator).to(device)

    def per_crystal(values: torch.Tensor) -> torch.Tensor:
        return values[t].to(device)

    atoms = batch.batch
    alpha_bar = per_crystal(schedule.alpha_bars)
    lattice_noise = noise(batch.lattice.shape)
    lattice = (
        alpha_bar.sqrt()[:, None, None] * batch.lattice
        + (1 - alpha_bar).sqrt()[:, None, None] * lattice_noise
    )
    sigma = per_crystal(schedule.sigmas)[atoms][:, None]
    displacement = sigma * noise(batch.frac.shape)
    frac = torch.remainder(batch.frac + displacement, 1.0)
    score_norm = per_crystal(schedule.score_norms)[atoms][:, None]
    frac_score = wrapped_normal_score(displacement, sigma) / score_norm.sqrt()
    types0 = one_hot_types(batch.z)
    type_noise = noise(types0.shape)
    atom_alpha_bar = alpha_bar[atoms][:, None]
    types = atom_alpha_bar.sqrt() * types0 + (1 - atom_alpha_bar).sqrt() * type_noise
    return NoisyCrystals(lattice, frac, types, t.to(device), lattice_noise, frac_score, type_noise)


def denoising_loss(
    denoiser: Denoiser,
    batch: Batch,
    schedule: NoiseSchedule,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted loss at uniformly drawn steps, and its three parts."""
    config = schedule.config
    t = torch.randint(1, config.timesteps + 1, (batch.num_graphs,), generator=generator)
    noisy = add_noise(batch, t, schedule, generator)
    lattice, frac, type_logits = denoiser(
        noisy.types, noisy.frac, noisy.lattice, noisy.t / config.timesteps, batch.batch
    )
    parts = {
        "lattice": functional.mse_loss(lattice, batch.lattice),
        "frac": functional.mse_loss(frac, noisy.frac_score),
        "types": functional.cross_entropy(type_logits, batch.z - 1),
    }
    loss = (
        config.lattice_weight * parts["lattice"]
        + config.frac_weight * parts["frac"]
        + config.type_weight * parts["types"]
    )
    return loss, {name: value.item() for name, value in parts.items()}


@dataclass
class Guidance:
    """Steer sampling toward high predicted Tc (classifier guidance, Dhariwal & Nichol 2021):
    each reverse step's mean moves by ``scale`` x that step's noise variance x the gradient
    of the predictor's standardized ln Tc."""

    predictor: TimeDependentTcPredictor
    scale: float

    def gradients(
        self,
        types: torch.Tensor,
        frac: torch.Tensor,
        lattice: torch.Tensor,
        t: torch.Tensor,
        atoms: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """∇ of the summed prediction with respect to (lattice, frac, types)."""
        with torch.enable_grad():
            inputs = [x.detach().requires_grad_(True) for x in (lattice, frac, types)]
            prediction = self.predictor(inputs[2], inputs[1], inputs[0], t, atoms)
            return tuple(torch.autograd.grad(prediction.sum(), inputs))


@dataclass
class CrystalState:
    """A batch of crystals during sampling: lattice (B, 3, 3) Å, frac (N, 3), types (N, 100)
    and ``atoms`` (N,), the crystal of each atom."""

    lattice: torch.Tensor
    frac: torch.Tensor
    types: torch.Tensor
    atoms: torch.Tensor

    def to(self, device: torch.device | str) -> CrystalState:
        return CrystalState(*(x.to(device) for x in vars(self).values()))

    @property
    def z(self) -> torch.Tensor:
        """Atomic numbers: the largest entry of each type vector."""
        return self.types.argmax(dim=-1) + 1


def noise_state(num_atoms: torch.Tensor, generator: torch.Generator | None) -> CrystalState:
    """Crystals of ``num_atoms`` (B,) atoms drawn from the prior at t = T."""
    atoms = torch.repeat_interleave(torch.arange(num_atoms.numel()), num_atoms)
    n = int(num_atoms.sum())
    return CrystalState(
        torch.randn(num_atoms.numel(), 3, 3, generator=generator),
        torch.rand(n, 3, generator=generator),
        torch.randn(n, MAX_ATOMIC_NUMBER, generator=generator),
        atoms,
    )


def noised_state(
    batch: Batch, t: int, schedule: NoiseSchedule, generator: torch.Generator | None
) -> CrystalState:
    """The crystals of ``batch`` noised to step ``t`` (the start of seed optimisation)."""
    steps = torch.full((batch.num_graphs,), t, dtype=torch.long)
    noisy = add_noise(batch, steps, schedule, generator)
    return CrystalState(noisy.lattice, noisy.frac, noisy.types, batch.batch)


def reverse_steps(start: int, steps: int | None) -> list[int]:
    """Descending steps from ``start`` to 1: every step, or ``steps`` evenly spaced ones."""
    if steps is None or steps >= start:
        return list(range(start, 0, -1))
    grid = torch.linspace(start, 1, steps).round().long().unique(sorted=True).flip(0)
    return grid.tolist()


def _type_corrector(
    types: torch.Tensor,
    logits: torch.Tensor,
    alpha_bar: float,
    snr: float,
    z: torch.Tensor,
    steer: torch.Tensor | None = None,
) -> torch.Tensor:
    """One Langevin step on the type vectors (N, 100) along the score
    -(x_t - sqrt(ᾱ) x̂_0) / (1 - ᾱ) of the predicted clean types x̂_0, plus ``steer`` (the
    steering terms, so that the corrector samples the steered distribution), per atom sized so
    that step x |score| / sqrt(2 step) |z| = snr."""
    score = -(types - alpha_bar**0.5 * torch.softmax(logits, dim=-1)) / (1 - alpha_bar)
    if steer is not None:
        score = score + steer
    ratio = z.norm(dim=-1, keepdim=True) / score.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    step = 2 * (snr * ratio) ** 2
    return types + step * score + (2 * step) ** 0.5 * z


def _project_frac(
    frac: torch.Tensor, anchor: torch.Tensor, constraint: SymmetryConstraint | None
) -> torch.Tensor:
    return frac if constraint is None else constraint.frac(frac, anchor)


def _type_noise(noise: torch.Tensor, constraint: SymmetryConstraint | None) -> torch.Tensor:
    return noise if constraint is None else constraint.orbit_noise(noise)


def clean_type_probabilities(
    logits: torch.Tensor, constraint: SymmetryConstraint | None
) -> torch.Tensor:
    """The denoiser's clean type probabilities (N, 100); with a ``constraint``, averaged over
    each orbit: the denoiser does not see the space group and may predict different species
    for the atoms of one orbit, which end as one species, so the charge balance must judge
    the composition the orbits will have, not a mixture no crystal of the template can hold."""
    probabilities = torch.softmax(logits, dim=-1)
    return probabilities if constraint is None else constraint.types(probabilities)


@torch.no_grad()
def sample(
    denoiser: Denoiser,
    state: CrystalState,
    schedule: NoiseSchedule,
    start: int | None = None,
    steps: int | None = None,
    guidance: Guidance | None = None,
    generator: torch.Generator | None = None,
    progress: Callable[[int], None] | None = None,
    type_snr: float = 0.0,
    charge_balance: ChargeBalance | None = None,
    constraint: SymmetryConstraint | None = None,
) -> CrystalState:
    """Denoise ``state`` from step ``start`` (default T) to the data with a predictor–corrector
    sampler, on the device of ``state`` (noise is drawn on the CPU from ``generator``, so every
    device sees the same); ``steps`` < start strides the schedule. ``progress(1)`` after each
    step.
    ``type_snr`` > 0 adds a Langevin corrector on the atom types whose step gives that
    signal-to-noise ratio (Song et al. 2021). ``charge_balance`` steers the types toward
    charge-neutral compositions, beside (or without) the Tc ``guidance``. With a
    ``constraint``, every update is projected onto the crystals' space-group templates (the
    state must fit them at the start), so the result fits them exactly, and the type noise
    is drawn once per orbit."""
    config = schedule.config
    T = config.timesteps
    start = T if start is None else start
    grid = reverse_steps(start, steps)
    lattice, frac, types, atoms = state.lattice, state.frac, state.types, state.atoms
    crystals, device = lattice.shape[0], lattice.device

    def noise(shape: torch.Size) -> torch.Tensor:
        return torch.randn(shape, generator=generator).to(device)

    for index, t in enumerate(grid):
        s = grid[index + 1] if index + 1 < len(grid) else 0
        time = torch.full((crystals,), t / T, device=device)
        sigma_t, sigma_s = float(schedule.sigmas[t]), float(schedule.sigmas[s])
        score_scale = float(schedule.score_norms[t]) ** 0.5

        # corrector: one Langevin step on the coordinates at noise level σ_t
        _, frac_out, type_logits = denoiser(types, frac, lattice, time, atoms)
        step = config.langevin_step * (sigma_t / config.sigma_begin) ** 2
        moved = frac + step * score_scale * frac_out + (2 * step) ** 0.5 * noise(frac.shape)
        frac = _project_frac(torch.remainder(moved, 1.0), frac, constraint)
        if type_snr > 0:
            steer = torch.zeros_like(types)
            if guidance is not None and guidance.scale != 0:
                steer += guidance.scale * guidance.gradients(types, frac, lattice, time, atoms)[2]
            if charge_balance is not None:
                clean_types = clean_type_probabilities(type_logits, constraint)
                steer += charge_balance.scale * charge_balance.direction(clean_types, atoms)
            types = _type_corrector(
                types, type_logits, float(schedule.alpha_bars[t]), type_snr,
                _type_noise(noise(types.shape), constraint), steer,
            )  # fmt: skip
            if constraint is not None:
                types = constraint.types(types)

        # predictor: ancestral step t -> s for all three
        clean_lattice, frac_out, type_logits = denoiser(types, frac, lattice, time, atoms)
        frac_score = score_scale * frac_out
        alpha_bar_t, alpha_bar_s = float(schedule.alpha_bars[t]), float(schedule.alpha_bars[s])
        alpha = alpha_bar_t / alpha_bar_s
        beta = 1 - alpha
        posterior = beta * (1 - alpha_bar_s) / (1 - alpha_bar_t)
        keep_clean = alpha_bar_s**0.5 * beta / (1 - alpha_bar_t)
        keep_noisy = alpha**0.5 * (1 - alpha_bar_s) / (1 - alpha_bar_t)
        lattice_mean = keep_clean * clean_lattice + keep_noisy * lattice
        clean_types = clean_type_probabilities(type_logits, constraint)
        types_mean = keep_clean * clean_types + keep_noisy * types
        if charge_balance is not None:
            push = charge_balance.direction(clean_types, atoms)
            types_mean = types_mean + charge_balance.scale * posterior * push
        variance = sigma_t**2 - sigma_s**2
        frac_mean = frac + variance * frac_score
        if guidance is not None and guidance.scale != 0:
            grad_lattice, grad_frac, grad_types = guidance.gradients(
                types, frac, lattice, time, atoms
            )
            lattice_mean = lattice_mean + guidance.scale * posterior * grad_lattice
            types_mean = types_mean + guidance.scale * posterior * grad_types
            frac_mean = frac_mean + guidance.scale * variance * grad_frac
        symmetric_frac = frac
        lattice, types, frac = lattice_mean, types_mean, frac_mean
        if s > 0:
            lattice = lattice + posterior**0.5 * noise(lattice.shape)
            types = types + posterior**0.5 * _type_noise(noise(types.shape), constraint)
            frac = frac + (sigma_s**2 * variance / sigma_t**2) ** 0.5 * noise(frac.shape)
        frac = _project_frac(torch.remainder(frac, 1.0), symmetric_frac, constraint)
        if constraint is not None:
            lattice, types = constraint.lattice(lattice), constraint.types(types)
        if progress is not None:
            progress(1)
    return CrystalState(lattice, frac, types, atoms)

"""The generator's network and diffusion: symmetries, the wrapped normal, sampling."""

import math

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure
from scipy.spatial.transform import Rotation

from supercon3d.generation.crystal import all_pairs, batch_crystals, to_structures
from supercon3d.generation.diffusion import (
    CrystalState,
    DiffusionConfig,
    Guidance,
    NoiseSchedule,
    add_noise,
    denoising_loss,
    noise_state,
    noised_state,
    reverse_steps,
    sample,
    wrapped_normal_score,
)
from supercon3d.generation.network import Denoiser, NetworkConfig, TimeDependentTcPredictor
from supercon3d.generation.training import (
    GeneratorConfig,
    OptimizerConfig,
    crystal_dataset,
    train_denoiser,
)

TINY = NetworkConfig(hidden=16, layers=2, frequencies=4, time_features=8)
SHORT = DiffusionConfig(timesteps=50)


@pytest.fixture(scope="module")
def crystals():
    nacl = Structure(Lattice.cubic(4.2), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    tilted = Lattice.from_parameters(3.1, 3.4, 5.2, 80, 95, 112)
    mgb2 = Structure(tilted, ["Mg", "B", "B"], [[0.1, 0, 0], [1 / 3, 2 / 3, 0.5], [0.7, 0.3, 0.4]])
    return batch_crystals([nacl, mgb2])


@pytest.fixture(scope="module")
def noisy(crystals):
    schedule = NoiseSchedule(SHORT)
    t = torch.tensor([10, 40])
    return add_noise(crystals, t, schedule, torch.Generator().manual_seed(0))


def outputs(model, noisy, atoms, lattice=None, frac=None, types=None):
    torch.manual_seed(0)
    lattice = noisy.lattice if lattice is None else lattice
    frac = noisy.frac if frac is None else frac
    types = noisy.types if types is None else types
    with torch.no_grad():
        return model(types, frac, lattice, noisy.t / 50, atoms)


def test_all_pairs_lists_every_ordered_pair_inside_each_crystal():
    pairs = all_pairs(torch.tensor([0, 0, 1, 1, 1]))
    expected = {(i, j) for i in (0, 1) for j in (0, 1)} | {
        (i, j) for i in (2, 3, 4) for j in (2, 3, 4)
    }
    assert set(map(tuple, pairs.t().tolist())) == expected and pairs.shape[1] == 13


def test_denoiser_is_rotation_equivariant_and_shift_and_permutation_invariant(crystals, noisy):
    torch.manual_seed(1)
    model = Denoiser(TINY).eval()
    atoms = crystals.batch
    lattice, frac, types = outputs(model, noisy, atoms)

    rotation = torch.tensor(Rotation.random(random_state=3).as_matrix(), dtype=torch.float32)
    rotated = outputs(model, noisy, atoms, lattice=noisy.lattice @ rotation.T)
    assert torch.allclose(rotated[0], lattice @ rotation.T, atol=1e-4)
    assert torch.allclose(rotated[1], frac, atol=1e-4) and torch.allclose(rotated[2], types)

    shifted = outputs(model, noisy, atoms, frac=torch.remainder(noisy.frac + 0.37, 1.0))
    for a, b in zip(shifted, (lattice, frac, types)):
        assert torch.allclose(a, b, atol=1e-4)

    order = torch.tensor([1, 0, 4, 2, 3])  # permute atoms within each crystal
    permuted = outputs(model, noisy, atoms, frac=noisy.frac[order], types=noisy.types[order])
    assert torch.allclose(permuted[0], lattice, atol=1e-4)
    assert torch.allclose(permuted[1], frac[order], atol=1e-4)
    assert torch.allclose(permuted[2], types[order], atol=1e-4)


def test_tc_predictor_is_invariant(crystals, noisy):
    torch.manual_seed(2)
    model = TimeDependentTcPredictor(TINY).eval()
    atoms = crystals.batch
    reference = outputs(model, noisy, atoms)
    rotation = torch.tensor(Rotation.random(random_state=5).as_matrix(), dtype=torch.float32)
    moved = outputs(
        model,
        noisy,
        atoms,
        lattice=noisy.lattice @ rotation.T,
        frac=torch.remainder(noisy.frac - 0.21, 1.0),
    )
    assert reference.shape == (2,) and torch.allclose(moved, reference, atol=1e-4)


def test_wrapped_normal_score_is_the_derivative_of_the_log_density():
    sigma = torch.tensor(0.3, dtype=torch.float64)
    x = torch.linspace(-0.9, 0.9, 13, dtype=torch.float64)

    def log_density(x):
        k = torch.arange(-10, 11, dtype=torch.float64)
        return torch.logsumexp(-((x[:, None] + k) ** 2) / (2 * sigma**2), dim=1)

    h = 1e-6
    numeric = (log_density(x + h) - log_density(x - h)) / (2 * h)
    assert torch.allclose(wrapped_normal_score(x, sigma), numeric, atol=1e-5)
    assert torch.allclose(wrapped_normal_score(x + 1, sigma), wrapped_normal_score(x, sigma))


def test_schedule_ends_and_score_norms():
    schedule = NoiseSchedule(DiffusionConfig())
    assert schedule.alpha_bars[0] == 1 and schedule.alpha_bars[-1] < 1e-4
    assert math.isclose(float(schedule.sigmas[1]), 0.005, rel_tol=1e-5)
    assert math.isclose(float(schedule.sigmas[-1]), 0.5, rel_tol=1e-5)
    # narrow wrapped normals are plain normals: E[score²] = 1/σ²
    assert math.isclose(float(schedule.score_norms[1]) * 0.005**2, 1.0, rel_tol=5e-3)
    assert float(schedule.score_norms[-1]) < 1 / 0.5**2  # wrapping flattens wide ones


def test_training_reduces_the_loss_on_a_fixed_batch(crystals):
    torch.manual_seed(0)
    schedule = NoiseSchedule(SHORT)
    model = Denoiser(TINY)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_at(seed):
        return denoising_loss(model, crystals, schedule, torch.Generator().manual_seed(seed))[0]

    with torch.no_grad():
        before = np.mean([loss_at(s).item() for s in range(8)])
    for step in range(60):
        optimizer.zero_grad()
        loss_at(step % 8).backward()
        optimizer.step()
    with torch.no_grad():
        after = np.mean([loss_at(s).item() for s in range(8)])
    assert after < 0.7 * before


def test_sampling_from_noise_and_from_seeds_gives_finite_crystals(crystals):
    torch.manual_seed(0)
    schedule = NoiseSchedule(SHORT)
    denoiser = Denoiser(TINY).eval()
    guidance = Guidance(TimeDependentTcPredictor(TINY).eval(), scale=1.0)
    state = noise_state(torch.tensor([2, 4]), torch.Generator().manual_seed(1))
    calls = []
    out = sample(denoiser, state, schedule, steps=10, guidance=guidance, progress=calls.append)
    assert len(calls) == 10 and out.lattice.shape == (2, 3, 3) and out.frac.shape == (6, 3)
    assert torch.isfinite(out.lattice).all() and ((out.frac >= 0) & (out.frac < 1)).all()
    assert all(len(s) == n for s, n in zip(to_structures(**structure_args(out)), (2, 4)))

    seeded = noised_state(crystals, 5, schedule, torch.Generator().manual_seed(2))
    out = sample(denoiser, seeded, schedule, start=5, generator=torch.Generator().manual_seed(3))
    assert out.types.shape == (5, 100) and torch.isfinite(out.lattice).all()


def structure_args(state: CrystalState) -> dict:
    return {"lattice": state.lattice, "frac": state.frac, "z": state.z, "batch": state.atoms}


def test_guidance_changes_the_samples_and_zero_scale_does_not():
    torch.manual_seed(0)
    schedule = NoiseSchedule(SHORT)
    denoiser = Denoiser(TINY).eval()
    predictor = TimeDependentTcPredictor(TINY).eval()
    state = noise_state(torch.tensor([3]), torch.Generator().manual_seed(1))

    def run(guidance):
        return sample(denoiser, state, schedule, steps=5, guidance=guidance,
                      generator=torch.Generator().manual_seed(4)).lattice  # fmt: skip

    plain = run(None)
    assert torch.equal(run(Guidance(predictor, 0.0)), plain)
    assert not torch.allclose(run(Guidance(predictor, 5.0)), plain)


def test_reverse_steps():
    assert reverse_steps(5, None) == [5, 4, 3, 2, 1]
    strided = reverse_steps(1000, 100)
    assert strided[0] == 1000 and strided[-1] == 1 and len(strided) == 100
    assert all(a > b for a, b in zip(strided, strided[1:]))


def test_interrupted_pretraining_resumes_to_the_same_weights(crystals, tmp_path):
    structures = to_structures(crystals.lattice, crystals.frac, crystals.z, crystals.batch)
    graphs = crystal_dataset(structures * 3)
    config = GeneratorConfig(
        network=TINY, diffusion=SHORT, pretrain=OptimizerConfig(epochs=3, batch_size=2)
    )
    straight, _ = train_denoiser(config, graphs, graphs[:2], tmp_path / "a.state.pt")

    def stop_after_first_epoch(message):
        if message["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_denoiser(config, graphs, graphs[:2], tmp_path / "b.state.pt", stop_after_first_epoch)
    resumed, summary = train_denoiser(config, graphs, graphs[:2], tmp_path / "b.state.pt")
    assert len(summary["history"]) == 3
    for key, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_matches_the_cpu(crystals, tmp_path):
    """The same noise is drawn on both devices, so loss and one epoch of training agree."""
    schedule = NoiseSchedule(SHORT)
    torch.manual_seed(0)
    model = Denoiser(TINY)
    on_cpu, _ = denoising_loss(model, crystals, schedule, torch.Generator().manual_seed(3))
    on_cuda, _ = denoising_loss(  # Batch.to moves in place: move a copy
        model.to("cuda"), crystals.clone().to("cuda"), schedule, torch.Generator().manual_seed(3)
    )
    assert on_cuda.device.type == "cuda"
    assert on_cuda.item() == pytest.approx(on_cpu.item(), rel=1e-4)

    structures = to_structures(crystals.lattice, crystals.frac, crystals.z, crystals.batch)
    graphs = crystal_dataset(structures * 2)
    config = GeneratorConfig(
        network=TINY, diffusion=SHORT, pretrain=OptimizerConfig(epochs=1, batch_size=2)
    )
    cpu, _ = train_denoiser(config, graphs, graphs[:2], tmp_path / "cpu.state.pt")
    cuda, summary = train_denoiser(config, graphs, graphs[:2], tmp_path / "cuda.state.pt",
                                   device="cuda")  # fmt: skip
    assert summary["device"] == torch.cuda.get_device_name()
    for key, value in cpu.state_dict().items():
        assert cuda.state_dict()[key].device.type == "cpu"
        assert torch.allclose(value, cuda.state_dict()[key], atol=1e-4), key


def test_type_corrector_steps_toward_the_predicted_types_at_the_asked_snr():
    from supercon3d.generation.diffusion import _type_corrector

    torch.manual_seed(0)
    types, logits, z = torch.randn(5, 100), 3 * torch.randn(5, 100), torch.randn(5, 100)
    alpha_bar, snr = 0.4, 0.16
    assert torch.equal(_type_corrector(types, logits, alpha_bar, snr, 0 * z), types)
    plus = _type_corrector(types, logits, alpha_bar, snr, z)
    minus = _type_corrector(types, logits, alpha_bar, snr, -z)
    drift, diffusion = (plus + minus) / 2 - types, (plus - minus) / 2
    toward = alpha_bar**0.5 * torch.softmax(logits, dim=-1) - types
    cosine = torch.nn.functional.cosine_similarity(drift, toward, dim=-1)
    assert torch.allclose(cosine, torch.ones(5), atol=1e-5)
    ratio = drift.norm(dim=-1) / diffusion.norm(dim=-1)
    assert torch.allclose(ratio, torch.full((5,), snr), atol=1e-5)

    steer = torch.randn(5, 100)  # guidance: the drift follows the guided score
    plus = _type_corrector(types, logits, alpha_bar, snr, z, steer)
    minus = _type_corrector(types, logits, alpha_bar, snr, -z, steer)
    guided = toward / (1 - alpha_bar) + steer
    cosine = torch.nn.functional.cosine_similarity((plus + minus) / 2 - types, guided, dim=-1)
    assert torch.allclose(cosine, torch.ones(5), atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_guided_sampling_on_cuda_matches_the_cpu():
    """The noise of each reverse step is drawn on the CPU, so both devices denoise alike."""
    schedule = NoiseSchedule(SHORT)
    torch.manual_seed(0)
    denoiser, predictor = Denoiser(TINY).eval(), TimeDependentTcPredictor(TINY).eval()
    state = noise_state(torch.tensor([2, 3]), torch.Generator().manual_seed(1))

    def run(device: str) -> CrystalState:
        guidance = Guidance(predictor.to(device), scale=2.0)
        return sample(denoiser.to(device), state.to(device), schedule, steps=8, guidance=guidance,
                      generator=torch.Generator().manual_seed(4), type_snr=0.1)  # fmt: skip

    on_cpu, on_cuda = run("cpu"), run("cuda")
    assert on_cuda.lattice.device.type == "cuda"
    assert torch.allclose(on_cpu.lattice, on_cuda.lattice.cpu(), atol=1e-3)
    assert torch.allclose(on_cpu.types, on_cuda.types.cpu(), atol=1e-3)
    wrapped = torch.remainder(on_cpu.frac - on_cuda.frac.cpu() + 0.5, 1.0) - 0.5
    assert wrapped.abs().max() < 1e-3

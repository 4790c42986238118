"""Charge balance under SMACT's oxidation states, and the sampler term built on it."""

from collections import Counter

import pytest
import torch
from pymatgen.core import Composition, Element

from supercon3d.generation.charge import (
    ChargeBalance,
    charge_imbalance,
    closest_to_neutral,
)
from supercon3d.generation.diffusion import NoiseSchedule, noise_state, sample
from supercon3d.generation.metrics import composition_is_valid
from test_generation_model import SHORT


def test_closest_to_neutral_picks_one_state_per_element():
    assert closest_to_neutral([[1], [-1]], [1, 3]) == (-2, (1, -1))
    assert closest_to_neutral([[2, 3], [-2]], [2, 3]) == (0, (3, -2))
    assert closest_to_neutral([[1], []], [1, 1]) is None


@pytest.mark.parametrize(
    ("symbols", "counts", "expected"),
    [
        (["Na", "Cl"], [1, 1], (0, ())),
        (["Nb", "Ti"], [1, 3], (0, ())),  # all metals pass
        (["Li", "H"], [1, 3], (-2, (1, -1))),  # Li+ H-: the Pauling test rules out H+
        (["La", "H"], [1, 10], (-7, (3, -1))),
        (["Ne", "O"], [1, 1], None),  # neon has no oxidation state
    ],
)
def test_charge_imbalance(symbols, counts, expected):
    assert charge_imbalance(symbols, counts) == expected


@pytest.mark.parametrize("formula", ["LiH3", "LaH10", "NaCl", "YBa2Cu3O7", "MgB2", "Fe2O3"])
def test_imbalance_is_zero_exactly_for_valid_compositions(formula):
    composition = Composition(formula)
    symbols = [element.symbol for element in composition]
    imbalance = charge_imbalance(symbols, [int(composition[s]) for s in symbols])
    assert (imbalance is not None and imbalance.charge == 0) is composition_is_valid(composition)


def one_hot(symbols: list[str]) -> torch.Tensor:
    return torch.nn.functional.one_hot(
        torch.tensor([Element(s).Z - 1 for s in symbols]), 100
    ).float()


def test_direction_moves_types_of_an_unbalanced_crystal_toward_neutrality():
    """LiH3 (charge -2 over 4 atoms): the energy's gradient is 0.5 toward Li and -0.5 toward H
    on every atom, taken through the softmax of each atom's type probabilities; an atom sure
    of its element and the neutral NaCl in the same batch stay."""
    li, h = Element("Li").Z - 1, Element("H").Z - 1
    types = one_hot(["Li", "H", "H", "H", "Na", "Cl"])
    types[1:4] = 0.7 * types[1:4] + 0.3 * one_hot(["Li"] * 3)  # three unsure H atoms
    atoms = torch.tensor([0, 0, 0, 0, 1, 1])
    push = ChargeBalance(scale=1.0).direction(types, atoms)
    # p (g - <g>_p) for p = (0.3 Li, 0.7 H), g = (0.5, -0.5): <g> = -0.2
    assert torch.allclose(push[1:4, li], torch.full((3,), 0.3 * 0.7))
    assert torch.allclose(push[1:4, h], torch.full((3,), -0.7 * 0.3))
    assert torch.allclose(push.sum(-1), torch.zeros(6), atol=1e-6)
    assert not push[0].any() and not push[4:].any()

    def charge(x: torch.Tensor) -> torch.Tensor:  # expected charge of LiH3: Li+ H-
        return (x[:4, li] - x[:4, h]).sum()

    assert abs(charge(types + 0.1 * push)) < abs(charge(types))


def test_direction_does_not_depend_on_the_order_of_atoms():
    noise = torch.rand(8, 100, generator=torch.Generator().manual_seed(0)).softmax(-1)
    types = 0.8 * one_hot(["H", "Li", "H", "H", "O", "Na", "O", "O"]) + 0.2 * noise  # LiH3, NaO3
    atoms = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    order = torch.tensor([2, 0, 3, 1, 6, 4, 7, 5])
    balance = ChargeBalance(scale=1.0)
    push = balance.direction(types, atoms)
    assert push[:4].abs().sum() > 0 and push[4:].abs().sum() > 0
    assert torch.allclose(push[order], balance.direction(types[order], atoms[order]))


class LithiumHydrideBeliever(torch.nn.Module):
    """A stand-in denoiser for crystals of four atoms: atom 0 is Li, atoms 1-3 H with
    probability 0.6 and Li with 0.4, each leaning toward what its noisy type vector says."""

    def __init__(self):
        super().__init__()
        probabilities = torch.full((4, 100), 1e-9)
        li, h = Element("Li").Z - 1, Element("H").Z - 1
        probabilities[0, li] = 1.0
        probabilities[1:, h], probabilities[1:, li] = 0.6, 0.4
        self.logits = probabilities.log()

    def forward(self, types, frac, lattice, time, atoms):
        logits = self.logits.repeat(lattice.shape[0], 1) + 3 * types
        return lattice, torch.zeros_like(frac), logits


def test_charge_balance_turns_lih3_into_lih_during_sampling():
    """Left alone the stand-in ends in LiH3 (SMACT-invalid) for a third of the crystals;
    steered, nearly all end as the compound LiH, not as pure Li."""
    state = noise_state(torch.full((30,), 4), torch.Generator().manual_seed(1))

    def formulas(balance: ChargeBalance | None) -> Counter:
        out = sample(
            LithiumHydrideBeliever(),
            state,
            NoiseSchedule(SHORT),
            charge_balance=balance,
            generator=torch.Generator().manual_seed(2),
        )
        return Counter(
            Composition(Counter(Element.from_Z(z) for z in out.z[out.atoms == c].tolist()))
            .reduced_formula
            for c in range(30)
        )  # fmt: skip

    alone, steered = formulas(None), formulas(ChargeBalance(scale=100.0))
    assert alone["LiH3"] >= 5
    assert steered["LiH"] >= 27 and steered["LiH3"] <= 1

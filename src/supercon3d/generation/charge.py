"""Charge balance of compositions under SMACT's oxidation states: how far a composition is from
charge neutrality (:mod:`supercon3d.chemistry.oxidation`), and a term that steers sampled atom
types toward neutral compositions.

The screen is the one of :func:`supercon3d.generation.metrics.composition_is_valid` (CDVAE's
``smact_validity``): one oxidation state per element, every cation less electronegative
(Pauling) than every anion; single elements and all-metal compositions pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from pymatgen.core import Element

from supercon3d.chemistry.oxidation import (
    SMACT14,
    Imbalance,
    charge_imbalance,
    closest_to_neutral,
    pauling_states,
)
from supercon3d.generation.crystal import MAX_ATOMIC_NUMBER

__all__ = [
    "OXIDATION_STATES", "ChargeBalance", "Imbalance", "charge_imbalance", "closest_to_neutral",
    "pauling_states",
]  # fmt: skip

OXIDATION_STATES = SMACT14
"""The SMACT oxidation-state set of CDVAE and DiffCSP (SMACT 2.x's default)."""


@lru_cache(maxsize=2**16)
def _imbalance_of(composition: tuple[tuple[int, int], ...]) -> Imbalance | None:
    """:func:`charge_imbalance` of ((Z, count), ...), cached: sampling meets the same
    compositions at step after step (bounded: the early, noisy steps meet a new one for
    nearly every crystal)."""
    symbols = [Element.from_Z(z).symbol for z, _ in composition]
    return charge_imbalance(symbols, [count for _, count in composition])


@dataclass
class ChargeBalance:
    """Steer the atom types of sampled crystals toward charge-neutral compositions.

    At each reverse step the composition a crystal would have now (the denoiser's most likely
    clean type of each atom) is checked; if no oxidation-state assignment is neutral, the
    closest one (total charge Q (e) over N atoms, state s_e of each element) defines the energy
    Q² / 2N of the expected types. Its gradient, ``(Q / N) s_e`` on each element e of the
    composition, is taken through the softmax of the predicted types (atoms already sure of
    their element barely move; pushing every atom alike collapsed compositions into single
    elements), and the sampler moves the type vectors down it, times ``scale`` and the step's
    noise variance (as the Tc guidance does). Crystals that pass SMACT's screen, or that hold
    an element without oxidation states, are left alone."""

    scale: float

    def direction(self, clean_types: torch.Tensor, atoms: torch.Tensor) -> torch.Tensor:
        """The descent direction (N, 100) for the predicted type probabilities
        ``clean_types`` (N, 100) of atoms in crystals ``atoms`` (N,)."""
        crystals = int(atoms.max()) + 1 if atoms.numel() else 0
        z = clean_types.argmax(dim=-1).cpu()
        counts = torch.bincount(
            atoms.cpu() * MAX_ATOMIC_NUMBER + z, minlength=crystals * MAX_ATOMIC_NUMBER
        ).view(crystals, MAX_ATOMIC_NUMBER)
        crystal_of, element_index = counts.nonzero(as_tuple=True)
        amounts = counts[crystal_of, element_index].tolist()
        atomic_numbers = (element_index + 1).tolist()
        ends = torch.cumsum(torch.bincount(crystal_of, minlength=crystals), 0).tolist()
        push = torch.zeros(crystals, MAX_ATOMIC_NUMBER)
        start = 0
        for crystal, end in enumerate(ends):
            elements = atomic_numbers[start:end]
            composition = tuple(zip(elements, amounts[start:end]))
            start = end
            imbalance = _imbalance_of(composition)
            if imbalance is None or imbalance.charge == 0:
                continue
            per_atom = imbalance.charge / sum(count for _, count in composition)
            for element, state in zip(elements, imbalance.states):
                push[crystal, element - 1] = -per_atom * state
        push = push.to(clean_types.device)[atoms]
        return clean_types * (push - (clean_types * push).sum(-1, keepdim=True))

"""Charge balance of compositions under SMACT's oxidation states: how far a composition is from
charge neutrality, and a term that steers sampled atom types toward neutral compositions.

The screen is the one of :func:`supercon3d.generation.metrics.composition_is_valid` (CDVAE's
``smact_validity``): one oxidation state per element, every cation less electronegative
(Pauling) than every anion; single elements and all-metal compositions pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import smact
import torch
from pymatgen.core import Element

from supercon3d.generation.crystal import MAX_ATOMIC_NUMBER

OXIDATION_STATES = "smact14"
"""The SMACT oxidation-state set of CDVAE and DiffCSP (SMACT 2.x's default)."""


class Imbalance(NamedTuple):
    """The total charge Σ count x state (e) closest to zero and the oxidation state of each
    element that gives it; (0, ()) for a composition that passes."""

    charge: int
    states: tuple[int, ...]


def pauling_states(
    states: Sequence[Sequence[int]], electronegativities: Sequence[float], cut: float
) -> list[list[int]]:
    """The oxidation states left to each element when every cation has a Pauling
    electronegativity at most ``cut`` and every anion one above it.

    SMACT's Pauling test asks each cation to be less electronegative than each anion; an
    assignment passes it exactly when it fits within one such cut (the largest cation
    electronegativity), so trying every cut replaces trying every combination of states.
    """
    return [
        [state for state in options if (state >= 0 if value <= cut else state <= 0)]
        for options, value in zip(states, electronegativities)
    ]


def closest_to_neutral(states: Sequence[Sequence[int]], counts: Sequence[int]) -> Imbalance | None:
    """The choice of one oxidation state per element whose total charge is closest to zero
    (the reachable charges, element by element, instead of every combination; ties go to the
    negative charge); None when an element has no state to choose."""
    reachable: dict[int, tuple[int, ...]] = {0: ()}
    for options, count in zip(states, counts):
        reachable = {
            charge + state * count: chosen + (state,)
            for charge, chosen in reachable.items()
            for state in options
        }
    if not reachable:
        return None
    charge = min(reachable, key=lambda value: (abs(value), value))
    return Imbalance(charge, reachable[charge])


@cache
def _element_data(symbol: str, oxidation_states: str) -> tuple[tuple[int, ...], float | None]:
    """An element's SMACT oxidation states and Pauling electronegativity (reading
    :class:`smact.Element` takes milliseconds)."""
    element = smact.Element(symbol)
    states = getattr(element, f"oxidation_states_{oxidation_states}") or ()
    return tuple(states), element.pauling_eneg


def charge_imbalance(
    symbols: Sequence[str], counts: Sequence[int], oxidation_states: str = OXIDATION_STATES
) -> Imbalance | None:
    """How far integer ``counts`` of elements ``symbols`` are from a charge-neutral assignment
    that passes the Pauling test: (0, ()) for a composition that passes SMACT's screen, None
    when no assignment exists at all (an element without oxidation states). Raises KeyError
    for an element SMACT does not know."""
    if not symbols:
        raise ValueError("an empty composition has no charge")
    states, electronegativities = zip(
        *(_element_data(symbol, oxidation_states) for symbol in symbols)
    )
    if len(symbols) <= 1 or all(symbol in smact.metals for symbol in symbols):
        return Imbalance(0, ())
    if any(value is None for value in electronegativities):
        candidates = [closest_to_neutral(states, counts)]
    else:
        candidates = [
            closest_to_neutral(pauling_states(states, electronegativities, cut), counts)
            for cut in sorted(set(electronegativities))
        ]
    found = [candidate for candidate in candidates if candidate is not None]
    if not found:
        return None
    best = min(found, key=lambda imbalance: (abs(imbalance.charge), imbalance.charge))
    return Imbalance(0, ()) if best.charge == 0 else best


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

"""Oxidation-state arithmetic under SMACT's oxidation-state sets: the assignment of one state
per element whose total charge is closest to zero, under SMACT's Pauling test (every cation
less electronegative than every anion), and the whole-number form of a fractional
composition.

Shared by the generator's validity metric and sampler term
(:mod:`supercon3d.generation.charge`, SMACT's ``smact14`` set as CDVAE), the chemist's charge
balance (:mod:`supercon3d.chemistry.charge`, the ICSD set) and doping
(:mod:`supercon3d.doping.dopants`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import cache
from typing import NamedTuple

import smact
from pymatgen.core import Composition

SMACT14 = "smact14"
"""The SMACT oxidation-state set of CDVAE and DiffCSP (SMACT 2.x's default)."""
MAX_SCALE = 20
"""Formula units tried to make a fractional composition whole."""
INTEGER_TOLERANCE = 1e-3


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
    symbols: Sequence[str], counts: Sequence[int], oxidation_states: str = SMACT14
) -> Imbalance | None:
    """How far integer ``counts`` of elements ``symbols`` are from a charge-neutral assignment
    that passes the Pauling test: (0, ()) for a composition that passes SMACT's screen, None
    when no assignment exists at all (an element without oxidation states). Single elements
    and compositions of SMACT's metals alone pass. Raises KeyError for an element SMACT does
    not know."""
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


def mixed_valence_charges(options: Sequence[int], count: int) -> set[int]:
    """The total charges (e) ``count`` atoms of one element can carry when each takes one of
    the states ``options`` (mixed valence: Cu²⁺ and Cu³⁺ in one cuprate)."""
    charges = {0} if options else set()
    for _ in range(count):
        charges = {charge + state for charge in charges for state in options}
    return charges


def signed_states(
    states: Sequence[Sequence[int]], electronegativities: Sequence[float], tolerance: float
) -> Iterator[list[list[int]]]:
    """The oxidation states left to each element by each choice of sign (cation: states ≥ 0,
    anion: ≤ 0; an element whose states have one sign keeps it) that passes the Pauling test
    within ``tolerance``: no cation more electronegative than an anion by ``tolerance`` or
    more (with 0, every cation less electronegative than every anion, SMACT's test). Every
    choice when an electronegativity is unknown (NaN)."""
    known = all(value == value for value in electronegativities)
    choices = [
        [sign for sign in (1, -1) if any(state * sign > 0 for state in options)] or [0]
        for options in states
    ]
    for signs in itertools.product(*choices):
        cations = [x for x, sign in zip(electronegativities, signs) if sign > 0]
        anions = [x for x, sign in zip(electronegativities, signs) if sign < 0]
        if known and cations and anions and max(cations) - min(anions) >= tolerance:
            continue
        yield [
            [state for state in options if state * sign >= 0]
            for options, sign in zip(states, signs)
        ]


def can_be_neutral(
    states: Sequence[Sequence[int]],
    electronegativities: Sequence[float],
    counts: Sequence[int],
    tolerance: float = 0.0,
) -> bool:
    """Whether integer ``counts`` of elements with oxidation states ``states`` and Pauling
    electronegativities ``electronegativities`` (NaN: unknown) sum to zero charge, each atom
    taking one of its element's states (mixed valence allowed, one sign per element) and no
    cation more electronegative than an anion by ``tolerance`` (:func:`signed_states`)."""
    for allowed in signed_states(states, electronegativities, tolerance):
        totals = {0}
        for options, count in zip(allowed, counts):
            charges = mixed_valence_charges(options, count)
            totals = {total + charge for total in totals for charge in charges}
        if 0 in totals:
            return True
    return False


def charge_window(
    states: Sequence[Sequence[int]],
    electronegativities: Sequence[float],
    amounts: Sequence[float],
    tolerance: float = 0.0,
) -> float | None:
    """The smallest |total charge| (e) within reach when each element's amount carries any
    average of its states (a continuous mixed valence: the bound for fractional amounts,
    a doped or non-stoichiometric composition), under the Pauling test as in
    :func:`can_be_neutral`; None when no choice of signs leaves every element a state."""
    best = None
    for allowed in signed_states(states, electronegativities, tolerance):
        if not all(allowed):
            continue
        low = sum(amount * min(options) for options, amount in zip(allowed, amounts))
        high = sum(amount * max(options) for options, amount in zip(allowed, amounts))
        gap = max(low, 0.0) - min(high, 0.0)  # 0 when low <= 0 <= high
        best = gap if best is None else min(best, gap)
    return best


def integer_composition(composition: Composition) -> Composition | None:
    """The smallest multiple (up to :data:`MAX_SCALE`) of a composition with fractional
    amounts (a disordered cell) whose amounts are whole, or None."""
    for scale in range(1, MAX_SCALE + 1):
        scaled = composition * scale
        if all(abs(amount - round(amount)) < INTEGER_TOLERANCE for amount in scaled.values()):
            return Composition({element: round(amount) for element, amount in scaled.items()})
    return None

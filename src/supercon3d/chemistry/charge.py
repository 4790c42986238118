"""Charge balance of a composition, as a chemist's first check.

A composition with an anion-forming element (:data:`ANION_FORMERS`) must be charge-balanced:
some assignment of common oxidation states sums to zero. The states are pymatgen's common
ones with those met in the ICSD (:data:`~pymatgen.core.Element.common_oxidation_states` ∪
``icsd_oxidation_states``), not every state an element has been seen in; the atoms of one
element may take different states (mixed valence, as in YBa2Cu3O7: Cu²⁺/Cu³⁺); and every
cation must be less electronegative (Pauling) than every anion (SMACT's test), up to
:data:`PAULING_TOLERANCE`. So the odd states the ICSD lists stay possible only where a
chemist would accept them: Br⁵⁺ in a bromate, never beside a sulfide anion (Br is 0.38 more
electronegative than S), while PbTe, PdTe₂ and SrPd₂As₂ (Pb, Pd a little more
electronegative than Te, As: covalent bonds, where which atom is formally the cation is a
convention) pass.

A composition without an anion-forming element (metals, and borides, carbides, silicides of
metals) is judged as an intermetallic: balanced when an assignment exists (MgB2 as
Mg²⁺(B⁻)₂ is "ionic"), else kind "intermetallic", charge_balanced True all the same.
Fractional compositions (disordered, doped or non-stoichiometric cells) are made whole
first (at most :data:`~supercon3d.chemistry.oxidation.MAX_SCALE` formula units) and judged
as above; one that stays unbalanced, or cannot be made whole, passes when any average of
its states brings the charge within :data:`DOPING_TOLERANCE` of zero (electron-doped
Tb2Fe2As2O1.8F0.2 needs Fe at +1.9, below pymatgen's Fe states).

A composition of d- or f-block (and p-block) metals with anion formers that stays
unbalanced because the anions cannot take every metal electron, even with each metal at its
lowest positive state and each anion former at its most negative one, is judged *metal-rich*
(charge_balanced True, kind :data:`METAL_RICH`): the electrons left over make metal–metal
bonds or fill a conduction band, as in the metal-rich pnictides and chalcogenides Ti₂P,
Nb₂N, Mo₈P₅, HfRuP, LuS and the interstitial hydrides PdH, NbH. An alkali or alkaline-earth
metal (:data:`SALT_FORMERS`) gives up its electrons to any anion, so a compound holding one
is a salt and must balance; so must one with a non-metal besides the anion formers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

from pymatgen.core import Composition, Element

from supercon3d.chemistry.oxidation import can_be_neutral, charge_window, integer_composition

ANION_FORMERS = frozenset({"H", "N", "P", "As", "O", "S", "Se", "Te", "F", "Cl", "Br", "I"})
"""Elements that are anions in their common compounds (pnictides N-As, chalcogenides O-Te,
halides, hydrides). B, C, Si, Ge, Sn, Sb and Bi are left out: with metals they form borides,
carbides, silicides and the like that are mostly intermetallic (MgCNi3, Nb3Ge, LaRh3B2)."""
PAULING_TOLERANCE = 0.3
"""Pauling units: how much more electronegative than an anion a cation may be (Pb 2.33 over
Te 2.10 in PbTe; Br 2.96 over S 2.58 is refused)."""
DOPING_TOLERANCE = 0.5
"""e per formula unit of the reduced composition: the charge a fractional composition may
be off neutral (the carriers of a doping; discover dopes up to 30 % of a host's sites)."""
SALT_FORMERS = frozenset({1, 2})
"""Groups of the s-block metals (alkali and alkaline earth: fully ionised beside any anion,
never metal-rich)."""
IONIC = "ionic"
DOPED = "ionic (doped)"
INTERMETALLIC = "intermetallic"
ELEMENTAL = "elemental"
METAL_RICH = "metal-rich"
UNBALANCED = "unbalanced"
"""Kinds of :class:`ChargeVerdict`: balanced by some assignment; fractional and balanced
within :data:`DOPING_TOLERANCE`; no anion former and no assignment; a single element;
anions too few for the metals' electrons (module docstring); an anion former and no
assignment otherwise."""


@dataclass(frozen=True)
class ChargeVerdict:
    """``charge_balanced`` and why (``kind``: one of :data:`IONIC`, :data:`DOPED`,
    :data:`INTERMETALLIC`, :data:`ELEMENTAL`, :data:`METAL_RICH`, :data:`UNBALANCED`)."""

    charge_balanced: bool
    kind: str


@cache
def _element(symbol: str) -> tuple[tuple[int, ...], float]:
    """An element's common and ICSD oxidation states and its Pauling electronegativity
    (NaN when it has none)."""
    element = Element(symbol)
    states = set(element.common_oxidation_states) | set(element.icsd_oxidation_states)
    with warnings.catch_warnings():  # pymatgen warns of an element without one (He, Og)
        warnings.simplefilter("ignore", UserWarning)
        return tuple(sorted(states)), float(element.X)


def charge_balance(composition: Composition) -> ChargeVerdict:
    """The charge balance of ``composition`` (module docstring; oxidation states it
    carries are ignored)."""
    elemental = Composition(composition.element_composition).reduced_composition
    symbols = sorted(element.symbol for element in elemental.elements)
    has_anion = bool(ANION_FORMERS.intersection(symbols))
    if len(symbols) == 1:
        return ChargeVerdict(True, ELEMENTAL)
    states, electronegativities = zip(*(_element(symbol) for symbol in symbols))
    whole = integer_composition(elemental)
    if whole is not None:
        counts = [int(whole[symbol]) for symbol in symbols]
        if can_be_neutral(states, electronegativities, counts, PAULING_TOLERANCE):
            return ChargeVerdict(True, IONIC)
    if whole is None or whole != elemental:
        amounts = [elemental[symbol] for symbol in symbols]
        gap = charge_window(states, electronegativities, amounts, PAULING_TOLERANCE)
        if gap is not None and gap <= DOPING_TOLERANCE:
            return ChargeVerdict(True, DOPED)
    if not has_anion:
        return ChargeVerdict(True, INTERMETALLIC)
    if is_metal_rich(elemental):
        return ChargeVerdict(True, METAL_RICH)
    return ChargeVerdict(False, UNBALANCED)


def is_metal_rich(composition: Composition) -> bool:
    """Whether ``composition`` (elements and amounts) is metal-rich (module docstring): every
    element but the anion formers a metal, none of :data:`SALT_FORMERS`, and a positive
    charge left with each metal at its lowest positive state and each anion former at its
    most negative one."""
    charge = 0.0
    for element, amount in composition.items():
        states = _element(element.symbol)[0]
        if element.symbol in ANION_FORMERS:
            charge += amount * min(states, default=0)
        elif not element.is_metal or (element.block == "s" and element.group in SALT_FORMERS):
            return False
        else:
            charge += amount * min((s for s in states if s > 0), default=0)
    return charge > 0

"""Which elements a composition holds: how many, and which of them are radioactive."""

from __future__ import annotations

from collections.abc import Iterable

from pymatgen.core import Composition, Element

RADIOACTIVE = frozenset({"Tc", "Pm"} | {Element.from_Z(z).symbol for z in range(84, 119)})
"""Elements without a stable isotope."""
ALLOWABLE_ACTINIDES = frozenset({"Th", "U"})
"""The radioactive elements a user may allow (``allow_actinides``): long-lived, handled in
ordinary laboratories, and present in known superconductors (UBe13, ThRu2Si2...)."""
DEFAULT_MAX_ELEMENTS = 5
"""Most elements a candidate may hold: past five, a synthesis and a single phase grow
unlikely (the cuprates with five are the exception, not the rule)."""


def n_elements(composition: Composition) -> int:
    """Distinct elements of ``composition`` (oxidation states ignored)."""
    return len({element.symbol for element in composition.elements})


def radioactive_elements(composition: Composition, allowed: Iterable[str] = ()) -> list[str]:
    """The radioactive elements of ``composition``, sorted, but those ``allowed``."""
    allowed = frozenset(allowed)
    present = {element.symbol for element in composition.elements}
    return sorted(present & (RADIOACTIVE - allowed))

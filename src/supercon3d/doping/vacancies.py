"""How many anion vacancies a host takes while its oxidation states stay known: the redox
window.

Emptying a share x of an anion's sites removes that share of the anion's negative charge, and
the cations must give it up: their mean oxidation states fall. The window keeps every cation's
mean state at or above its lowest usual state (pymatgen's element data), the anions keeping
theirs: for a d-block cation the lowest of its common and ICSD states (Cu 1, Ni 1, Fe 2), for
any other the lowest common state (La and Y 3, Ba 2, Tl 1: the ICSD's La²⁺ of LaI₂ is no
state of an oxide). For YBa₂Cu₃O₆.₈₅ the three Cu may fall from a mean of 2.23 to 1, which
allows x ≤ 0.27 of the O sites: 30 % (≈ O₄.₈, mean Cu 0.86) is outside; La₂CuO₄ takes
x ≤ 1/8. A host whose states are unknown takes no vacancy.
"""

from __future__ import annotations

from pymatgen.core import Composition, Element


def lowest_cation_state(element: str) -> int | None:
    """The lowest positive oxidation state ``element`` usually takes (module docstring), or
    None when it has none."""
    found = Element(element)
    states = set(found.common_oxidation_states)
    if found.block == "d":
        states |= set(found.icsd_oxidation_states)
    positive = [state for state in states if state > 0]
    return min(positive) if positive else None


def max_vacancy_fraction(
    composition: Composition, states: dict[str, float] | None, anion: str
) -> float:
    """The largest share of ``anion``'s sites that can be empty with every cation's mean
    oxidation state at or above its lowest usual state (module docstring); 0 when the states
    are unknown, ``anion`` is not an anion, or a cation has no positive state."""
    if states is None or states.get(anion, 0) >= 0:
        return 0.0
    anion_charge = sum(
        -composition[element] * charge for element, charge in states.items() if charge < 0
    )
    lowest = 0.0
    for element, charge in states.items():
        if charge <= 0:
            continue
        floor = lowest_cation_state(element)
        if floor is None:
            return 0.0
        lowest += composition[element] * min(floor, charge)
    removable = -states[anion] * composition[anion]
    return max(0.0, min(1.0, (anion_charge - lowest) / removable))

"""Chemical family of a superconductor and a high-pressure-hydride flag, by rules over the
composition alone (element-level amounts; deuterium and tritium count as hydrogen).

Families, first matching rule wins:

1. **cuprate**: copper and oxygen, with at least :data:`CUPRATE_MIN_O_PER_CU` oxygen atoms
   per copper atom (CuO2 planes need about 2; a copper-doped oxide has far more).
2. **iron-based**: iron with a pnictogen or chalcogen (:data:`IRON_PARTNERS`) and at least
   :data:`IRON_MIN_FE_PER_PARTNER` iron atoms per partner atom (the FeAs / FeSe layers have
   1; skutterudites such as LaFe4P12 have 1/3 and are not iron-based superconductors).
3. **hydride**: hydrogen at an atomic fraction of at least :data:`HYDRIDE_MIN_H_FRACTION`,
   not bound in molecules of an organic salt or fulleride (at least
   :data:`ORGANIC_MIN_C_PER_H` carbon atoms per hydrogen atom) nor in water or hydroxide
   (at least :data:`HYDRATE_MIN_O_PER_H` oxygen atoms per hydrogen atom, e.g. hydrated
   sodium cobaltate).
4. **heavy-fermion**: an f-block element (lanthanide or actinide, :data:`F_BLOCK`) in a
   compound of at least two elements without a chalcogen, halogen or carbon-only partner
   (:data:`NON_INTERMETALLIC`). This follows the SuperCon convention that SuperCon3D's
   ``heavy-Fermion`` label comes from: rare-earth and actinide intermetallics, La, Lu and Th
   compounds included although their f shell is empty or full. Whether a compound really
   has heavy quasiparticles is physics that no composition rule decides.
5. **other**: everything else.

:func:`is_high_pressure_hydride` flags compositions that look like the superhydrides that
superconduct only under 100–250 GPa (H3S, LaH10, YH6, CaH6, (La,Y)H10, ...): hydrides
(rule 3) with at least :data:`SUPERHYDRIDE_MIN_H_PER_ATOM` hydrogen atoms per other atom, or
hydrides whose other elements are all p-block elements or beryllium
(:data:`COVALENT_HYDRIDE_PARTNERS`), which are molecular or covalent insulators at ambient
pressure (H2S, H3S, HCl, SiH4, BiH3, ...). Ordinary metal hydrides (PdH, NbH, TiH2, LaH2,
YH3, Th4H15 with 3.75 H per Th) stay unflagged, as do hydrogen in cuprates, iron pnictides,
hydrates and organic salts. Ternary superhydrides with exactly 3 H per other atom (MgSiH6,
CrH3 under pressure) are missed: 3 per atom is also where ambient trihydrides sit.
"""

from __future__ import annotations

from typing import Literal, get_args

from pymatgen.core import Composition, Element

Family = Literal["cuprate", "iron-based", "heavy-fermion", "hydride", "other"]
FAMILIES: tuple[str, ...] = get_args(Family)

CUPRATE_MIN_O_PER_CU = 0.5
IRON_PARTNERS = frozenset({"As", "P", "S", "Se", "Te"})
IRON_MIN_FE_PER_PARTNER = 0.4
HYDRIDE_MIN_H_FRACTION = 0.1
ORGANIC_MIN_C_PER_H = 0.5
HYDRATE_MIN_O_PER_H = 0.5
F_BLOCK = frozenset(
    str(Element.from_Z(z)) for z in (*range(57, 72), *range(89, 104))
)  # La–Lu and Ac–Lr
NON_INTERMETALLIC = frozenset({"O", "S", "Se", "Te", "F", "Cl", "Br", "I"})
SUPERHYDRIDE_MIN_H_PER_ATOM = 4.0
COVALENT_HYDRIDE_PARTNERS = frozenset(
    {"Be", "B", "C", "N", "Al", "Si", "P", "S", "Cl", "Ga", "Ge", "As", "Se", "Br"}
    | {"In", "Sn", "Sb", "Te", "I", "Tl", "Pb", "Bi", "Po", "At"}
)


def _amounts(composition: Composition) -> dict[str, float]:
    """Element symbol → amount (atoms per formula), hydrogen isotopes merged into H."""
    return {str(el): float(x) for el, x in composition.element_composition.items() if x > 0}


def _is_cuprate(amounts: dict[str, float]) -> bool:
    return "Cu" in amounts and amounts.get("O", 0.0) >= CUPRATE_MIN_O_PER_CU * amounts["Cu"]


def _is_iron_based(amounts: dict[str, float]) -> bool:
    partners = sum(amounts.get(el, 0.0) for el in IRON_PARTNERS)
    return "Fe" in amounts and partners > 0 and amounts["Fe"] >= IRON_MIN_FE_PER_PARTNER * partners


def _is_hydride(amounts: dict[str, float]) -> bool:
    hydrogen = amounts.get("H", 0.0)
    if hydrogen < HYDRIDE_MIN_H_FRACTION * sum(amounts.values()):
        return False
    organic = amounts.get("C", 0.0) >= ORGANIC_MIN_C_PER_H * hydrogen
    hydrate = amounts.get("O", 0.0) >= HYDRATE_MIN_O_PER_H * hydrogen
    return not (organic or hydrate)


def _is_heavy_fermion(amounts: dict[str, float]) -> bool:
    elements = set(amounts)
    return (
        len(elements) >= 2
        and bool(elements & F_BLOCK)
        and not elements & NON_INTERMETALLIC
        and elements != {"C"} | (elements & F_BLOCK)
    )


def chemical_family(composition: Composition) -> Family:
    """The chemical family of a composition: cuprate, iron-based, hydride, heavy-fermion or
    other (see the module docstring for the rules and thresholds)."""
    amounts = _amounts(composition)
    if _is_cuprate(amounts):
        return "cuprate"
    if _is_iron_based(amounts):
        return "iron-based"
    if _is_hydride(amounts):
        return "hydride"
    if _is_heavy_fermion(amounts):
        return "heavy-fermion"
    return "other"


def is_high_pressure_hydride(composition: Composition) -> bool:
    """True when the composition looks like a superhydride measured at 100–250 GPa: a hydride
    (not cuprate or iron-based) with at least :data:`SUPERHYDRIDE_MIN_H_PER_ATOM` H atoms per
    other atom, or one whose other elements are all :data:`COVALENT_HYDRIDE_PARTNERS`."""
    amounts = _amounts(composition)
    if chemical_family(composition) != "hydride":
        return False
    hydrogen = amounts.pop("H")
    if not amounts:
        return False
    dense = hydrogen >= SUPERHYDRIDE_MIN_H_PER_ATOM * sum(amounts.values())
    return dense or set(amounts) <= COVALENT_HYDRIDE_PARTNERS

"""Compounds that SuperCon lists with a Tc although they superconduct only under pressure.

SuperCon has no pressure column: a compound that superconducts only in a high-pressure phase
(or only once a pressure suppresses its magnetic order) is listed beside the ambient
superconductors, and a model trained on those labels learns that GaAs superconducts. The
elements are handled by pymatgen's ambient element data (see
:mod:`supercon3d.training.superconductor_data`); :data:`PRESSURE_ONLY_SUPERCONDUCTORS` lists
the compounds, each with its source, that the SuperCon tables in the data folder
(``supercon_stanev2018``, ``supercon_11949``) give a Tc above 0 K. They are labelled not
superconducting at ambient pressure. Compounds that superconduct at ambient pressure once
doped (CuxBi2Se3, Tl-doped PbTe) are other compositions and keep their labels.

The III–V semiconductors are listed for their ambient band gap (at 300 K): an undoped
semiconductor has no Fermi surface to pair, so a Tc listed for its exact composition belongs
to a metallic high-pressure phase (β-Sn / Cmcm / rock-salt types above 2–25 GPa).
"""

from __future__ import annotations

from pymatgen.core import Composition

from supercon3d.data.composition import composition_key

PRESSURE_ONLY_SUPERCONDUCTORS: dict[str, str] = {
    "GaAs": "semiconductor at ambient pressure (zinc blende, gap 1.42 eV)",
    "GaP": "semiconductor at ambient pressure (zinc blende, gap 2.26 eV)",
    "GaSb": "semiconductor at ambient pressure (zinc blende, gap 0.73 eV)",
    "InSb": "semiconductor at ambient pressure (zinc blende, gap 0.17 eV)",
    "AlSb": "semiconductor at ambient pressure (zinc blende, gap 1.6 eV)",
    "CsI": (
        "ionic insulator; metallic and superconducting near 180 GPa"
        " (Eremets et al., Science 281, 1333 (1998))"
    ),
    "Bi2Te3": "superconducts above about 3 GPa (Zhang et al., PNAS 108, 24 (2011))",
    "Bi2Se3": "superconducts above about 11 GPa (Kirshenbaum et al., PRL 111, 087001 (2013))",
    "Sb2Te3": "superconducts above about 4 GPa (Zhu et al., Sci. Rep. 3, 2016 (2013))",
    "CrAs": "superconducts near 0.8 GPa (Wu et al., Nat. Commun. 5, 5508 (2014))",
    "CeIn3": "antiferromagnet; superconducts near 2.5 GPa (Mathur et al., Nature 394, 39 (1998))",
    "CePd2Si2": (
        "antiferromagnet; superconducts near 2.8 GPa (Mathur et al., Nature 394, 39 (1998))"
    ),
    "CeRh2Si2": (
        "antiferromagnet; superconducts near 0.9 GPa (Movshovich et al., PRB 53, 8241 (1996))"
    ),
    "CeRhIn5": "antiferromagnet; superconducts above 1.6 GPa (Hegger et al., PRL 84, 4986 (2000))",
    "CeCu2Ge2": (
        "antiferromagnet; superconducts near 10 GPa (Jaccard et al., Phys. Lett. A 163, 475 (1992))"
    ),
    "UGe2": (
        "ferromagnet; superconducts between 1 and 1.6 GPa (Saxena et al., Nature 406, 587 (2000))"
    ),
}
"""Reduced formula → why its SuperCon Tc is not an ambient-pressure one (and the source)."""

_PRESSURE_ONLY_KEYS = frozenset(
    composition_key(Composition(formula)) for formula in PRESSURE_ONLY_SUPERCONDUCTORS
)


def is_pressure_only_superconductor(composition: Composition) -> bool:
    """Whether the composition (by its composition key) is one of
    :data:`PRESSURE_ONLY_SUPERCONDUCTORS`."""
    return composition_key(composition) in _PRESSURE_ONLY_KEYS

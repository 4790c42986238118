"""A chemist's first checks of a crystal, cheap enough to run on every structure a screen or
a discovery run meets: charge balance under common oxidation states
(:mod:`~supercon3d.chemistry.charge`, on :mod:`~supercon3d.chemistry.oxidation`), the number
of elements and the radioactive ones (:mod:`~supercon3d.chemistry.elements`), molecular
(zero-dimensional) structures (:mod:`~supercon3d.chemistry.molecular`), the space group of a
symmetrised structure (:mod:`~supercon3d.chemistry.symmetry`), and all of them at once
(:mod:`~supercon3d.chemistry.profile`).

The lowest layer of the package: it imports only :mod:`supercon3d.data`, pymatgen, SMACT and
spglib."""

from supercon3d.chemistry.charge import ChargeVerdict, charge_balance
from supercon3d.chemistry.elements import (
    ALLOWABLE_ACTINIDES,
    RADIOACTIVE,
    n_elements,
    radioactive_elements,
)
from supercon3d.chemistry.molecular import is_molecular
from supercon3d.chemistry.profile import ChemistryProfile, chemistry_profile
from supercon3d.chemistry.symmetry import SYMPREC, Symmetrised, space_group, symmetrise

__all__ = [
    "ALLOWABLE_ACTINIDES",
    "RADIOACTIVE",
    "SYMPREC",
    "ChargeVerdict",
    "ChemistryProfile",
    "Symmetrised",
    "charge_balance",
    "chemistry_profile",
    "is_molecular",
    "n_elements",
    "radioactive_elements",
    "space_group",
    "symmetrise",
]

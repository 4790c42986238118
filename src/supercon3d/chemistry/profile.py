"""Every check of :mod:`supercon3d.chemistry` on one structure, for a table's columns."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pymatgen.core import Structure

from supercon3d.chemistry.charge import charge_balance
from supercon3d.chemistry.elements import n_elements, radioactive_elements
from supercon3d.chemistry.molecular import is_molecular


@dataclass(frozen=True)
class ChemistryProfile:
    """``charge_balanced`` and its ``charge_kind`` (:mod:`~supercon3d.chemistry.charge`),
    ``n_elements``, the ``radioactive`` elements present (sorted, none allowed) and whether
    the structure is ``molecular`` (:mod:`~supercon3d.chemistry.molecular`)."""

    charge_balanced: bool
    charge_kind: str
    n_elements: int
    radioactive: tuple[str, ...]
    molecular: bool

    def columns(self) -> dict:
        """The table columns (``radioactive`` as space-separated symbols)."""
        row = asdict(self)
        row["radioactive"] = " ".join(self.radioactive)
        return row


def chemistry_profile(structure: Structure) -> ChemistryProfile:
    """The :class:`ChemistryProfile` of ``structure``."""
    composition = structure.composition
    verdict = charge_balance(composition)
    return ChemistryProfile(
        verdict.charge_balanced, verdict.kind, n_elements(composition),
        tuple(radioactive_elements(composition)), is_molecular(structure),
    )  # fmt: skip

"""What the literature already reports about a composition: a known superconductor, a known
non-superconductor, related superconductors in the same chemical system, an entry of SuperCon3D.

Sources (all read in place from the data folder): the SuperCon formula tables
``supercon_11949`` (superconductors) and ``supercon_stanev2018`` (Tc = 0 marks a measured
non-superconductor), and SuperCon3D's ``tc.csv`` (its ``cf`` formulas and Tc, which adds the
hydrides taken from the literature). A composition's reported Tc is the median over all
superconducting rows with its key. Compositions are
compared by :func:`~supercon3d.data.composition.composition_key` (reduced fractions rounded to
three decimals), never by formula strings.

*Related* superconductors are the other superconducting compositions with the same element
set: the "parent compound" column of the paper's screening table (a doped relative of a
candidate, or the parent a doped candidate comes from).
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from pymatgen.core import Composition

from supercon3d.data.composition import CompositionKey, composition_key, parse_formula
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.data.tables import load_supercon_formulas, tc_by_key

ElementSet = frozenset[str]


@dataclass(frozen=True)
class KnownMatch:
    """What is reported for one composition.

    ``reported_tc_kelvin``: median reported Tc (K) of the superconducting entries with the same
    reduced composition (None when there is none); ``reported_non_superconductor``: SuperCon
    lists the composition with Tc = 0 and never as a superconductor. ``related_count`` /
    ``related_best_tc_kelvin``: other superconducting compositions with the same element set
    and the highest of their reported Tc (K); ``related_superconductors`` says both in words
    (``"12 (best 93 K)"``, empty when there are none)."""

    known_superconductor: bool
    reported_tc_kelvin: float | None
    reported_non_superconductor: bool
    related_count: int
    related_best_tc_kelvin: float | None
    in_supercon3d: bool

    @property
    def related_superconductors(self) -> str:
        """``"<count> (best <Tc> K)"``, or ``""`` without related superconductors."""
        if not self.related_count:
            return ""
        return f"{self.related_count} (best {self.related_best_tc_kelvin:.3g} K)"


def element_set(key: CompositionKey) -> ElementSet:
    """The elements of a composition key."""
    return frozenset(element for element, _ in key)


class KnownSuperconductors:
    """Look-ups of reported superconductors by composition; build with :meth:`load`."""

    def __init__(
        self,
        tc_of: dict[CompositionKey, float],
        non_superconductors: set[CompositionKey],
        supercon3d: set[CompositionKey],
    ):
        self._tc_of = tc_of
        self._non_superconductors = non_superconductors - tc_of.keys()
        self._supercon3d = supercon3d
        self._by_elements: dict[ElementSet, list[float]] = defaultdict(list)
        for key, tc in tc_of.items():
            self._by_elements[element_set(key)].append(tc)

    @classmethod
    def load(cls, data: str | os.PathLike | None = None) -> KnownSuperconductors:
        """The look-up over the data folder's tables (cached per data folder)."""
        return _load(None if data is None else os.fspath(data))

    def __len__(self) -> int:
        """Number of distinct superconducting compositions."""
        return len(self._tc_of)

    def lookup(self, composition: Composition) -> KnownMatch:
        """What is reported for ``composition`` (oxidation states and scale ignored)."""
        key = composition_key(composition)
        tc = self._tc_of.get(key)
        related = list(self._by_elements.get(element_set(key), []))
        if tc is not None:
            related.remove(tc)
        return KnownMatch(
            known_superconductor=tc is not None,
            reported_tc_kelvin=tc,
            reported_non_superconductor=key in self._non_superconductors,
            related_count=len(related),
            related_best_tc_kelvin=max(related) if related else None,
            in_supercon3d=key in self._supercon3d,
        )


@functools.lru_cache(maxsize=2)
def _load(data: str | None) -> KnownSuperconductors:
    stanev = load_supercon_formulas("supercon_stanev2018", data)
    tc_table = read_tc_table(data)
    compositions = [parse_formula(formula) for formula in tc_table["cf"]]
    supercon3d = pd.DataFrame(
        [(composition_key(c), tc) for c, tc in zip(compositions, tc_table["tc"]) if c is not None],
        columns=["key", "tc"],
    )
    reported = pd.concat(
        [
            load_supercon_formulas("supercon_11949", data)[["key", "tc"]],
            stanev.loc[stanev["tc"] > 0, ["key", "tc"]],
            supercon3d,
        ]
    )
    tc_of = {key: tc for key, (tc, _) in tc_by_key(reported).items()}
    non_superconductors = set(stanev.loc[stanev["tc"] <= 0, "key"])
    return KnownSuperconductors(tc_of, non_superconductors, set(supercon3d["key"]))

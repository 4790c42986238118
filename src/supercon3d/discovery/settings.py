"""What a discovery run does: its sources, thresholds and sizes, with the default and the
``--quick`` presets. Light on purpose (no torch, no pymatgen): the CLI reads the defaults."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Literal

from supercon3d.models.shipped import AMBIENT_MODEL

DEFAULT_E_HULL = 0.1
"""Largest energy above the convex hull (eV/atom) that counts as stable (the 0.1 eV/atom
window of MatterGen's SUN rate)."""
LIKELY_SUPERCONDUCTOR = 0.5
"""P(superconductor) from which a candidate counts as a likely superconductor; the ranking
puts these first (see :mod:`supercon3d.discovery.ranking`)."""
DEFAULT_GENERATE = 200
"""Structures generated from noise when no other source is given. 100 gave 13 stable, novel
candidates with P(SC) >= 0.5 (docs/notebook/benchmarks-2026-11.md, "The default run"); the
issue asks for 20 per default run."""
GENERATOR = "generator"
SUBSTITUTION = "substitution"
BOTH = "both"
StructureSource = Literal["generator", "substitution", "both"]
STRUCTURE_SOURCES: tuple[StructureSource, ...] = (GENERATOR, SUBSTITUTION, BOTH)
"""What makes the run's new structures (``--source``): the generator (from noise, and from
seeds with ``from_seeds``), ionic substitution into known structures
(:mod:`supercon3d.generation.substitution`), or both, which share the structure budget
``generate`` by :data:`SUBSTITUTION_SHARE`: both meet the same later stages, their rates
are per structure made, so they compare within one run, and the run costs what a
one-source run does."""
DEFAULT_SOURCE = BOTH
SUBSTITUTION_SHARE = 0.7
"""Share of the budget ``generate`` that :data:`BOTH` gives the substitution source (the
generator has the rest). Each source gets the budget in proportion to its SUN rate
(stable, unique and novel per structure made) measured on equal budgets in the default
run: substitution 0.50 / 0.57, generator 0.19 / 0.23 (seeds 0 / 1; docs/results.md), so
0.535 / (0.535 + 0.21) = 0.72, rounded down to 0.7 (the two seeds alone give 0.68 to 0.75).
At these rates it would make about 17 % more SUN candidates than halves from the same 200
structures (0.535 x 140 + 0.21 x 60 = 87 against 74) while the generator keeps 60: enough to go on
measuring its rate in every run and to keep the compositions the known structures do not
hold, which substitution cannot make. Allocation in proportion to the measured yields, not
all to the better source, since both rates are estimates from two runs and upper bounds
(the hull's limits)."""
EQUAL_SHARE = 0.5
"""The share that compares the sources on equal budgets (``benchmarks/source_comparison.py
--equal``); runs recorded before the share was a setting used it."""
DEFAULT_SEEDS = 20
"""Seeds optimised with ``--from-seeds`` (each noised to 10 levels: 10 structures a seed)."""
DEFAULT_TOP_ORDERED = 30
DEFAULT_TOP_DISORDERED = 10
DEFAULT_RELAX_STEPS = 100
"""FIRE steps of one relaxation; a run that has not converged by then is flagged."""
DEFAULT_MAX_ELEMENTS = 5
"""Most elements a candidate may hold (the chemist's gates)."""
DEFAULT_SCREEN_ROWS = 50
"""Rows read from a ``supercon3d screen`` database (its best, by its own ranking)."""
DISORDERED_SHORTLIST = 2
"""Doped variants relaxed per disordered slot: the ``top_disordered`` x this best-ranked
ones get the stability estimate, the stable ones fill the table."""

QUICK_GENERATE = 12
QUICK_SEEDS = 2
QUICK_TOP_ORDERED = 4
QUICK_TOP_DISORDERED = 2
QUICK_RELAX_TOP = 6
"""Structures ``--quick`` relaxes: the best six by the candidate ranking that pass the
chemist's gates (relaxed with the default :data:`DEFAULT_RELAX_STEPS`: fewer steps would
leave relaxations unconverged and their energies too high, fewer structures only fewer
candidates)."""
QUICK_GENERATION_STEPS = 250
"""Reverse steps of a full denoising in ``--quick`` (of T = 1000: four times faster)."""


@dataclass(frozen=True)
class DiscoverySettings:
    """A discovery run's settings; a run folder keeps them in ``run.json`` and refuses other
    settings unless forced.

    Sources: ``generate`` structures from noise, ``seeds`` seeds optimised when
    ``from_seeds`` (10 noise levels each), the ``screen_rows`` best rows of the ``screen``
    database, and the CIF files and folders ``cifs``. ``e_hull``: stability window (eV/atom);
    ``top_ordered``, ``top_disordered``: size of each final table; ``relax_steps``: FIRE
    steps per relaxation; ``potential``: the interatomic potential (None: the stability
    module's default); ``include_known``: keep structures that match a known one (novelty is
    then reported, not required); ``generation_steps``: reverse steps of the generator (None:
    its default); ``seed``: random seed of the generator; ``tc_model``: the shipped Tc model
    that scores candidates (default: the ambient-pressure variant, see
    :data:`~supercon3d.models.shipped.AMBIENT_MODEL`). The chemist's gates: at most
    ``max_elements`` elements, no radioactive element but Th and U with ``allow_actinides``
    (charge balance and molecular structures are always judged). ``relax_top``: relax only
    this many of the gated structures, the best-ranked (None: all). ``source``: what makes
    the ``generate`` new structures (:data:`STRUCTURE_SOURCES`; seeds are the generator's);
    ``substitution_share``: the substitution source's share of ``generate`` with
    :data:`BOTH` (:data:`SUBSTITUTION_SHARE`)."""

    generate: int = DEFAULT_GENERATE
    from_seeds: bool = False
    seeds: int = DEFAULT_SEEDS
    screen: str | None = None
    screen_rows: int = DEFAULT_SCREEN_ROWS
    cifs: tuple[str, ...] = ()
    e_hull: float = DEFAULT_E_HULL
    top_ordered: int = DEFAULT_TOP_ORDERED
    top_disordered: int = DEFAULT_TOP_DISORDERED
    relax_steps: int = DEFAULT_RELAX_STEPS
    potential: str | None = None
    include_known: bool = False
    generation_steps: int | None = None
    seed: int = 0
    tc_model: str = AMBIENT_MODEL
    max_elements: int = DEFAULT_MAX_ELEMENTS
    allow_actinides: bool = False
    relax_top: int | None = None
    source: str = DEFAULT_SOURCE
    substitution_share: float = SUBSTITUTION_SHARE

    def __post_init__(self) -> None:
        if self.source not in STRUCTURE_SOURCES:
            raise ValueError(
                f"source {self.source!r}: choose one of {', '.join(STRUCTURE_SOURCES)}"
            )
        if not 0 < self.substitution_share < 1:
            raise ValueError(
                f"substitution share {self.substitution_share}: expected between 0 and 1"
            )

    def structure_budget(self) -> dict[str, int]:
        """Structures each source makes, by name (:data:`GENERATOR`,
        :data:`SUBSTITUTION`): all of ``generate`` for one source; for :data:`BOTH`,
        ``substitution_share`` of it (rounded half up) to substitution and the rest to the
        generator, each at least one structure from a budget of two."""
        if self.source == GENERATOR:
            return {GENERATOR: self.generate, SUBSTITUTION: 0}
        if self.source == SUBSTITUTION:
            return {GENERATOR: 0, SUBSTITUTION: self.generate}
        substitution = int(self.generate * self.substitution_share + 0.5)
        if self.generate >= 2:
            substitution = min(max(substitution, 1), self.generate - 1)
        return {GENERATOR: self.generate - substitution, SUBSTITUTION: substitution}

    def replace(self, **changes: object) -> DiscoverySettings:
        """A copy with ``changes``; CIF paths are kept as absolute text."""
        if "cifs" in changes:
            changes["cifs"] = tuple(os.path.abspath(path) for path in changes["cifs"])
        if changes.get("screen") is not None:
            changes["screen"] = os.path.abspath(changes["screen"])
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The JSON record (lists for tuples)."""
        record = dataclasses.asdict(self)
        record["cifs"] = list(self.cifs)
        return record

    @classmethod
    def from_dict(cls, record: dict) -> DiscoverySettings:
        """The settings of a JSON record; a :data:`BOTH` record without
        ``substitution_share`` (written before it was a setting) split the budget in halves
        (:data:`EQUAL_SHARE`)."""
        fields = {field.name for field in dataclasses.fields(cls)}
        known = {key: value for key, value in record.items() if key in fields}
        known["cifs"] = tuple(known.get("cifs", ()))
        if known.get("source", DEFAULT_SOURCE) == BOTH:
            known.setdefault("substitution_share", EQUAL_SHARE)
        return cls(**known)

    def changes_from(self, other: DiscoverySettings) -> list[str]:
        """The settings that differ, as ``name: old → new``."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{key}: {theirs[key]} → {mine[key]}" for key in mine if mine[key] != theirs[key]]


QUICK = DiscoverySettings(
    generate=QUICK_GENERATE,
    seeds=QUICK_SEEDS,
    top_ordered=QUICK_TOP_ORDERED,
    top_disordered=QUICK_TOP_DISORDERED,
    relax_top=QUICK_RELAX_TOP,
    generation_steps=QUICK_GENERATION_STEPS,
)
"""The ``--quick`` preset: a few minutes on two cores."""
DEFAULT = DiscoverySettings()


def resolve_settings(
    quick: bool = False,
    generate: int | None = None,
    cifs: tuple[str, ...] | list[str] = (),
    screen: str | os.PathLike | None = None,
    **given: object,
) -> DiscoverySettings:
    """The preset (``quick`` or default) with the ``given`` options (None: the preset's).
    Without ``generate``, the preset's structures are generated only when neither CIFs, a
    screen database nor seeds are given."""
    base = QUICK if quick else DEFAULT
    other_source = bool(cifs) or screen is not None or bool(given.get("from_seeds"))
    if generate is None:
        generate = 0 if other_source else base.generate
    changes = {key: value for key, value in given.items() if value is not None}
    screen_path = None if screen is None else str(screen)
    return base.replace(generate=generate, cifs=tuple(map(str, cifs)), screen=screen_path,
                        **changes)  # fmt: skip

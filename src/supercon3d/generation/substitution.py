"""Ionic substitution: new compounds in the crystal structures of known ones, the baseline a
generator has to beat (the data-mined substitutions of Hautier et al. 2011, as GNoME and
MatterGen use for their baselines).

Parents are the generator's structure corpus (:mod:`supercon3d.generation.corpus`): the
ordered primitive cells of SuperCon3D's training split, the Materials Project structures and
the non-doped 3DSC structures, at most ``max_atoms`` atoms, so the substitution source and the
generator start from the same crystals. Each parent's ions get oxidation states (pymatgen's
most likely charge-balanced guess; an intermetallic without one takes each element's first
positive common state, as a measure of chemical likeness only). A *substitution* replaces
every atom of one element by one other element whose ion pymatgen's substitution model
(:class:`~pymatgen.analysis.structure_prediction.substitution_probability.SubstitutionProbability`)
finds a likely substitute: conditional probability at least :data:`MIN_PROBABILITY`, the same
oxidation state (a single-site swap keeps the parent's charge balance only so) and a metal
for a metal, a non-metal for a non-metal (an intermetallic's stand-in states would otherwise
let Rb replace B). The new element must be absent from the parent and not radioactive; the
cell is rescaled to the new ions' radii (:func:`substituted_structure`).

A substitution is kept when its composition is charge-balanced
(:func:`supercon3d.chemistry.charge_balance`, intermetallics pass as elsewhere), reported
nowhere in the data folder (:class:`~supercon3d.data.known.KnownCompositions`) and its key
(reduced formula, space-group number at :data:`~supercon3d.chemistry.SYMPREC`) is new among
those kept. Substitutions are drawn parent by parent in a seeded random order, one per parent
a round, each parent's in a seeded random order weighted by probability
(:func:`drawn_substitutions`): every structure type gets its turn before any gets a second
substitution, and the same seed and data folder give the same structures in the same order.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from pymatgen.core import Composition, Element, Species, Structure

from supercon3d.chemistry import RADIOACTIVE, charge_balance, space_group
from supercon3d.chemistry.oxidation import integer_composition
from supercon3d.data.known import KnownCompositions
from supercon3d.generation.corpus import CorpusSettings, load_or_build_corpus
from supercon3d.progress import ProgressFactory, no_progress

MIN_PROBABILITY = 0.01
"""Smallest conditional probability P(new ion | old ion) of pymatgen's substitution model
for a substitution to be considered (its structure predictor's default threshold, 0.001, is
for a whole set of substitutions; 0.01 keeps, per ion, the handful of substitutes a chemist
would name first: Ba²⁺, Ca²⁺, Pb²⁺ for Sr²⁺)."""
MAX_ELEMENTS_GUESSED = 6
"""Parents with more elements than this are skipped (pymatgen's oxidation-state guess grows
combinatorially with them)."""
PROPERTY_KEYS = ("parent", "parent_source", "parent_formula", "substitution", "probability")
"""The keys each substituted structure carries in ``Structure.properties``."""


@dataclass(frozen=True)
class Substitution:
    """One candidate substitution: every atom of ``old``'s element in the parent structure
    (its position in the parents' list) becomes ``new``'s element, with the model's
    conditional ``probability`` P(new ion | old ion)."""

    parent: int
    old: Species
    new: Species
    probability: float

    @property
    def label(self) -> str:
        """``"Sr->Ba"``."""
        return f"{self.old.symbol}->{self.new.symbol}"


@cache
def _model():
    from pymatgen.analysis.structure_prediction.substitution_probability import (
        SubstitutionProbability,
    )

    return SubstitutionProbability()


def _alike(ion: Species, other: Species) -> bool:
    """Whether ``other`` may replace ``ion`` on its own: the same oxidation state (the
    parent's charge balance is kept) and both metals or both not."""
    return other.oxi_state == ion.oxi_state and other.element.is_metal == ion.element.is_metal


@cache
def substitutes(ion: Species) -> tuple[tuple[Species, float], ...]:
    """The ions the substitution model finds likely in place of ``ion`` (:func:`_alike` to
    it), one per element, with P(substitute | ion), most likely first; radioactive elements
    and the ion's own element left out. Empty for an ion the model does not know."""
    model = _model()
    if ion not in model.species:
        return ()
    best: dict[str, tuple[Species, float]] = {}
    for other in model.species:
        symbol = other.symbol
        if symbol == ion.symbol or symbol in RADIOACTIVE or not _alike(ion, other):
            continue
        probability = model.cond_prob(other, ion)
        if probability >= MIN_PROBABILITY and probability > best.get(symbol, (other, 0.0))[1]:
            best[symbol] = other, probability
    return tuple(sorted(best.values(), key=lambda item: (-item[1], str(item[0]))))


def _fallback_state(element: Element) -> int:
    """An element's first positive common oxidation state (else its first common one, else
    0): the ion that stands for it in an intermetallic."""
    states = element.common_oxidation_states
    return next((state for state in states if state > 0), states[0] if states else 0)


@cache
def ions(formula: str) -> dict[str, Species]:
    """The ion of each element of the reduced ``formula``: pymatgen's most likely
    charge-balanced oxidation states, else (an intermetallic) :func:`_fallback_state`."""
    composition = Composition(formula)
    whole = integer_composition(composition)
    guesses = ()
    if whole is not None and len(composition) <= MAX_ELEMENTS_GUESSED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            guesses = whole.oxi_state_guesses(max_sites=-1)
    states = dict(guesses[0]) if guesses else {}
    return {
        element.symbol: Species(
            element.symbol, states.get(element.symbol, _fallback_state(element))
        )
        for element in composition.elements
    }


def substitutions_of(index: int, structure: Structure) -> list[Substitution]:
    """Every single-element substitution of ``structure`` (module docstring), ``index``
    naming it as parent, in ion order: not yet checked for balance, novelty or duplicates."""
    present = {element.symbol for element in structure.composition.elements}
    return [
        Substitution(index, ion, new, probability)
        for ion in ions(structure.composition.reduced_formula).values()
        for new, probability in substitutes(ion)
        if new.symbol not in present
    ]


def weighted_order(weights: np.ndarray, seed: int | Sequence[int]) -> np.ndarray:
    """Indices of ``weights`` in a random order drawn without replacement, each next item
    chosen with probability proportional to its weight (Efraimidis and Spirakis: sort by
    log(u) / w, u uniform on (0, 1)), seeded."""
    u = np.random.default_rng(seed).random(len(weights))
    keys = np.log(np.clip(u, np.finfo(float).tiny, None)) / weights
    return np.argsort(-keys, kind="stable")


def drawn_substitutions(parents: Sequence[Structure], seed: int) -> Iterator[Substitution]:
    """The substitutions of ``parents`` in the order they are tried: the parents in a seeded
    random order, in rounds: the first round takes each parent's first substitution of its
    own seeded weighted order (:func:`weighted_order`, weights = probabilities), the second
    round each one's second, and so on. A parent's substitutions are listed when it is first
    met, so a small ``count`` reads few parents."""
    order = np.random.default_rng(seed).permutation(len(parents))
    ranked: dict[int, list[Substitution]] = {}
    depth = 0
    while True:
        found = False
        for index in map(int, order):
            if index not in ranked:
                listed = substitutions_of(index, parents[index])
                weights = np.array([s.probability for s in listed])
                ranked[index] = [listed[i] for i in weighted_order(weights, (seed, index))]
            if depth < len(ranked[index]):
                found = True
                yield ranked[index][depth]
        if not found:
            return
        depth += 1


def substituted_composition(parent: Composition, old: str, new: str) -> Composition:
    """``parent`` with every ``old`` atom replaced by ``new`` (elements only)."""
    amounts = {str(el): x for el, x in parent.element_composition.items()}
    amounts[new] = amounts.pop(old)
    return Composition(amounts)


def _radius(ion: Species) -> float | None:
    """The ionic radius (Å) of ``ion``, else its element's atomic radius, else None."""
    with warnings.catch_warnings():  # pymatgen warns of an ion without a tabulated radius
        warnings.simplefilter("ignore")
        radius = ion.ionic_radius if ion.oxi_state else None
        radius = radius or ion.element.atomic_radius
    return float(radius) if radius else None


def substituted_structure(parent: Structure, old: Species, new: Species) -> Structure:
    """``parent`` with every atom of ``old``'s element replaced by ``new``'s, the cell scaled
    by the cube of the radius ratio new / old (ionic radii, else atomic; unscaled when
    either is unknown), weighted by the share of the cell's atoms replaced."""
    structure = parent.copy()
    replaced = structure.composition.element_composition[old.symbol] / len(structure)
    structure.replace_species({old.element: new.element})
    old_radius, new_radius = _radius(old), _radius(new)
    if old_radius and new_radius:
        factor = 1.0 + replaced * ((new_radius / old_radius) ** 3 - 1.0)
        structure.scale_lattice(structure.volume * factor)
    return structure


def _kept(
    parents: Sequence[Structure],
    drawn: Iterator[Substitution],
    known: KnownCompositions,
) -> Iterator[tuple[Substitution, Structure]]:
    """The drawn substitutions that pass the checks (module docstring), with their
    structures, in the order drawn."""
    seen: set[tuple[str, int | None]] = set()
    for substitution in drawn:
        parent = parents[substitution.parent]
        composition = substituted_composition(
            parent.composition, substitution.old.symbol, substitution.new.symbol
        )
        if known.sources(composition) or not charge_balance(composition).charge_balanced:
            continue
        structure = substituted_structure(parent, substitution.old, substitution.new)
        key = (composition.reduced_formula, space_group(structure)[1])
        if key in seen:
            continue
        seen.add(key)
        yield substitution, structure


def substitute_structures(
    count: int,
    *,
    seed: int,
    max_atoms: int = CorpusSettings().max_atoms,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
) -> list[Structure]:
    """``count`` new structures by ionic substitution into the corpus structures of at most
    ``max_atoms`` atoms (the corpus of the generator's default cap, or of ``max_atoms`` when
    larger; fewer structures when the candidates run out), drawn with ``seed`` (module
    docstring). Each carries in ``properties`` the :data:`PROPERTY_KEYS`: the parent's
    corpus ``id``, its ``parent_source`` (supercon3d, mp, 3dsc) and ``parent_formula``,
    the ``substitution`` (``"Sr->Ba"``) and its ``probability``."""
    if count < 0:
        raise ValueError(f"count must be at least 0, got {count}")
    settings = CorpusSettings(max_atoms=max(max_atoms, CorpusSettings().max_atoms))
    with progress("structure corpus (built once, then cached)", 0):
        corpus = load_or_build_corpus(settings, data=data)
    small = [i for i, structure in enumerate(corpus.structures) if len(structure) <= max_atoms]
    parents = [corpus.structures[i] for i in small]
    known = KnownCompositions.load(data)
    made: list[Structure] = []
    if count == 0:
        return made
    with progress(f"substituting into {len(parents)} parents", count) as advance:
        for substitution, structure in _kept(parents, drawn_substitutions(parents, seed), known):
            parent = small[substitution.parent]
            structure.properties = {
                "parent": corpus.ids[parent],
                "parent_source": corpus.sources[parent],
                "parent_formula": corpus.structures[parent].composition.reduced_formula,
                "substitution": substitution.label,
                "probability": substitution.probability,
            }
            made.append(structure)
            advance(1)
            if len(made) == count:
                break
    return made

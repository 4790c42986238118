"""The stages of a discovery run, one function each: take the earlier stages' results, return
this stage's :class:`~supercon3d.discovery.stages.StageResult` (kept candidates, dropped ones
with the reason). Order and names: :data:`STAGES`."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition, Structure

from supercon3d.chemistry.elements import ALLOWABLE_ACTINIDES
from supercon3d.data.known import MOLECULE, KnownCompositions, KnownSuperconductors
from supercon3d.discovery import sources
from supercon3d.discovery.candidates import (
    CHEMISTRY_COLUMNS,
    STABILITY_COLUMNS,
    ranked,
    with_known,
    with_predictions,
)
from supercon3d.discovery.settings import DISORDERED_SHORTLIST, DiscoverySettings
from supercon3d.discovery.stages import Dropped, StageResult
from supercon3d.progress import Log, ProgressFactory

ORDERED_CLASS = "O"
NO_PREDICTION = "no Tc prediction (graph not built)"
OUTSIDE_POTENTIAL = "element outside the potential"
OUTSIDE_POTENTIAL_MARK = "training set"
"""How the stability record's error says an element is outside the potential."""
RELAXATION_FAILED = "relaxation failed"
NO_HULL = "no reference hull for its elements"
HULL_INCOMPLETE = "hull incomplete (no competing phase in the reference)"
ABOVE_HULL = "above the hull"
NOT_CONVERGED = "relaxation not converged"
"""Above the window when the step limit stopped the relaxation: no verdict (its energy is an
upper bound), kept apart from a measured "above the hull"."""
NOT_RELAXED = "below the relaxation shortlist"
NOT_BALANCED = "not charge-balanced (common oxidation states)"
TOO_MANY_ELEMENTS = "too many elements"
RADIOACTIVE = "radioactive element"
MOLECULAR = "molecular (finite clusters, no extended solid)"
UNCHECKED = "the chemist's checks failed"
DUPLICATE = "duplicate of another candidate (StructureMatcher)"
KNOWN_STRUCTURE = "matches a known structure (not novel)"
KNOWN_COMPOSITION = "composition already reported (not novel)"
KNOWN_MOLECULE = "a known molecule (not novel)"
HYDRIDE = "high-pressure hydride (reported separately)"
BELOW_TOP = "below the top-k"
NOT_SHORTLISTED = "below the stability shortlist"
NO_VARIANT = "no doped variant"
VARIANT_COLUMNS = [
    "id", "source", "origin", "formula", "parent", "doping", "dopant", "host", "fraction",
    "carriers", "radius_mismatch",
]  # fmt: skip


@dataclass
class RunContext:
    """What every stage reads: the run folder, settings, data folder and callbacks. The
    novelty reference and the literature look-ups load on first use."""

    out: Path
    settings: DiscoverySettings
    data: str | os.PathLike | None
    progress: ProgressFactory
    log: Log
    potential: str = ""
    results: dict[str, StageResult] = field(default_factory=dict)

    @cached_property
    def novelty_reference(self) -> list[Structure]:
        """The structures a novel candidate must differ from (as ``supercon3d generate``
        judges novelty: the corpus's training part and the SuperCon3D ordered training
        split)."""
        from supercon3d.generation.workflow import load_corpus, novelty_reference

        return novelty_reference(load_corpus(self.data, progress=self.progress), self.data)

    @cached_property
    def known(self) -> KnownSuperconductors:
        return KnownSuperconductors.load(self.data)

    @cached_property
    def known_compositions(self) -> KnownCompositions:
        """Which sources of the data folder hold a composition (novelty: new to them)."""
        return KnownCompositions.load(self.data)


def _result(name: str, table: pd.DataFrame, structures: dict, dropped: list, n_in: int):
    kept = {candidate: structures[candidate] for candidate in table["id"]}
    return StageResult(name, table.reset_index(drop=True), kept, dropped, n_in)


def _where(table: pd.DataFrame, mask: Sequence[bool]) -> pd.DataFrame:
    """The rows of ``table`` where ``mask`` is True (columns kept when it is empty)."""
    return table.loc[np.asarray(mask, dtype=bool)]


def _number(value: object) -> float:
    """``value`` as a float, NaN when missing."""
    return math.nan if value is None or pd.isna(value) else float(value)


def _scores(row: dict) -> dict[str, float]:
    """The P(SC) and Tc (K) of a table row, for its :class:`Dropped` (NaN when unscored)."""
    return {key: _number(row.get(key)) for key in ("p_superconductor", "tc_kelvin")}


def _dropped(table: pd.DataFrame, reason: str) -> list[Dropped]:
    """Every row of ``table`` as dropped for ``reason``."""
    return [
        Dropped(row["id"], row["formula"], reason, **_scores(row))
        for row in table.to_dict("records")
    ]


def _novel(context: RunContext, structures: Sequence[Structure]) -> list[bool]:
    """Novelty of each structure against :attr:`RunContext.novelty_reference`."""
    from supercon3d.generation.metrics import novel_mask

    return list(novel_mask(structures, context.novelty_reference)) if structures else []


def with_novelty(
    context: RunContext, table: pd.DataFrame, structures: Sequence[Structure]
) -> tuple[pd.DataFrame, list[Dropped]]:
    """``table`` (one row per structure) with ``known_in``, the sources holding each row's
    formula (:meth:`KnownCompositions.known_in`: ``"SuperCon;MP"``, ``"molecule"``, ``""``
    when none), and ``novel``: new to the literature, i.e. no source holds the composition,
    the structure is not molecular (:func:`~supercon3d.chemistry.is_molecular`) and it
    matches no reference structure (:func:`_novel`); the last two are tried only where the
    ones before pass. Also the rows that are not novel, as :class:`Dropped` with the reason
    (a known molecule, a reported composition with where, a known structure) for a stage
    that drops them. A known superconductor's composition is in SuperCon or SuperCon3D, so
    no row is both novel and a known superconductor."""
    from supercon3d.chemistry import is_molecular

    literature = context.known_compositions
    known_in = [literature.known_in(Composition(formula)) for formula in table["formula"]]
    reasons: list[tuple[str, str] | None] = [
        ((KNOWN_MOLECULE if MOLECULE in sources.split(";") else KNOWN_COMPOSITION), sources)
        if sources
        else None
        for sources in known_in
    ]
    for index, reason in enumerate(reasons):
        if reason is None and is_molecular(structures[index]):
            reasons[index] = KNOWN_MOLECULE, "every bonded cluster is finite"
    new = [index for index, reason in enumerate(reasons) if reason is None]
    for index, is_novel in zip(new, _novel(context, [structures[i] for i in new])):
        if not is_novel:
            reasons[index] = KNOWN_STRUCTURE, ""
    dropped = [
        Dropped(candidate, formula, *reason)
        for candidate, formula, reason in zip(table["id"], table["formula"], reasons)
        if reason is not None
    ]
    novel = [reason is None for reason in reasons]
    return table.assign(known_in=known_in, novel=novel), dropped


def gather_sources(context: RunContext) -> StageResult:
    """Generate, substitute and read the structures (``sources``); n_in counts every
    structure made or named, including the invalid ones dropped here."""
    settings = context.settings
    made, dropped, n_in = sources.generated(
        context.out, settings, context.data, context.progress, context.log
    )
    found, failed, n = sources.substituted(
        context.out, settings, context.data, context.progress, context.log
    )
    made, dropped, n_in = made + found, dropped + failed, n_in + n
    if settings.screen is not None:
        found, failed = sources.from_screen(settings.screen, settings.screen_rows)
        made, dropped, n_in = made + found, dropped + failed, n_in + len(found) + len(failed)
    if settings.cifs:
        found, failed = sources.from_cifs(settings.cifs)
        made, dropped, n_in = made + found, dropped + failed, n_in + len(found) + len(failed)
    table = pd.DataFrame(
        [(s.id, s.source, s.origin, s.structure.composition.reduced_formula,
          sources.provenance(s.structure)) for s in made],
        columns=["id", "source", "origin", "formula", "substitution"],
    )  # fmt: skip
    return _result("sources", table, {s.id: s.structure for s in made}, dropped, n_in)


def _predicted(
    table: pd.DataFrame, structures: Sequence[Structure], tc_model: str
) -> tuple[pd.DataFrame, list[Dropped]]:
    """``table`` re-scored (Tc with the shipped model ``tc_model``, P(SC)) on ``structures``;
    rows without a prediction dropped."""
    from supercon3d.models.shipped import shipped_model_dir
    from supercon3d.screening.inputs import predict_inputs

    if table.empty:
        return table, []
    predictions = predict_inputs(
        list(structures), names=list(table["id"]), checkpoints=shipped_model_dir(tc_model)
    )
    failed = [p.error is not None for p in predictions]
    dropped = [
        Dropped(candidate, formula, NO_PREDICTION, prediction.error)
        for candidate, formula, prediction, bad in zip(
            table["id"], table["formula"], predictions, failed
        )
        if bad
    ]
    keep = [not bad for bad in failed]
    good = [p for p, ok in zip(predictions, keep) if ok]
    return with_predictions(_where(table, keep), good), dropped


def score(context: RunContext) -> StageResult:
    """Tc and P(SC) of every source structure (``scored``)."""
    previous = context.results["sources"]
    structures = [previous.structures[candidate] for candidate in previous.table["id"]]
    table, dropped = _predicted(previous.table, structures, context.settings.tc_model)
    return _result("scored", table, previous.structures, dropped, previous.n_out)


def gate_reasons(row: dict, settings: DiscoverySettings) -> list[tuple[str, str]]:
    """The chemist's gates ``row`` (with the profile's columns) fails, as (reason, detail),
    in the order they are counted: radioactive elements, too many elements, charge balance,
    molecular."""
    allowed = ALLOWABLE_ACTINIDES if settings.allow_actinides else frozenset()
    radioactive = sorted(set(row["radioactive"].split()) - allowed)
    failed = []
    if radioactive:
        failed.append((RADIOACTIVE, " ".join(radioactive)))
    if row["n_elements"] > settings.max_elements:
        failed.append((TOO_MANY_ELEMENTS, f"{row['n_elements']} > {settings.max_elements}"))
    if not row["charge_balanced"]:
        failed.append((NOT_BALANCED, row["charge_kind"]))
    if row["molecular"]:
        failed.append((MOLECULAR, "every bonded cluster is finite"))
    return failed


def _gate_dropped(row: dict, failed: list[tuple[str, str]]) -> Dropped:
    """``row`` dropped under the first gate it ``failed`` (:func:`gate_reasons`), the others
    named in its detail."""
    (reason, detail), *others = failed
    detail = "; ".join([detail, *(f"also {why}" for why, _ in others)])
    return Dropped(row["id"], row["formula"], reason, detail, **_scores(row))


def gates(context: RunContext) -> StageResult:
    """The chemist's gates on every scored structure, before any is relaxed (``gates``):
    charge balance, at most ``max_elements`` elements, no radioactive element (Th and U
    with ``allow_actinides``), not molecular. A structure failing several is counted under
    the first (:func:`gate_reasons`), the others named in its detail."""
    from supercon3d.chemistry import chemistry_profile

    previous = context.results["scored"]
    rows, dropped = [], []
    for row in previous.table.to_dict("records"):
        try:
            row.update(chemistry_profile(previous.structures[row["id"]]).columns())
        except (ValueError, KeyError) as error:  # a species that is no element
            why = str(error)
            dropped.append(Dropped(row["id"], row["formula"], UNCHECKED, why, **_scores(row)))
            continue
        failed = gate_reasons(row, context.settings)
        if failed:
            dropped.append(_gate_dropped(row, failed))
        else:
            rows.append(row)
    columns = [*previous.table.columns, *CHEMISTRY_COLUMNS]
    table = pd.DataFrame(rows, columns=columns)
    context.log(f"gates: {len(table)} of {len(previous.table)} pass the chemist's checks")
    return _result("gates", table, previous.structures, dropped, previous.n_out)


def stability_reason(record, e_hull: float) -> tuple[str, str] | None:
    """Why a stability record falls out (reason, detail), or None when it is stable. A
    relaxed structure that turned molecular falls out first. Above the window is the
    verdict even on an incomplete hull (its missing phases could only raise the energy
    above it), unless the relaxation stopped at the step limit (:data:`NOT_CONVERGED`: its
    energy is only an upper bound); inside the window an incomplete hull is no verdict."""
    if record.error is not None:
        outside = OUTSIDE_POTENTIAL_MARK in record.error
        return (OUTSIDE_POTENTIAL if outside else RELAXATION_FAILED), record.error
    if record.molecular:
        return MOLECULAR, "the relaxed structure's bonded clusters are all finite"
    if record.e_above_hull is None:
        return NO_HULL, "; ".join(record.warnings)
    if record.e_above_hull > e_hull and not record.converged:
        return NOT_CONVERGED, (
            f"{record.e_above_hull:.3f} eV/atom above the hull after the step limit "
            f"({record.steps} steps)"
        )
    if record.e_above_hull > e_hull:  # the missing phases of an incomplete hull only raise it
        return f"{ABOVE_HULL} (> {e_hull:g} eV/atom)", f"{record.e_above_hull:.3f} eV/atom"
    if record.hull_incomplete:
        return HULL_INCOMPLETE, f"{record.e_above_hull:.3f} eV/atom against an incomplete hull"
    return None


def stability_filter(
    context: RunContext, table: pd.DataFrame, structures: Sequence[Structure], name: str
) -> tuple[pd.DataFrame, dict[str, Structure], list[Dropped]]:
    """Relax ``structures`` (rows of ``table``) and keep those within the stability window:
    the table with the stability columns, the relaxed structures (symmetrised) of every row
    by id, the dropped (with energy, e_above_hull and ``converged``).
    A relaxation that did not converge within the step limit is kept when within the window (its
    energy is above the minimum's, so the test is conservative) and flagged in
    ``converged``; above the window it is dropped as :data:`NOT_CONVERGED`, not as above the
    hull. A relaxed structure that is molecular is dropped (:data:`MOLECULAR`). The
    reference hull is completed with prototype binaries for the systems of the structures
    inside the window of the incomplete hull. A disordered structure is judged on its
    lowest-energy ordered approximant (:mod:`supercon3d.stability`); its caller keeps it as
    it is, partially occupied. Oxidation states (from a CIF that declares them) are
    removed for the potential and the hull."""
    from supercon3d.stability.inputs import assess_inputs

    settings = context.settings
    records = assess_inputs(
        list(structures), names=list(table["id"]), potential=context.potential,
        max_steps=settings.relax_steps, progress=context.progress,
        completion_window=settings.e_hull,
    )  # fmt: skip
    rows, relaxed, dropped = [], {}, []
    for row, record in zip(table.to_dict("records"), records):
        if record.structure is not None:
            relaxed[row["id"]] = record.structure
        why = stability_reason(record, settings.e_hull)
        if why is not None:
            dropped.append(
                Dropped(
                    row["id"], row["formula"], *why, e_above_hull=_number(record.e_above_hull),
                    energy_per_atom=_number(record.energy_per_atom),
                    converged=record.converged if record.structure is not None else None,
                    **_scores(row),
                )
            )  # fmt: skip
            continue
        row.update(
            energy_per_atom=record.energy_per_atom, e_above_hull=record.e_above_hull,
            hull_incomplete=record.hull_incomplete, converged=record.converged,
            volume_change=record.volume_change, relax_steps=record.steps,
            space_group=record.space_group, space_group_number=record.space_group_number,
            molecular=record.molecular,
        )  # fmt: skip
        rows.append(row)
    columns = [*table.columns, *[c for c in STABILITY_COLUMNS if c not in table]]
    context.log(f"{name}: {len(rows)} of {len(table)} within {settings.e_hull:g} eV/atom")
    return pd.DataFrame(rows, columns=columns), relaxed, dropped


def stable(context: RunContext) -> StageResult:
    """Relax the structures that passed the gates (with ``relax_top``, only that many, the
    best by the candidate ranking) and keep the stable ones (``stable``): an ordered one as
    relaxed and symmetrised, a disordered one as it was."""
    previous = context.results["gates"]
    pool, dropped = previous.table, []
    top = context.settings.relax_top
    if top is not None and len(pool) > top:
        pool = ranked(pool)
        dropped = _dropped(pool.iloc[top:], NOT_RELAXED)
        pool = pool.iloc[:top].drop(columns="rank")
    structures = [previous.structures[candidate] for candidate in pool["id"]]
    table, relaxed, unstable = stability_filter(context, pool, structures, "stable")
    stable_ids = set(table["id"])
    kept = {
        candidate: relaxed[candidate] if structure.is_ordered else structure
        for candidate, structure in zip(pool["id"], structures)
        if candidate in stable_ids
    }
    result = _result("stable", table, kept, dropped + unstable, previous.n_out)
    result.relaxed = relaxed
    return result


def unique(context: RunContext) -> StageResult:
    """Keep the first of each group of matching relaxed structures, judge novelty
    (:func:`with_novelty`; drop what is not new to the literature unless ``include_known``),
    re-score Tc and P(SC) on the relaxed cell and look the formula up in the literature
    (``unique``)."""
    from supercon3d.generation.metrics import unique_mask

    previous = context.results["stable"]
    ids = list(previous.table["id"])
    structures = [previous.structures[candidate] for candidate in ids]
    first = list(unique_mask(structures))
    dropped = _dropped(_where(previous.table, [not keep for keep in first]), DUPLICATE)
    table = _where(previous.table, first)
    structures = [s for s, keep in zip(structures, first) if keep]
    table, not_novel = with_novelty(context, table, structures)
    if not context.settings.include_known:
        novel = list(table["novel"])
        dropped += not_novel
        structures = [s for s, is_novel in zip(structures, novel) if is_novel]
        table = _where(table, novel)
    table, failed = _predicted(table, structures, context.settings.tc_model)
    table = with_known(table, context.known) if not table.empty else table
    return _result("unique", table, previous.structures, dropped + failed, previous.n_out)


def _is_ordered(table: pd.DataFrame) -> pd.Series:
    return table["disorder_class"] == ORDERED_CLASS


def _is_hydride(table: pd.DataFrame) -> pd.Series:
    return table["high_pressure_hydride"].astype(bool)


def hydrides(table: pd.DataFrame) -> pd.DataFrame:
    """The high-pressure hydrides among the candidates, ranked (reported, never in the
    candidate tables: ambient-pressure stability says little about them)."""
    return ranked(table[_is_hydride(table)]) if not table.empty else table


def top_ordered(context: RunContext) -> StageResult:
    """The ``top_ordered`` best ordered candidates that are not high-pressure hydrides
    (``ordered``). Disordered candidates go on to the doping stage's pool."""
    previous = context.results["unique"]
    table = previous.table
    if table.empty:
        return _result("ordered", table, {}, [], 0)
    ordered = table[_is_ordered(table)]
    pool = ranked(ordered[~_is_hydride(ordered)])
    k = context.settings.top_ordered
    dropped = _dropped(ordered[_is_hydride(ordered)], HYDRIDE) + _dropped(pool.iloc[k:], BELOW_TOP)
    return _result("ordered", pool.iloc[:k], previous.structures, dropped, len(ordered))


def dope(context: RunContext) -> StageResult:
    """Doped variants (substitutions, anion vacancies; partially occupied) of each top
    ordered candidate, with the disordered candidates of the ``unique`` stage, all scored
    (``doped``). The variants are those of ``supercon3d dope``
    (:func:`~supercon3d.doping.variants.doped_variants`, default fractions), but all are kept
    and scored with the run's Tc model, to be ranked with the other candidates by Tc; the
    per-parent ranking by predicted ΔTc (:func:`supercon3d.doping.inputs.dope_inputs`) answers
    another question (which dopant raises this parent's Tc) with the shipped model. Each
    variant passes the chemist's gates as a generated structure does (:func:`gate_reasons`:
    a dopant can bring a sixth element or break the charge balance) before it is scored."""
    from supercon3d.chemistry import chemistry_profile
    from supercon3d.doping import doped_variants

    parents = context.results["ordered"]
    pool = context.results["unique"].table
    disordered = pool[~_is_ordered(pool) & ~_is_hydride(pool)] if not pool.empty else pool
    rows, structures, dropped = [], {}, []
    for parent in parents.table.to_dict("records"):
        variants = doped_variants(parents.structures[parent["id"]], parent["id"])
        if not variants:
            dropped.append(Dropped(parent["id"], parent["formula"], NO_VARIANT))
        for variant in variants:
            rows.append({
                "id": variant.name, "source": "doped", "origin": parent["file"],
                "formula": variant.formula, "parent": parent["id"], "dopant": variant.dopant,
                "host": variant.host, "fraction": variant.fraction, "doping": variant.kind,
                "carriers": variant.carriers, "radius_mismatch": variant.radius_mismatch,
            })  # fmt: skip
            structures[variant.name] = variant.structure
    n_in = len(parents.table) + len(disordered)
    passed = []
    for row in rows:
        row.update(chemistry_profile(structures[row["id"]]).columns())
        failed = gate_reasons(row, context.settings)
        if failed:
            dropped.append(_gate_dropped(row, failed))
        else:
            passed.append(row)
    variants = pd.DataFrame(passed, columns=[*VARIANT_COLUMNS, *CHEMISTRY_COLUMNS])
    scored, failed = _predicted(
        variants, [structures[c] for c in variants["id"]], context.settings.tc_model
    )
    carried = disordered.drop(columns=[c for c in STABILITY_COLUMNS if c in disordered])
    for candidate in carried["id"]:
        structures[candidate] = context.results["unique"].structures[candidate]
    table = pd.concat([carried, scored], ignore_index=True) if len(carried) else scored
    return _result("doped", table, structures, dropped + failed, n_in)


def top_disordered(context: RunContext) -> StageResult:
    """Rank the disordered pool, estimate the stability of the best ``top_disordered`` x
    :data:`DISORDERED_SHORTLIST` (ordered approximants), keep the best ``top_disordered``
    stable ones (``disordered``)."""
    previous = context.results["doped"]
    table = previous.table
    if table.empty:
        return _result("disordered", table, {}, [], 0)
    pool = ranked(table[~_is_hydride(table)])
    k = context.settings.top_disordered
    shortlist = pool.iloc[: k * DISORDERED_SHORTLIST]
    dropped = _dropped(table[_is_hydride(table)], HYDRIDE)
    dropped += _dropped(pool.iloc[len(shortlist) :], NOT_SHORTLISTED)
    structures = [previous.structures[c] for c in shortlist["id"]]
    kept, relaxed, unstable = stability_filter(context, shortlist, structures, "disordered")
    structures = [previous.structures[c] for c in kept["id"]]
    kept, _ = with_novelty(context, kept, structures)
    kept = ranked(with_known(kept, context.known)) if len(kept) else kept
    dropped += unstable + _dropped(kept.iloc[k:], BELOW_TOP)
    result = _result("disordered", kept.iloc[:k], previous.structures, dropped, len(table))
    result.relaxed = relaxed
    return result


STAGES: tuple[tuple[str, Callable[[RunContext], StageResult]], ...] = (
    ("sources", gather_sources),
    ("scored", score),
    ("gates", gates),
    ("stable", stable),
    ("unique", unique),
    ("ordered", top_ordered),
    ("doped", dope),
    ("disordered", top_disordered),
)
"""The stages in order, by name."""

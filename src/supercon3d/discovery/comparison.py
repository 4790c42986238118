"""The run's sources of new structures side by side: for the generator and the substitution
source, how many of the structures each made pass each stage, on the budget each was given
(:meth:`~supercon3d.discovery.settings.DiscoverySettings.structure_budget`: with ``both``
most of it to substitution, :data:`~supercon3d.discovery.settings.SUBSTITUTION_SHARE`).
The rates are per structure made, so the sources compare on unequal budgets too (``made``
is each one's budget); ``benchmarks/source_comparison.py --equal`` gives each the same.
Written to ``run.json`` under :data:`COMPARISON_KEY`.

One record per source that made structures (``source``: generator or substitution), with
counts and rates over the structures made:

- ``made``: structures made (the generator's from noise and from seeds);
- ``valid``: structurally and compositionally valid (SMACT) compounds, the generator's checks;
- ``charge_balanced``: valid and charge-balanced under common oxidation states
  (:func:`supercon3d.chemistry.charge_balance`, intermetallics pass);
- ``stable``: relaxed within the stability window of the hull (corrected, completed);
- ``unique``: stable and no duplicate of another stable structure (StructureMatcher);
- ``sun``: stable, unique and novel (composition new to the data folder, no known structure,
  not molecular); ``sun_rate`` = sun / made, MatterGen's SUN rate;
- ``above_p1_share``: of the SUN candidates, the share in a space group above P-1 (number
  > 2, the symmetrised relaxed structure); ``likely_superconductor_share``: of the SUN
  candidates, the share with P(SC) ≥ :data:`LIKELY_SUPERCONDUCTOR`;
- ``seconds``: wall time spent on the source: its making (the substitution's own clock; the
  generator's is the rest of the sources stage) and its share of the scored, gates, stable
  and unique stages, each split by the share of the stage's input rows that came from it;
  ``seconds_per_sun``: seconds / sun (None without a SUN candidate).

With ``relax_top`` (``--quick``) only the best-ranked gated structures are relaxed, so the
rates from ``stable`` on measure the shortlist, not the source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from pymatgen.core import Composition

from supercon3d.chemistry import charge_balance
from supercon3d.discovery.settings import GENERATOR, LIKELY_SUPERCONDUCTOR, SUBSTITUTION
from supercon3d.discovery.sources import GENERATION_FOLDER, MADE_FILE, SUBSTITUTED
from supercon3d.discovery.stages import StageResult
from supercon3d.discovery.steps import DUPLICATE

COMPARISON_KEY = "source_comparison"
"""The key of ``run.json`` that holds the comparison."""
ID_PREFIXES = {GENERATOR: ("n", "s"), SUBSTITUTION: ("u",)}
"""The id prefixes of each source's structures (noise and seeds; substitution)."""
APPORTIONED_STAGES = ("scored", "gates", "stable", "unique")
"""Stages whose wall time is split between the sources by their share of its input rows."""
LOWEST_ABOVE_P1 = 3
"""Space-group numbers from this one up lie above P-1 (2)."""


def _from(candidate: str, source: str) -> bool:
    """Whether the structure ``candidate`` (an id) was made by ``source``."""
    return str(candidate).startswith(ID_PREFIXES[source])


def _of(ids: pd.Series | list[str], source: str) -> int:
    return sum(_from(candidate, source) for candidate in ids)


def _dropped_ids(result: StageResult, reason_start: str) -> list[str]:
    return [item.id for item in result.dropped if item.reason.startswith(reason_start)]


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def _substitution_seconds(out: Path) -> float:
    made = out / GENERATION_FOLDER / SUBSTITUTED / MADE_FILE
    return float(json.loads(made.read_text())["seconds"]) if made.is_file() else 0.0


def _making_seconds(results: Mapping[str, StageResult], out: Path) -> dict[str, float]:
    substitution = _substitution_seconds(out)
    return {
        GENERATOR: max(results["sources"].seconds - substitution, 0.0),
        SUBSTITUTION: substitution,
    }


def _stage_inputs(results: Mapping[str, StageResult]) -> dict[str, pd.Series]:
    """The ids entering each apportioned stage (the previous stage's table)."""
    order = ["sources", *APPORTIONED_STAGES]
    return {stage: results[before].table["id"] for before, stage in zip(order, order[1:])}


def _one_source(results: Mapping[str, StageResult], source: str, seconds: float) -> dict:
    sources = results["sources"]
    made = _of([*sources.table["id"], *(item.id for item in sources.dropped)], source)
    valid_rows = sources.table[[_from(c, source) for c in sources.table["id"]]]
    balanced = sum(charge_balance(Composition(f)).charge_balanced for f in valid_rows["formula"])
    stable = _of(results["stable"].table["id"], source)
    unique = stable - _of(_dropped_ids(results["unique"], DUPLICATE), source)
    table = results["unique"].table
    sun_rows = table[[_from(c, source) for c in table["id"]]] if len(table) else table
    if len(sun_rows) and "novel" in sun_rows:
        sun_rows = sun_rows[sun_rows["novel"].astype(bool)]
    sun = len(sun_rows)
    above_p1 = (
        int((sun_rows["space_group_number"].fillna(0) >= LOWEST_ABOVE_P1).sum()) if sun else 0
    )
    likely = int((sun_rows["p_superconductor"] >= LIKELY_SUPERCONDUCTOR).sum()) if sun else 0
    return {
        "made": made, "valid": len(valid_rows), "charge_balanced": int(balanced),
        "stable": stable, "unique": unique, "sun": sun,
        "valid_rate": _rate(len(valid_rows), made),
        "charge_balanced_rate": _rate(int(balanced), made),
        "stable_rate": _rate(stable, made), "unique_rate": _rate(unique, made),
        "sun_rate": _rate(sun, made), "above_p1_share": _rate(above_p1, sun),
        "likely_superconductor_share": _rate(likely, sun),
        "seconds": round(seconds, 1), "seconds_per_sun": round(seconds / sun, 1) if sun else None,
    }  # fmt: skip


def source_comparison(results: Mapping[str, StageResult], out: str | Path) -> list[dict]:
    """The comparison (module docstring), one record per source that made structures
    (``source``: generator or substitution, then the counts and rates), from the finished
    stages ``results`` and the run folder ``out``."""
    out = Path(out)
    seconds = _making_seconds(results, out)
    inputs = _stage_inputs(results)
    for stage, ids in inputs.items():
        for source in seconds:
            share = _of(ids, source) / len(ids) if len(ids) else 0.0
            seconds[source] += results[stage].seconds * share
    comparison = [
        {"source": source, **_one_source(results, source, seconds[source])} for source in seconds
    ]
    return [row for row in comparison if row["made"]]

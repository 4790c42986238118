"""``DIR/report.html``: one self-contained page that opens offline (inline CSS, pictures as
base64 PNG, links only to the run's own CIFs, relative): the funnel, the sources compared,
the ordered and the disordered candidate tables in the paper's layout, the high-pressure
hydrides apart, the distributions of predicted Tc and energy above the hull per stage, a
picture of each top candidate with its per-site importance, and what fell out where and why.

The page is rendered from the Jinja2 templates in ``discovery/templates/`` (``base.html``:
the page and its inline style sheet; ``macros.html``: tables, cells, pictures;
``report.html``: the sections), with every text escaped. This module only gathers the
values: a candidate table's columns are listed once, in :data:`CANDIDATE_COLUMNS`; a column
added there appears in every candidate table without a template edit."""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd

from supercon3d.discovery.comparison import COMPARISON_KEY
from supercon3d.discovery.figures import distributions_png, funnel_png, structure_png
from supercon3d.discovery.settings import LIKELY_SUPERCONDUCTOR
from supercon3d.discovery.stages import StageResult, relaxed_path
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.discovery.pipeline import DiscoveryRun

TEMPLATES = Path(__file__).parent / "templates"
"""The report's templates (shipped in the package)."""
SECTIONS = {
    "summary": "Run",
    "funnel": "Funnel",
    "sources": "Sources compared",
    "ordered": "Ordered candidates",
    "disordered": "Disordered candidates (doped)",
    "hydrides": "High-pressure hydrides (not ranked)",
    "distributions": "Distributions per stage",
    "structures": "Top candidates' structures",
    "filtered": "Dropped by the chemist's gates and the stability filter",
    "dropped": "What fell out, where and why",
}
"""The report's sections by id (the anchor) and heading, in order."""
PICTURED = 6
"""Top candidates pictured per table."""
DETAIL_EXAMPLES = 3
"""Distinct details shown per stage and reason."""
EXAMPLE_IDS = 5
"""Candidate ids shown per stage and reason."""
FAR_BELOW_HULL = -0.1
"""eV/atom: an energy above the hull below this is marked: a new compound that far below
every known phase of its system more likely shows a gap in the reference table (or an error
of the potential) than an extraordinarily stable phase."""
TC_STAGES = ("scored", "unique", "ordered", "disordered")
HULL_STAGES = ("stable", "ordered", "disordered")
FILTER_STAGES = ("gates", "stable", "doped", "disordered")
"""Stages whose every dropped candidate is listed with its scores (the chemist's gates, on
the sources and on the doped variants, and the stability filters)."""


@dataclass(frozen=True)
class Link:
    """A table cell or caption that links to a file of the run (``href`` relative; empty
    for plain text)."""

    text: str
    href: str = ""


@dataclass(frozen=True)
class Picture:
    """A PNG shown inline: its ``data:`` URI and its alternative text."""

    source: str
    alt: str


@dataclass
class Table:
    """A table's headers, rows of cells (text or :class:`Link`) and one CSS class per row
    (empty for none)."""

    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    row_classes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    """One column of the candidate tables: its heading, its cell for a row of the table
    (text or a :class:`Link`) and whether only doped candidates have it."""

    heading: str
    cell: Callable[[Mapping], object]
    doped_only: bool = False


def _text(value: object) -> str:
    return str(value)


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _picture(png: bytes, alt: str) -> Picture:
    return Picture("data:image/png;base64," + base64.b64encode(png).decode("ascii"), alt)


def _link(file: object, text: object) -> Link:
    return Link(str(text), file if isinstance(file, str) else "")


def _tc(row: Mapping) -> str:
    tc = _number(row.get("tc_kelvin"))
    low, high = _number(row.get("tc_low_kelvin")), _number(row.get("tc_high_kelvin"))
    return f"{tc} ({low}–{high})" if low and high else tc


def _hull(value: object) -> str:
    """The energy above the hull (eV/atom), marked below :data:`FAR_BELOW_HULL`."""
    text = _number(value, 2)
    return f"{text} ⚠" if isinstance(value, float) and value < FAR_BELOW_HULL else text


def _reported(row: Mapping) -> str:
    """The paper's last columns in words: a reported superconductor (with Tc), or the
    related superconductors of the same elements."""
    parts = []
    if row.get("known_superconductor") is True or row.get("known_superconductor") == "True":
        parts.append(f"yes, {_number(row.get('reported_tc_kelvin'))} K")
    related = row.get("related_superconductors")
    if isinstance(related, str) and related:
        parts.append(f"related: {related}")
    return "; ".join(parts) or "no"


def _doping(row: Mapping) -> str:
    """How a doped variant differs from its parent, e.g. ``Sr for La, x = 0.1`` or ``O
    vacancies, x = 0.05``; empty for a candidate that is no variant."""
    if not isinstance(row.get("host"), str):
        return ""
    fraction = _number(row.get("fraction"), 2)
    if row.get("doping") == "vacancy":
        return f"{row['host']} vacancies, x = {fraction}"
    return f"{row.get('dopant')} for {row['host']}, x = {fraction}"


def _space_group(row: Mapping) -> str:
    """``Fm-3m (225)``, or empty when there is none."""
    symbol, number = row.get("space_group"), row.get("space_group_number")
    if not isinstance(symbol, str):
        return ""
    return f"{symbol} ({int(number)})" if isinstance(number, int | float) else symbol


def _parent(row: Mapping) -> str:
    parent = row.get("parent")
    return parent if isinstance(parent, str) else ""


CANDIDATE_COLUMNS = (
    Column("#", lambda row: _text(row.get("rank"))),
    Column("formula", lambda row: _link(row.get("file"), row.get("formula"))),
    Column("space group", _space_group),
    Column("disorder", lambda row: _text(row.get("disorder_class"))),
    Column("family", lambda row: _text(row.get("family"))),
    Column("Tc / K (interval)", _tc),
    Column("P(SC)", lambda row: _number(row.get("p_superconductor"), 2)),
    Column("E above hull / eV/atom", lambda row: _hull(row.get("e_above_hull"))),
    Column("novel", lambda row: _text(row.get("novel"))),
    Column("reported superconductor / parent compound", _reported),
    Column("parent", _parent, doped_only=True),
    Column("doping", _doping, doped_only=True),
)
"""The candidate tables' columns, in order (the paper's layout: rank, formula linked to its
CIF, space group, disorder class, family, predicted Tc with its interval, P(SC), energy above
the hull, novelty, what is reported; for doped candidates also the parent and the
substitution)."""


def candidate_table(table: pd.DataFrame, doped: bool) -> Table:
    """The :data:`CANDIDATE_COLUMNS` of ``table`` (the doped-only ones where ``doped``), each
    likely superconductor's row marked ``likely``."""
    columns = [column for column in CANDIDATE_COLUMNS if doped or not column.doped_only]
    view = Table([column.heading for column in columns])
    for row in table.to_dict("records"):
        view.rows.append([column.cell(row) for column in columns])
        p = row.get("p_superconductor")
        likely = isinstance(p, float) and p >= LIKELY_SUPERCONDUCTOR
        view.row_classes.append("likely" if likely else "")
    return view


def source_table(record: Mapping) -> Table | None:
    """The run record's per-source comparison (:mod:`supercon3d.discovery.comparison`) as a
    table (every key of its records, in order of appearance), or None when it has none."""
    comparison = record.get(COMPARISON_KEY)
    if not comparison:
        return None
    headers = list(dict.fromkeys(key for entry in comparison for key in entry))
    rows = [[_number(entry.get(key)) for key in headers] for entry in comparison]
    return Table(headers, rows)


def _funnel(stages: Sequence[dict]) -> dict:
    rows = [
        [_text(s["name"]), _text(s["n_in"]), _text(s["n_out"]), _text(s["seconds"]),
         "read back" if s.get("resumed") else "run"]
        for s in stages
    ]  # fmt: skip
    return {
        "headers": ["stage", "in", "kept", "seconds", ""],
        "rows": rows,
        "picture": _picture(funnel_png(stages), "funnel: candidates kept per stage"),
    }


def _distributions(results: Mapping[str, StageResult], dropped: pd.DataFrame) -> list[Picture]:
    tc = {
        name: results[name].table.get("tc_kelvin", pd.Series(dtype=float))
        for name in TC_STAGES
        if name in results
    }
    hull = {
        name: results[name].table.get("e_above_hull", pd.Series(dtype=float))
        for name in HULL_STAGES
        if name in results
    }
    kept = results["stable"].table.get("e_above_hull", pd.Series(dtype=float))
    filtered = dropped.loc[dropped["stage"] == "stable", "e_above_hull"]
    relaxed = [*kept.astype(float), *filtered.astype(float)]
    hull = {"relaxed (all)": relaxed, **hull}
    return [
        _picture(distributions_png(tc, "predicted Tc / K", log=True), "predicted Tc per stage"),
        _picture(
            distributions_png(hull, "energy above hull / eV/atom", log=False),
            "energy above the hull per stage",
        ),
    ]


def _importance(structures: Sequence, names: Sequence[str], tc_model: str) -> list:
    """Per-site importance of each structure under the shipped Tc model ``tc_model`` (None
    where it cannot explain one)."""
    from supercon3d.models.shipped import shipped_model_dir
    from supercon3d.screening.inputs import explain_prediction, predict_inputs

    if not structures:
        return []
    folder = shipped_model_dir(tc_model)
    predictions = predict_inputs(list(structures), names=list(names), checkpoints=folder)
    return [explain_prediction(p, folder) if p.error is None else None for p in predictions]


def _cards(
    results: Mapping[str, StageResult],
    tables: Mapping[str, pd.DataFrame],
    tc_model: str,
    progress: ProgressFactory,
) -> list[dict]:
    """A picture of each table's top :data:`PICTURED` candidates with its most important
    sites, its CIF, Tc and P(SC)."""
    picked = [
        (stage, row)
        for stage, table in tables.items()
        for row in table.head(PICTURED).to_dict("records")
    ]
    structures = [results[stage].structures[row["id"]] for stage, row in picked]
    cards = []
    with progress("report: pictures", len(picked)) as advance:
        importance = _importance(structures, [row["id"] for _, row in picked], tc_model)
        for (stage, row), structure, sites in zip(picked, structures, importance):
            title = f"{stage} #{row['rank']}: {row['formula']}"
            top = sorted(sites or [], key=lambda s: s.importance_percent, reverse=True)[:3]
            words = ", ".join(f"{s.label} {s.importance_percent:.0f} %" for s in top)
            cards.append({
                "picture": _picture(structure_png(structure, sites, title), title),
                "link": _link(row.get("file"), row["formula"] + " (CIF)"),
                "tc": _tc(row),
                "p_superconductor": _number(row.get("p_superconductor"), 2),
                "sites": words or "n/a",
            })  # fmt: skip
            advance(1)
    return cards


def _filtered(folder: Path, dropped: pd.DataFrame) -> Table:
    """Every candidate the chemist's gates or a stability filter dropped: formula (linked to
    its relaxed CIF where it was relaxed), stage, reason, energy above the hull, whether the
    relaxation converged, P(SC) and predicted Tc."""
    view = Table(["id", "formula", "stage", "reason", "E above hull / eV/atom", "converged",
                  "P(SC)", "Tc / K", "detail"])  # fmt: skip
    for row in dropped[dropped["stage"].isin(FILTER_STAGES)].to_dict("records"):
        path = relaxed_path(row["stage"], row["id"])
        file = path if (folder / path).is_file() else None
        converged = row.get("converged")
        view.rows.append(
            [_text(row["id"]), _link(file, row["formula"]), _text(row["stage"]),
             _text(row["reason"]), _hull(row.get("e_above_hull")),
             "" if converged is None or pd.isna(converged) else _text(converged),
             _number(row.get("p_superconductor"), 2), _number(row.get("tc_kelvin")),
             row.get("detail") if isinstance(row.get("detail"), str) else ""]
        )  # fmt: skip
    return view


def _dropped(stages: Sequence[dict], dropped: pd.DataFrame) -> Table:
    view = Table(["stage", "reason", "candidates", "which", "details (distinct)"])
    for stage in stages:
        for reason, count in sorted(stage["dropped"].items(), key=lambda item: -item[1]):
            where = dropped[(dropped["stage"] == stage["name"]) & (dropped["reason"] == reason)]
            ids = ", ".join(map(str, where["id"].head(EXAMPLE_IDS)))
            ids += ", …" if len(where) > EXAMPLE_IDS else ""
            details = list(dict.fromkeys(d for d in where["detail"] if isinstance(d, str) and d))
            view.rows.append([_text(stage["name"]), _text(reason), _text(count), ids,
                              "; ".join(details[:DETAIL_EXAMPLES])])  # fmt: skip
    return view


def _summary(record: dict) -> list[tuple[str, object]]:
    settings = ", ".join(
        f"{k}={v}" for k, v in record["settings"].items() if v not in ((), [], None)
    )
    models = ", ".join(f"{k}: {v}" for k, v in record["models"].items())
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if v)
    return [
        ("started", record["started"]),
        ("settings", settings),
        ("models", models),
        ("machine", record["machine"]),
        ("versions", versions),
    ]


RANKING = (
    f"Ranking: likely superconductors (P(SC) ≥ {LIKELY_SUPERCONDUCTOR}, marked green) first "
    "by predicted Tc, then the rest by P(SC) × Tc. ⚠: more than "
    f"{-FAR_BELOW_HULL:g} eV/atom below the reference hull, more likely a gap in the "
    "reference (or an error of the potential) than a very stable phase."
)
"""The summary's note on how candidates are ranked and marked."""


@cache
def templates() -> jinja2.Environment:
    """The report's template environment (every value escaped; an undefined name is an
    error, not an empty text)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    run: DiscoveryRun, results: Mapping[str, StageResult], progress: ProgressFactory = no_progress
) -> str:
    """The report's HTML text (module docstring)."""
    stages = run.record["stages"]
    tables = {"ordered": run.ordered, "disordered": run.disordered}
    return (
        templates()
        .get_template("report.html")
        .render(
            title=f"supercon3d discover: {run.folder.name}",
            sections=SECTIONS,
            summary=_summary(run.record),
            ranking=RANKING,
            funnel=_funnel(stages),
            sources=source_table(run.record),
            candidates={
                "ordered": candidate_table(run.ordered, doped=False),
                "disordered": candidate_table(run.disordered, doped=True),
                "hydrides": candidate_table(run.hydrides, doped=False),
            },
            distributions=_distributions(results, run.dropped),
            cards=_cards(results, tables, run.record["models"]["tc"], progress),
            filtered=_filtered(run.folder, run.dropped),
            dropped=_dropped(stages, run.dropped),
        )
    )


def write_report(
    run: DiscoveryRun,
    results: Mapping[str, StageResult],
    path: str | os.PathLike,
    progress: ProgressFactory = no_progress,
) -> Path:
    """Write :func:`render_report` to ``path`` (through a temporary file)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(render_report(run, results, progress), encoding="utf-8")
    os.replace(temporary, path)
    return path

"""``DIR/report.html``: one self-contained page that opens offline (inline CSS, pictures as
base64 PNG, links only to the run's own CIFs, relative): the funnel, the ordered and the
disordered candidate tables in the paper's layout, the high-pressure hydrides apart, the
distributions of predicted Tc and energy above the hull per stage, a picture of each top
candidate with its per-site importance, and what fell out where and why. Every text is
escaped."""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from supercon3d.discovery.figures import distributions_png, funnel_png, structure_png
from supercon3d.discovery.settings import LIKELY_SUPERCONDUCTOR
from supercon3d.discovery.stages import StageResult, relaxed_path
from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.discovery.pipeline import DiscoveryRun

SECTIONS = {
    "summary": "Run",
    "funnel": "Funnel",
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
FILTER_STAGES = ("gates", "stable", "disordered")
"""Stages whose every dropped candidate is listed with its scores (the chemist's gates and
the stability filters)."""
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.likely td:first-child{border-left:4px solid #2a7}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;padding:.5em;width:380px}
.note{color:#555;font-size:.9em}code{background:#f6f6f6;padding:0 .2em}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = ()
) -> str:
    """An HTML table; cells are given as HTML (already escaped)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = f' class="{classes[index]}"' if index < len(classes) and classes[index] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    if not body:
        body = [f'<tr><td colspan="{len(headers)}">none</td></tr>']
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _link(file: object, text: object) -> str:
    if not isinstance(file, str) or not file:
        return _e(text)
    return f'<a href="{_e(file)}">{_e(text)}</a>'


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
    return _e("; ".join(parts) or "no")


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


def candidate_table(table: pd.DataFrame, doped: bool) -> str:
    """The paper's layout: rank, formula (linked to the CIF), disorder class, family,
    predicted Tc with its interval, P(SC), energy above the hull, novelty, what is reported;
    for doped candidates also the parent and the substitution."""
    headers = [
        "#",
        "formula",
        "space group",
        "disorder",
        "family",
        "Tc / K (interval)",
        "P(SC)",
        "E above hull / eV/atom",
        "novel",
        "reported superconductor / parent compound",
    ]
    if doped:
        headers += ["parent", "doping"]
    rows, classes = [], []
    for row in table.to_dict("records"):
        cells = [
            _e(row.get("rank")),
            _link(row.get("file"), row.get("formula")),
            _e(_space_group(row)),
            _e(row.get("disorder_class")),
            _e(row.get("family")),
            _e(_tc(row)),
            _e(_number(row.get("p_superconductor"), 2)),
            _e(_hull(row.get("e_above_hull"))),
            _e(row.get("novel")),
            _reported(row),
        ]
        if doped:
            parent = row.get("parent")
            doping = _doping(row)
            cells += [_e(parent if isinstance(parent, str) else ""), _e(doping)]
        rows.append(cells)
        p = row.get("p_superconductor")
        classes.append("likely" if isinstance(p, float) and p >= LIKELY_SUPERCONDUCTOR else "")
    return _table(headers, rows, classes)


def _funnel(stages: Sequence[dict]) -> str:
    rows = [
        [
            _e(s["name"]),
            _e(s["n_in"]),
            _e(s["n_out"]),
            _e(s["seconds"]),
            _e("read back" if s.get("resumed") else "run"),
        ]
        for s in stages
    ]
    table = _table(["stage", "in", "kept", "seconds", ""], rows)
    return table + _image(funnel_png(stages), "funnel: candidates kept per stage")


def _distributions(results: Mapping[str, StageResult], dropped: pd.DataFrame) -> str:
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
    return (
        '<p class="note">Predicted Tc is the Tc a candidate would have if it superconducts; '
        "the energy above the hull is the CHGNet/SevenNet estimate against the shipped "
        "reference hull, completed with relaxed prototype binaries for element pairs it "
        "lacks (relaxed (all): every relaxed source structure, the filtered ones too).</p>"
        + _image(distributions_png(tc, "predicted Tc / K", log=True), "predicted Tc per stage")
        + _image(
            distributions_png(hull, "energy above hull / eV/atom", log=False),
            "energy above the hull per stage",
        )
    )


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
) -> str:
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
            cards.append(
                '<div class="card">'
                + _image(structure_png(structure, sites, title), title)
                + f"<div>{_link(row.get('file'), row['formula'] + ' (CIF)')}; "
                + f"Tc {_e(_tc(row))} K, P(SC) {_e(_number(row.get('p_superconductor'), 2))}</div>"
                + f'<div class="note">most important sites: {_e(words or "n/a")}</div></div>'
            )
            advance(1)
    note = (
        '<p class="note">Sites coloured by element and sized by their share of the Tc '
        "model's attention (per-site importance, <code>supercon3d.api.explain</code>).</p>"
    )
    return note + f'<div class="cards">{"".join(cards) or "none"}</div>'


def _filtered(folder: Path, dropped: pd.DataFrame) -> str:
    """Every candidate the chemist's gates or a stability filter dropped: formula (linked to
    its relaxed CIF where it was relaxed), stage, reason, energy above the hull, whether the
    relaxation converged, P(SC) and predicted Tc."""
    rows = []
    for row in dropped[dropped["stage"].isin(FILTER_STAGES)].to_dict("records"):
        path = relaxed_path(row["stage"], row["id"])
        file = path if (folder / path).is_file() else None
        converged = row.get("converged")
        rows.append(
            [_e(row["id"]), _link(file, row["formula"]), _e(row["stage"]), _e(row["reason"]),
             _e(_hull(row.get("e_above_hull"))),
             _e("" if converged is None or pd.isna(converged) else converged),
             _e(_number(row.get("p_superconductor"), 2)), _e(_number(row.get("tc_kelvin"))),
             _e(row.get("detail") if isinstance(row.get("detail"), str) else "")]
        )  # fmt: skip
    headers = ["id", "formula", "stage", "reason", "E above hull / eV/atom", "converged",
               "P(SC)", "Tc / K", "detail"]  # fmt: skip
    return (
        '<p class="note">The gates run before any relaxation: charge balance under common '
        "oxidation states (intermetallics pass), the number of elements, radioactive "
        "elements, molecular structures (judged again once relaxed). A relaxation stopped "
        "at the step limit above the window is no verdict (relaxation not converged). "
        "Relaxed structures are in <code>&lt;stage&gt;/relaxed/</code>.</p>" + _table(headers, rows)
    )


def _dropped(stages: Sequence[dict], dropped: pd.DataFrame) -> str:
    rows = []
    for stage in stages:
        for reason, count in sorted(stage["dropped"].items(), key=lambda item: -item[1]):
            where = dropped[(dropped["stage"] == stage["name"]) & (dropped["reason"] == reason)]
            ids = ", ".join(map(str, where["id"].head(EXAMPLE_IDS)))
            ids += ", …" if len(where) > EXAMPLE_IDS else ""
            details = list(dict.fromkeys(d for d in where["detail"] if isinstance(d, str) and d))
            rows.append(
                [_e(stage["name"]), _e(reason), _e(count), _e(ids),
                 _e("; ".join(details[:DETAIL_EXAMPLES]))]
            )  # fmt: skip
    return (
        '<p class="note">Every candidate that fell out is in <code>dropped.csv</code> with its '
        "stage, reason and detail.</p>"
        + _table(["stage", "reason", "candidates", "which", "details (distinct)"], rows)
    )


def _summary(record: dict) -> str:
    settings = ", ".join(
        f"{k}={v}" for k, v in record["settings"].items() if v not in ((), [], None)
    )
    models = ", ".join(f"{k}: {v}" for k, v in record["models"].items())
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if v)
    items = [
        ("started", record["started"]),
        ("settings", settings),
        ("models", models),
        ("machine", record["machine"]),
        ("versions", versions),
    ]
    ranking = (
        f"Ranking: likely superconductors (P(SC) ≥ {LIKELY_SUPERCONDUCTOR}, marked "
        "green) first by predicted Tc, then the rest by P(SC) × Tc. ⚠: more than "
        f"{-FAR_BELOW_HULL:g} eV/atom below the reference hull, more likely a gap in the "
        "reference (or an error of the potential) than a very stable phase."
    )
    return (
        "<ul>"
        + "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in items)
        + "</ul>"
        + f'<p class="note">{_e(ranking)}</p>'
    )


def render_report(
    run: DiscoveryRun, results: Mapping[str, StageResult], progress: ProgressFactory = no_progress
) -> str:
    """The report's HTML text (module docstring)."""
    stages = run.record["stages"]
    bodies = {
        "summary": _summary(run.record),
        "funnel": _funnel(stages),
        "ordered": candidate_table(run.ordered, doped=False),
        "disordered": candidate_table(run.disordered, doped=True),
        "hydrides": '<p class="note">Predicted at ambient conditions; ranked apart because '
        "their reported Tc are measured at 100–250 GPa.</p>"
        + candidate_table(run.hydrides, doped=False),
        "distributions": _distributions(results, run.dropped),
        "structures": _cards(
            results,
            {"ordered": run.ordered, "disordered": run.disordered},
            run.record["models"]["tc"],
            progress,
        ),
        "filtered": _filtered(run.folder, run.dropped),
        "dropped": _dropped(stages, run.dropped),
    }
    sections = "".join(
        f'<section id="{key}"><h2>{_e(title)}</h2>{bodies[key]}</section>'
        for key, title in SECTIONS.items()
    )
    title = f"supercon3d discover: {run.folder.name}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{sections}</body></html>\n"
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

"""The report's pictures as PNG bytes: the funnel, distributions per stage and a candidate's
cell. Rendered with the Agg canvas chosen here (no global backend, no display needed)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
from pymatgen.core import Structure

from supercon3d.screening.explain import SiteImportance

FIGURE_DPI = 100
HISTOGRAM_BINS = 20
MIN_MARKER_AREA = 20.0
"""Marker area (pt²) of a site with no importance; each percent of importance adds
:data:`MARKER_AREA_PER_PERCENT`."""
MARKER_AREA_PER_PERCENT = 25.0
UNIFORM_MARKER_AREA = 80.0
LEGEND_MARKER_AREA = 30.0
"""Marker area (pt²) of every site when no importance is known."""
CELL_EDGES = [
    (a, b)
    for a, b in itertools.combinations(itertools.product((0, 1), repeat=3), 2)
    if sum(abs(x - y) for x, y in zip(a, b)) == 1
]
"""The 12 edges of the unit cube, as pairs of corners in fractional coordinates."""


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    return buffer.getvalue()


def funnel_png(stages: Sequence[dict]) -> bytes:
    """Horizontal bars: candidates kept after each stage (``name``, ``n_out``)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 0.45 * len(stages) + 1.2), layout="tight")
    axes = figure.subplots()
    names = [stage["name"] for stage in stages][::-1]
    counts = [stage["n_out"] for stage in stages][::-1]
    bars = axes.barh(names, counts, color="tab:blue")
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("candidates kept")
    axes.set_title("funnel")
    return _png(figure)


def distributions_png(values: Mapping[str, Sequence[float]], label: str, log: bool) -> bytes:
    """Overlaid step histograms of ``values`` per stage (``log``: log-spaced bins, e.g. Tc
    in K); a stage without finite values is left out."""
    from matplotlib.figure import Figure

    finite = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    finite = {name: v[np.isfinite(v) & ((v > 0) if log else True)] for name, v in finite.items()}
    finite = {name: v for name, v in finite.items() if len(v)}
    figure = Figure(figsize=(6, 3.2), layout="tight")
    axes = figure.subplots()
    if finite:
        everything = np.concatenate(list(finite.values()))
        low, high = everything.min(), everything.max()
        if log:
            bins = np.geomspace(low, high if high > low else low * 2, HISTOGRAM_BINS)
            axes.set_xscale("log")
        else:
            bins = np.linspace(low, high if high > low else low + 1, HISTOGRAM_BINS)
        for name, v in finite.items():
            axes.hist(v, bins=bins, histtype="step", linewidth=1.5, label=f"{name} ({len(v)})")
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no values", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel(label)
    axes.set_ylabel("candidates")
    return _png(figure)


def _element_colours(elements: Sequence[str]) -> dict[str, tuple]:
    from matplotlib import colormaps

    palette = colormaps["tab10"]
    return {element: palette(index % palette.N) for index, element in enumerate(elements)}


def structure_png(
    structure: Structure, importance: Sequence[SiteImportance] | None, title: str
) -> bytes:
    """The cell in a 3D projection: its edges, each site coloured by its majority element and
    sized by its share of the Tc model's attention (uniform without ``importance``)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 4), layout="tight")
    axes = figure.add_subplot(projection="3d")
    matrix = structure.lattice.matrix
    for a, b in CELL_EDGES:
        ends = np.array([a, b]) @ matrix
        axes.plot(*ends.T, color="grey", linewidth=0.8)
    majority = [max(site.species.items(), key=lambda item: item[1])[0].symbol for site in structure]
    colours = _element_colours(sorted(set(majority)))
    shares = [item.importance_percent for item in importance] if importance else None
    coords = structure.cart_coords
    for element, colour in colours.items():
        where = [i for i, symbol in enumerate(majority) if symbol == element]
        sizes = (
            [MIN_MARKER_AREA + MARKER_AREA_PER_PERCENT * shares[i] for i in where]
            if shares
            else UNIFORM_MARKER_AREA
        )
        axes.scatter(
            *coords[where].T,
            s=sizes,
            color=colour,
            label=element,
            edgecolors="black",
            linewidths=0.4,
            depthshade=False,
        )
    axes.set_axis_off()
    axes.set_title(title, fontsize="small")
    legend = axes.legend(fontsize="x-small", loc="upper left")
    for handle in legend.legend_handles:
        handle.set_sizes([LEGEND_MARKER_AREA])
    return _png(figure)

"""Which sites a Tc prediction rests on: the share of last-block attention each site receives.

:meth:`SODNetEnsemble.site_importance` gives the shares (%, summing to 100) averaged over
heads and fold models; here they become one record per site with its species and occupancy.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pymatgen.core.periodic_table import Element

from supercon3d.evaluation.report import site_importance_plot
from supercon3d.graphs import CrystalGraph
from supercon3d.models.sodnet.ensemble import SODNetEnsemble

FULL_OCCUPANCY_TOLERANCE = 1e-6
"""An element's occupancy this close to 1 is shown without its number."""


@dataclass(frozen=True)
class SiteImportance:
    """One site: its index in the structure, element occupancies, total occupancy and its
    share (%) of the attention received in the last block."""

    site: int
    species: dict[str, float]
    occupancy: float
    importance_percent: float

    @property
    def label(self) -> str:
        """The species as text, e.g. ``"Hg O:0.35"``: occupancies other than 1 after a colon."""
        return " ".join(
            element if abs(amount - 1) < FULL_OCCUPANCY_TOLERANCE else f"{element}:{amount:.3g}"
            for element, amount in self.species.items()
        )

    def to_dict(self) -> dict:
        """The JSON record: site, species, occupancy, importance_percent."""
        return asdict(self)


def site_importance(graph: CrystalGraph, ensemble: SODNetEnsemble) -> list[SiteImportance]:
    """The importance of every site of ``graph``, in site order."""
    shares = ensemble.site_importance(graph)
    occupancies = graph.species.numpy()
    return [
        SiteImportance(
            site=index,
            species={Element.from_Z(z + 1).symbol: float(row[z]) for z in row.nonzero()[0]},
            occupancy=float(row.sum()),
            importance_percent=float(share),
        )
        for index, (row, share) in enumerate(zip(occupancies, shares))
    ]


def plot_site_importance(sites: list[SiteImportance], path: str | os.PathLike, title: str) -> Path:
    """A bar chart of the sites' importance (%), largest at the top, written to ``path``."""
    labels = [f"{site.site} {site.label}" for site in sites]
    shares = np.array([site.importance_percent for site in sites])
    return site_importance_plot(labels, shares, path, title)

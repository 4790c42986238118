"""The 3DSC structures as extra SODNet training graphs (``RunConfig.extra_structures``).

Every 3DSC structure whose file name's formula has a SuperCon Tc above 0 K (the median over
both SuperCon tables of the entries with the same composition key, as the P(superconductor)
table labels them) becomes a graph with ``y`` = ln Tc (ln K). A fold trains on those that do
not count as the same material as any of its validation or test entries, by the split's keys
(:func:`~supercon3d.evaluation.folds.held_out_keys`), taken from the structure's composition
and from its file name's formula: the rule the extra formulas of the composition baselines
follow. Validation and test stay SuperCon3D entries.

The composition prior is fitted on SuperCon formulas that include the 3DSC compositions, so
it would hand the network their Tc: a run with extra structures trains without the prior
(:func:`check_extra_structures`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from pymatgen.core import Composition

from supercon3d.data.composition import parse_formula
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.supercon3d import Entry
from supercon3d.data.tables import load_3dsc_index
from supercon3d.errors import SuperCon3DError
from supercon3d.evaluation.folds import held_out_keys
from supercon3d.graphs import CrystalGraph, GraphSettings, graphs_from_cifs
from supercon3d.training.baseline import entry_keys
from supercon3d.training.superconductor_data import label_formulas


@dataclass
class ExtraStructures:
    """3DSC graphs by file name (``y`` = ln Tc, ln K) and each one's compositions: its
    structure's and, where it parses, its file name's formula."""

    graphs: dict[str, CrystalGraph] = field(default_factory=dict)
    compositions: dict[str, tuple[Composition, ...]] = field(default_factory=dict)

    def allowed(self, val: Sequence[Entry], test: Sequence[Entry], split: str) -> list[str]:
        """Names of the graphs a fold may train on: none counts as the same material as a
        validation entry (by the split's validation key) or a test entry (its test key)."""
        val_key, test_key = held_out_keys(split)
        held_val, held_test = entry_keys(val, val_key), entry_keys(test, test_key)
        return [
            name
            for name, compositions in self.compositions.items()
            if not any(val_key(c) in held_val or test_key(c) in held_test for c in compositions)
        ]


class ExtraStructuresError(SuperCon3DError, ValueError):
    """A configuration that cannot train on the extra structures."""


def check_extra_structures(composition_prior: bool) -> None:
    """:class:`ExtraStructuresError` for a configuration that would train on the extra
    structures over the composition prior."""
    if composition_prior:
        raise ExtraStructuresError(
            "extra structures need a run without the composition prior (its SuperCon formulas "
            "hold the 3DSC compositions and their Tc); add --ablation no-prior"
        )


def labelled_3dsc_index(
    data: str | os.PathLike | None = None, ambient: bool = False
) -> pd.DataFrame:
    """The 3DSC index (:func:`~supercon3d.data.tables.load_3dsc_index`) of the structures
    with a SuperCon Tc above 0 K, without the high-pressure hydrides when ``ambient``."""
    index = load_3dsc_index(data, tc_table=label_formulas(data))
    index = index[index["tc"] > 0]
    if ambient:
        named = [parse_formula(formula) for formula in index["formula"]]
        index = index[[c is None or not is_high_pressure_hydride(c) for c in named]]
    return index.reset_index(drop=True)


def load_extra_structures(
    index: pd.DataFrame,
    settings: GraphSettings,
    progress: Callable[[int], None] | None = None,
) -> tuple[ExtraStructures, list[ValueError]]:
    """The graphs of a :func:`labelled_3dsc_index` (cached on disk like the entries') and
    the files that failed to build."""
    result = graphs_from_cifs(list(index["file"]), settings, progress=progress)
    label = {
        Path(file).name: (tc, parse_formula(formula))
        for file, tc, formula in zip(index["file"], index["tc"], index["formula"])
    }
    extra = ExtraStructures()
    for graph in result.graphs:
        tc, formula = label[graph.name]
        graph.y = torch.tensor([math.log(tc)], dtype=torch.float32)
        extra.graphs[graph.name] = graph
        own = graph.composition()
        extra.compositions[graph.name] = (own,) if formula is None else (own, formula)
    return extra, result.failures

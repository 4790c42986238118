"""The labelled table the P(superconductor) classifier learns from.

Rows, one per structure or per distinct formula:

- ``supercon3d``: the 1,578 SuperCon3D structures, all superconductors;
- ``3dsc``: the 3DSC structures, labelled by the SuperCon entries whose composition key
  equals their name's formula (median Tc over ``supercon_stanev2018`` and ``supercon_11949``
  together: > 0 K superconductor, 0 K not; structures without a match are left out);
- ``formula``: every other composition key of the two SuperCon tables, labelled the same way;
  a key that a structure row already has (by its formula or by its structure's composition)
  is left to the structure.

Curation: single-element entries are labelled by their ambient-pressure behaviour, from
pymatgen's element data (``Element.superconduction_temperature``, WebElements: 33 elements
with a transition temperature, e.g. Nb 9.25 K, Al 1.175 K), not by SuperCon. SuperCon lists
an element as a superconductor when it superconducts at any pressure (Fe at 15–30 GPa, Si
above 12 GPa, S, O, P, Se and B only at tens to hundreds of GPa) and has no pressure column,
so its element labels do not describe the ambient structures a user gives (3DSC alone holds
56 carbon and 35 silicon structures labelled superconducting). The compounds of
:data:`~supercon3d.data.pressure_only.PRESSURE_ONLY_SUPERCONDUCTORS` (GaAs, InSb, CeRhIn5,
UGe2, ...: superconducting only under pressure, each with its source) are labelled 0 for the
same reason. No other row is relabelled.

A structure row's features come from its structure (composition with occupancies, and the
descriptors of :mod:`supercon3d.models.structure_features`); those descriptors are cached as
CSV in :func:`~supercon3d.settings.cache_dir`, keyed by the file's path inside the data folder.
With ``plane_doping``, the cuprate structure rows also get the CuO2 planes' hole counts
(:func:`~supercon3d.models.oxidation_state.plane_doping_descriptors`, cached the same way);
every other row has NaN there.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from supercon3d.chemistry import cuprate_planes
from supercon3d.chemistry.cuprate_planes import CUPRATE_PLANE_FEATURES
from supercon3d.data.cif import read_cifs
from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.family import chemical_family
from supercon3d.data.pressure_only import is_pressure_only_superconductor
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.data.tables import load_3dsc_index, load_supercon_formulas, tc_by_key
from supercon3d.evaluation.splits import chemical_system
from supercon3d.models import structure_features
from supercon3d.models.oxidation_state import plane_doping_descriptors
from supercon3d.models.structure_features import STRUCTURE_FEATURES, structure_descriptors
from supercon3d.settings import cache_dir, data_dir, dataset_path

LABEL_TABLES: tuple[str, ...] = ("supercon_stanev2018", "supercon_11949")
_DESCRIPTOR_VERSION = 1
_PLANE_VERSION = 1


def _settings_cache_file(cache: Path, prefix: str, settings: list) -> Path:
    """``cache/<prefix>-<digest>.csv``, the digest naming the settings the table depends on."""
    digest = hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:12]
    return cache / f"{prefix}-{digest}.csv"


def _descriptor_cache_file(cache: Path) -> Path:
    settings = [
        _DESCRIPTOR_VERSION,
        STRUCTURE_FEATURES,
        structure_features.SYMPREC,
        structure_features.FALLBACK_SYMPREC,
        structure_features.ANGLE_TOLERANCE,
        structure_features.NN_CUTOFF,
    ]
    return _settings_cache_file(cache, "structure-descriptors", settings)


def _composition_json(composition: Composition) -> str:
    return json.dumps({str(el): float(x) for el, x in composition.element_composition.items()})


def structure_table(
    files: Sequence[str | os.PathLike],
    data: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Per readable file (index: path inside the data folder): ``composition`` (JSON element
    amounts) and the :data:`STRUCTURE_FEATURES`. Files not in the cache are read in parallel
    and described; ``progress`` is called per file read. Unreadable files are left out."""
    root = data_dir(data)
    names = [str(Path(f).resolve().relative_to(root)) for f in files]
    cache_file = _descriptor_cache_file(cache_dir())
    cached = pd.DataFrame(columns=["composition", *STRUCTURE_FEATURES])
    if cache_file.is_file():
        cached = pd.read_csv(cache_file, index_col=0, float_precision="round_trip")
    missing = [n for n in dict.fromkeys(names) if n not in cached.index]
    if missing:
        result = read_cifs([root / n for n in missing], workers, progress)
        rows = {
            str(Path(r.source).resolve().relative_to(root)): [
                _composition_json(r.structure.composition),
                *structure_descriptors(r.structure),
            ]
            for r in result.records
        }
        fresh = pd.DataFrame.from_dict(
            rows, orient="index", columns=["composition", *STRUCTURE_FEATURES]
        )
        cached = pd.concat([cached, fresh]) if len(cached) else fresh
        cached.index.name = "file"
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        cached.to_csv(partial)
        os.replace(partial, cache_file)
    return cached.loc[[n for n in names if n in cached.index]]


def _plane_cache_file(cache: Path) -> Path:
    settings = [
        _PLANE_VERSION,
        CUPRATE_PLANE_FEATURES,
        cuprate_planes.COPPER_ANION_R0,
        cuprate_planes.BOND_VALENCE_B,
        cuprate_planes.BOND_SUM_CUTOFF,
        cuprate_planes.PLANE_BOND_MAX,
        cuprate_planes.CORNER_MIN_ANGLE,
        cuprate_planes.RIGHT_ANGLE_TOLERANCE,
        cuprate_planes.PLANE_MAX_OFFSET,
        cuprate_planes.MIN_OCCUPANCY,
    ]
    return _settings_cache_file(cache, "cuprate-planes", settings)


def plane_doping_table(
    files: Sequence[str], data: str | os.PathLike | None = None, workers: int | None = None
) -> pd.DataFrame:
    """The :data:`CUPRATE_PLANE_FEATURES` per readable file (``files``: paths inside the data
    folder, the index of the result), cached under :func:`~supercon3d.settings.cache_dir`."""
    root = data_dir(data)
    cache_file = _plane_cache_file(cache_dir())
    cached = pd.DataFrame(columns=list(CUPRATE_PLANE_FEATURES))
    if cache_file.is_file():
        cached = pd.read_csv(cache_file, index_col=0, float_precision="round_trip")
    missing = [n for n in dict.fromkeys(files) if n not in cached.index]
    if missing:
        result = read_cifs([root / n for n in missing], workers)
        rows = {
            str(Path(r.source).resolve().relative_to(root)): plane_doping_descriptors(r.structure)
            for r in result.records
        }
        fresh = pd.DataFrame.from_dict(rows, orient="index", columns=list(CUPRATE_PLANE_FEATURES))
        cached = pd.concat([cached, fresh]) if len(cached) else fresh
        cached.index.name = "file"
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        cached.to_csv(partial)
        os.replace(partial, cache_file)
    return cached.loc[[n for n in files if n in cached.index]]


def label_formulas(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """The rows of both :data:`LABEL_TABLES` in one table (the shape of
    :func:`~supercon3d.data.tables.load_supercon_formulas`)."""
    return pd.concat(
        [load_supercon_formulas(name, data) for name in LABEL_TABLES], ignore_index=True
    )


def ambient_elemental_label(composition: Composition) -> int:
    """1 if the composition's single element superconducts at ambient pressure according to
    pymatgen's element data, else 0."""
    (element,) = composition.element_composition.elements
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for every element without a value
        return int(bool(element.superconduction_temperature))


def ambient_labels(compositions: Sequence[Composition], labels: Sequence[int]) -> np.ndarray:
    """``labels`` curated for ambient pressure: a single element takes
    :func:`ambient_elemental_label`, a compound of
    :data:`~supercon3d.data.pressure_only.PRESSURE_ONLY_SUPERCONDUCTORS` 0, the rest keep
    theirs."""
    curated = np.asarray(labels, dtype=int).copy()
    for row, composition in enumerate(compositions):
        if len(composition.elements) == 1:
            curated[row] = ambient_elemental_label(composition)
        elif is_pressure_only_superconductor(composition):
            curated[row] = 0
    return curated


def _structure_rows(
    table: pd.DataFrame,
    source: str,
    tcs: Sequence[float],
    label_keys: Sequence[tuple],
) -> pd.DataFrame:
    compositions = [Composition(json.loads(c)) for c in table["composition"]]
    rows = pd.DataFrame(
        {
            "source": source,
            "file": list(table.index),
            "name": [Path(f).name for f in table.index],
            "label": (np.asarray(tcs, dtype=float) > 0).astype(int),
            "tc_kelvin": np.asarray(tcs, dtype=float),
            "label_key": list(label_keys),
            "composition": compositions,
        }
    )
    return pd.concat([rows, table[list(STRUCTURE_FEATURES)].reset_index(drop=True)], axis=1)


def build_training_table(
    data: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    plane_doping: bool = False,
) -> pd.DataFrame:
    """The labelled table (see the module docstring): ``source``, ``file`` (a structure row's
    path inside the data folder), ``name``, ``label`` (1 superconductor, 0 not), ``tc_kelvin``
    (the SuperCon3D or SuperCon Tc, K, before the curation), ``label_key``, ``composition``,
    ``system`` (chemical system), ``family``, ``has_structure`` and the
    :data:`STRUCTURE_FEATURES` (NaN for formula rows); with ``plane_doping`` also the
    :data:`CUPRATE_PLANE_FEATURES` (NaN but for cuprate structure rows)."""
    formulas = label_formulas(data)
    tc_of_key = tc_by_key(formulas)

    supercon = read_tc_table(data)
    cif_folder = dataset_path("supercon3d/cif", data)
    supercon_table = structure_table(
        [cif_folder / n for n in supercon.index], data, workers, progress
    )
    formula_of = supercon["cf"].to_dict()
    supercon_keys = [
        composition_key(parse_formula(formula_of[Path(f).name])) for f in supercon_table.index
    ]
    tc_of_file = supercon["tc"].to_dict()
    supercon_rows = _structure_rows(
        supercon_table,
        "supercon3d",
        [tc_of_file[Path(f).name] for f in supercon_table.index],
        supercon_keys,
    )

    index = load_3dsc_index(data, tc_table=formulas).dropna(subset=["tc"])
    dsc_table = structure_table(index["file"], data, workers, progress)
    by_name = index.assign(name=[Path(f).name for f in index["file"]]).set_index("name")
    dsc_names = [Path(f).name for f in dsc_table.index]
    dsc_rows = _structure_rows(
        dsc_table,
        "3dsc",
        by_name.loc[dsc_names, "tc"].to_numpy(dtype=float),
        [composition_key(parse_formula(by_name.loc[n, "formula"])) for n in dsc_names],
    )

    structures = pd.concat([supercon_rows, dsc_rows], ignore_index=True)
    taken = set(structures["label_key"]) | {composition_key(c) for c in structures["composition"]}
    first = formulas.drop_duplicates("key")
    first = first[[key not in taken for key in first["key"]]]
    formula_rows = pd.DataFrame(
        {
            "source": "formula",
            "name": first["formula"].to_numpy(),
            "label": [int(tc_of_key[key][0] > 0) for key in first["key"]],
            "tc_kelvin": [tc_of_key[key][0] for key in first["key"]],
            "label_key": list(first["key"]),
            "composition": list(first["composition"]),
        }
    )
    table = pd.concat([structures, formula_rows], ignore_index=True)
    table["label"] = ambient_labels(table["composition"], table["label"])
    table["system"] = [chemical_system(c) for c in table["composition"]]
    table["family"] = [chemical_family(c) for c in table["composition"]]
    table["has_structure"] = table["source"] != "formula"
    if plane_doping:
        cuprates = table["has_structure"] & (table["family"] == "cuprate")
        planes = plane_doping_table(list(table.loc[cuprates, "file"]), data, workers)
        for column in CUPRATE_PLANE_FEATURES:
            table[column] = table["file"].map(planes[column]).astype(float)
    return table

"""What each source of structure information adds to a gradient-boosted Tc model (issue 15).

    python benchmarks/structure_sources.py [--variants formulas formulas+descriptors ...]

Every variant is LightGBM with the fixed hyperparameters of the composition baseline
(``make_regressor("lgbm")``) on the shared random 10 folds, trained on each fold's eight
training folds, tested on its test fold (MAE in ln K, mean ± sample std over the 10 folds).
Features and rows, combined by ``+`` in a variant's name:

- ``magpie``: the 132 Magpie descriptors of the composition (always there);
- ``formulas``: the SuperCon formula rows (``supercon_11949``, Tc > 0), minus every formula
  sharing a composition key with a validation or test entry of the fold (the shipped
  baseline's rule; their structure features are missing, which LightGBM routes as such);
- ``descriptors``: the six cheap structure descriptors of
  :mod:`supercon3d.models.structure_features` (volume per atom, density, symmetry, nearest
  neighbour distance, partial sites);
- ``3dsc``: the 3DSC structures with a SuperCon Tc > 0 (``supercon_stanev2018`` and
  ``supercon_11949`` together) as extra training rows, minus every structure whose name
  formula or structure composition shares a key with a validation or test entry;
- ``chgnet``: transfer learning, the 64 crystal features of the pre-trained CHGNet 0.3.0
  (MPtrj; the mean of its atom features after the last interaction block, from the wheel's
  weights, offline) for each SuperCon3D structure; a disordered one through its first ordered
  approximant (:func:`supercon3d.stability.approximants.ordered_approximants`); cells over
  ``CHGNET_MAX_SITES`` sites or with atoms closer than ``CHGNET_MIN_DISTANCE`` Å (overlapping
  hydride sites, whose three-body graph exhausted 24 GiB) are left missing. Cached under the
  cache folder. Only SuperCon3D rows get them, so ``3dsc`` and ``chgnet`` are not combined.

Needs the ``stability`` extra for ``chgnet`` (CHGNet).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Structure

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.supercon3d import Entry, load_supercon3d
from supercon3d.data.tables import load_3dsc_index, load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer, make_regressor
from supercon3d.models.structure_features import STRUCTURE_FEATURES
from supercon3d.settings import cache_dir, data_dir, dataset_path
from supercon3d.training.baseline import entry_keys, fold_extra_rows
from supercon3d.training.superconductor_data import label_formulas, structure_table

VARIANTS = (
    "formulas",
    "formulas+descriptors",
    "formulas+descriptors+3dsc",
    "formulas+chgnet",
    "magpie",
    "descriptors",
    "chgnet",
    "descriptors+chgnet",
)
FORMULAS_TABLE = "supercon_11949"
CHGNET_MAX_SITES = 200
CHGNET_MIN_DISTANCE = 0.9
CHGNET_FEATURES = 64
SEED = 0


def chgnet_features(entries: list[Entry]) -> dict[str, np.ndarray]:
    """CHGNet crystal features per entry id (NaN where left out), cached on disk."""
    import torch

    from supercon3d.pretrained import chgnet_model
    from supercon3d.stability.approximants import ordered_approximants

    ids = sorted(entry.id for entry in entries)
    digest = hashlib.sha256(
        json.dumps([ids, CHGNET_MAX_SITES, CHGNET_MIN_DISTANCE]).encode()
    ).hexdigest()
    cache = cache_dir() / f"chgnet-crystal-features-{digest[:12]}.npz"
    if cache.is_file():
        stored = np.load(cache)
        return dict(zip(stored["ids"], stored["features"]))
    torch.set_num_threads(1)
    model = chgnet_model()
    by_id = {entry.id: entry for entry in entries}
    rows = []
    for entry_id in ids:
        structure: Structure = by_id[entry_id].structure.copy()
        structure.remove_oxidation_states()
        rows.append(np.full(CHGNET_FEATURES, np.nan))
        if not structure.is_ordered:
            structure = ordered_approximants(structure)[0]
        distances = structure.distance_matrix + np.eye(len(structure)) * CHGNET_MIN_DISTANCE
        if len(structure) > CHGNET_MAX_SITES or distances.min() < CHGNET_MIN_DISTANCE:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.predict_structure(structure, task="e", return_crystal_feas=True)
        rows[-1] = np.asarray(out["crystal_fea"], dtype=float)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=np.array(ids), features=np.vstack(rows))
    return dict(zip(ids, rows))


def dsc_rows(featurizer: MagpieFeaturizer) -> dict:
    """The 3DSC superconductor rows: Magpie, descriptors, ln Tc and the keys per structure."""
    index = load_3dsc_index(tc_table=label_formulas()).dropna(subset=["tc"])
    index = index[index["tc"] > 0]
    table = structure_table(index["file"])
    root = data_dir().resolve()
    tc_of = {
        str(Path(f).resolve().relative_to(root)): tc for f, tc in zip(index["file"], index["tc"])
    }
    compositions = [Composition(json.loads(c)) for c in table["composition"]]
    names = [parse_formula(Path(f).name.split("-MP-")[0]) for f in table.index]
    return {
        "magpie": featurizer.transform(compositions),
        "descriptors": table[list(STRUCTURE_FEATURES)].to_numpy(float),
        "ln_tc": np.log([tc_of[f] for f in table.index]),
        "keys": [
            {composition_key(c)} | ({composition_key(n)} if n is not None else set())
            for c, n in zip(compositions, names)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    started = time.perf_counter()
    dataset = load_supercon3d()
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = FoldAssignment.shipped()
    featurizer = MagpieFeaturizer(cache_dir())
    cif_folder = dataset_path("supercon3d/cif")
    table = structure_table([cif_folder / entry_id for entry_id in sorted(by_id)])
    descriptors = {
        Path(f).name: row
        for f, row in zip(table.index, table[list(STRUCTURE_FEATURES)].to_numpy(float))
    }
    formulas = load_supercon_formulas(FORMULAS_TABLE)
    needs = set("+".join(args.variants).split("+"))
    dsc = dsc_rows(featurizer) if "3dsc" in needs else None
    chgnet = chgnet_features(dataset.entries) if "chgnet" in needs else None
    print(f"features ready in {time.perf_counter() - started:.0f} s")
    print("| variant | rows per fold (mean) | MAE (ln K) | wall time |")
    print("|---|---|---|---|")
    for variant in args.variants:
        parts = set(variant.split("+"))
        variant_started = time.perf_counter()
        maes, n_rows = [], []
        for fold in range(folds.n_folds):
            split = folds.split(fold)
            train, val, test = (
                [by_id[i] for i in ids if i in by_id]
                for ids in (split.train, split.val, split.test)
            )
            blocks = {"magpie": [featurizer.transform([e.structure.composition for e in train])]}
            blocks["descriptors"] = [np.vstack([descriptors[e.id] for e in train])]
            blocks["chgnet"] = [np.vstack([chgnet[e.id] for e in train])] if chgnet else []
            targets = [np.array([e.ln_tc for e in train])]
            extra_rows: list[tuple[np.ndarray, np.ndarray | None, np.ndarray]] = []
            if "3dsc" in parts:
                held_out = entry_keys(val) | entry_keys(test)
                keep = np.array([not (keys & held_out) for keys in dsc["keys"]])
                extra_rows.append(
                    (dsc["magpie"][keep], dsc["descriptors"][keep], dsc["ln_tc"][keep])
                )
            if "formulas" in parts:
                extra = fold_extra_rows(formulas, val, test, "random")
                magpie = featurizer.transform(list(extra["composition"]))
                extra_rows.append((magpie, None, np.log(extra["tc"].to_numpy(float))))
            for magpie, described, ln_tc in extra_rows:
                blocks["magpie"].append(magpie)
                missing = np.full((len(magpie), len(STRUCTURE_FEATURES)), np.nan)
                blocks["descriptors"].append(described if described is not None else missing)
                if chgnet:
                    blocks["chgnet"].append(np.full((len(magpie), CHGNET_FEATURES), np.nan))
                targets.append(ln_tc)
            used = ["magpie", *[p for p in ("descriptors", "chgnet") if p in parts]]
            features = np.hstack([np.vstack(blocks[name]) for name in used])
            test_blocks = {
                "magpie": featurizer.transform([e.structure.composition for e in test]),
                "descriptors": np.vstack([descriptors[e.id] for e in test]),
                "chgnet": np.vstack([chgnet[e.id] for e in test]) if chgnet else None,
            }
            regressor = make_regressor("lgbm", SEED)
            regressor.fit(features, np.concatenate(targets))
            predicted = regressor.predict(np.hstack([test_blocks[name] for name in used]))
            maes.append(float(np.abs(predicted - np.array([e.ln_tc for e in test])).mean()))
            n_rows.append(len(features))
        seconds = time.perf_counter() - variant_started
        print(
            f"| {variant} | {np.mean(n_rows):,.0f} | {np.mean(maes):.4f} ± "
            f"{np.std(maes, ddof=1):.4f} | {seconds:.0f} s |",
            flush=True,
        )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

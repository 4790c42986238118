"""Known superconductors outside SuperCon3D, from another structure source (issue 15)

    python benchmarks/known_superconductors.py [--n 600] [--workers 2] [--run RUN_FOLDER]

A user's first check of a Tc model: give it the structure of a superconductor it was not
trained on as a structure and see whether the Tc comes back. The sample: up to ``--n`` / 2
ordered Materials Project cells and as many ``synth_doped`` ones (given partial occupancies
to match the SuperCon formula) from 3DSC, with a SuperCon Tc > 0 K, whose formula shares no
composition key with any SuperCon3D entry (from its structure or its formula column), one
structure per formula, drawn with a fixed seed. Each goes through ``predict_inputs`` with the
shipped model (or the run folder ``--run``), blended (what ``supercon3d predict`` reports)
and SODNet alone; printed per kind: median relative error |Tc_pred − Tc| / Tc, MAE (ln K)
and the share of SuperCon Tc inside the 90 % interval.

What this is and is not: SuperCon's formula table is part of the shipped model's training
data (its composition prior and the blend's composition model), and every 3DSC formula comes
from SuperCon, so the composition parts have seen these materials' Tc: this measures recall
of known materials through a structure from another source, not generalization. For the
generalization side, the script also fits the blend's composition recipe (LightGBM on Magpie,
and on Magpie plus CHGNet's element statistics as the shipped blend uses; SuperCon3D entries
plus the ``supercon_11949`` formulas) without every formula that shares a composition key
with a sampled structure, and scores it on the same sample ("..., sample held out").
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.machine import describe_machine
from supercon3d.models.composition import (
    COMPOSITION_EMBEDDINGS,
    MagpieFeaturizer,
    MagpieRegressor,
)
from supercon3d.screening import predict_inputs
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import entry_keys, extra_training_rows
from supercon3d.training.blend import COMPOSITION_MODEL, composition_model
from supercon3d.training.extra_structures import labelled_3dsc_index

SEED = 0


def sample(index: pd.DataFrame, excluded: set, n: int) -> pd.DataFrame:
    """``n`` structures (half synth-doped), one per formula, none of an excluded key."""
    keys = [
        composition_key(c) if c is not None else None for c in map(parse_formula, index["formula"])
    ]
    index = index.assign(key=keys)
    index = index[[k is not None and k not in excluded for k in index["key"]]]
    index = index.drop_duplicates("key")
    parts = [
        group.sample(min(n // 2, len(group)), random_state=SEED)
        for _, group in index.groupby("synth_doped")
    ]
    return pd.concat(parts, ignore_index=True)


def scores(predicted_tc: np.ndarray, tc: np.ndarray) -> str:
    """Median relative error, MAE of ln Tc (ln K) and the count scored."""
    relative = np.abs(predicted_tc - tc) / tc
    ln_mae = np.abs(np.log(predicted_tc) - np.log(tc)).mean()
    return f"median relative error {np.median(relative):6.1%}  MAE {ln_mae:.3f} ln K  n {len(tc)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run", help="a run folder to score instead of the shipped model")
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = load_supercon3d()
    chosen = sample(labelled_3dsc_index(), entry_keys(dataset.entries), args.n)
    kinds = np.where(chosen["synth_doped"], "synth-doped", "ordered")
    tc = chosen["tc"].to_numpy(float)
    print(f"# {describe_machine()}")

    for label, blend in (("blend (what predict reports)", True), ("SODNet alone", False)):
        predictions = predict_inputs(
            list(chosen["file"]), checkpoints=args.run, blend=blend, workers=args.workers
        )
        failed = [p for p in predictions if p.error]
        ok = np.array([p.error is None for p in predictions])
        predicted = np.array([p.tc_kelvin if p.error is None else np.nan for p in predictions])
        print(f"\n{label}: {len(failed)} of {len(predictions)} files refused")
        for reason in sorted({p.error for p in failed})[:5]:
            print(f"  refused: {reason}")
        for kind in ("ordered", "synth-doped"):
            mask = ok & (kinds == kind)
            print(f"  {kind:<12} {scores(predicted[mask], tc[mask])}")
        bounds = [(p.tc_low_kelvin, p.tc_high_kelvin) for p in predictions if p.error is None]
        if blend and all(low is not None for low, _ in bounds):
            low, high = np.array(bounds, dtype=float).T
            inside = (low <= tc[ok]) & (tc[ok] <= high)
            print(f"  90 % interval holds the SuperCon Tc for {inside.mean():.1%}")

    formulas = load_supercon_formulas(COMPOSITION_MODEL.formulas_table)
    rows = extra_training_rows(formulas, set(chosen["key"]))
    compositions = [e.structure.composition for e in dataset.entries] + list(rows["composition"])
    targets = [e.ln_tc for e in dataset.entries] + list(np.log(rows["tc"]))
    for embedding in (None, *COMPOSITION_EMBEDDINGS):
        config = composition_model(embedding)
        featurizer = MagpieFeaturizer(cache_dir(), element_embedding=embedding)
        model = MagpieRegressor(config.model, config.seed, 2, featurizer).fit(compositions, targets)
        held_out = np.exp(model.predict([parse_formula(f) for f in chosen["formula"]]))
        print(f"\n{config.name}, sample held out (without the sampled keys)")
        for kind in ("ordered", "synth-doped"):
            mask = kinds == kind
            print(f"  {kind:<12} {scores(held_out[mask], tc[mask])}")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

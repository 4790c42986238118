"""The ambient-pressure Tc model against the full one (issue 15, part 5).

    python benchmarks/ambient_model.py [--run runs/sodnet-cpu-ambient]

1. Cross-validation on the shared random 10 folds without the high-pressure superhydrides
   (what ``supercon3d evaluate RUN`` prints for an ambient run): the ambient model as
   ``predict --ambient`` uses it, SODNet alone, and the composition LightGBM with and without
   the extra formulas (superhydride formulas left out) on the same folds.
2. The full model (shipped ``sodnet-cpu``) scored on exactly the same test entries, from its
   own cross-validation (each entry predicted by the fold model that never saw it).
3. What each model says about the superhydrides themselves (the SuperCon3D entries the
   ambient model never saw, Tc measured at 100–250 GPa): Tc each ensemble predicts (K, what
   ``predict`` prints), median and the share above 77 K.

MAE in ln K. Figures go to docs/notebook/benchmarks-2026-11.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from supercon3d import api
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.machine import describe_machine
from supercon3d.models.shipped import AMBIENT_MODEL, shipped_model_dir
from supercon3d.settings import dataset_path

LIQUID_NITROGEN = 77.0
"""K: the Tc above which a superconductor is called high-Tc here."""


def mae_by_fold(predictions, ids: set[str]) -> tuple[float, float]:
    """Mean ± std over test folds of the MAE (ln K) on the entries ``ids``."""
    kept = predictions[predictions["id"].isin(ids)]
    errors = (kept["ln_tc_pred"] - kept["ln_tc"]).abs().groupby(kept["fold"]).mean()
    return float(errors.mean()), float(errors.std(ddof=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=shipped_model_dir(AMBIENT_MODEL))
    args = parser.parse_args()
    print(describe_machine())
    started = time.perf_counter()
    ambient = api.evaluate(args.run)
    summary = ambient.summary
    print(f"\n{args.run} on the random split, superhydrides left out:")
    print("| model | MAE (ln K) | R² |\n|---|---|---|")
    for record in [summary, *summary["compared"]]:
        print(
            f"| {record['model']} | {record['mae_mean']:.3f} ± {record['mae_std']:.3f} | "
            f"{record['r2_mean']:.3f} ± {record['r2_std']:.3f} |"
        )
    print(f"interval coverage {summary['interval_coverage']:.3f}")
    scored = set(ambient.predictions["id"])
    full = api.evaluate(None, baselines=False).predictions
    mean, std = mae_by_fold(full, scored)
    own_mean, own_std = mae_by_fold(ambient.predictions, scored)
    print(
        f"\nsame {len(scored)} test entries: full model {mean:.3f} ± {std:.3f}, "
        f"ambient model {own_mean:.3f} ± {own_std:.3f} ln K"
    )
    dataset = load_supercon3d()
    hydrides = [e for e in dataset.entries if is_high_pressure_hydride(e.structure.composition)]
    files = [dataset_path("supercon3d/cif") / e.id for e in hydrides]
    reported = np.array([e.tc for e in hydrides])
    print(
        f"\n{len(hydrides)} superhydride entries, reported Tc median {np.median(reported):.0f} K, "
        f"{np.mean(reported > LIQUID_NITROGEN):.0%} above {LIQUID_NITROGEN:.0f} K:"
    )
    for name, folder in (("full (sodnet-cpu)", None), (f"ambient ({args.run.name})", args.run)):
        tc = np.array([p.tc_kelvin for p in api.predict(files, checkpoints=folder)], float)
        print(
            f"  {name}: predicted Tc median {np.nanmedian(tc):.1f} K, "
            f"{np.mean(tc > LIQUID_NITROGEN):.0%} above {LIQUID_NITROGEN:.0f} K"
        )
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

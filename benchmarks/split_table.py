"""Every model on every split: one markdown table of MAE and R² (ln Tc, ln K).

For each split (shared random 10 folds, chemical-system-grouped 10 folds, leave-one-family-out)
the composition baselines are cross-validated on the split's folds (Magpie descriptors with
LightGBM, with and without the extra SuperCon formulas, random forest and SVR), and each SODNet
run trained on that split is scored on its own test folds: as it predicts (with its
composition blend, if it has one) and SODNet alone. A run is only ever scored on the split it
was trained on; the shipped model (random split) is scored on ``random`` unless
``--no-shipped``.

    python benchmarks/split_table.py [--split random --split family ...]
        [--run chemical-system=runs/sodnet-cpu-chemical-system ...] [--no-shipped]
        [--models lgbm,lgbm+formulas,rf,svr] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from supercon3d import api
from supercon3d.data.supercon3d import SuperCon3D, load_supercon3d
from supercon3d.evaluation.folds import SPLITS, FoldAssignment, check_split, split_folds
from supercon3d.machine import describe_machine
from supercon3d.models.composition import BaselineConfig
from supercon3d.training.baseline import cross_validate_baseline

BASELINES = {
    "lgbm": BaselineConfig(model="lgbm"),
    "lgbm+formulas": BaselineConfig(model="lgbm", extra_formulas=True),
    "rf": BaselineConfig(model="rf"),
    "svr": BaselineConfig(model="svr"),
}
SHIPPED = "shipped"
BLEND_ROW = "SODNet + composition blend (what `predict` uses)"
SODNET_ROW = "SODNet alone"


def parse_runs(pairs: list[str], shipped: bool) -> dict[str, str]:
    """``split=DIR`` pairs as {split: run folder}; the shipped model for ``random`` unless
    ``shipped`` is off or a run is given for it."""
    runs = {"random": SHIPPED} if shipped else {}
    for pair in pairs:
        split, sep, folder = pair.partition("=")
        if not sep or not folder:
            raise SystemExit(f"--run {pair!r}: expected SPLIT=DIR")
        runs[check_split(split)] = folder
    return runs


def row(name: str, summary: dict, wall_s: float, folds: FoldAssignment) -> dict:
    """A table row: MAE and R² mean ± std over the test folds, each fold's MAE by its name
    (the family on the family split), and the wall time (s)."""
    keys = ("mae_mean", "mae_std", "r2_mean", "r2_std")
    fold_mae = {folds.fold_name(f["fold"]): f["mae"] for f in summary.get("folds", [])}
    return {
        "model": name,
        **{k: summary[k] for k in keys},
        "fold_mae": fold_mae,
        "wall_s": round(wall_s, 1),
    }


def baseline_rows(dataset: SuperCon3D, folds: FoldAssignment, models: list[str]) -> list[dict]:
    split = folds.split_name
    rows = []
    for model in models:
        started = time.perf_counter()
        config = BASELINES[model]
        summary, _ = cross_validate_baseline(dataset, folds, config=config)
        rows.append(row(config.name, summary, time.perf_counter() - started, folds))
        print(f"{split}: {config.name} MAE {summary['mae_mean']:.3f}", flush=True)
    return rows


def run_rows(split: str, folder: str, folds: FoldAssignment) -> list[dict]:
    """The run as it predicts (``SODNet + composition blend`` when blended) and SODNet alone,
    from one evaluation; the rows name the model, not the folder, so that runs trained on
    different splits share a row."""
    started = time.perf_counter()
    evaluation = api.evaluate(None if folder == SHIPPED else folder, baselines=False, split=split)
    wall = time.perf_counter() - started
    summary = evaluation.summary
    blended = bool(summary["compared"])  # without baselines: only the unblended ensemble
    rows = [row(BLEND_ROW if blended else SODNET_ROW, summary, wall, folds)]
    rows += [row(SODNET_ROW, r, wall, folds) for r in summary["compared"]]
    coverage = f"{summary['interval_coverage']:.3f} ± {summary['interval_coverage_std']:.3f}"
    print(f"{split}: {summary['model']} MAE {summary['mae_mean']:.3f}, "
          f"{summary['interval_level']:.0%} interval coverage {coverage}", flush=True)  # fmt: skip
    return rows


def markdown(results: dict[str, list[dict]], splits: list[str]) -> str:
    """Models as rows, splits as columns; cells ``MAE ± std (R² r2)``."""
    models = list(dict.fromkeys(r["model"] for rows in results.values() for r in rows))
    lines = [
        "| model | " + " | ".join(splits) + " |",
        "|---|" + "---|" * len(splits),
    ]
    for model in models:
        cells = []
        for split in splits:
            found = [r for r in results[split] if r["model"] == model]
            cells.append(
                f"{found[0]['mae_mean']:.3f} ± {found[0]['mae_std']:.3f} "
                f"(R² {found[0]['r2_mean']:.3f})"
                if found
                else "–"
            )
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fold_table(rows: list[dict]) -> str:
    """Models as rows, test folds (by name) as columns; cells: that fold's MAE (ln K)."""
    names = list(rows[0]["fold_mae"])
    lines = ["| model | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for r in rows:
        cells = [f"{r['fold_mae'][name]:.3f}" if name in r["fold_mae"] else "–" for name in names]
        lines.append(f"| {r['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: all three")
    parser.add_argument("--run", action="append", default=[], help="SPLIT=DIR, repeatable")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped model")
    parser.add_argument("--models", default=",".join(BASELINES), help="baselines to run")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    splits = args.split or list(SPLITS)
    runs = parse_runs(args.run, not args.no_shipped)
    models = args.models.split(",")
    unknown = sorted(set(models) - set(BASELINES))
    if unknown:
        raise SystemExit(f"unknown baselines {unknown}; choose from {', '.join(BASELINES)}")
    print(describe_machine(), flush=True)
    dataset = load_supercon3d()
    results = {}
    for split in splits:
        folds = split_folds(split, dataset)
        results[split] = baseline_rows(dataset, folds, models)
        if split in runs:
            results[split] += run_rows(split, runs[split], folds)
    wall = time.perf_counter() - started
    print("\nMAE ± std over test folds (mean R²), ln Tc in ln K\n")
    print(markdown(results, splits))
    print("\nSODNet runs: " + ", ".join(f"{split}: {folder}" for split, folder in runs.items()))
    if "family" in results:
        print("\nleave-one-family-out, MAE (ln K) per test family:\n")
        print(fold_table(results["family"]))
    print("\nwall time per model (s):")
    for split in splits:
        print(f"  {split}: " + ", ".join(f"{r['model']} {r['wall_s']:.0f}" for r in results[split]))
    print(f"total {wall:.0f} s on {describe_machine()}")
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": describe_machine(), "rows": results}, indent=1))


if __name__ == "__main__":
    main()

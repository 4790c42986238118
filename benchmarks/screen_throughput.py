"""Throughput of ``supercon3d screen`` with its defaults, end to end, cold caches; and where
the time of stage 1 goes.

    python benchmarks/screen_throughput.py [--n 15608] [--profile 300] [--workers N]

Target (issue 17) on 2 cores: at least 100 structures/s end to end (stage 1 for all, stage 2
for the top 10 %) on the 15,608 CIFs of 3dsc_mp/cifs + mp_structures/cifs. The command runs
in a fresh process with an empty cache folder and a new database; the time counts its start
(imports, worker start-up, model loading) too. ``--profile N`` times each piece of stage 1
on N of the CIFs in this process, one after the other (cold caches, one core).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from screen_common import corpus_files, linked_sample, load_average, run_screen_command

from supercon3d.machine import describe_machine

TARGET_PER_SECOND = 100.0
PROFILE_SEED = 0


def profile_stage_one(files: list[Path], n: int) -> None:
    """Milliseconds per structure of each piece of stage 1, on ``n`` CIFs in this process."""
    from supercon3d.chemistry import is_molecular
    from supercon3d.data.family import chemical_family
    from supercon3d.data.taxonomy import classify_disorder
    from supercon3d.screening.scoring import CompositionStage, read_item
    from supercon3d.screening.sources import iter_sources

    sample = random.Random(PROFILE_SEED).sample(files, n)
    started = time.perf_counter()
    stage = CompositionStage(None, None)
    print(
        f"  loading the stage-1 models and the literature tables: "
        f"{time.perf_counter() - started:.1f} s (once per worker)"
    )
    seconds: dict[str, float] = {}

    def timed(piece: str, function, *arguments):
        begun = time.perf_counter()
        value = function(*arguments)
        seconds[piece] = seconds.get(piece, 0.0) + time.perf_counter() - begun
        return value

    items = timed("reading files and sha256", lambda: list(iter_sources(sample)))
    compositions = []
    for item in items:
        structure, _, overfull = timed("parsing the CIF (pymatgen + contract)", read_item, item)
        timed(
            "disorder class",
            lambda s, o: classify_disorder(s, overfull_occupancies=o),
            structure,
            overfull,
        )
        timed("chemical family", chemical_family, structure.composition)
        timed("molecular (chemist's check)", is_molecular, structure)
        compositions.append(structure.composition)
    timed(
        "P(SC), ln Tc (Magpie, classifier, 10 LightGBM), look-up, charge balance",
        stage.estimates,
        compositions,
    )
    distinct = len({c.reduced_formula for c in compositions})
    print(f"  ({distinct} distinct reduced formulas among the {n})")
    report_pieces("stage 1", seconds, n)


def report_pieces(stage: str, seconds: dict[str, float], n: int) -> None:
    total = sum(seconds.values())
    print(f"{stage} piece by piece, {n} CIFs, one core ({total / n * 1000:.1f} ms each):")
    for piece, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {piece:55s} {value / n * 1000:6.2f} ms  {100 * value / total:4.1f} %")


def profile_stage_two(files: list[Path], n: int) -> None:
    """Milliseconds per structure of each piece of stage 2, on ``n`` CIFs in this process
    (one batch and one torch thread, as a worker runs a shard), after loading the ensemble."""
    import torch

    from supercon3d.graphs.crystal_graph import GraphBuildError, structure_to_graph
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.models.superconductor import SuperconductorClassifier
    from supercon3d.screening.predict import describe_structure, predict_prepared
    from supercon3d.screening.scoring import read_item
    from supercon3d.screening.sources import iter_sources

    torch.set_num_threads(1)  # as in a worker
    sample = random.Random(PROFILE_SEED + 1).sample(files, n)
    started = time.perf_counter()
    ensemble, classifier = load_ensemble(), SuperconductorClassifier.shipped()
    print(
        f"  loading the ensemble (torch import included): "
        f"{time.perf_counter() - started:.1f} s (once per worker)"
    )
    seconds: dict[str, float] = {}
    prepared = []
    for item in iter_sources(sample):
        begun = time.perf_counter()
        structure, _, _ = read_item(item)
        seconds["parsing the CIF again"] = seconds.get("parsing the CIF again", 0.0) + (
            time.perf_counter() - begun
        )
        begun = time.perf_counter()
        record = describe_structure(structure, item.id)
        seconds["disorder class + structure descriptors"] = seconds.get(
            "disorder class + structure descriptors", 0.0
        ) + (time.perf_counter() - begun)
        begun = time.perf_counter()
        try:
            record.graph = structure_to_graph(structure, ensemble.graph_settings, item.id)
        except GraphBuildError as error:
            record.error = str(error)
        seconds["crystal graph"] = seconds.get("crystal graph", 0.0) + (time.perf_counter() - begun)
        prepared.append(record)
    begun = time.perf_counter()
    predict_prepared(prepared, ensemble, classifier)
    seconds["classifier + 10 SODNet models (one batch)"] = time.perf_counter() - begun
    report_pieces("stage 2", seconds, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="The first N CIFs (default: all).")
    parser.add_argument("--profile", type=int, default=0, help="Also profile N CIFs in-process.")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--profile-only", action="store_true", help="Skip the command's run.")
    args = parser.parse_args()
    if args.profile_only:
        print(f"machine: {describe_machine()}; load average: {load_average()}")
        profile_stage_one(corpus_files(), args.profile)
        profile_stage_two(corpus_files(), max(1, args.profile // 10))
        return

    files = corpus_files()
    n = len(files) if args.n is None else min(args.n, len(files))
    print(f"machine: {describe_machine()}")
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = linked_sample(files, n, scratch / "cifs")
        arguments = [str(source), "--db", str(scratch / "screen.sqlite"), "--top", "0"]
        if args.workers is not None:
            arguments += ["--workers", str(args.workers)]
        run = run_screen_command(arguments, scratch / "cache")
    if run.returncode not in (0, 3):
        raise SystemExit(f"supercon3d screen failed ({run.returncode}):\n{run.stderr[-2000:]}")
    rate = n / run.wall_s
    print(f"load average after: {load_average()}")
    print(f"supercon3d screen on {n:,} CIFs (defaults: all cores, --rescore-top 0.1), cold caches")
    print(
        f"  end to end: {run.wall_s:.1f} s, {rate:.1f} structures/s "
        f"(target {TARGET_PER_SECOND:.0f}/s: {'met' if rate >= TARGET_PER_SECOND else 'NOT met'})"
    )
    print(
        f"  stage 1: {run.stage1:,} structures in {run.stage1_s:.1f} s "
        f"({run.stage1 / max(run.stage1_s, 1e-9):.1f}/s, worker start-up included)"
    )
    print(
        f"  stage 2: {run.stage2:,} structures in {run.stage2_s:.1f} s "
        f"({run.stage2 / max(run.stage2_s, 1e-9):.1f}/s, ensemble loading included)"
    )
    other = run.wall_s - run.stage1_s - run.stage2_s
    print(f"  the rest (start-up, imports, the table at the end): {other:.1f} s")
    print(
        f"  peak RSS: coordinator {run.peak_coordinator_mib:.0f} MiB, largest worker "
        f"{run.peak_worker_mib:.0f} MiB, whole tree {run.peak_total_mib:.0f} MiB"
    )
    if args.profile:
        profile_stage_one(files, args.profile)
        profile_stage_two(files, max(1, args.profile // 10))


if __name__ == "__main__":
    main()

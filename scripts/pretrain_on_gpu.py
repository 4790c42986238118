"""Pre-train the DiffCSP-SC denoiser on a GPU for a fixed time: the longer pre-training that
docs/notebook/benchmarks-2026-11.md compares with the shipped CPU one.

It reads the corpus from its cache file, so it runs where the data folder is absent (a lent
GPU machine); print that file's path here with ``--print-corpus-path``. A three-epoch run
measures the epoch time, then the cosine schedule is sized to fill ``--minutes``; with
``--initial`` training goes on from a denoiser's weights (e.g. the shipped one). Writes
``denoiser.safetensors`` (usable with ``supercon3d generate --checkpoints DIR`` once the
shipped ``guidance.safetensors`` is copied beside it) and ``pretrain.json`` (the loss history).

    python scripts/pretrain_on_gpu.py --print-corpus-path
    python scripts/pretrain_on_gpu.py --corpus corpus.npz --minutes 6.5 --out runs/gpu
    python scripts/pretrain_on_gpu.py --corpus corpus.npz --minutes 5 --batch-size 64 \
        --learning-rate 3e-4 --initial SHIPPED_DENOISER
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.corpus import StructureCorpus, corpus_cache_file
from supercon3d.generation.generator import DENOISER_FILE
from supercon3d.generation.training import (
    GeneratorConfig,
    atom_count_histogram,
    crystal_dataset,
    train_denoiser,
    training_info,
)
from supercon3d.machine import device_name

CALIBRATION_EPOCHS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="corpus cache file (.npz)")
    parser.add_argument("--print-corpus-path", action="store_true")
    parser.add_argument("--minutes", type=float, default=6.5, help="training time")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--initial", type=Path, help="denoiser checkpoint to train on from (default: random)"
    )
    parser.add_argument("--out", type=Path, default=Path("runs/generator-gpu"))
    args = parser.parse_args()
    if args.print_corpus_path:
        print(corpus_cache_file())
        return
    if args.corpus is None:
        parser.error("--corpus is required")

    started = time.perf_counter()
    initial = None if args.initial is None else GeneratorCheckpoint.load(args.initial, "denoiser")
    corpus = StructureCorpus.load(args.corpus)
    train_set = crystal_dataset(corpus.train())
    val_set = crystal_dataset(corpus.held_out_structures())
    print(f"{device_name(args.device)}: {len(train_set)} training and {len(val_set)} "
          f"validation structures (read in {time.perf_counter() - started:.0f} s)")  # fmt: skip

    defaults = GeneratorConfig()
    settings = dataclasses.replace(
        defaults.pretrain, batch_size=args.batch_size, learning_rate=args.learning_rate
    )
    args.out.mkdir(parents=True, exist_ok=True)
    calibration = dataclasses.replace(defaults, pretrain=dataclasses.replace(
        settings, epochs=CALIBRATION_EPOCHS))  # fmt: skip
    calibration_state = args.out / "calibration.state.pt"
    _, summary = train_denoiser(calibration, train_set, val_set, calibration_state,
                                device=args.device)  # fmt: skip
    calibration_state.unlink()
    epoch_seconds = summary["train_seconds"] / CALIBRATION_EPOCHS
    epochs = max(1, int(args.minutes * 60 / epoch_seconds))
    print(f"{epoch_seconds:.2f} s per epoch (first {CALIBRATION_EPOCHS}, warm-up included): "
          f"{epochs} epochs of batch {args.batch_size}")  # fmt: skip

    config = dataclasses.replace(defaults, pretrain=dataclasses.replace(settings, epochs=epochs))

    def report(message: dict) -> None:
        if message["epoch"] % 50 == 0 or message["epoch"] == message["epochs"]:
            losses = f"loss {message['loss']:.4f}, val {message['val_loss']:.4f}"
            print(f"epoch {message['epoch']}: {losses} (best {message['best_val_loss']:.4f})")

    state_path = args.out / "pretrain.state.pt"
    model, summary = train_denoiser(
        config, train_set, val_set, state_path, report, args.device,
        None if initial is None else initial.model,
    )  # fmt: skip
    info = training_info(config.pretrain, summary, train_set, val_set)
    if initial is not None:
        info["initial"] = {"file": args.initial.name, **initial.info}
    checkpoint = GeneratorCheckpoint(
        "denoiser", model, config.diffusion, num_atoms=atom_count_histogram(train_set), info=info
    )
    checkpoint.save(args.out / DENOISER_FILE)
    (args.out / "pretrain.json").write_text(json.dumps(summary, indent=1))
    state_path.unlink()
    print(f"wrote {args.out / DENOISER_FILE}: best epoch {summary['best_epoch'] + 1} of {epochs}, "
          f"val loss {summary['val_loss']:.4f}, {summary['train_seconds']:.0f} s of training on "
          f"{summary['device']} (torch {torch.__version__})")  # fmt: skip


if __name__ == "__main__":
    main()

"""One training stage of the generator in a run folder: the denoiser (``pretrain``) on the
structure corpus, or the guidance Tc predictor (``guidance``) on the SuperCon3D ordered split.

The folder keeps ``<stage>.config.json``, the resume state ``<stage>.state.pt`` while the
stage runs (an interrupted run resumes when started again with the same configuration), and
at the end the checkpoint (``denoiser.safetensors`` or ``guidance.safetensors``) and
``<stage>.json`` (the training summary).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.corpus import primitive_split, without_elements
from supercon3d.generation.defaults import TRAINING_STAGES
from supercon3d.generation.diffusion import NoiseSchedule
from supercon3d.generation.generator import DENOISER_FILE, GUIDANCE_FILE
from supercon3d.generation.training import (
    GeneratorConfig,
    atom_count_histogram,
    crystal_dataset,
    guidance_mae_by_level,
    train_denoiser,
    train_guidance,
    training_info,
)
from supercon3d.generation.workflow import load_corpus
from supercon3d.progress import Log, ProgressFactory, no_log, no_progress
from supercon3d.training.loop import World, write_text_atomically
from supercon3d.training.sodnet import RunFolderError

EPOCH_LOG_INTERVAL = 10
"""Every this many epochs (and at the last) the log gets a line with the losses."""


@dataclass
class TrainedStage:
    """A finished stage: the checkpoint written to ``path`` and the training summary."""

    stage: str
    path: Path
    checkpoint: GeneratorCheckpoint
    summary: dict


def stage_files(out: Path, stage: str) -> tuple[Path, Path]:
    """The configuration and resume-state files of a stage in run folder ``out``."""
    return out / f"{stage}.config.json", out / f"{stage}.state.pt"


def check_stage_config(out: Path, stage: str, config: GeneratorConfig) -> None:
    """:class:`RunFolderError` if ``out`` holds an unfinished run of ``stage`` with another
    configuration (resuming it with this one would mix the two)."""
    config_path, state_path = stage_files(out, stage)
    if state_path.exists() and json.loads(config_path.read_text()) != json.loads(
        json.dumps(config.to_dict())
    ):
        raise RunFolderError(out, f"holds an unfinished {stage} run of another configuration")


def _datasets(
    stage: str,
    config: GeneratorConfig,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    log: Log,
) -> tuple[list, list]:
    """Training and validation graphs of a stage."""
    if stage == "pretrain":
        corpus = load_corpus(data, config.corpus, progress)
        log("corpus: " + ", ".join(f"{k} {v:,}" for k, v in corpus.counts.items()))
        return crystal_dataset(corpus.train()), crystal_dataset(corpus.held_out_structures())
    excluded = config.guidance_data.excluded
    train_split = without_elements(primitive_split("train", config.corpus, data), excluded)
    val_split = without_elements(primitive_split("val", config.corpus, data), excluded)
    if excluded:
        log(f"left out structures holding {', '.join(excluded)}")
    return (
        crystal_dataset([s for _, s, _ in train_split], [y for _, _, y in train_split]),
        crystal_dataset([s for _, s, _ in val_split], [y for _, _, y in val_split]),
    )


def train_stage(
    stage: str,
    out: str | os.PathLike,
    config: GeneratorConfig = GeneratorConfig(),
    *,
    data: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> TrainedStage:
    """Train ``stage`` (``pretrain`` or ``guidance``) into run folder ``out`` on ``device``
    and write its checkpoint; resumes an interrupted run of the same configuration.

    Under ``torchrun`` every process trains its share of each batch and only rank 0 writes
    files and logs; the others wait for its writes and return the same checkpoint."""
    if stage not in TRAINING_STAGES:
        raise ValueError(f"{stage!r}: choose one of {', '.join(TRAINING_STAGES)}")
    world = World.from_environment()
    if not world.is_main:
        progress, log = no_progress, no_log
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_stage_config(out, stage, config)
    config_path, state_path = stage_files(out, stage)
    if world.is_main:
        write_text_atomically(config_path, json.dumps(config.to_dict(), indent=1))
    settings = config.pretrain if stage == "pretrain" else config.guidance
    train_set, val_set = _datasets(stage, config, data, progress, log)
    log(f"{stage}: {len(train_set)} training and {len(val_set)} validation structures")
    with progress(f"{stage} epochs", settings.epochs) as advance:

        def report(message: dict) -> None:
            advance(1)
            if message["epoch"] % EPOCH_LOG_INTERVAL == 0 or message["epoch"] == message["epochs"]:
                log(
                    f"epoch {message['epoch']}: loss {message['loss']:.4f}, "
                    f"val {message['val_loss']:.4f} (best {message['best_val_loss']:.4f})"
                )

        if stage == "pretrain":
            model, summary = train_denoiser(
                config, train_set, val_set, state_path, report, device, world=world
            )
        else:
            model, normalization, summary = train_guidance(
                config, train_set, val_set, state_path, report, device, world=world
            )
    if stage == "pretrain":
        info = training_info(settings, summary, train_set, val_set)
        checkpoint = GeneratorCheckpoint(
            "denoiser", model, config.diffusion, num_atoms=atom_count_histogram(train_set),
            info=info,
        )  # fmt: skip
        path = out / DENOISER_FILE
    else:
        by_level = guidance_mae_by_level(
            model, normalization, val_set, NoiseSchedule(config.diffusion)
        )
        summary["val_mae_by_step"] = by_level
        log(
            "validation MAE (ln K) at step t: "
            + ", ".join(f"t={t} {mae:.3f}" for t, mae in by_level.items())
        )
        info = {
            **training_info(settings, summary, train_set, val_set),
            "excluded_elements": config.guidance_data.excluded,
        }
        checkpoint = GeneratorCheckpoint(
            "guidance", model, config.diffusion, normalization=normalization, info=info
        )
        path = out / GUIDANCE_FILE
    if world.is_main:
        checkpoint.save(path)
        write_text_atomically(out / f"{stage}.json", json.dumps(summary, indent=1))
        state_path.unlink(missing_ok=True)
    world.barrier()
    return TrainedStage(stage, path, checkpoint, summary)

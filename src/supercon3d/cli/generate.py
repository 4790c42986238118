"""``supercon3d generate``: new crystal structures steered toward high Tc; ``generate
evaluate`` scores a generation folder; ``generate train`` trains the generator."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch
import typer
from rich.table import Table

from supercon3d.cli.formatting import parse_overrides, without_nan
from supercon3d.cli.progress import console, one_line_errors, output, progress_bar
from supercon3d.generation.candidates import (
    RUN_FILE,
    UNGUIDED_FOLDER,
    assess,
    evaluate_run,
    read_candidates,
    write_run,
)
from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.corpus import (
    CorpusSettings,
    StructureCorpus,
    draw_seeds,
    load_or_build_corpus,
    ordered_split,
    primitive_split,
    without_elements,
)
from supercon3d.generation.diffusion import NoiseSchedule
from supercon3d.generation.generator import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_TYPE_SNR,
    DENOISER_FILE,
    GUIDANCE_FILE,
    SEED_LEVELS,
    CrystalGenerator,
    shipped_generator_dir,
)
from supercon3d.generation.metrics import fingerprints
from supercon3d.generation.training import (
    GeneratorConfig,
    atom_count_histogram,
    crystal_dataset,
    guidance_mae_by_level,
    train_denoiser,
    train_guidance,
    training_info,
)
from supercon3d.machine import device_name
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.training.sodnet import RunFolderError

generate_app = typer.Typer(
    help="Generate crystal structures steered toward high Tc (DiffCSP-SC).",
    invoke_without_command=True,
)
DEFAULT_GUIDANCE_SCALE = 3.0
DEFAULT_NOISE_STEPS = 1000
DEFAULT_SEED_STEPS = 250
SCORE_COLUMNS = (
    "n", "validity_structure", "validity_composition", "uniqueness", "novelty", "sr10", "sr30",
    "sr50", "novel_sr10", "novel_sr30", "novel_sr50", "compound_sr10", "compound_sr30",
    "compound_sr50", "tc_kelvin_median_valid",
    "coverage_recall", "coverage_precision", "wasserstein_density", "wasserstein_num_elements",
)  # fmt: skip


def _corpus(data: Path | None, settings: CorpusSettings = CorpusSettings()) -> StructureCorpus:
    with progress_bar("structure corpus (built once, then cached)", 0) as advance:
        return load_or_build_corpus(settings, data=data, progress=advance)


def _training_ln_tc(data: Path | None) -> np.ndarray:
    return np.array([ln_tc for _, _, ln_tc in ordered_split("train", data)])


def _novelty_reference(corpus: StructureCorpus, data: Path | None) -> list:
    """Training and pre-training structures: the corpus's training part and the SuperCon3D
    ordered training split."""
    return corpus.train() + [structure for _, structure, _ in ordered_split("train", data)]


def _generate_one(
    generator: CrystalGenerator,
    scale: float,
    from_seeds: bool,
    n: int,
    seed: int,
    data: Path | None,
) -> tuple[list, list[int] | None, list[float] | None, list[str]]:
    """Structures, their seed indices and levels (None from noise) and the seeds' names."""
    torch_generator = torch.Generator().manual_seed(seed)
    if from_seeds:
        drawn = draw_seeds(primitive_split("train", data=data), n, seed)
        seeds = [structure for _, structure, _ in drawn]
        total = generator.progress_total(len(seeds), SEED_LEVELS)
        with progress_bar(f"denoising {len(seeds)} seeds x 10 levels, scale {scale}", total) as bar:
            made = generator.from_seeds(
                seeds, SEED_LEVELS, scale, generator=torch_generator, progress=bar
            )
        names = [name for name, _, _ in drawn]
        return [m.structure for m in made], [m.seed for m in made], [m.level for m in made], names
    total = generator.progress_total(n)
    with progress_bar(f"denoising {n} structures from noise, scale {scale}", total) as advance:
        structures = generator.from_noise(n, scale, torch_generator, advance)
    return structures, None, None, []


def _format_score(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3g}"


def _print_scores(title: str, runs: dict[str, dict]) -> None:
    table = Table(title=title)
    table.add_column("metric")
    for name in runs:
        table.add_column(name, justify="right")
    for column in SCORE_COLUMNS:
        if any(column in scores for scores in runs.values()):
            values = [scores.get(column) for scores in runs.values()]
            table.add_row(column, *(_format_score(value) for value in values))
    output.print(table)


@generate_app.callback()
@one_line_errors
def generate(
    context: typer.Context,
    n: int = typer.Option(100, help="Structures from noise, or seeds with --from-seeds."),
    guidance_scale: float = typer.Option(
        DEFAULT_GUIDANCE_SCALE, help="Strength of the Tc guidance (0: unguided)."
    ),
    from_seeds: bool = typer.Option(
        False,
        "--from-seeds/--from-noise",
        help="Optimise seeds from the SuperCon3D ordered training split (each noised to "
        "t = 0.1T..T and denoised), or generate from noise.",
    ),
    compare_unguided: bool = typer.Option(
        True, help="Also run with guidance scale 0 (into OUT/unguided) to measure guidance."
    ),
    steps: int | None = typer.Option(
        None,
        help=f"Reverse steps of a full denoising (of T = 1000; fewer is faster). Default: "
        f"{DEFAULT_NOISE_STEPS} from noise, {DEFAULT_SEED_STEPS} from seeds.",
    ),
    type_snr: float = typer.Option(
        DEFAULT_TYPE_SNR,
        help="Signal-to-noise ratio of the Langevin corrector on the atom "
        "types at each reverse step (0: none).",
    ),
    charge_balance: float = typer.Option(
        DEFAULT_CHARGE_BALANCE,
        help="Scale of the term that steers atom types toward charge-neutral compositions "
        "(SMACT oxidation states; 0: none).",
    ),
    checkpoints: Path | None = typer.Option(
        None, help="Folder with denoiser.safetensors and guidance.safetensors (default: shipped)."
    ),
    device: str = typer.Option(
        "cpu", help="Where the networks run: 'cpu', 'cuda', ... (noise is drawn on the CPU)."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path | None = typer.Option(None, help="Output folder: CIFs and candidates.csv."),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
) -> None:
    """Generate structures and judge them with the shipped SODNet ensemble."""
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise typer.BadParameter("--out DIR is required to generate")
    folder = checkpoints or shipped_generator_dir()
    if steps is None:
        steps = DEFAULT_SEED_STEPS if from_seeds else DEFAULT_NOISE_STEPS
    generator = CrystalGenerator.from_dir(
        folder, steps=steps, type_snr=type_snr, charge_balance=charge_balance, device=device
    )
    ensemble = SODNetEnsemble.shipped()
    reference = _novelty_reference(_corpus(data), data)
    training_ln_tc = _training_ln_tc(data)
    scales = {"guided": guidance_scale}
    if compare_unguided and guidance_scale != 0:
        scales["unguided"] = 0.0
    runs = {}
    for name, scale in scales.items():
        started = time.perf_counter()
        structures, seeds, levels, seed_names = _generate_one(
            generator, scale, from_seeds, n, seed, data
        )
        seconds = time.perf_counter() - started
        names = [f"{i:05d}" for i in range(len(structures))]
        with progress_bar("judging (validity, novelty, SODNet Tc)", len(structures)) as advance:
            candidates = assess(structures, ensemble, reference, names, seeds, levels, advance)
        target = out if name == "guided" else out / UNGUIDED_FOLDER
        info = {
            "mode": "seeds" if from_seeds else "noise", "n": n, "guidance_scale": scale,
            "steps": steps, "type_snr": type_snr, "charge_balance": charge_balance,
            "seed": seed, "checkpoints": str(folder), "device": device_name(device),
            "generation_seconds": round(seconds, 1), "seed_names": seed_names,
        }  # fmt: skip
        write_run(target, structures, candidates, info)
        runs[name] = evaluate_run(target, training_ln_tc)
        console.print(f"wrote {target}/candidates.csv ({len(structures)} structures, "
                      f"generated in {seconds:.0f} s)")  # fmt: skip
    _print_scores(f"generated structures ({'seeds' if from_seeds else 'noise'})", runs)


@generate_app.command("evaluate")
@one_line_errors
def evaluate(
    folder: Path = typer.Argument(..., help="Output folder of supercon3d generate."),
    quality: bool = typer.Option(
        True,
        help="For runs from noise: coverage and Wasserstein distances to the held-out "
        "corpus (CrystalNN fingerprints, a few minutes).",
    ),  # fmt: skip
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
) -> None:
    """Validity, uniqueness, novelty, SR10/30/50 (seed runs) and generation quality."""
    runs = {"guided": folder}
    if (folder / UNGUIDED_FOLDER).is_dir():
        runs["unguided"] = folder / UNGUIDED_FOLDER
    training_ln_tc = _training_ln_tc(data)
    held_out = None
    if quality and json.loads((folder / RUN_FILE).read_text()).get("mode") == "noise":
        held_out = _corpus(data).held_out_structures() or None
    scores = {}
    if held_out is not None:
        with progress_bar("fingerprints (held-out corpus)", len(held_out)) as advance:
            held_out_fingerprints = fingerprints(held_out, advance)
    for name, path in runs.items():
        if held_out is not None:
            table = read_candidates(path)
            valid = int((table["valid_structure"] & table["valid_composition"]).sum())
            with progress_bar(f"fingerprints ({name})", valid) as advance:
                scores[name] = evaluate_run(
                    path, training_ln_tc, held_out, advance, held_out_fingerprints
                )
        else:
            scores[name] = evaluate_run(path, training_ln_tc)
    if json_output:
        result = scores["guided"] if len(scores) == 1 else scores
        output.print_json(json.dumps(without_nan(result)))
        return
    _print_scores(f"generation scores: {folder}", scores)


def _overrides(pairs: list[str]) -> GeneratorConfig:
    """``section.field=value`` pairs (e.g. ``pretrain.epochs=20``) applied to the defaults."""
    config = GeneratorConfig()
    sections = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    grouped: dict[str, list[str]] = {}
    for pair in pairs:
        section, dot, rest = pair.partition(".")
        if not dot or section not in sections:
            raise typer.BadParameter(
                f"{pair!r}: expected section.field=value, section one of {', '.join(sections)}"
            )
        grouped.setdefault(section, []).append(rest)
    changes = {
        section: dataclasses.replace(
            sections[section], **parse_overrides(items, type(sections[section]))
        )
        for section, items in grouped.items()
    }
    return dataclasses.replace(config, **changes)


@generate_app.command("train")
@one_line_errors
def train(
    stage: str = typer.Argument(..., help="'pretrain' (denoiser) or 'guidance' (Tc predictor)."),
    out: Path = typer.Option(Path("runs/generator"), help="Run folder."),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a config field, e.g. --set pretrain.epochs=20."
    ),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
    device: str = typer.Option("cpu", help="Where to train: 'cpu', 'cuda', 'cuda:1', ..."),
) -> None:
    """Train the denoiser on the structure corpus or the guidance model on the SuperCon3D
    ordered split; an interrupted run resumes when started again."""
    if stage not in ("pretrain", "guidance"):
        raise typer.BadParameter(f"{stage!r}: choose 'pretrain' or 'guidance'")
    config = _overrides(set_)
    out.mkdir(parents=True, exist_ok=True)
    config_path, state_path = out / f"{stage}.config.json", out / f"{stage}.state.pt"
    if state_path.exists() and json.loads(config_path.read_text()) != json.loads(
        json.dumps(config.to_dict())
    ):
        raise RunFolderError(out, f"holds an unfinished {stage} run of another configuration")
    config_path.write_text(json.dumps(config.to_dict(), indent=1))
    settings = config.pretrain if stage == "pretrain" else config.guidance
    if stage == "pretrain":
        corpus = _corpus(data, config.corpus)
        console.print("corpus: " + ", ".join(f"{k} {v:,}" for k, v in corpus.counts.items()))
        train_set = crystal_dataset(corpus.train())
        val_set = crystal_dataset(corpus.held_out_structures())
    else:
        excluded = config.guidance_data.excluded
        train_split = without_elements(primitive_split("train", config.corpus, data), excluded)
        val_split = without_elements(primitive_split("val", config.corpus, data), excluded)
        if excluded:
            console.print(f"left out structures holding {', '.join(excluded)}")
        train_set = crystal_dataset([s for _, s, _ in train_split], [y for _, _, y in train_split])
        val_set = crystal_dataset([s for _, s, _ in val_split], [y for _, _, y in val_split])
    console.print(f"{stage}: {len(train_set)} training and {len(val_set)} validation structures")
    with progress_bar(f"{stage} epochs", settings.epochs) as advance:

        def report(message: dict) -> None:
            advance(1)
            if message["epoch"] % 10 == 0 or message["epoch"] == message["epochs"]:
                console.print(
                    f"epoch {message['epoch']}: loss {message['loss']:.4f}, "
                    f"val {message['val_loss']:.4f} (best {message['best_val_loss']:.4f})"
                )

        if stage == "pretrain":
            model, summary = train_denoiser(config, train_set, val_set, state_path, report, device)
            checkpoint = GeneratorCheckpoint(
                "denoiser", model, config.diffusion, num_atoms=atom_count_histogram(train_set)
            )
            path = out / DENOISER_FILE
        else:
            model, normalization, summary = train_guidance(
                config, train_set, val_set, state_path, report, device
            )
            checkpoint = GeneratorCheckpoint(
                "guidance", model, config.diffusion, normalization=normalization
            )
            path = out / GUIDANCE_FILE
            schedule = NoiseSchedule(config.diffusion)
            by_level = guidance_mae_by_level(model, normalization, val_set, schedule)
            summary["val_mae_by_step"] = by_level
            console.print(
                "validation MAE (ln K) at step t: "
                + ", ".join(f"t={t} {mae:.3f}" for t, mae in by_level.items())
            )
    checkpoint.info = training_info(settings, summary, train_set, val_set)
    if stage == "guidance":
        checkpoint.info["excluded_elements"] = config.guidance_data.excluded
    checkpoint.save(path)
    (out / f"{stage}.json").write_text(json.dumps(summary, indent=1))
    state_path.unlink(missing_ok=True)
    console.print(
        f"wrote {path}: best epoch {summary['best_epoch'] + 1}, val loss "
        f"{summary['val_loss']:.4f}, {summary['train_seconds']:.0f} s of training"
    )

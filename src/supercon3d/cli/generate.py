"""``supercon3d generate``: new crystal structures steered toward high Tc; ``generate
evaluate`` scores a generation folder; ``generate train`` trains the generator.

The work is :func:`supercon3d.api.generate`, :func:`~supercon3d.api.evaluate_generation` and
:func:`~supercon3d.api.train_generator`; heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from supercon3d.cli.formatting import parse_overrides, without_nan
from supercon3d.cli.options import DataOption
from supercon3d.cli.progress import console, one_line_errors, output, progress_bar
from supercon3d.generation.defaults import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_NOISE_STEPS,
    DEFAULT_SEED_STEPS,
    DEFAULT_STRUCTURES,
    DEFAULT_SYMMETRY_NOISE,
    DEFAULT_SYMMETRY_SEEDS,
    DEFAULT_TYPE_SNR,
    METHODS,
    SYMMETRY_MODES,
    TRAINING_STAGES,
)

generate_app = typer.Typer(
    help="Generate crystal structures steered toward high Tc (DiffCSP-SC).",
    invoke_without_command=True,
)
SCORE_COLUMNS = (
    "n", "validity_structure", "validity_composition", "uniqueness", "novelty", "sr10", "sr30",
    "sr50", "novel_sr10", "novel_sr30", "novel_sr50", "compound_sr10", "compound_sr30",
    "compound_sr50", "tc_kelvin_median_valid",
    "coverage_recall", "coverage_precision", "wasserstein_density", "wasserstein_num_elements",
)  # fmt: skip


def _format_score(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3g}"


def _print_scores(title: str, runs: dict[str, dict]) -> None:
    from rich.table import Table

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
    n: int = typer.Option(
        DEFAULT_STRUCTURES, help="Structures from noise, or seeds with --from-seeds."
    ),
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
    method: str = typer.Option(
        "diffusion",
        help="'diffusion' (the denoiser) or 'substitution' (elements of known structures "
        "replaced by probable substitutes; no guidance).",
    ),
    symmetry: str | None = typer.Option(
        None,
        help="'constrained': each structure inside a space group and Wyckoff template (from "
        "noise: drawn from the corpus as often as it occurs; from seeds: the seed's own); "
        f"'free': any cell. Default: {DEFAULT_SYMMETRY_NOISE} from noise, "
        f"{DEFAULT_SYMMETRY_SEEDS} from seeds.",
    ),
    space_group: int | None = typer.Option(
        None, help="Draw templates of this space group only (1-230; implies constrained)."
    ),
    template: Path | None = typer.Option(
        None, help="Take the space group and Wyckoff orbits of this CIF (implies constrained)."
    ),
    out: Path | None = typer.Option(None, help="Output folder: CIFs and candidates.csv."),
    data: Path | None = DataOption,
) -> None:
    """Generate structures and judge them with the shipped SODNet ensemble."""
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise typer.BadParameter("--out DIR is required to generate")
    if method not in METHODS:
        raise typer.BadParameter(f"--method {method!r}: choose {' or '.join(METHODS)}")
    if symmetry is not None and symmetry not in SYMMETRY_MODES:
        raise typer.BadParameter(f"--symmetry {symmetry!r}: choose {' or '.join(SYMMETRY_MODES)}")
    from supercon3d import api

    runs = api.generate(
        out, n=n, from_seeds=from_seeds, guidance_scale=guidance_scale,
        compare_unguided=compare_unguided, steps=steps, type_snr=type_snr,
        charge_balance=charge_balance, checkpoints=checkpoints, device=device, seed=seed,
        symmetry=symmetry, space_group=space_group, template=template, method=method,
        data=data, progress=progress_bar, log=console.print,
    )  # fmt: skip
    scores = {name: run.scores for name, run in runs.items()}
    mode = method if method != "diffusion" else "seeds" if from_seeds else "noise"
    _print_scores(f"generated structures ({mode})", scores)
    for name, run in runs.items():
        if "symmetry_check" in run.info:
            check = run.info["symmetry_check"]
            console.print(
                f"{name}: of the structurally valid, {check['exact']} in their template's "
                f"space group, {check['supergroup']} in a larger one, {check['lower']} lower "
                "(spglib, 1e-3 Å)"
            )


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
    data: Path | None = DataOption,
) -> None:
    """Validity, uniqueness, novelty, SR10/30/50 (seed runs) and generation quality."""
    from supercon3d import api

    scores = api.evaluate_generation(folder, quality, data, progress_bar)
    if json_output:
        result = scores["guided"] if len(scores) == 1 else scores
        output.print_json(json.dumps(without_nan(result)))
        return
    _print_scores(f"generation scores: {folder}", scores)


def _config(pairs: list[str]):
    """The default GeneratorConfig with ``section.field=value`` pairs (e.g.
    ``pretrain.epochs=20``) applied."""
    import dataclasses

    from supercon3d.generation.training import GeneratorConfig

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
    data: Path | None = DataOption,
    device: str = typer.Option("cpu", help="Where to train: 'cpu', 'cuda', 'cuda:1', ..."),
) -> None:
    """Train the denoiser on the structure corpus or the guidance model on the SuperCon3D
    ordered split; an interrupted run resumes when started again."""
    if stage not in TRAINING_STAGES:
        raise typer.BadParameter(f"{stage!r}: choose {' or '.join(map(repr, TRAINING_STAGES))}")
    from supercon3d import api
    from supercon3d.training.loop import World

    if not World.from_environment().is_main:  # under torchrun rank 0 alone shows progress
        api.train_generator(stage, out, _config(set_), data=data, device=device)
        return
    trained = api.train_generator(
        stage, out, _config(set_), data=data, device=device, progress=progress_bar,
        log=console.print,
    )  # fmt: skip
    summary = trained.summary
    console.print(
        f"wrote {trained.path}: best epoch {summary['best_epoch'] + 1}, val loss "
        f"{summary['val_loss']:.4f}, {summary['train_seconds']:.0f} s of training"
    )

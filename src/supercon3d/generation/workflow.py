"""A generation run: structures from noise or from seeds, with Tc guidance and (to measure the
guidance) again without, each judged by the shipped SODNet ensemble and written to a folder;
and the scores of such a folder. Generation is free, or constrained to space-group templates
(drawn from the corpus, given by a space-group number or a CIF, or each seed's own); or,
with the substitution method, known structures with substituted elements instead of the
diffusion model.

A run folder holds the guided run, and the unguided one under ``unguided/``; each has one CIF
per structure, ``candidates.csv`` and ``run.json`` (see :mod:`supercon3d.generation.candidates`).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from pymatgen.core import Structure

from supercon3d.generation.candidates import (
    RUN_FILE,
    UNGUIDED_FOLDER,
    Candidate,
    assess,
    evaluate_run,
    read_candidates,
    write_run,
)
from supercon3d.generation.corpus import (
    CorpusSettings,
    StructureCorpus,
    draw_seeds,
    load_or_build_corpus,
    ordered_split,
    primitive_split,
)
from supercon3d.generation.crystal import crystal_data
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
)
from supercon3d.generation.generator import SEED_LEVELS, CrystalGenerator, seed_template
from supercon3d.generation.metrics import fingerprints
from supercon3d.generation.symmetry_template import (
    SymmetryTemplate,
    TemplateError,
    TemplateLibrary,
    symmetry_outcome,
    template_from_cif,
)
from supercon3d.machine import device_name
from supercon3d.models.shipped import shipped_generator_dir
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.progress import Log, ProgressFactory, no_log, no_progress

GUIDED = "guided"
UNGUIDED = "unguided"
SUBSTITUTION = "substitution"
SPACE_GROUPS = range(1, 231)


@dataclass(frozen=True)
class GenerationSettings:
    """What to generate: ``n`` structures from noise, or ``n`` seeds (each noised to t = 0.1T
    ... T and denoised) with ``from_seeds``; ``guidance_scale`` 0 is unguided, and
    ``compare_unguided`` adds an unguided run of the same seeds. ``steps``: reverse steps of a
    full denoising (None: the default of the mode). ``type_snr``, ``charge_balance``: see
    :class:`~supercon3d.generation.generator.CrystalGenerator`. ``symmetry``: ``free`` or
    ``constrained`` (each structure inside a space-group template: from noise drawn from the
    corpus's templates as often as they occur, among those of ``space_group`` if given, or
    the template of the CIF ``template``; from seeds, the seed's own); None: the mode's
    default (``DEFAULT_SYMMETRY_NOISE``, ``DEFAULT_SYMMETRY_SEEDS``); a space group or a
    template implies ``constrained``. ``method``: ``diffusion`` (the denoiser) or
    ``substitution`` (:mod:`~supercon3d.generation.substitution`: ``n`` structures, no
    guidance)."""

    n: int = DEFAULT_STRUCTURES
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE
    from_seeds: bool = False
    compare_unguided: bool = True
    steps: int | None = None
    type_snr: float = DEFAULT_TYPE_SNR
    charge_balance: float = DEFAULT_CHARGE_BALANCE
    device: str = "cpu"
    seed: int = 0
    symmetry: str | None = None
    space_group: int | None = None
    template: str | None = None
    method: str = "diffusion"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise TemplateError(f"method {self.method!r}: choose {' or '.join(METHODS)}")
        if self.symmetry is not None and self.symmetry not in SYMMETRY_MODES:
            raise TemplateError(f"symmetry {self.symmetry!r}: choose {' or '.join(SYMMETRY_MODES)}")
        if self.space_group is not None and self.space_group not in SPACE_GROUPS:
            raise TemplateError(f"space group {self.space_group}: expected 1 to 230")
        if self.space_group is not None and self.template is not None:
            raise TemplateError("give a space group or a template, not both")
        if self.from_seeds and (self.space_group is not None or self.template is not None):
            raise TemplateError("seeds keep their own space group: no --space-group/--template")

    @property
    def constrained(self) -> bool:
        """Whether each structure is generated inside a space-group template."""
        chosen = self.space_group is not None or self.template is not None
        default = DEFAULT_SYMMETRY_SEEDS if self.from_seeds else DEFAULT_SYMMETRY_NOISE
        return (self.symmetry or default) == "constrained" or chosen

    @property
    def mode(self) -> str:
        return "seeds" if self.from_seeds else "noise"

    @property
    def reverse_steps(self) -> int:
        """``steps``, or the default of the mode."""
        if self.steps is not None:
            return self.steps
        return DEFAULT_SEED_STEPS if self.from_seeds else DEFAULT_NOISE_STEPS

    def scales(self) -> dict[str, float]:
        """The runs to make, by name: guided, and unguided (scale 0) when compared."""
        scales = {GUIDED: self.guidance_scale}
        if self.compare_unguided and self.guidance_scale != 0:
            scales[UNGUIDED] = 0.0
        return scales


@dataclass
class GenerationRun:
    """One run written to ``folder``: its structures, their candidate records, ``run.json``
    (``info``) and the scores of :func:`~supercon3d.generation.candidates.evaluate_run`."""

    name: str
    folder: Path
    structures: list[Structure] = field(repr=False)
    candidates: list[Candidate] = field(repr=False)
    info: dict
    scores: dict


def load_corpus(
    data: str | os.PathLike | None = None,
    settings: CorpusSettings = CorpusSettings(),
    progress: ProgressFactory = no_progress,
) -> StructureCorpus:
    """The structure corpus (built on first use, then read from the cache)."""
    with progress("structure corpus (built once, then cached)", 0) as advance:
        return load_or_build_corpus(settings, data=data, progress=advance)


def training_ln_tc(data: str | os.PathLike | None = None) -> np.ndarray:
    """ln Tc (ln K) of the SuperCon3D ordered training split: the success-rate thresholds."""
    return np.array([ln_tc for _, _, ln_tc in ordered_split("train", data)])


def novelty_reference(corpus: StructureCorpus, data: str | os.PathLike | None) -> list[Structure]:
    """What a novel structure must differ from: the training and pre-training structures (the
    corpus's training part and the SuperCon3D ordered training split)."""
    return corpus.train() + [structure for _, structure, _ in ordered_split("train", data)]


def _generate(
    generator: CrystalGenerator,
    settings: GenerationSettings,
    scale: float,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    templates: list[SymmetryTemplate] | None,
) -> tuple[list[Structure], list[int] | None, list[float] | None, list[Structure], list[str]]:
    """Structures, their seed indices and levels (None from noise), the seeds and their names;
    from noise inside ``templates`` when given, from seeds inside each seed's template with
    ``settings.constrained``."""
    torch_generator = torch.Generator().manual_seed(settings.seed)
    n = settings.n
    if settings.from_seeds:
        drawn = draw_seeds(primitive_split("train", data=data), n, settings.seed)
        seeds = [structure for _, structure, _ in drawn]
        total = generator.progress_total(len(seeds), SEED_LEVELS)
        description = f"denoising {len(seeds)} seeds x {len(SEED_LEVELS)} levels, scale {scale}"
        with progress(description, total) as advance:
            made = generator.from_seeds(
                seeds, SEED_LEVELS, scale, generator=torch_generator, progress=advance,
                constrained=settings.constrained,
            )  # fmt: skip
        names = [name for name, _, _ in drawn]
        made_structures = [m.structure for m in made]
        return made_structures, [m.seed for m in made], [m.level for m in made], seeds, names
    total = generator.progress_total(n)
    with progress(f"denoising {n} structures from noise, scale {scale}", total) as advance:
        structures = generator.from_noise(n, scale, torch_generator, advance, templates)
    return structures, None, None, [], []


def draw_templates(
    settings: GenerationSettings, corpus: StructureCorpus, progress: ProgressFactory = no_progress
) -> list[SymmetryTemplate]:
    """One template per structure from noise: the CIF ``settings.template``'s, or drawn (with
    ``settings.seed``) from the templates of the corpus's training cells, among those of
    ``settings.space_group`` if given. Raises :class:`TemplateError` in one line when the file
    cannot serve or no corpus template has that space group."""
    if settings.template is not None:
        return [template_from_cif(settings.template, corpus.settings.max_atoms)] * settings.n
    library = TemplateLibrary.from_structures(corpus.train())
    generator = torch.Generator().manual_seed(settings.seed)
    with progress("space-group templates of the corpus", 0):
        return library.draw(settings.n, generator, settings.space_group)


def _symmetry_check(
    structures: list[Structure],
    candidates: list[Candidate],
    templates: list[SymmetryTemplate],
) -> dict[str, int]:
    """How many structurally valid structures show exactly their template's space group,
    a larger one, or less (spglib and the template's operations at 1e-3 Å)."""
    outcomes = Counter(
        symmetry_outcome(structure, template)
        for structure, candidate, template in zip(structures, candidates, templates)
        if candidate.valid_structure
    )
    return {name: outcomes.get(name, 0) for name in ("exact", "supergroup", "lower")}


def _run_templates(
    settings: GenerationSettings,
    drawn: list[SymmetryTemplate] | None,
    seeds: list[int] | None,
    seed_structures: list[Structure],
) -> list[SymmetryTemplate] | None:
    """The template of each structure of a constrained run (None for a free run)."""
    if not settings.constrained:
        return None
    if seeds is None:
        return drawn
    per_seed = [seed_template(crystal_data(s), i) for i, s in enumerate(seed_structures)]
    return [per_seed[seed] for seed in seeds]


def run_generation(
    out: str | os.PathLike,
    settings: GenerationSettings = GenerationSettings(),
    *,
    checkpoints: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> dict[str, GenerationRun]:
    """Generate with the generator of ``checkpoints`` (default: shipped), judge each structure
    (validity, novelty, SODNet Tc) and write the guided run to ``out`` and the unguided one to
    ``out/unguided``; the runs by name (``guided``, ``unguided``) with their scores."""
    out = Path(out)
    folder = Path(checkpoints) if checkpoints is not None else shipped_generator_dir()
    generator = CrystalGenerator.from_dir(
        folder,
        steps=settings.reverse_steps,
        type_snr=settings.type_snr,
        charge_balance=settings.charge_balance,
        device=settings.device,
    )
    ensemble = SODNetEnsemble.shipped()
    corpus = load_corpus(data, progress=progress)
    reference = novelty_reference(corpus, data)
    thresholds = training_ln_tc(data)
    if settings.method == SUBSTITUTION:
        return {SUBSTITUTION: _substitution_run(out, settings, ensemble, reference, thresholds,
                                                data, progress, log)}  # fmt: skip
    drawn = None
    if settings.constrained and not settings.from_seeds:
        drawn = draw_templates(settings, corpus, progress)
    runs = {}
    for name, scale in settings.scales().items():
        started = time.perf_counter()
        structures, seeds, levels, seed_structures, seed_names = _generate(
            generator, settings, scale, data, progress, drawn
        )
        seconds = time.perf_counter() - started
        names = [f"{i:05d}" for i in range(len(structures))]
        with progress("judging (validity, novelty, SODNet Tc)", len(structures)) as advance:
            candidates = assess(structures, ensemble, reference, names, seeds, levels, advance)
        target = out if name == GUIDED else out / UNGUIDED_FOLDER
        info = {
            "mode": settings.mode, "n": settings.n, "guidance_scale": scale,
            "steps": settings.reverse_steps, "type_snr": settings.type_snr,
            "charge_balance": settings.charge_balance, "seed": settings.seed,
            "checkpoints": str(folder), "device": device_name(settings.device),
            "generation_seconds": round(seconds, 1), "seed_names": seed_names,
            "method": settings.method,
            "symmetry": "constrained" if settings.constrained else "free",
            "space_group": settings.space_group, "template": settings.template,
        }  # fmt: skip
        templates = _run_templates(settings, drawn, seeds, seed_structures)
        if templates is not None:
            info["templates"] = [f"{t.space_group} {t.wyckoff_letters}" for t in templates]
            info["symmetry_check"] = _symmetry_check(structures, candidates, templates)
        write_run(target, structures, candidates, info)
        scores = evaluate_run(target, thresholds)
        runs[name] = GenerationRun(name, target, structures, candidates, info, scores)
        log(f"wrote {target}/candidates.csv ({len(structures)} structures, "
            f"generated in {seconds:.0f} s)")  # fmt: skip
    return runs


def _substitution_run(
    out: Path,
    settings: GenerationSettings,
    ensemble: SODNetEnsemble,
    reference: list[Structure],
    thresholds: np.ndarray,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    log: Log,
) -> GenerationRun:
    """``settings.n`` structures by substitution (:mod:`~supercon3d.generation.substitution`),
    judged and written to ``out`` as a diffusion run is."""
    from supercon3d.generation.substitution import substitute_structures

    started = time.perf_counter()
    structures = substitute_structures(settings.n, seed=settings.seed, data=data,
                                       progress=progress)  # fmt: skip
    seconds = time.perf_counter() - started
    names = [f"{i:05d}" for i in range(len(structures))]
    with progress("judging (validity, novelty, SODNet Tc)", len(structures)) as advance:
        candidates = assess(structures, ensemble, reference, names, progress=advance)
    info = {
        "mode": "substitution", "method": SUBSTITUTION, "n": settings.n,
        "made": len(structures), "seed": settings.seed,
        "generation_seconds": round(seconds, 1),
        "parents": [dict(s.properties) for s in structures],
    }  # fmt: skip
    write_run(out, structures, candidates, info)
    scores = evaluate_run(out, thresholds)
    log(f"wrote {out}/candidates.csv ({len(structures)} structures by substitution)")
    return GenerationRun(SUBSTITUTION, out, structures, candidates, info, scores)


def run_folders(folder: str | os.PathLike) -> dict[str, Path]:
    """The runs of a generation folder by name: guided, and unguided if present."""
    folder = Path(folder)
    runs = {GUIDED: folder}
    if (folder / UNGUIDED_FOLDER).is_dir():
        runs[UNGUIDED] = folder / UNGUIDED_FOLDER
    return runs


def evaluate_generation(
    folder: str | os.PathLike,
    quality: bool = True,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
) -> dict[str, dict]:
    """Scores of each run of a generation folder, by name (see
    :func:`~supercon3d.generation.candidates.evaluate_run`). With ``quality``, runs from noise
    also get coverage and Wasserstein distances to the held-out corpus (CrystalNN
    fingerprints, a few minutes)."""
    folder = Path(folder)
    thresholds = training_ln_tc(data)
    held_out = None
    if quality and json.loads((folder / RUN_FILE).read_text()).get("mode") == "noise":
        held_out = load_corpus(data, progress=progress).held_out_structures() or None
    if held_out is None:
        return {name: evaluate_run(path, thresholds) for name, path in run_folders(folder).items()}
    with progress("fingerprints (held-out corpus)", len(held_out)) as advance:
        held_out_fingerprints = fingerprints(held_out, advance)
    scores = {}
    for name, path in run_folders(folder).items():
        table = read_candidates(path)
        valid = int((table["valid_structure"] & table["valid_composition"]).sum())
        with progress(f"fingerprints ({name})", valid) as advance:
            scores[name] = evaluate_run(path, thresholds, held_out, advance, held_out_fingerprints)
    return scores

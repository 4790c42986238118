"""The library behind each command, for pipelines and services: plain records in, plain records
and dataclasses out, no printing.

    from supercon3d import api
    predictions = api.predict(["671985.cif", "cifs/", structure])   # list of TcPrediction
    print(predictions[0].tc_kelvin)

A facade: each function hands its arguments to the library module that owns the workflow
(named in its body). Models load once per process (the shipped SODNet ensemble and generator
are cached), so repeated calls pay only for the work. Importing this module is cheap: the
heavy modules load on the first call. Long calls take optional ``progress`` (a factory of
progress bars) and ``log`` callbacks, see :mod:`supercon3d.progress`. Arguments after the
first two are keyword-only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from supercon3d.data.inputs import StructureInput
from supercon3d.defaults import (
    CONTACT_FACTOR,
    DEFAULT_CIF_COLUMN,
    DEFAULT_RESCORE_TOP,
    DEFAULT_SPLIT,
    GRAPH_CUTOFF_ANGSTROM,
    GRAPH_NEIGHBOURS,
    OVERFULL_TOLERANCE,
)
from supercon3d.generation.defaults import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_STRUCTURES,
    DEFAULT_TYPE_SNR,
)
from supercon3d.progress import Log, ProgressFactory, no_log, no_progress

if TYPE_CHECKING:
    from supercon3d.discovery.pipeline import DiscoveryRun
    from supercon3d.doping import DopingResult
    from supercon3d.generation.training import GeneratorConfig
    from supercon3d.generation.training_run import TrainedStage
    from supercon3d.generation.workflow import GenerationRun
    from supercon3d.graphs.stats import DatasetSummary
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.screening.explain import SiteImportance
    from supercon3d.screening.funnel import ScreenRun
    from supercon3d.screening.prediction import TcPrediction
    from supercon3d.stability import StabilityRecord
    from supercon3d.training.baseline import BaselineRun
    from supercon3d.training.config import RunConfig
    from supercon3d.training.evaluate import Evaluation
    from supercon3d.training.workflow import Blend, Training

__all__ = [
    "StructureInput", "baseline", "blend", "data_sources", "data_stats", "discover", "dope",
    "ensemble", "evaluate", "evaluate_generation", "explain", "generate", "inspect", "predict",
    "screen", "screen_report", "stability", "train", "train_generator",
]  # fmt: skip

DEFAULT_TRAIN_CONFIG = "cpu"
"""The named training configuration of :func:`train` (see :mod:`supercon3d.training.config`)."""
DEFAULT_TRAIN_WORKERS = 2
"""Folds trained at once by :func:`train`."""


def ensemble(checkpoints: str | os.PathLike | None = None) -> SODNetEnsemble:
    """The SODNet ensemble of a run folder (default: the shipped model), loaded once per
    process and shared: read-only."""
    from supercon3d.models.sodnet.ensemble import load_ensemble

    return load_ensemble(checkpoints)


def predict(
    inputs: StructureInput | Iterable[StructureInput],
    names: Sequence[str] | None = None,
    *,
    checkpoints: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    strict: bool = False,
) -> list[TcPrediction]:
    """Tc of each structure: ensemble mean of ln Tc (ln K), its spread and exp(mean) (K),
    the calibrated interval (K) where the model has one, P(superconductor) from the shipped
    classifier, and the chemical family with the high-pressure-hydride flag.

    ``inputs``: structure files, folders (every ``*.cif`` under them, at any depth, sorted)
    and pymatgen Structures, mixed; one record per structure, in input order. A Structure's
    graph is built directly (no file); its record is named ``names[i]`` if given (one name
    per Structure, in order) else ``structure[i]`` (i: its position in ``inputs``). A
    structure that fails (unreadable CIF, no neighbour within the cutoff), and a folder that
    cannot be read or loops, gets an ``error`` record and the others are still predicted.
    ``workers``: processes reading and predicting CIFs (default: all cores); ``strict``: a CIF
    with a warning fails too (see :mod:`supercon3d.data.contract`)."""
    from supercon3d.screening.inputs import predict_inputs

    return predict_inputs(
        inputs, names=names, checkpoints=checkpoints, workers=workers, progress=progress,
        strict=strict,
    )  # fmt: skip


def explain(
    prediction: TcPrediction, checkpoints: str | os.PathLike | None = None
) -> list[SiteImportance]:
    """Each site's share (%) of the attention received in the last block, for a prediction of
    :func:`predict` (made with the same ``checkpoints``). A prediction of a file carries no
    graph (see :meth:`TcPrediction.without_inputs`): the file is read again."""
    from supercon3d.screening.inputs import explain_prediction

    return explain_prediction(prediction, checkpoints)


def evaluate(
    run_dir: str | os.PathLike | None = None,
    *,
    baselines: bool = True,
    out: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    split: str | None = None,
) -> Evaluation:
    """Score every fold model of ``run_dir`` (default: the shipped model) on its held-out test
    fold of ``split`` (default: the split the run was trained on; another split is refused
    with a ``SplitError``, since its test folds were seen in training).

    A blended ensemble is also scored without its composition blend; with ``baselines`` the
    LightGBM composition baselines (with and without the extra formulas; with the formulas
    and the blend's element embedding too, if it has one) run on the same folds, and
    ``baseline_mae_mean`` is Magpie + LightGBM with the formulas (None without baselines).
    The summary also holds ``interval_coverage`` (± ``interval_coverage_std``, at
    ``interval_level``) of the conformal intervals calibrated on the validation folds, and
    ``auc_superconductor`` with ``auc_superconductor_source`` (see
    :mod:`supercon3d.evaluation.run_figures`). With ``out`` the JSON, CSV and parity plot are
    written there."""
    from supercon3d.training.evaluate import evaluate_run

    return evaluate_run(
        run_dir, baselines=baselines, out=out, data=data, progress=progress, split=split
    )


def train(
    run_dir: str | os.PathLike,
    config: str | RunConfig = DEFAULT_TRAIN_CONFIG,
    *,
    folds: Sequence[int] | None = None,
    overrides: Mapping[str, object] | None = None,
    workers: int = DEFAULT_TRAIN_WORKERS,
    data: str | os.PathLike | None = None,
    report: Callable[[dict], None] | None = None,
    progress: ProgressFactory = no_progress,
    split: str | None = None,
) -> Training:
    """Train SODNet fold models into ``run_dir`` (resumable: a run started again goes on).

    ``config``: a named configuration (``cpu``, ``paper``; the run is named after its folder)
    or a RunConfig; ``overrides``: fields of the model, the schedule or the run, e.g.
    ``{"epochs": 5, "lmax": 0, "train_disorder": ("O",)}``; ``split``: the cross-validation
    split whose folds are trained (default: the configuration's, ``random``), recorded in the
    run's ``config.json``; a folder trained on another split is refused, and so is
    ``family`` for a configuration with a composition prior; ``folds``: default all of the
    split's; ``workers``: folds trained at once; ``report``: called with each epoch's
    report."""
    from supercon3d.training.workflow import train_run

    return train_run(
        run_dir, config=config, folds=folds, overrides=overrides, workers=workers, data=data,
        report=report, progress=progress, split=split,
    )  # fmt: skip


def blend(
    run_dir: str | os.PathLike,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    element_embedding: str | None = None,
) -> Blend:
    """Blend each fold model of ``run_dir`` with its fold's composition model (Magpie, plus
    ``element_embedding``'s statistics if given, + LightGBM with the extra formulas allowed
    on the run's split); the weight is chosen on the validation fold. Writes
    ``composition/fold<k>.txt.xz`` and ``blend.json``."""
    from supercon3d.training.workflow import blend_run

    return blend_run(run_dir, data=data, progress=progress, element_embedding=element_embedding)


def generate(
    out: str | os.PathLike,
    n: int = DEFAULT_STRUCTURES,
    *,
    from_seeds: bool = False,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    compare_unguided: bool = True,
    steps: int | None = None,
    type_snr: float = DEFAULT_TYPE_SNR,
    charge_balance: float = DEFAULT_CHARGE_BALANCE,
    checkpoints: str | os.PathLike | None = None,
    device: str = "cpu",
    seed: int = 0,
    symmetry: str | None = None,
    space_group: int | None = None,
    template: str | os.PathLike | None = None,
    method: str = "diffusion",
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> dict[str, GenerationRun]:
    """Generate ``n`` structures from noise (or optimise ``n`` seeds with ``from_seeds``)
    with the generator of ``checkpoints`` (default: shipped), judge each with the shipped
    SODNet ensemble and write them to ``out`` (the unguided comparison to ``out/unguided``).
    Returns the runs by name (``guided``, ``unguided``): structures, candidate records
    (validity, novelty, Tc in K) and scores (validity, novelty, SR10/30/50 for seeds).
    ``symmetry``, ``space_group``, ``template`` (a CIF) and ``method`` (``diffusion`` or
    ``substitution``, whose run is named ``substitution``): see
    :class:`~supercon3d.generation.workflow.GenerationSettings`."""
    from supercon3d.generation.workflow import GenerationSettings, run_generation

    settings = GenerationSettings(
        n=n, guidance_scale=guidance_scale, from_seeds=from_seeds,
        compare_unguided=compare_unguided, steps=steps, type_snr=type_snr,
        charge_balance=charge_balance, device=device, seed=seed, symmetry=symmetry,
        space_group=space_group, template=None if template is None else str(template),
        method=method,
    )  # fmt: skip
    return run_generation(
        out, settings, checkpoints=checkpoints, data=data, progress=progress, log=log
    )


def evaluate_generation(
    folder: str | os.PathLike,
    quality: bool = True,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
) -> dict[str, dict]:
    """Scores of each run of a :func:`generate` folder, by name (``guided``, ``unguided``);
    with ``quality``, runs from noise also get coverage and Wasserstein distances to the
    held-out corpus (a few minutes)."""
    from supercon3d.generation.workflow import evaluate_generation as scores_of

    return scores_of(folder, quality, data, progress)


def train_generator(
    stage: str,
    out: str | os.PathLike,
    config: GeneratorConfig | None = None,
    *,
    data: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> TrainedStage:
    """Train the generator's ``pretrain`` (denoiser) or ``guidance`` (Tc predictor) stage into
    run folder ``out`` (default configuration unless ``config``); resumable."""
    from supercon3d.generation.training import GeneratorConfig
    from supercon3d.generation.training_run import train_stage

    return train_stage(
        stage, out, config or GeneratorConfig(), data=data, device=device, progress=progress,
        log=log,
    )  # fmt: skip


def screen(
    sources: Sequence[str | os.PathLike],
    db: str | os.PathLike,
    *,
    rescore_top: float | None = DEFAULT_RESCORE_TOP,
    rescore_above: float | None = None,
    cif_column: str = DEFAULT_CIF_COLUMN,
    id_column: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    shard_size: int | None = None,
    checkpoints: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    force_new: bool = False,
    on_shard: Callable | None = None,
) -> ScreenRun:
    """Screen structure sources into the SQLite database ``db`` and return the
    :class:`~supercon3d.screening.funnel.ScreenRun` (rows, stage timings in s).

    ``sources``: CIF files, folders (recursive), ``.zip``/``.tar(.gz)`` archives, CSV files
    with a ``cif_column`` of CIF text (ids from ``id_column``), or files ``ase.io`` reads.
    Stage 1 (read, disorder class, family, P(superconductor), composition ln Tc, known
    superconductors) runs for every structure; stage 2 (the structural ensemble of
    ``checkpoints``, default shipped) for the ``rescore_top`` fraction by P(superconductor),
    or those with P ≥ ``rescore_above``. Resumable: what the database holds (by content hash)
    is not redone. ``engine``: ``local`` (``workers`` processes, default all cores) or
    ``dask`` (``scheduler`` address, else a LocalCluster of ``workers``); ``shard_size``:
    structures per task (default 1,000 on Dask, 100 locally). A database from
    another version or model raises ``ScreenDatabaseError`` unless ``force_new``. See
    :mod:`supercon3d.screening.funnel`."""
    from supercon3d.screening.funnel import make_screen_executor, run_screen

    with make_screen_executor(engine, workers, scheduler) as executor:
        return run_screen(
            sources, db, rescore_top, rescore_above=rescore_above, cif_column=cif_column,
            id_column=id_column, executor=executor, shard_size=shard_size,
            checkpoints=checkpoints, data=data, force_new=force_new, on_shard=on_shard,
        )  # fmt: skip


def screen_report(
    db: str | os.PathLike, top: int = 20, disordered_only: bool = False, unreported: bool = False
) -> list[dict]:
    """The screening table of database ``db``: its ``top`` rows (every column of the
    ``results`` table), rescored rows first, then by predicted Tc (K) and P(superconductor);
    ``disordered_only`` leaves out ordered structures, ``unreported`` the compositions with a
    reported Tc or reported as non-superconductors."""
    from supercon3d.screening.database import open_readonly

    with open_readonly(db) as database:
        return database.top(top, disordered_only, unreported)


def discover(
    out: str | os.PathLike,
    *,
    generate: int | None = None,
    from_seeds: bool = False,
    seeds: int | None = None,
    screen: str | os.PathLike | None = None,
    cifs: Sequence[str | os.PathLike] = (),
    e_hull: float | None = None,
    top_ordered: int | None = None,
    top_disordered: int | None = None,
    relax_steps: int | None = None,
    potential: str | None = None,
    include_known: bool = False,
    seed: int | None = None,
    quick: bool = False,
    force: bool = False,
    max_elements: int | None = None,
    allow_actinides: bool = False,
    relax_top: int | None = None,
    source: str | None = None,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> DiscoveryRun:
    """Run (or resume) the discovery pipeline into the folder ``out``: sources (``generate``
    structures from noise, ``seeds`` seeds with ``from_seeds``, the best rows of a ``screen``
    database, CIF files and folders ``cifs``) → Tc and P(SC) → stability (relaxed with
    ``potential``, at most ``relax_steps`` FIRE steps; kept within ``e_hull`` eV/atom of the
    hull) → unique and novel (known structures too with ``include_known``) → the
    ``top_ordered`` ordered candidates → doped variants → the ``top_disordered`` disordered
    candidates. Before relaxing, the chemist's gates drop what is not charge-balanced under
    common oxidation states (intermetallics pass), has more than ``max_elements`` elements, a
    radioactive element (Th and U pass with ``allow_actinides``) or is molecular;
    ``relax_top`` relaxes only that many of the best-ranked structures that pass them.
    ``source``: what makes the ``generate`` new structures, ``generator``, ``substitution`` or
    ``both`` (the default; its shares: :mod:`supercon3d.discovery.settings`). Writes the
    candidate tables, ``run.json`` and ``report.html``. ``seed``: the generator's random seed
    (the same seed, settings and machine give the same structures). None takes the preset's
    value (``quick``: a few minutes; see :mod:`supercon3d.discovery.settings`); without
    ``generate``, the preset generates only when no other source is given. Finished stages of an
    earlier run with the same settings are read back; other settings are refused
    (``DiscoveryFolderError``) unless ``force``. Returns the
    :class:`~supercon3d.discovery.pipeline.DiscoveryRun`."""
    from supercon3d.discovery.run_record import check_writable

    check_writable(out)  # before the pipeline's imports (seconds): a wrong --out is quick
    from supercon3d.discovery.pipeline import run_discovery
    from supercon3d.discovery.settings import resolve_settings

    settings = resolve_settings(
        quick, generate, [os.fspath(path) for path in cifs], screen, from_seeds=from_seeds,
        seeds=seeds, e_hull=e_hull, top_ordered=top_ordered, top_disordered=top_disordered,
        relax_steps=relax_steps, potential=potential, include_known=include_known, seed=seed,
        relax_top=relax_top, max_elements=max_elements, allow_actinides=allow_actinides or None,
        source=source,
    )  # fmt: skip
    return run_discovery(out, settings, data=data, force=force, progress=progress, log=log)


def stability(
    inputs: StructureInput | Iterable[StructureInput],
    names: Sequence[str] | None = None,
    *,
    potential: str | None = None,
    max_steps: int | None = None,
    progress: ProgressFactory = no_progress,
    workers: int | None = None,
    complete_hull: bool = True,
) -> list[StabilityRecord]:
    """Relax each structure with a machine-learned potential (default CHGNet; ``max_steps``
    FIRE steps at most) and place it on that potential's reference hull: energy (eV/atom),
    e_above_hull (eV/atom), hull coverage, convergence. ``inputs`` as for :func:`predict`;
    one record per structure, in order, failures in ``error``; ``workers``: relaxations at
    once (default: all cores); ``complete_hull``: first relax prototype binaries for the
    element pairs the hull lacks (cached; see :mod:`supercon3d.stability.completion`).
    Needs the ``stability`` extra (``PotentialUnavailableError`` otherwise)."""
    from supercon3d.stability.inputs import assess_inputs

    return assess_inputs(
        inputs, names=names, potential=potential, max_steps=max_steps, progress=progress,
        workers=workers, complete_hull=complete_hull,
    )  # fmt: skip


def dope(
    inputs: StructureInput | Iterable[StructureInput],
    top: int | None = 10,
    *,
    fractions: Sequence[float] | None = None,
    with_stability: bool = False,
    names: Sequence[str] | None = None,
    max_dopants_per_host: int | None = None,
    potential: str | None = None,
    max_steps: int | None = None,
    progress: ProgressFactory = no_progress,
) -> list[DopingResult]:
    """Doped variants of each structure: substitutions by dopants of compatible charge and
    size (a periodic-table neighbour of the host, oxidation state within one, Shannon radius
    within 30 % of the host ion's) and anion vacancies within the redox window, at each of
    ``fractions`` of the host sites (default 0.05/0.1/0.2/0.3), scored by the shipped Tc model
    as partially occupied structures. Per parent the ``top`` variants (all with None) ranked
    by predicted ΔTc (K): the variant's Tc minus its dilute (0.5 %) twin's, plus the prior
    −1.078 · x · Tc_parent fitted on SuperCon doping series. ``with_stability`` relaxes the
    kept variants' ordered approximants (:func:`stability`). ``inputs`` as for
    :func:`predict`; a CIF's reader warnings are kept with its rows (``parent_warnings``); a
    parent that cannot be read, that :func:`stability` would refuse (overlapping atoms...) or
    that has no plausible dopant is one result with its ``error``
    (:func:`supercon3d.doping.inputs.dope_inputs`)."""
    from supercon3d.doping.inputs import dope_inputs

    return dope_inputs(
        inputs, top=top, fractions=fractions, with_stability=with_stability, names=names,
        max_dopants_per_host=max_dopants_per_host, potential=potential, max_steps=max_steps,
        progress=progress,
    )  # fmt: skip


def data_stats(
    data: str | os.PathLike | None = None,
    *,
    k: int = GRAPH_NEIGHBOURS,
    cutoff: float = GRAPH_CUTOFF_ANGSTROM,
    contact_factor: float = CONTACT_FACTOR,
    overfull_tol: float = OVERFULL_TOLERANCE,
    out: str | os.PathLike = "runs/data",
    progress: ProgressFactory = no_progress,
) -> DatasetSummary:
    """SuperCon3D's entries per family and disorder class (classified with ``contact_factor``
    and ``overfull_tol``), Tc range (K), sites per cell, the sizes of its graphs (``k``
    neighbours within ``cutoff`` Å) and the Tc histogram written to ``out``; the CIFs that
    could not be read or turned into graphs, one line each."""
    from supercon3d.data.taxonomy import DisorderTolerances
    from supercon3d.graphs.stats import supercon3d_summary

    tolerances = DisorderTolerances(contact_factor=contact_factor, overfull_tol=overfull_tol)
    return supercon3d_summary(
        data, k=k, cutoff=cutoff, tolerances=tolerances, out=out, progress=progress
    )


def data_sources(data: str | os.PathLike | None = None) -> dict[str, dict]:
    """Every dataset of the data folder with its counts (entries, formulas, files, how many
    3DSC structures get a Tc)."""
    from supercon3d.data.stats import sources_summary

    return sources_summary(data)


def inspect(
    inputs: str | os.PathLike | Iterable[str | os.PathLike], strict: bool = False
) -> tuple[list[dict], list[Exception]]:
    """What the reader makes of CIF files and folders: one row per readable file (formula,
    sites, disorder report and class, warnings) and one error per file that could not be read
    or was refused by the input contract (``strict``: a warning refuses it too)."""
    from supercon3d.data.describe import describe_cifs

    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    return describe_cifs(paths, strict=strict)


def baseline(
    config: BaselineConfig | None = None,
    split: str = DEFAULT_SPLIT,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
) -> BaselineRun:
    """Cross-validate a composition baseline (default: Magpie + LightGBM) on the test folds
    of ``split``: per fold, by family and by disorder class, MAE and R² in ln K, and the
    per-entry predictions."""
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.training.baseline import run_baseline

    return run_baseline(config or BaselineConfig(), split=split, data=data, progress=progress)

"""The library behind each command, for pipelines and services: plain records in, plain records
and dataclasses out, no printing.

    from supercon3d import api
    predictions = api.predict(["671985.cif", "cifs/", structure])   # list of TcPrediction
    print(predictions[0].tc_kelvin)

Models load once per process (the shipped SODNet ensemble and generator are cached), so
repeated calls pay only for the work. Importing this module is cheap: the heavy modules load
on the first call. Long calls take optional ``progress`` (a factory of progress bars) and
``log`` callbacks, see :mod:`supercon3d.progress`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from supercon3d.defaults import DEFAULT_CIF_COLUMN, DEFAULT_RESCORE_TOP
from supercon3d.generation.defaults import (
    DEFAULT_CHARGE_BALANCE,
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_STRUCTURES,
    DEFAULT_TYPE_SNR,
)
from supercon3d.progress import Log, ProgressFactory, no_log, no_progress

if TYPE_CHECKING:
    import pandas as pd
    from pymatgen.core import Structure

    from supercon3d.data.supercon3d import SuperCon3D
    from supercon3d.evaluation.folds import FoldAssignment
    from supercon3d.generation.training import GeneratorConfig
    from supercon3d.generation.training_run import TrainedStage
    from supercon3d.generation.workflow import GenerationRun
    from supercon3d.graphs import GraphSettings
    from supercon3d.models.composition import MagpieBooster
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.screening.explain import SiteImportance
    from supercon3d.screening.funnel import ScreenRun
    from supercon3d.screening.prediction import TcPrediction
    from supercon3d.training.config import RunConfig
    from supercon3d.training.sodnet import TrainingSet

StructureInput = Union[str, os.PathLike, "Structure"]
"""A CIF file, a folder of CIFs, or a pymatgen Structure."""
STRUCTURE_NAME = "structure[{}]"
"""How an unnamed Structure is named in the records: its position among the inputs."""
DEFAULT_TRAIN_CONFIG = "cpu"
DEFAULT_TRAIN_WORKERS = 2
WALL_TIMES_FILE = "wall_times.jsonl"
"""One line per training call in a run folder: folds, workers and wall time (s)."""


def ensemble(checkpoints: str | os.PathLike | None = None) -> SODNetEnsemble:
    """The SODNet ensemble of a run folder (default: the shipped model), loaded once per
    process and shared: read-only."""
    from supercon3d.models.sodnet.ensemble import load_ensemble

    return load_ensemble(checkpoints)


def _is_structure(item: object) -> bool:
    from pymatgen.core import Structure

    return isinstance(item, Structure)


def _named_inputs(
    inputs: StructureInput | Iterable[StructureInput], names: Sequence[str] | None
) -> tuple[list[StructureInput], dict[int, str]]:
    """``inputs`` as a list, and the name of each Structure by its position: ``names[i]`` for
    the i-th Structure if given (ValueError unless one per Structure), else ``structure[i]``
    (i: its position in ``inputs``)."""
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) or _is_structure(inputs) else inputs
    items = list(items)
    at = [i for i, item in enumerate(items) if _is_structure(item)]
    if names is not None and len(names) != len(at):
        raise ValueError(f"{len(names)} names for {len(at)} structures")
    return items, dict(zip(at, names if names is not None else map(STRUCTURE_NAME.format, at)))


def predict(
    inputs: StructureInput | Iterable[StructureInput],
    names: Sequence[str] | None = None,
    checkpoints: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: ProgressFactory = no_progress,
    strict: bool = False,
) -> list[TcPrediction]:
    """Tc of each structure: ensemble mean of ln Tc (ln K), its spread and exp(mean) (K),
    the calibrated interval (K) where the model has one, P(superconductor) from the shipped
    classifier, and the chemical family with the high-pressure-hydride flag.

    ``inputs``: CIF files, folders of CIFs (replaced by their ``*.cif`` files, sorted) and
    pymatgen Structures, mixed; one record per structure, in input order. A Structure's graph
    is built directly (no file); its record is named ``names[i]`` if given (one name per
    Structure, in order) else ``structure[i]`` (i: its position in ``inputs``). A structure
    that fails (unreadable CIF, no neighbour within the cutoff) gets an ``error`` record and
    the others are still predicted. ``workers``: processes reading and predicting CIFs
    (default: all cores); ``strict``: a CIF with a warning fails too (see
    :mod:`supercon3d.data.contract`)."""
    from supercon3d.data.cif import expand_cif_paths
    from supercon3d.models.shipped import ensemble_source
    from supercon3d.screening.files import predict_files_from

    items, name_of = _named_inputs(inputs, names)
    files = {i: expand_cif_paths([item]) for i, item in enumerate(items) if i not in name_of}
    paths = [path for group in files.values() for path in group]
    with progress("predicting CIFs", len(paths)) as advance:
        from_files = iter(
            predict_files_from(paths, ensemble_source(checkpoints), workers, advance, strict, True)
        )
    structures = []
    if name_of:
        from supercon3d.models.superconductor import SuperconductorClassifier
        from supercon3d.screening.predict import predict_prepared, prepare_structure

        model = ensemble(checkpoints)
        structures = [
            prepare_structure(items[i], name, model.graph_settings) for i, name in name_of.items()
        ]
        structures = predict_prepared(structures, model, SuperconductorClassifier.shipped())
    from_structures = iter(structures)
    outcomes = []
    for i in range(len(items)):
        if i in files:
            outcomes += [next(from_files) for _ in files[i]]
        else:
            outcomes.append(next(from_structures))
    return outcomes


def explain(
    prediction: TcPrediction, checkpoints: str | os.PathLike | None = None
) -> list[SiteImportance]:
    """Each site's share (%) of the attention received in the last block, for a prediction of
    :func:`predict` (made with the same ``checkpoints``). A prediction of a file carries no
    graph (see :meth:`TcPrediction.without_inputs`): the file is read again."""
    from supercon3d.screening.explain import site_importance
    from supercon3d.screening.predict import prepare_files

    if prediction.error is not None:
        raise ValueError(f"{prediction.file}: no graph to explain ({prediction.error})")
    model = ensemble(checkpoints)
    graph = prediction.graph
    if graph is None:
        (prepared,) = prepare_files([prediction.file], model.graph_settings, workers=1)
        if prepared.error is not None:
            raise ValueError(f"{prediction.file}: no graph to explain ({prepared.error})")
        graph = prepared.graph
    return site_importance(graph, model)


def _load_dataset(
    data: str | os.PathLike | None, progress: ProgressFactory, ambient: bool = False
) -> SuperCon3D:
    """All SuperCon3D entries (without the high-pressure hydrides when ``ambient``), with a
    progress bar over the CIFs."""
    from supercon3d.data.supercon3d import load_supercon3d, read_tc_table

    with progress("reading CIFs", len(read_tc_table(data))) as advance:
        dataset = load_supercon3d(data, progress=advance)
    return dataset.without_high_pressure_hydrides() if ambient else dataset


def _load_graphs(
    dataset: SuperCon3D,
    settings: GraphSettings,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    prior: MagpieBooster | None = None,
) -> tuple[TrainingSet, list[ValueError]]:
    """The entries' graphs (cached on disk) and the entries that failed."""
    from supercon3d.training.sodnet import training_set

    with progress("building graphs", len(dataset)) as advance:
        return training_set(dataset, settings, data, advance, prior)


def _add_extra_structures(
    graphs: TrainingSet,
    dataset: SuperCon3D,
    assignment: FoldAssignment,
    fold_ids: Sequence[int],
    settings: GraphSettings,
    run: RunConfig,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
) -> list[ValueError]:
    """Put the 3DSC graphs into ``graphs`` with the names each of ``fold_ids`` may train on;
    returns the files that failed to build."""
    from supercon3d.training.extra_structures import labelled_3dsc_index, load_extra_structures

    index = labelled_3dsc_index(data, run.ambient)
    with progress("building 3DSC graphs", len(index)) as advance:
        extra, failures = load_extra_structures(index, settings, advance)
    by_id = {entry.id: entry for entry in dataset.entries}
    graphs.extra = extra.graphs
    for fold in fold_ids:
        split = assignment.split(fold)
        val, test = ([by_id[i] for i in ids if i in by_id] for ids in (split.val, split.test))
        graphs.extra_by_fold[fold] = extra.allowed(val, test, run.split)
    return failures


def train_command(split: str) -> str:
    """The command that trains the ``cpu`` configuration's fold models on ``split``."""
    from supercon3d.training.prior import PRIOR_SPLITS

    ablation = "" if split in PRIOR_SPLITS else " --ablation no-prior"
    return f"supercon3d train --config cpu{ablation} --split {split} --fold all"


def _check_evaluation_split(folder: Path, shipped: bool, trained_on: str, split: str) -> None:
    """Refuse to score a run on a split it was not trained on: its fold models saw the other
    split's test folds in training."""
    from supercon3d.evaluation.folds import SplitError
    from supercon3d.models.shipped import DEFAULT_MODEL

    if split == trained_on:
        return
    what = f"the shipped model ({DEFAULT_MODEL})" if shipped else str(folder)
    raise SplitError(
        f"{what} was trained on the {trained_on} split, so its fold models saw the {split} "
        f"split's test folds; train fold models on that split (`{train_command(split)}`, then "
        f"`supercon3d blend RUN`), then `supercon3d evaluate RUN --split {split}`"
    )


@dataclass
class Evaluation:
    """Cross-validation of an ensemble on its own test folds: ``summary`` (per fold, by family
    and by disorder class, MAE and R² in ln K, the ``split``, interval coverage, the
    superconductor classifier's AUC, the models ``compared`` on the same folds and
    ``baseline_mae_mean``, ``wall_s``), the per-entry ``predictions``, the ``files`` written
    (empty without ``out``) and the entries ``skipped`` (one line each: unreadable CIF or
    graph)."""

    summary: dict
    predictions: pd.DataFrame
    files: dict[str, Path]
    skipped: list[str]


def evaluate(
    run_dir: str | os.PathLike | None = None,
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
    from supercon3d.evaluation.ensemble import cross_validate_ensemble
    from supercon3d.evaluation.folds import check_split, split_folds
    from supercon3d.evaluation.report import save_results
    from supercon3d.evaluation.run_figures import interval_coverage, superconductor_auc
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.models.shipped import DEFAULT_MODEL, shipped_model_dir
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.training.baseline import cross_validate_baseline
    from supercon3d.training.config import run_is_ambient, run_split

    started = time.perf_counter()
    folder = Path(run_dir) if run_dir is not None else shipped_model_dir()
    trained_on = run_split(folder)
    split = trained_on if split is None else check_split(split)
    _check_evaluation_split(folder, run_dir is None, trained_on, split)
    model = SODNetEnsemble.from_dir(folder)
    name = folder.name if run_dir is not None else DEFAULT_MODEL
    ambient = run_is_ambient(folder)
    dataset = _load_dataset(data, progress, ambient)
    assignment = split_folds(split, dataset)
    graphs, failures = _load_graphs(dataset, model.graph_settings, data, progress)
    keys = ("model", "mae_mean", "mae_std", "r2_mean", "r2_std", "folds")
    compared = []
    if model.blended:
        sodnet_only = SODNetEnsemble.from_dir(folder, blend=False)
        result, _ = cross_validate_ensemble(sodnet_only, graphs.graphs, dataset, assignment, name)
        compared.append({k: result[k] for k in keys})
        name += "+composition-blend"
    summary, predictions = cross_validate_ensemble(model, graphs.graphs, dataset, assignment, name)
    for record in summary["folds"]:
        record["fold_name"] = assignment.fold_name(record["fold"])
    summary["split"] = split
    summary["ambient"] = ambient
    summary.update(interval_coverage(model, graphs.graphs, dataset, assignment, predictions))
    summary["auc_superconductor"], summary["auc_superconductor_source"] = superconductor_auc(split)
    summary["baseline_mae_mean"] = None
    if baselines:
        test_folds = tuple(sorted(m.fold for m in model.members))
        magpie = BaselineConfig(model="lgbm", test_folds=test_folds, ambient=ambient)
        configs = [magpie, dataclasses.replace(magpie, extra_formulas=True)]
        if model.composition_embedding is not None:
            configs.append(
                dataclasses.replace(configs[-1], element_embedding=model.composition_embedding)
            )
        for config in configs:
            with progress(f"{config.name} baseline", len(test_folds)) as advance:
                result, _ = cross_validate_baseline(dataset, assignment, config, data, advance)
            compared.append({k: result[k] for k in keys})
            if config.extra_formulas and config.element_embedding is None:
                summary["baseline_mae_mean"] = result["mae_mean"]
    summary["compared"] = compared
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    files = save_results(summary, predictions, out, "evaluation") if out is not None else {}
    skipped = [str(failure) for failure in [*dataset.failures, *failures]]
    return Evaluation(summary, predictions, files, skipped)


@dataclass
class Training:
    """Trained fold models in ``run_dir``: one summary per fold (best epoch, validation MAE
    in ln K, seconds), the wall time (s) and the entries ``skipped`` (one line each)."""

    run_dir: Path
    folds: list[dict]
    wall_seconds: float
    skipped: list[str]


def train(
    run_dir: str | os.PathLike,
    config: str | RunConfig = DEFAULT_TRAIN_CONFIG,
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
    from supercon3d.evaluation.folds import check_split, split_folds
    from supercon3d.graphs import GraphSettings
    from supercon3d.models.sodnet.ensemble import PRIOR_FILE
    from supercon3d.training.config import CONFIGS, RUN_CONFIG_FILE, run_split
    from supercon3d.training.extra_structures import check_extra_structures
    from supercon3d.training.loop import World
    from supercon3d.training.prior import check_prior_split, load_or_fit_prior
    from supercon3d.training.sodnet import RunFolderError, train_folds

    run_dir = Path(run_dir)
    run = CONFIGS[config].replace(name=run_dir.name) if isinstance(config, str) else config
    run = run.replace(**(overrides or {}))
    run = run.replace(split=check_split(split if split is not None else run.split))
    model = run.model
    if model.composition_prior:
        check_prior_split(run.split)
    if run.extra_structures:
        check_extra_structures(model.composition_prior)
    trained_on = run_split(run_dir)
    if (run_dir / RUN_CONFIG_FILE).is_file() and trained_on != run.split:
        raise RunFolderError(
            run_dir, f"holds a run on the {trained_on} split, not {run.split}; choose another --out"
        )
    started = time.perf_counter()
    dataset = _load_dataset(data, progress, run.ambient)
    assignment = split_folds(run.split, dataset)
    fold_ids = tuple(folds) if folds is not None else tuple(range(assignment.n_folds))
    settings = GraphSettings(k=model.k, cutoff=model.cutoff, embedding=model.embedding)
    prior = None
    if model.composition_prior:
        run_dir.mkdir(parents=True, exist_ok=True)
        with progress("composition prior", 1) as advance:
            prior = load_or_fit_prior(run_dir / PRIOR_FILE, dataset, data, run.split, run.ambient)
            advance(1)
    graphs, failures = _load_graphs(dataset, settings, data, progress, prior)
    if run.extra_structures:
        failures += _add_extra_structures(
            graphs, dataset, assignment, fold_ids, settings, run, data, progress
        )
    summaries = train_folds(run, fold_ids, graphs, assignment, run_dir, workers, report)
    wall = time.perf_counter() - started
    if World.from_environment().is_main:
        with open(run_dir / WALL_TIMES_FILE, "a") as log:
            record = {"folds": list(fold_ids), "workers": workers, "wall_s": wall}
            log.write(json.dumps(record) + "\n")
    skipped = [str(failure) for failure in [*dataset.failures, *failures]]
    return Training(run_dir, summaries, wall, skipped)


@dataclass
class Blend:
    """A run's blend with its folds' composition models: ``result`` (what ``blend.json``
    holds: per fold the SODNet weight and the validation MAEs in ln K) and the entries
    ``skipped`` (one line each)."""

    result: dict
    skipped: list[str]


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
    from supercon3d.evaluation.folds import split_folds
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.training.blend import fit_blend
    from supercon3d.training.config import run_is_ambient, run_split

    split = run_split(run_dir)
    sodnet = SODNetEnsemble.from_dir(run_dir, blend=False)
    ambient = run_is_ambient(run_dir)
    dataset = _load_dataset(data, progress, ambient)
    graphs, failures = _load_graphs(dataset, sodnet.graph_settings, data, progress)
    assignment = split_folds(split, dataset)
    with progress("composition models", len(sodnet.members)) as advance:
        result = fit_blend(
            run_dir, dataset, graphs, assignment, data, advance, ambient, element_embedding
        )
    return Blend(result, [str(failure) for failure in [*dataset.failures, *failures]])


def generate(
    out: str | os.PathLike,
    n: int = DEFAULT_STRUCTURES,
    from_seeds: bool = False,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    compare_unguided: bool = True,
    steps: int | None = None,
    type_snr: float = DEFAULT_TYPE_SNR,
    charge_balance: float = DEFAULT_CHARGE_BALANCE,
    checkpoints: str | os.PathLike | None = None,
    device: str = "cpu",
    seed: int = 0,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> dict[str, GenerationRun]:
    """Generate ``n`` structures from noise (or optimise ``n`` seeds with ``from_seeds``)
    with the generator of ``checkpoints`` (default: shipped), judge each with the shipped
    SODNet ensemble and write them to ``out`` (the unguided comparison to ``out/unguided``).
    Returns the runs by name (``guided``, ``unguided``): structures, candidate records
    (validity, novelty, Tc in K) and scores (validity, novelty, SR10/30/50 for seeds)."""
    from supercon3d.generation.workflow import GenerationSettings, run_generation

    settings = GenerationSettings(
        n=n, guidance_scale=guidance_scale, from_seeds=from_seeds,
        compare_unguided=compare_unguided, steps=steps, type_snr=type_snr,
        charge_balance=charge_balance, device=device, seed=seed,
    )  # fmt: skip
    return run_generation(out, settings, checkpoints, data, progress, log)


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
    data: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> TrainedStage:
    """Train the generator's ``pretrain`` (denoiser) or ``guidance`` (Tc predictor) stage into
    run folder ``out`` (default configuration unless ``config``); resumable."""
    from supercon3d.generation.training import GeneratorConfig
    from supercon3d.generation.training_run import train_stage

    return train_stage(stage, out, config or GeneratorConfig(), data, device, progress, log)


# --- Screening structure databases (issue 17) ---------------------------------------------


def screen(
    sources: Sequence[str | os.PathLike],
    db: str | os.PathLike,
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
            sources, db, rescore_top, rescore_above, cif_column, id_column, executor,
            shard_size, checkpoints, data, force_new, on_shard,
        )  # fmt: skip


def screen_report(
    db: str | os.PathLike, top: int = 20, disordered_only: bool = False
) -> list[dict]:
    """The screening table of database ``db``: its ``top`` rows (every column of the
    ``results`` table), rescored rows first, then by predicted Tc (K) and P(superconductor);
    ``disordered_only`` leaves out ordered structures."""
    from supercon3d.screening.database import open_readonly

    with open_readonly(db) as database:
        return database.top(top, disordered_only)


# --- Discovery: generate, screen, stability, doping, report (issue 18) --------------------

if TYPE_CHECKING:
    from supercon3d.discovery.pipeline import DiscoveryRun


def discover(
    out: str | os.PathLike,
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
    candidates; writes the candidate tables, ``run.json`` and ``report.html``. ``seed``: the
    generator's random seed (the same seed, settings and machine give the same structures).
    None takes the preset's value (``quick``: a few minutes; see
    :mod:`supercon3d.discovery.settings`);
    without ``generate``, the preset generates only when no other source is given. Finished
    stages of an earlier run with the same settings are read back; other settings are
    refused (``DiscoveryFolderError``) unless ``force``. Returns the
    :class:`~supercon3d.discovery.pipeline.DiscoveryRun`."""
    from supercon3d.discovery.pipeline import run_discovery
    from supercon3d.discovery.settings import resolve_settings

    settings = resolve_settings(
        quick, generate, [os.fspath(path) for path in cifs], screen, from_seeds=from_seeds,
        seeds=seeds, e_hull=e_hull, top_ordered=top_ordered, top_disordered=top_disordered,
        relax_steps=relax_steps, potential=potential, include_known=include_known, seed=seed,
    )  # fmt: skip
    return run_discovery(out, settings, data, force, progress, log)


# ---------------------------------------------------------------------------------------------
# Stability filter and doping (issue 18, parts 1-2)
# ---------------------------------------------------------------------------------------------

if TYPE_CHECKING:
    from supercon3d.doping import DopingResult
    from supercon3d.stability import StabilityRecord


def _read_structures(
    inputs: StructureInput | Iterable[StructureInput], names: Sequence[str] | None
) -> list[tuple[str, Structure | None, str | None]]:
    """(name, structure, error) per structure of ``inputs`` (CIF files, folders, Structures,
    named as in :func:`predict`); an unreadable CIF has no structure and a one-line error."""
    from supercon3d.data.cif import CifReadError, expand_cif_paths, read_cif

    items, name_of = _named_inputs(inputs, names)
    read: list[tuple[str, Structure | None, str | None]] = []
    for i, item in enumerate(items):
        if i in name_of:
            read.append((name_of[i], item, None))
            continue
        for path in expand_cif_paths([item]):
            try:
                read.append((str(path), read_cif(path).structure, None))
            except (CifReadError, OSError) as error:
                read.append((str(path), None, str(error)))
    return read


def stability(
    inputs: StructureInput | Iterable[StructureInput],
    names: Sequence[str] | None = None,
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
    from supercon3d.stability import DEFAULT_MAX_STEPS, DEFAULT_POTENTIAL, assess_stability
    from supercon3d.stability.assess import StabilityRecord
    from supercon3d.stability.potentials import check_potential

    potential = check_potential(potential or DEFAULT_POTENTIAL)
    steps = DEFAULT_MAX_STEPS if max_steps is None else max_steps
    read = _read_structures(inputs, names)
    good = [(name, structure) for name, structure, error in read if error is None]
    assessed = iter(
        assess_stability(
            [s for _, s in good],
            [n for n, _ in good],
            potential,
            steps,
            progress,
            workers=workers,
            complete_hull=complete_hull,
        )
    )
    return [
        next(assessed) if error is None else StabilityRecord(name, error=error, potential=potential)
        for name, _, error in read
    ]


def dope(
    inputs: StructureInput | Iterable[StructureInput],
    top: int | None = 10,
    fractions: Sequence[float] | None = None,
    with_stability: bool = False,
    names: Sequence[str] | None = None,
    max_dopants_per_host: int | None = None,
    potential: str | None = None,
    max_steps: int | None = None,
    progress: ProgressFactory = no_progress,
) -> list[DopingResult]:
    """Doped variants of each structure (substitutions with ICSD-probable dopants and anion
    vacancies at each of ``fractions`` of the host sites, default 0.05/0.1/0.2/0.3), scored
    by the shipped Tc model as partially occupied structures; per parent the ``top`` variants
    (all with None) by predicted Tc (K), with ΔTc against the parent. ``with_stability``
    relaxes the kept variants' ordered approximants (:func:`stability`). ``inputs`` as for
    :func:`predict`; a parent that cannot be read is one result with its ``error``."""
    from supercon3d.doping import DEFAULT_FRACTIONS, DopingResult, doped_variants, rank_variants
    from supercon3d.doping.dopants import DEFAULT_MAX_DOPANTS_PER_HOST
    from supercon3d.doping.variants import safe_name
    from supercon3d.screening.prediction import TcPrediction

    fractions = tuple(fractions) if fractions is not None else DEFAULT_FRACTIONS
    per_host = max_dopants_per_host or DEFAULT_MAX_DOPANTS_PER_HOST
    read = _read_structures(inputs, names)
    good = [(name, structure) for name, structure, error in read if error is None]
    parent_predictions = iter(predict([s for _, s in good], names=[n for n, _ in good]))
    results: list[DopingResult] = []
    with progress("doping", len(read)) as advance:
        for name, structure, error in read:
            if error is not None:
                failed = TcPrediction(name, error=error)
                results.append(DopingResult(None, None, failed, error=error))
                advance(1)
                continue
            parent = next(parent_predictions)
            label = safe_name(Path(name).stem if not name.startswith("structure[") else name)
            variants = doped_variants(structure, label, fractions, per_host)
            if not variants:
                why = f"{name}: no plausible dopant or anion vacancy for {parent.formula}"
                results.append(DopingResult(None, None, parent, error=why))
            else:
                scored = predict([v.structure for v in variants], names=[v.name for v in variants])
                results += rank_variants(variants, scored, parent, top)
            advance(1)
    if with_stability:
        kept = [r for r in results if r.variant is not None]
        records = stability(
            [r.variant.structure for r in kept], names=[r.variant.name for r in kept],
            potential=potential, max_steps=max_steps, progress=progress,
        )  # fmt: skip
        for result, record in zip(kept, records):
            result.stability = record
    return results

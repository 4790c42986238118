"""Predicting with one or several SODNet checkpoints (the fold models of a run).

:func:`load_ensemble` (and :meth:`SODNetEnsemble.shipped`) load a folder once per process;
the ensemble and its members are read-only, so that callers can share it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pymatgen.core import Composition
from torch.func import functional_call
from torch_geometric.data import Batch

from supercon3d.file_state import FileState, folder_state
from supercon3d.graphs import CrystalGraph, GraphSettings
from supercon3d.models.composition import MagpieBooster, MagpieFeaturizer
from supercon3d.models.intervals import INTERVALS_FILE, IntervalCalibration, read_calibration
from supercon3d.models.novelty import NoveltyReference, read_novelty
from supercon3d.models.shipped import (
    DEFAULT_MODEL,
    SHIPPED_MODELS,
    EnsembleSource,
    ensemble_source,
    shipped_model_dir,
)
from supercon3d.models.sodnet.checkpoint import Normalization, read_checkpoint
from supercon3d.models.sodnet.model import SODNet
from supercon3d.models.weights import CheckpointError, verify_files

MAX_BATCH_EDGES = 8_192
"""Most edges (neighbour pairs) in one prediction batch: the memory of a forward pass grows
with them, so a batch of large cells holds fewer graphs than one of small cells."""
LOADED_ENSEMBLES = 8
"""Ensembles kept loaded per process (folder and blend setting); the oldest one is dropped."""
FOLD_FILE = re.compile(r"fold(\d+)\.safetensors$")
BLEND_FILE = "blend.json"
PRIOR_FILE = "prior.txt.xz"


def composition_model_file(fold: int) -> str:
    """Where a run folder keeps fold ``fold``'s composition model."""
    return f"composition/fold{fold}.txt.xz"


def read_blend(folder: str | os.PathLike) -> dict[str, dict]:
    """``blend.json`` of a run folder: per fold, the SODNet weight and validation MAEs."""
    return json.loads((Path(folder) / BLEND_FILE).read_text())["folds"]


def blend_featurizer(folder: str | os.PathLike) -> MagpieFeaturizer:
    """The featurizer (in process only) of a run's blend composition models: Magpie, plus the
    statistics of the element embedding ``blend.json`` names (none when it names none or the
    run has no blend); ``CheckpointError`` for an embedding this version does not know."""
    path = Path(folder) / BLEND_FILE
    embedding = None
    if path.is_file():
        try:
            embedding = json.loads(path.read_text()).get("element_embedding")
        except (OSError, json.JSONDecodeError, AttributeError) as error:
            raise CheckpointError(path, f"unreadable blend ({error})") from None
    try:
        return MagpieFeaturizer(element_embedding=embedding)
    except ValueError as error:
        raise CheckpointError(path, str(error)) from None


def predict_ln_tc(
    model: SODNet,
    normalization: Normalization,
    graphs: Sequence[CrystalGraph],
    batch_size: int = 64,
    prior: np.ndarray | None = None,
    weights: dict[str, torch.Tensor] | None = None,
    max_edges: int = MAX_BATCH_EDGES,
) -> np.ndarray:
    """ln Tc (ln K) of each graph, in order; ``prior`` (ln K per graph) is added for a model
    trained on residuals over a composition prior. ``weights``: a state dict to run ``model``
    with instead of its own (one built network serves every fold model of an ensemble).
    Graphs go through in batches of at most ``batch_size`` graphs and ``max_edges`` edges (a
    graph with more edges alone), so that peak memory does not depend on which cells come
    together."""
    if model.config.composition_prior and prior is None:
        raise ValueError("this model predicts residuals over a composition prior; pass prior")
    out = []
    with torch.no_grad():
        for chunk in bounded_batches(graphs, batch_size, max_edges):
            batch = Batch.from_data_list(chunk)
            standardized = (
                model(batch) if weights is None else functional_call(model, weights, batch)
            )
            out.append(normalization.to_ln_tc(standardized))
    ln_tc = torch.cat(out).numpy().astype(float) if out else np.zeros(0)
    return ln_tc + prior if model.config.composition_prior else ln_tc


def bounded_batches(
    graphs: Sequence[CrystalGraph], max_graphs: int, max_edges: int
) -> Iterator[list[CrystalGraph]]:
    """Consecutive runs of ``graphs`` (in order) of at most ``max_graphs`` graphs and
    ``max_edges`` edges in all; a graph with more edges than that forms a batch alone."""
    chunk: list[CrystalGraph] = []
    edges = 0
    for graph in graphs:
        if chunk and (len(chunk) == max_graphs or edges + graph.num_edges > max_edges):
            yield chunk
            chunk, edges = [], 0
        chunk.append(graph)
        edges += graph.num_edges
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Member:
    """One fold model: a SODNet checkpoint, optionally blended with a composition model as
    ``sodnet_weight`` x SODNet + (1 - ``sodnet_weight``) x composition, in ln K.

    ``model`` is a network of the checkpoint's config, possibly shared with other members;
    the member's own parameters are ``weights``."""

    fold: int
    model: SODNet
    weights: dict[str, torch.Tensor]
    normalization: Normalization
    info: dict
    composition: MagpieBooster | None = None
    sodnet_weight: float = 1.0
    prior: MagpieBooster | None = None

    def predict(
        self, graphs: Sequence[CrystalGraph], compositions: list[Composition] | None = None
    ) -> np.ndarray:
        """ln Tc (ln K) per graph; ``compositions`` are the graphs' (computed if not given)."""
        if compositions is None and (self.prior is not None or self.composition is not None):
            compositions = [graph.composition() for graph in graphs]
        prior = self.prior.predict(compositions) if self.prior is not None else None
        ln_tc = predict_ln_tc(
            self.model, self.normalization, graphs, prior=prior, weights=self.weights
        )
        if self.composition is None or self.sodnet_weight == 1.0:
            return ln_tc
        composition = self.composition.predict(compositions)
        return self.sodnet_weight * ln_tc + (1.0 - self.sodnet_weight) * composition


def fold_checkpoints(folder: str | os.PathLike) -> dict[int, Path]:
    """``fold<k>.safetensors`` files of a run folder, by fold."""
    found = {}
    for path in sorted(Path(folder).glob("fold*.safetensors")):
        match = FOLD_FILE.search(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def is_shipped_model(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is one of the models shipped inside the package."""
    shipped = {shipped_model_dir(name).resolve() for name in SHIPPED_MODELS}
    return Path(folder).resolve() in shipped


class SODNetEnsemble:
    """The fold models of a run, averaged in ln Tc; their spread is the uncertainty.

    ``intervals``: the run's conformal calibration (``intervals.json``), if it has one.
    ``novelty``: the run's training compositions (``novelty.safetensors``), if it has them.
    ``source``: the (folder, blend) it was read from (:meth:`from_dir`), with which another
    process loads the same ensemble; None for one assembled in memory."""

    def __init__(
        self,
        members: Sequence[Member],
        intervals: IntervalCalibration | None = None,
        source: EnsembleSource | None = None,
        novelty: NoveltyReference | None = None,
    ):
        self.intervals = intervals
        self.novelty = novelty
        self.source = source
        if not members:
            raise ValueError("an ensemble needs at least one checkpoint")
        configs = {m.model.config for m in members}
        graph_keys = {(c.k, c.cutoff, c.embedding) for c in configs}
        if len(graph_keys) > 1:
            raise ValueError("ensemble members were trained on different graph settings")
        self.members = tuple(members)

    @classmethod
    def from_dir(cls, folder: str | os.PathLike, blend: bool = True) -> SODNetEnsemble:
        """The fold models of a run folder, read from disk (see :func:`load_ensemble` for the
        cached load); with ``blend`` and a ``blend.json`` there, each is blended with its
        fold's composition model (see :mod:`supercon3d.training.blend`). Each file read is
        checked against the folder's manifest (:func:`~supercon3d.models.weights.verify_files`),
        which a shipped model must have."""
        folder = Path(folder)
        verify_files(folder, [], required=is_shipped_model(folder))
        paths = fold_checkpoints(folder)
        if not paths:
            raise CheckpointError(folder, "no fold<k>.safetensors checkpoints in this folder")
        weights = {}
        if blend and (folder / BLEND_FILE).is_file():
            verify_files(folder, [folder / BLEND_FILE])
            try:
                weights = {int(k): v["sodnet_weight"] for k, v in read_blend(folder).items()}
            except (KeyError, TypeError, ValueError) as error:
                raise CheckpointError(folder / BLEND_FILE, f"unreadable blend ({error})") from None
            if not all(0 <= float(w) <= 1 for w in weights.values()):
                raise CheckpointError(folder / BLEND_FILE, "a sodnet_weight outside [0, 1]")
        featurizer = MagpieFeaturizer()
        blend_features = blend_featurizer(folder) if weights else featurizer
        members, prior, networks = [], None, {}
        for fold, path in paths.items():
            checkpoint = read_checkpoint(path)
            config = checkpoint.config
            if config not in networks:  # building a network compiles e3nn code: do it once
                networks[config] = SODNet(config)
            model = checkpoint.load_into(networks[config])
            if config.composition_prior and prior is None:
                verify_files(folder, [folder / PRIOR_FILE])
                try:
                    prior = MagpieBooster.load(folder / PRIOR_FILE, featurizer)
                except ValueError:
                    raise CheckpointError(
                        folder / PRIOR_FILE, "missing or unreadable composition prior"
                    ) from None
            composition = None
            if fold in weights:
                booster_path = folder / composition_model_file(fold)
                verify_files(folder, [booster_path])
                try:
                    composition = MagpieBooster.load(booster_path, blend_features)
                except ValueError as error:
                    reason = f"unreadable composition model ({str(error).split(': ', 1)[-1]})"
                    raise CheckpointError(booster_path, reason) from None
            member = Member(
                fold, model, checkpoint.weights, checkpoint.normalization, checkpoint.info,
                composition=composition,
                sodnet_weight=float(weights.get(fold, 1.0)),
                prior=prior if config.composition_prior else None,
            )  # fmt: skip
            members.append(member)
        if (folder / INTERVALS_FILE).is_file():
            verify_files(folder, [folder / INTERVALS_FILE])
        try:
            intervals = read_calibration(folder)
        except ValueError as error:
            raise CheckpointError(folder / INTERVALS_FILE, str(error).split(": ", 1)[-1]) from None
        return cls(members, intervals, ensemble_source(folder, blend), read_novelty(folder))

    @classmethod
    def shipped(cls, name: str = DEFAULT_MODEL, blend: bool = True) -> SODNetEnsemble:
        """A model shipped inside the package, loaded once per process (shared: read-only)."""
        return load_ensemble(shipped_model_dir(name), blend)

    @property
    def blended(self) -> bool:
        return any(m.composition is not None for m in self.members)

    @property
    def composition_embedding(self) -> str | None:
        """The element embedding whose statistics the blend's composition models add to
        Magpie (None: Magpie alone, or no blend)."""
        for member in self.members:
            if member.composition is not None:
                return member.composition.featurizer.element_embedding
        return None

    @property
    def graph_settings(self) -> GraphSettings:
        config = self.members[0].model.config
        return GraphSettings(k=config.k, cutoff=config.cutoff, embedding=config.embedding)

    def member(self, fold: int) -> Member:
        for member in self.members:
            if member.fold == fold:
                return member
        raise KeyError(f"no fold {fold} model in this ensemble")

    def predict(self, graphs: Sequence[CrystalGraph]) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation of ln Tc (ln K) per graph."""
        compositions = [graph.composition() for graph in graphs]
        each = np.stack([member.predict(graphs, compositions) for member in self.members])
        return each.mean(axis=0), each.std(axis=0)

    def site_importance(self, graph: CrystalGraph) -> np.ndarray:
        """Relative importance of each site (%, sums to 100): the attention the site receives
        from its neighbours in the last block, averaged over heads and ensemble members."""
        batch = Batch.from_data_list([graph])
        received = np.zeros(graph.num_nodes)
        with torch.no_grad():
            for member in self.members:
                _, alpha = functional_call(
                    member.model, member.weights, batch, {"return_attention": True}
                )
                source = batch.edge_index[0]
                per_site = torch.zeros(graph.num_nodes).index_add_(0, source, alpha.mean(dim=1))
                received += per_site.numpy()
        return 100.0 * received / received.sum()


@functools.lru_cache(maxsize=LOADED_ENSEMBLES)
def _cached_ensemble(folder: Path, blend: bool, state: tuple[FileState, ...]) -> SODNetEnsemble:
    return SODNetEnsemble.from_dir(folder, blend)


def load_ensemble(folder: str | os.PathLike | None = None, blend: bool = True) -> SODNetEnsemble:
    """The ensemble of a run folder (default: the shipped model), loaded once per process: a
    later call with the same folder and ``blend`` returns the same object while the folder's
    files are unchanged. The ensemble is shared, so it is read-only (members are frozen)."""
    folder, blend = ensemble_source(folder, blend)
    return _cached_ensemble(folder, blend, folder_state(folder))

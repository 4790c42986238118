"""Named SODNet training configurations: the architecture plus the optimisation schedule."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from supercon3d.defaults import DEFAULT_SPLIT
from supercon3d.models.sodnet import SODNetConfig

RUN_CONFIG_FILE = "config.json"
"""A run folder's configuration, written by its first training call."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation: AdamW with linear warm-up then cosine decay, L1 loss on standardized
    ln Tc; the checkpoint kept is the epoch with the lowest validation MAE (ln K).
    ``init_from``: a run folder of the same architecture and split whose fold models are
    each fold's starting weights (fine-tuning); empty: random initial weights."""

    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-2
    warmup_epochs: int = 3
    gradient_clip: float = 5.0
    seed: int = 0
    init_from: str = ""


@dataclass(frozen=True)
class RunConfig:
    """A named configuration; ``train_disorder`` lists the disorder classes kept in training
    (all when empty), for the ordered-only and ordered + SD experiments; ``split`` is the
    cross-validation split whose folds the run trains (``evaluation.folds.SPLITS``);
    ``ambient`` leaves the high-pressure hydrides out of everything the run trains, chooses
    and is scored on (SuperCon3D entries, the prior's and the blend's formulas);
    ``extra_structures`` adds the 3DSC structures with a SuperCon Tc to every fold's training
    (:mod:`supercon3d.training.extra_structures`; needs a run without the prior)."""

    name: str
    model: SODNetConfig = field(default_factory=SODNetConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    train_disorder: tuple[str, ...] = ()
    split: str = DEFAULT_SPLIT
    ambient: bool = False
    extra_structures: bool = False

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        return cls(
            name=values["name"],
            model=SODNetConfig.from_dict(values["model"]),
            train=TrainConfig(**values["train"]),
            train_disorder=tuple(values.get("train_disorder", ())),
            split=values.get("split", DEFAULT_SPLIT),
            ambient=bool(values.get("ambient", False)),
            extra_structures=bool(values.get("extra_structures", False)),
        )

    def replace(self, **changes) -> RunConfig:
        """A copy with fields of the run (``name``, ``train_disorder``, ``split``,
        ``ambient``, ``extra_structures``), the model or the training schedule changed, e.g.
        ``replace(lmax=0, epochs=5)``."""
        model_fields = {f.name for f in dataclasses.fields(SODNetConfig)}
        train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
        model = {k: v for k, v in changes.items() if k in model_fields}
        train = {k: v for k, v in changes.items() if k in train_fields}
        run = {k: v for k, v in changes.items() if k not in model_fields | train_fields}
        return dataclasses.replace(
            self,
            model=dataclasses.replace(self.model, **model),
            train=dataclasses.replace(self.train, **train),
            **run,
        )


def _run_field(run_dir: str | os.PathLike, name: str, default: object) -> object:
    """A field of a run folder's ``config.json``; ``default`` when it names none or the
    folder has no ``config.json``."""
    path = Path(run_dir) / RUN_CONFIG_FILE
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text()).get(name, default)
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(f"{path}: not a readable run configuration ({error})") from None


def run_split(run_dir: str | os.PathLike) -> str:
    """The split a run folder was trained on: its ``config.json``'s ``split``, ``random``
    when it names none or the folder has no ``config.json`` (the shipped model)."""
    return str(_run_field(run_dir, "split", DEFAULT_SPLIT))


def run_is_ambient(run_dir: str | os.PathLike) -> bool:
    """Whether a run folder's models were trained without the high-pressure hydrides (its
    ``config.json``'s ``ambient``; False without one)."""
    return bool(_run_field(run_dir, "ambient", False))


CONFIGS: dict[str, RunConfig] = {
    "cpu": RunConfig(
        name="cpu",
        model=SODNetConfig(
            lmax=1, scalars=64, vectors=16, blocks=3, heads=4, k=16, composition_prior=True
        ),
        train=TrainConfig(epochs=50, batch_size=32),
    ),
    "paper": RunConfig(
        name="paper",
        model=SODNetConfig(
            lmax=2,
            scalars=128,
            vectors=64,
            tensors=32,
            blocks=6,
            heads=8,
            k=32,
            radial_hidden=128,
            readout_hidden=128,
        ),  # fmt: skip
        train=TrainConfig(epochs=150, batch_size=64, learning_rate=5e-4),
    ),
}

ABLATIONS: dict[str, dict] = {
    "no-prior": {"composition_prior": False},
    "no-occupancy": {"occupancy_nodes": False, "occupancy_edges": False},
    "no-disorder-nodes": {"occupancy_nodes": False},
    "no-disorder-edges": {"occupancy_edges": False},
    "invariant": {"lmax": 0},
}

TRAIN_SUBSETS: dict[str, tuple[str, ...]] = {
    "all": (),
    "ordered+sd": ("O", "SD"),
    "ordered": ("O",),
}

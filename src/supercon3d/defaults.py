"""Defaults and choice names that the command line shows in its help, free of heavy imports.

``supercon3d --help`` and every subcommand's ``--help`` read these without importing torch,
pymatgen or lightgbm. The library's dataclasses take their defaults from here, so the help
and the code cannot disagree.
"""

from __future__ import annotations

from typing import Literal

GRAPH_NEIGHBOURS = 16
"""Neighbours per site in a crystal graph (``GraphSettings.k``)."""
GRAPH_CUTOFF_ANGSTROM = 8.0
"""Neighbour search cutoff of a crystal graph (Å, ``GraphSettings.cutoff``)."""

CONTACT_FACTOR = 0.5
"""Sites closer than this times the sum of their atomic radii share one position
(``DisorderTolerances.contact_factor``)."""
MAX_CIF_BYTES = 5_000_000
"""Largest CIF file read (bytes); SuperCon3D's largest is 32 kB."""
OVERFULL_TOLERANCE = 0.15
"""A shared position holding more than 1 + this many atoms is over-full
(``DisorderTolerances.overfull_tol``)."""

RegressorName = Literal["lgbm", "rf", "svr"]
CompositionEmbeddingName = Literal["chgnet"]
"""Pretrained element embeddings whose statistics can join the Magpie descriptors."""
"""The regressors of the composition baselines (``make_regressor``)."""
RunConfigName = Literal["cpu", "paper"]
"""The named SODNet training configurations (keys of ``training.config.CONFIGS``)."""
AblationName = Literal[
    "no-prior", "no-occupancy", "no-disorder-nodes", "no-disorder-edges", "invariant"
]
"""The ablation switches of ``supercon3d train`` (keys of ``training.config.ABLATIONS``)."""
TrainSubsetName = Literal["all", "ordered+sd", "ordered"]
"""Disorder classes kept for training (keys of ``training.config.TRAIN_SUBSETS``)."""
SplitName = Literal["random", "chemical-system", "family"]
"""The cross-validation splits (``evaluation.folds.SPLITS``): shared random 10 folds,
chemical-system-grouped 10 folds, leave-one-family-out."""
DEFAULT_SPLIT = "random"
"""The split of the shared protocol, and of a run whose configuration names none."""

ScreenEngine = Literal["local", "dask"]
"""The engines of ``supercon3d screen``: a process pool here, or a Dask cluster."""
DEFAULT_RESCORE_TOP = 0.1
"""Fraction of the readable structures, by P(superconductor), that screening rescores with
the structural ensemble (stage 2)."""
DEFAULT_SHARD_SIZE = 1000
"""Structures per screening task on Dask: big enough that a task's overhead (scheduling,
sending it, one database transaction) is small, small enough that a kill loses little."""
DEFAULT_LOCAL_SHARD_SIZE = 100
"""Structures per screening task in a local process pool, where a task costs little: small
enough that a few thousand structures still keep every core busy."""
DEFAULT_CIF_COLUMN = "cif"
"""The column of CIF text in a CSV source (the MP-20 / DiffCSP layout)."""

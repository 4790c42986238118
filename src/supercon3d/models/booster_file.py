"""LightGBM models as xz-compressed text holding only what prediction reads.

LightGBM's text format also records per-node statistics used for training diagnostics and
feature importance (split gains, node values, weights and sample counts): 44 % of the text of
a 1,000-tree model. They are dropped on writing (:data:`DIAGNOSTIC_FIELDS`), together with the
``tree_sizes`` index that would no longer match, so a model file is about 40 % smaller and
predicts exactly what the fitted booster predicts. Reading parses text: nothing is unpickled.
"""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import lightgbm

DIAGNOSTIC_FIELDS = (
    "split_gain=",
    "leaf_weight=",
    "leaf_count=",
    "internal_value=",
    "internal_weight=",
    "internal_count=",
    "tree_sizes=",
)
"""Lines of LightGBM's model text that prediction does not read."""
XZ_PRESET = 9


def prediction_text(booster: lightgbm.Booster) -> str:
    """The booster's model text without :data:`DIAGNOSTIC_FIELDS` lines."""
    lines = booster.model_to_string().split("\n")
    return "\n".join(line for line in lines if not line.startswith(DIAGNOSTIC_FIELDS))


def write_booster(booster: lightgbm.Booster, path: str | os.PathLike) -> Path:
    """Write the booster's :func:`prediction_text`, xz-compressed, to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(path, "wt", encoding="utf-8", preset=XZ_PRESET) as handle:
        handle.write(prediction_text(booster))
    return path


def read_booster(path: str | os.PathLike) -> lightgbm.Booster:
    """The booster saved at ``path``; ``ValueError`` naming the file if it is not one."""
    try:
        with lzma.open(path, "rt", encoding="utf-8") as handle:
            return lightgbm.Booster(model_str=handle.read())
    except (OSError, EOFError, lzma.LZMAError, lightgbm.basic.LightGBMError) as error:
        raise ValueError(f"{path}: not a readable LightGBM model ({error})") from None

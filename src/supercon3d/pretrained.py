"""Pretrained weights that ship inside another package's wheel, read as tensors only.

CHGNet's own loader (``CHGNet.load``) reads its checkpoint with ``torch.load(...,
weights_only=False)``, which unpickles the file and so may run code from it. The same file
holds nothing but tensors and plain values, so supercon3d reads it with
``weights_only=True`` instead, and the model is built from it as ``CHGNet.load`` builds it
(same tensors, same arguments; tests/test_pretrained.py): nothing supercon3d loads by
default is unpickled. The Tc models, which need only CHGNet's atom embedding, no longer build
the whole potential for it. The exception is the optional SevenNet-0 potential
(``--potential sevennet``): its checkpoint holds numpy arrays, which only ``sevenn``'s own
loader reads, and that loader unpickles.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from supercon3d.errors import SuperCon3DError

if TYPE_CHECKING:
    from chgnet.model import CHGNet

CHGNET_MODEL = "0.3.0"
"""The pretrained CHGNet every part of supercon3d uses (MPtrj, elements H to Pu)."""
CHGNET_LEGACY_MODEL = "0.2.0"
"""The one pretrained CHGNet whose output layers carry a bias (as ``CHGNet.load`` builds it)."""
CHGNET_CHECKPOINT_PATTERN = "*.pth.tar"
CHGNET_INSTALL_HINT = 'pip install "chgnet==0.4.2"'


class PretrainedWeightsError(SuperCon3DError, ImportError):
    """The package or its checkpoint is missing; the message is one line saying which."""


def chgnet_checkpoint_path(model: str = CHGNET_MODEL) -> Path:
    """The checkpoint of CHGNet's pretrained ``model`` inside the installed ``chgnet`` wheel."""
    spec = importlib.util.find_spec("chgnet")
    if spec is None or spec.origin is None:
        raise PretrainedWeightsError(f"CHGNet's weights need chgnet: {CHGNET_INSTALL_HINT}")
    folder = Path(spec.origin).parent / "pretrained" / model
    found = sorted(folder.glob(CHGNET_CHECKPOINT_PATTERN))
    if len(found) != 1:
        raise PretrainedWeightsError(
            f"{folder}: expected one CHGNet {model} checkpoint ({CHGNET_CHECKPOINT_PATTERN}), "
            f"found {len(found)}; reinstall chgnet: {CHGNET_INSTALL_HINT}"
        )
    return found[0]


@cache
def chgnet_checkpoint(model: str) -> dict:
    """CHGNet's pretrained ``model`` as ``{"state_dict": {name: tensor}, "model_args": {...}}``
    (what ``CHGNet.from_dict`` takes), read with ``torch.load(weights_only=True)``. Cached per
    process (``model`` has no default, so every call names it the same way and shares one
    read): do not modify the tensors."""
    import torch

    path = chgnet_checkpoint_path(model)
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def chgnet_model(model: str = CHGNET_MODEL) -> CHGNet:
    """CHGNet's pretrained ``model`` on the CPU, built from :func:`chgnet_checkpoint` with the
    arguments ``CHGNet.load`` gives it (the output-layer bias only for 0.2.0)."""
    from chgnet.model import CHGNet

    checkpoint = chgnet_checkpoint(model)
    return CHGNet.from_dict(checkpoint, mlp_out_bias=model == CHGNET_LEGACY_MODEL, version=model)

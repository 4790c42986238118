"""Names and folders of the models shipped inside the package.

Light on purpose (no torch): command-line option defaults and help texts read these.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

SHIPPED_MODELS: dict[str, str] = {
    "sodnet-cpu": "10 fold models of the `cpu` configuration trained on SuperCon3D",
    "sodnet-cpu-ambient": "the same, trained without the high-pressure superhydrides",
}
DEFAULT_MODEL = "sodnet-cpu"
"""What ``predict`` and ``screen`` use: every SuperCon3D entry, superhydrides included."""
AMBIENT_MODEL = "sodnet-cpu-ambient"
"""The ambient-pressure variant (``supercon3d train --ambient``): no superhydride measured at
100–250 GPa in its training data, so it does not rate hydrogen-rich cells high for Tc they
reach only under pressure; what ``discover`` scores with by default."""
SHIPPED_GENERATOR = "diffcsp-sc"
SHIPPED_CLASSIFIER = "models/superconductor"
"""The P(superconductor) classifier's folder under ``supercon3d/resources``."""


def _resource_dir(name: str) -> Path:
    return Path(str(resources.files("supercon3d") / "resources" / "models" / name))


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    """Folder of a SODNet ensemble shipped inside the package."""
    if name not in SHIPPED_MODELS:
        raise KeyError(f"unknown shipped model {name!r}; available: {', '.join(SHIPPED_MODELS)}")
    return _resource_dir(name)


EnsembleSource = tuple[Path, bool]
"""Where a SODNet ensemble is read from: its run folder (resolved) and whether it is blended;
with it another process loads the same ensemble
(:func:`supercon3d.models.sodnet.ensemble.load_ensemble`)."""


def ensemble_source(folder: str | os.PathLike | None = None, blend: bool = True) -> EnsembleSource:
    """The :data:`EnsembleSource` of a run folder (default: the shipped model)."""
    return Path(folder or shipped_model_dir()).resolve(), blend


def shipped_generator_dir() -> Path:
    """Folder of the generator shipped inside the package."""
    return _resource_dir(SHIPPED_GENERATOR)

"""Names and folders of the models shipped inside the package.

Light on purpose (no torch): command-line option defaults and help texts read these.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED_MODELS: dict[str, str] = {
    "sodnet-cpu": "10 fold models of the `cpu` configuration trained on SuperCon3D",
}
DEFAULT_MODEL = "sodnet-cpu"
SHIPPED_GENERATOR = "diffcsp-sc"


def _resource_dir(name: str) -> Path:
    return Path(str(resources.files("supercon3d") / "resources" / "models" / name))


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    """Folder of a SODNet ensemble shipped inside the package."""
    if name not in SHIPPED_MODELS:
        raise KeyError(f"unknown shipped model {name!r}; available: {', '.join(SHIPPED_MODELS)}")
    return _resource_dir(name)


def shipped_generator_dir() -> Path:
    """Folder of the generator shipped inside the package."""
    return _resource_dir(SHIPPED_GENERATOR)

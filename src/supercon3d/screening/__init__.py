"""Scoring many structures: files, folders or Structures in, Tc predictions out (one
workflow, :func:`.inputs.predict_inputs`: graphs :mod:`.predict`, CIFs in workers :mod:`.files`,
records :mod:`.prediction`), and database-scale screening
(:mod:`.funnel`, shards :mod:`.shards`, tasks :mod:`.tasks`, stages :mod:`.scoring`). The
names below load on first use, so that a screening worker's stage 1 runs without importing
torch."""

import importlib
from typing import Any

_HOMES = {"TcPrediction": "prediction", "predict_inputs": "inputs"}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"supercon3d.screening.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'supercon3d.screening' has no attribute {name!r}")

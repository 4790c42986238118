"""Scoring many structures: CIF files or folders in, Tc predictions out (:mod:`.predict`), and
database-scale screening (:mod:`.funnel`). The names below load on first use, so that a
screening worker's stage 1 runs without importing torch."""

from typing import Any

__all__ = ["TcPrediction", "predict_files"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from supercon3d.screening import predict

        return getattr(predict, name)
    raise AttributeError(f"module 'supercon3d.screening' has no attribute {name!r}")

"""Scoring many structures: CIF files or folders in, Tc predictions out."""

from supercon3d.screening.predict import TcPrediction, predict_files

__all__ = ["TcPrediction", "predict_files"]

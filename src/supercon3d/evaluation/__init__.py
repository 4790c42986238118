"""The shared 10-fold cross-validation protocol and its metrics."""

from supercon3d.evaluation.folds import FoldAssignment, FoldSplit
from supercon3d.evaluation.metrics import regression_metrics, summarize

__all__ = ["FoldAssignment", "FoldSplit", "regression_metrics", "summarize"]

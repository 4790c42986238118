"""Training and cross-validating models on the shared protocol."""

from supercon3d.training.baseline import cross_validate_baseline, extra_training_rows

__all__ = ["cross_validate_baseline", "extra_training_rows"]

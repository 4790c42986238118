"""SODNet, the equivariant Tc predictor for ordered and disordered crystals."""

from supercon3d.models.sodnet.model import SODNet, SODNetConfig

__all__ = ["SODNet", "SODNetConfig"]

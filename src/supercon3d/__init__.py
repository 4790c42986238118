"""supercon3d: machine-learning superconductor discovery for ordered and disordered crystals."""

__version__ = "0.1.0"

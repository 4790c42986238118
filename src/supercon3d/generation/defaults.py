"""Defaults of generation and the names of the generator's training stages.

Light on purpose (no torch): the command-line option defaults read these.
"""

from __future__ import annotations

DEFAULT_STRUCTURES = 100
"""Structures from noise, or seeds with the seed optimisation."""
DEFAULT_GUIDANCE_SCALE = 3.0
DEFAULT_NOISE_STEPS = 1000
"""Reverse steps of a full denoising from noise (of T = 1000)."""
DEFAULT_SEED_STEPS = 250
"""Reverse steps of a full denoising in the seed optimisation (a seed noised to t = r·T
takes ceil(r x 250))."""
DEFAULT_TYPE_SNR = 0.0
DEFAULT_CHARGE_BALANCE = 300.0
"""Chosen by ``benchmarks/guidance_sweep.py --charge-balance``
(docs/notebook/benchmarks-2026-11.md)."""
SYMMETRY_MODES = ("free", "constrained")
"""``free``: any cell the denoiser makes; ``constrained``: inside a space group and Wyckoff
template (drawn from the corpus, or the seed's own)."""
DEFAULT_SYMMETRY_NOISE = "constrained"
"""Symmetry of generation from noise when none is asked for: constrained, since free cells
from noise are mostly P1 or P-1 (share above P-1 0.97 constrained against 0.28 free, at a
compositional validity within its error; ``benchmarks/noise_validity.py --symmetry``)."""
DEFAULT_SYMMETRY_SEEDS = "free"
"""Symmetry of the seed optimisation when none is asked for: free, since seeds kept in their
space group reach a lower SR10 (``benchmarks/guidance_sweep.py --symmetry``)."""
METHODS = ("diffusion", "substitution")
"""``diffusion``: the denoiser; ``substitution``: elements of known structures replaced by
chemically probable substitutes."""
TRAINING_STAGES = ("pretrain", "guidance")
"""``pretrain``: the denoiser on the structure corpus; ``guidance``: the time-dependent Tc
predictor on the SuperCon3D ordered split."""

"""Projections that keep a batch of crystals inside their space-group templates during the
reverse diffusion (DiffCSP++-style constrained generation with an unconstrained denoiser).

After every update of the sampler:

- fractional coordinates: each atom's displacement since the last symmetric state is pulled
  back to its orbit's representative (W⁻¹ of its coset operation), averaged over the orbit,
  projected onto the representative's free directions (the site-symmetry projector P) and
  pushed out again to every atom of the orbit by the coset operations, so only the free
  Wyckoff parameters move;
- lattice: the metric G = L Lᵀ (Å²) is replaced by the mean of Wᵀ G W over the point group
  and the lattice rebuilt with that metric (Cholesky factors; orientation kept);
- atom types: the type vectors are averaged over each orbit (one species per orbit).

Each projection is idempotent and leaves a crystal that already fits its template unchanged.
The type noise of a step is drawn once per orbit (:meth:`SymmetryConstraint.orbit_noise`):
averaged over the orbit's m atoms it would have 1/m of the variance the denoiser was trained
on, and a large orbit's types would reach the denoiser far cleaner than their step says.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch_geometric.utils import scatter

from supercon3d.generation.symmetry_template import SymmetryTemplate

METRIC_JITTER = 1e-6
"""Added to the diagonal (Å²) when a metric is too close to singular for Cholesky."""


def _wrap(delta: torch.Tensor) -> torch.Tensor:
    return delta - torch.floor(delta + 0.5)


class SymmetryConstraint:
    """The templates of a batch of crystals (one per crystal, in batch order; atoms in each
    template's order) as tensors on ``device``."""

    def __init__(self, templates: Sequence[SymmetryTemplate], device: torch.device | str = "cpu"):
        self.templates = list(templates)
        atom_offset, orbit_offset = 0, 0
        orbit_of_atom, representative, projectors = [], [], []
        coset_rotations, coset_translations = [], []
        rotations, rotation_crystal = [], []
        for crystal, template in enumerate(self.templates):
            orbit_index = torch.as_tensor(template.orbit_of_atoms())
            orbit_of_atom.append(orbit_index + orbit_offset)
            rotation = torch.zeros(template.num_atoms, 3, 3, dtype=torch.float64)
            translation = torch.zeros(template.num_atoms, 3, dtype=torch.float64)
            for orbit in template.orbits:
                atoms = list(orbit.atoms)
                rotation[atoms] = torch.as_tensor(orbit.coset_rotations, dtype=torch.float64)
                translation[atoms] = torch.as_tensor(orbit.coset_translations)
                representative.append(orbit.representative + atom_offset)
                projectors.append(torch.as_tensor(orbit.projector, dtype=torch.float64))
            coset_rotations.append(rotation)
            coset_translations.append(translation)
            point_group = torch.as_tensor(template.point_group, dtype=torch.float64)
            rotations.append(point_group)
            rotation_crystal.append(torch.full((len(point_group),), crystal))
            atom_offset += template.num_atoms
            orbit_offset += len(template.orbits)
        self.num_atoms = torch.tensor([t.num_atoms for t in self.templates])
        self.orbit_of_atom = torch.cat(orbit_of_atom).to(device)
        self.num_orbits = orbit_offset
        self.orbit_size = torch.bincount(self.orbit_of_atom, minlength=orbit_offset)
        self.representative = torch.tensor(representative, device=device)
        self.projector = torch.stack(projectors).to(device)
        self.coset_rotation = torch.cat(coset_rotations).to(device)
        self.coset_inverse = torch.linalg.inv(torch.cat(coset_rotations)).round().to(device)
        self.coset_translation = torch.cat(coset_translations).to(device)
        self.rotations = torch.cat(rotations).to(device)
        self.rotation_crystal = torch.cat(rotation_crystal).to(device)

    def _orbit_mean(self, values: torch.Tensor) -> torch.Tensor:
        return scatter(values, self.orbit_of_atom, dim=0, dim_size=self.num_orbits, reduce="mean")

    def _expand(self, representative_frac: torch.Tensor) -> torch.Tensor:
        """Every atom's position from its orbit representative's (O, 3), mod 1."""
        x = representative_frac[self.orbit_of_atom]
        images = torch.einsum("nij,nj->ni", self.coset_rotation, x) + self.coset_translation
        return torch.remainder(images, 1.0)

    def frac(self, frac: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        """Fractional coordinates (N, 3) moved from the symmetric ``anchor`` (N, 3) by the
        symmetric part of their displacement (each wrapped into [-0.5, 0.5))."""
        dtype = frac.dtype
        displacement = _wrap(frac.double() - anchor.double())
        pulled = torch.einsum("nij,nj->ni", self.coset_inverse, displacement)
        step = torch.einsum("oij,oj->oi", self.projector, self._orbit_mean(pulled))
        return self._expand(anchor.double()[self.representative] + step).to(dtype)

    def initial_frac(self, anchor: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Coordinates (N, 3) with each representative moved from the symmetric ``anchor``
        by P u, u uniform in [-0.5, 0.5)³: the free parameters drawn from the prior."""
        u = torch.rand(self.num_orbits, 3, generator=generator, dtype=torch.float64) - 0.5
        step = torch.einsum("oij,oj->oi", self.projector.cpu(), u).to(anchor.device)
        return self._expand(anchor.double()[self.representative] + step).to(anchor.dtype)

    def lattice(self, lattice: torch.Tensor) -> torch.Tensor:
        """Lattices (B, 3, 3) Å rebuilt with the point-group average of their metric."""
        dtype = lattice.dtype
        lattice = lattice.double()
        metric = lattice @ lattice.transpose(1, 2)
        w = self.rotations
        rotated = w.transpose(1, 2) @ metric[self.rotation_crystal] @ w
        crystals = len(lattice)
        wanted = scatter(rotated, self.rotation_crystal, dim=0, dim_size=crystals, reduce="mean")
        wanted = (wanted + wanted.transpose(1, 2)) / 2
        current, current_failed = torch.linalg.cholesky_ex(metric)
        target, target_failed = torch.linalg.cholesky_ex(wanted)
        if bool((current_failed != 0).any() or (target_failed != 0).any()):
            jitter = METRIC_JITTER * torch.eye(3, dtype=lattice.dtype, device=lattice.device)
            current = torch.linalg.cholesky(metric + jitter)
            target = torch.linalg.cholesky(wanted + jitter)
        return (target @ torch.linalg.solve_triangular(current, lattice, upper=False)).to(dtype)

    def types(self, types: torch.Tensor) -> torch.Tensor:
        """Type vectors (N, 100) averaged over each orbit."""
        return self._orbit_mean(types)[self.orbit_of_atom]

    def orbit_noise(self, noise: torch.Tensor) -> torch.Tensor:
        """Standard normal noise (N, k), one draw per atom, made one draw per orbit with the
        same variance: each orbit's mean times the square root of its size, on all its
        atoms."""
        scale = self.orbit_size.to(noise.dtype).sqrt()[:, None]
        return (self._orbit_mean(noise) * scale)[self.orbit_of_atom]

    def reference(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The templates' symmetric lattices (B, 3, 3) Å and coordinates (N, 3), float32."""
        lattice = torch.stack([torch.as_tensor(t.lattice) for t in self.templates])
        frac = torch.cat([torch.as_tensor(t.frac) for t in self.templates])
        return lattice.float(), frac.float()

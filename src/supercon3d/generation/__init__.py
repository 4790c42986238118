"""DiffCSP-SC: periodic equivariant diffusion over crystal structures, steered toward high Tc."""

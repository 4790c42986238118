"""Writing doped variants as partially occupied CIFs."""

from __future__ import annotations

from pathlib import Path

from supercon3d.data.cif import write_cif
from supercon3d.doping.variants import DopedVariant


def write_variant_cif(variant: DopedVariant, folder: Path, force: bool = False) -> Path:
    """Write ``variant`` to ``folder/<name>.cif`` (P1, every site with its occupancies); an
    existing file is kept unless ``force`` (FileExistsError)."""
    path = folder / f"{variant.name}.cif"
    if path.exists() and not force:
        raise FileExistsError(f"{path}: exists; --force replaces it")
    write_cif(variant.structure, path)
    return path

"""Reading structures and Tc tables: SuperCon3D, composition tables, 3DSC, MP, any CIF folder.

The names below load their module (and pymatgen) on first use, so that light modules of this
package (:mod:`.inputs`) import without them."""

import importlib
from typing import Any

_HOMES = {
    "CifReadError": "cif",
    "CifRecord": "cif",
    "FolderReadResult": "cif",
    "read_cif": "cif",
    "read_cif_folder": "cif",
    "read_cifs": "cif",
    "Entry": "supercon3d",
    "SuperCon3D": "supercon3d",
    "load_supercon3d": "supercon3d",
    "DisorderClass": "taxonomy",
    "DisorderTolerances": "taxonomy",
    "classify_disorder": "taxonomy",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"supercon3d.data.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'supercon3d.data' has no attribute {name!r}")

"""Reading structures and Tc tables: SuperCon3D, composition tables, 3DSC, MP, any CIF folder."""

from supercon3d.data.cif import (
    CifReadError,
    CifRecord,
    FolderReadResult,
    read_cif,
    read_cif_folder,
    read_cifs,
)
from supercon3d.data.supercon3d import Entry, SuperCon3D, load_supercon3d
from supercon3d.data.taxonomy import DisorderClass, DisorderTolerances, classify_disorder

__all__ = [
    "CifReadError",
    "CifRecord",
    "DisorderClass",
    "DisorderTolerances",
    "Entry",
    "FolderReadResult",
    "SuperCon3D",
    "classify_disorder",
    "load_supercon3d",
    "read_cif",
    "read_cif_folder",
    "read_cifs",
]

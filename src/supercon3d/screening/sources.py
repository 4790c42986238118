"""Structure sources for screening: the one reader of every input door,
:mod:`supercon3d.data.sources`, under the name the screening modules import it by."""

from supercon3d.data.sources import (
    CSV_SUFFIX,
    ID_SEPARATOR,
    KIND_ATOMS,
    KIND_CIF,
    KIND_ERROR,
    TAR_SUFFIXES,
    ZIP_SUFFIXES,
    StructureItem,
    atoms_content,
    iter_source,
    iter_sources,
)

__all__ = [
    "CSV_SUFFIX",
    "ID_SEPARATOR",
    "KIND_ATOMS",
    "KIND_CIF",
    "KIND_ERROR",
    "TAR_SUFFIXES",
    "ZIP_SUFFIXES",
    "StructureItem",
    "atoms_content",
    "iter_source",
    "iter_sources",
]

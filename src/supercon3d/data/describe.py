"""What the reader makes of any CIFs: formula, sites, disorder class and warnings per file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict

from supercon3d.data.cif import expand_cif_paths, read_cifs
from supercon3d.data.contract import CifReadError
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.progress import ProgressFactory, no_progress


def describe_cifs(
    paths: Iterable[str | os.PathLike],
    *,
    strict: bool = False,
    progress: ProgressFactory = no_progress,
) -> tuple[list[dict], list[CifReadError]]:
    """One row per readable CIF of ``paths`` (files and folders): file, formula, sites, the
    disorder report and class, the reader's warnings; and the files that could not be read
    or were refused by the input contract (with ``strict``, a CIF with a warning is refused),
    each a one-line error naming it."""
    paths = list(paths)
    with progress("reading CIFs", len(expand_cif_paths(paths))) as advance:
        result = read_cifs(paths, progress=advance, strict=strict)
    rows = []
    for record in result.records:
        report = classify_disorder(
            record.structure, overfull_occupancies=record.overfull_occupancies
        )
        rows.append(
            {
                "file": record.source,
                "formula": record.structure.composition.reduced_formula,
                "sites": len(record.structure),
                **asdict(report),
                "disorder_class": report.disorder_class.value,
                "warnings": record.warnings,
            }
        )
    return rows, list(result.failures)

"""Loading SuperCon3D for a command, with a progress bar and the skipped files listed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supercon3d.cli.progress import progress_bar, report_failures

if TYPE_CHECKING:
    from supercon3d.data.supercon3d import SuperCon3D
    from supercon3d.data.taxonomy import DisorderTolerances


def load_dataset(
    data: str | os.PathLike | None, tolerances: DisorderTolerances | None = None
) -> SuperCon3D:
    """All SuperCon3D entries (:func:`supercon3d.data.supercon3d.load_dataset`, classified
    with ``tolerances``, default ones when None); unreadable CIFs are listed on stderr."""
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.data.taxonomy import DisorderTolerances

    dataset = load_dataset(
        data, progress=progress_bar, tolerances=tolerances or DisorderTolerances()
    )
    report_failures(dataset.failures, "CIFs")
    return dataset

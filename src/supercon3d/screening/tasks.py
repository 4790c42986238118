"""The two tasks a screen sends out with a :class:`~supercon3d.screening.shards.Shard`.

Light on purpose, like :mod:`.shards`: the coordinator imports this module to send the tasks,
and the stages (:mod:`supercon3d.screening.scoring`, models and pymatgen) load only in the
workers that run them.
"""

from __future__ import annotations

from supercon3d.screening.shards import Shard


def score_shard(shard: Shard) -> list[dict]:
    """Stage 1 for every item of ``shard``: one row each, in order
    (:func:`supercon3d.screening.scoring.composition_rows`)."""
    from supercon3d.screening.scoring import composition_rows

    return composition_rows(shard)


def rescore_shard(shard: Shard) -> list[dict]:
    """Stage 2 for every item of ``shard``: one row each, in order
    (:func:`supercon3d.screening.scoring.structure_rows`)."""
    from supercon3d.screening.scoring import structure_rows

    return structure_rows(shard)

"""``supercon3d discover --screen DB``: the best rows of a screening database as sources."""

from __future__ import annotations

import shutil

import pytest

from supercon3d import api
from supercon3d.discovery.sources import NO_CIF, from_screen
from supercon3d.settings import dataset_path

pytestmark = pytest.mark.data  # every test here reads the data folder

SCREENED = ("169422.cif", "614648.cif")
"""InTe and LaB2Rh3 (SuperCon3D)."""


def test_screen_rows_are_read_from_their_cifs_and_a_vanished_cif_is_dropped(tmp_path):
    folder = tmp_path / "cifs"
    folder.mkdir()
    for name in SCREENED:
        shutil.copy(dataset_path("supercon3d") / "cif" / name, folder / name)
    database = tmp_path / "screen.sqlite"
    api.screen([folder], database, workers=1)
    kept, dropped = from_screen(str(database), len(SCREENED))
    assert sorted(s.structure.composition.reduced_formula for s in kept) == ["InTe", "LaB2Rh3"]
    assert {s.source for s in kept} == {"screen"} and not dropped
    (folder / SCREENED[0]).unlink()
    kept, dropped = from_screen(str(database), len(SCREENED))
    assert [s.structure.composition.reduced_formula for s in kept] == ["LaB2Rh3"]
    assert [(d.formula, d.reason) for d in dropped] == [("InTe", NO_CIF)]

"""Every door reads a folder the same way: every ``*.cif`` at any depth, in the order `screen`
reads it, linked folders followed, a loop and a folder that cannot be listed each an error
row naming it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.data.cif import cif_input_paths, read_cif_folder, read_cifs
from supercon3d.data.inputs import read_structures
from supercon3d.data.sources import ID_SEPARATOR, count_items, iter_sources
from tiny_model import write_tiny_run

LOOP = "a symbolic link to a folder above it (a loop): not followed"
LOCKED = "an unreadable folder (Permission denied)"


def mgb2_cif() -> str:
    structure = Structure(
        Lattice.hexagonal(3.086, 3.524), ["Mg", "B", "B"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]],
    )  # fmt: skip
    return str(CifWriter(structure))


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """``root/a.cif``, ``root/sub/deeper/b.cif``, ``root/linked`` (a link to a folder beside
    it holding ``c.cif``), ``root/sub/back`` (a link to ``root``: a loop) and ``root/locked``
    (listing it is refused, as a folder without read permission; root reads any)."""
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "locked").mkdir()
    (root / "a.cif").write_text(mgb2_cif())
    (root / "sub" / "deeper" / "b.cif").write_text(mgb2_cif())
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.cif").write_text(mgb2_cif())
    (root / "linked").symlink_to(other)
    (root / "sub" / "back").symlink_to(root)
    listing = os.scandir

    def refuse_locked(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(os, "scandir", refuse_locked)
    return root


def expected(root: Path) -> list[tuple[str, str | None]]:
    return [
        (str(root / "a.cif"), None),
        (str(root / "linked" / "c.cif"), None),
        (str(root / "locked"), f"{root / 'locked'}: {LOCKED}"),
        (str(root / "sub" / "back"), f"{root / 'sub' / 'back'}: {LOOP}"),
        (str(root / "sub" / "deeper" / "b.cif"), None),
    ]


def test_the_structure_reader_reads_a_folder_as_screen_does(tree):
    read = read_structures([tree])
    assert [(r.name, r.error) for r in read] == expected(tree)
    assert all(r.structure is not None for r in read if r.error is None)
    screened = list(iter_sources([tree]))
    as_paths = [str(tree / item.id.split(ID_SEPARATOR)[1]) for item in screened]
    assert as_paths == [r.name for r in read]
    assert [item.error is None for item in screened] == [r.error is None for r in read]
    assert count_items([tree]) == len(read)


def test_folder_paths_come_with_the_reason_they_cannot_be_read(tree, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    found = cif_input_paths([tree, empty, tmp_path / "missing.cif"])
    reasons = {str(path): reason for path, reason in found}
    assert reasons[str(tree / "sub" / "back")] == LOOP
    assert reasons[str(tree / "locked")] == LOCKED
    assert reasons[str(empty)] == "no .cif files in this folder"
    assert reasons[str(tmp_path / "missing.cif")] is None  # reading it says what is wrong


def test_reading_many_cifs_counts_a_loop_and_a_locked_folder_as_failures(tree):
    result = read_cifs([tree], workers=1)
    assert [record.source for record in result.records] == [
        name for name, error in expected(tree) if error is None
    ]
    assert [str(failure) for failure in result.failures] == [
        error for _, error in expected(tree) if error is not None
    ]
    assert len(read_cif_folder(tree, workers=1).records) == 3


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return write_tiny_run(tmp_path_factory.mktemp("tiny"))


def test_predict_reads_every_depth_and_a_loop_is_a_failed_row(tree, tiny_run, tmp_path):
    out = tmp_path / "p.json"
    arguments = ["predict", str(tree), "--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(app, [*arguments, "--checkpoints", str(tiny_run)])
    assert result.exit_code == 3, result.output  # some failed
    records = json.loads(out.read_text())
    assert [(r["file"], r.get("error")) for r in records] == expected(tree)
    assert all(r["formula"] == "MgB2" for r in records if "error" not in r)


def test_dope_reads_every_depth_and_a_loop_is_a_failed_row(tree):
    from supercon3d import api

    results = api.dope([tree], top=1, fractions=(0.1,))
    parents = list(dict.fromkeys(r.parent_prediction.file for r in results))
    assert parents == [name for name, _ in expected(tree)]
    errors = {r.parent_prediction.file: r.error for r in results if r.variant is None}
    assert errors[str(tree / "sub" / "back")] == f"{tree / 'sub' / 'back'}: {LOOP}"
    assert errors[str(tree / "locked")] == f"{tree / 'locked'}: {LOCKED}"


def test_discover_reads_every_depth_and_drops_a_loop_with_its_reason(tree):
    from supercon3d.discovery.sources import from_cifs

    kept, dropped = from_cifs((str(tree), str(tree / "a.cif")))  # a.cif met twice: read once
    assert sorted(Path(source.origin).name for source in kept) == ["a.cif", "b.cif", "c.cif"]
    assert sorted(d.detail for d in dropped) == sorted(
        error for _, error in expected(tree) if error is not None
    )

"""``discover``'s checks that need no run: a run folder that cannot be written is refused
before anything is loaded; no candidate is both novel and known to the literature."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from supercon3d import api
from supercon3d.cli.main import app
from supercon3d.discovery.candidates import OUTPUT_COLUMNS, output_table
from supercon3d.discovery.run_record import DiscoveryFolderError, check_writable

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _refused_before_loading(monkeypatch) -> None:
    """Make any use of the pipeline (its imports, settings and models come after the check)
    fail the test."""

    def loaded(*args, **kwargs):
        raise AssertionError("the pipeline ran before the run folder was checked")

    monkeypatch.setattr("supercon3d.discovery.settings.resolve_settings", loaded)


def test_an_out_that_is_a_file_is_refused_in_one_line_and_left_as_it_is(tmp_path, monkeypatch):
    _refused_before_loading(monkeypatch)
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    with pytest.raises(DiscoveryFolderError, match="notes.txt: is a file; --out takes a folder"):
        api.discover(out, cifs=[tmp_path / "any.cif"])
    result = CliRunner().invoke(app, ["discover", "--out", str(out), str(tmp_path / "x.cif")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert "notes.txt: is a file" in line
    assert out.read_text() == "mine"


def test_an_out_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DiscoveryFolderError, match="cannot be created: .*notes.txt is a file"):
        check_writable(tmp_path / "notes.txt" / "run")


def test_a_new_or_empty_writable_folder_passes(tmp_path):
    check_writable(tmp_path)
    check_writable(tmp_path / "new" / "run")
    assert not (tmp_path / "new").exists()  # checking creates nothing


@pytest.mark.skipif(AS_ROOT, reason="root ignores file permissions")
def test_a_read_only_folder_is_refused_before_loading(tmp_path, monkeypatch):
    _refused_before_loading(monkeypatch)
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(DiscoveryFolderError, match="the folder cannot be written"):
            api.discover(folder, cifs=[tmp_path / "any.cif"])
        with pytest.raises(DiscoveryFolderError, match="cannot be created: .*shared cannot be"):
            api.discover(folder / "run", cifs=[tmp_path / "any.cif"])
    finally:
        folder.chmod(0o755)


def test_no_candidate_is_both_novel_and_known_to_the_literature():
    """Rows as a stage read back from an earlier version can hold them (novelty was once
    judged on structures alone): SuperCon3D's 97102 and 164065 came out novel and known."""
    table = pd.DataFrame({
        "id": ["c97102", "c164065", "in-mp", "new", "unjudged"],
        "formula": ["Ba2Ca2Cu3HgO8.35", "Nd2Fe2As2O1.7", "NaCl", "LaH9Y", "NbSe"],
        "novel": [True, True, True, True, None],
        "known_superconductor": [True, True, False, False, False],
        "known_in": ["", "SuperCon;SuperCon3D", "MP", None, ""],
    })  # fmt: skip
    out = output_table(table)
    assert list(out["novel"]) == [False, False, False, True, None]
    assert list(out.columns[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert list(table["novel"]) == [True, True, True, True, None]  # the input is left as it is
    assert list(output_table(table.drop(columns="novel"))["novel"].isna()) == [True] * 5

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.settings import dataset_path


def test_data_stats_json(tmp_path):
    result = CliRunner().invoke(app, ["data", "stats", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["entries"] == 1578
    assert stats["by_disorder"]["O"] == 1016
    assert sum(stats["by_disorder"].values()) == 1578
    assert stats["by_disorder"]["ID"] == 0
    assert sum(stats["by_family"].values()) == 1578
    assert stats["graphs"]["built"] == 1578
    assert (tmp_path / "tc_histogram.png").stat().st_size > 10_000


def test_missing_data_folder_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(app, ["data", "stats", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
    assert "nowhere: data folder not found" in result.output


@pytest.mark.data
def test_inspect_reports_each_file_and_survives_a_broken_one(tmp_path):
    source = dataset_path("supercon3d/cif")
    for name in ("671985.cif", "602516.cif"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    (tmp_path / "broken.cif").write_text("garbage")
    result = CliRunner().invoke(app, ["data", "inspect", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {Path(row["file"]).name: row for row in json.loads(result.stdout)}
    assert rows["671985.cif"]["disorder_class"] == "O"
    assert rows["602516.cif"]["disorder_class"] == "SPD"
    assert rows["671985.cif"]["warnings"]  # pymatgen's rounding notice is kept
    assert "error" in rows["broken.cif"] and "disorder_class" not in rows["broken.cif"]


def test_inspect_empty_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["data", "inspect", str(tmp_path)])
    assert result.exit_code == 1
    assert "no .cif files in this folder" in result.output

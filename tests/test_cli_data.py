import json

from typer.testing import CliRunner

from supercon3d.cli.main import app


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

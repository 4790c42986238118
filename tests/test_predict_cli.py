"""``supercon3d predict`` and ``data inspect`` on the regression corpus of bad and tricky CIFs.

``tests/cifs/bad/`` holds small hand-made CIFs, each with its expected outcome in
``tests/cifs/expected.json``: ``refused`` (a failed row whose error holds ``text``), ``warned``
(predicted, with a warning holding ``text``) or ``predicted`` (no warning beyond pymatgen's
harmless notes). They run mixed with good SuperCon3D files in one folder of more than 32 files,
through an untrained tiny model with the shipped model's graph settings.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supercon3d import executor as executor_module
from supercon3d.cli.main import app
from supercon3d.cli.results import EXIT_SOME_FAILED
from supercon3d.data.contract import BENIGN_NOTES, RULE_STRICT
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.screening.prediction import TcPrediction
from supercon3d.settings import dataset_path
from tiny_model import write_tiny_run

pytestmark = pytest.mark.data  # all tests here but one or two read the data folder

CORPUS = Path(__file__).parent / "cifs"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
GOOD_FILES = 12
"""SuperCon3D entries (the smallest CIFs) mixed with the corpus."""
MIN_FOLDER = 33
"""More files than the 32 from which reading once went to a process pool and crashed."""
PIPED_FILES = ("671985.cif", "97102.cif", "H9Y1.cif")
"""MgB2, the Hg-1223 cuprate with its long formula, and YH9 (with reader warnings)."""


def _serious(warnings: list[str]) -> list[str]:
    return [w for w in warnings if not any(note in w for note in BENIGN_NOTES)]


@pytest.fixture(scope="module")
def good_names() -> list[str]:
    cifs = dataset_path("supercon3d/cif")
    return sorted(read_tc_table().index, key=lambda name: (cifs / name).stat().st_size)[:GOOD_FILES]


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, good_names) -> Path:
    """The corpus and the good files in one folder."""
    folder = tmp_path_factory.mktemp("mixed")
    for name in EXPECTED:
        shutil.copy(CORPUS / "bad" / name, folder / name)
    for name in good_names:
        shutil.copy(dataset_path("supercon3d/cif") / name, folder / name)
    assert len(list(folder.iterdir())) >= MIN_FOLDER
    return folder


def test_the_corpus_is_large_and_every_file_has_an_expected_outcome():
    files = {path.name for path in (CORPUS / "bad").iterdir()}
    assert files == set(EXPECTED) and len(files) >= 40
    assert {e["outcome"] for e in EXPECTED.values()} == {"refused", "warned", "predicted"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return write_tiny_run(tmp_path_factory.mktemp("tiny"))


def predict(*arguments: str, run: Path):
    return CliRunner().invoke(app, ["predict", *arguments, "--checkpoints", str(run)])


@pytest.fixture(scope="module")
def predicted(mixed_folder, tiny_run, tmp_path_factory):
    """The command's output and its JSON records by file name."""
    out = tmp_path_factory.mktemp("out") / "predictions.json"
    result = predict(str(mixed_folder), "--out", str(out), run=tiny_run)
    records = {Path(r["file"]).name: r for r in json.loads(out.read_text())}
    return result, records


def test_predict_on_the_corpus_gives_each_file_its_expected_outcome(predicted, good_names):
    result, records = predicted
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    assert "Traceback" not in result.output
    assert set(records) == set(EXPECTED) | set(good_names)
    for name in good_names:
        assert "error" not in records[name], records[name]
    for name, expected in EXPECTED.items():
        record = records[name]
        if expected["outcome"] == "refused":
            assert expected["text"] in record.get("error", ""), (name, record)
            continue
        assert "error" not in record, (name, record)
        assert math.isfinite(record["tc_kelvin"]) and record["tc_kelvin"] > 0
        serious = _serious(record["warnings"])
        if expected["outcome"] == "warned":
            assert any(expected["text"] in warning for warning in serious), (name, serious)
        else:
            assert serious == [], (name, serious)


def test_every_refusal_is_one_line_naming_its_file(predicted):
    _, records = predicted
    for name, record in records.items():
        if "error" in record:
            assert "\n" not in record["error"] and name in record["error"]


def test_strict_refuses_the_warned_files_only(mixed_folder, tiny_run, tmp_path):
    names = [n for n, e in EXPECTED.items() if e["outcome"] in ("warned", "predicted")]
    folder = tmp_path / "readable"
    folder.mkdir()
    for name in names:
        shutil.copy(mixed_folder / name, folder / name)
    out = tmp_path / "strict.json"
    result = predict(str(folder), "--strict", "--out", str(out), run=tiny_run)
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    records = {Path(r["file"]).name: r for r in json.loads(out.read_text())}
    for name in names:
        if EXPECTED[name]["outcome"] == "warned":
            assert f"[rule: {RULE_STRICT}]" in records[name]["error"], records[name]
        else:
            assert "error" not in records[name], records[name]


def test_show_warnings_prints_every_warning(mixed_folder, tiny_run):
    cif = mixed_folder / "five_blocks.cif"
    quiet = predict(str(cif), run=tiny_run)
    loud = predict(str(cif), "--show-warnings", run=tiny_run)
    assert quiet.exit_code == loud.exit_code == 0, loud.output
    assert "--show-warnings lists them" in quiet.output
    assert "'copy0' was read" not in quiet.output and "'copy0' was read" in loud.output


def test_inspect_in_worker_processes_reports_every_file(mixed_folder, monkeypatch):
    monkeypatch.setattr(executor_module, "MIN_ITEMS_PER_WORKER", 16)
    result = CliRunner().invoke(app, ["data", "inspect", str(mixed_folder), "--json"])
    assert result.exit_code == 0, result.output
    rows = {Path(row["file"]).name: row for row in json.loads(result.stdout)}
    assert len(rows) == len(list(mixed_folder.iterdir()))
    refused_here = {n for n, e in EXPECTED.items() if e["outcome"] == "refused"}
    graph_only = {n for n in refused_here if "cutoff" in EXPECTED[n]["text"]}  # a graph error
    assert {n for n, row in rows.items() if "error" in row} == refused_here - graph_only


def test_ambient_and_checkpoints_together_are_a_usage_error(tmp_path):
    cif = dataset_path("supercon3d/cif") / read_tc_table().index[0]
    result = CliRunner().invoke(
        app, ["predict", str(cif), "--ambient", "--checkpoints", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "give --ambient or --checkpoints, not both" in result.output


def test_a_piped_table_fits_80_columns_and_warnings_stand_apart(tiny_run, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # CliRunner's stdout is a pipe: 80 columns
    cifs = [str(dataset_path("supercon3d/cif") / name) for name in PIPED_FILES]
    result = predict(*cifs, "--show-warnings", run=tiny_run)
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    assert max(map(len, table)) <= 80
    for header in ("file", "formula", "P(SC)", "Tc (K)"):
        assert header in result.stdout
    assert "Ba2Ca2Cu3Hg1O8.35" in result.stdout  # a formula whole, not folded
    rows = [line for line in table if any(name in line for name in PIPED_FILES)]
    assert len(rows) == len(PIPED_FILES)
    assert all(re.search(r" \d\.\d\d ", row) for row in rows)  # P(SC) with both decimals
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert warnings and all(line.startswith("warning: ") for line in warnings)
    tsv = predict(*cifs, "--format", "tsv", run=tiny_run)
    header, *lines = tsv.stdout.splitlines()
    assert {"file", "formula", "p_superconductor", "tc_kelvin"} <= set(header.split("\t"))
    assert len(lines) == len(PIPED_FILES)


def test_a_failed_record_keeps_the_warnings_of_its_input():
    failed = TcPrediction(file="a.cif", error="a.cif: no bonds", warnings=["a.cif: rounded"])
    assert failed.to_dict() == {
        "file": "a.cif",
        "error": "a.cif: no bonds",
        "warnings": ["a.cif: rounded"],
    }
    assert TcPrediction(file="b.cif", error="b.cif: empty").to_dict().keys() == {"file", "error"}

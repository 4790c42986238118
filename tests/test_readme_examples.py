"""README.md's examples run as printed: every ```python block is executed from the repository
root and prints what its closing comment lines show; every ``supercon3d`` command line of the
shell blocks parses (its command exists and takes its options)."""

from __future__ import annotations

import contextlib
import io
import math
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supercon3d.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_DATA = ROOT.parent / "shared" / "datasets"
"""The data folder the README's examples name (``../shared/datasets`` beside the checkout)."""
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
RELATIVE_TOLERANCE = 0.02
"""Printed figures may move in the last digit with the machine's floating point."""
PROGRAM = "supercon3d"


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text()) if lang == language]


def expected_output(code: str) -> list[str]:
    """The comment lines that close a block: what it prints."""
    lines = code.rstrip().splitlines()
    shown = []
    while lines and lines[-1].startswith("# "):
        shown.insert(0, lines.pop()[2:])
    return shown


def same_line(printed: str, expected: str) -> bool:
    """Equal text, and numbers equal to :data:`RELATIVE_TOLERANCE`."""
    if NUMBER.sub("#", printed) != NUMBER.sub("#", expected):
        return False
    pairs = zip(map(float, NUMBER.findall(printed)), map(float, NUMBER.findall(expected)))
    return all(math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.1) for a, b in pairs)


def command_lines() -> list[list[str]]:
    """The arguments of every ``supercon3d ...`` command in the shell and text blocks."""
    commands = []
    for body in blocks("bash") + blocks("text"):
        for line in body.splitlines():
            for segment in line.removeprefix("$ ").split("&&"):
                words = shlex.split(segment, comments=True)
                if words and words[0] == PROGRAM:
                    commands.append(words[1:])
    return commands


def test_the_readme_has_examples_of_both_kinds():
    assert blocks("python") and all(expected_output(code) for code in blocks("python"))
    assert {words[0] for words in command_lines()} >= {"predict", "screen", "discover"}


@pytest.mark.data
@pytest.mark.parametrize("code", blocks("python"))
def test_each_python_example_runs_as_printed(code, monkeypatch):
    if not README_DATA.is_dir():
        pytest.skip(f"the README's examples read {README_DATA}, absent here")
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    lines = printed.getvalue().splitlines()
    expected = expected_output(code)
    assert len(lines) == len(expected), lines
    for line, shown in zip(lines, expected):
        assert same_line(line, shown), (line, shown)


@pytest.mark.parametrize("words", command_lines(), ids=" ".join)
def test_each_command_line_parses(words):
    """The whole line with ``--help`` added: click parses every option (an unknown one is an
    error) and the arguments, then prints the help instead of running."""
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: {PROGRAM} {words[0]}" in result.output

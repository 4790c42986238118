"""One base class for the project's expected errors: each carries the exit status the CLI
gives it, and the CLI turns any of them into one line on stderr."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from supercon3d.cli.progress import one_line_errors
from supercon3d.errors import EXIT_FAILED, SuperCon3DError
from supercon3d.executor import WorkerError
from test_executor import project_errors

NOT_SUBCLASSES = (WorkerError, SuperCon3DError)
"""A worker's wrapped error (whatever it wraps keeps its traceback) and the base itself."""
BUILTINS = (ValueError, OSError, ImportError, RuntimeError)


def test_every_project_error_derives_from_the_base_and_a_builtin_error():
    for error in project_errors():
        if type(error) in NOT_SUBCLASSES:
            continue
        assert isinstance(error, SuperCon3DError), type(error).__name__
        assert isinstance(error, BUILTINS), type(error).__name__
        assert error.exit_code == EXIT_FAILED
    assert not issubclass(WorkerError, SuperCon3DError)


class RefusedFolder(SuperCon3DError, ValueError):
    exit_code = 4


def _command(error: Exception) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @one_line_errors
    def fail() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (RefusedFolder("runs/x: holds another run"), 4),
        (SuperCon3DError("a.cif: unreadable"), EXIT_FAILED),
        (FileNotFoundError("b.cif: no such file"), EXIT_FAILED),
    ],
)
def test_the_cli_reports_an_expected_error_in_one_line_with_its_exit_code(error, code):
    result = CliRunner().invoke(_command(error), [])
    assert result.exit_code == code
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(error) in result.output and "Traceback" not in result.output


def test_an_unexpected_error_keeps_its_traceback():
    result = CliRunner().invoke(_command(KeyError("bug")), [])
    assert isinstance(result.exception, KeyError)

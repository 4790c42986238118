"""The base of the project's expected errors: bad input, a missing folder or package, a run
that conflicts with what a folder holds. Each says what went wrong in one line (naming the
file, folder or structure) and carries the exit status the command line gives it.

Light on purpose (no imports): the CLI catches :class:`SuperCon3DError` without importing the
modules that raise its subclasses. Subclasses also derive from the builtin error they stand
for (ValueError, FileNotFoundError, ImportError, ...), so callers that catch those still do.
"""

EXIT_FAILED = 1
"""Exit status of a command stopped by an expected error (nothing, or not all, was done)."""


class SuperCon3DError(Exception):
    """An expected failure, reported as its one-line message; ``exit_code`` is the command
    line's exit status for it (a class attribute: subclasses override it)."""

    exit_code: int = EXIT_FAILED


def install_command(extra: str) -> str:
    """The command that installs the optional dependency group ``extra`` (one of
    ``[project.optional-dependencies]`` in pyproject.toml) beside the installed package."""
    return f'pip install "supercon3d[{extra}]"'


def missing_extra(feature: str, package: str, extra: str) -> str:
    """The one message for a ``feature`` whose ``package`` (from the optional group ``extra``)
    is not installed, naming the command that installs it."""
    return f"{feature} needs {package}, from the optional extra {extra!r}: {install_command(extra)}"

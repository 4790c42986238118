"""Progress of long library workflows, reported through optional callbacks.

A workflow takes ``progress``, a factory ``progress(description, total)`` returning a context
manager that yields ``advance(n)`` (the CLI passes its progress bars), and ``log``, a callable
taking one line of text. Both default to reporting nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int], AbstractContextManager[Advance]]
Log = Callable[[str], None]


def _ignore(n: int = 1) -> None:
    """An ``advance`` that counts nothing."""


@contextmanager
def no_progress(description: str, total: int) -> Iterator[Advance]:
    """A progress factory that reports nothing."""
    yield _ignore


def no_log(message: str) -> None:
    """A log that drops the message."""

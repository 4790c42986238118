"""A cache folder for a test's discover run, with the generator's structure corpus (the
novelty reference, minutes to build) copied from the user's cache when built there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from supercon3d.generation.corpus import corpus_cache_file


def user_cache() -> Path:
    """The user's supercon3d cache folder (where a real run has built the corpus)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "supercon3d"


def discover_cache(factory: pytest.TempPathFactory) -> Path:
    """A cache folder under ``factory``'s base folder, holding the corpus if the user's
    cache has it."""
    cache = factory.getbasetemp() / "cache"
    built = corpus_cache_file(cache_folder=user_cache())
    if built.is_file():
        target = corpus_cache_file(cache_folder=cache)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, target)
    return cache

"""``DIR/run.json``: what a discovery run is (versions, models, settings, machine) and what
each stage did (``stages: [{name, n_in, n_out, seconds, dropped}]``). A run folder refuses
other settings unless forced, so that a resumed stage never mixes two runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from supercon3d.discovery.settings import DiscoverySettings
from supercon3d.errors import SuperCon3DError
from supercon3d.machine import package_versions

if TYPE_CHECKING:  # the stages import pymatgen: this module stays light for the CLI's checks
    from supercon3d.discovery.stages import StageResult

RUN_FILE = "run.json"
PACKAGES = ("supercon3d", "torch", "pymatgen", "numpy", "chgnet", "sevenn", "ase")
"""Packages whose versions the run records (absent ones as None)."""


class DiscoveryFolderError(SuperCon3DError, ValueError):
    """A run folder that holds something else (another run's settings, files that are not a
    run's); names the folder."""

    def __init__(self, folder: str | os.PathLike, reason: str):
        self.folder = str(folder)
        self.reason = reason
        super().__init__(f"{folder}: {reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.folder, self.reason)


def check_writable(out: str | os.PathLike) -> None:
    """Refuse (:class:`DiscoveryFolderError`), before anything is computed, a run folder
    ``out`` that is a file, lies under a file, or cannot be written (or created) by this
    process."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DiscoveryFolderError(out, "is a file; --out takes a folder (created if missing)")
    existing = next(folder for folder in (out, *out.parents) if folder.exists())
    if not existing.is_dir():
        raise DiscoveryFolderError(out, f"cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "the folder" if existing == out else f"it cannot be created: {existing}"
        raise DiscoveryFolderError(out, f"{where} cannot be written; choose another --out")


def check_folder(out: Path, settings: DiscoverySettings, force: bool) -> bool:
    """Whether ``out`` holds an earlier run to resume (same settings). Refuses
    (:class:`DiscoveryFolderError`) a run with other settings, or a non-empty folder that is
    no run, unless ``force``; with ``force`` the caller starts the run again."""
    path = out / RUN_FILE
    if path.is_file():
        earlier = DiscoverySettings.from_dict(json.loads(path.read_text())["settings"])
        if earlier == settings:
            return True
        if not force:
            changes = "; ".join(settings.changes_from(earlier))
            raise DiscoveryFolderError(
                out, f"holds a run with other settings ({changes}); --force starts it again"
            )
        return False
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DiscoveryFolderError(out, f"is not empty and holds no {RUN_FILE}; --force uses it")
    return False


class RunRecord:
    """The run record of one run folder, saved after every stage."""

    def __init__(self, out: Path, settings: DiscoverySettings, models: dict, machine: str):
        self.path = out / RUN_FILE
        self.data: dict = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "versions": package_versions(PACKAGES), "models": models, "machine": machine,
            "settings": settings.to_dict(), "stages": [], "finished": False,
        }  # fmt: skip

    def add_stage(self, result: StageResult, resumed: bool) -> None:
        """Record a stage (``resumed``: read from an earlier run, not computed now)."""
        self.data["stages"].append({**result.record(), "resumed": resumed})
        self.save()

    def finish(self, outputs: dict[str, str], counts: dict) -> None:
        """Mark the run finished, with its output files and counts."""
        self.data.update(outputs=outputs, counts=counts, finished=True)
        self.data["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.save()

    def dropped(self) -> dict[str, dict[str, int]]:
        """Per stage, the candidates dropped per reason."""
        return {stage["name"]: stage["dropped"] for stage in self.data["stages"]}

    def save(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(self.data, indent=1, allow_nan=False))
        os.replace(temporary, self.path)

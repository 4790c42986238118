"""Model weights on disk: safetensors files with string metadata. Nothing is unpickled when
loading, so a checkpoint from anywhere is safe to open.

A model folder may carry a manifest (:data:`MANIFEST_FILE`, ``sha256sum`` format) of its files'
SHA-256; every shipped model folder does (``scripts/model_manifest.py`` writes them). A
loaded file is checked against the manifest of its folder when there is one
(:func:`verify_files`), and weights with a NaN or infinite value are refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from supercon3d.errors import SuperCon3DError


class CheckpointError(SuperCon3DError, ValueError):
    """A checkpoint is missing, corrupt or does not match its model; one line naming the file."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.reason)


MANIFEST_FILE = "MANIFEST.sha256"
"""In a model folder: one line ``<sha256>  <path relative to the folder>`` per file, the format
of ``sha256sum``, so ``sha256sum -c MANIFEST.sha256`` checks the folder too."""
UNLISTED_SUFFIXES = (".md",)
"""Files a manifest leaves out (model cards), besides the manifest itself."""
HASH_CHUNK_BYTES = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_files(folder: str | os.PathLike) -> list[Path]:
    """The files a manifest of ``folder`` lists: all under it but model cards and itself."""
    return sorted(
        path for path in Path(folder).rglob("*")
        if path.is_file() and path.name != MANIFEST_FILE and path.suffix not in UNLISTED_SUFFIXES
    )  # fmt: skip


def write_manifest(folder: str | os.PathLike) -> Path:
    """Write the manifest of ``folder`` (see :func:`manifest_files`) and return its path."""
    folder = Path(folder)
    lines = [f"{file_sha256(path)}  {path.relative_to(folder).as_posix()}\n"
             for path in manifest_files(folder)]  # fmt: skip
    manifest = folder / MANIFEST_FILE
    manifest.write_text("".join(lines))
    return manifest


def stale_manifest_entries(folder: str | os.PathLike) -> list[str]:
    """Files of ``folder`` (relative paths) that its manifest lacks, lists but are gone, or
    lists with another SHA-256: empty when the manifest is up to date."""
    folder = Path(folder)
    listed = read_manifest(folder) or {}
    present = {path.relative_to(folder).as_posix(): path for path in manifest_files(folder)}
    return sorted(
        name for name in listed.keys() | present.keys()
        if name not in present or listed.get(name) != file_sha256(present[name])
    )  # fmt: skip


def read_manifest(folder: str | os.PathLike) -> dict[str, str] | None:
    """The manifest of ``folder`` as {relative path: sha256}, or None if it has none."""
    manifest = Path(folder) / MANIFEST_FILE
    if not manifest.is_file():
        return None
    entries = {}
    for number, line in enumerate(manifest.read_text().splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise CheckpointError(manifest, f"line {number} is not '<sha256>  <file>'")
        entries[name] = digest
    return entries


def verify_files(
    folder: str | os.PathLike, files: Iterable[str | os.PathLike], required: bool = False
) -> None:
    """Check ``files`` (inside ``folder``) against the folder's manifest: each must be listed
    with its SHA-256. Without a manifest nothing is checked, unless ``required`` (a shipped
    model). :class:`CheckpointError` names the first file that fails."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        if required:
            raise CheckpointError(folder / MANIFEST_FILE, "missing: a shipped model has a manifest")
        return
    for path in map(Path, files):
        if not path.is_file():
            raise CheckpointError(path, "missing")
        name = path.resolve().relative_to(folder.resolve()).as_posix()
        if name not in manifest:
            raise CheckpointError(path, f"not listed in {MANIFEST_FILE}")
        if file_sha256(path) != manifest[name]:
            raise CheckpointError(
                path, f"SHA-256 differs from {MANIFEST_FILE}: the file is damaged or was changed"
            )


def check_finite(state: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """:class:`CheckpointError` naming ``path`` if a weight is NaN or infinite."""
    bad = [name for name, tensor in state.items()
           if tensor.is_floating_point() and not torch.isfinite(tensor).all()]  # fmt: skip
    if bad:
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        raise CheckpointError(path, f"non-finite weights (NaN or inf) in {bad[0]}{more}")


def write_weights(model: nn.Module, metadata: dict[str, str], path: str | os.PathLike) -> Path:
    """Write ``model``'s state dict and ``metadata`` to ``path`` atomically."""
    path = Path(path)
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(state, tmp, metadata=metadata)
    os.replace(tmp, path)
    return path


def read_weights(
    path: str | os.PathLike, expected_format: str
) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and state dict of a checkpoint whose metadata ``format`` is
    ``expected_format``, listed in its folder's manifest if there is one, and with finite
    weights; :class:`CheckpointError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    verify_files(path.parent, [path])
    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(path)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(path, f"not a readable safetensors file ({error})") from None
    if metadata.get("format") != expected_format:
        raise CheckpointError(
            path, f"not a {expected_format} checkpoint (format {metadata.get('format')!r})"
        )
    check_finite(state, path)
    return metadata, state


def load_weights(
    model: nn.Module, state: dict[str, torch.Tensor], path: str | os.PathLike
) -> nn.Module:
    """Copy ``state`` into ``model`` (eval mode); :class:`CheckpointError` naming ``path`` if
    they do not match."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise CheckpointError(path, f"weights do not match the config ({reason})") from None
    return model.eval()

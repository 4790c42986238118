"""Uploaded files turned into named CIF texts, or one-line refusals; nothing touches the disk.

An upload's name is only a label: the folders in it are dropped, and it never becomes a
server path (the predictions read copies written under generated names, see
:mod:`supercon3d.web.predictions`). A zip is opened in memory and each member is one item;
a member with an absolute or ``..`` path is refused, not followed.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from supercon3d.data.files import read_capped
from supercon3d.data.refusals import InputRefused
from supercon3d.defaults import MAX_CIF_BYTES

ZIP_MAGIC = b"PK\x03\x04"
MAX_NAME_CHARACTERS = 120
"""Longest label kept from an uploaded file name."""
CIF_SUFFIX = ".cif"
PASTED_NAME = "pasted.cif"


class TooManyFiles(ValueError):
    """A request with more structures than the server accepts at once."""


@dataclass(frozen=True)
class Upload:
    """One structure of a request: its label and CIF text, or the reason it was refused."""

    name: str
    text: str | None = None
    error: str | None = None

    def record(self) -> dict:
        """The prediction record of a refused upload (as ``predict --out`` writes a failure)."""
        return {"file": self.name, "error": f"{self.name}: {self.error}"}


def label(filename: str | None, fallback: str) -> str:
    """A display name from an uploaded file name: its last path part, printable characters
    only, at most :data:`MAX_NAME_CHARACTERS`; ``fallback`` when nothing is left."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[-MAX_NAME_CHARACTERS:] or fallback


def _too_large(name: str, size: int) -> Upload:
    return Upload(name, error=f"{size:,} bytes, above {MAX_CIF_BYTES:,} for one CIF")


def _cif_text(name: str, data: bytes) -> Upload:
    """The upload of one CIF's bytes: refused when empty, too large, binary or not UTF-8."""
    if not data.strip():
        return Upload(name, error="empty file")
    if len(data) > MAX_CIF_BYTES:
        return _too_large(name, len(data))
    if b"\0" in data:
        return Upload(name, error="a binary file, not a CIF")
    try:
        return Upload(name, text=data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return Upload(name, error="not UTF-8 text, not a CIF")


def _unsafe(member: str) -> bool:
    """True for an archive member name that would leave a folder (absolute, ``..``)."""
    normal = posixpath.normpath(member.replace("\\", "/"))
    return member.startswith(("/", "\\")) or normal == ".." or normal.startswith("../")


def _zip(name: str, data: bytes, max_archive_bytes: int) -> list[Upload]:
    """The members of an uploaded zip: each ``.cif`` an upload, other files refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError) as error:
        return [Upload(name, error=f"not a readable zip ({error})")]
    if sum(info.file_size for info in members) > max_archive_bytes:
        return [Upload(name, error=f"unpacks to more than {max_archive_bytes:,} bytes")]
    uploads = []
    for info in members:
        member = f"{name}/{label(info.filename, 'member')}"
        if _unsafe(info.filename):
            uploads.append(Upload(member, error=f"unsafe path {info.filename!r} in the archive"))
        elif not info.filename.lower().endswith(CIF_SUFFIX):
            uploads.append(Upload(member, error="an archive member that is not a CIF (by name)"))
        elif info.file_size > MAX_CIF_BYTES:
            uploads.append(_too_large(member, info.file_size))
        else:
            try:
                with archive.open(info) as stream:
                    uploads.append(_cif_text(member, read_capped(stream, MAX_CIF_BYTES, member)))
            except InputRefused as error:
                uploads.append(Upload(member, error=error.reason))
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError) as error:
                uploads.append(Upload(member, error=f"unreadable archive member ({error})"))
    return uploads or [Upload(name, error="a zip without files")]


def expand_uploads(
    parts: Sequence[tuple[str | None, bytes]], max_files: int, max_archive_bytes: int
) -> list[Upload]:
    """The structures of a request's files (``(file name, bytes)``, zips expanded), in
    order; :class:`TooManyFiles` above ``max_files``."""
    uploads: list[Upload] = []
    for index, (filename, data) in enumerate(parts):
        name = label(filename, f"upload-{index + 1}{CIF_SUFFIX}")
        if data.startswith(ZIP_MAGIC):
            uploads += _zip(name, data, max_archive_bytes)
        else:
            uploads.append(_cif_text(name, data))
        if len(uploads) > max_files:
            raise TooManyFiles(f"too many structures: at most {max_files} per request")
    return uploads

"""Reading input bytes under the input contract's file rule: regular files only, never more
than a cap.

Every door that reads an input's bytes (a file given on its own, a folder's entry, an archive
member, a CSV cell) goes through here. A path is checked with ``os.stat`` before it is
opened, and opened without blocking, so a FIFO, a device (``/dev/zero``) or a socket is
refused with one line and never read; a file is read in chunks and refused as soon as it
holds more than the cap, whatever its size or an archive's header says, so memory stays
within the cap plus one chunk.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from supercon3d.data.refusals import RULE_FILE, RULE_SIZE, InputRefused

READ_CHUNK_BYTES = 1 << 16
"""Bytes read at a time (64 KiB), also the most that an inflating archive member produces
at once."""
FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)
"""What a file that is not regular is, for the one-line refusal."""


def file_kind(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is: ``a regular file``, ``a FIFO (named pipe)``,
    ``a character device``, ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((kind for test, kind in FILE_KINDS if test(mode)), "a special file")


def not_regular(source: str, kind: str) -> InputRefused:
    """The refusal of an input that is ``kind`` (a FIFO, a device, a link...), not a regular
    file."""
    return InputRefused(source, RULE_FILE, f"{kind}, not a regular file: not read")


def too_large(source: str, size: int | None, cap: int) -> InputRefused:
    """The refusal of an input of more than ``cap`` bytes (``size`` when known)."""
    if size is None:
        return InputRefused(source, RULE_SIZE, f"more than {cap:,} bytes, the limit for one input")
    return InputRefused(source, RULE_SIZE, f"{size:,} bytes, above {cap:,} for one input")


def check_regular(path: str | os.PathLike, source: str) -> os.stat_result:
    """The ``os.stat`` of ``path`` (links followed) if it is a regular file; else
    :class:`InputRefused` naming what it is. ``OSError`` (missing, no permission, a link
    loop) is left to the caller."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise not_regular(source, file_kind(info.st_mode))
    return info


def read_capped(stream: BinaryIO, cap: int, source: str) -> bytes:
    """At most ``cap`` bytes of ``stream``, read in chunks of :data:`READ_CHUNK_BYTES`;
    :class:`InputRefused` as soon as it holds more."""
    chunks, held = [], 0
    while chunk := stream.read(min(READ_CHUNK_BYTES, cap + 1 - held)):
        chunks.append(chunk)
        held += len(chunk)
        if held > cap:
            raise too_large(source, None, cap)
    return b"".join(chunks)


def _open_regular(path: str | os.PathLike, source: str) -> BinaryIO:
    """``path`` opened for reading without blocking, after checking (before and after the
    open) that it is a regular file."""
    check_regular(path, source)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    handle = os.fdopen(descriptor, "rb")
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):  # replaced between the stat and the open
        handle.close()
        raise not_regular(source, file_kind(mode))
    return handle


def read_regular_file(path: str | os.PathLike, cap: int, source: str) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes (links followed). A file that is
    not regular (checked before it is opened, and again on the open descriptor, which is
    opened without blocking) or holds more than ``cap`` bytes is refused
    (:class:`InputRefused`); ``OSError`` is left to the caller."""
    with _open_regular(path, source) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > cap:
            raise too_large(source, size, cap)
        return read_capped(handle, cap, source)


def read_start(path: str | os.PathLike, size: int, source: str) -> bytes:
    """The first ``size`` bytes of a regular file (see :func:`read_regular_file`)."""
    with _open_regular(path, source) as handle:
        return handle.read(size)

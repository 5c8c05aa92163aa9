"""Content-addressed blob storage: stream to a temp file, fsync, rename; never rewrite.

Layout: $HANDOVER_DATA/blobs/<aa>/<bb>/<sha256>; temp files in $HANDOVER_DATA/blobs/tmp
(same filesystem, so the rename is atomic). Every writer (streamed uploads, generated
files) creates its temp file with open_temp() and turns it into a blob with
finalise_blob(). A temp file is flock()ed by its writer while it is open, so a temp
file nobody holds is a leftover of a crashed process (sweep_temp_files()).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from flask import current_app

from core.errors import TooLarge, UserValueError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path


def blob_root() -> Path:
    return Path(current_app.config["HANDOVER_DATA"]) / "blobs"


def blob_path(sha256: str) -> Path:
    return blob_root() / sha256[:2] / sha256[2:4] / sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_dir() -> Path:
    return blob_root() / "tmp"


def open_temp() -> tuple[BinaryIO, str]:
    """A new temp file in the blob folder, opened for writing and locked by this process
    (the lock ends with the process, so a crash leaves an unlocked leftover)."""
    directory = temp_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="up-")
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return os.fdopen(fd, "w+b"), name


def finalise_blob(fh: BinaryIO, tmp_name: str, sha256: str, size: int) -> StoredBlob:
    """The one way a blob comes to exist: fsync the temp file, close it, rename it to its
    content address (same bytes are kept once) and fsync the folder.

    If the blob exists already its mtime is refreshed, so `fsck --repair` treats it as a
    young orphan (kept) until the version that references it is committed."""
    if size == 0:
        fh.close()
        _unlink(tmp_name)
        raise UserValueError("The file is empty.", "empty_file")
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()
    final = blob_path(sha256)
    try:
        os.utime(final)  # stored already: keep one copy, marked as just used
        _unlink(tmp_name)
        return StoredBlob(sha256, size, final)
    except FileNotFoundError:
        pass
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(tmp_name, 0o444)
    os.replace(tmp_name, final)
    _fsync_dir(final.parent)
    return StoredBlob(sha256, size, final)


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def store_stream(chunks: Iterable[bytes], max_bytes: int | None = None) -> StoredBlob:
    """Write `chunks` to storage, hashing while streaming; same bytes are stored once."""
    digest, size = hashlib.sha256(), 0
    out, tmp_name = open_temp()
    try:
        for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise TooLarge(f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MiB.",
                               limit_mb=max_bytes // (1024 * 1024))
            digest.update(chunk)
            out.write(chunk)
        return finalise_blob(out, tmp_name, digest.hexdigest(), size)
    except BaseException:
        out.close()
        _unlink(tmp_name)
        raise


def store_bytes(data: bytes) -> StoredBlob:
    return store_stream([data])


def read_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterable[bytes]:
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in read_chunks(fh):
            digest.update(chunk)
    return digest.hexdigest()


def _held(path: Path) -> bool:
    """Whether a live writer holds the temp file's lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # gone already: nothing to remove
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops our lock
    return False


# A temp file exists for a moment before its writer locks it (mkstemp, then flock): only
# files at least this old are judged, so a process starting up never takes a new upload's file.
TEMP_MIN_AGE_SECONDS = 60


def _old_enough(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime >= TEMP_MIN_AGE_SECONDS
    except FileNotFoundError:
        return False


def leftover_temp_files() -> list[Path]:
    """Temp files no live writer holds (and older than a minute): leftovers of a crashed or
    killed process."""
    directory = temp_dir()
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.iterdir()) if p.is_file() and _old_enough(p) and not _held(p)]


def sweep_temp_files() -> list[Path]:
    """Remove leftover temp files (cheap: one directory listing); returns what was removed."""
    removed = []
    for path in leftover_temp_files():
        _unlink(path)
        removed.append(path)
    return removed


def _syncfs(directory: Path) -> bool:
    """syncfs(2) of the filesystem holding `directory`: every dirty page and directory entry on
    it reaches the disk in one call. False where the call is unavailable (not Linux)."""
    try:
        import ctypes  # lazily: only batch writers (the bulk import) need libc
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(directory, os.O_RDONLY)
    try:
        if fn(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
    finally:
        os.close(fd)
    return True


def finalise_blobs(pending: list[tuple[BinaryIO, str, str, int]]) -> list[StoredBlob]:
    """finalise_blob for a batch of temp files from open_temp() (file, temp name, sha256, size;
    written, still open and locked): the same guarantees (every blob's bytes and its folder
    entry are on disk when this returns) with two syncs of the filesystem for the whole batch
    instead of two fsyncs per file. Same bytes are kept once; empty files are refused."""
    if not pending:  # e.g. an import's batch of duplicates only: nothing to sync
        return []
    if any(size == 0 for *_, size in pending):
        raise UserValueError("The file is empty.", "empty_file")
    for fh, *_ in pending:
        fh.flush()
    if not _syncfs(temp_dir()):
        for fh, *_ in pending:
            os.fsync(fh.fileno())
    out, folders = [], set()
    for fh, tmp_name, sha256, size in pending:
        final = blob_path(sha256)
        try:
            os.utime(final)  # stored already (see finalise_blob)
            _unlink(tmp_name)
        except FileNotFoundError:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, final)
            folders.add(final.parent)
        fh.close()
        out.append(StoredBlob(sha256, size, final))
    if folders and not _syncfs(temp_dir()):
        for folder in folders:
            _fsync_dir(folder)
    return out

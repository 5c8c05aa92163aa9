"""Content-addressed blob storage: stream to a temp file, fsync, rename; never rewrite.

Layout: $HANDOVER_DATA/blobs/<aa>/<bb>/<sha256>; temp files in $HANDOVER_DATA/blobs/tmp
(same filesystem, so the rename is atomic).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
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


def store_stream(chunks: Iterable[bytes], max_bytes: int | None = None) -> StoredBlob:
    """Write `chunks` to storage, hashing while streaming; same bytes are stored once."""
    tmp_dir = blob_root() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MiB.")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UserValueError("The file is empty.", "empty_file")
        sha = digest.hexdigest()
        final = blob_path(sha)
        if final.exists():
            os.unlink(tmp_name)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, final)
            _fsync_dir(final.parent)
        return StoredBlob(sha, size, final)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
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

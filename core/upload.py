"""Streaming multipart uploads straight into blob storage.

Werkzeug's form parser writes each file part into the stream we give it; ours is a
temp file in the blob folder that hashes and counts as it is written, so an upload is
read once, never held in memory, and becomes a blob by fsync + rename.
"""
from __future__ import annotations

import hashlib
import os
import tempfile

from flask import Flask, Request, current_app, g

from core.errors import TooLarge, UserValueError
from core.storage import StoredBlob, _fsync_dir, blob_path, blob_root


class HashingFile:
    """A write-once temp file that keeps sha256 and size of what was written."""

    def __init__(self, directory, max_bytes: int):
        directory.mkdir(parents=True, exist_ok=True)
        fd, self.name = tempfile.mkstemp(dir=directory, prefix="up-")
        self._fh = os.fdopen(fd, "w+b")
        self._sha = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise TooLarge(f"The file is larger than the limit of {self.max_bytes // (1024 * 1024)} MiB.")
        self._sha.update(data)
        return self._fh.write(data)

    def seek(self, *args):
        return self._fh.seek(*args)

    def tell(self):
        return self._fh.tell()

    def read(self, *args):
        return self._fh.read(*args)

    def flush(self):
        return self._fh.flush()

    def close(self):
        return self._fh.close()

    def discard(self) -> None:
        self._fh.close()
        try:
            os.unlink(self.name)
        except FileNotFoundError:
            pass

    def commit_blob(self) -> StoredBlob:
        """fsync, then rename to its content address (same bytes are kept once)."""
        if self.size == 0:
            self.discard()
            raise UserValueError("The file is empty.", "empty_file")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        sha = self._sha.hexdigest()
        final = blob_path(sha)
        if final.exists():
            os.unlink(self.name)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.name, 0o444)
            os.replace(self.name, final)
            _fsync_dir(final.parent)
        return StoredBlob(sha, self.size, final)


class HandoverRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        max_bytes = current_app.config["HANDOVER_MAX_UPLOAD_MB"] * 1024 * 1024
        f = HashingFile(blob_root() / "tmp", max_bytes)
        g.setdefault("upload_files", []).append(f)
        return f


def init_app(app: Flask) -> None:
    app.request_class = HandoverRequest

    @app.teardown_request
    def _cleanup(exc):
        for f in g.pop("upload_files", []):
            f.discard()

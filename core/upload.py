"""Streaming multipart uploads straight into blob storage.

Werkzeug's form parser writes each file part into the stream we give it; ours is a
temp file in the blob folder that hashes and counts as it is written, so an upload is
read once, never held in memory, and becomes a blob through core.storage.finalise_blob
(fsync + rename), the same function every other blob writer uses.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, Request, current_app, g, request

from core.errors import TooLarge
from core.storage import StoredBlob, finalise_blob, open_temp, sweep_temp_files


class HashingFile:
    """A write-once temp file that keeps sha256 and size of what was written."""

    def __init__(self, max_bytes: int):
        self._fh, self.name = open_temp()
        self._sha = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise TooLarge(f"The file is larger than the limit of {self.max_bytes // (1024 * 1024)} MiB.",
                           limit_mb=self.max_bytes // (1024 * 1024))
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
        return finalise_blob(self._fh, self.name, self._sha.hexdigest(), self.size)


class HandoverRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        max_bytes = current_app.config["HANDOVER_MAX_UPLOAD_MB"] * 1024 * 1024
        f = HashingFile(max_bytes)
        g.setdefault("upload_files", []).append(f)
        return f


# Bodies other than multipart uploads (JSON, page forms) are read whole into memory: 20 clients
# sending 200 MiB JSON at once would take 4 GiB, so they get their own, small limit (413).
OTHER_BODY_MAX = 1024 * 1024


def init_app(app: Flask) -> None:
    """Streamed uploads; removes temp files left by a crashed process (live ones are locked)."""
    app.request_class = HandoverRequest
    with app.app_context():
        sweep_temp_files()

    @app.before_request
    def _bound_other_bodies():
        if request.mimetype != "multipart/form-data":
            request.max_content_length = OTHER_BODY_MAX

    @app.teardown_request
    def _cleanup(exc):
        for f in g.pop("upload_files", []):
            f.discard()

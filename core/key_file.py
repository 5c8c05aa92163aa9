"""Random keys kept in the data folder (the session secret, the audit key)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def shared_random_key(path: Path) -> str:
    """The key in `path`, created with 0600 and 64 hex characters on first use. Several
    processes starting together (gunicorn's and the worker's on a fresh data folder) agree on
    one key: the file is written aside and synced, then hard-linked into place, so it appears
    complete or not at all, and a process that loses the race reads the winner's key."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            tmp.unlink()
    return path.read_text().strip()

"""MANIFEST.json of a backup folder: what is in it, with sizes and sha256, and its check."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
NAME = "MANIFEST.json"
FORMAT = 1


def sha256_of(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def fsync_tree(root: Path) -> None:
    """fsync every file and folder below `root` (a backup must survive a power cut)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write(root: Path, manifest: dict) -> None:
    tmp = root / (NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, root / NAME)


def read(root: Path) -> dict:
    path = root / NAME
    if not path.is_file():
        raise ValueError(f"{root} is not a backup: no {NAME}")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


@dataclass
class Check:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(root: Path, manifest: dict) -> Check:
    """Re-read every file the manifest lists: present, same size, same sha256. Blobs are
    content-addressed, so their file name must be their sha256 too."""
    problems, checked = [], 0
    entries = [(f["path"], f["sha256"], f["size"]) for f in manifest["files"]]
    entries += [(blob_relpath(b["sha256"]), b["sha256"], b["size"]) for b in manifest["blobs"]]
    for rel, want, size in entries:
        path = root / rel
        checked += 1
        if not path.is_file():
            problems.append(f"missing: {rel}")
            continue
        got, got_size = sha256_of(path)
        if (got, got_size) != (want, size):
            problems.append(f"corrupt: {rel} (sha256 {got[:12]}…, {got_size} bytes)")
    return Check(checked, problems)


def blob_relpath(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

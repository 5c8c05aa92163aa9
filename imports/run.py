"""The bulk import: a folder tree of an existing project's documents becomes versions.

plan() walks the tree and matches every file (imports.matching); run() creates the versions
in file-date order through the upload operation, batched (deliverables.versions.add_versions:
the same checks, workflow, audit entries, search texts and hooks as uploads, with a constant
number of statements per deliverable of the batch). It works in batches: the batch's files
are copied into temp blobs, synced to disk together (core.storage.finalise_blobs), then
recorded as versions and committed in one transaction, so a version is acknowledged only with
its bytes on disk. The next batch is stored by a thread while one is recorded (run()). A killed
import loses at most the batch it was recording (and leaves the next one's blobs, unrecorded);
running it again skips every file that is already a version of its deliverable (same sha256),
so each file ends up imported exactly once.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from core import db
from core.errors import HandoverError
from core.models import User
from core.storage import CHUNK, finalise_blobs, open_temp
from deliverables.filenames import clean_filename
from deliverables.models import Deliverable, Version
from deliverables.versions import NewVersion, add_versions
from imports.matching import Matcher, date_in_name, version_in_name
from projects.models import Project
from projects.permissions import may_upload, require

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH_FILES = 200                  # versions per transaction
BATCH_BYTES = 256 * 1024 * 1024    # or this many bytes, whichever comes first
MAX_FILE_BYTES = 2 * 1024 ** 3     # a single file larger than this is reported, not imported


@dataclass
class Item:
    """One file of the tree and where it goes."""
    relpath: str
    path: Path
    size: int
    mtime: float
    key: str | None
    how: str            # map, name, folder, unmatched, ignore
    name_date: str = ""  # ISO date found in the name

    @property
    def when(self) -> datetime:
        """The file's date for ordering: the date in its name (noon, Asia/Shanghai), else its mtime."""
        if self.name_date:
            return datetime.fromisoformat(self.name_date + "T12:00:00").replace(tzinfo=SHANGHAI)
        return datetime.fromtimestamp(self.mtime, tz=timezone.utc)


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do)."""
    placed: list[dict] = field(default_factory=list)      # {file, document, number?}
    duplicates: list[dict] = field(default_factory=list)  # {file, document}
    unmatched: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)      # {file, document?, reason}

    def as_json(self) -> dict:
        return {"placed": self.placed, "duplicates": self.duplicates, "unmatched": self.unmatched,
                "ignored": self.ignored, "failed": self.failed,
                "counts": {k: len(getattr(self, k)) for k in ("placed", "duplicates", "unmatched", "ignored",
                                                              "failed")}}


def walk(root: Path) -> list[tuple[str, Path]]:
    """(relative POSIX path, path) of every regular file under `root`; symlinks are not followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            out.append((p.relative_to(root).as_posix(), p))
    return out


def plan(root: Path, matcher: Matcher) -> list[Item]:
    """Every file of the tree, matched, in import order: file date (name, else mtime), then the
    version mark in the name (V1.0 before V2.1), then the path."""
    items = []
    for rel, p in walk(root):
        st = p.stat()
        key, how = (None, "ignore") if matcher.ignored(rel) else matcher.match(rel)
        d = date_in_name(p.name)
        items.append(Item(rel, p, st.st_size, st.st_mtime, key, how, d.isoformat() if d else ""))
    items.sort(key=lambda i: (i.when, version_in_name(i.relpath), i.mtime, i.relpath))
    return items


def note_for(item: Item) -> str:
    """The version's note keeping the original file's name and dates."""
    mtime = datetime.fromtimestamp(item.mtime, tz=SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    extra = f"，文件名日期 {item.name_date}" if item.name_date else ""
    return f"导入：原文件 {item.relpath}，修改时间 {mtime}{extra}"


def default_uploader(project: Project) -> User | None:
    """The project's first pm (by membership), who stands as the uploader when none is given."""
    from projects.models import Membership  # late: only this helper needs the membership model
    return db.session().scalar(select(User).join(Membership, Membership.user_id == User.id)
                               .where(Membership.project_id == project.id, User.role == "pm", User.active)
                               .order_by(Membership.id).limit(1))


def _deliverables(project: Project) -> dict[str, Deliverable]:
    rows = db.session().scalars(select(Deliverable).where(Deliverable.project_id == project.id,
                                                          Deliverable.kind == "document", Deliverable.period == ""))
    return {d.document_key: d for d in rows}


def _known(project: Project) -> set[tuple[int, str]]:
    """(deliverable id, sha256) of every version of the project's documents."""
    rows = db.session().execute(select(Version.deliverable_id, Version.sha256).join(
        Deliverable, Deliverable.id == Version.deliverable_id).where(Deliverable.project_id == project.id))
    return {(a, b) for a, b in rows}


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_to_temp(path: Path):
    """(open temp file, name, sha256, size) holding a copy of `path`, read once."""
    h, size = hashlib.sha256(), 0
    fh, name = open_temp()
    try:
        with open(path, "rb") as src:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
                fh.write(chunk)
    except BaseException:
        fh.close()
        os.unlink(name)
        raise
    return fh, name, h.hexdigest(), size


def run(project: Project, user: User, items: list[Item], *, dry_run: bool = False,
        echo: Callable[[str], None] | None = None, progress: Callable[[int, int], None] | None = None,
        batch_files: int = BATCH_FILES) -> Outcome:
    """Import `items` (from plan()) into `project` as `user`; commits every batch (none in a dry run).

    progress(done, total) is called after each committed batch (and at the start)."""
    out = Outcome()
    s = db.session()
    by_key = _deliverables(project)
    for d in by_key.values():
        require(may_upload(user, d))  # one document answers for all: role and membership
        break
    known = _known(project)
    todo = []
    for it in items:
        if it.how == "ignore":
            out.ignored.append(it.relpath)
        elif it.key is None or it.key not in by_key:
            out.unmatched.append(it.relpath)
        elif it.size > MAX_FILE_BYTES:
            out.failed.append({"file": it.relpath, "document": it.key, "reason": "too large"})
        elif it.size == 0:
            out.failed.append({"file": it.relpath, "document": it.key, "reason": "empty file"})
        else:
            try:
                clean_filename(it.path.name)
            except HandoverError as exc:
                out.failed.append({"file": it.relpath, "document": it.key, "reason": exc.message})
                continue
            todo.append(it)
    total = len(todo)
    if progress:
        progress(0, total)
    if dry_run:
        for it in todo:
            sha = _hash(it.path)
            d = by_key[it.key]
            if (d.id, sha) in known:
                out.duplicates.append({"file": it.relpath, "document": it.key})
            else:
                known.add((d.id, sha))
                out.placed.append({"file": it.relpath, "document": it.key})
        return out
    batches, done = [], 0
    while done < total:
        batch, nbytes = [], 0
        while done + len(batch) < total and len(batch) < batch_files and nbytes < BATCH_BYTES:
            batch.append(todo[done + len(batch)])
            nbytes += batch[-1].size
        batches.append(batch)
        done += len(batch)
    done = 0
    # A pipeline of two: while batch k is recorded and committed here, batch k + 1's bytes are
    # copied and synced to disk by one thread (file I/O, hashing and the filesystem syncs release
    # the GIL), so the syncs no longer stall the analysis. Every batch is still stored before
    # the commit that records it; a kill leaves at most one stored, unrecorded batch: orphan
    # blobs, as a kill between a sync and its commit always could (fsck --repair), which a
    # second run finds in place.
    app = current_app._get_current_object()
    ids = {key: d.id for key, d in by_key.items()}  # plain ints: the thread never touches ORM objects
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-store") as pool:
        ahead = pool.submit(_store_in_context, app, ids, known, batches[0], out) if batches else None
        for k, batch in enumerate(batches):
            chosen, blobs = ahead.result()
            ahead = (pool.submit(_store_in_context, app, ids, known, batches[k + 1], out)
                     if k + 1 < len(batches) else None)
            _record(s, user, by_key, chosen, blobs, out)  # on an error, the pool's exit waits for `ahead`
            done += len(batch)
            if progress:
                progress(done, total)
            if echo:
                echo(f"{done}/{total} files: {len(out.placed)} placed, {len(out.duplicates)} duplicates")
    return out


def _store_in_context(app, ids: dict, known: set, batch: list[Item], out: Outcome):
    """_store in the pipeline's thread: an app context for the blob folder (the app's config);
    no database session is used there."""
    with app.app_context():
        return _store(ids, known, batch, out)


def _store(ids: dict[str, int], known: set, batch: list[Item], out: Outcome) -> tuple[list[Item], list]:
    """Copy one batch's new files into blobs, synced to disk together: (the files chosen, their
    blobs). `ids`: deliverable id by document key. Files already a version of their deliverable
    (same sha256: `known`) are reported as duplicates, unreadable and empty ones as failed."""
    pending, chosen = [], []
    try:
        for it in batch:
            did = ids[it.key]
            try:
                fh, name, sha, size = _copy_to_temp(it.path)
            except OSError as exc:
                out.failed.append({"file": it.relpath, "document": it.key, "reason": f"unreadable: {exc.strerror}"})
                continue
            if (did, sha) in known or size == 0:
                fh.close()
                os.unlink(name)
                if size == 0:
                    out.failed.append({"file": it.relpath, "document": it.key, "reason": "empty file"})
                else:
                    out.duplicates.append({"file": it.relpath, "document": it.key})
                continue
            known.add((did, sha))
            pending.append((fh, name, sha, size))
            chosen.append(it)
        blobs = finalise_blobs(pending)
        pending = []
    finally:
        for fh, name, *_ in pending:
            fh.close()
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass
    return chosen, blobs


def _record(s, user: User, by_key: dict, chosen: list[Item], blobs: list, out: Outcome) -> None:
    """Record one stored batch as versions and commit it. One call for the batch: numbers, rows,
    search texts, workflow, notices and audit entries written together
    (deliverables.versions.add_versions), committed together."""
    vs = add_versions(user, [NewVersion(by_key[it.key], blob, it.path.name, note=note_for(it))
                             for it, blob in zip(chosen, blobs)])
    s.commit()
    out.placed.extend({"file": it.relpath, "document": it.key, "number": v.number} for it, v in zip(chosen, vs))

"""`flask backup restore DIR`: into an empty data folder and an empty database.

SQLite → SQLite and PostgreSQL → PostgreSQL restore the snapshot as it is. SQLite →
PostgreSQL creates the schema with the migrations and copies every row through the
models' own column types (times stay UTC, ids stay), then rebuilds PostgreSQL's search
index from the restored files. PostgreSQL → SQLite is refused: reading a pg_dump archive
needs a PostgreSQL server, and we do not pretend otherwise.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import inspect, select, text

import schema
import search
from backup import manifest as mf
from backup.create import KEY_FILES, copy_sqlite, libpq_url, sqlite_path
from core import db
from core.db import make_engine
from core.migrate import upgrade

ENGINE_ONLY_TABLES = {"search_fts", "search_chunks", "search_chunks_recent", "alembic_version"}  # rebuilt, not copied


class RestoreRefused(Exception):
    """The target is not empty, or the backup cannot go into this kind of database."""


def _blob_files(data: Path) -> list[Path]:
    root = data / "blobs"
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts[:1]] \
        if root.is_dir() else []


def _require_empty(data: Path, engine) -> None:
    if _blob_files(data):
        raise RestoreRefused(f"the data folder {data} already holds files; restore needs an empty one")
    tables = set(inspect(engine).get_table_names()) - {"sqlite_sequence"}
    if tables:
        raise RestoreRefused("the database is not empty (it has tables, e.g. "
                             f"{', '.join(sorted(tables)[:3])}); restore needs an empty database")


def _restore_sqlite_file(src: Path, url: str) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(src, target)


def _copy_rows_sqlite_to_postgresql(src: Path, engine, echo) -> None:
    """Create the schema by migration, then copy each table in foreign-key order."""
    upgrade(engine)
    source = make_engine(f"sqlite:///{src}")
    try:
        present = set(inspect(source).get_table_names())
        with source.connect() as reader, engine.begin() as writer:
            for table in schema.metadata.sorted_tables:
                if table.name in ENGINE_ONLY_TABLES or table.name not in present:
                    continue
                writer.execute(table.delete())  # rows a migration seeded: the backup's rows win
                batch, total = [], 0
                for row in reader.execute(select(table)).mappings():
                    batch.append(dict(row))
                    if len(batch) == 1000:
                        writer.execute(table.insert(), batch)
                        total, batch = total + len(batch), []
                if batch:
                    writer.execute(table.insert(), batch)
                    total += len(batch)
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
                    writer.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                        f"COALESCE(MAX({pk[0].name}), 1), MAX({pk[0].name}) IS NOT NULL) FROM {table.name}"))
                echo(f"  {table.name}: {total} rows")
    finally:
        source.dispose()


def restore_backup(src: Path, echo: Callable[[str], None] = lambda line: None) -> dict:
    """Check the backup, refuse a non-empty target, restore database, blobs and keys, migrate."""
    manifest = mf.read(src)
    check = mf.verify(src, manifest)
    if not check.ok:
        raise RestoreRefused("the backup does not verify: " + "; ".join(check.problems[:5]))
    data = Path(current_app.config["HANDOVER_DATA"])
    url = current_app.config["DATABASE_URL"]
    target_kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    source_kind, db_file = manifest["database"]["kind"], src / manifest["database"]["file"]
    engine = db.engine()
    _require_empty(data, engine)
    if source_kind == "postgresql" and target_kind == "sqlite":
        raise RestoreRefused("a PostgreSQL backup restores into PostgreSQL only (set DATABASE_URL)")
    engine.dispose()  # nothing of ours holds the target open while it is replaced

    if source_kind == target_kind == "sqlite":
        _restore_sqlite_file(db_file, url)
    elif source_kind == target_kind == "postgresql":
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                        "--dbname", libpq_url(url), str(db_file)], check=True, capture_output=True, timeout=3600)
    else:
        echo("copying rows from the SQLite backup into PostgreSQL")
        _copy_rows_sqlite_to_postgresql(db_file, engine, echo)
    echo(f"database restored ({source_kind} -> {target_kind})")

    for blob in manifest["blobs"]:
        target = data / mf.blob_relpath(blob["sha256"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / mf.blob_relpath(blob["sha256"]), target)
    for name in KEY_FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, data / name)
            (data / name).chmod(0o600)
    mf.fsync_tree(data / "blobs") if (data / "blobs").is_dir() else None
    echo(f"blobs restored: {len(manifest['blobs'])}")
    upgrade(engine)  # a backup of an older release is brought to this one's schema
    if source_kind != target_kind:
        count = search.reindex(engines=[search.engine_name_db()])
        db.session().commit()
        echo(f"search index rebuilt: {count} versions")
    return manifest

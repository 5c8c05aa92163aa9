"""Backup and restore: `flask backup create DIR` and `flask backup restore DIR`.

A backup folder holds the database (SQLite online-backup copy, or a pg_dump archive),
every blob, the keys the data needs (secret and audit keys), and MANIFEST.json listing
every file with its size and sha256. Creating it is consistent while the server serves:
blobs are written before the rows that name them commit and are never changed or removed
while named, so copying the blobs named by the live database *after* the database snapshot
covers every blob the snapshot names. A backup is verified (every file re-read and hashed)
before `create` exits 0.
"""

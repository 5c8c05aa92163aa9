"""Checking and unpacking an uploaded ZIP of a vendor's folder tree, refusing hostile ones.

check() reads the central directory only and refuses (UserValueError 400 / TooLarge 413) an
archive that is not a ZIP, has an absolute path, a `..` part, a drive letter, a symlink or an
encrypted entry, or exceeds the limits: entry count, total unpacked size, compression ratio
(of the whole archive and of any large entry). Names are UTF-8 when the entry says so, else
they are the bytes a Chinese Windows wrote: UTF-8 when they decode as such, else GBK (GB18030).
unpack() writes the checked entries under a folder, counting the bytes actually produced
against the same limits (a lying header does not get more).
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo
from pathlib import Path, PurePosixPath

from core.errors import TooLarge, UserValueError

MAX_ENTRIES = 20_000
MAX_TOTAL = 4 * 1024 ** 3      # unpacked bytes of all entries
MAX_RATIO = 100                # unpacked / packed bytes, whole archive
MAX_ENTRY_RATIO = 200          # unpacked / packed bytes, per entry above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024      # small entries may compress well (text): not judged alone
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    info: zipfile.ZipInfo
    name: str  # relative POSIX path, decoded


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its writer meant it (see the module docstring)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _refuse(name: str, why: str):
    raise UserValueError(f"The ZIP is refused: entry '{name[:200]}' {why}.", "unsafe_zip", entry=name[:200])


def _safe_path(name: str) -> str:
    n = name.replace("\\", "/")
    if "\x00" in n or n.startswith("/") or (len(n) > 1 and n[1] == ":"):
        _refuse(name, "has an absolute path")
    parts = [p for p in n.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        _refuse(name, "leaves the folder (..)")
    return "/".join(parts)


def check(path: Path) -> list[Entry]:
    """The archive's file entries (directories left out), or a refusal (see the module)."""
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # BadZipFile, EOFError, struct errors...: whatever the bytes, a 400
        raise UserValueError("The file is not a readable ZIP archive.", "invalid_zip") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise TooLarge(f"The ZIP has more than {MAX_ENTRIES} entries.", "zip_too_large")
        entries, total, packed = [], 0, 0
        for info in infos:
            name = entry_name(info)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                _refuse(name, "is a symbolic link")
            rel = _safe_path(name)
            if info.is_dir() or not rel:
                continue
            if info.flag_bits & 0x1:
                _refuse(name, "is encrypted")
            total += info.file_size
            packed += info.compress_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_ENTRY_RATIO * max(info.compress_size, 1):
                raise TooLarge(f"The ZIP is refused: entry '{rel[:200]}' unpacks to more than {MAX_ENTRY_RATIO} "
                               "times its size.", "zip_too_large")
            entries.append(Entry(info, rel))
        if total > MAX_TOTAL:
            raise TooLarge(f"The ZIP unpacks to more than {MAX_TOTAL // 1024 ** 3} GiB.", "zip_too_large")
        if total > RATIO_FLOOR and total > MAX_RATIO * max(packed, 1):
            raise TooLarge(f"The ZIP unpacks to more than {MAX_RATIO} times its size.", "zip_too_large")
        if not entries:
            raise UserValueError("The ZIP holds no files.", "invalid_zip")
        return entries


def unpack(path: Path, dest: Path) -> int:
    """Check `path` and write its files under `dest` (created); returns the file count."""
    entries = check(path)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written = 0
    with zipfile.ZipFile(path) as zf:
        for e in entries:
            target = (dest / e.name)
            if root not in target.resolve().parents:
                _refuse(e.name, "leaves the folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            n = 0
            with zf.open(e.info) as src, open(target, "wb") as out:
                while chunk := src.read(CHUNK):
                    n += len(chunk)
                    written += len(chunk)
                    if n > e.info.file_size or written > MAX_TOTAL:
                        raise TooLarge("The ZIP unpacks to more than it declares.", "zip_too_large")
                    out.write(chunk)
            mtime = _mtime(e.info)
            if mtime:
                os.utime(target, (mtime, mtime))
    return len(entries)


def _mtime(info: zipfile.ZipInfo) -> float | None:
    """The entry's date (a ZIP stores local time without zone: read as Asia/Shanghai)."""
    try:
        return datetime(*info.date_time, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    except ValueError:
        return None

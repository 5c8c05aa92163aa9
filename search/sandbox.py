"""Bounded text extraction: a subprocess with CPU, memory and output limits and a wall clock.

Callers run it before their database transaction starts (an upload: before its version
number is reserved), so a hostile file costs at most the limits and never holds a lock.
Plain-text types are read in-process: reading is capped (extract.MAX_CHARS * 4 bytes)
and decoding is linear, so they need no sandbox. The outcome is an Extraction: the text,
or status "failed" with the reason, or "not_supported" for types without extraction.
"""
from __future__ import annotations

import logging
import math
import signal
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from core.bounded_process import run_bounded
from search import extract
from search.analysis import unify

log = logging.getLogger("handover.search")

EXTRACTED, NOT_SUPPORTED, FAILED = "extracted", "not_supported", "failed"
STATUSES = (EXTRACTED, NOT_SUPPORTED, FAILED)
MAX_OUTPUT = extract.MAX_CHARS * 4 + 1024  # UTF-8 bytes of MAX_CHARS characters, at most
STARTUP_SECONDS = 2.0  # wall-clock allowance for starting the interpreter


@dataclass(frozen=True)
class Extraction:
    status: str
    text: str = ""
    error: str = ""
    peak_kib: int | None = None  # the subprocess's peak resident memory, when it ran one


@dataclass(frozen=True)
class Limits:
    seconds: float = 20.0
    memory_mb: int = 512

    @classmethod
    def from_app(cls, app=None) -> "Limits":
        cfg = (app or current_app).config
        return cls(float(cfg["HANDOVER_EXTRACT_SECONDS"]), int(cfg["HANDOVER_EXTRACT_MEMORY_MB"]))


def clean_text(text: str) -> str:
    """What we store and index: NFKC, CJK radicals as unified ideographs, without NUL characters."""
    return unify(unicodedata.normalize("NFKC", text)).replace("\x00", " ")


def extract_file(path: Path | str, filename: str, limits: Limits | None = None, *, nfkc: bool = True) -> Extraction:
    """The text of the blob at `path` (type judged by `filename`), within `limits`.
    Never raises for the file's content; call it outside any write transaction.
    nfkc=False keeps the characters as written (full-width punctuation; the diff shows
    them), with radicals unified and NULs removed all the same."""
    clean = clean_text if nfkc else _keep_text
    limits = limits or Limits.from_app()
    kind = extract.kind_of(filename)
    if kind is None:
        return Extraction(NOT_SUPPORTED)
    if kind == "text":
        try:
            return Extraction(EXTRACTED, clean(extract.extract(path, filename)))
        except OSError as exc:
            return Extraction(FAILED, error=f"unreadable: {exc.strerror or exc}")
    result = _run(Path(path), filename, limits, clean=clean)
    if result.status == FAILED:
        log.warning("no text extracted from %s: %s", filename, result.error)
    return result


def ocr_file(path: Path | str, filename: str, limits: Limits) -> Extraction:
    """Text recognised by OCR in the image or PDF at `path`, by the same bounded subprocess
    (`limits`: the OCR's, see search.ocr). Never raises for the file's content."""
    result = _run(Path(path), filename, limits, mode="ocr")
    if result.status == FAILED:
        log.warning("no text recognised in %s: %s", filename, result.error)
    return result


def _keep_text(text: str) -> str:
    return unify(text).replace("\x00", " ")


def _run(path: Path, filename: str, limits: Limits, mode: str = "", clean=clean_text) -> Extraction:
    cpu = max(1, math.ceil(limits.seconds))
    name = "file" + Path(filename).suffix.lower().replace("\x00", "")  # the type is all the child needs
    cmd = [sys.executable, "-P", extract.__file__, str(path), name, str(cpu),
           str(limits.memory_mb * 1024 * 1024), str(MAX_OUTPUT)] + ([mode] if mode else [])
    # The wall clock kills its children (pdftotext) too; the peak is read before the kill.
    with run_bounded(cmd, limits.seconds + STARTUP_SECONDS, before_kill=extract.peak_kib) as run:
        if run.timed_out:
            return Extraction(FAILED, error=f"time limit exceeded ({limits.seconds:g} s)", peak_kib=run.at_kill)
        reason, peak = _parse_stderr(run.stderr_tail())  # the end: reason and peak
        if run.rc == 0:
            run.out.seek(0)
            text = clean(run.out.read(MAX_OUTPUT).decode("utf-8", "replace"))
            return Extraction(EXTRACTED, text, peak_kib=peak)
    return Extraction(FAILED, error=_failure(run.rc, reason, cpu, limits)[:300], peak_kib=peak)


def _parse_stderr(raw: str) -> tuple[str, int | None]:
    """(reason, peak KiB) from the child's stderr (see search.extract.main): the reason is
    the line before the peak (library warnings may come first)."""
    head, _, last = raw.rstrip("\n").rpartition("\n")
    if last.startswith("peak_kib="):
        lines = head.strip().splitlines()
        try:
            return (lines[-1].strip() if lines else ""), int(last[len("peak_kib="):])
        except ValueError:
            pass
    return raw.strip(), None


def _failure(rc: int, reason: str, cpu: int, limits: Limits) -> str:
    if rc == extract.EXIT_MEMORY or "MemoryError" in reason or "out of memory" in reason:
        return f"memory limit exceeded ({limits.memory_mb} MiB)"
    if rc in (extract.EXIT_CPU, -signal.SIGXCPU, -signal.SIGKILL):
        return f"time limit exceeded ({cpu} s of CPU)"
    if rc == -signal.SIGXFSZ:
        return "output limit exceeded"
    if rc == extract.EXIT_REFUSED:
        return f"unreadable: {reason}"
    return f"extractor failed (exit {rc}): {reason[-200:]}"

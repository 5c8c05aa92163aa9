"""A child process with a wall clock: the one runner behind text extraction (search.sandbox)
and the OCR text layer of scan renditions (renditions.scan).

The child runs in its own session, so at the wall clock the whole process group (its
pdftotext, pdftoppm or tesseract too) is killed; its CPU and memory limits are the child's
own business (it sets RLIMIT_CPU / RLIMIT_AS before it reads anything). Output goes to
temporary files, never to pipes a chatty child could fill and block on.
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator


@dataclass
class Finished:
    """How the child ended: `rc` (None when the wall clock killed it), its stdout and stderr
    (temporary files, open until the `with` block ends) and what `before_kill` returned."""
    rc: int | None
    out: IO[bytes]
    err: IO[bytes]
    at_kill: Any = None

    @property
    def timed_out(self) -> bool:
        return self.rc is None

    def stderr_tail(self, size: int = 4000) -> str:
        self.err.seek(max(0, self.err.seek(0, os.SEEK_END) - size))
        return self.err.read().decode("utf-8", "replace")


@contextmanager
def run_bounded(cmd: list[str], wall_seconds: float,
                before_kill: Callable[[int], Any] | None = None) -> Iterator[Finished]:
    """Run `cmd` and wait at most `wall_seconds`; past that, `before_kill(pid)` (e.g. read the
    child's peak memory) and the process group is killed. Yields a Finished."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, close_fds=True,
                                start_new_session=True)
        rc, at_kill = None, None
        try:
            rc = proc.wait(timeout=wall_seconds)
        except subprocess.TimeoutExpired:
            at_kill = before_kill(proc.pid) if before_kill else None
            kill_group(proc)
        yield Finished(rc, out, err, at_kill)


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the process group led by `proc` (started with start_new_session, not yet reaped,
    so its id is still the group's) and reap `proc`."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()

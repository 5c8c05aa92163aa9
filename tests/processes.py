"""Helpers for tests that run the product as real processes (worker, gunicorn): wait for a
condition without fixed sleeps, wait for a line in a process's log, stop a process group."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def wait_for(predicate, seconds: float = 45.0, every: float = 0.2):
    """Poll `predicate` until it returns something truthy or `seconds` pass; return its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


def wait_for_line(log_path: Path, text: str, proc: subprocess.Popen | None = None, seconds: float = 60.0) -> None:
    """Wait until `text` appears in the log file (fails early when the process already exited)."""
    def seen():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}")
        return log_path.exists() and text in log_path.read_text(errors="replace")
    if not wait_for(seen, seconds):
        raise AssertionError(f"{text!r} not in {log_path}: {log_path.read_text(errors='replace')[-2000:]}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT, seconds: float = 20.0) -> int:
    """Send `sig` to the process's group (started with start_new_session=True), wait, and kill
    the group when it does not stop in time. Returns the exit code."""
    try:
        os.killpg(proc.pid, sig)
        return proc.wait(timeout=seconds)
    except ProcessLookupError:
        return proc.wait()
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return proc.wait()

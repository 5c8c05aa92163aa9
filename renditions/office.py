"""LibreOffice headless, kept warm: one soffice listener per worker process, driven over its
UNO socket by a short client (renditions/uno_convert.py, run by the system interpreter that
has python3-uno).

The first conversion starts the listener (a cold start, seconds); later ones reuse it. One
conversion at a time per process (a lock): soffice is single-threaded inside anyway. A
conversion that exceeds its wall clock, or a listener that died, gets the listener killed
(its whole process group) and started afresh for the next job, so a hostile file costs at
most its time limit and never takes the worker down. Each listener has its own profile
folder (several workers on one host never share one) and the fontconfig file that maps the
Chinese Office fonts (宋体, 黑体, ...) to Noto CJK.
"""
from __future__ import annotations

import atexit
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("handover.renditions")

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "uno_convert.py"
FONTS_CONF = HERE.parent / "deploy" / "fonts" / "handover-fonts.conf"
EXIT_NO_LISTENER, EXIT_FAILED = 3, 4  # uno_convert.py's exit codes
STARTUP_SECONDS = 30.0  # a cold listener must accept connections within this
CLIENT_SECONDS = 2.0  # allowance for starting the UNO client, on top of a conversion's limit


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    cold: bool = False  # this conversion started the listener
    retry: bool = False  # worth one more try on a fresh listener


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def uno_python() -> str:
    """An interpreter that can `import uno` (Debian: python3-uno for /usr/bin/python3)."""
    return os.environ.get("HANDOVER_UNO_PYTHON") or "/usr/bin/python3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _font_env() -> dict:
    """The environment of soffice: our fontconfig file (which includes the system's) when present."""
    env = dict(os.environ)
    if FONTS_CONF.exists():
        env["FONTCONFIG_FILE"] = str(FONTS_CONF)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


class Office:
    """One soffice listener, started on first use and restarted after a kill."""

    def __init__(self, workdir: Path | None = None, memory_mb: int | None = None):
        self._memory = memory_mb * 1024 * 1024 if memory_mb else None
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._port = 0
        self._profile: Path | None = None
        self._workdir = workdir
        self.starts = 0

    # -- the listener ---------------------------------------------------------------
    def _start(self) -> None:
        binary = soffice_binary()
        if binary is None:
            raise OSError("LibreOffice (soffice) is not installed")
        base = self._workdir or Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        self._profile = Path(tempfile.mkdtemp(prefix=f"lo-profile-{os.getpid()}-", dir=base))
        self._port = _free_port()
        cmd = [binary, "--headless", "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
               "--nofirststartwizard", f"-env:UserInstallation={self._profile.as_uri()}",
               f"--accept=socket,host=127.0.0.1,port={self._port};urp;StarOffice.ComponentContext"]
        limit = self._memory

        def bounded():  # in the child, before exec: its address space is capped (a memory bomb dies alone)
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=_font_env(), start_new_session=True,
                                      preexec_fn=bounded)
        self.starts += 1
        log.info("soffice listener started (pid %s, port %s)", self._proc.pid, self._port)

    def _wait_listening(self, seconds: float) -> bool:
        """Wait until the new listener accepts connections on its port (or died)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.alive():
            try:
                with socket.create_connection(("127.0.0.1", self._port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Kill the listener and everything it started; remove its profile."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log.error("soffice %s did not die", proc.pid)
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # -- one conversion -------------------------------------------------------------
    def convert(self, source: Path, target: Path, seconds: float, import_filter: str = "",
                client: Path = CLIENT) -> Outcome:
        """Convert `source` to the PDF `target` within `seconds` (plus the start-up of a cold listener).

        A listener that does not answer is restarted and the file tried once more; so is a
        file that failed on a listener just started (its first load can fail while it settles)."""
        with self._lock:
            started = time.monotonic()
            outcome = self._convert_once(source, target, seconds, import_filter, started, client)
            if not outcome.ok and outcome.retry and time.monotonic() - started < seconds:
                log.info("retrying %s once on a fresh listener: %s", source.name, outcome.reason)
                self.stop()
                again = self._convert_once(source, target, seconds - (time.monotonic() - started), import_filter,
                                           started, client)
                outcome = Outcome(again.ok, again.reason, again.seconds, True)
            return Outcome(outcome.ok, outcome.reason, outcome.seconds, outcome.cold)

    def _convert_once(self, source: Path, target: Path, seconds: float, import_filter: str,
                      started: float, client: Path = CLIENT) -> Outcome:
        cold = not self.alive()
        if cold:
            self.stop()
            self._start()
            if not self._wait_listening(STARTUP_SECONDS):
                self.stop()
                return Outcome(False, "LibreOffice did not start", time.monotonic() - started, cold)
        cmd = [uno_python(), str(client), str(self._port), str(source), str(target), import_filter, "5"]
        try:
            # The client's own start (an interpreter, the UNO bridge) is not the file's time.
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=_font_env(),
                                  timeout=max(1.0, seconds) + CLIENT_SECONDS, close_fds=True)
        except subprocess.TimeoutExpired:
            self.stop()  # it may still be chewing on the file: start afresh next time
            return Outcome(False, f"time limit exceeded ({seconds:g} s)", time.monotonic() - started, cold)
        elapsed = time.monotonic() - started
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = err[-1] if err else ""
        if done.returncode == 0 and target.exists() and target.stat().st_size > 0:
            return Outcome(True, "", elapsed, cold)
        listener_alive = self.alive()
        if not listener_alive or done.returncode not in (0, EXIT_FAILED):
            self.stop()
            # Worth one more try: no listener, a listener just started, or the UNO client died
            # by a signal while the listener lived on (a crash of the bridge, not of the file:
            # a file that kills LibreOffice takes the listener with it and is not tried again).
            client_crashed = done.returncode < 0 and listener_alive
            return Outcome(False, f"LibreOffice failed ({reason or done.returncode})"[:300], elapsed, cold,
                           retry=done.returncode == EXIT_NO_LISTENER or cold or client_crashed)
        return Outcome(False, (reason or "LibreOffice wrote no PDF")[:300], elapsed, cold, retry=cold)


_office: Office | None = None
_office_lock = threading.Lock()


def office(workdir: Path | None = None, memory_mb: int | None = None) -> Office:
    """This process's listener (one per worker process; the first caller's settings hold)."""
    global _office
    with _office_lock:
        if _office is None:
            _office = Office(workdir, memory_mb)
            atexit.register(shutdown)  # a stopped worker leaves no soffice behind
        return _office


def shutdown() -> None:
    """Stop this process's listener (at exit)."""
    if _office is not None:
        _office.stop()

"""Keys kept in the data folder: processes starting together on a fresh folder agree on one.

Two app servers and their workers started at once (tests/test_two_servers.py, `make run`) each
created the session secret when it was missing; the last write won on disk, but a server that
had read its own key signed cookies the other could not read (a login on one server was not
known on the other)."""
from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each child waits for the same start signal, then reads (or creates) both keys.
CHILD = """
import sys, time
from pathlib import Path
from app import _secret_key
from core.audit import load_key
data, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(_secret_key(data), load_key(data).decode())
"""


def test_processes_starting_together_agree_on_the_keys(tmp_path):
    data, go = tmp_path / "data", tmp_path / "go"
    data.mkdir()
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(go)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True) for _ in range(8)]
    time.sleep(1.5)  # let them import and wait at the start line
    go.touch()
    answers = {child.communicate(timeout=120)[0].strip() for child in children}
    assert all(child.returncode == 0 for child in children)
    assert len(answers) == 1, answers
    secret, audit_key = answers.pop().split()
    assert len(secret) == 64 and len(audit_key) == 64 and secret != audit_key
    for name, key in (("secret_key", secret), ("audit_key", audit_key)):
        path = data / name
        assert path.read_text().strip() == key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in data.iterdir()) == ["audit_key", "secret_key"]  # no temporary file left


def test_an_existing_secret_is_kept(tmp_path):
    """A secret written by an older release (no trailing newline) reads the same."""
    from app import _secret_key
    (tmp_path / "secret_key").write_text("a" * 64)
    assert _secret_key(tmp_path) == "a" * 64


def test_a_process_that_looked_before_the_key_appeared_reads_the_winners(tmp_path, monkeypatch):
    """The race itself, made certain: every call finds no file when it looks (as two processes
    starting together both do), yet all get the key of the first to finish writing."""
    from app import _secret_key
    monkeypatch.setattr(Path, "exists", lambda self: False)
    first = _secret_key(tmp_path)
    assert [_secret_key(tmp_path) for _ in range(3)] == [first] * 3
    monkeypatch.undo()
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]

"""Old name for a set-up step, kept for the tests that import it: new tests use the
`actions` fixture (tests/actions.py)."""
from __future__ import annotations

from actions import Actions


def set_project(app, code, **values):
    """actions.set_project: set columns of project `code` directly (e.g. warranty_until)."""
    Actions(app).set_project(code, **values)

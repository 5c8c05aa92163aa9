"""Old names for the page steps, kept for the tests that import them: new tests use the
`actions` fixture (tests/actions.py), which these call."""
from __future__ import annotations

from actions import PASSWORD, Actions, csrf_of  # noqa: F401  (csrf_of: re-exported)


def login(client, username: str, password: str = PASSWORD, expect: int = 302) -> str:
    """actions.login for a bare test client."""
    return Actions(client.application, client).login(username, password, expect)


def page_token(client, path: str = "/") -> str:
    """actions.csrf for a bare test client."""
    return Actions(client.application, client).csrf(path)

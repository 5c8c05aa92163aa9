"""Helpers for page tests: log in through the form (with its CSRF token)."""
from __future__ import annotations

import re

from conftest import PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = TOKEN_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


def login(client, username: str, password: str = PASSWORD, expect: int = 302):
    client.delete_cookie("session")  # switch user: start from a fresh session
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == expect, r.get_data(as_text=True)[:500]
    return token


def page_token(client, path: str = "/") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))

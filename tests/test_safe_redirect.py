"""Finding 5 (open redirect): every `next=` goes through web.safe_redirect.safe_next, and the
Location a browser would follow stays on this origin — after the browser's own clean-up
(tabs/CR/LF dropped, surrounding spaces/controls stripped, backslashes read as slashes)."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlsplit

import pytest

from web.safe_redirect import safe_next
from web_support import csrf_of, login
from conftest import PASSWORD

# Tricks that would leave the origin if followed naively. Each is sent twice: as raw query
# text (the server percent-decodes it) and as a literal value (the client encodes it).
TRICKS = [
    "/\\evil.com", "/%2F/evil.com", "https://evil.com", "//evil.com", "\t//evil", "/%0d%0a//evil",
    "javascript:alert(1)", "/%09/evil.com", "/%0A/evil.com", "/%0D/evil.com", "%09//evil.com",
    "/\\/evil.com", "\\\\evil.com", "%5C%5Cevil.com", "/%5C/evil.com", " //evil.com", "%20//evil.com",
    "http:evil.com", "https:/evil.com", "//evil.com@good", "/%00/evil.com", "%2F%2Fevil.com",
    "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.com", "./evil.com", "///evil.com", "/\t/evil.com",
]
LOCAL = ["/", "/projects/P1", "/projects/P1/maintenance?month=2026-11", "/search?q=%E4%BA%A4%E6%8D%A2%E6%9C%BA"]


def browser_view(location: str) -> str:
    """The Location as a browser's URL parser reads it (WHATWG: strip C0/space at both ends,
    remove ASCII tab/newline anywhere, backslash is a slash for http(s))."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    return cleaned.replace("\\", "/")


def assert_stays(r, form: str = "", trick: str = "") -> None:
    """A redirect to this origin, or the request refused as bad input (core.cleaning refuses
    control characters such as NUL in a query string with 400) — never a 500."""
    if r.status_code == 400:
        assert r.headers.get("Location") is None
        return
    assert r.status_code == 302, (form, trick, r.status_code)
    assert_same_origin(r.headers["Location"])


def assert_same_origin(location: str) -> None:
    seen = browser_view(location)
    parts = urlsplit(seen)
    assert not parts.scheme and not parts.netloc, location
    assert seen.startswith("/") and not seen.startswith("//"), location


@pytest.mark.parametrize("trick", TRICKS)
def test_helper_refuses_every_trick(trick):
    from urllib.parse import unquote
    for value in {trick, unquote(trick)}:
        assert_same_origin(safe_next(value))
        assert safe_next(value, default="/x") in ("/x", value)
        assert_same_origin(safe_next(value, default="/x"))


@pytest.mark.parametrize("path", LOCAL)
def test_helper_keeps_local_paths(path):
    assert safe_next(path) == path


def test_helper_refuses_empty_and_none():
    assert safe_next(None) == "/" and safe_next("") == "/" and safe_next(None, "/login") == "/login"


def test_language_switch_with_tab_and_newline_without_login(client, world):
    """The probe's two URLs: a tab gave `Location: //evil.com`, a newline a 500."""
    for raw in ("/%09/evil.com", "/%0A/evil.com"):
        r = client.get(f"/lang/en?next={raw}")
        assert r.status_code in (302, 400), (raw, r.status_code)
        if r.status_code == 302:
            assert r.headers["Location"] == "/", (raw, r.headers["Location"])


def test_language_switch_with_tab_and_newline_after_login(client, world):
    login(client, "pm")
    for raw in ("/%09/evil.com", "/%0A/evil.com"):
        r = client.get(f"/lang/en?next={raw}")
        assert r.status_code in (302, 400), (raw, r.status_code)
        if r.status_code == 302:
            assert r.headers["Location"] == "/", (raw, r.headers["Location"])
    assert client.get("/lang/zh?next=/projects/P1").headers["Location"] == "/projects/P1"


def _both_forms(trick: str):
    yield "raw", trick.replace("\t", "%09").replace(" ", "%20").replace("\\", "%5C")
    yield "literal", quote(trick, safe="")


def test_language_switch_never_leaves_the_origin(client, world):
    for trick in TRICKS:
        for form, encoded in _both_forms(trick):
            client.delete_cookie("session")
            assert_stays(client.get(f"/lang/en?next={encoded}"), form, trick)
    login(client, "client")
    for trick in TRICKS:
        for form, encoded in _both_forms(trick):
            assert_stays(client.get(f"/lang/en?next={encoded}"), form, trick)


def test_login_never_leaves_the_origin(client, world):
    """Each trick on the login form (hidden field, after the POST) and on GET /login when
    already logged in (which follows `next` at once)."""
    for trick, (form, encoded) in ((t, f) for t in TRICKS for f in _both_forms(t)):
        client.delete_cookie("session")
        page = client.get(f"/login?next={encoded}")
        if page.status_code == 400:  # refused as bad input (see assert_stays)
            continue
        assert page.status_code == 200, (form, trick, page.status_code)
        html = page.get_data(as_text=True)
        hidden = unescape(re.search(r'name="next" value="([^"]*)"', html).group(1))
        assert_same_origin(hidden)
        r = client.post(f"/login?next={encoded}", data={"username": "pm", "password": PASSWORD,
                                                        "csrf_token": csrf_of(html)})
        assert r.status_code == 302, (form, trick, r.status_code)
        assert_same_origin(r.headers["Location"])
        # already logged in: GET /login follows `next` at once
        assert_stays(client.get(f"/login?next={encoded}"), form, trick)


def test_login_still_returns_to_a_local_page(client, world):
    r = client.get("/projects/P1/maintenance?month=2026-11")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    page = client.get(r.headers["Location"])
    r = client.post("/login", data={"username": "pm", "password": PASSWORD,
                                    "next": "/projects/P1/maintenance?month=2026-11",
                                    "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302 and r.headers["Location"] == "/projects/P1/maintenance?month=2026-11"

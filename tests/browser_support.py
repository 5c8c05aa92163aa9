"""Serving the app on 127.0.0.1 (random free port) and driving Debian's headless Chromium."""
from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from actions import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def need_chromium():
    if shutil.which("chromium") is None and not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (the Makefile installs it in CI)")


@pytest.fixture
def live_server(app, world):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    """Chromium started once per session (about a second each time it starts); made
    visible to every test by tests/conftest.py."""
    need_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def browser(chromium):
    """The session's Chromium; every context (page) a test opens is closed after it, so no
    cookie, storage or page outlives the test."""
    yield chromium
    for context in list(chromium.contexts):
        context.close()


def new_page(browser, width=1280, height=800):
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def login(page, base: str, username: str, password: str = PASSWORD):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

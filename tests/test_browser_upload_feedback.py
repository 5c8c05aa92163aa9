"""The upload form in Chromium: sizes people read, the limit, a failed upload, the same file again."""
from __future__ import annotations

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _choose(page, name: str, size: int, fill: int = 97) -> None:
    """Put a generated file of `size` bytes into the form (as a drop)."""
    page.evaluate("""([name, size, fill]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(size).fill(fill)], name, {type: 'text/plain'}));
        document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
    }""", [name, size, fill])


def test_sizes_limit_failure_and_same_file(actions, live_server, browser):
    d_id = actions.deliverable()["id"]
    actions.upload(d_id, b"a" * 36 * 1024, "note.txt")  # V1: 36 KB of 'a'
    page = new_page(browser)
    login(page, live_server, "engineer")
    page.goto(f"{live_server}/deliverables/{d_id}")
    assert "单个文件最大 200 MB" in page.inner_text("#upload-limit")
    # a 36 KB file reads as 36 KB, not 0.0 MB
    _choose(page, "note.txt", 36 * 1024)
    assert "note.txt (36 KB)" in page.inner_text("#file-name")
    # the same bytes as V1: refused with the reason, the bar is not left full, the choice appears
    assert page.locator("#same-ok-row").is_hidden()
    page.click("#upload-button")
    page.wait_for_selector("#progress-text:has-text('与 V1 内容相同')")
    assert page.get_attribute("#progress", "data-percent") == "0"
    assert "failed" in page.get_attribute("#progress", "class")
    assert page.locator("#same-ok-row").is_visible()
    # upload anyway: V2
    page.check("#same-ok")
    page.click("#upload-button")
    page.wait_for_selector("text=已上传 V2")
    # over the limit: told before anything is sent, with the file's size and the limit
    page.evaluate("document.getElementById('upload-form').setAttribute('data-max-mb', '0.01')")
    _choose(page, "big.txt", 64 * 1024, fill=98)
    page.click("#upload-button")
    message = page.inner_text("#progress-text")
    assert "文件太大（64 KB）" in message and "0.01 MB" in message, message
    page.context.close()

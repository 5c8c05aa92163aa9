"""Screenshots of every page at desktop (1280×800) and phone (390×844) width into $HANDOVER_SHOTS
(default /tmp/shots), for a person to look at; asserts only that every page renders without error."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _seed(actions):
    ids = actions.doc_ids()
    actions.patch_project("P1", maintenance_start="2026-10-05", warranty_until="2027-10-01", expect=200)
    for i, d in enumerate(ids[:12]):
        v = actions.upload(d, f"# 文档 {i}\n\n交换机 配置 说明 第{i}版\n".encode(), f"文档{i}-说明.md", note=f"第{i}次提交")
        if i % 3 != 2:
            actions.sign(v["id"], "pm", comment="")
        if i % 3 == 0:
            actions.sign(v["id"], "client", comment="")
        if i == 4:
            actions.sign(v["id"], "client", "reject", "附件缺少网络拓扑图，请补充后重新提交。")
    actions.upload(ids[12], b"x", "<img src=x onerror=alert(1)>.txt")
    r = actions.report_fault(level=3, title="核心交换机端口闪断", description="二号楼机房", channel="phone", expect=201)
    return ids, r.json["id"]


def test_screenshots(actions, live_server, browser):
    out = Path(os.environ.get("HANDOVER_SHOTS", "/tmp/shots"))
    out.mkdir(parents=True, exist_ok=True)
    ids, fault_id = _seed(actions)
    md_version = actions.latest_version_id(ids[1])
    pages = {
        "pm": [("portfolio", "/"), ("register", "/projects/P1"), ("deliverable", f"/deliverables/{ids[1]}"),
               ("deliverable-rejected", f"/deliverables/{ids[4]}"), ("preview", f"/versions/{md_version}/preview"),
               ("search", "/search?q=交换机"), ("maintenance", "/projects/P1/maintenance"),
               ("fault", f"/faults/{fault_id}"), ("members", "/projects/P1/members"), ("error404", "/projects/NOPE")],
        "client": [("client-portal", "/portal"), ("client-portal-project", "/portal/P1"),
                   ("client-deliverable", f"/deliverables/{ids[1]}")],
        "admin": [("admin-users", "/admin/users")],
    }
    for who, items in pages.items():
        for size, (w, h) in SIZES.items():
            page = new_page(browser, w, h)
            login(page, live_server, who)
            for name, path in items:
                resp = page.goto(live_server + path)
                assert resp.status == (404 if name == "error404" else 200), (name, resp.status)
                page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=True)
                if size == "phone":  # the first two screens, at a scale one can read
                    page.screenshot(path=str(out / f"{name}-{size}-top.png"), clip={"x": 0, "y": 0, "width": w,
                                                                                  "height": 2 * h}, full_page=True)
            page.context.close()
    for size, (w, h) in SIZES.items():
        page = new_page(browser, w, h)
        page.goto(f"{live_server}/login")
        page.screenshot(path=str(out / f"login-{size}.png"), full_page=True)
        login(page, live_server, "pm")
        page.goto(f"{live_server}/lang/en?next=/projects/P1")
        page.screenshot(path=str(out / f"register-en-{size}.png"), full_page=True)
        page.context.close()

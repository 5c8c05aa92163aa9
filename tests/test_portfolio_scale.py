"""The portfolio page costs a fixed number of queries whatever the number of projects, open
faults and overdue records (maintenance.alerts), and shows a few of each with the totals."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import event

from web_support import login


def _count_queries(app, client, path: str) -> tuple[int, str]:
    engine = app.extensions["handover.db"].kw["bind"]
    n = [0]

    def count(*_a, **_k):
        n[0] += 1
    event.listen(engine, "before_cursor_execute", count)
    try:
        r = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200
    return n[0], r.get_data(as_text=True)


def _add_projects(actions, client, world, start: int, stop: int, faults: int) -> None:
    started = (date.today() - timedelta(days=60)).isoformat()
    for i in range(start, stop):
        code = f"SCALE{i:02d}"
        r = client.post("/api/projects", json={"code": code, "name": f"项目 {i}", "client": "客户",
                                               "maintenance_start": started}, headers=world.h("admin"))
        assert r.status_code == 201, r.json
        for _ in range(faults):
            actions.report_fault(who="admin", project=code, expect=201)


def test_portfolio_queries_do_not_grow_with_projects_faults_or_records(app, client, world, actions):
    login(client, "admin")
    _add_projects(actions, client, world, 0, 1, faults=1)   # 3 projects
    actions.worker_ticks()                                  # record instances, some overdue
    small, _ = _count_queries(app, client, "/")
    _add_projects(actions, client, world, 1, 28, faults=5)  # 30 projects, more faults each
    actions.worker_ticks()
    large, html = _count_queries(app, client, "/")
    assert large == small, f"portfolio: {small} queries at 3 projects, {large} at 30"
    _, second = _count_queries(app, client, "/?page=2")
    shown = set(re.findall(r'data-project="([^"]+)"', html)) | set(re.findall(r'data-project="([^"]+)"', second))
    assert {f"SCALE{i:02d}" for i in range(28)} | {"P1", "P2"} == shown
    assert 'href="/?page=2"' in html and "1 / 2" in html and 'href="/?page=1"' in second


def test_portfolio_page_number_is_forgiving(client, world):
    login(client, "admin")
    for value in ("0", "-3", "abc", "999999999999", "2"):  # one page only: every value shows page 1
        r = client.get(f"/?page={value}")
        assert r.status_code == 200 and 'data-project="P1"' in r.get_data(as_text=True)


def test_portfolio_shows_three_open_faults_and_the_total(client, world, actions):
    _add_projects(actions, client, world, 0, 1, faults=5)
    login(client, "admin")
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("SCALE00"):]
    assert len(re.findall(r'href="/faults/\d+"', section)) == 3
    assert "共 5 项故障未关闭" in section

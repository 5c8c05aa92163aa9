"""The portfolio page costs a fixed number of queries whatever the number of projects, open
faults and overdue records (maintenance.alerts, portfolio.figures), as cards (a few alerts each,
with the totals) and as the table (every project, sorted and filtered)."""
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
    small, _ = _count_queries(app, client, "/?view=cards")
    small_table, _ = _count_queries(app, client, "/?view=table")
    small_register, _ = _count_queries(app, client, "/register")
    _add_projects(actions, client, world, 1, 28, faults=5)  # 30 projects, more faults each
    actions.worker_ticks()
    large, html = _count_queries(app, client, "/?view=cards")
    assert large == small, f"portfolio cards: {small} queries at 3 projects, {large} at 30"
    _, second = _count_queries(app, client, "/?view=cards&page=2")
    shown = set(re.findall(r'data-project="([^"]+)"', html)) | set(re.findall(r'data-project="([^"]+)"', second))
    assert {f"SCALE{i:02d}" for i in range(28)} | {"P1", "P2"} == shown
    assert 'href="/?page=2&amp;view=cards"' in html and "1 / 2" in html and 'href="/?page=1&amp;view=cards"' in second
    # the table (the default with 30 projects): every project on one page, the same statement count
    large_table, table = _count_queries(app, client, "/")
    assert large_table == small_table, f"portfolio table: {small_table} queries at 3 projects, {large_table} at 30"
    assert set(re.findall(r'<tr data-project="([^"]+)"', table)) == {f"SCALE{i:02d}" for i in range(28)} | {"P1", "P2"}
    for path in ("/?view=table&sort=sla_breaches&dir=desc", "/?view=table&gaps=any&q=SCALE"):
        assert _count_queries(app, client, path)[0] == small_table, path
    # the register across projects too (a page of 200 rows of 30 projects)
    assert _count_queries(app, client, "/register")[0] == small_register


def test_portfolio_page_number_is_forgiving(client, world):
    login(client, "admin")
    for value in ("0", "-3", "abc", "999999999999", "2"):  # one page only: every value shows page 1
        r = client.get(f"/?view=cards&page={value}")
        assert r.status_code == 200 and 'data-project="P1"' in r.get_data(as_text=True)


def test_portfolio_shows_three_open_faults_and_the_total(client, world, actions):
    _add_projects(actions, client, world, 0, 1, faults=5)
    login(client, "admin")
    html = client.get("/?view=cards").get_data(as_text=True)
    section = html[html.index("SCALE00"):]
    assert len(re.findall(r'href="/faults/\d+"', section)) == 3
    assert "共 5 项故障未关闭" in section

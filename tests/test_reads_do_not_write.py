"""Reads never write: pages and API GETs of a project with overdue faults and missing record
periods issue no INSERT / UPDATE / DELETE; the worker's tick writes the escalations and the
instances; a fault reads the same before and after the tick (its live state is what the tick
stores). Setting maintenance_start creates the instances in that write request."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import event, func, select

from core import db

START = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # the clock fixture's start (Wed of 2026-W48)
WRITE_RE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
CSRF_RE = re.compile(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]*"')


@contextmanager
def writes_recorded(app) -> Iterator[list[str]]:
    """Every data-changing SQL statement the app's engine sends meanwhile (any table)."""
    engine = app.extensions["handover.db"].kw["bind"]
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if WRITE_RE.match(statement):
            seen.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def stored(app) -> dict:
    """What the database holds: the faults as stored, escalation rows, record rows, audit entries."""
    from core.models import AuditEntry
    from deliverables.models import Deliverable
    from maintenance.models import Fault, FaultEscalation
    with app.app_context():
        s = db.session()
        return {
            "faults": {f.id: (f.level, f.respond_by, f.restore_by) for f in s.scalars(select(Fault))},
            "escalations": sorted(((e.fault_id, e.from_level, e.to_level, e.at)
                                   for e in s.scalars(select(FaultEscalation))), key=lambda e: (e[0], e[3])),
            "records": sorted(s.execute(select(Deliverable.document_key, Deliverable.period)
                                        .where(Deliverable.kind == "record")).all()),
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)),
        }


def overdue_project(actions, clock) -> dict:
    """P1 with maintenance from 2026-11-09, three open faults; then eight days pass with no
    tick: the faults are overdue (escalations due) and 2026-W49 / 2026-12 are missing."""
    actions.patch_project("P1", maintenance_start=date(2026, 11, 9))
    f4 = actions.report_fault(level=4, expect=201).json
    f3 = actions.report_fault(level=3, expect=201).json
    actions.fault_event(f3["id"], "respond", expect=201)
    f2 = actions.report_fault(level=2, channel="email", expect=201).json
    assert (f4["escalations"], f3["escalations"], f2["escalations"]) == ([], [], [])
    clock.advance(days=8)  # 2026-12-03, Thursday of 2026-W49; the worker has not run
    actions.login("pm")  # after the clock moved: the session is fresh, nothing to touch
    # likewise the pm's API token: its last use (written at most every 5 minutes) is now
    assert actions.client.get("/api/me", headers=actions.world.h("pm")).status_code == 200
    return {"f4": f4["id"], "f3": f3["id"], "f2": f2["id"]}


def get_all(actions, faults: dict) -> dict:
    """Every read the brief names (and the fault report downloads), as pm; path -> body."""
    fid = faults["f4"]
    pages = ["/", "/projects/P1", "/projects/P1/maintenance", f"/faults/{fid}"]
    apis = [f"/api/faults/{fid}", "/api/projects/P1/records", "/api/projects/P1/faults",
            "/api/projects/P1/faults?status=open", "/api/projects/P1/sla"]
    out = {}
    for path in pages:
        r = actions.client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        out[path] = CSRF_RE.sub("csrf", r.get_data(as_text=True))
    for path in apis:
        r = actions.client.get(path, headers=actions.world.h("pm"))
        assert r.status_code == 200, (path, r.status_code)
        out[path] = r.get_json()
    # the fault's filled-in form (DOCX, page and API): read too, compared by its text elsewhere
    assert actions.client.get(f"/faults/{fid}/report.docx").status_code == 200
    assert actions.client.get(f"/api/faults/{fid}/report.docx", headers=actions.world.h("pm")).status_code == 200
    return out


def fault_section(html: str) -> str:
    """The faults card of the maintenance page (its records card grows when the tick runs)."""
    start = html.index("<h2>")
    return html[start:html.index("</section>", start)]


def without_tasks(html: str) -> str:
    """The home page without its 待办 (heading and card): the rest reads the same after a tick."""
    start = html.index('<h1 id="tasks-title"')
    return html[:start] + html[html.index("</section>", start):]


def test_gets_write_nothing_and_show_what_the_tick_then_stores(app, actions, clock):
    faults = overdue_project(actions, clock)
    before_rows = stored(app)
    with writes_recorded(app) as writes:
        before = get_all(actions, faults)
        again = get_all(actions, faults)
    assert writes == []
    assert stored(app) == before_rows  # nothing changed, audit trail included
    # the reader already sees the rule's truth: 4 -> 3 -> 2 -> 1 at +24 h, +48 h, +60 h
    f4 = before[f"/api/faults/{faults['f4']}"]
    assert [(e["from"], e["to"]) for e in f4["escalations"]] == [(4, 3), (3, 2), (2, 1)]
    assert f4["level"] == 1 and f4["breached"] == {"respond": True, "restore": True}
    assert "1级" in before[f"/faults/{faults['f4']}"] and "4级 → 3级" in before[f"/faults/{faults['f4']}"]
    assert before["/api/projects/P1/sla"]["total"]["escalations"] == 3 + 2 + 1
    assert again == before
    periods = {(i["record_key"], i["period"]) for i in before["/api/projects/P1/records"]}
    assert ("daily_check_book", "2026-W48") in periods and ("daily_check_book", "2026-W49") not in periods

    actions.worker_ticks()  # the worker's minute comes: it writes
    after_rows = stored(app)
    assert len(after_rows["escalations"]) == 6
    assert set(after_rows["records"]) - set(before_rows["records"]) == {
        ("daily_check_book", "2026-W49"), ("ops_weekly_report", "2026-W49"), ("inspection_report", "2026-12")}
    assert after_rows["audit"] == before_rows["audit"] + 6  # one fault.escalate entry per step

    with writes_recorded(app) as writes:
        after = get_all(actions, faults)
    assert writes == []
    # live state == stored state: every fault reads the same before and after the tick ...
    for path in ("/", "/projects/P1", f"/faults/{faults['f4']}", f"/api/faults/{faults['f4']}",
                 "/api/projects/P1/faults", "/api/projects/P1/faults?status=open", "/api/projects/P1/sla"):
        if path == "/":  # the home page's 待办 lists the record instances the tick just added (as the calendar)
            assert without_tasks(after[path]) == without_tasks(before[path]), path
            continue
        assert after[path] == before[path], path
    assert fault_section(after["/projects/P1/maintenance"]) == fault_section(before["/projects/P1/maintenance"])
    # ... and is exactly what the tick stored
    tz8 = timezone(timedelta(hours=8))
    for shown in before["/api/projects/P1/faults"]:
        level, respond_by, restore_by = after_rows["faults"][shown["id"]]
        assert (shown["level"], shown["respond_by"], shown["restore_by"]) == (
            level, respond_by.astimezone(tz8).isoformat(), restore_by.astimezone(tz8).isoformat())
        assert [(shown["id"], e["from"], e["to"], e["at"]) for e in shown["escalations"]] == [
            (fid, a, b, at.astimezone(tz8).isoformat()) for fid, a, b, at in after_rows["escalations"]
            if fid == shown["id"]]
    # the records read before the tick are unchanged; the tick only added the new periods
    old = {(i["record_key"], i["period"]): i for i in before["/api/projects/P1/records"]}
    new = {(i["record_key"], i["period"]): i for i in after["/api/projects/P1/records"]}
    assert {k: new[k] for k in old} == old and len(new) == len(old) + 3


def test_setting_maintenance_start_creates_its_instances_at_once(app, actions, clock):
    """No tick between: the PATCH (or the project's creation) that sets the date creates
    the instances up to today, so the user sees them immediately."""
    assert actions.records() == []
    actions.patch_project("P1", maintenance_start=date(2026, 11, 16))  # Monday of 2026-W47
    assert {(i["record_key"], i["period"]) for i in actions.records()} == {
        ("daily_check_book", "2026-W47"), ("daily_check_book", "2026-W48"), ("ops_weekly_report", "2026-W47"),
        ("ops_weekly_report", "2026-W48"), ("inspection_report", "2026-11"), ("backup_plan", "once")}
    actions.patch_project("P1", maintenance_start=date(2026, 11, 9))  # moved earlier: W46 at once
    assert ("daily_check_book", "2026-W46") in {(i["record_key"], i["period"]) for i in actions.records()}

    r = actions.client.post("/api/projects", headers=actions.world.h("admin"), json={
        "code": "P3", "name": "新项目", "client": "客户", "maintenance_start": "2026-11-23"})
    assert r.status_code == 201, r.get_json()
    assert {(i["record_key"], i["period"]) for i in actions.records(who="admin", project="P3")} == {
        ("daily_check_book", "2026-W48"), ("ops_weekly_report", "2026-W48"), ("inspection_report", "2026-11"),
        ("backup_plan", "once")}
    assert clock() == START  # all of it without time passing

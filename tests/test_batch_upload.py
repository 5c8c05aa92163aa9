"""Several files per request (issue 12): POST /api/projects/<code>/versions stores each file as
a single upload would (same answer, same rule, numbers, audit, search), all or nothing, and
answers bad input with a 4xx in the shared error shape, leaving nothing behind."""
from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core import db

URL = "/api/projects/P1/versions"


def _form(pairs, notes=()) -> MultiDict:
    """Multipart fields: (deliverable_id, bytes, filename) pairs in order, then the notes."""
    fields = []
    for did, data, name in pairs:
        fields += [("deliverable_id", str(did)), ("file", (io.BytesIO(data), name))]
    fields += [("note", n) for n in notes]
    return MultiDict(fields)


def _post(client, world, pairs, notes=(), who="engineer", url=URL):
    return client.post(url, headers=world.h(who), data=_form(pairs, notes), content_type="multipart/form-data")


def _stored(app) -> tuple:
    """What the database and the blob folder hold: versions, search texts, audit entries, blobs, temp files."""
    from core.models import AuditEntry
    from deliverables.models import Version
    from search.models import SearchText
    with app.app_context():
        s = db.session()
        counts = tuple(s.scalar(select(func.count()).select_from(m)) for m in (Version, SearchText, AuditEntry))
        s.rollback()
    blobs = Path(app.config["HANDOVER_DATA"]) / "blobs"
    return counts + (sorted(p.name for p in blobs.glob("*/*/*") if p.parent.parent.name != "tmp"),
                     sorted(p.name for p in (blobs / "tmp").glob("*")))


def test_files_become_versions_in_order_with_the_single_upload_answer(actions, client, world):
    a, b = actions.doc_ids("P1", 2)
    single = actions.upload(b, b"before", "before.md")
    pairs = [(a, "第一稿 需求".encode(), "需求分析报告.md"), (b, b"second", "plan.txt"),
             (a, "第一稿 需求".encode(), "需求分析报告-副本.md")]
    r = _post(client, world, pairs, notes=["一", "二", "三"])
    assert r.status_code == 201, r.get_json()
    got = r.get_json()["versions"]
    assert [v["filename"] for v in got] == ["需求分析报告.md", "plan.txt", "需求分析报告-副本.md"]
    assert set(got[0]) == set(single)  # the same object as the single upload answers
    assert [v["number"] for v in got] == [1, 2, 2]
    assert [v["note"] for v in got] == ["一", "二", "三"]
    assert [v["sha256"] for v in got] == [hashlib.sha256(d).hexdigest() for _, d, _ in pairs]
    assert got[0]["same_content_as"] is None and got[1]["same_content_as"] is None
    assert got[2]["same_content_as"] == {"id": got[0]["id"], "number": 1}  # as if uploaded one by one
    assert all(v["text_status"] == "extracted" for v in got)
    for v, (_, data, _) in zip(got, pairs):
        assert client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm")).data == data
    listed = client.get(f"/api/deliverables/{a}/versions", headers=world.h("pm")).get_json()
    assert [v["number"] for v in listed] == [2, 1] and listed[0]["step"]["key"] == "review"
    assert listed[1]["step"] is None  # superseded inside the request
    assert actions.status(a) == "draft" and actions.latest_version_id(a) == got[2]["id"]
    one_note = _post(client, world, [(b, b"x1", "x1.txt"), (b, b"x2", "x2.txt")], notes=["同一说明"])
    assert [v["note"] for v in one_note.get_json()["versions"]] == ["同一说明", "同一说明"]


def test_numbers_stay_gapless_beside_concurrent_single_uploads(actions, app, world):
    d = actions.doc_ids("P1", 1)[0]
    clients = [app.test_client() for _ in range(10)]

    def send(i):
        if i < 4:  # four requests of five files each
            r = _post(clients[i], world, [(d, f"batch {i} file {k}".encode() * 200, f"b{i}-{k}.md") for k in range(5)])
            return r.status_code, [v["number"] for v in r.get_json()["versions"]]
        r = clients[i].post(f"/api/deliverables/{d}/versions", headers=world.h("engineer"),
                            data={"file": (io.BytesIO(f"single {i}".encode() * 200), f"s{i}.md")},
                            content_type="multipart/form-data")
        return r.status_code, [r.get_json()["number"]]

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(send, range(10)))
    assert all(status == 201 for status, _ in results), results
    numbers = sorted(n for _, ns in results for n in ns)
    assert numbers == list(range(1, 27))
    for _, ns in results[:4]:  # a request's files are consecutive versions, in the order sent
        assert ns == list(range(ns[0], ns[0] + 5))
    listed = clients[0].get(f"/api/deliverables/{d}/versions", headers=world.h("pm")).get_json()
    assert [v["number"] for v in listed] == list(range(26, 0, -1))
    assert [v["number"] for v in listed if v["step"] is not None] == [26]  # only the newest waits


def test_each_version_has_its_audit_entry_and_is_found_by_search(actions, app, client, world):
    from core import audit
    from core.models import AuditEntry
    a, b = actions.doc_ids("P1", 2)
    r = _post(client, world, [(a, b"alpha markerbatchonex", "one.md"), (b, "巡检 markerbatchtwox".encode(), "二.md")])
    assert r.status_code == 201
    got = r.get_json()["versions"]
    with app.app_context():
        s = db.session()
        rows = s.execute(select(AuditEntry.object_id, AuditEntry.action, AuditEntry.detail, AuditEntry.username)
                         .where(AuditEntry.action == "version.upload").order_by(AuditEntry.seq)).all()
        assert [int(r.object_id) for r in rows] == [v["id"] for v in got]
        assert all(r.username == "engineer" for r in rows) and '"filename": "二.md"' in rows[1].detail
        assert audit.verify().ok
        s.rollback()
    for word, v in (("markerbatchonex", got[0]), ("markerbatchtwox", got[1])):
        hits = actions.search(q=word, all_versions="1")
        assert [h["version_id"] for h in hits["hits"]] == [v["id"]], (word, hits)


@pytest.mark.parametrize("raw,expected", [
    ("../../x", "x"), ("..\\..\\win.ini", "win.ini"), ("a\x00b.txt", "ab.txt"),
    ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"), ("测试报告 终稿.docx", "测试报告 终稿.docx"),
])
def test_hostile_and_chinese_file_names_are_cleaned_as_for_one_upload(actions, client, world, raw, expected):
    d = actions.doc_ids("P1", 1)[0]
    r = _post(client, world, [(d, b"content", raw), (d, b"long", "文" * 1000 + ".pdf")])
    assert r.status_code == 201, r.get_json()
    first, long = r.get_json()["versions"]
    assert first["filename"] == expected
    assert len(long["filename"].encode("utf-8")) <= 255 and long["filename"].endswith(".pdf")
    cd = client.get(f"/api/versions/{first['id']}/file", headers=world.h("pm")).headers["Content-Disposition"]
    assert "\r" not in cd and "\n" not in cd


def _bad_requests(ids, other):
    """(name, who, url, form or raw body, content type, status, code) of the refusals."""
    a, b = ids
    ok = [(a, b"fine", "fine.md")]
    return [
        ("no parts", "engineer", URL, MultiDict(), "multipart/form-data", 400, "missing_file"),
        ("JSON body", "engineer", URL, b'{"file": "x"}', "application/json", 400, "missing_file"),
        ("ids without files", "engineer", URL, MultiDict([("deliverable_id", str(a))]), "multipart/form-data",
         400, "missing_file"),
        ("more ids than files", "engineer", URL, "more", None, 400, "unpaired_files"),
        ("fewer ids than files", "engineer", URL, "fewer", None, 400, "unpaired_files"),
        ("two notes for three files", "engineer", URL, "notes", None, 400, "unpaired_files"),
        ("101 files", "engineer", URL, "101", None, 400, "too_many_files"),
        ("an empty file", "engineer", URL, _form(ok + [(b, b"", "empty.md")]), "multipart/form-data", 400,
         "empty_file"),
        ("a file without a name", "engineer", URL, _form(ok + [(b, b"x", "")]), "multipart/form-data", 400,
         "missing_file"),
        ("an id that is not a number", "engineer", URL,
         MultiDict([("deliverable_id", "12abc"), ("file", (io.BytesIO(b"x"), "x.md"))]), "multipart/form-data",
         400, "wrong_type"),
        ("an id past the database's range", "engineer", URL, _form([(10 ** 30, b"x", "x.md")]),
         "multipart/form-data", 404, "not_found"),
        ("a note with a control character", "engineer", URL, _form(ok, notes=["bad\x07note"]),
         "multipart/form-data", 400, "invalid_text"),
        ("a client", "client", URL, _form(ok), "multipart/form-data", 403, "role_may_not"),
        ("another project's deliverable", "engineer", URL, _form(ok + [(other, b"x", "x.md")]),
         "multipart/form-data", 404, "deliverable_not_found"),
        ("a deliverable that does not exist", "engineer", URL, _form(ok + [(999999, b"x", "x.md")]),
         "multipart/form-data", 404, "deliverable_not_found"),
        ("a project the user is not in", "pm2", URL, _form(ok), "multipart/form-data", 404, "project_not_found"),
        ("an outsider", "outsider", URL, _form(ok), "multipart/form-data", 404, "project_not_found"),
        ("an unknown project", "engineer", "/api/projects/NOPE/versions", _form(ok), "multipart/form-data", 404,
         "project_not_found"),
        ("a broken multipart body", "engineer", URL, b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
         b"filename=\"x.txt\"\r\n\r\nno end", "multipart/form-data; boundary=XyZ", 400, "missing_file"),
        ("no boundary", "engineer", URL, b"whatever", "multipart/form-data", 400, "missing_file"),
    ]


def _body(form, ids):
    """The request body of a case: its form, or the one its placeholder names."""
    a, b = ids
    if form == "fewer":
        return MultiDict([("deliverable_id", str(a)), ("file", (io.BytesIO(b"1"), "1.md")),
                          ("file", (io.BytesIO(b"2"), "2.md"))])
    if form == "notes":
        return _form([(a, b"1", "1.md"), (b, b"2", "2.md"), (a, b"3", "3.md")], notes=["x", "y"])
    if form == "101":
        return _form([(a, f"file {i}".encode(), f"{i}.md") for i in range(101)])
    if form == "more":
        return MultiDict([("deliverable_id", str(a)), ("deliverable_id", str(b)), ("file", (io.BytesIO(b"1"), "1.md"))])
    return form


@pytest.mark.parametrize("case", range(20))
def test_bad_input_is_refused_and_leaves_nothing(actions, app, client, world, case):
    ids = tuple(actions.doc_ids("P1", 2))
    other = actions.doc_ids("P2", 1)[0]
    cases = _bad_requests(ids, other)
    name, who, url, form, ctype, status, code = cases[case]
    before = _stored(app)
    body = _body(form, ids)
    if isinstance(body, MultiDict):
        r = client.post(url, headers=world.h(who), data=body, content_type=ctype or "multipart/form-data")
    else:
        r = client.post(url, headers=world.h(who), data=body, content_type=ctype)
    assert r.status_code == status, (name, r.status_code, r.get_data(as_text=True)[:300])
    assert r.is_json and r.get_json()["error"]["code"] == code, (name, r.get_json())
    assert _stored(app) == before, name


def test_the_case_list_is_complete(actions, world):
    assert len(_bad_requests((1, 2), 3)) == 20  # the parametrisation above covers every case


def test_a_file_over_the_limit_is_413_and_leaves_nothing(actions, app, client, world):
    a, b = actions.doc_ids("P1", 2)
    app.config["HANDOVER_MAX_UPLOAD_MB"] = 1
    before = _stored(app)
    r = _post(client, world, [(a, b"small", "small.md"), (b, b"x" * (1024 * 1024 + 10), "big.bin")])
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
    assert _stored(app) == before


def test_a_failure_while_recording_leaves_no_version_text_or_audit_entry(actions, app, client, world):
    """All or nothing: the third version's hook fails, so the first two are not kept either."""
    from deliverables import version_hooks
    a, b = actions.doc_ids("P1", 2)
    calls = []

    def fail_on_the_third(versions):
        for version in versions if isinstance(versions, list) else [versions]:  # a batch's, or one
            calls.append(version.id)
            if len(calls) == 3:
                raise RuntimeError("disk on fire")

    before = _stored(app)
    version_hooks.on_version_added(fail_on_the_third)
    try:
        r = _post(client, world, [(a, b"one", "1.md"), (b, b"two", "2.md"), (a, b"three", "3.md")])
    finally:
        version_hooks._hooks.remove(fail_on_the_third)
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "internal_error"
    after = _stored(app)
    assert after[:3] == before[:3] and after[4] == []  # the blobs stay as young orphans (fsck --repair)
    assert client.get(f"/api/deliverables/{a}/versions", headers=world.h("pm")).get_json() == []
    ok = _post(client, world, [(a, b"one", "1.md")])
    assert ok.status_code == 201 and ok.get_json()["versions"][0]["number"] == 1  # no number was used up

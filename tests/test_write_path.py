"""The batched write path (issues 12 and 17): a bulk import records each batch with a constant
number of statements per deliverable, yet leaves exactly what uploads one by one would (numbers,
revisions, workflow, notices, audit chain, search text), all in the batch's transaction; an
upload whose notices would reach nobody does not work out who may act."""
from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from core import db
from test_import import FLASK, ROOT, _env, cli, write


def _webhook(app, code: str = "P1") -> None:
    """Give the project a robot, so every "waiting" event queues a notice (no HTTP is made)."""
    from core.clock import now
    from notifications.models import ProjectWebhook
    from projects.models import Project
    with app.app_context():
        s = db.session()
        pid = s.scalar(select(Project.id).where(Project.code == code))
        s.add(ProjectWebhook(project_id=pid, kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
                             updated_at=now()))
        s.commit()


def _tree(root):
    for i, day in enumerate(("20240301", "20240302", "20240303", "20240304", "20240305")):
        write(root, f"02-需求/需求分析报告_V1.{i}_{day}.md", f"需求分析 第{i}稿 marker{i}x")
    write(root, "03-设计/详细设计说明书_V1.0_20240302.md", "详细设计 模块划分")
    write(root, "03-设计/详细设计说明书_V1.1_20240306.md", "详细设计 第二稿 markerdesignx")


def _state(app, key: str):
    from deliverables.models import Deliverable, Version
    from projects.models import Project
    with app.app_context():
        s = db.session()
        d = s.scalar(select(Deliverable).join(Project, Project.id == Deliverable.project_id)
                     .where(Project.code == "P1", Deliverable.document_key == key))
        vs = s.execute(select(Version.id, Version.number, Version.revision, Version.step_index, Version.step_key,
                              Version.chain).where(Version.deliverable_id == d.id).order_by(Version.number)).all()
        out = (d.status, d.latest_version_id, d.version_count, vs)
        s.rollback()
        return out


def test_batched_import_leaves_what_uploads_one_by_one_would(app, world, tmp_path):
    """Batches of 3 split one document's five versions across batches and inside them."""
    from core.models import AuditEntry
    from notifications.models import OutboxMessage
    _webhook(app)
    tree = tmp_path / "tree"
    _tree(tree)
    r = cli(app, tree, "--project", "P1", "--batch-size", "3")
    assert "placed 7, duplicates skipped 0" in r.stdout, r.stdout

    status, latest, count, vs = _state(app, "requirements_analysis")
    assert [v.number for v in vs] == [1, 2, 3, 4, 5] and count == 5
    assert [v.revision for v in vs] == ["V1.0", "V1.1", "V1.2", "V1.3", "V1.4"]
    assert all(v.chain for v in vs)  # every version has its chain's snapshot
    assert [v.step_key for v in vs] == [None, None, None, None, "review"]  # only the newest waits
    assert status == "draft" and latest == vs[-1].id
    design = _state(app, "system_design")[3]
    assert [v.step_key for v in design] == [None, "review"]

    with app.app_context():
        s = db.session()
        rows = s.execute(select(OutboxMessage.event_key, OutboxMessage.status)
                         .where(OutboxMessage.channel == "webhook")).all()
        pending = {k for k, st in rows if st == "pending"}
        # the newest of each document is announced; one announced by an earlier batch and then
        # superseded was withdrawn; none superseded inside its own batch was ever announced
        assert pending == {f"waiting:{vs[-1].id}:review", f"waiting:{design[-1].id}:review"}
        withdrawn = [k for k, st in rows if k not in pending]
        assert withdrawn and all(st == "skipped" for k, st in rows if k not in pending)
        assert {k for k, _ in rows} <= {f"waiting:{v.id}:review" for v in [*vs, *design]}
        audited = s.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "version.upload")
                            .order_by(AuditEntry.seq)).all()
        assert sorted(map(int, audited)) == sorted(v.id for v in [*vs, *design])
        seqs = s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        s.rollback()
    verify = subprocess.run(FLASK + ["audit", "verify"], cwd=ROOT, env=_env(app), capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for word, vid in (("marker0x", vs[0].id), ("marker4x", vs[-1].id), ("markerdesignx", design[-1].id)):
        hits = app.test_client().get("/api/search", query_string={"q": word, "all_versions": "1"},
                                     headers=world.h("pm")).get_json()
        assert [h["version_id"] for h in hits["hits"]] == [vid], (word, hits)

    again = cli(app, tree, "--project", "P1", "--batch-size", "3")
    assert "placed 0, duplicates skipped 7" in again.stdout


def test_a_batch_that_fails_leaves_nothing_of_it(app, world, tmp_path):
    """Versions, numbers, notices, search texts and audit entries of a batch share its
    transaction: a failure in the middle of recording the batch leaves none of them."""
    from core import audit
    from core.models import AuditEntry, User
    from deliverables import version_hooks
    from deliverables.models import Version
    from imports.matching import Matcher
    from imports.run import plan, run
    from notifications.models import OutboxMessage
    from projects.models import Project
    from search.models import SearchText
    _webhook(app)
    tree = tmp_path / "tree"
    _tree(tree)
    calls = []

    def fail_on_the_fourth(versions):
        for version in versions:
            calls.append(version.id)
            if len(calls) == 4:
                raise RuntimeError("disk on fire")

    version_hooks.on_version_added(fail_on_the_fourth)
    try:
        with app.app_context():
            s = db.session()
            before = s.scalar(select(func.count()).select_from(AuditEntry))
            project = s.scalar(select(Project).where(Project.code == "P1"))
            pm = s.get(User, world.ids["pm"])
            with pytest.raises(RuntimeError):
                run(project, pm, plan(tree, Matcher([])), batch_files=3)
            s.rollback()
            # the first batch (three versions) committed; the second failed at its first version's hook
            assert s.scalar(select(func.count()).select_from(Version)) == 3
            assert s.scalar(select(func.count()).select_from(SearchText)) == 3
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == before + 3
            keys = set(s.scalars(select(OutboxMessage.event_key)))
            ids = set(s.scalars(select(Version.id)))
            assert keys and all(int(k.split(":")[1]) in ids for k in keys)
            assert audit.verify().ok
            s.rollback()
    finally:
        version_hooks._hooks.remove(fail_on_the_fourth)


def test_an_upload_nobody_would_hear_of_does_not_work_out_who_may_act(app, world, monkeypatch):
    """No e-mail set up and no robot: the "waiting" notice would reach nobody, so the recipients
    are not computed and nothing is queued; with a robot the notice is queued with the version."""
    from deliverables import workflow
    from notifications.models import OutboxMessage
    asked = []
    real = workflow.users_who_may_act
    monkeypatch.setattr(workflow, "users_who_may_act", lambda v: asked.append(v.id) or real(v))
    client = app.test_client()
    d = client.get("/api/projects/P1/deliverables", headers=world.h("pm")).get_json()[0]["id"]

    def upload(text: str) -> int:
        r = client.post(f"/api/deliverables/{d}/versions", headers=world.h("engineer"),
                        data={"file": (__import__("io").BytesIO(text.encode()), "a.md")},
                        content_type="multipart/form-data")
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    upload("第一稿")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(OutboxMessage)) == 0
        db.session().rollback()
    assert asked == []
    _webhook(app)
    second = upload("第二稿")
    with app.app_context():
        rows = db.session().execute(select(OutboxMessage.event_key, OutboxMessage.status)).all()
        db.session().rollback()
    assert rows == [(f"waiting:{second}:review", "pending")]


def test_imported_texts_are_stored_exactly_as_extracted(app, world, tmp_path):
    """search_texts of a batch (one COPY on PostgreSQL, an executemany elsewhere) hold each text
    as an upload would: backslashes, '\\N', tabs, carriage returns, quotes and other scripts
    unchanged, and searchable."""
    from deliverables.models import Version
    import unicodedata

    from search.extract import extract
    from search.models import SearchText
    hostile = ("路径 C:\\temp\\new 与 \\N 以及 \\\\N；制表\t符\r\n回车；引号 'x' \"y\"；"
               "Ελληνικά русский 한국어 日本語 emoji 🚀 markerhostilex\n")
    tree = tmp_path / "tree"
    write(tree, "02-需求/需求分析报告_V1.0_20240301.md", hostile)
    write(tree, "03-设计/详细设计说明书_V1.0_20240302.md", "第二个\\文件 markersecondx")
    r = cli(app, tree, "--project", "P1")
    assert "placed 2, duplicates skipped 0" in r.stdout, r.stdout
    with app.app_context():
        s = db.session()
        rows = s.execute(select(Version.filename, SearchText.name, SearchText.body, SearchText.status)
                         .join(SearchText, SearchText.version_id == Version.id).order_by(Version.id)).all()
        s.rollback()
    expected = unicodedata.normalize("NFKC", extract(tree / "02-需求" / "需求分析报告_V1.0_20240301.md",
                                                      "需求分析报告_V1.0_20240301.md"))  # stored as NFKC
    assert "\\N" in expected and "\t" in expected
    assert [(r.filename, r.status) for r in rows] == [("需求分析报告_V1.0_20240301.md", "extracted"),
                                                      ("详细设计说明书_V1.0_20240302.md", "extracted")]
    assert rows[0].body == expected and "需求分析报告" in rows[0].name
    assert "第二个\\文件 markersecondx" in rows[1].body
    for word in ("markerhostilex", "markersecondx"):
        hits = app.test_client().get("/api/search", query_string={"q": word}, headers=world.h("pm")).get_json()
        assert hits["total"] == 1, (word, hits)

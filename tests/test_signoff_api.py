"""Two-party sign-off, the client's view, bundles, the audit chain and fsck."""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest


def test_status_walks_missing_draft_in_review_signed_off(actions, client, world):
    d = actions.deliverable("test_plan")
    assert d["status"] == "missing"
    v = actions.upload(d["id"], b"plan v1", "测试计划.txt")
    assert actions.status(d["id"]) == "draft"
    r = actions.sign(v["id"], "pm")
    assert r.status_code == 201 and r.json["meaning"] == "审核" and r.json["sha256"] == v["sha256"]
    assert actions.status(d["id"]) == "in_review"
    r = actions.sign(v["id"], "client")
    assert r.status_code == 201 and r.json["meaning"] == "确认" and r.json["role"] == "client"
    assert actions.status(d["id"]) == "signed_off"
    hist = client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("client")).json
    assert [s["role"] for s in hist[0]["signoffs"]] == ["pm", "client"]
    assert hist[0]["signoffs"][0]["signer"] == "PM"


def test_rejection_and_new_version_restart(actions, client):
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"v1", "a.txt")
    # the client reaches a version only at her step (404 before), then may reject it there
    assert actions.sign(v1["id"], "client", "reject", "缺少停车子系统").status_code == 404
    assert actions.sign(v1["id"], "pm").status_code == 201
    r = actions.sign(v1["id"], "client", "reject", "缺少停车子系统")
    assert r.status_code == 201 and r.json["step"] == "confirm"
    assert actions.status(d["id"]) == "rejected"
    assert actions.sign(v1["id"], "pm2").status_code == 404
    assert actions.sign(v1["id"], "client", "reject", "").status_code == 400  # a rejection needs a reason
    v2 = actions.upload(d["id"], b"v2", "a.txt")
    assert actions.status(d["id"]) == "draft"
    assert actions.sign(v1["id"], "pm").status_code == 409  # no longer the latest
    assert actions.sign(v2["id"], "pm").status_code == 201
    assert actions.sign(v2["id"], "pm").status_code == 409  # nobody signs twice
    assert actions.sign(v2["id"], "client").status_code == 201
    assert actions.status(d["id"]) == "signed_off"
    actions.upload(d["id"], b"v3", "a.txt")
    assert actions.status(d["id"]) == "draft"
    assert actions.sign(v2["id"], "client").status_code in (404, 409)


@pytest.mark.parametrize("who,code", [("engineer", 403), ("admin", 403), ("pm2", 404), ("client2", 404),
                                      ("outsider", 404)])
def test_who_may_not_sign(actions, who, code):
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt")
    assert actions.sign(v["id"], who).status_code == code


def test_uploader_cannot_approve_own_version(actions):
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt", who="pm")
    r = actions.sign(v["id"], "pm")
    assert r.status_code == 403 and r.json["error"]["code"] == "own_upload"


def test_bad_signoff_bodies(actions, client, world):
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt")
    for body in ({}, {"decision": "maybe"}, {"decision": 1}, {"decision": "approve", "comment": 5}, []):
        r = client.post(f"/api/versions/{v['id']}/signoffs", json=body, headers=world.h("pm"))
        assert r.status_code == 400, body
    assert client.post("/api/versions/999999/signoffs", json={"decision": "approve"},
                       headers=world.h("pm")).status_code == 404


def test_client_sees_only_signed_off_versions(actions, client, world):
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"v1", "a.txt")
    # not signed off: invisible to the client everywhere
    assert client.get(f"/api/versions/{v1['id']}/file", headers=world.h("client")).status_code == 404
    assert client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("client")).json == []
    assert actions.deliverable("test_plan", who="client")["latest_version"] is None
    assert actions.deliverable("test_plan", who="client")["status"] == "draft"  # the register itself is visible
    actions.sign(v1["id"], "pm")
    actions.sign(v1["id"], "client")
    v2 = actions.upload(d["id"], b"v2", "a.txt")
    assert actions.deliverable("test_plan", who="client")["latest_version"]["id"] == v1["id"]
    assert [v["id"] for v in client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("client")).json] \
        == [v1["id"]]
    assert client.get(f"/api/versions/{v1['id']}/file", headers=world.h("client")).data == b"v1"
    assert client.get(f"/api/versions/{v2['id']}/file", headers=world.h("client")).status_code == 404
    assert client.get(f"/api/versions/{v1['id']}/file", headers=world.h("client2")).status_code == 404


def test_bundle_has_signed_off_files_in_phase_folders_and_manifest(actions, client, world):
    plan, kickoff, other = (actions.deliverable(k) for k in ("test_plan", "kickoff_meeting", "data_dictionary"))
    files = {}
    for d, name in ((plan, "测试计划.docx"), (kickoff, "../启动会议纪要.docx")):
        v = actions.upload(d["id"], f"content of {name}".encode(), name)
        actions.sign(v["id"], "pm")
        actions.sign(v["id"], "client")
        files[d["document_key"]] = v
    actions.upload(other["id"], b"unsigned", "dd.md")
    r = client.get("/api/projects/P1/bundle", headers=world.h("client"))
    assert r.status_code == 200 and r.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.data))
    names = z.namelist()
    assert "MANIFEST.csv" in names and len(names) == 3
    for info in z.infolist():
        assert not info.filename.startswith("/") and ".." not in info.filename.split("/")
        if not info.filename.isascii():
            assert info.flag_bits & 0x800, "UTF-8 names are flagged"
    assert any(n.startswith("01-项目启动/") for n in names) and any(n.startswith("05-测试/") for n in names)
    raw = z.read("MANIFEST.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r_["document"] for r_ in rows} == {"测试计划", "项目启动会议"}
    for row in rows:
        data = z.read(row["path"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and int(row["size"]) == len(data)
        assert "PM" in row["signed_by"] and "CLIENT" in row["signed_by"] and row["signed_at"]


def test_audit_verify_detects_tampering(actions, app, client, world, runner):
    from sqlalchemy import text
    from core import db
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt")
    actions.sign(v["id"], "pm")
    client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm"))
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        logged = [a for (a,) in db.session().execute(text("SELECT action FROM audit_entries ORDER BY seq"))]
        assert {"version.upload", "signoff.approve", "version.download"} <= set(logged)
        db.session().execute(text("UPDATE audit_entries SET username='mallory' WHERE seq=3"))
        db.session().commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "entry 3" in r.output


def test_audit_verify_detects_removed_entry(app, runner, world):
    from sqlalchemy import text
    from core import db
    with app.app_context():
        db.session().execute(text("DELETE FROM audit_entries WHERE seq=2"))
        db.session().commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "entry 2" in r.output


def test_fsck_finds_corrupt_missing_and_orphaned_blobs(actions, app, client, world, runner):
    import os
    from core.storage import blob_path
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"first", "a.txt")
    v2 = actions.upload(d["id"], b"second", "b.txt")
    assert runner.invoke(args=["fsck"]).exit_code == 0
    with app.app_context():
        p1, p2 = blob_path(v1["sha256"]), blob_path(v2["sha256"])
        orphan = p1.parent / ("f" * 64)
    os.chmod(p1, 0o644)
    p1.write_bytes(b"tampered")
    os.chmod(p2, 0o644)
    p2.unlink()
    orphan.write_bytes(b"orphan")
    r = runner.invoke(args=["fsck"])
    assert r.exit_code == 1
    assert f"corrupt: {v1['sha256']}" in r.output and f"missing: {v2['sha256']}" in r.output
    assert "orphaned:" in r.output
    os.utime(orphan, (0, 0))  # older than the grace period (younger orphans may be uploads in flight)
    r = runner.invoke(args=["fsck", "--repair"])
    assert not orphan.exists() and p1.exists(), "repair removes orphans only"
    assert r.exit_code == 1  # corrupt and missing remain
    r = client.get(f"/api/versions/{v2['id']}/file", headers=world.h("pm"))
    assert r.status_code == 404 and r.json["error"]["code"] == "blob_missing"


def test_bundle_keeps_the_signed_version_while_a_newer_one_is_in_review(actions, client, world):
    import zipfile as zf
    d = actions.deliverable("user_manual")
    v1 = actions.upload(d["id"], b"signed manual", "用户手册.docx")
    actions.sign(v1["id"], "pm")
    actions.sign(v1["id"], "client")
    actions.upload(d["id"], b"newer draft", "用户手册.docx")
    z = zf.ZipFile(io.BytesIO(client.get("/api/projects/P1/bundle", headers=world.h("client")).data))
    manuals = [n for n in z.namelist() if "用户手册" in n]
    assert len(manuals) == 1 and z.read(manuals[0]) == b"signed manual" and "-V1-" in manuals[0]


def test_audit_verify_detects_reordered_entries(app, runner, world):
    from sqlalchemy import text
    from core import db
    with app.app_context():
        s = db.session()
        s.execute(text("UPDATE audit_entries SET seq = -1 WHERE seq = 2"))
        s.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 3"))
        s.execute(text("UPDATE audit_entries SET seq = 3 WHERE seq = -1"))
        s.commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "entry 2" in r.output

"""Bulk import (issue 17): `flask --app app import` as a real subprocess, the ZIP page through
the worker's job, hostile ZIPs refused."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from core import db

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def _env(app) -> dict:
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
               PYTHONUNBUFFERED="1")
    return env


def cli(app, *args, check=True):
    r = subprocess.run(FLASK + ["import", *map(str, args)], cwd=ROOT, env=_env(app), capture_output=True,
                       text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def _at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp()


def write(root: Path, rel: str, text: str, mtime: str = "2024-06-01T08:00:00") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    os.utime(p, (_at(mtime), _at(mtime)))
    return p


def vendor_tree(root: Path) -> None:
    """A vendor's archive: folders per phase and per document, Chinese names, dates in names."""
    write(root, "02-需求/需求分析报告_V2.1_20240312.md", "需求分析 第二版 智慧园区", "2024-01-01T00:00:00")
    write(root, "02-需求/需求分析报告_V1.0_20240301.md", "需求分析 第一版", "2024-06-09T00:00:00")
    write(root, "02-需求/需求分析报告（初稿）.md", "需求分析 初稿，没有日期", "2023-12-01T00:00:00")
    write(root, "03-设计/详细设计说明书-v1.0.md", "详细设计 模块划分")
    write(root, "03-设计/备份/需求分析报告_V1.0_20240301 - 副本.md", "需求分析 第一版", "2024-06-10T00:00:00")  # same bytes: duplicate
    write(root, "05-测试/集成测试报告.md", "集成测试 结论 通过")
    write(root, "07-培训/培训资料/第一讲 系统概览.md", "培训 第一讲")
    write(root, "杂项/会议照片说明.txt", "这不是交付文档")
    write(root, "杂项/其他/测试记录一.md", "映射到测试案例")
    write(root, "02-需求/~$需求分析报告.docx", "lock file")


def versions_of(app, project: str, key: str) -> list:
    from deliverables.models import Deliverable, Version
    from projects.models import Project
    with app.app_context():
        s = db.session()
        rows = s.execute(select(Version.number, Version.filename, Version.note, Version.sha256, Version.uploaded_by_id)
                         .join(Deliverable, Deliverable.id == Version.deliverable_id)
                         .join(Project, Project.id == Deliverable.project_id)
                         .where(Project.code == project, Deliverable.document_key == key)
                         .order_by(Version.number)).all()
        s.rollback()
        return rows


def version_count(app) -> int:
    from deliverables.models import Version
    with app.app_context():
        n = db.session().scalar(select(func.count()).select_from(Version))
        db.session().rollback()
        return n


def test_import_places_orders_skips_and_reports(app, world, tmp_path):
    tree = tmp_path / "供应商归档"
    vendor_tree(tree)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("map:\n  \"杂项/其他/*.md\": test_cases\nignore:\n  - \"*.txt\"\n", encoding="utf-8")

    dry = cli(app, tree, "--project", "P1", "--dry-run")
    assert "dry run: nothing was changed" in dry.stdout
    assert "requirements_analysis" in dry.stdout and "杂项/会议照片说明.txt" in dry.stdout
    assert version_count(app) == 0  # a dry run writes nothing
    assert not (Path(app.config["HANDOVER_DATA"]) / "imports").exists()

    r = cli(app, tree, "--project", "P1")
    assert "unmatched: 杂项/会议照片说明.txt" in r.stdout and "unmatched: 杂项/其他/测试记录一.md" in r.stdout
    assert "placed 6, duplicates skipped 1, unmatched 2, ignored 1" in r.stdout, r.stdout
    report = Path(r.stdout.strip().splitlines()[-1].removeprefix("report: "))
    got = json.loads(report.read_text(encoding="utf-8"))
    assert got["unmatched"] == ["杂项/会议照片说明.txt", "杂项/其他/测试记录一.md"]
    assert got["duplicates"] == [{"file": "03-设计/备份/需求分析报告_V1.0_20240301 - 副本.md",
                                  "document": "requirements_analysis"}]

    # file-date order: mtime 2023-12-01 (no date in the name), then 20240301, then 20240312
    req = versions_of(app, "P1", "requirements_analysis")
    assert [v.filename for v in req] == ["需求分析报告（初稿）.md", "需求分析报告_V1.0_20240301.md",
                                         "需求分析报告_V2.1_20240312.md"]
    assert req[1].note.startswith("导入：原文件 02-需求/需求分析报告_V1.0_20240301.md，修改时间 2024-06-09 08:00:00")
    assert all(v.uploaded_by_id == world.ids["pm"] for v in req)  # the project's first pm
    assert [v.filename for v in versions_of(app, "P1", "system_design")] == ["详细设计说明书-v1.0.md"]
    assert len(versions_of(app, "P1", "integration_test_report")) == 1
    assert versions_of(app, "P1", "test_report") == []  # 集成测试报告 is not 测试报告
    assert len(versions_of(app, "P1", "training_materials")) == 1  # by its folder

    # the mapping file places the rest; everything imported before is a duplicate now
    again = cli(app, tree, "--project", "P1", "--map", mapping, "--as", "engineer")
    assert "placed 1, duplicates skipped 7, unmatched 0, ignored 2" in again.stdout, again.stdout
    assert [v.uploaded_by_id for v in versions_of(app, "P1", "test_cases")] == [world.ids["engineer"]]

    # searchable, and audited as uploads
    with app.app_context():
        from core.models import AuditEntry
        actions = db.session().scalars(select(AuditEntry.action).where(AuditEntry.action == "version.upload")).all()
        db.session().rollback()
    assert len(actions) == 7
    hits = app.test_client().get("/api/search?q=模块划分", headers=world.h("pm")).get_json()
    assert hits["total"] == 1


def test_import_refusals(app, world, tmp_path):
    tree = tmp_path / "t"
    write(tree, "需求分析报告.md", "x")
    r = cli(app, tree, "--project", "NOPE", check=False)
    assert r.returncode == 1 and "No project" in r.stderr
    r = cli(app, tree, "--project", "P1", "--as", "client", check=False)
    assert r.returncode == 1 and "error:" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("map:\n  '*.md': no_such_document\n", encoding="utf-8")
    r = cli(app, tree, "--project", "P1", "--map", bad, check=False)
    assert r.returncode == 1 and "no_such_document" in r.stderr
    assert version_count(app) == 0


def test_import_resumes_after_kill(app, world, tmp_path):
    tree = tmp_path / "many"
    n = 240
    for i in range(n):
        write(tree, f"05-测试/测试报告_V1.{i}_2024{1 + i % 12:02d}{1 + i % 28:02d}.md", f"测试报告 第 {i} 稿 " * 50)
    proc = subprocess.Popen(FLASK + ["import", str(tree), "--project", "P1", "--batch-size", "10"], cwd=ROOT,
                            env=_env(app), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if line.startswith("30/"):  # three batches committed: kill it in the middle of the fourth
            break
        assert line, seen
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    done = version_count(app)
    assert 30 <= done < n, done
    r = cli(app, tree, "--project", "P1")
    assert f"duplicates skipped {done}" in r.stdout, r.stdout
    rows = versions_of(app, "P1", "test_report")
    assert len(rows) == n and len({v.sha256 for v in rows}) == n  # every file exactly once
    assert [v.number for v in rows] == list(range(1, n + 1))


def test_the_next_batch_is_stored_while_one_is_recorded(app, world, tmp_path, monkeypatch):
    """The import's pipeline: batch 2's bytes are copied and synced while batch 1 is recorded
    (its recording waits here until batch 2's storing has begun: run one after the other, it
    would time out), every batch's blobs are on disk before its commit, and the versions are
    numbered in file-date order as without the pipeline."""
    import threading
    from core.models import User
    from core.storage import blob_path
    from deliverables import version_hooks
    from imports import run as importer
    from imports.matching import Matcher
    from projects.models import Project
    tree = tmp_path / "tree"
    for i in range(9):
        write(tree, f"05-测试/测试报告_V1.{i}_202401{i + 1:02d}.md", f"测试报告 第 {i} 稿 " * 20)
    stored, second_begun, seen = [], threading.Event(), []
    store = importer._store

    def spying_store(ids, known, batch, out):
        stored.append([it.relpath for it in batch])
        if len(stored) == 2:
            second_begun.set()
        return store(ids, known, batch, out)

    def recording(versions):
        seen.append((len(stored), all(blob_path(v.sha256).exists() for v in versions)))
        if len(seen) == 1:
            assert second_begun.wait(10), "batch 2 was not stored while batch 1 was recorded"

    monkeypatch.setattr(importer, "_store", spying_store)
    version_hooks.on_version_added(recording)
    try:
        with app.app_context():
            s = db.session()
            project = s.scalar(select(Project).where(Project.code == "P1"))
            out = importer.run(project, s.get(User, world.ids["pm"]), importer.plan(tree, Matcher([])), batch_files=3)
            s.rollback()
    finally:
        version_hooks._hooks.remove(recording)
    assert len(out.placed) == 9 and not out.failed and len(stored) == 3
    assert [ok for _, ok in seen] == [True, True, True]  # each batch's blobs were on disk first
    rows = versions_of(app, "P1", "test_report")
    assert [r.filename for r in rows] == [f"测试报告_V1.{i}_202401{i + 1:02d}.md" for i in range(9)]
    assert [r.number for r in rows] == list(range(1, 10))


# --- the ZIP page, through the worker's job ----------------------------------------------------

class GbkInfo(__import__("zipfile").ZipInfo):
    """An entry whose name is stored as GBK bytes without the UTF-8 flag (what the Windows
    Explorer of a Chinese system writes)."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def zip_bytes(entries, *, gbk=frozenset()) -> bytes:
    """A ZIP of (name, bytes); names in `gbk` are stored as GBK (see GbkInfo), the rest as UTF-8."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = (GbkInfo if name in gbk else zipfile.ZipInfo)(name, date_time=(2024, 3, 12, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    raw = buf.getvalue()
    assert "概要".encode("gbk") in raw or not gbk
    return raw


def run_import_jobs(app) -> int:
    """Execute the queued import jobs as the worker would (in-process); other jobs are dropped."""
    huey = app.extensions["huey"]
    n = 0
    while (task := huey.dequeue()) is not None:
        if task.name == "import_zip":
            huey.execute(task)
            n += 1
    return n


def test_zip_through_page_and_worker(app, world, tmp_path):
    from web_support import login, page_token
    c = app.test_client()
    login(c, "pm")
    token = page_token(c, "/projects/P1/import")
    assert c.get("/projects/P1/import").status_code == 200
    data = zip_bytes([("归档/02-需求/需求分析报告_V1.0_20240301.md", "需求 第一版".encode()),
                      ("归档/02-需求/需求分析报告_V2.1_20240312.md", "需求 第二版".encode()),
                      ("归档/03-设计/概要设计说明书.md", "设计".encode()),
                      ("归档/杂项/照片说明.txt", "无法对应".encode()),
                      ("归档/03-设计/重复/需求分析报告_V1.0_20240301.md", "需求 第一版".encode())],
                     gbk={"归档/03-设计/概要设计说明书.md"})
    r = c.post("/projects/P1/import", data={"csrf_token": token, "file": (__import__("io").BytesIO(data), "归档.zip")},
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    page = c.get("/projects/P1/import").get_data(as_text=True)
    assert 'data-status="queued"' in page and 'http-equiv="refresh"' in page
    assert version_count(app) == 0  # nothing before the worker
    assert run_import_jobs(app) == 1
    page = c.get("/projects/P1/import").get_data(as_text=True)
    assert 'data-status="done"' in page and "归档/杂项/照片说明.txt" in page and 'http-equiv="refresh"' not in page
    runs = app.test_client().get("/api/projects/P1/imports", headers=world.h("pm")).get_json()["imports"]
    counts = runs[0]["result"]["counts"]
    assert (counts["placed"], counts["duplicates"], counts["unmatched"]) == (3, 1, 1), runs[0]
    assert [v.filename for v in versions_of(app, "P1", "system_design")] == ["概要设计说明书.md"]  # GBK name
    assert len(versions_of(app, "P1", "requirements_analysis")) == 2
    assert not list((Path(app.config["HANDOVER_DATA"]) / "imports").glob("*.zip"))  # kept until done
    c.get("/lang/en")
    page = c.get("/projects/P1/import").get_data(as_text=True)
    assert "Bulk import" in page and "Files that could not be placed" in page
    # engineers and clients may not import; the API answers in the shared error shape
    r = app.test_client().post("/api/projects/P1/imports", headers=world.h("engineer"),
                               data={"file": (__import__("io").BytesIO(data), "a.zip")},
                               content_type="multipart/form-data")
    assert r.status_code == 403 and r.get_json()["error"]["code"]


def _hostile(kind: str) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if kind == "absolute":
            zf.writestr(zipfile.ZipInfo("/etc/需求分析报告.md"), b"x")
        elif kind == "dotdot":
            zf.writestr(zipfile.ZipInfo("归档/../../需求分析报告.md"), b"x")
        elif kind == "symlink":
            info = zipfile.ZipInfo("归档/需求分析报告.md")
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, b"/etc/passwd")
        elif kind == "bomb":
            zf.writestr("需求分析报告.md", b"\0" * (64 * 1024 * 1024))
        elif kind == "backslash":
            zf.writestr(zipfile.ZipInfo("..\\..\\需求分析报告.md"), b"x")
        elif kind == "count":
            for i in range(20_001):
                zf.writestr(f"d/{i}.md", b"")
    if kind == "garbage":
        return b"PK\x03\x04 not a zip at all"
    return buf.getvalue()


def test_hostile_zips_refused(app, world):
    import io
    api = app.test_client()
    expect = {"absolute": (400, "unsafe_zip"), "dotdot": (400, "unsafe_zip"), "symlink": (400, "unsafe_zip"),
              "backslash": (400, "unsafe_zip"), "bomb": (413, "zip_too_large"), "count": (413, "zip_too_large"),
              "garbage": (400, "invalid_zip")}
    for kind, (status, code) in expect.items():
        r = api.post("/api/projects/P1/imports", headers=world.h("pm"),
                     data={"file": (io.BytesIO(_hostile(kind)), f"{kind}.zip")}, content_type="multipart/form-data")
        assert r.status_code == status, (kind, r.status_code, r.get_data(as_text=True))
        assert r.get_json()["error"]["code"] == code, kind
    r = api.post("/api/projects/P1/imports", headers=world.h("pm"), json={})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "missing_file"
    assert api.get("/api/projects/P1/imports", headers=world.h("pm")).get_json() == {"imports": []}
    assert not list((Path(app.config["HANDOVER_DATA"]) / "imports").glob("*.zip"))
    # the page refuses the same way: the message comes back on the page
    from web_support import login, page_token
    c = app.test_client()
    login(c, "pm")
    token = page_token(c, "/projects/P1/import")
    r = c.post("/projects/P1/import", data={"csrf_token": token, "file": (io.BytesIO(_hostile("dotdot")), "x.zip")},
               content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and "ZIP 被拒绝" in r.get_data(as_text=True)


def test_matching_rules():
    """Names, folders, dates, versions and mapping patterns (no database)."""
    from datetime import date

    from imports.matching import Matcher, Rule, _glob, date_in_name, load_mapping, version_in_name
    m = Matcher()
    assert m.match("需求分析报告_V2.1_20240312.docx") == ("requirements_analysis", "name")
    assert m.match("03-设计/详细设计说明书-v1.0.docx") == ("system_design", "name")
    assert m.match("05-测试/集成测试报告(终稿).docx") == ("integration_test_report", "name")
    assert m.match("05-测试/测试报告.docx") == ("test_report", "name")
    assert m.match("用户培训/培训资料/第一讲.pptx") == ("training_materials", "folder")
    assert m.match("杂项/照片.jpg") == (None, "unmatched")
    assert m.match("Ｖ2/ＴＥＳＴ ＰＬＡＮ.docx") == ("test_plan", "name")  # full-width, English name
    assert m.ignored("02-需求/~$需求分析报告.docx") and m.ignored("__MACOSX/a.md") and m.ignored("a/.DS_Store")
    assert date_in_name("需求分析报告_V2.1_20240312.docx") == date(2024, 3, 12)
    assert date_in_name("纪要 2024-03-05.docx") == date(2024, 3, 5)
    assert date_in_name("纪要2024年03月05日.docx") == date(2024, 3, 5)
    assert date_in_name("编号20241399.docx") is None and date_in_name("V1.0.docx") is None
    assert version_in_name("a_V2.1_20240312.docx") == (2, 1) and version_in_name("a-v10.docx") == (10,)
    assert _glob("03-设计/*.docx", "03-设计/a.docx") and not _glob("03-设计/*.docx", "03-设计/x/a.docx")
    assert _glob("03-设计/**/*.docx", "03-设计/x/y/a.docx") and _glob("杂项/", "杂项/x/a.md")
    assert _glob("会议纪要*", "x/y/会议纪要3.docx")
    rules = load_mapping("map:\n  - '杂项/*': kickoff_meeting\n  - '*.xls': test_cases\nignore: ['*.tmp2']\n")
    assert rules == [Rule("杂项/*", "kickoff_meeting"), Rule("*.xls", "test_cases"), Rule("*.tmp2", None)]
    m2 = Matcher(rules)
    assert m2.match("杂项/需求分析报告.docx") == ("kickoff_meeting", "map")  # the mapping first
    assert m2.match("a/b.tmp2") == (None, "ignore")


def test_a_run_whose_worker_died_is_taken_again(app, world, clock):
    """A ZIP accepted, its worker killed mid-run (row left `running`): a second job is refused
    while the run shows life; after STALE without any, the sweep queues it and it completes."""
    import io

    from imports import zipimport
    from imports.models import ImportRun
    api = app.test_client()
    data = zip_bytes([("需求分析报告_V1.0_20240301.md", "需求 第一版".encode())])
    r = api.post("/api/projects/P1/imports", headers=world.h("pm"), data={"file": (io.BytesIO(data), "a.zip")},
                 content_type="multipart/form-data")
    assert r.status_code == 202 and r.get_json()["status"] == "queued"
    run_id = r.get_json()["id"]
    app.extensions["huey"].flush()  # the job is lost with its worker
    with app.app_context():
        assert zipimport._claim(run_id)  # the dead worker had claimed it
        assert zipimport.import_zip(run_id) == "running elsewhere"  # alive for now: not taken twice
        assert zipimport.sweep() == 0
        clock.advance(minutes=11)
        assert zipimport.sweep() == 1
    assert run_import_jobs(app) == 1
    with app.app_context():
        assert db.session().get(ImportRun, run_id).status == "done"
        db.session().rollback()
    assert len(versions_of(app, "P1", "requirements_analysis")) == 1


def test_zip_imported_by_a_real_worker_process(app, world, tmp_path):
    """`flask worker` as a real process takes the queued import and completes it."""
    import io

    from processes import stop, wait_for, wait_for_line
    data = zip_bytes([("归档/需求分析报告_V1.0_20240301.md", "需求 第一版".encode()),
                      ("归档/未知/随便.md", "无法对应".encode())])
    api = app.test_client()
    r = api.post("/api/projects/P1/imports", headers=world.h("pm"), data={"file": (io.BytesIO(data), "a.zip")},
                 content_type="multipart/form-data")
    assert r.status_code == 202
    log = tmp_path / "worker.log"
    with open(log, "ab") as out:
        worker = subprocess.Popen(FLASK + ["worker", "--threads", "1"], cwd=ROOT, env=_env(app), stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_line(log, "worker: queue", worker)

        def done():
            runs = api.get("/api/projects/P1/imports", headers=world.h("pm")).get_json()["imports"]
            return runs[0] if runs[0]["status"] in ("done", "failed") else None
        got = wait_for(done, seconds=90)
    finally:
        stop(worker)
    assert got["status"] == "done", (got, log.read_text(errors="replace")[-3000:])
    assert got["result"]["counts"]["placed"] == 1 and got["result"]["unmatched"] == ["归档/未知/随便.md"]

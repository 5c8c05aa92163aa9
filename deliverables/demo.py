"""The documents part of the demo: users of every role and two projects with a history.

The whole demo (documents and maintenance) is seeded by the top-level demo.py."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core import db
from core.clock import local_tz, now
from core.models import User
from core.users import create_user
from core.storage import store_bytes
from deliverables.drafts import generate_draft
from deliverables.signing_copy import signing_copy
from deliverables.models import Deliverable
from projects.models import Project
from deliverables.projects import create_project
from projects.membership import add_member
from deliverables.signoffs import sign
from deliverables.workflow import Step, set_workflow
from deliverables.versions import add_version

DEMO_PASSWORD = "handover-demo"
USERS = [  # username, role, display name, organisation
    ("admin", "admin", "系统管理员", "交付通系统集成有限公司"),
    ("zhang.pm", "pm", "张伟", "交付通系统集成有限公司"),
    ("li.eng", "engineer", "李娜", "交付通系统集成有限公司"),
    ("zhao.ops", "engineer", "赵强", "交付通系统集成有限公司"),
    ("wang.client", "client", "王芳", "某市城市管理局"),  # the demo project's client (a client joins only its own)
]


def _user(username, role, name, org) -> User:
    user = db.session().scalar(select(User).where(User.username == username))
    if user is None:
        user, _ = create_user(username, role, password=DEMO_PASSWORD, display_name=name, organisation=org,
                              phone="138-0000-0000", email=f"{username}@example.com")
    return user


def _deliverable(project: Project, key: str) -> Deliverable:
    return db.session().scalar(select(Deliverable).where(Deliverable.project_id == project.id,
                                                         Deliverable.document_key == key))


def seed_users() -> dict[str, User]:
    """The demo users by username (created once)."""
    return {u[0]: _user(*u) for u in USERS}


def demo_project() -> Project | None:
    return db.session().scalar(select(Project).where(Project.code == "ZHYQ-2026"))


def seed_documents(users: dict[str, User]) -> Project:
    """Create the demo projects and their document history (call only when demo_project() is None)."""
    today = now().astimezone(local_tz()).date()
    project = create_project(users["admin"], "ZHYQ-2026", "智慧园区综合管理平台", "某市城市管理局",
                             description="园区安防、能耗、停车与运维一体化管理平台建设项目",
                             warranty_until=today + timedelta(days=365),
                             maintenance_start=today - timedelta(days=45))
    for name in ("zhang.pm", "li.eng", "zhao.ops", "wang.client"):
        add_member(users["admin"], project, users[name])
    pm, eng, client = users["zhang.pm"], users["li.eng"], users["wang.client"]
    # The default chain with due times (working days): 审核 3, 确认 5 (deliverables.workflow).
    set_workflow(users["admin"], project, [Step("review", "审核", "pm", due_days=3),
                                           Step("confirm", "确认", "client", due_days=5)], {})
    # Signed off: kick-off minutes, master plan, requirements analysis, support manual.
    for key in ("kickoff_meeting", "master_plan", "requirements_analysis", "support_manual"):
        d = _deliverable(project, key)
        v = signing_copy(eng, generate_draft(eng, d, "docx"))  # 填写说明 removed before the client's step
        sign(pm, v, "approve", "内容完整，同意提交甲方确认。")
        sign(client, v, "approve", "确认。")
    # In review: system design approved by the pm only.
    v = signing_copy(eng, generate_draft(eng, _deliverable(project, "system_design"), "docx"))
    sign(pm, v, "approve", "已审核。")
    # Rejected: test plan.
    v = generate_draft(eng, _deliverable(project, "test_plan"), "md")
    sign(pm, v, "reject", "测试范围缺少停车子系统，请补充。")
    # Drafts: data dictionary (Markdown) and an uploaded test-case sheet.
    generate_draft(eng, _deliverable(project, "data_dictionary"), "md")
    add_version(eng, _deliverable(project, "test_cases"),
                store_bytes("用例编号,测试项,预期结果\nTC-001,登录,成功\nTC-002,门禁联动,开门\n".encode("utf-8")),
                "测试案例-第一轮.csv", note="第一轮集成测试用例")
    # A second, smaller project for the portfolio.
    p2 = create_project(users["admin"], "SJZX-2026", "数据中心机房改造工程", "某市大数据发展中心",
                        warranty_until=date(2027, 6, 30))
    for name in ("zhang.pm", "li.eng"):
        add_member(users["admin"], p2, users[name])
    v = signing_copy(eng, generate_draft(eng, _deliverable(p2, "pm_engineering_plan"), "docx"))
    sign(pm, v, "approve", "同意。")
    return project

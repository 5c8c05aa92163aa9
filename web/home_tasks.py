"""The home page's 待办 (issue 13) and the words the workflow pages share.

The tasks are todo.tasks.tasks_for(user), the same list as GET /api/me/tasks; this module only
groups them by kind (sign, revise, fault, record: GROUP_ORDER; inside a group the order of
tasks_for: overdue first, then by due time; the page shows five and folds the rest) and says each one in the user's language with its link.
`waiting_text` is the register's "待甲方确认 · 王芳 · 剩 2 个工作日".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import func, select

from core import db
from core.clock import now
from core.labels import ROLE_ZH
from deliverables import workflow
from deliverables.labels import display_name
from deliverables.models import Deliverable, Version
from maintenance.labels import FAULT_STAGE_ZH
from todo.tasks import Task, tasks_for
from web.i18n import catalog, current_lang, gettext as _
from core.messages import N_

GROUP_TITLES = {"sign": N_("待我签署"), "revise": N_("被驳回待修改"), "record": N_("待提交的记录"),
                "fault": N_("待我方处理的故障")}
# Groups in this order: faults (deadlines in hours) before records (days, and often many).
GROUP_ORDER = ("sign", "revise", "fault", "record")
# The side of a role in "待甲方确认" (the client is 甲方; the vendor's people by their role).
SIDE_ZH = {"client": N_("甲方"), "pm": N_("项目经理"), "engineer": N_("工程师")}


@dataclass
class TaskItem:
    task: Task
    label: str          # 待我审核 / 被驳回 / 记录 / 故障
    url: str
    overdue: bool
    due_text: str       # 剩 2 个工作日 / 逾期 1 个工作日 / 还剩 3小时 / ""


@dataclass
class TaskGroup:
    kind: str
    title: str
    items: list[TaskItem]

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)


def step_name(name_zh: str | None) -> str:
    """A step's Chinese name in the UI language (the name itself when the catalog lacks it)."""
    return _(name_zh) if name_zh else ""


def waiting_me(name_zh: str) -> str:
    """待我校对 / 待我审核 / 待我批准 / 待我确认 (any other step: 待我 + its name)."""
    key = f"待我{name_zh}"
    if current_lang() == "en" and key not in catalog("en"):
        return _("待我{step}", step=step_name(name_zh))
    return _(key) if current_lang() == "en" else key


def workdays_text(due: datetime | None, at: datetime | None = None) -> str:
    """剩 2 个工作日 / 今天到期 / 逾期 1 个工作日 (the catalog's working days, 调休 included)."""
    if due is None:
        return ""
    at = at or now()
    n = workflow.workdays_left(due, at)
    if due < at:
        return _("逾期 {n} 个工作日", n=max(-n, 1)) if n < 0 else _("今天已逾期")
    return _("剩 {n} 个工作日", n=n) if n > 0 else _("今天到期")


def waiting_text(w: workflow.Waiting | None, at: datetime | None = None) -> str:
    """待甲方确认 · 王芳 · 剩 2 个工作日 (empty when nothing waits)."""
    if w is None:
        return ""
    side = _(SIDE_ZH.get(w.role, w.role))
    parts = [_("待{side}{step}", side=side[:1].upper() + side[1:], step=step_name(w.name_zh))]
    if w.users:
        parts.append("、".join(w.users) if current_lang() == "zh" else ", ".join(w.users))
    else:
        parts.append(_("暂无可签署成员"))
    due = workdays_text(w.due_at, at)
    if due:
        parts.append(due)
    return " · ".join(parts)


def _item(t: Task, at: datetime) -> TaskItem:
    overdue = t.overdue(at)
    if t.kind == "sign":
        return TaskItem(t, waiting_me((t.step or {}).get("name_zh") or ""),
                        url_for("web.deliverable_page", deliverable_id=t.deliverable_id, _anchor="sign-card"),
                        overdue, workdays_text(t.due_at, at))
    if t.kind == "revise":
        return TaskItem(t, _("被驳回"), url_for("web.deliverable_page", deliverable_id=t.deliverable_id,
                                               _anchor="upload-card"), overdue, "")
    if t.kind == "record":
        return TaskItem(t, _("记录"), url_for("web.deliverable_page", deliverable_id=t.deliverable_id), overdue, "")
    # A fault says what it waits for (待响应 / 处理中 / 待确认关闭: maintenance.labels.fault_stage).
    label = _(FAULT_STAGE_ZH[t.stage]) if t.stage in FAULT_STAGE_ZH else _("故障")
    return TaskItem(t, label, url_for("web.fault_page", fault_id=t.fault_id), overdue, "")


def _english_titles(tasks: list[Task]) -> dict[int, str]:
    """{deliverable id: English name} for the tasks' deliverables (one query; the tasks'
    titles are the Chinese names)."""
    ids = {t.deliverable_id for t in tasks if t.deliverable_id}
    if not ids:
        return {}
    return {d.id: display_name(d, "en") for d in db.session().scalars(select(Deliverable).where(Deliverable.id.in_(ids)))}


def task_groups(user) -> list[TaskGroup]:
    """The user's tasks grouped by kind (empty groups left out)."""
    at = now()
    tasks = tasks_for(user)
    if current_lang() == "en":
        names = _english_titles(tasks)
        for t in tasks:
            if t.deliverable_id in names:
                t.title = names[t.deliverable_id] + (f" V{t.number}" if t.number else "")
    items = [_item(t, at) for t in tasks]
    return [TaskGroup(k, _(GROUP_TITLES[k]), [i for i in items if i.task.kind == k])
            for k in GROUP_ORDER if any(i.task.kind == k for i in items)]


def waiting_counts(project_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """{project id: [(step key, step name, number of deliverables whose latest version waits
    there)]} for the portfolio's links to the register filtered by step; one query."""
    out: dict[int, list[tuple[str, str, int]]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return out
    q = (select(Deliverable.project_id, Version.step_key, Version.step_name, func.count())
         .join(Version, Version.id == Deliverable.latest_version_id)
         .where(Deliverable.project_id.in_(project_ids), Version.step_index.is_not(None))
         .group_by(Deliverable.project_id, Version.step_key, Version.step_name)
         .order_by(Deliverable.project_id, func.min(Version.step_index), Version.step_key))
    for pid, key, name, n in db.session().execute(q):
        out[pid].append((key, name, n))
    return out


def role_label(role: str) -> str:
    return _(ROLE_ZH.get(role, role))

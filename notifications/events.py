"""What happened, told to whom: called by domain code INSIDE its transaction (the outbox row
commits or rolls back with the event). Who is told is the contract's "Notifications":
a version at a step → every user who may act on it; a rejection → the uploader; a reported
fault → the project's pm and engineers; an escalation → its pm and client; a step or record
past its due time → a reminder (once: see notifications.reminders).

Objects are read by attribute (a version's id, number, deliverable, uploaded_by; a fault's
id, number, level, title, project, ...), so this module imports no domain area."""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import select

from core import db
from core.clock import local_tz
from core.models import User
from core.roles import CLIENT, ENGINEER, PM
from notifications.outbox import listening, queue, withdraw_many
from projects.models import Membership

LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def _attr(obj, name: str, default=None):
    """`obj.name` or `obj[name]` (a workflow step may be a row or a dict)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _local(dt: datetime | None) -> str:
    return dt.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M") if dt is not None else "—"


def _level(level) -> str:
    return LEVEL_ZH.get(level, f"{level}级")


def project_members(project_id: int, roles: tuple[str, ...], exclude_id: int | None = None) -> list[User]:
    """The project's active members with one of `roles` (but `exclude_id`)."""
    q = (select(User).join(Membership, Membership.user_id == User.id)
         .where(Membership.project_id == project_id, User.role.in_(roles), User.active.is_(True))
         .order_by(User.id))
    return [u for u in db.session().scalars(q) if u.id != exclude_id]


def _doc(version) -> tuple:
    d = version.deliverable
    project = d.project
    title = d.title or d.document_key
    return d, project, f"{title} V{version.number}"


def version_waiting(version, step, users: Iterable[User] | Callable[[], Iterable[User]]) -> int:
    """A version reached a workflow step (`step`: key, name_zh, role); `users` may act on it
    (or a function giving them: called only when a notice is e-mailed). Nothing is worked out
    when no notice would reach anyone (no e-mail set up, no robot for the project)."""
    d = version.deliverable
    if not listening(d.project_id):
        return 0
    d, project, doc = _doc(version)
    name = _attr(step, "name_zh") or _attr(step, "key")
    subject = f"【{project.code}】待您{name}：{doc}"
    body = (f"项目：{project.code} {project.name}\n文档：{doc}\n步骤：{name}\n"
            f"上传人：{version.uploaded_by.name if version.uploaded_by else '—'}\n请登录系统查看并处理。")
    return queue(f"waiting:{version.id}:{_attr(step, 'key')}", "sign", project.id, users, subject, body,
                 f"/deliverables/{d.id}")


def version_left_step(version) -> None:
    """`version` left the step it waited at (moved on, signed off, rejected or superseded by a
    newer version): its "waiting for you" notices not sent yet are withdrawn, so an import of
    many historic versions, or a step another member completed first, tells nobody twice."""
    versions_left_step([version])


def versions_left_step(versions: Iterable) -> None:
    """version_left_step() for several versions at once (one statement)."""
    withdraw_many((f"waiting:{v.id}:" for v in versions), "the version no longer waits at this step")


def version_rejected(version, signoff) -> int:
    """A version was rejected (at any step): its uploader is told, with the comment."""
    d, project, doc = _doc(version)
    subject = f"【{project.code}】您上传的 {doc} 被驳回"
    body = (f"项目：{project.code} {project.name}\n文档：{doc}\n驳回人：{signoff.signer_name}\n"
            f"驳回意见：{signoff.comment or '—'}\n请修改后上传新版本。")
    users = [version.uploaded_by] if version.uploaded_by is not None else []
    return queue(f"rejected:{version.id}", "rejected", project.id, users, subject, body, f"/deliverables/{d.id}")


def fault_reported(fault, ref: str, actor: User | None = None) -> int:
    """A fault was reported: the project's pm and engineers are told (not the reporter himself).
    `ref` is the fault's reference as people quote it (maintenance.labels.fault_ref_of)."""
    project = fault.project
    subject = f"【{project.code}】新故障 {ref}（{_level(fault.level)}）：{fault.title}"
    body = (f"项目：{project.code} {project.name}\n故障：{ref} {fault.title}\n级别：{_level(fault.level)}\n"
            f"申报时间：{_local(fault.reported_at)}\n响应时限：{_local(fault.respond_by)}\n"
            f"恢复时限：{_local(fault.restore_by)}\n"
            + (f"描述：{fault.description}\n" if fault.description else "") + "请及时响应。")
    users = project_members(project.id, (PM, ENGINEER), exclude_id=actor.id if actor is not None else None)
    return queue(f"fault:{fault.id}", "fault", project.id, users, subject, body, f"/faults/{fault.id}")


def fault_escalated(fault, escalation, ref: str) -> int:
    """A fault rose a level (`escalation`: from_level, to_level, at): its pm and client are told."""
    project = fault.project
    subject = (f"【{project.code}】故障升级 {ref}：{_level(escalation.from_level)} → "
               f"{_level(escalation.to_level)}")
    body = (f"项目：{project.code} {project.name}\n故障：{ref} {fault.title}\n"
            f"升级：{_level(escalation.from_level)} → {_level(escalation.to_level)}（{_local(escalation.at)}，"
            f"未在恢复时限内恢复）\n新的恢复时限：{_local(fault.restore_by)}")
    users = project_members(project.id, (PM, CLIENT))
    return queue(f"escalation:{fault.id}:{escalation.to_level}", "escalation", project.id, users, subject, body,
                 f"/faults/{fault.id}")


def step_overdue(version, step, users: Iterable[User], due_at: datetime | None = None) -> int:
    """Reminder: a version waits at `step` past its due time; `users` may act on it."""
    d, project, doc = _doc(version)
    name = _attr(step, "name_zh") or _attr(step, "key")
    subject = f"【{project.code}】提醒：{doc} 的{name}已超期"
    body = (f"项目：{project.code} {project.name}\n文档：{doc}\n步骤：{name}\n"
            f"到期时间：{_local(due_at or _attr(step, 'due_at'))}\n请尽快处理。")
    return queue(f"step_overdue:{version.id}:{_attr(step, 'key')}", "reminder", project.id, users, subject, body,
                 f"/deliverables/{d.id}")


def record_overdue(record_deliverable, users: Iterable[User]) -> int:
    """Reminder: a maintenance record instance passed its due time without a version."""
    d = record_deliverable
    project = d.project
    title = d.title or f"{d.document_key} {d.period}"
    subject = f"【{project.code}】提醒：{title} 已到期未提交"
    body = (f"项目：{project.code} {project.name}\n记录：{title}\n到期时间：{_local(d.due_at)}\n"
            "请尽快填写并上传。")
    return queue(f"record_overdue:{d.id}", "reminder", project.id, users, subject, body, f"/deliverables/{d.id}")

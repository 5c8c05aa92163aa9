"""Each user's notification settings (address, which notices) and a project's robot webhook."""
from __future__ import annotations

from sqlalchemy import select

from core import audit, db
from core.clock import now
from core.errors import UserValueError
from core.models import User
from core.users import clean_email
from notifications.models import NoticePreference, ProjectWebhook
from notifications.outbox import KINDS
from notifications.webhooks import KINDS as WEBHOOK_KINDS, check_url, mask
from projects.permissions import may_manage_webhook, require

def preferences(user: User) -> dict[str, bool]:
    """kind -> wanted, for every kind of notice (no stored row: wanted)."""
    stored = {p.kind: p.enabled for p in db.session().scalars(
        select(NoticePreference).where(NoticePreference.user_id == user.id))}
    return {k: stored.get(k, True) for k in KINDS}


def save_settings(user: User, *, email: str | None = None, wanted: dict[str, bool] | None = None) -> dict:
    """A user sets his own address and which notices he wants (`wanted`: kind -> bool)."""
    s = db.session()
    if email is not None:
        user.email = clean_email(email)
    if wanted is not None:
        unknown = set(wanted) - set(KINDS)
        if unknown:
            raise UserValueError(f"Unknown notice kind: {', '.join(sorted(unknown))}.", "invalid_choice")
        rows = {p.kind: p for p in s.scalars(select(NoticePreference).where(NoticePreference.user_id == user.id))}
        for kind, on in wanted.items():
            if kind in rows:
                rows[kind].enabled = bool(on)
            else:
                s.add(NoticePreference(user_id=user.id, kind=kind, enabled=bool(on)))
    s.flush()
    prefs = preferences(user)
    audit.record("user.notices", user, object_type="user", object_id=user.id, email_set=bool(user.email),
                 off=[k for k, v in prefs.items() if not v])
    return {"email": user.email, "notices": prefs}


def webhook_json(project) -> dict:
    """The project's webhook as shown: kind and masked URL (null when none)."""
    hook = db.session().get(ProjectWebhook, project.id)
    if hook is None:
        return {"webhook": None}
    return {"webhook": {"kind": hook.kind, "url": mask(hook.url)}}


def set_webhook(actor: User, project, kind: str | None, url: str | None) -> dict:
    """Set (kind and url) or remove (url empty) the project's group robot. Admin only."""
    require(may_manage_webhook(actor, project))
    s = db.session()
    hook = s.get(ProjectWebhook, project.id)
    if not (url or "").strip():
        if hook is not None:
            s.delete(hook)
            s.flush()
        audit.record("project.webhook", actor, object_type="project", object_id=project.id,
                     project_code=project.code, removed=True)
        return {"webhook": None}
    if kind not in WEBHOOK_KINDS:
        raise UserValueError(f"'kind' must be one of {', '.join(WEBHOOK_KINDS)}.", "invalid_choice")
    url = check_url(url)
    if hook is None:
        hook = ProjectWebhook(project_id=project.id, kind=kind, url=url, updated_by_id=actor.id, updated_at=now())
        s.add(hook)
    else:
        hook.kind, hook.url, hook.updated_by_id, hook.updated_at = kind, url, actor.id, now()
    s.flush()
    audit.record("project.webhook", actor, object_type="project", object_id=project.id, project_code=project.code,
                 kind=kind, url=mask(url))
    return webhook_json(project)

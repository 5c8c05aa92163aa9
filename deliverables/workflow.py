"""Sign-off workflows: the chain of steps a version passes before it is signed off (issue 13).

Rules (the one place; projects.permissions.may_sign reads the version's columns they keep):
- a project has a chain of steps (default 审核 pm → 确认 client) and may override it per
  catalog document; each step has a role (pm / engineer / client), a quorum ("any": one
  approval completes the step, "all": every eligible user must approve), optionally named
  members (only they may act) and optionally a due time in working days (catalog calendar,
  调休 included).
- a valid chain: at least one step, unique keys, known roles, the client steps come last
  (at least one), and at least one vendor step before them.
- a version copies the chain of its project/document when it is added (Version.chain) and
  waits at its first step; a changed workflow affects only later versions.
- who may act at a step: members of the project with the step's role (or the named ones),
  never the version's uploader (for approving), never twice on one version.
- an approval completing a step moves the version to the next step (a step already complete
  is passed); past the last step the version is signed off. A rejection at any step ends it.
- a new version supersedes the earlier one: that one waits for nobody any more.
The status of a deliverable stays deliverables.signoff_state (the one rule).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Iterable

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm.util import identity_key

from catalog import get_catalog
from core import audit, cleaning, db
from core.clock import local_tz, now
from core.errors import UserValueError
from core.models import User
from core.roles import CLIENT, ENGINEER, PM
from deliverables.models import Deliverable, Signoff, Version, Workflow
from notifications import events
from projects.models import Membership, Project

STEP_ROLES = (PM, ENGINEER, CLIENT)
VENDOR_STEP_ROLES = (PM, ENGINEER)
QUORUMS = ("any", "all")
MAX_STEPS = 10
MAX_DUE_DAYS = 365


@dataclass(frozen=True)
class Step:
    key: str
    name_zh: str
    role: str
    quorum: str = "any"
    users: tuple[int, ...] = ()       # named members (user ids); empty: every member of the role
    due_days: int | None = None       # working days from entering the step

    def as_json(self) -> dict:
        out = {"key": self.key, "name_zh": self.name_zh, "role": self.role, "quorum": self.quorum}
        if self.users:
            out["users"] = list(self.users)
        if self.due_days is not None:
            out["due_days"] = self.due_days
        return out

    @classmethod
    def from_json(cls, raw: dict) -> "Step":
        return cls(raw["key"], raw["name_zh"], raw["role"], raw.get("quorum", "any"),
                   tuple(raw.get("users") or ()), raw.get("due_days"))


DEFAULT_STEPS: tuple[Step, ...] = (Step("review", "审核", PM), Step("confirm", "确认", CLIENT))


# --- chains of a project ---------------------------------------------------------------------

def dumps(steps: Iterable[Step]) -> str:
    return json.dumps([s.as_json() for s in steps], ensure_ascii=False)


def loads(text: str | None) -> list[Step]:
    """The steps of a stored chain ("" = the default chain: rows older than workflows)."""
    if not text:
        return list(DEFAULT_STEPS)
    return [Step.from_json(s) for s in json.loads(text)]


def project_workflow(project_id: int) -> tuple[list[Step], dict[str, list[Step]]]:
    """(the project's chain, {document_key: its override}) in one query."""
    rows = db.session().scalars(select(Workflow).where(Workflow.project_id == project_id))
    base, docs = list(DEFAULT_STEPS), {}
    for w in rows:
        if w.document_key:
            docs[w.document_key] = loads(w.steps)
        else:
            base = loads(w.steps)
    return base, dict(sorted(docs.items()))


def steps_for(project_id: int, document_key: str) -> list[Step]:
    """The chain a new version of `document_key` in the project starts with."""
    s = db.session()
    row = s.scalar(select(Workflow.steps).where(Workflow.project_id == project_id,
                                                Workflow.document_key.in_((document_key, "")))
                   .order_by(Workflow.document_key.desc()).limit(1))
    return loads(row) if row is not None else list(DEFAULT_STEPS)


def _bad(message: str, code: str, **params) -> UserValueError:
    return UserValueError(message, code, **params)


def parse_steps(raw, project_id: int, where: str = "steps") -> list[Step]:
    """Validate a chain from a request body (users by username); raise UserValueError (400)."""
    if not isinstance(raw, list) or not raw:
        raise _bad(f"'{where}' must be a non-empty list of steps.", "workflow_no_steps", where=where)
    if len(raw) > MAX_STEPS:
        raise _bad(f"A workflow has at most {MAX_STEPS} steps.", "workflow_too_long", max_steps=MAX_STEPS)
    steps, keys = [], set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _bad(f"Step {i + 1} of '{where}' must be an object.", "workflow_bad_step", n=i + 1)
        unknown = set(item) - {"key", "name_zh", "role", "quorum", "users", "due_days"}
        if unknown:
            raise _bad(f"Unknown fields in step {i + 1}: {', '.join(sorted(map(str, unknown)))}.",
                       "workflow_bad_step", n=i + 1)
        key, name, role = item.get("key"), item.get("name_zh", item.get("key")), item.get("role")
        if not isinstance(key, str) or not key.strip() or len(key.strip()) > 32:
            raise _bad(f"Step {i + 1} needs a 'key' of 1 to 32 characters.", "workflow_bad_step", n=i + 1)
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 16:
            raise _bad(f"Step {i + 1} needs a 'name_zh' of 1 to 16 characters.", "workflow_bad_step", n=i + 1)
        key = cleaning.check_text(key.strip(), "key", max_len=32)
        name = cleaning.check_text(name.strip(), "name_zh", max_len=16)
        if key in keys:
            raise _bad(f"Two steps have the key '{key}'.", "workflow_duplicate_step", key=key)
        keys.add(key)
        if role not in STEP_ROLES:
            raise _bad(f"Step '{key}': unknown role; one of {', '.join(STEP_ROLES)}.", "workflow_unknown_role",
                       key=key)
        quorum = item.get("quorum", "any")
        if quorum not in QUORUMS:
            raise _bad(f"Step '{key}': 'quorum' must be 'any' or 'all'.", "workflow_bad_step", n=i + 1)
        due = item.get("due_days")
        if due is not None and (isinstance(due, bool) or not isinstance(due, int) or not 1 <= due <= MAX_DUE_DAYS):
            raise _bad(f"Step '{key}': 'due_days' must be a whole number of working days from 1 to {MAX_DUE_DAYS}.",
                       "workflow_bad_step", n=i + 1)
        users = _named_users(item.get("users"), role, project_id, key, i + 1)
        steps.append(Step(key, name, role, quorum, users, due))
    if steps[-1].role != CLIENT:
        raise _bad("The last step must be the client's (确认).", "workflow_last_not_client")
    first_client = next(i for i, s in enumerate(steps) if s.role == CLIENT)
    if any(s.role != CLIENT for s in steps[first_client:]):
        raise _bad("The client's steps come after every vendor step.", "workflow_client_in_between")
    if first_client == 0:
        raise _bad("At least one vendor step (pm or engineer) comes before the client's.", "workflow_no_vendor_step")
    return steps


def _named_users(raw, role: str, project_id: int, key: str, n: int) -> tuple[int, ...]:
    """Usernames -> user ids; each must be a member of the project with the step's role."""
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list) or not all(isinstance(u, str) for u in raw) or len(raw) > 50:
        raise _bad(f"Step '{key}': 'users' must be a list of usernames.", "workflow_bad_step", n=n)
    found = dict(db.session().execute(
        select(User.username, User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project_id, User.role == role, User.username.in_(raw))).all())
    missing = [u for u in raw if u not in found]
    if missing:
        raise _bad(f"Step '{key}': {', '.join(missing)} is not a {role} member of the project.",
                   "workflow_bad_user", key=key, users="、".join(missing))
    return tuple(dict.fromkeys(found[u] for u in raw))


def parse_workflow(body, project_id: int) -> tuple[list[Step], dict[str, list[Step]]]:
    """A PUT body {"steps": [...], "documents"?: {document_key: [...]}} -> (chain, overrides)."""
    if not isinstance(body, dict):
        raise _bad("Send a JSON object with 'steps'.", "workflow_no_steps", where="steps")
    unknown = set(body) - {"steps", "documents"}
    if unknown:
        raise UserValueError(f"Unknown or read-only fields: {', '.join(sorted(unknown))}.", "unknown_field")
    steps = parse_steps(body.get("steps"), project_id)
    raw_docs = body.get("documents")
    raw_docs = {} if raw_docs is None else raw_docs
    if not isinstance(raw_docs, dict):
        raise _bad("'documents' must map document keys to step lists.", "workflow_bad_document", key="documents")
    cat = get_catalog()
    docs = {}
    for key, raw in raw_docs.items():
        if cat.document(key) is None:
            raise _bad(f"'{key}' is not a document of the catalog.", "workflow_bad_document", key=key)
        docs[key] = parse_steps(raw, project_id, where=f"documents.{key}")
    return steps, docs


def set_workflow(user: User, project: Project, steps: list[Step], documents: dict[str, list[Step]]) -> None:
    """Replace the project's chain and its per-document overrides (versions in flight keep theirs)."""
    s = db.session()
    db.lock_row(Project.fault_seq, project.id)  # a no-op UPDATE: concurrent PUTs of one project queue here
    for w in s.scalars(select(Workflow).where(Workflow.project_id == project.id)):
        s.delete(w)
    s.flush()
    t = now()
    s.add(Workflow(project_id=project.id, document_key="", steps=dumps(steps), updated_at=t, updated_by_id=user.id))
    for key, doc_steps in documents.items():
        s.add(Workflow(project_id=project.id, document_key=key, steps=dumps(doc_steps), updated_at=t,
                       updated_by_id=user.id))
    s.flush()
    audit.record("workflow.set", user, object_type="project", object_id=project.id, project_code=project.code,
                 steps=[x.key for x in steps], documents=sorted(documents))


def usernames(ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict(db.session().execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def chain_json(steps: list[Step], names: dict[int, str]) -> list[dict]:
    """The API shape of a chain: named members by username."""
    out = []
    for st in steps:
        item = st.as_json()
        if st.users:
            item["users"] = [names.get(u, str(u)) for u in st.users]
        out.append(item)
    return out


def workflow_json(project_id: int) -> dict:
    base, docs = project_workflow(project_id)
    names = usernames(u for chain in [base, *docs.values()] for st in chain for u in st.users)
    return {"steps": chain_json(base, names), "documents": {k: chain_json(v, names) for k, v in docs.items()}}


# --- working days ----------------------------------------------------------------------------

def add_workdays(start: datetime, days: int) -> datetime:
    """The same local time `days` working days after `start` (catalog calendar: weekends,
    holidays, 调休 working days)."""
    cat = get_catalog()
    tz = local_tz()
    local = start.astimezone(tz)
    day: date = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if cat.is_workday(day):
            left -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tz).astimezone(timezone.utc)


def workdays_left(due: datetime, at: datetime | None = None) -> int:
    """Working days from `at` (now) to `due`: 0 on the due day, negative when overdue."""
    cat = get_catalog()
    tz = local_tz()
    a, b = (at or now()).astimezone(tz).date(), due.astimezone(tz).date()
    sign = 1 if b >= a else -1
    lo, hi = min(a, b), max(a, b)
    n, day = 0, lo
    while day < hi:
        day += timedelta(days=1)
        if cat.is_workday(day):
            n += 1
    return sign * n


# --- a version's progress --------------------------------------------------------------------

def chain_of(version: Version) -> list[Step]:
    return loads(version.chain)


def current_step(version: Version) -> Step | None:
    """The step `version` waits at, or None (signed off, rejected or superseded)."""
    if version.step_index is None:
        return None
    chain = chain_of(version)
    return chain[version.step_index] if version.step_index < len(chain) else None


def step_json(version: Version) -> dict | None:
    """{"key", "name_zh", "role"} of the step now waiting, or None (the versions list's "step")."""
    if version.step_index is None:
        return None
    return {"key": version.step_key, "name_zh": version.step_name, "role": version.step_role}


def _member_ids(project_id: int, role: str) -> list[int]:
    return list(db.session().scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project_id, User.role == role, User.active.is_(True)).order_by(User.id)))


def eligible_ids(version: Version, step: Step, project_id: int) -> list[int]:
    """Who may approve at `step` of `version`: named members (still members with the role) or
    every member with the role; never the uploader."""
    members = _member_ids(project_id, step.role)
    ids = [u for u in step.users if u in members] if step.users else members
    return [u for u in ids if u != version.uploaded_by_id]


def users_who_may_act(version: Version) -> list[User]:
    """The users who may act on `version` now (its current step; not those who already acted)."""
    step = current_step(version)
    if step is None:
        return []
    s = db.session()
    acted = set(s.scalars(select(Signoff.user_id).where(Signoff.version_id == version.id)))
    ids = [u for u in eligible_ids(version, step, version.deliverable.project_id) if u not in acted]
    return list(s.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))) if ids else []


def _step_complete(version: Version, step: Step, project_id: int, signoffs: list[Signoff]) -> bool:
    """"any": one approval at the step; "all": every eligible user approved, except those who
    acted at another step of this version (nobody acts twice: a pm who did 审核 is not awaited
    at 批准)."""
    approvers = {so.user_id for so in signoffs if so.step == step.key and so.decision == "approve"}
    if not approvers:
        return False
    if step.quorum == "any":
        return True
    elsewhere = {so.user_id for so in signoffs if so.step != step.key}
    return set(eligible_ids(version, step, project_id)) - elsewhere <= approvers


def reached_client_step(version: Version) -> bool:
    """Whether every vendor step of `version`'s chain was completed: it once waited at (or
    passed) the client's step, also when a newer version has superseded it since."""
    if version.client_step_at is not None or version.signed_off_at is not None:
        return True
    signoffs = list(version.signoffs)
    project_id = version.deliverable.project_id
    return all(_step_complete(version, st, project_id, signoffs)
               for st in chain_of(version) if st.role != CLIENT)


# A version waiting at no step (signed off, rejected, superseded): its step columns.
NOWHERE = dict(step_index=None, step_key=None, step_name=None, step_role=None, step_users=None, step_since=None,
               step_due_at=None)


def _enter(version: Version, index: int | None, at: datetime, chain: list[Step], *, told: bool = False) -> None:
    """Move `version` to step `index` of `chain` (None: waiting nowhere); `told`: the caller
    has already withdrawn the notices of the step it leaves (events.versions_left_step)."""
    if version.step_key is not None and not told:  # leaving a step: unsent "waiting for you" notices go
        events.version_left_step(version)
    if index is None:
        for column, value in NOWHERE.items():
            setattr(version, column, value)
        return
    st = chain[index]
    version.step_index, version.step_key, version.step_name, version.step_role = index, st.key, st.name_zh, st.role
    version.step_users = ("," + ",".join(map(str, st.users)) + ",") if st.users else None
    version.step_since = at
    version.step_due_at = add_workdays(at, st.due_days) if st.due_days else None
    if st.role == CLIENT and version.client_step_at is None:
        version.client_step_at = at


def chains_for(deliverables: Iterable[Deliverable]) -> dict[int, list[Step]]:
    """{deliverable id: the chain a new version of it starts with} (steps_for); one query for
    one deliverable, one per project for several (a batch of new versions)."""
    ds = list({d.id: d for d in deliverables}.values())
    if len(ds) == 1:
        return {ds[0].id: steps_for(ds[0].project_id, ds[0].document_key)}
    out = {}
    for pid in sorted({d.project_id for d in ds}):
        base, docs = project_workflow(pid)
        out.update({d.id: docs.get(d.document_key, base) for d in ds if d.project_id == pid})
    return out


def begin(version: Version, chain: list[Step], at: datetime, *, newest: bool = True) -> None:
    """A new version, before its INSERT: the snapshot of its chain, waiting at the first step.
    `newest=False`: a newer version of the same deliverable is added in the same transaction
    (a batch), so this one is superseded at once and waits nowhere, which is where start()
    and then the newer one's start() would leave it; nobody was told it waits. Then started()."""
    version.chain = dumps(chain)
    if newest:
        _enter(version, 0, at, chain)


def started(newest: list[Version], at: datetime) -> None:
    """After the INSERT of new versions (`newest`: the newest new one of each deliverable, see
    begin()): the earlier versions of these deliverables still waiting are superseded (their
    unsent notices withdrawn in one statement), and who may act on each new one is told."""
    s = db.session()
    if not newest:
        return
    # One UPDATE supersedes them (RETURNING which); the withdrawal of the notices of any that
    # waited at a step is one more statement. A version that waits nowhere has none pending.
    # Superseded, client_step_at goes too: the client sees signed-off versions and the newest.
    t = Version.__table__
    rows = s.execute(t.update().where(t.c.deliverable_id.in_(sorted({v.deliverable_id for v in newest})),
                                      t.c.id.not_in([v.id for v in newest]),
                                      or_(t.c.step_index.is_not(None), t.c.client_step_at.is_not(None)))
                     .values(**NOWHERE, client_step_at=None).returning(t.c.id)).scalars().all()
    if rows:
        events.versions_left_step(SimpleNamespace(id=i) for i in rows)
        for i in rows:  # copies this session holds are reloaded on their next use
            cached = s.identity_map.get(identity_key(Version, i))
            if cached is not None:
                s.expire(cached, [*NOWHERE, "client_step_at"])
    for v in newest:
        _announce(v)


def start(version: Version, d: Deliverable) -> None:
    """A new version (flushed): snapshot its chain, supersede the earlier versions still
    waiting, wait at the first step (and tell who may act: notifications). The upload path
    sets the chain before the INSERT instead (begin() then started())."""
    at = now()
    begin(version, steps_for(d.project_id, d.document_key), at)
    db.session().flush()
    started([version], at)


def after_signoff(version: Version, signoff: Signoff) -> None:
    """Move `version` on after `signoff`: a rejection ends it; an approval completing the step
    moves it to the next step not yet complete, or signs it off after the last."""
    at = signoff.created_at
    if signoff.decision == "reject":
        _enter(version, None, at, [])
        db.session().flush()
        _rejected(version, signoff)
        return
    chain = chain_of(version)
    d = version.deliverable
    sos = list(db.session().scalars(select(Signoff).where(Signoff.version_id == version.id)))
    index = version.step_index
    moved = False
    while index is not None and _step_complete(version, chain[index], d.project_id, sos):
        index = index + 1 if index + 1 < len(chain) else None
        moved = True
    if not moved:
        return
    if index is None:
        _enter(version, None, at, chain)
        version.signed_off_at = at
    else:
        _enter(version, index, at, chain)
    db.session().flush()
    if index is not None:
        _announce(version)


def _announce(version: Version) -> None:
    """A version reached a step: every user who may act on it is told (outbox row in this
    transaction: notifications.events)."""
    events.version_waiting(version, current_step(version), lambda: users_who_may_act(version))


def _rejected(version: Version, signoff: Signoff) -> None:
    """A version was rejected: its uploader is told (outbox row in this transaction)."""
    events.version_rejected(version, signoff)


# --- queries for lists and to-do lists --------------------------------------------------------

def waiting_for(user: User) -> Select:
    """select(Version) of the versions waiting at a step `user` may act on now: the step's role,
    a member of the project, named (when the step names members), not the uploader, not acted
    yet. One SQL statement whatever the number of projects."""
    member = select(Membership.project_id).where(Membership.user_id == user.id)
    acted = exists().where(Signoff.version_id == Version.id, Signoff.user_id == user.id)
    return (select(Version).join(Deliverable, Deliverable.id == Version.deliverable_id)
            .where(Version.step_role == user.role, Deliverable.project_id.in_(member),
                   Version.id == Deliverable.latest_version_id,
                   or_(Version.uploaded_by_id.is_(None), Version.uploaded_by_id != user.id),
                   or_(Version.step_users.is_(None), Version.step_users.like(f"%,{user.id},%")),
                   not_(acted)))


def step_filter(value: str):
    """SQL condition on Version: waiting at the step with this key or Chinese name."""
    return and_(Version.step_index.is_not(None), or_(Version.step_key == value, Version.step_name == value))


def role_filter(role: str):
    """SQL condition on Version: waiting at a step of `role` (client: 待甲方, pm, engineer)."""
    return and_(Version.step_index.is_not(None), Version.step_role == role)


def waiting_role_counts(project_ids, role: str, kind: str = "document") -> dict[int, int]:
    """{project id: deliverables of `kind` whose latest version waits at a step of `role`}
    (projects with none left out) for `project_ids` (a list or a select of ids); one SQL
    statement whatever the number of projects."""
    q = (select(Deliverable.project_id, func.count()).join(Version, Version.id == Deliverable.latest_version_id)
         .where(Deliverable.project_id.in_(project_ids), Deliverable.kind == kind, role_filter(role))
         .group_by(Deliverable.project_id))
    return dict(db.session().execute(q).all())


@dataclass
class Waiting:
    step: str
    name_zh: str
    role: str
    users: list[str] = field(default_factory=list)
    due_at: datetime | None = None
    since: datetime | None = None


def waiting_of(versions: Iterable[Version]) -> dict[int, Waiting]:
    """Per version id (of those waiting at a step): the step, the names of who may act, the due
    time. Two SQL statements whatever the number of versions or projects."""
    vs = [v for v in versions if v is not None and v.step_index is not None]
    if not vs:
        return {}
    s = db.session()
    project_of = dict(s.execute(select(Deliverable.id, Deliverable.project_id)
                                .where(Deliverable.id.in_({v.deliverable_id for v in vs}))).all())
    members: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for pid, uid, role, name, uname in s.execute(
            select(Membership.project_id, User.id, User.role, User.display_name, User.username)
            .join(User, User.id == Membership.user_id)
            .where(Membership.project_id.in_(set(project_of.values())), User.active.is_(True)).order_by(User.id)):
        members.setdefault((pid, role), []).append((uid, name or uname))
    acted: dict[int, set[int]] = {}
    for vid, uid in s.execute(select(Signoff.version_id, Signoff.user_id).where(Signoff.version_id.in_([v.id for v in vs]))):
        acted.setdefault(vid, set()).add(uid)
    out = {}
    for v in vs:
        named = {int(x) for x in (v.step_users or "").split(",") if x}
        people = [name for uid, name in members.get((project_of[v.deliverable_id], v.step_role), [])
                  if (not named or uid in named) and uid != v.uploaded_by_id and uid not in acted.get(v.id, set())]
        out[v.id] = Waiting(v.step_key, v.step_name, v.step_role, people, v.step_due_at, v.step_since)
    return out


def waiting_by_deliverable(project_ids: Iterable[int]) -> dict[int, Waiting]:
    """Per deliverable id of these projects whose latest version waits at a step: where and for
    whom (completeness pages, portfolios). Four SQL statements whatever the number of projects."""
    ids = list(project_ids)
    if not ids:
        return {}
    vs = list(db.session().scalars(
        select(Version).join(Deliverable, Deliverable.latest_version_id == Version.id)
        .where(Deliverable.project_id.in_(ids), Version.step_index.is_not(None))))
    by_version = waiting_of(vs)
    return {v.deliverable_id: by_version[v.id] for v in vs if v.id in by_version}

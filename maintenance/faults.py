"""Operations on fault tickets: report, events (respond / restore / close / hold / note),
and keeping the recorded escalations equal to what the pure rule says.

Who may do what, and in which order, is projects.permissions (may_report_fault,
may_act_on_fault): respond / restore by the vendor (pm, engineer, admin), close by client, pm
or admin after restore, hold_level by pm and client (both must agree; the later of the two is
the moment the hold becomes effective; no escalation from then on), note by any member.
A role that may not gets 403; events in the wrong order 409; nothing is accepted after close.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import audit, db
from projects.access import project_filter
from core.clock import local_tz, now
from core.errors import NotFound, UserValueError
from core.models import User
from core.roles import HOLD_PARTIES
from projects.models import Project
from maintenance.escalation import Outcome, Step, escalate
from maintenance.labels import fault_ref_of
from maintenance.models import Fault, FaultEscalation, FaultEvent
from maintenance.sla_rules import deadline, get_rules, terms_for
from notifications.events import fault_escalated, fault_reported
from projects.permissions import FAULT_EVENTS, may_act_on_fault, may_report_fault, require

EVENT_KINDS = FAULT_EVENTS
FAULT_STATUSES = ("open", "restored", "closed")


def fault_terms(fault: Fault) -> str:
    """'warranty' or 'after_warranty' for this fault (from its reported date)."""
    return terms_for(fault.project.warranty_until, fault.reported_at, local_tz())


def _check_at(at: datetime | None, fault_reported: datetime | None = None, field: str = "at") -> datetime:
    """`at` defaults to now; never in the future, never before the fault was reported."""
    current = now()
    if at is None:
        return current.replace(microsecond=0)
    at = at.replace(microsecond=0)
    if at > current:
        raise UserValueError(f"'{field}' must not be in the future.", "time_in_future")
    if fault_reported is not None and at < fault_reported:
        raise UserValueError(f"'{field}' must not be before the fault was reported.", "time_before_report")
    return at


def report_fault(user: User, project: Project, *, level: int, title: str, channel: str,
                 description: str = "", reported_at: datetime | None = None) -> Fault:
    """Open a fault ticket numbered per project; deadlines from the level, channel and terms."""
    require(may_report_fault(user, project))
    rules = get_rules()
    if level not in rules.levels:
        raise UserValueError(f"'level' must be one of {', '.join(map(str, rules.level_numbers))}.", "invalid_level")
    if channel not in rules.channels:
        raise UserValueError(f"'channel' must be one of {', '.join(rules.channel_keys)}.", "invalid_choice")
    reported_at = _check_at(reported_at, field="reported_at")
    s = db.session()
    # Reserve the number with an UPDATE first: concurrent reporters queue on the row lock.
    number = db.next_in_sequence(Project.fault_seq, project.id)
    project.fault_seq = number
    terms = terms_for(project.warranty_until, reported_at, local_tz())
    fault = Fault(project_id=project.id, number=number, initial_level=level, level=level, title=title,
                  description=description, channel=channel, status="open", reported_at=reported_at,
                  reported_by_id=user.id,
                  respond_by=deadline("respond", reported_at, terms=terms, channel=channel),
                  restore_by=deadline("restore", reported_at, terms=terms, level=level), created_at=now())
    fault.project = project
    s.add(fault)
    s.flush()
    audit.record("fault.report", user, object_type="fault", object_id=fault.id, project_code=project.code,
                 number=number, level=level, channel=channel, title=title, reported_at=reported_at.isoformat())
    sync_escalations(fault)
    fault_reported(fault, fault_ref_of(fault), actor=user)  # pm and engineers are told (outbox, this transaction)
    return fault


def get_fault(user: User, fault_id: int) -> Fault:
    """The fault if `user` may see its project, else 404."""
    fault = db.session().scalar(select(Fault).join(Project).where(Fault.id == fault_id, project_filter(user)))
    if fault is None:
        raise NotFound(f"No fault {fault_id}.", "fault_not_found", fault_id=fault_id)
    return fault


def list_faults(project: Project, status: str | None = None) -> list[Fault]:
    """The project's faults (newest first), read only: show them through `live_state`."""
    q = select(Fault).where(Fault.project_id == project.id).options(selectinload(Fault.events))
    if status:
        q = q.where(Fault.status == status)
    return list(db.session().scalars(q.order_by(Fault.number.desc())))


def hold_times(fault: Fault) -> dict:
    """When each party agreed to hold the level, and when the hold became effective."""
    first = {}
    for e in fault.events:
        if e.kind == "hold_level" and e.role in HOLD_PARTIES:
            first[e.role] = min(first.get(e.role, e.at), e.at)
    effective = max(first.values()) if len(first) == len(HOLD_PARTIES) else None
    return {"pm": first.get("pm"), "client": first.get("client"), "effective_at": effective}


def evaluate(fault: Fault, at: datetime | None = None) -> Outcome:
    """The pure escalation rule applied to this fault as of `at` (default now)."""
    return escalate(fault.initial_level, fault.reported_at, fault_terms(fault), now=at or now(),
                    restored_at=fault.restored_at, hold_at=hold_times(fault)["effective_at"])


@dataclass(frozen=True)
class LiveState:
    """A fault as the rule says it is at one moment: exactly what a tick would store then."""
    level: int
    respond_by: datetime
    restore_by: datetime
    escalations: tuple[Step, ...]   # oldest first; each has from_level, to_level, at
    breached: dict[str, bool]       # {"respond": ..., "restore": ...}, see `breaches`


def live_state(fault: Fault, at: datetime | None = None) -> LiveState:
    """The fault's current level, deadlines, escalations and breaches as of `at` (default
    now), computed from the pure rule over the fault, its project's terms and its events;
    writes nothing.
    Everything that shows a fault uses this, so a reader never depends on the worker's tick."""
    at = at or now()
    outcome = evaluate(fault, at)
    respond_by = deadline("respond", fault.reported_at, terms=fault_terms(fault), channel=fault.channel)
    responded = fault.responded_at if fault.responded_at is not None else at
    return LiveState(outcome.level, respond_by, outcome.restore_by, outcome.steps,
                     {"respond": responded > respond_by, "restore": outcome.restore_breached})


def _wanted(state: LiveState) -> list[tuple[int, int, datetime]]:
    return [(st.from_level, st.to_level, st.at) for st in state.escalations]


def needs_sync(fault: Fault, state: LiveState | None = None) -> bool:
    """True when the stored escalations, level or deadlines differ from `live_state` (what
    sync_escalations would write); reads only."""
    state = state or live_state(fault)
    stored = sorted((e.from_level, e.to_level, e.at) for e in fault.escalations)
    return not (stored == sorted(_wanted(state)) and fault.level == state.level
                and fault.restore_by == state.restore_by and fault.respond_by == state.respond_by)


def sync_escalations(fault: Fault) -> list[FaultEscalation]:
    """Make the stored escalations, level and deadlines equal to `live_state`; return new rows.
    Only writers call it: the SLA tick and the requests that change a fault.

    Rows are rewritten too when a back-dated restore or hold removes escalations.
    """
    state = live_state(fault)
    if not needs_sync(fault, state):
        return []
    s = db.session()
    # Lock the fault row (UPDATE first), then re-read the rows another writer may have added.
    db.lock_row(Fault.level, fault.id)
    rows = {e.to_level: e for e in s.scalars(select(FaultEscalation).where(FaultEscalation.fault_id == fault.id)
                                            .execution_options(populate_existing=True))}
    added = []
    for from_level, to_level, at in _wanted(state):
        row = rows.pop(to_level, None)
        if row is None:
            row = FaultEscalation(fault_id=fault.id, from_level=from_level, to_level=to_level, at=at)
            s.add(row)
            added.append(row)
        else:
            row.from_level, row.at = from_level, at
    for stale in rows.values():
        s.delete(stale)
    fault.level, fault.restore_by, fault.respond_by = state.level, state.restore_by, state.respond_by
    s.flush()
    s.refresh(fault, ["escalations"])
    for row in added:
        audit.record("fault.escalate", None, object_type="fault", object_id=fault.id,
                     project_code=fault.project.code, from_level=row.from_level, to_level=row.to_level,
                     at=row.at.isoformat())
        fault_escalated(fault, row, fault_ref_of(fault))  # pm and client are told (outbox, this transaction)
    return added


def _check_time_order(fault: Fault, kind: str, at: datetime) -> None:
    """An event's time is not before the step it follows (the order itself: may_act_on_fault)."""
    if kind == "restore" and at < fault.responded_at:
        raise UserValueError("'at' of restore must not be before the response.", "time_before_previous")
    if kind == "close" and at < fault.restored_at:
        raise UserValueError("'at' of close must not be before the restoration.", "time_before_previous")


def add_event(user: User, fault: Fault, kind: str, *, at: datetime | None = None, note: str = "") -> FaultEvent:
    """Record one event on a fault, in order, by a role allowed to do it."""
    if kind not in EVENT_KINDS:
        raise UserValueError(f"'kind' must be one of {', '.join(EVENT_KINDS)}.", "invalid_choice")
    require(may_act_on_fault(user, fault, kind))  # the role (403), then the order (409)
    if kind == "note" and not note:
        raise UserValueError("A note needs a 'note' text.", "missing_field")
    at = _check_at(at, fault.reported_at)
    _check_time_order(fault, kind, at)
    s = db.session()
    event = FaultEvent(fault_id=fault.id, kind=kind, at=at, user_id=user.id, username=user.username,
                       role=user.role, note=note, created_at=now())
    s.add(event)
    if kind == "respond":
        fault.responded_at = at
    elif kind == "restore":
        fault.restored_at, fault.status = at, "restored"
    elif kind == "close":
        fault.closed_at, fault.status = at, "closed"
    s.flush()
    s.refresh(fault, ["events"])
    audit.record(f"fault.{kind}", user, object_type="fault", object_id=fault.id, project_code=fault.project.code,
                 at=at.isoformat(), note=note)
    sync_escalations(fault)
    return event


def breaches(fault: Fault, at: datetime | None = None) -> dict:
    """respond: answered late or still unanswered past respond_by; restore: the first
    restore deadline was missed (restored late, or open past it, at any level)."""
    return live_state(fault, at).breached


def open_faults() -> list[Fault]:
    """Every open fault with what live_state reads (events, escalations, project): a few queries."""
    return list(db.session().scalars(select(Fault).where(Fault.status == "open").order_by(Fault.id).options(
        selectinload(Fault.events), selectinload(Fault.escalations), selectinload(Fault.project))))

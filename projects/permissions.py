"""Who may do what, and why not: the one place the operations (to enforce), the API and the
pages (to decide what to offer) ask.

Every `may_*` function answers with a core.decision.Decision: truthy when allowed, else a
code, an English sentence and the error class (Forbidden 403 for who you are, Conflict 409
for the state the object is in). Enforce with `require(may_x(...))`. The functions read the
objects' attributes only (duck-typed: a version's uploaded_by_id, signoffs and
deliverable.latest_version_id / status, a fault's status and events), so the rules are
tested without a database except for membership (projects.access.is_member).

Seeing is not here: what a user may not see is a 404 (projects.access, deliverables.visibility).
`ACTIONS` is the table README.md's "Who may do what" is rendered from (checked by a test).
"""
from __future__ import annotations

from dataclasses import dataclass

from core.decision import ALLOWED, Decision, may_manage_users, refuse, require
from core.errors import Conflict, UserValueError
from core.roles import ADMIN, CLOSE_ROLES, HOLD_PARTIES, MANAGER_ROLES, ROLES, SIGNING_ROLES, VENDOR_ROLES
from projects.access import is_member

__all__ = ["ACTIONS", "FAULT_EVENTS", "Decision", "may_act_on_fault", "may_create_project", "may_create_record",
           "may_generate_draft", "may_manage_members", "may_manage_project", "may_manage_users",
           "may_report_fault", "may_sign", "may_upload", "may", "require", "fault_actions", "table_markdown"]


@dataclass(frozen=True)
class Action:
    key: str
    label: str          # English, for the README table
    roles: tuple        # the roles that may, given the conditions
    conditions: str = ""
    in_project: bool = True  # non-admins must be members of the object's project


ACTIONS = (
    Action("manage_users", "Manage users (create, role, active, password, API token)", (ADMIN,),
           in_project=False),
    Action("create_project", "Create a project", MANAGER_ROLES, "a creating pm becomes its member",
           in_project=False),
    Action("manage_project", "Change a project", MANAGER_ROLES),
    Action("manage_members", "Add or remove a project's members", MANAGER_ROLES),
    Action("upload", "Upload a version", VENDOR_ROLES),
    Action("generate_draft", "Generate a draft from the template", VENDOR_ROLES),
    Action("sign", "Sign a version (pm 审核, client 确认)", SIGNING_ROLES,
           "the latest version only; not approve a version one uploaded; once per person; "
           "not after a rejection or both approvals; one approval per role"),
    Action("report_fault", "Report a fault", ROLES),
    Action("respond", "Respond to a fault", VENDOR_ROLES, "once; not after close"),
    Action("restore", "Restore a fault", VENDOR_ROLES, "after the response; once; not after close"),
    Action("close", "Close a fault", CLOSE_ROLES, "after the restoration"),
    Action("hold_level", "Agree to hold a fault's level", HOLD_PARTIES,
           "before the restoration; once per side; effective when both sides agreed"),
    Action("note", "Add a note to a fault", ROLES, "not after close"),
    Action("create_record", "Create an on-demand record (complaint, expansion, upgrade)", VENDOR_ROLES),
)
_BY_KEY = {a.key: a for a in ACTIONS}
FAULT_EVENTS = ("respond", "restore", "close", "hold_level", "note")


def cell(action: Action, role: str) -> str:
    """The README cell for (action, role): yes · member (of the project) · —."""
    if role not in action.roles:
        return "—"
    return "yes" if role == ADMIN or not action.in_project else "member"


def table_markdown() -> str:
    """The "Who may do what" table, one row per action, one column per role."""
    lines = ["| action | " + " | ".join(ROLES) + " | conditions |", "|---" * (len(ROLES) + 2) + "|"]
    for a in ACTIONS:
        lines.append(f"| {a.label} | " + " | ".join(cell(a, r) for r in ROLES) + f" | {a.conditions} |")
    return "\n".join(lines)


def _role_and_member(user, action: str, project_id: int | None, message: str,
                     role_code: str = "role_may_not", member_code: str = "members_only",
                     member_message: str = "Only members of the project may do this.") -> Decision:
    """The two checks every project action starts with: the role, then membership."""
    if user.role not in _BY_KEY[action].roles:
        return refuse(role_code, message)
    if project_id is not None and not is_member(user, project_id):
        return refuse(member_code, member_message)
    return ALLOWED


# --- projects -------------------------------------------------------------------------------

def may_create_project(user) -> Decision:
    """An admin or a pm (or the command line, user None)."""
    if user is None or user.role in MANAGER_ROLES:
        return ALLOWED
    return refuse("role_may_not", "Only an admin or a pm may create projects.")


_MANAGE = "Only an admin or a pm of this project may change it or its members."


def may_manage_project(user, project) -> Decision:
    """Change a project: an admin (or the command line), or a pm who is a member."""
    if user is None:
        return ALLOWED
    return _role_and_member(user, "manage_project", project.id, _MANAGE, member_message=_MANAGE)


def may_manage_members(user, project) -> Decision:
    """Add or remove members: the same people as may_manage_project."""
    if user is None:
        return ALLOWED
    return _role_and_member(user, "manage_members", project.id, _MANAGE, member_message=_MANAGE)


# --- deliverables ---------------------------------------------------------------------------

def may_upload(user, deliverable) -> Decision:
    return _role_and_member(user, "upload", deliverable.project_id,
                            "Only the vendor's pm, engineers or an admin may add versions.")


def may_generate_draft(user, deliverable) -> Decision:
    return _role_and_member(user, "generate_draft", deliverable.project_id,
                            "Only the vendor's pm, engineers or an admin may generate drafts.")


def may_sign(user, version, decision: str = "approve") -> Decision:
    """Approve or reject `version`; reasons in the order a user meets them (the rules of
    deliverables.signoffs.sign, which enforces this after locking the deliverable)."""
    d = version.deliverable
    refused = _role_and_member(user, "sign", d.project_id, "Only the vendor's pm and the client sign off.",
                               role_code="role_cannot_sign", member_code="not_a_member",
                               member_message="Only members of the project sign off.")
    if not refused:
        return refused
    if d.latest_version_id != version.id:
        return refuse("not_latest", "This version is no longer the latest; sign the latest one.", Conflict)
    if decision == "approve" and version.uploaded_by_id == user.id:
        return refuse("own_upload", "The person who uploaded a version cannot approve it.")
    signoffs = list(version.signoffs)
    if any(so.user_id == user.id for so in signoffs):
        return refuse("already_signed", "You have already signed this version.", Conflict)
    if d.status in ("rejected", "signed_off"):  # the latest version's state (signoff_state)
        return refuse(f"version_{d.status}", f"This version is already {d.status.replace('_', ' ')}.", Conflict)
    if any(so.role == user.role and so.decision == "approve" for so in signoffs):
        return refuse("role_already_signed", f"A {user.role} has already approved this version.", Conflict)
    return ALLOWED


# --- maintenance ----------------------------------------------------------------------------

def may_report_fault(user, project) -> Decision:
    return _role_and_member(user, "report_fault", project.id, "Your role may not report faults.")


def _fault_state(user, fault, kind: str) -> Decision:
    """The order of a fault's events (409): nothing after close, respond once, restore after
    respond and once, close after restore, hold before restore and once per side."""
    if fault.status == "closed":
        return refuse("fault_closed", "The fault is closed; nothing can be added.", Conflict)
    if kind == "respond" and fault.responded_at is not None:
        return refuse("already_responded", "The fault has already been responded to.", Conflict)
    if kind == "restore":
        if fault.responded_at is None:
            return refuse("not_responded", "A fault is restored only after it was responded to.", Conflict)
        if fault.restored_at is not None:
            return refuse("already_restored", "The fault has already been restored.", Conflict)
    if kind == "close" and fault.restored_at is None:
        return refuse("not_restored", "A fault is closed only after it was restored.", Conflict)
    if kind == "hold_level":
        if fault.restored_at is not None:
            return refuse("already_restored", "The fault is restored; there is no level left to hold.", Conflict)
        if any(e.kind == "hold_level" and e.role == user.role for e in fault.events):
            return refuse("already_held", f"The {user.role} side has already agreed to hold the level.", Conflict)
    return ALLOWED


def may_act_on_fault(user, fault, kind: str) -> Decision:
    """respond / restore / close / hold_level / note: the role, membership, then the order."""
    if kind not in FAULT_EVENTS:
        return refuse("invalid_choice", f"'kind' must be one of {', '.join(FAULT_EVENTS)}.", UserValueError)
    refused = _role_and_member(user, kind, fault.project_id,
                               f"A {user.role} may not {kind.replace('_', ' ')} a fault.", role_code="role_may_not")
    return _fault_state(user, fault, kind) if refused else refused


def fault_actions(user, fault) -> list[str]:
    """The events `user` may add to `fault` now (what a page offers)."""
    return [k for k in FAULT_EVENTS if may_act_on_fault(user, fault, k)]


def may_create_record(user, project) -> Decision:
    return _role_and_member(user, "create_record", project.id,
                            "Only the vendor's pm, engineers or an admin may create records.")


def may(user, action: str, obj=None) -> Decision:
    """The answer for an action key of ACTIONS (the table's rows) on `obj`."""
    if action == "manage_users":
        return may_manage_users(user)
    if action == "create_project":
        return may_create_project(user)
    if action in FAULT_EVENTS:
        return may_act_on_fault(user, obj, action)
    return {"manage_project": may_manage_project, "manage_members": may_manage_members, "upload": may_upload,
            "generate_draft": may_generate_draft, "sign": may_sign, "report_fault": may_report_fault,
            "create_record": may_create_record}[action](user, obj)


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

import json
from dataclasses import dataclass

from core.decision import ALLOWED, Decision, may_manage_tokens, may_manage_users, refuse, require
from core.errors import Conflict, UserValueError
from core.roles import ADMIN, CLOSE_ROLES, HOLD_PARTIES, MANAGER_ROLES, ROLES, SIGNING_ROLES, VENDOR_ROLES, CLIENT, PM
from projects.access import is_member

__all__ = ["ACTIONS", "FAULT_EVENTS", "Decision", "may_act_on_fault", "may_create_project", "may_create_record",
           "may_generate_draft", "may_import", "may_manage_members", "may_manage_project", "may_manage_users",
           "may_manage_webhook", "may_manage_workflow", "may_manage_tokens", "may_add_member", "may_remove_member", "may_report_fault", "may_sign", "may_upload", "may", "require", "fault_actions", "table_markdown"]


@dataclass(frozen=True)
class Action:
    key: str
    label: str          # English, for the README table
    roles: tuple        # the roles that may, given the conditions
    conditions: str = ""
    in_project: bool = True  # non-admins must be members of the object's project


ACTIONS = (
    Action("manage_users", "Manage users (create, role, active, password, API token)", (ADMIN,),
           "the last active admin is neither demoted nor disabled", in_project=False),
    Action("manage_tokens", "See and revoke API tokens", ROLES, "one's own; an admin: anyone's",
           in_project=False),
    Action("create_project", "Create a project", MANAGER_ROLES, "a creating pm becomes its member",
           in_project=False),
    Action("manage_project", "Change a project", MANAGER_ROLES),
    Action("manage_members", "Add or remove a project's members", MANAGER_ROLES,
           "a client only into a project whose client is the client's organisation; not the last pm"),
    Action("upload", "Upload a version", VENDOR_ROLES),
    Action("generate_draft", "Generate a draft from the template", VENDOR_ROLES),
    Action("import", "Import a ZIP of a folder of documents (import page)", MANAGER_ROLES,
           "each file as a version uploaded by the importing user"),
    Action("manage_workflow", "Set the sign-off workflow", MANAGER_ROLES),
    Action("sign", "Sign a version at its workflow step (default: pm 审核, client 确认)", SIGNING_ROLES,
           "the latest version only; at the step it waits at, by that step's role (named members if any); "
           "not approve a version one uploaded; once per person per version; not after a rejection or "
           "the last step"),
    Action("report_fault", "Report a fault", ROLES),
    Action("respond", "Respond to a fault", VENDOR_ROLES, "once; not after close"),
    Action("restore", "Restore a fault", VENDOR_ROLES, "after the response; once; not after close"),
    Action("close", "Close a fault", CLOSE_ROLES, "after the restoration"),
    Action("hold_level", "Agree to hold a fault's level", HOLD_PARTIES,
           "before the restoration; once per side; effective when both sides agreed"),
    Action("note", "Add a note to a fault", ROLES, "not after close"),
    Action("create_record", "Create an on-demand record (complaint, expansion, upgrade)", VENDOR_ROLES),
    Action("manage_webhook", "Set a project's group-robot webhook (企业微信 / 钉钉 / 飞书)", (ADMIN,),
           "host in HANDOVER_WEBHOOK_HOSTS", in_project=False),
)
_BY_KEY = {a.key: a for a in ACTIONS}
DEFAULT_CHAIN_ROLES = (PM, CLIENT)  # the default workflow: 审核 (pm) → 确认 (client)
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


def may_add_member(user, project, member) -> Decision:
    """Make `member` a member: may_manage_members, and a client joins only a project whose
    client (甲方) is the client's organisation (409). A client with no organisation recorded
    (accounts from before organisations) is accepted; the pages offer only the project's own."""
    refused = may_manage_members(user, project)
    if not refused:
        return refused
    org = (getattr(member, "organisation", "") or "").strip()
    if member.role == CLIENT and org and org != (project.client or "").strip():
        return refuse("client_other_organisation", f"'{member.username}' belongs to {org}, not to this "
                      f"project's client {project.client}.", Conflict)
    return ALLOWED


def may_remove_member(user, project, member, pm_ids) -> Decision:
    """End `member`'s membership: may_manage_members, and never the project's last pm (409);
    `pm_ids`: the ids of the project's pm members."""
    refused = may_manage_members(user, project)
    if not refused:
        return refused
    if member.role == PM and set(pm_ids) == {member.id}:
        return refuse("last_pm", f"'{member.username}' is the project's last pm; add another pm first.", Conflict)
    return ALLOWED


# --- deliverables ---------------------------------------------------------------------------

def may_upload(user, deliverable) -> Decision:
    return _role_and_member(user, "upload", deliverable.project_id,
                            "Only the vendor's pm, engineers or an admin may add versions.")


def may_import(user, project) -> Decision:
    """Import a ZIP of a vendor's folder tree into a project: an admin, or a pm who is a member."""
    return _role_and_member(user, "import", project.id,
                            "Only a pm of the project or an admin may import documents.")


def may_generate_draft(user, deliverable) -> Decision:
    return _role_and_member(user, "generate_draft", deliverable.project_id,
                            "Only the vendor's pm, engineers or an admin may generate drafts.")


def _chain_roles(version) -> set[str]:
    """The roles that sign somewhere in the version's chain (Version.chain JSON; "" = default)."""
    if not getattr(version, "chain", ""):
        return set(DEFAULT_CHAIN_ROLES)
    return {step.get("role") for step in json.loads(version.chain)}


def _named(version) -> set[int]:
    return {int(x) for x in (getattr(version, "step_users", None) or "").split(",") if x}


def may_sign(user, version, decision: str = "approve") -> Decision:
    """Approve or reject `version` at the step of its workflow it waits at; reasons in the order
    a user meets them (the rules of deliverables.signoffs.sign, which enforces this after locking
    the deliverable; the step columns are kept by deliverables.workflow):
    a role that signs nowhere in the version's chain, or not a member: 403; not the latest: 409;
    rejected or signed off: 409; not the current step's role, not named, or already acted on this
    version: 409 not_your_step; approving one's own upload: 403."""
    d = version.deliverable
    refused = _role_and_member(user, "sign", d.project_id, "Your role does not sign this document.",
                               role_code="role_cannot_sign", member_code="not_a_member",
                               member_message="Only members of the project sign off.")
    if not refused:
        return refused
    if user.role not in _chain_roles(version):
        return refuse("role_cannot_sign", "Your role does not sign this document.")
    if d.latest_version_id != version.id:
        return refuse("not_latest", "This version is no longer the latest; sign the latest one.", Conflict)
    if d.status in ("rejected", "signed_off"):  # the latest version's state (signoff_state)
        return refuse(f"version_{d.status}", f"This version is already {d.status.replace('_', ' ')}.", Conflict)
    if (getattr(version, "step_role", None) != user.role or (_named(version) and user.id not in _named(version))
            or any(so.user_id == user.id for so in version.signoffs)):
        return refuse("not_your_step", "This version does not wait for you: it is at another step, "
                      "or you have already signed it.", Conflict)
    if decision == "approve" and version.uploaded_by_id == user.id:
        return refuse("own_upload", "The person who uploaded a version cannot approve it.")
    if decision == "approve" and getattr(version, "hints", None) and _next_step_role(version) == "client":
        return refuse("hints_left", f"V{version.number} still holds {version.hints} 填写说明; make the signing "
                      "copy (清除填写说明) before it goes to the client.", Conflict,
                      n=version.number, hints=version.hints)
    return ALLOWED


def _next_step_role(version) -> str | None:
    """The role of the step after the one `version` waits at (None after the last)."""
    index = getattr(version, "step_index", None)
    if index is None:
        return None
    steps = json.loads(version.chain) if getattr(version, "chain", "") else [{"role": r} for r in DEFAULT_CHAIN]
    return steps[index + 1].get("role") if index + 1 < len(steps) else None


def may_manage_workflow(user, project) -> Decision:
    """Set a project's sign-off workflow: the same people as may_manage_project."""
    if user is None:
        return ALLOWED
    return _role_and_member(user, "manage_workflow", project.id, _MANAGE, member_message=_MANAGE)


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


def may_manage_webhook(user, project) -> Decision:
    """A project's group-robot webhook: an admin (or the command line, user None)."""
    if user is None or user.role == ADMIN:
        return ALLOWED
    return refuse("admin_only_webhook", "Only an admin may set a project's webhook.")


def may(user, action: str, obj=None) -> Decision:
    """The answer for an action key of ACTIONS (the table's rows) on `obj`."""
    if action == "manage_users":
        return may_manage_users(user)
    if action == "create_project":
        return may_create_project(user)
    if action == "manage_tokens":
        return may_manage_tokens(user, obj)
    if action in FAULT_EVENTS:
        return may_act_on_fault(user, obj, action)
    return {"manage_project": may_manage_project, "manage_members": may_manage_members, "upload": may_upload,
            "manage_workflow": may_manage_workflow, "import": may_import,
            "generate_draft": may_generate_draft, "sign": may_sign, "report_fault": may_report_fault,
            "create_record": may_create_record, "manage_webhook": may_manage_webhook}[action](user, obj)


"""The portfolio table: one row of figures per project the user sees, filtered and sorted.

A fixed number of SQL statements whatever the number of projects, documents, records or
faults (each figure is a grouped count, see the functions named below); filtering and sorting
happen on those rows, so a page of the table costs the same as the whole table.

Figures (one rule each, where it lives):
  percent          completeness: signed-off documents / required (phases.completeness)
  gaps             documents without any version, per phase (phases.completeness)
  waiting_client   documents whose latest version waits at a client step (deliverables.workflow)
  overdue_records  record instances past due without a version (maintenance.alerts)
  open_faults      faults with status open (maintenance.alerts)
  sla_breaches     faults, ever, whose respond or restore deadline was missed (maintenance.alerts)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core import db
from core.errors import UserValueError
from core.models import User
from core.roles import CLIENT
from deliverables.workflow import waiting_role_counts
from maintenance.alerts import counts_by_project
from phases.completeness import totals_by_project
from projects import access
from projects.models import Project

SORT_KEYS = ("code", "name", "client", "percent", "waiting_client", "overdue_records", "open_faults", "sla_breaches")
NUMBER_KEYS = SORT_KEYS[3:]


@dataclass
class PortfolioRow:
    project: Project
    total: int = 0
    signed_off: int = 0
    percent: float = 0.0
    gaps: dict[str, int] = field(default_factory=dict)  # phase key -> documents without a version
    waiting_client: int = 0
    overdue_records: int = 0
    open_faults: int = 0
    sla_breaches: int = 0

    @property
    def missing(self) -> int:
        return sum(self.gaps.values())

    def as_json(self) -> dict:
        p = self.project
        return {"code": p.code, "name": p.name, "client": p.client, "total": self.total,
                "signed_off": self.signed_off, "percent": self.percent, "missing": self.missing,
                "gaps": self.gaps, "waiting_client": self.waiting_client, "overdue_records": self.overdue_records,
                "open_faults": self.open_faults, "sla_breaches": self.sla_breaches}


def portfolio_rows(user: User) -> list[PortfolioRow]:
    """Every project `user` sees (projects.access), in code order, with its figures."""
    projects = list(db.session().scalars(access.visible_projects(user)))
    ids = select(Project.id).where(access.project_filter(user))  # in SQL: no list of 500 bound ids
    totals = totals_by_project(ids)
    waiting = waiting_role_counts(ids, CLIENT)
    counts = counts_by_project(projects, ids)
    rows = []
    for p in projects:
        t = totals.get(p.id, {})
        c = counts[p.id]
        rows.append(PortfolioRow(p, t.get("total", 0), t.get("signed_off", 0), t.get("percent", 0.0),
                                 dict(t.get("missing", {})), waiting.get(p.id, 0), c["overdue_records"],
                                 c["open_faults"], c["sla_breaches"]))
    return rows


@dataclass
class Query:
    """The table's filters and order, as read from the query string."""
    text: str = ""
    client: str = ""
    gaps: str = ""          # "" (any project), "any" (a phase has gaps) or a phase key
    sort: str = "code"
    descending: bool = False


def parse_query(args, phase_keys: set[str]) -> Query:
    """Query from request args; an unknown sort column or gap phase is a 400 (a closed list,
    as the register's phase and status filters)."""
    q = Query(text=(args.get("q") or "").strip()[:100], client=(args.get("client") or "").strip()[:200],
              gaps=args.get("gaps") or "", sort=args.get("sort") or "code", descending=args.get("dir") == "desc")
    if q.sort not in SORT_KEYS:
        raise UserValueError(f"Unknown sort column '{q.sort}'.", "invalid_choice")
    if q.gaps and q.gaps != "any" and q.gaps not in phase_keys:
        raise UserValueError(f"Unknown phase '{q.gaps}'.", "invalid_phase")
    if args.get("dir") not in (None, "", "asc", "desc"):
        raise UserValueError("'dir' must be asc or desc.", "invalid_choice")
    return q


def select_rows(rows: list[PortfolioRow], q: Query) -> list[PortfolioRow]:
    """The rows matching `q` (text in code, name or client, case-insensitive; client exactly;
    gaps) in its order (ties by code)."""
    text = q.text.casefold()
    out = [r for r in rows
           if (not text or text in f"{r.project.code}\n{r.project.name}\n{r.project.client}".casefold())
           and (not q.client or r.project.client == q.client)
           and (not q.gaps or (r.missing if q.gaps == "any" else r.gaps.get(q.gaps, 0)))]
    out.sort(key=lambda r: r.project.code)
    if q.sort in NUMBER_KEYS:
        out.sort(key=lambda r: getattr(r, q.sort), reverse=q.descending)
    elif q.sort != "code" or q.descending:
        out.sort(key=lambda r: getattr(r.project, q.sort) or "", reverse=q.descending)
    return out

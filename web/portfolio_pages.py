"""The portfolio (/): a table of every project the user sees (cards for a handful), and the
register across projects (/register) with the per-project register's filters and exports.

Everything works without script: sorting, filters and the view switch are links and GET forms
(the query string). The table is not paginated up to TABLE_PAGE rows (500 projects render in
one page; sorting and filtering are server-side over all of them); the card view shows
CARD_PAGE projects a page. Figures: portfolio.figures (a fixed number of queries).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import g, render_template, request, url_for
from sqlalchemy import select

from catalog import get_catalog
from core import db
from core.errors import UserValueError
from core.roles import CLIENT, ENGINEER, PM
from deliverables.models import STATUSES, Deliverable, Version
from deliverables.registers import count_across, register_rows_across
from maintenance.alerts import alerts_by_project
from phases.completeness import completeness, fetch_rows, portfolio as completeness_of
from portfolio.figures import NUMBER_KEYS, SORT_KEYS, parse_query, portfolio_rows, select_rows
from projects import access
from projects.models import Project
from web import home_tasks
from web.blueprint import bp
from web.i18n import current_lang
from web.project_pages import _filters

CARDS_UP_TO = 6      # more projects than this: the table is the default view
CARD_PAGE = 25       # projects per page of cards
TABLE_PAGE = 500     # rows per page of the table (one page up to 500 projects)
REGISTER_PAGE = 200  # rows per page of the register across projects (the exports hold all)
WAITING_ROLES = (CLIENT, PM, ENGINEER)


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _pages(total: int, size: int) -> tuple[int, int]:
    pages = max(1, -(-total // size))
    return min(_page_number(), pages), pages


def _cards(projects) -> list[dict]:
    """The card view's items (phase bars, a few alerts, waiting per step) for one page of
    projects; a fixed number of queries."""
    per_project = completeness_of(fetch_rows([p.id for p in projects]))
    alerts = alerts_by_project(projects)
    waiting = home_tasks.waiting_counts([p.id for p in projects])
    empty = completeness([])
    items = []
    for p in projects:
        c = per_project.get(p.id, empty)
        counts = {"missing": c["total"] - c["with_version"], "draft": sum(x["draft"] for x in c["phases"]),
                  "in_review": sum(x["in_review"] for x in c["phases"]),
                  "rejected": sum(x["rejected"] for x in c["phases"]), "signed_off": c["signed_off"]}
        items.append({"project": p, "c": c, "counts": counts, "alerts": alerts[p.id], "waiting": waiting[p.id]})
    return items


def _links(rows, state: dict, gaps: str) -> list[tuple]:
    """(row, {figure: href}) for the table: each number's filtered list. The URLs are built from
    one url_for per endpoint (a code is [A-Za-z0-9_-], quoted all the same): 300 rows times eight
    url_for calls were most of the page's time."""
    marker = "CODE0MARKER"

    def base(endpoint: str, **kw) -> str:
        return url_for(endpoint, code=marker, **kw)
    project, maintenance, sla = base("web.project_register"), base("web.maintenance_page"), base("web.sla_page")
    overdue = base("web.maintenance_page", status="overdue", _anchor="records")
    register, home = url_for("web.register_all"), url_for("web.portfolio")
    phase = {"phase": gaps} if gaps and gaps != "any" else {}
    out = []
    for r in rows:
        code = quote(r.project.code, safe="")
        out.append((r, {
            "project": project.replace(marker, code),
            "client": f"{home}?{urlencode({**state, 'client': r.project.client})}",
            "percent": f"{register}?{urlencode({'project': r.project.code, 'status': 'signed_off'})}",
            "missing": f"{register}?{urlencode({'project': r.project.code, 'status': 'missing', **phase})}",
            "waiting_client": f"{register}?{urlencode({'project': r.project.code, 'waiting': 'client'})}",
            "overdue_records": overdue.replace(marker, code), "open_faults": maintenance.replace(marker, code),
            "sla_breaches": sla.replace(marker, code)}))
    return out


@bp.get("/")
def portfolio():
    """待办 first (the same list as GET /api/me/tasks), then the projects as a table or cards."""
    user = g.user
    cat = get_catalog()
    q = parse_query(request.args, {p.key for p in cat.phases})
    everything = portfolio_rows(user)
    rows = select_rows(everything, q)
    view = request.args.get("view")
    if view not in ("table", "cards"):
        view = "table" if len(everything) > CARDS_UP_TO else "cards"
    size = TABLE_PAGE if view == "table" else CARD_PAGE
    page, pages = _pages(len(rows), size)
    shown = rows[(page - 1) * size:page * size]
    state = {k: v for k, v in (("q", q.text), ("client", q.client), ("gaps", q.gaps),
                               ("sort", q.sort if q.sort != "code" else ""),
                               ("dir", "desc" if q.descending else ""),
                               ("view", view if request.args.get("view") == view else "")) if v}

    def sort_url(key: str) -> str:
        """The column's link: its order, or the other direction when it is the current one."""
        if key == q.sort:
            direction = "asc" if q.descending else "desc"
        else:
            direction = "desc" if key in NUMBER_KEYS else "asc"
        return url_for("web.portfolio", **{**state, "sort": key, "dir": direction})

    def view_url(name: str) -> str:
        return url_for("web.portfolio", **{**state, "view": name})

    return render_template(
        "portfolio.html", view=view, sort_url=sort_url, view_url=view_url, rows=shown,
        linked=_links(shown, state, q.gaps) if view == "table" else [],
        items=_cards([r.project for r in shown]) if view == "cards" else [],
        task_groups=home_tasks.task_groups(user), step_name=home_tasks.step_name, page=page, pages=pages,
        total=len(rows), all_count=len(everything), q=q, state=state, sort_keys=SORT_KEYS, phases=cat.phases,
        clients=sorted({r.project.client for r in everything if r.project.client}))


# --- the register across projects ----------------------------------------------------------------

@dataclass
class RegisterQuery:
    project: object | None  # the Project filtered on (visible to the user), or None: all
    phase: str | None
    status: str | None
    step: str | None
    waiting: str | None     # role of the step the latest version waits at

    def args(self) -> dict:
        return {k: v for k, v in (("project", self.project.code if self.project else None), ("phase", self.phase),
                                  ("status", self.status), ("step", self.step), ("waiting", self.waiting)) if v}

    def rows(self, user, limit: int | None = None, offset: int = 0):
        return register_rows_across(user, [self.project.id] if self.project else None, self.phase, self.status,
                                    step=self.step, role=self.waiting, limit=limit, offset=offset)

    def count(self, user) -> int:
        return count_across(user, [self.project.id] if self.project else None, self.phase, self.status,
                            step=self.step, role=self.waiting)


def register_query(user) -> RegisterQuery:
    """The filters of /register and its exports: phase and status as the project register (an
    unknown one is a 400), waiting a role (400 otherwise), step a step key or name (an unknown one
    keeps no row), project a code the user sees (else 404, as /projects/<code>)."""
    phase, status = _filters()
    waiting = request.args.get("waiting") or None
    if waiting and waiting not in WAITING_ROLES:
        raise UserValueError(f"'waiting' must be one of {', '.join(WAITING_ROLES)}.", "invalid_choice")
    code = request.args.get("project") or None
    project = access.get_project(user, code) if code else None
    return RegisterQuery(project, phase, status, (request.args.get("step") or "").strip()[:32] or None, waiting)


def _step_choices(user, current: str | None) -> list[tuple[str, str]]:
    """(key, name_zh) of the steps the latest versions of the user's projects wait at (a client:
    her side's steps only); one query."""
    q = (select(Version.step_key, Version.step_name).join(Deliverable, Deliverable.latest_version_id == Version.id)
         .join(Project, Project.id == Deliverable.project_id)
         .where(access.project_filter(user), Deliverable.kind == "document", Version.step_index.is_not(None)).distinct())
    if user.role == CLIENT:
        q = q.where(Version.step_role == CLIENT)
    seen = dict(sorted(db.session().execute(q).all()))
    if current and current not in seen and current not in seen.values():
        seen[current] = current
    return list(seen.items())


@bp.get("/register")
def register_all():
    """Every document of every visible project (or one), filtered; REGISTER_PAGE rows a page."""
    user = g.user
    rq = register_query(user)
    total = rq.count(user)
    page, pages = _pages(total, REGISTER_PAGE)
    rows = rq.rows(user, REGISTER_PAGE, (page - 1) * REGISTER_PAGE)
    projects = list(db.session().execute(select(Project.code, Project.name).where(access.project_filter(user))
                                         .order_by(Project.code)).all())
    roles = (CLIENT,) if user.role == CLIENT else WAITING_ROLES
    phase_names = {p.key: (p.name_en if current_lang() == "en" else p.name_zh) for p in get_catalog().phases}
    return render_template("register_all.html", rq=rq, rows=rows, total=total, page=page, pages=pages,
                           projects=projects, phases=get_catalog().phases, statuses=STATUSES,
                           step_choices=_step_choices(user, rq.step), roles=roles,
                           side_name=lambda r: home_tasks.SIDE_ZH.get(r, r), step_name=home_tasks.step_name,
                           waiting_text=home_tasks.waiting_text, phase_names=phase_names,
                           export_url=lambda fmt: url_for("web.export_register_all", fmt=fmt, **rq.args()))

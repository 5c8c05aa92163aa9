"""The page that shows what changed between two versions of one deliverable, paragraph by
paragraph, side by side (issue 14). Same operation and visibility as GET /api/versions/<id>/diff."""
from __future__ import annotations

from flask import g, render_template, request

from deliverables import versions, visibility
from deliverables.labels import display_name
from search import diff
from web.blueprint import bp
from web.i18n import current_lang


@bp.get("/versions/<int:version_id>/diff")
def diff_page(version_id):
    """?against=<version id>; without it, the newest visible earlier version of the deliverable."""
    user = g.user
    v = visibility.get_version(user, version_id)
    against = request.args.get("against")
    visible = versions.list_versions(user, v.deliverable)  # newest first
    if against is None:
        earlier = [x for x in visible if x.number < v.number]
        against = str(earlier[0].id) if earlier else ""
    result = diff.compare(user, version_id, against)
    added, removed = result.counts()
    d = v.deliverable
    return render_template("diff.html", d=d, diff=result, rows=result.rows(), added=added, removed=removed,
                           others=[x for x in visible if x.id != v.id], name=display_name(d, current_lang()))

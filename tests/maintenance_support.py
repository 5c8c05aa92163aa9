"""Helpers shared by the maintenance tests."""
from __future__ import annotations

from sqlalchemy import select

from core import db


def set_project(app, code, **values):
    """Set columns of project `code` directly (e.g. warranty_until, maintenance_start)."""
    from deliverables.models import Project
    with app.app_context():
        p = db.session().scalar(select(Project).where(Project.code == code))
        for k, v in values.items():
            setattr(p, k, v)
        db.session().commit()

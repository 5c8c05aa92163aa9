"""Fault tickets with SLA clocks and escalation; recurring records."""
from __future__ import annotations

from flask import Flask

from deliverables.draft_facts import register_provider
from maintenance.check_items import project_items, table_rows as check_table_rows
from maintenance.reports import draft_extra
from maintenance.sla_rules import level_table_rows


def _draft_facts(d) -> dict:
    # The service levels printed in documents come from the same data as the SLA clocks;
    # the daily check items (check book, maintenance manual) from the project's list.
    items, _ = project_items(d.project)
    return {"sla_levels": level_table_rows(), "check_items": check_table_rows(items), **draft_extra(d)}


def init_app(app: Flask) -> None:
    """Give drafts the maintenance facts they print."""
    register_provider("maintenance", _draft_facts)

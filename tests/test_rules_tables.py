"""The pure rules as tables, no HTTP and no database: a version's and a deliverable's state
(deliverables.signoff_state), a record's status (maintenance.records.record_status) and a
project's completeness (phases.completeness). The HTTP tests show the rules are used; these
show every case of each rule, one row each."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from deliverables.models import Signoff
from deliverables.signoff_state import deliverable_status, version_state
from maintenance.records import RECORD_STATUSES, record_status
from phases.completeness import Row, completeness, percent, portfolio

# -- a version's state: draft / in_review / rejected / signed_off ---------------------------

PM_OK, CLIENT_OK = ("pm", "approve"), ("client", "approve")
PM_NO, CLIENT_NO = ("pm", "reject"), ("client", "reject")


def signoffs(*pairs: tuple[str, str]) -> list[Signoff]:
    return [Signoff(role=role, decision=decision) for role, decision in pairs]


@pytest.mark.parametrize("given,done,state", [
    ((), False, "draft"),                              # at its first step, no approval
    ((PM_OK,), False, "in_review"),
    ((CLIENT_OK,), False, "in_review"),
    ((PM_OK, PM_OK), False, "in_review"),              # quorum "all": a step needs more approvals
    ((PM_OK, CLIENT_OK), True, "signed_off"),          # every step of the chain approved
    (((("engineer", "approve"),) + (PM_OK, CLIENT_OK)), True, "signed_off"),   # a longer chain
    ((PM_OK, CLIENT_OK), False, "in_review"),          # a chain with a step still waiting
    ((PM_NO,), False, "rejected"),
    ((CLIENT_NO,), False, "rejected"),
    ((PM_OK, CLIENT_NO), False, "rejected"),
    ((("engineer", "approve"), PM_NO), False, "rejected"),   # rejected at step 2
    ((PM_OK, CLIENT_OK, CLIENT_NO), True, "rejected"),       # any rejection wins
])
def test_version_state(given, done, state):
    assert version_state(signoffs(*given), done) == state


@pytest.mark.parametrize("latest,done,status", [
    (None, False, "missing"),                         # no version at all
    ((), False, "draft"),                             # a version without sign-offs
    ((PM_OK,), False, "in_review"),
    ((PM_OK, CLIENT_OK), True, "signed_off"),
    ((PM_OK, CLIENT_NO), False, "rejected"),
])
def test_deliverable_status_follows_its_latest_version(latest, done, status):
    assert deliverable_status(None if latest is None else signoffs(*latest), done) == status


def test_version_state_takes_any_iterable_once():
    assert version_state(iter(signoffs(PM_OK, CLIENT_NO)), False) == "rejected"


# -- a record's status: due / submitted / late / overdue --------------------------------------

DUE = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
BEFORE, AFTER = DUE - timedelta(seconds=1), DUE + timedelta(seconds=1)


@pytest.mark.parametrize("due_at,first_version_at,at,status", [
    (DUE, None, BEFORE, "due"),
    (DUE, None, DUE, "due"),                   # due up to and including the due time
    (DUE, None, AFTER, "overdue"),
    (DUE, BEFORE, AFTER, "submitted"),
    (DUE, DUE, AFTER, "submitted"),            # on the dot is in time
    (DUE, AFTER, AFTER, "late"),
    (DUE, AFTER, AFTER + timedelta(days=30), "late"),   # late stays late
    (DUE, BEFORE, BEFORE, "submitted"),
    (None, None, AFTER + timedelta(days=3650), "due"),  # on demand: never overdue
    (None, AFTER, AFTER, "submitted"),                  # on demand: never late
])
def test_record_status(due_at, first_version_at, at, status):
    assert record_status(due_at, first_version_at, at) == status
    assert status in RECORD_STATUSES


def test_record_status_compares_instants_not_local_dates():
    shanghai = timezone(timedelta(hours=8))
    due_local = DUE.astimezone(shanghai)                  # 18:00 in Shanghai, the same instant
    assert record_status(due_local, DUE, AFTER) == "submitted"
    assert record_status(due_local, None, DUE.astimezone(shanghai)) == "due"
    assert record_status(due_local, AFTER.astimezone(shanghai), AFTER) == "late"


# -- completeness: signed-off documents per phase and project ---------------------------------

def rows(project_id: int, *items: tuple[str, str]) -> list[Row]:
    """(phase, status) pairs as one project's document rows, numbered in order."""
    return [Row(project_id, phase, f"{phase}_{i}", status, i) for i, (phase, status) in enumerate(items)]


def phase(result: dict, key: str) -> dict:
    return next(p for p in result["phases"] if p["key"] == key)


@pytest.mark.parametrize("part,whole,value", [
    (0, 0, 0.0), (0, 3, 0.0), (1, 3, 33.3), (2, 3, 66.7), (3, 3, 100.0), (1, 33, 3.0), (33, 33, 100.0)])
def test_percent(part, whole, value):
    assert percent(part, whole) == value


@pytest.mark.parametrize("statuses,signed,with_version,pct,missing", [
    ((), 0, 0, 0.0, 0),
    (("missing", "missing"), 0, 0, 0.0, 2),
    (("draft", "missing"), 0, 1, 0.0, 1),
    (("in_review", "rejected", "draft"), 0, 3, 0.0, 0),
    (("signed_off", "missing", "missing"), 1, 1, 33.3, 2),
    (("signed_off", "signed_off", "in_review"), 2, 3, 66.7, 0),
    (("signed_off", "signed_off"), 2, 2, 100.0, 0),
])
def test_completeness_of_one_phase(statuses, signed, with_version, pct, missing):
    result = completeness(rows(1, *(("design", s) for s in statuses)))
    design = phase(result, "design")
    assert (design["total"], design["signed_off"], design["with_version"], design["percent"]) == (
        len(statuses), signed, with_version, pct)
    assert len(design["missing"]) == missing
    for status in ("in_review", "rejected", "draft"):
        assert design[status] == statuses.count(status)
    assert (result["total"], result["signed_off"], result["with_version"], result["percent"]) == (
        len(statuses), signed, with_version, pct)


def test_completeness_lists_every_catalog_phase_in_order_with_missing_keys():
    result = completeness(rows(1, ("testing", "missing"), ("initiation", "signed_off"), ("testing", "draft")))
    keys = [p["key"] for p in result["phases"]]
    assert keys == ["initiation", "requirements", "design", "development", "testing", "deployment",
                    "training", "acceptance", "maintenance"]
    assert phase(result, "testing")["missing"] == ["testing_0"]
    assert phase(result, "requirements") == {
        "key": "requirements", "name_zh": "需求分析", "name_en": phase(result, "requirements")["name_en"],
        "total": 0, "with_version": 0, "signed_off": 0, "in_review": 0, "rejected": 0, "draft": 0,
        "percent": 0.0, "missing": []}
    assert (result["total"], result["signed_off"], result["percent"]) == (3, 1, 33.3)


def test_portfolio_is_completeness_per_project():
    mixed = rows(1, ("design", "signed_off"), ("design", "missing")) + rows(2, ("testing", "signed_off"))
    result = portfolio(mixed)
    assert set(result) == {1, 2}
    assert result[1] == completeness(rows(1, ("design", "signed_off"), ("design", "missing")))
    assert (result[2]["total"], result[2]["percent"]) == (1, 100.0)
    assert portfolio([]) == {}

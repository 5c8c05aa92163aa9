"""The SLA data, the one deadline function and the pure escalation rule (no database)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from maintenance.escalation import Step, escalate
from maintenance.sla_rules import deadline, get_rules, parse_rules, terms_for

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("channel,terms,hours", [
    ("phone", "warranty", 1), ("onsite", "warranty", 1), ("email", "warranty", 2), ("remote", "warranty", 2),
    ("phone", "after_warranty", 2), ("onsite", "after_warranty", 2), ("email", "after_warranty", 2),
    ("remote", "after_warranty", 2),
])
def test_respond_deadline_per_channel_and_terms(channel, terms, hours):
    for level in (1, 2, 3, 4):  # the response time does not depend on the level
        assert deadline("respond", T0, terms=terms, channel=channel, level=level) == T0 + hours * H


@pytest.mark.parametrize("level,hours", [(1, 12), (2, 12), (3, 24), (4, 24)])
@pytest.mark.parametrize("terms", ["warranty", "after_warranty"])
def test_restore_deadline_per_level(level, hours, terms):
    assert deadline("restore", T0, terms=terms, level=level) == T0 + hours * H


def test_terms_follow_the_reported_date_in_local_time():
    until = date(2026, 11, 20)
    # 2026-11-20 23:30 in Shanghai is still the last warranty day (15:30 UTC).
    assert terms_for(until, datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc), SHANGHAI) == "warranty"
    # 2026-11-21 00:30 in Shanghai (16:30 UTC on the 20th) is after warranty.
    assert terms_for(until, datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc), SHANGHAI) == "after_warranty"
    assert terms_for(None, T0, SHANGHAI) == "warranty"


def test_rules_file_is_complete_and_validated():
    rules = get_rules()
    assert rules.level_numbers == (1, 2, 3, 4)
    assert set(rules.channel_keys) == {"phone", "email", "remote", "onsite"}
    assert rules.next_level(4) == 3 and rules.next_level(1) == 1
    with pytest.raises(ValueError):
        parse_rules({"levels": {1: {"name_zh": "一级"}}, "channels": {"phone": {}},
                     "terms": {"warranty": {"respond_hours": {"phone": 1}, "restore_hours": {1: 0}},
                               "after_warranty": {"respond_hours": {"phone": 1}, "restore_hours": {1: 1}}}})


def test_level4_entered_70h_late_has_risen_three_times():
    out = escalate(4, T0, "warranty", now=T0 + 70 * H)
    assert out.steps == (Step(4, 3, T0 + 24 * H), Step(3, 2, T0 + 48 * H), Step(2, 1, T0 + 60 * H))
    assert out.level == 1 and out.restore_by == T0 + 72 * H and out.restore_breached


def test_escalation_does_not_depend_on_when_it_is_computed():
    full = escalate(4, T0, "warranty", now=T0 + 70 * H).steps
    for hours in (1, 24, 25, 47, 49, 59, 61, 70):
        steps = escalate(4, T0, "warranty", now=T0 + hours * H).steps
        assert steps == tuple(s for s in full if s.at < T0 + hours * H)


def test_level1_stays_and_is_breached():
    out = escalate(1, T0, "warranty", now=T0 + 100 * H)
    assert out.steps == () and out.level == 1 and out.restore_breached
    assert not escalate(1, T0, "warranty", now=T0 + 12 * H).restore_breached  # exactly at the deadline: in time


def test_restored_in_time_and_restored_late():
    inside = escalate(3, T0, "warranty", now=T0 + 100 * H, restored_at=T0 + 23 * H)
    assert inside.steps == () and not inside.restore_breached
    late = escalate(3, T0, "warranty", now=T0 + 100 * H, restored_at=T0 + 30 * H)
    assert late.steps == (Step(3, 2, T0 + 24 * H),) and late.restore_breached and late.level == 2


def test_hold_stops_escalation_from_its_moment():
    out = escalate(4, T0, "warranty", now=T0 + 70 * H, hold_at=T0 + 30 * H)
    assert out.steps == (Step(4, 3, T0 + 24 * H),)
    assert escalate(4, T0, "warranty", now=T0 + 70 * H, hold_at=T0 + 1 * H).steps == ()

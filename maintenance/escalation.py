"""Automatic escalation as a pure function (no database, no clock).

A fault not restored by its restore deadline rises one level at the moment the
deadline passes and gets a new restore deadline of its new level counted from
that moment; again and again until the top level, where it stays (breached).
No escalation happens at or after the moment the fault was restored or the
two-party hold became effective, nor after `now`. Given the same inputs the
result is the same whenever it is computed, so nobody has to be looking.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from maintenance.sla_rules import SlaRules, deadline, get_rules


@dataclass(frozen=True)
class Step:
    from_level: int
    to_level: int
    at: datetime


@dataclass(frozen=True)
class Outcome:
    level: int                 # the current level
    restore_by: datetime       # the restore deadline of the current level
    steps: tuple[Step, ...]    # escalations, oldest first
    first_restore_by: datetime  # the deadline of the level the fault was reported with
    restore_breached: bool     # the first restore deadline was missed (restored late, or still open past it)


def escalate(initial_level: int, reported_at: datetime, terms: str, *, now: datetime,
             restored_at: datetime | None = None, hold_at: datetime | None = None,
             rules: SlaRules | None = None) -> Outcome:
    """The escalation steps of a fault, as of `now`."""
    rules = rules or get_rules()
    stop = min(t for t in (now, restored_at, hold_at) if t is not None)
    level = initial_level
    first = due = deadline("restore", reported_at, terms=terms, level=level, rules=rules)
    steps: list[Step] = []
    while due < stop and rules.next_level(level) != level:
        new = rules.next_level(level)
        steps.append(Step(level, new, due))
        level = new
        due = deadline("restore", due, terms=terms, level=level, rules=rules)
    end = restored_at if restored_at is not None else now
    return Outcome(level, due, tuple(steps), first, end > first)

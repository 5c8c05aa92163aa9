"""Extra facts for generated drafts that other areas supply.

A seam, so that deliverables never imports the areas built on it: maintenance registers
the SLA level table and a weekly report's fault table (maintenance.init_app); a draft
asks extra_facts(d) and gets whatever the registered providers know.
"""
from __future__ import annotations

from typing import Callable

from deliverables.models import Deliverable

Provider = Callable[[Deliverable], dict]
_providers: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Register (or replace) the provider called `name`; idempotent across app instances."""
    _providers[name] = provider


def extra_facts(d: Deliverable) -> dict:
    """Every registered provider's facts for `d`, merged in registration order."""
    out: dict = {}
    for provider in _providers.values():
        out.update(provider(d))
    return out

"""Phases and the completeness rules (pure functions over rows)."""

"""Fault tickets with SLA clocks and escalation; recurring records."""

"""Placeholder until the area lands."""

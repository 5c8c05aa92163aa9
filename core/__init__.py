"""Shared foundations: database, time, errors, auth, storage and audit."""

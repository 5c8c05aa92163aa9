"""Projects, deliverables, versions and sign-offs."""

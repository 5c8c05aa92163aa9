"""Bulk import of a vendor's folder tree of documents (CLI and ZIP page): see imports.run."""

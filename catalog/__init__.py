"""The required-document catalog, read from catalog.yaml at start-up."""
from catalog.loader import Catalog, DocumentType, Phase, RecordType, get_catalog  # noqa: F401

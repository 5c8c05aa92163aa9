"""Imports every model module so Base.metadata is complete (Alembic, tests)."""
from core.db import Base
import core.models  # noqa: F401
import deliverables.models  # noqa: F401
import maintenance.models  # noqa: F401
import search.models  # noqa: F401

metadata = Base.metadata

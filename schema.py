"""Every model module, so Base.metadata is complete: for Alembic (migrations/env.py) and
for copying rows between databases (backup.restore). Like app.py, a composition root:
it may import every area; no area imports it."""
import core.models  # noqa: F401
import deliverables.models  # noqa: F401
import jobs.models  # noqa: F401
import maintenance.models  # noqa: F401
import maintenance.check_items  # noqa: F401  (CheckItemList)
import projects.models  # noqa: F401
import notifications.models  # noqa: F401
import renditions.models  # noqa: F401
import search.models  # noqa: F401
import imports.models  # noqa: F401
from core.db import Base

metadata = Base.metadata

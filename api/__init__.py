"""The JSON API: parses input, calls operations, shapes output; no business rules here."""
from flask import Flask

from api.blueprint import bp


def register(app: Flask) -> None:
    # Importing the route modules attaches their views to `bp`.
    from api import (catalog_views, deliverable_views, maintenance_views, notification_views,  # noqa: F401
                     openapi_views, project_views, search_views, user_views, workflow_views)
    from api import rendition_views  # noqa: F401  (preview and controlled copies, issue 14)
    from api import diff_views  # noqa: F401  (text diff between versions, issue 14)
    from api import import_views  # noqa: F401  (ZIP imports, issue 17)
    from api import portfolio_views  # noqa: F401  (portfolio figures, sign-offs by week, issue 16)
    from api import batch_upload_views  # noqa: F401  (several files per request, issue 12)
    app.register_blueprint(bp)

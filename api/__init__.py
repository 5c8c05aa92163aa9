"""The JSON API: parses input, calls operations, shapes output; no business rules here."""
from flask import Flask

from api.blueprint import bp


def register(app: Flask) -> None:
    # Importing the route modules attaches their views to `bp`.
    from api import (catalog_views, deliverable_views, maintenance_views, openapi_views,  # noqa: F401
                     project_views, search_views, user_views)
    app.register_blueprint(bp)

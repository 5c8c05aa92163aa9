"""HTML pages (Jinja templates) calling the same operations as the API.

register(app): the `web` blueprint (all page modules attach to it), CSRFProtect
(the /api blueprint is exempt: it uses bearer tokens), i18n and Jinja filters.
"""
from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def register(app: Flask) -> None:
    # Imported here, not at the top: the page modules import this package (web.blueprint,
    # web.i18n, ...), so they can only be loaded once it exists; importing them attaches
    # their views to `bp`.
    from api.blueprint import bp as api_bp
    from web import filters, i18n
    from web.blueprint import bp
    from web import (admin_pages, auth_pages, deliverable_pages, exports, form_errors,  # noqa: F401
                     maintenance_pages, portal_pages, project_pages, search_pages)

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    csrf.exempt(api_bp)
    i18n.init_app(app)
    form_errors.init_app(app)
    filters.init_app(app)
    app.register_blueprint(bp)

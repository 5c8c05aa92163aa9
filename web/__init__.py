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
                     maintenance_pages, portal_pages, project_pages, search_pages, settings_pages)
    from web import rendition_pages  # noqa: F401  (preview PDF and controlled copies, issue 14)
    from web import diff_pages  # noqa: F401  (text diff between versions, issue 14)
    from web import project_setup_pages, token_pages  # noqa: F401  (project set-up, API tokens, issue 16)
    from web import import_pages  # noqa: F401  (ZIP import of a folder tree, issue 17)
    from web import portfolio_pages  # noqa: F401  (portfolio table, register across projects, issue 16)
    from web import sla_pages  # noqa: F401  (SLA compliance page and exports, issue 16)

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    csrf.exempt(api_bp)
    i18n.init_app(app)
    form_errors.init_app(app)
    filters.init_app(app)
    app.register_blueprint(bp)

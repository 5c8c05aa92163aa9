"""Application factory: config, extensions, blueprints, error handlers, CLI."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

import jobs
import maintenance
import renditions
import search
from api import register as register_api
from cli import register as register_cli
from core import audit, clock, db, throttle
from core.config import load_config
from core.key_file import shared_random_key
from core.requests import init_app as init_requests
from core.security_headers import init_app as init_security_headers
from core.upload import init_app as init_upload
from web import register as register_web


def _secret_key(data: Path) -> str:
    """A random secret kept in the data folder, so sessions survive restarts; every process
    on that folder gets the same one (core.key_file)."""
    return shared_random_key(data / "secret_key")


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides settings read from the environment."""
    app = Flask(__name__, static_folder="static", template_folder="web/templates")
    app.config.update(load_config(config))
    data = Path(app.config["HANDOVER_DATA"])
    data.mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _secret_key(data)
    # Werkzeug stops reading the body past this; the upload path enforces the exact limit.
    app.config["MAX_CONTENT_LENGTH"] = app.config["HANDOVER_MAX_UPLOAD_MB"] * 1024 * 1024 + 1024 * 1024
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    clock.use_local_time_zone(app.config["HANDOVER_TZ"])  # ZIP entry times in the deployment's zone

    db.init_app(app)

    audit.init_app(app)  # the audit chain's HMAC key (HANDOVER_AUDIT_KEY or $HANDOVER_DATA/audit_key)
    throttle.init_app(app)  # the shared password throttle (Redis through `limits`, else the database)

    init_requests(app)
    init_security_headers(app)
    init_upload(app)

    search.init_app(app)  # new versions' text is indexed
    renditions.init_app(app)  # new versions get a PDF rendition from the worker
    maintenance.init_app(app)  # facts maintenance gives generated drafts
    jobs.init_app(app)  # the queue, its jobs and /healthz
    register_api(app)
    register_web(app)
    register_cli(app)
    return app

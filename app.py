"""Application factory: config, extensions, blueprints, error handlers, CLI."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from core import db
from core.config import load_config


def _secret_key(data: Path) -> str:
    """A random secret kept in the data folder, so sessions survive restarts."""
    path = data / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


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

    db.init_app(app)

    from core.requests import init_app as init_requests
    from core.upload import init_app as init_upload
    init_requests(app)
    init_upload(app)

    from api import register as register_api
    register_api(app)

    from web import register as register_web
    register_web(app)

    from cli import register as register_cli
    register_cli(app)
    return app

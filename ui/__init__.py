"""OneStop web layer: the Flask app factory, the REST API and the command line."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.config import Settings
from engine.platform import Platform


def create_app(test_config: dict[str, Any] | None = None, *, platform: Platform | None = None) -> Flask:
    """Wire a Flask app to a platform (built from the environment unless one is given)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = platform.settings if platform is not None else Settings.from_env()
    app.config.from_mapping(
        SECRET_KEY=settings.ensure_secret_key(),
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["onestop"] = platform or Platform(settings)

    from .api import api
    from .errors import register_error_handlers

    app.register_blueprint(api)
    register_error_handlers(app)

    @app.get("/")
    def index() -> Any:
        return {"service": "OneStop 人才一站式服务平台", "api": "/api/v1", "openapi": "/api/v1/openapi.json"}

    return app

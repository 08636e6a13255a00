"""OneStop web layer: the Flask app factory, the web UI, the REST API and the command line."""

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
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
    )
    if test_config:
        app.config.update(test_config)
    if "SESSION_COOKIE_SECURE" not in (test_config or {}):
        # Secure cookies everywhere but in tests and the debugger (which run over plain http).
        app.config["SESSION_COOKIE_SECURE"] = not (app.testing or app.debug)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.extensions["onestop"] = platform or Platform(settings)

    from . import notify_api  # noqa: F401 — adds the notification routes to the two API blueprints
    from .admin_api import admin_api
    from .admin_ops_api import admin_ops_api
    from .api import api
    from .bearer import BearerAwareSessionInterface
    from .case_api import case_api
    from .door import install_door
    from .errors import register_error_handlers
    from .integration_api import integration_api
    from .metrics_view import init_app as init_metrics
    from .web import babel, csrf, login_manager, register_web, select_locale

    install_door(app)  # before anything reads a request: strict JSON, bounded bodies, clean text
    app.session_interface = BearerAwareSessionInterface()  # no session work for bearer-token API requests
    app.register_blueprint(api)
    app.register_blueprint(admin_api)
    app.register_blueprint(integration_api)
    app.register_blueprint(case_api)
    app.register_blueprint(admin_ops_api)
    register_error_handlers(app)
    init_metrics(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    csrf.exempt(api)  # the API authenticates each request with a bearer token, not a cookie
    csrf.exempt(admin_api)
    csrf.exempt(integration_api)
    csrf.exempt(case_api)
    csrf.exempt(admin_ops_api)
    babel.init_app(app, locale_selector=select_locale)
    register_web(app)
    return app

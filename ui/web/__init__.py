"""The web UI for department staff and applicants: sign-in, task lists, task pages, the applicant portal."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from engine.people.privacy import mask_text

from .auth import login_manager, select_locale

csrf = CSRFProtect()
babel = Babel()

__all__ = ["babel", "csrf", "login_manager", "register_web", "select_locale"]


def register_web(app: Flask) -> None:
    """The web blueprints, their error pages, template helpers and security headers."""
    from .auth import auth
    from .casework import casework
    from .console import console
    from .console_notify import notifications as _deliveries  # noqa: F401 — adds its pages to the console
    from .console_ops import console_ops
    from .designer import designer
    from .display import register_display
    from .dmn_editor import dmn_edit  # noqa: F401 — adds the DMN editor and the API explorer to the designer
    from .integration_console import external_tasks_page  # noqa: F401 — adds 外部系统 to the console blueprint
    from .notifications import notifications, unread_notifications
    from .pages import register_pages
    from .policy import policy_page  # noqa: F401 — adds the 政策条款对照表 to the designer blueprint
    from .portal import portal
    from .preferences import preferences, text_size
    from .registration import registration
    from .tasklist import tasklist
    from .taskpage import taskpage

    for blueprint in (auth, tasklist, taskpage, portal, console, designer, preferences, notifications,
                      registration, casework, console_ops):
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(text_size=text_size, unread_notifications=unread_notifications)
    app.jinja_env.filters.update(mask=mask_text)
    register_pages(app)
    register_display(app)

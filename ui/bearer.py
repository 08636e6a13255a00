"""API requests that carry a bearer token get no session: no cookie is read, signed or written for them.

The token authenticates such a request on its own (ui/api.py), so the session machinery — reading and verifying
the cookie, Flask-Login's remember-me bookkeeping, the ``Vary: Cookie`` it adds — is work for nothing on every API
call. Pages and everything else keep Flask's signed-cookie session."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


def is_bearer_api_request(request: Request) -> bool:
    return request.path.startswith("/api/") and \
        request.headers.get("Authorization", "")[:7].lower() == "bearer "


class BearerAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's session, except a null one (nothing read, nothing saved) for a bearer-token API request."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_bearer_api_request(request):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)

"""One table from error classes to HTTP status, and JSON error bodies for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DataError, InterfaceError
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    AuthenticationRequired,
    Busy,
    Conflict,
    DeploymentRefused,
    InvalidInput,
    NotFound,
    OneStopError,
    PermissionDenied,
    SignInThrottled,
)
from engine.people.privacy import install_log_masking
from engine.store.uow import DatabaseUnavailable

from .door import MalformedRequest, RequestTooLarge

STATUS_BY_ERROR: list[tuple[type[OneStopError], int]] = [
    (SignInThrottled, 429),
    (MalformedRequest, 400),
    (RequestTooLarge, 413),
    (AuthenticationRequired, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (DeploymentRefused, 422),
    (InvalidInput, 422),
    (DatabaseUnavailable, 503),
    (Busy, 503),
    (OneStopError, 400),
]


def status_for(error: OneStopError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 400


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or []}


def register_error_handlers(app: Flask) -> None:
    install_log_masking()  # no ID or mobile number reaches a log in clear, whoever logs it
    @app.errorhandler(OneStopError)
    def _onestop(error: OneStopError) -> Any:
        status = status_for(error)
        if not request.path.startswith("/api/"):  # refused before any blueprint's view (ui/door.py): a page
            from .web.pages import error_page

            return error_page(status)
        response = jsonify(error_body(error.code, error.message, error.details))
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="onestop"'
        if status == 503:
            response.headers["Retry-After"] = "2"
        return response, status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        return jsonify(error_body(code, error.description or error.name)), error.code or 400

    @app.errorhandler(SQLAlchemyOperationalError)
    @app.errorhandler(InterfaceError)
    def _database_away(error: Exception) -> tuple[Response, int]:
        # The database is unreachable or went away mid-request: nothing was committed; the pool reconnects
        # (pre-ping) on a later request, so the same process recovers once the database is back.
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        response = jsonify(error_body("database_unavailable",
                                      "the database is unavailable for the moment; nothing was changed, try again"))
        response.headers["Retry-After"] = "5"
        return response, 503

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(error: Exception) -> Any:
        # A number in the request the database cannot hold (an id of 30 digits): nothing has that id.
        if isinstance(error, DataError) and "out of range" not in str(error.orig):
            return _unexpected(error)
        if not request.path.startswith("/api/"):
            from .web.pages import error_page

            return error_page(404)
        return jsonify(error_body("not_found", "no such item: a number in the request is out of range")), 404

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error_body("internal_error", "an unexpected error occurred; it has been logged")), 500

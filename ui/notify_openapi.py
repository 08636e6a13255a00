"""The OpenAPI description of the notification routes (ui/notify_api.py), added to ui/openapi.py's document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_TIME = {"type": ["string", "null"], "format": "date-time"}
NOTIFICATION = {"type": "object", "required": ["id", "kind", "subject", "body", "link", "created_at", "read"],
                "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "description": "its template"},
                    "subject": {"type": "string"}, "body": {"type": "string"},
                    "link": {"type": ["string", "null"], "description": "the page it is about (a path)"},
                    "instance_id": {"type": ["integer", "null"]}, "task_id": {"type": ["integer", "null"]},
                    "created_at": {"type": "string", "format": "date-time"}, "read": {"type": "boolean"},
                    "read_at": _TIME}}
SETTINGS_BODY = {"type": "object", "properties": {
    "channels": {"type": "object", "additionalProperties": {"type": "array", "items": {
        "type": "string", "enum": ["email", "sms"]}}, "description": "per kind, the channels besides in-app"},
    "quiet_hours": {"type": "string", "description": "SMS held in these hours: 22:00-07:00, or off"},
    "language": {"type": "string", "enum": ["zh", "en"]},
    "email": {"type": ["string", "null"]}}}


def paths(*, _op: Callable[..., Any], _admin_op: Callable[..., Any], _json: Callable[..., Any],
          _errors: Callable[..., Any], _query: Callable[..., Any], _path_int: Callable[..., Any],
          _json_body: Callable[..., Any]) -> dict[str, Any]:
    listing = {"type": "object", "required": ["unread", "items"], "properties": {
        "unread": {"type": "integer"}, "items": {"type": "array", "items": NOTIFICATION}}}
    settings = {"type": "object"}
    return {
        "/notifications": {"get": _op(
            "The caller's in-app notifications, newest first, with the unread count", {
                "200": _json(listing), **_errors(422)}, tag="notifications", op_id="listNotifications",
            params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                    _query("before", {"type": "integer"}, "an id: the page after it"),
                    _query("unread", {"type": "boolean"}), _query("lang", {"type": "string", "enum": ["zh", "en"]})])},
        "/notifications/{notification_id}/read": {"post": _op(
            "Mark one of the caller's notifications read", {"200": _json(NOTIFICATION), **_errors(404)},
            tag="notifications", op_id="readNotification", params=[_path_int("notification_id")])},
        "/notifications/read-all": {"post": _op(
            "Mark all the caller's notifications read", {"200": _json({"type": "object"}), **_errors()},
            tag="notifications", op_id="readAllNotifications")},
        "/notifications/settings": {
            "get": _op("The caller's channels per kind, SMS quiet hours, language and contact details",
                       {"200": _json(settings), **_errors()}, tag="notifications", op_id="getNotificationSettings"),
            "put": _op("Change them (each field optional)", {"200": _json(settings), **_errors(422)},
                       tag="notifications", op_id="putNotificationSettings", body=_json_body(SETTINGS_BODY))},
        "/admin/notifications": {"get": _admin_op(
            "Every notification with its channel, state, tries and error (newest first)", _json({
                "type": "object", "properties": {"total": {"type": "integer"}, "counts": {"type": "object"},
                                                 "items": {"type": "array"}}}), (422,), "adminNotifications",
            params=[_query("state", {"type": "string", "enum": ["pending", "sending", "sent", "failed"]}),
                    _query("channel", {"type": "string", "enum": ["in_app", "email", "sms", "webhook"]}),
                    _query("kind", {"type": "string"}), _query("recipient", {"type": "string"}),
                    _query("limit", {"type": "integer", "minimum": 1}),
                    _query("offset", {"type": "integer", "minimum": 0})])},
        "/admin/notifications/{notification_id}/resend": {"post": _admin_op(
            "Send a failed or interrupted notification again (a new row)", _json({"type": "object"}), (404, 409),
            "adminResendNotification", params=[_path_int("notification_id")])},
        "/admin/tasks/{task_id}/urge": {"post": _admin_op(
            "催办: press for an open task with a message (administrators and the talent office)",
            _json({"type": "object"}), (404, 409, 422), "adminUrgeTask", params=[_path_int("task_id")],
            body=_json_body({"type": "object", "required": ["message"], "properties": {
                "message": {"type": "string", "minLength": 1, "maxLength": 500}}}))},
        "/admin/users/{username}/contact": {"put": _admin_op(
            "Set a user's email and mobile number (empty text clears one)", _json({"type": "object"}), (404, 422),
            "adminUserContact", params=[{"name": "username", "in": "path", "required": True,
                                         "schema": {"type": "string"}}],
            body=_json_body({"type": "object", "properties": {"email": {"type": ["string", "null"]},
                                                              "mobile": {"type": ["string", "null"]}}}))},
    }

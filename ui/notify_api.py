"""The notification routes of the REST API: a person's notifications and settings, and for administrators the
delivery of every notification (resend), users' contact details and the 催办 of an overdue task."""

from __future__ import annotations

from flask import Response, jsonify, request

from engine.errors import InvalidInput
from engine.notify import admin as deliveries
from engine.notify import inbox
from engine.people.contact import change_contact
from tasks.urge import urge_task

from .admin_api import admin_api
from .api import _bool_arg, _int_arg, api, json_body, platform, unit_of_work


def _language() -> str | None:
    """``?lang=en`` or ``zh``; else the person's own choice in their settings."""
    value = request.args.get("lang")
    if value not in (None, "", "zh", "en"):
        raise InvalidInput("lang is zh or en", details=[{"field": "lang", "message": "zh or en"}])
    return value or None


@api.get("/notifications")
def list_notifications() -> Response:
    before = request.args.get("before")
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(inbox.list_notifications(
            actor=actor, uow=uow, limit=_int_arg("limit", 50), before=_int_arg("before", 0) if before else None,
            unread_only=bool(_bool_arg("unread")), language=_language()))


@api.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        result = inbox.mark_read(notification_id, actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@api.post("/notifications/read-all")
def read_all_notifications() -> Response:
    with unit_of_work(write=True) as (uow, actor):
        count = inbox.mark_all_read(actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify({"marked": count, "unread": 0})


@api.get("/notifications/settings")
def notification_settings() -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(inbox.get_settings(actor=actor, uow=uow))


@api.put("/notifications/settings")
def put_notification_settings() -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = inbox.put_settings(body, actor=actor, uow=uow)
        uow.commit()
    return jsonify(result)


@admin_api.get("/notifications")
def admin_notifications() -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(deliveries.list_deliveries(
            actor=actor, uow=uow, state=request.args.get("state") or None,
            channel=request.args.get("channel") or None, kind=request.args.get("kind") or None,
            recipient=request.args.get("recipient") or None, limit=_int_arg("limit", 50),
            offset=_int_arg("offset", 0)))


@admin_api.post("/notifications/<int:notification_id>/resend")
def resend_notification(notification_id: int) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        result = deliveries.resend(notification_id, actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_api.post("/tasks/<int:task_id>/urge")
def urge(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = urge_task(task_id, body.get("message", ""), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_api.put("/users/<username>/contact")
def user_contact(username: str) -> Response:
    body = json_body()
    for field in ("email", "mobile"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise InvalidInput(f"{field} is text", details=[{"field": field, "message": "text, or empty to clear"}])
    with unit_of_work(write=True) as (uow, actor):
        result = change_contact(username, email=body.get("email"), mobile=body.get("mobile"),
                                actor_is_admin=actor.is_admin, uow=uow)
        uow.commit()
    return jsonify(result)

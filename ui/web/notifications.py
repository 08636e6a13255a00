"""Notifications on the web: the bell's count on every page, a person's list (opening one marks it read) and their
settings (channels per kind, SMS quiet hours, language, email address)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.errors import InvalidInput
from engine.notify import inbox
from engine.notify.templates import CHANNELS

from .auth import _safe_next as safe_next
from .display import is_english
from .pages import add_error_pages
from .work import now, platform, unit_of_work

notifications = add_error_pages(Blueprint("notifications", __name__, url_prefix="/notifications"))
PAGE_SIZE = 50


def unread_notifications() -> int:
    """The bell's number for the signed-in person (0 before sign-in); read from the index of unread rows."""
    if not current_user.is_authenticated:
        return 0
    with platform().uow(write=False) as uow:
        return inbox.unread_count(current_user.actor.username, uow=uow)


def _language() -> str:
    return "en" if is_english() else "zh"


@notifications.get("")
@login_required
def index() -> Any:
    before = request.args.get("before", "")
    with unit_of_work(write=False) as (uow, actor):
        listed = inbox.list_notifications(actor=actor, uow=uow, limit=PAGE_SIZE, language=_language(),
                                          before=int(before) if before.isdigit() and len(before) < 10 else None,
                                          unread_only=request.args.get("unread") == "1")
    older = listed["items"][-1]["id"] if len(listed["items"]) == PAGE_SIZE else None
    return render_template("notifications/list.html", listed=listed, older=older,
                           unread_only=request.args.get("unread") == "1")


@notifications.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int) -> Any:
    """Mark it read and go to what it is about."""
    with unit_of_work(write=True) as (uow, actor):
        item = inbox.mark_read(notification_id, actor=actor, uow=uow, now=now())
    return redirect(safe_next(item["link"]) or url_for("notifications.index"))


@notifications.post("/read-all")
@login_required
def read_all() -> Any:
    with unit_of_work(write=True) as (uow, actor):
        count = inbox.mark_all_read(actor=actor, uow=uow, now=now())
    flash(_("已将 %(count)s 条消息标为已读。", count=count), "success")
    return redirect(url_for("notifications.index"))


def _settings_form() -> dict[str, Any]:
    """The settings form as the API's body: one checkbox per kind and channel, quiet hours, language, email."""
    channels = {kind: [c for c in CHANNELS if request.form.get(f"channel-{kind}-{c}")]
                for kind in request.form.getlist("kind")}
    quiet = "off" if request.form.get("quiet_off") else request.form.get("quiet_hours", "").strip()
    return {"channels": channels, "quiet_hours": quiet, "language": request.form.get("language", "zh"),
            "email": request.form.get("email", "")}


@notifications.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    problems: list[dict[str, Any]] = []
    if request.method == "POST":
        try:
            with unit_of_work(write=True) as (uow, actor):
                inbox.put_settings(_settings_form(), actor=actor, uow=uow)
            flash(_("消息设置已保存。"), "success")
            return redirect(url_for("notifications.settings"))
        except InvalidInput as error:
            problems = error.details
    with unit_of_work(write=False) as (uow, actor):
        view = inbox.get_settings(actor=actor, uow=uow)
    return render_template("notifications/settings.html", view=view, channels=CHANNELS, problems=problems,
                           language=_language()), 422 if problems else 200

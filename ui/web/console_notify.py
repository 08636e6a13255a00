"""The console's notification pages: the delivery of every notification (filter by state and channel, the error
of a failed one, resend), users' contact details, and the 催办 of an overdue task from the overdue list and the
督办 dashboard."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.notify import admin as deliveries
from engine.people.contact import change_contact
from engine.store.models import User
from tasks.urge import urge_task

from .auth import _safe_next as safe_next
from .console import PAGE_SIZE, _page_number, console
from .work import now, unit_of_work

MAX_USERS_LISTED = 200


@console.get("/notifications")
@login_required
def notifications() -> Any:
    page = _page_number()
    state = request.args.get("state") or None
    channel = request.args.get("channel") or None
    if state not in (None, *deliveries.STATES):
        state = None
    if channel not in (None, *deliveries.CHANNELS):
        channel = None
    with unit_of_work(write=False) as (uow, actor):
        listed = deliveries.list_deliveries(actor=actor, uow=uow, state=state, channel=channel,
                                            recipient=request.args.get("recipient") or None, limit=PAGE_SIZE,
                                            offset=(page - 1) * PAGE_SIZE)
    return render_template("console/notifications.html", listed=listed, state=state, channel=channel,
                           recipient=request.args.get("recipient") or "", page=page,
                           pages=max((listed["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                           states=deliveries.STATES, channels=deliveries.CHANNELS)


@console.post("/notifications/<int:notification_id>/resend")
@login_required
def resend_notification(notification_id: int) -> Any:
    try:
        with unit_of_work(write=True) as (uow, actor):
            deliveries.resend(notification_id, actor=actor, uow=uow, now=now())
        flash(_("已重新加入发送队列，将由后台发送。"), "success")
    except (Conflict, NotFound) as error:
        flash(_("未能重发：%(detail)s", detail=error.message), "error")
    return redirect(url_for("console.notifications", state=request.args.get("state") or None,
                            channel=request.args.get("channel") or None))


@console.get("/users")
@login_required
def users() -> Any:
    search = (request.args.get("q") or "").strip()[:80]
    with unit_of_work(write=False) as (uow, actor):
        if not actor.is_admin:
            raise PermissionDenied("only administrators use the console")
        query = select(User).order_by(User.role, User.department, User.username).limit(MAX_USERS_LISTED)
        if search:
            query = query.where(or_(User.username.contains(search, autoescape=True),
                                    User.display_name.contains(search, autoescape=True)))
        people = list(uow.session.scalars(query).all())
        return render_template("console/users.html", people=people, search=search, limit=MAX_USERS_LISTED)


@console.post("/users/<username>/contact")
@login_required
def user_contact(username: str) -> Any:
    try:
        with unit_of_work(write=True) as (uow, actor):
            change_contact(username, email=request.form.get("email", ""),
                           mobile=request.form.get("mobile") if request.form.get("mobile_changed") else None,
                           actor_is_admin=actor.is_admin, uow=uow)
        flash(_("%(user)s 的联系方式已保存。", user=username), "success")
    except InvalidInput as error:
        problem = (error.details or [{}])[0]
        flash(_("未保存：%(problem)s", problem=problem.get("message_zh") or problem.get("message") or error.message),
              "error")
    return redirect(url_for("console.users", q=request.args.get("q") or None))


@console.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int) -> Any:
    """催办 from the overdue list or the dashboard; back to where it was pressed."""
    back = safe_next(request.form.get("next")) or url_for("console.overdue")
    try:
        with unit_of_work(write=True) as (uow, actor):
            urge_task(task_id, request.form.get("message", ""), actor=actor, uow=uow, now=now())
        flash(_("已催办：承办人员将收到站内消息（以及其选择的邮件或短信），催办意见已记入办理记录。"), "success")
    except InvalidInput:
        flash(_("请填写催办意见（不超过500字）。"), "error")
    except (Conflict, NotFound):
        flash(_("该任务已办结或不存在，无需催办。"), "error")
    return redirect(back)

"""Working together on a case from the web pages: a comment on the case or one of its tasks, the case's priority
(the window or an administrator), and an applicant's withdrawal (撤回). Each answers on the page it came from."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.priority import may_set_priority, set_priority
from engine.cases.withdrawal import may_withdraw, withdraw_instance
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork
from tasks import comments

from .display import is_english
from .pages import add_error_pages
from .schema_forms import problem_text
from .work import now, unit_of_work

casework = add_error_pages(Blueprint("casework", __name__, url_prefix="/cases"))


def _back(instance_id: int) -> Any:
    """Back to the page the form was on: a task page, the console's case page, or the case page."""
    task_id = request.form.get("task_id", "")
    if task_id.isascii() and task_id.isdigit():
        return redirect(url_for("taskpage.show", task_id=int(task_id)))
    if request.form.get("back") == "console":
        return redirect(url_for("console.instance", instance_id=instance_id))
    return redirect(url_for("portal.case", instance_id=instance_id))


def _refused(error: Exception) -> str:
    """Why it was not done, in the page's language (the services word it in English, with Chinese beside)."""
    details = getattr(error, "details", None) or [{}]
    if is_english() and not isinstance(error, PermissionDenied):
        return _("操作未完成：%(message)s", message=getattr(error, "message", str(error)))
    if isinstance(error, InvalidInput | Conflict) and isinstance(details[0], dict) and details[0].get("message_zh"):
        return problem_text(details[0])
    if isinstance(error, PermissionDenied):
        return _("您没有权限进行此操作。")
    return _("操作未完成：%(message)s", message=getattr(error, "message", str(error)))


@casework.post("/<int:instance_id>/comments")
@login_required
def comment(instance_id: int) -> Any:
    raw_task = request.form.get("task_id", "")
    task_id = int(raw_task) if raw_task.isascii() and raw_task.isdigit() else None
    try:
        with unit_of_work(write=True) as (uow, actor):
            comments.add_comment(instance_id, request.form.get("text", ""), task_id=task_id, actor=actor, uow=uow,
                                 now=now())
        flash(_("意见已发表。"), "success")
    except (InvalidInput, Conflict) as error:
        flash(_refused(error), "error")
    return _back(instance_id)


@casework.post("/<int:instance_id>/priority")
@login_required
def priority(instance_id: int) -> Any:
    try:
        with unit_of_work(write=True) as (uow, actor):
            set_priority(instance_id, request.form.get("priority"), reason=request.form.get("reason", ""),
                         actor=actor, uow=uow, now=now())
        flash(_("优先级已设置。"), "success")
    except (InvalidInput, Conflict) as error:  # who may not set it gets the 403 page: the form is not theirs
        flash(_refused(error), "error")
    return _back(instance_id)


@casework.post("/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int) -> Any:
    try:
        with unit_of_work(write=True) as (uow, actor):
            withdraw_instance(instance_id, reason=request.form.get("reason", ""), actor=actor, uow=uow, now=now())
        flash(_("申请已撤回。"), "success")
    except (InvalidInput, Conflict, PermissionDenied) as error:
        flash(_refused(error), "error")
    return redirect(url_for("portal.case", instance_id=instance_id))


def case_extras(instance_id: int, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """What a case's pages show of the work together on it: its comments, whether this person may set its
    priority, and whether they may withdraw it (the caller has checked the case is visible)."""
    row = uow.session.get(ProcessInstance, instance_id)
    running = row is not None and row.status not in ("completed", "cancelled")
    return {"comments": comments.case_comments(instance_id, actor=actor, uow=uow),
            "may_set_priority": running and row is not None and may_set_priority(actor, row, uow),
            "may_withdraw": row is not None and may_withdraw(actor, row, uow)}

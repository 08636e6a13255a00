"""The task page: case summary, instructions, earlier steps, documents and the form; claim, release, hand over,
submit — a conflict (someone else acted first) is explained on the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.errors import Conflict, InvalidInput, NotFound
from engine.people.identity import Actor
from engine.store.uow import UnitOfWork
from tasks import attachments, handover, listing
from tasks import service as tasks
from tasks.attachments import SubmissionRejected

from .casework import case_extras
from .display import when
from .pages import add_error_pages
from .schema_forms import build_fields, form_errors, problem_text, read_submission
from .work import now, unit_of_work

taskpage = add_error_pages(Blueprint("taskpage", __name__, url_prefix="/tasks"))
# Facts carry over from the case data into a form (so a resubmission starts from what was sent, documents
# included); decisions and confirmations do not, so each review decides afresh.
CARRIED_WIDGETS = ("text", "textarea", "number", "integer", "date", "file")


def _prefill(task: dict[str, Any]) -> dict[str, Any]:
    data = task["data"] or {}
    fields = build_fields(task["form_schema"], task["ui_schema"], {})
    return {f.name: data[f.name] for f in fields if f.widget in CARRIED_WIDGETS and f.name in data}


def _page(task_id: int, uow: UnitOfWork, actor: Actor, *, task: dict[str, Any] | None = None,
          values: dict[str, Any] | None = None, problems: list[dict[str, Any]] | None = None,
          conflict: str | None = None) -> str:
    task = task or tasks.get_task(task_id, actor=actor, uow=uow)
    case = listing.case_overview(task["instance_id"], actor=actor, uow=uow)
    every_document = attachments.case_attachments(task["instance_id"], actor=actor, uow=uow, include_replaced=True)
    documents = [d for d in every_document if not d["replaced"]]  # a replaced version opens from its step
    holder = task["state"] == "claimed" and task["assignee"] == actor.username
    colleagues = handover.colleagues(task_id, actor=actor, uow=uow) if holder and task["department"] else []
    extras = case_extras(task["instance_id"], uow, actor)
    people = {task["assignee"], task["completed_by"], *(s["actor"] for s in case["steps"]),
              *(c["author"] for c in extras["comments"]),
              *(d["uploaded_by"] for d in documents), *(s["details"].get("to") for s in case["steps"])}
    fields = build_fields(task["form_schema"], task["ui_schema"], _prefill(task) if values is None else values,
                          problems)
    return render_template(
        "tasks/show.html", task=task, case=case, documents=documents, document_ids={d["id"] for d in every_document},
        colleagues=colleagues, names=listing.display_names({p for p in people if p}, uow=uow), fields=fields,
        form_errors=form_errors(problems or [], task["form_schema"]), holder=holder, conflict=conflict,
        may_submit=task["may_act"] and holder and task["case_status"] != "suspended",
        **extras)


def _explain(task_id: int, uow: UnitOfWork, actor: Actor) -> str:
    """What happened to the task, read afresh after a conflict (the failed transaction has rolled back)."""
    try:
        task = tasks.get_task(task_id, actor=actor, uow=uow)
    except NotFound:
        return _("此任务已不存在或您已无权查看。")
    if task["instance"]["status"] == "suspended" and task["state"] in tasks.OPEN:
        return _("操作未完成：此案件已由管理员暂停办理，恢复办理后才能认领和提交。")
    names = listing.display_names({task["assignee"] or "", task["completed_by"] or ""}, uow=uow)
    if task["state"] == "completed":
        who = names.get(task["completed_by"] or "", task["completed_by"] or "")
        ended = datetime.fromisoformat(task["ended_at"]) if task["ended_at"] else None
        return _("操作未完成：此任务已由 %(who)s 于 %(at)s 办结。", who=who, at=when(ended))
    if task["state"] == "cancelled":
        return _("操作未完成：此任务已取消（案件流程已发生变化）。")
    if task["state"] == "claimed" and task["assignee"] != actor.username:
        who = names.get(task["assignee"] or "", task["assignee"] or "")
        return _("操作未完成：此任务已由 %(who)s 认领，正在办理。", who=who)
    if task["instance"]["status"] != "active":
        return _("操作未完成：案件当前不在办理状态，请联系管理员。")
    return _("操作未完成：此任务的状态刚刚发生了变化，请查看最新状态后重试。")


def _act(task_id: int, action: Any, done: str) -> Any:
    try:
        with unit_of_work(write=True) as (uow, actor):
            action(uow, actor)
        flash(done, "success")
    except Conflict:
        with unit_of_work(write=False) as (uow, actor):
            flash(_explain(task_id, uow, actor), "error")
    except InvalidInput as error:
        flash(problem_text((error.details or [{}])[0]), "error")
    return redirect(url_for("taskpage.show", task_id=task_id))


@taskpage.get("/<int:task_id>")
@login_required
def show(task_id: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        task = tasks.get_task(task_id, actor=actor, uow=uow)
        if actor.role == "applicant" and task["assignee"] != actor.username:
            # An applicant follows staff steps on the case page; the staff's task page is theirs.
            return redirect(url_for("portal.case", instance_id=task["instance_id"]))
        return _page(task_id, uow, actor, task=task)


@taskpage.post("/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Any:
    return _act(task_id, lambda uow, actor: tasks.claim_task(task_id, actor=actor, uow=uow, now=now()),
                _("已认领，请办理。"))


@taskpage.post("/<int:task_id>/release")
@login_required
def release(task_id: int) -> Any:
    return _act(task_id, lambda uow, actor: tasks.release_task(task_id, actor=actor, uow=uow, now=now()),
                _("已退回部门待认领。"))


@taskpage.post("/<int:task_id>/handover")
@login_required
def hand_over(task_id: int) -> Any:
    to, note = request.form.get("to", ""), request.form.get("note", "").strip()
    return _act(task_id, lambda uow, actor: handover.hand_over_task(task_id, to, actor=actor, uow=uow, now=now(),
                                                                    note=note), _("已转交。"))


@taskpage.post("/<int:task_id>")
@login_required
def submit(task_id: int) -> Any:
    """Two units of work: the form is checked and its documents stored (nothing, when the form is refused);
    then the task is completed in a unit that runs the case's diagram without holding the database's write
    lock. If that fails, the documents stored for it go again."""
    with unit_of_work(write=True, optimistic=True) as (uow, actor):
        task = tasks.get_task(task_id, actor=actor, uow=uow)
        data, uploads, unreadable = read_submission(task["form_schema"], task["ui_schema"], request.form,
                                                    request.files)
        try:
            submission = attachments.store_submission(task_id, data, uploads, actor=actor, uow=uow, now=now())
        except SubmissionRejected as rejected:  # nothing was stored: the form is shown again
            fields = {p["field"] for p in unreadable}
            problems = unreadable + [p for p in rejected.details if p.get("field") not in fields]
            return _page(task_id, uow, actor, values=rejected.data, problems=problems), 422
        except Conflict:
            return _page(task_id, uow, actor, conflict=_explain(task_id, uow, actor)), 409
    try:
        with unit_of_work(write=True, optimistic=True) as (uow, actor):
            tasks.complete_task(task_id, submission.data, actor=actor, uow=uow, now=now())
    except BaseException as error:
        with unit_of_work(write=True) as (uow, actor):
            attachments.discard(submission, uow=uow)
        if not isinstance(error, Conflict):
            raise
        with unit_of_work(write=False) as (uow, actor):
            return _page(task_id, uow, actor, conflict=_explain(task_id, uow, actor)), 409
    flash(_("已提交：%(title)s。", title=task["title"]), "success")
    if task["department"] is None:
        return redirect(url_for("portal.case", instance_id=task["instance_id"]))
    return redirect(url_for("tasklist.index"))

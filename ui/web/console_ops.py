"""The console's operations on many cases and on a case's path: bulk actions on the cases a search found (with a
confirmation step and a result per case), incidents grouped by error with a retry per group, and moving a case's
token to another step — each with a reason kept in the history of every case it touched."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from engine.cases.token_moves import move_options, move_token
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.services import admin_queries, bulk, designer, incidents
from engine.store.uow import UnitOfWork
from tasks import listing

from .display import is_english
from .pages import add_error_pages
from .schema_forms import problem_text
from .work import now, platform, unit_of_work

console_ops = add_error_pages(Blueprint("console_ops", __name__, url_prefix="/console"))
FILTER_KEYS = ("model_key", "status", "department", "county", "applicant", "business_key", "error_task")
_NUMBER = re.compile(r"[0-9]{1,9}")
ACTION_TEXT = {"suspend": lazy_gettext("暂停"), "resume": lazy_gettext("恢复办理"), "retry": lazy_gettext("重新处理"),
               "migrate": lazy_gettext("迁移到其他版本")}


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")


def _day(raw: str | None) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(raw), time(), tzinfo=platform().settings.tz) if raw else None
    except ValueError:
        return None


def search_filters(values: MultiDict[str, str]) -> dict[str, Any]:
    """The console search's filters as its list page reads them (engine/services/admin_queries.py)."""
    filters: dict[str, Any] = {key: (values.get(key) or "").strip() or None for key in FILTER_KEYS}
    version = values.get("version", "")
    filters["version"] = int(version) if _NUMBER.fullmatch(version) else None
    filters["overdue"] = {"1": True, "0": False}.get(values.get("overdue", ""))
    filters["started_from"] = _day(values.get("started_from"))
    to = _day(values.get("started_to"))
    filters["started_to"] = to + timedelta(days=1) if to else None
    return filters


def _problem(error: InvalidInput | Conflict | NotFound | PermissionDenied | EngineError) -> str:
    if is_english():
        return _("操作未完成：%(message)s", message=error.message)
    detail = next((d for d in error.details if isinstance(d, dict) and d.get("message_zh")), None)
    return problem_text(detail) if detail else _("操作未完成：%(message)s", message=error.message)


@console_ops.post("/instances/bulk")
@login_required
def bulk_preview() -> Any:
    """The confirmation step: the cases the search finds, the action and the reason, to be confirmed."""
    query = request.form.get("query", "")
    back = redirect(url_for("console.instances") + (f"?{query}" if query else ""))
    with unit_of_work(write=False) as (uow, actor):
        _admin(actor)
        filters = search_filters(MultiDict(request.form))
        ids = admin_queries.matching_ids(filters, actor=actor, uow=uow, now=now(), limit=bulk.MAX_BULK_CASES + 1)
        try:
            action, ids, reason = bulk.check_request(request.form.get("action"), ids, request.form.get("reason"),
                                                     actor=actor)
        except InvalidInput as error:
            for problem in error.details:
                flash(problem_text(problem), "error")
            return back
        found = admin_queries.search_instances({**filters, "status": filters.get("status")}, actor=actor, uow=uow,
                                               now=now(), limit=bulk.MAX_BULK_CASES)
        versions = designer.list_versions(filters["model_key"], uow=uow) if filters["model_key"] else []
        return render_template("console/bulk.html", action=action, reason=reason, ids=ids, query=query,
                               items=[i for i in found["items"] if i["id"] in set(ids)], versions=versions,
                               to_version=request.form.get("to_version", ""), flows=listing.flow_names(uow=uow),
                               action_text=ACTION_TEXT[action], limit=bulk.MAX_BULK_CASES)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if _NUMBER.fullmatch(v)]


def _result_page(result: dict[str, Any], *, query: str = "", group: dict[str, Any] | None = None) -> str:
    return render_template("console/bulk_result.html", result=result, query=query, group=group,
                           action_text=ACTION_TEXT[result["action"]])


@console_ops.post("/instances/bulk/confirm")
@login_required
def bulk_confirm() -> Any:
    raw_version = request.form.get("to_version", "")
    to_version = int(raw_version) if _NUMBER.fullmatch(raw_version) else None
    with unit_of_work(write=False) as (_uow, actor):
        _admin(actor)
    try:
        result = bulk.bulk_action(platform(), request.form.get("action"), _ids(request.form.getlist("ids")),
                                  reason=request.form.get("reason"), actor=actor, now=now(), to_version=to_version)
    except InvalidInput as error:
        for problem in error.details:
            flash(problem_text(problem), "error")
        return redirect(url_for("console.instances"))
    return _result_page(result, query=request.form.get("query", ""))


@console_ops.get("/incidents")
@login_required
def incidents_page() -> Any:
    with unit_of_work(write=False) as (uow, actor):
        groups = incidents.incident_groups(actor=actor, uow=uow)
        return render_template("console/incidents.html", groups=groups, flows=listing.flow_names(uow=uow),
                               limit=bulk.MAX_BULK_CASES, max_groups=incidents.MAX_INCIDENT_GROUPS)


@console_ops.post("/incidents/<key>/retry")
@login_required
def retry_group(key: str) -> Any:
    try:
        with unit_of_work(write=False) as (uow, actor):
            group, ids = incidents.group_case_ids(key, actor=actor, uow=uow, limit=bulk.MAX_BULK_CASES)
        result = bulk.bulk_action(platform(), "retry", ids, reason=request.form.get("reason"), actor=actor,
                                  now=now())
    except (InvalidInput, NotFound) as error:
        flash(_("请填写原因（不超过2000字），它将记入每个案件的办理记录。") if isinstance(error, InvalidInput)
              else _("此类异常已没有待处理的案件。"), "error")
        return redirect(url_for("console_ops.incidents_page"))
    return _result_page(result, group=group)


def move_choices(instance_id: int, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The token-move form's choices for the console's case page."""
    return {"moves": move_options(instance_id, actor=actor, uow=uow, now=now())}


@console_ops.post("/instances/<int:instance_id>/move")
@login_required
def move(instance_id: int) -> Any:
    reason = request.form.get("reason", "")
    try:
        with unit_of_work(write=True, optimistic=True) as (uow, actor):
            if not reason.strip():
                raise InvalidInput("give a reason: it goes into the case history", details=[
                    {"field": "reason", "message_zh": "请填写原因（不超过2000字），它将记入案件的办理记录"}])
            move_token(instance_id, request.form.get("source", ""), request.form.get("target", ""), reason=reason,
                       actor=actor, uow=uow, now=now())
        flash(_("环节已移动。"), "success")
    except (InvalidInput, Conflict, EngineError) as error:
        flash(_problem(error), "error")
    return redirect(url_for("console.instance", instance_id=instance_id))


"""The administrators' console API under /api/v1/admin: supervision (督办), instance search, per-flow counts,
archive, and repairs (reassign a task, move a timer, recompute a year's deadlines), each repair with a reason.

Administrators may call everything; staff of the talent office may read the dashboard and the overdue list."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from engine.calendar.bounds import out_of_range
from engine.cases import deadlines
from engine.cases.runner import load_case, restore
from engine.errors import InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.people.privacy import mask_text
from engine.services import admin_queries, supervision
from tasks import attachments
from tasks.reassign import reassign_task

from .api import _bool_arg, _int_arg, json_body, platform, unit_of_work

admin_api = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")


def _period() -> tuple[datetime, datetime]:
    return supervision.period(request.args.get("from"), request.args.get("to"), tz=platform().settings.tz,
                              now=platform().now())


def required_reason(body: dict[str, Any]) -> str:
    """The reason a repair must give (it goes into the case history); 422 without one."""
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise InvalidInput("give a reason (at most 2000 characters): it goes into the case history",
                           details=[{"field": "reason", "message": "required text"}])
    return reason.strip()


def csv_download(content: bytes, filename: str) -> Response:
    """CSV bytes as a download (the figures departments are evaluated on, for a spreadsheet); exports leave the
    building, so ID and mobile numbers in them are masked."""
    content = mask_text(content.decode("utf-8")).encode("utf-8")
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin_api.get("/dashboard")
def dashboard() -> Response:
    start, end = _period()
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(supervision.dashboard(actor=actor, uow=uow, now=platform().now(), start=start, end=end))


@admin_api.get("/dashboard/departments.csv")
def dashboard_csv() -> Response:
    start, end = _period()
    with unit_of_work(write=False) as (uow, actor):
        figures = supervision.dashboard(actor=actor, uow=uow, now=platform().now(), start=start, end=end)
    name = f"supervision-{start.date().isoformat()}-{end.date().isoformat()}.csv"
    return csv_download(supervision.to_csv(figures["departments"], supervision.DEPARTMENT_COLUMNS), name)


def _overdue() -> dict[str, Any]:
    with unit_of_work(write=False) as (uow, actor):
        return supervision.overdue_tasks(
            actor=actor, uow=uow, now=platform().now(), department=request.args.get("department") or None,
            model_key=request.args.get("model_key") or None, limit=_int_arg("limit", 200),
            offset=_int_arg("offset", 0))


@admin_api.get("/overdue")
def overdue() -> Response:
    return jsonify(_overdue())


@admin_api.get("/overdue.csv")
def overdue_csv() -> Response:
    return csv_download(supervision.to_csv(_overdue()["items"], supervision.OVERDUE_COLUMNS), "overdue.csv")


def _started(name: str, tz: Any) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidInput(f"{name} is a date like 2026-10-01", details=[{"field": name, "message": "YYYY-MM-DD"}]) \
            from error
    if (problem := out_of_range(day)) is not None:
        raise InvalidInput(f"{name}: {problem}", details=[{"field": name, "message": problem}])
    return datetime.combine(day, time(), tzinfo=tz)


@admin_api.get("/instances")
def search_instances() -> Response:
    tz = platform().settings.tz
    filters: dict[str, Any] = {key: request.args.get(key) or None for key in (
        "model_key", "status", "department", "county", "applicant", "business_key")}
    version = request.args.get("version")
    filters.update(version=_int_arg("version", 0) if version else None, overdue=_bool_arg("overdue"),
                   started_from=_started("started_from", tz), started_to=_started("started_to", tz))
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(admin_queries.search_instances(filters, actor=actor, uow=uow, now=platform().now(),
                                                      limit=_int_arg("limit", 50), offset=_int_arg("offset", 0)))


@admin_api.get("/process-models/<key>/versions/<int:version>/nodes")
def node_counts(key: str, version: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(admin_queries.node_counts(key, version, actor=actor, uow=uow, now=platform().now()))


@admin_api.get("/instances/<int:instance_id>/archive")
def archive(instance_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        document = admin_queries.archive(instance_id, actor=actor, uow=uow, now=platform().now())
    response = jsonify(document)
    response.headers["Content-Disposition"] = f'attachment; filename="case-{instance_id}-archive.json"'
    return response


@admin_api.get("/instances/<int:instance_id>/timers")
def timers(instance_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        _admin(actor)
        loaded = restore(load_case(instance_id, uow=uow), uow=uow, now=platform().now())
        return jsonify({"id": instance_id, "timers": deadlines.waiting_timers(loaded)})


@admin_api.post("/instances/<int:instance_id>/timers/<timer>/move")
def move_timer(instance_id: int, timer: str) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        _admin(actor)
        body = json_body()
        due_at = body.get("due_at")
        if not isinstance(due_at, str):
            raise InvalidInput("due_at is required", details=[{"field": "due_at", "message": "ISO 8601 date-time"}])
        result = deadlines.move_timer(instance_id, timer, due_at, reason=required_reason(body), actor=actor, uow=uow,
                                      now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_api.post("/calendar/<int:year>/recompute")
def recompute_year(year: int) -> Response:
    with unit_of_work(write=True, optimistic=True) as (uow, actor):
        _admin(actor)
        result = deadlines.recompute_year(year, reason=required_reason(json_body()), actor=actor, uow=uow,
                                          now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_api.post("/tasks/<int:task_id>/reassign")
def reassign(task_id: int) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        _admin(actor)
        body = json_body()
        username = body.get("username")
        if not isinstance(username, str) or not username:
            raise InvalidInput("username is required", details=[{"field": "username", "message": "required"}])
        result = reassign_task(task_id, username, reason=required_reason(body), actor=actor, uow=uow,
                               now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_api.get("/instances/<int:instance_id>/document-views")
def document_views(instance_id: int) -> Response:
    """Who opened which document of the case, and when."""
    with unit_of_work(write=False) as (uow, actor):
        return jsonify({"id": instance_id, "views": attachments.document_views(instance_id, actor=actor, uow=uow)})

"""The OpenAPI 3.1 document of the REST API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from .openapi_integration import SCHEMAS as INTEGRATION_SCHEMAS
from .openapi_integration import integration_paths

_ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


MAX_ID = 2**31 - 1  # ids and years are 32-bit integers in the database; larger ones are simply not found


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request: JSON or a query parameter holding what the platform does not keep (NaN, Infinity, a "
                 "lone surrogate, a control character, a number beyond 2**53, nesting past 32 levels)",
            401: "No or bad bearer token", 403: "Not allowed for this role",
            404: "Not found (or not visible to this user)", 409: "Conflict: the state moved on",
            413: "The body is larger than the route takes (JSON: 512 KiB; a request: 20 MiB)",
            422: "Invalid input, with details", 503: "Database unavailable"}
    return {str(code): _json(_ERROR, text[code]) for code in (401, *codes)}


def _op(summary: str, responses: dict[str, Any], *, tag: str, params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, op_id: str) -> dict[str, Any]:
    if any(p["in"] == "path" for p in params or []):  # a path that does not match (a word for a number): 404
        responses = {**responses, **{k: v for k, v in _errors(404).items() if k not in responses}}
    # Every request passes the door (ui/door.py): a query string or body it refuses answers 400 or 413.
    responses = {**responses, **{k: v for k, v in _errors(400, 413).items() if k not in (*responses, "401")}}
    operation: dict[str, Any] = {"summary": summary, "operationId": op_id, "tags": [tag], "responses": responses}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = body
    return operation


def _path_int(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_TIME = {"type": ["string", "null"], "format": "date-time"}
_STATUS = {"type": "string", "enum": ["active", "suspended", "completed", "cancelled", "error"]}
_TASK_STATE = {"type": "string", "enum": ["open", "claimed", "completed", "cancelled"]}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message", "details"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array"}}},
    "ProcessModel": {"type": "object", "required": ["key", "version", "name", "deployed_at"], "properties": {
        "key": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"},
        "deployed_at": {"type": "string", "format": "date-time"}, "deployed_by": {"type": "string"},
        "source": {"type": "string", "enum": ["disk", "platform"], "description":
                   "`disk`: `onestop deploy`; `platform`: the web designer or this API"},
        "content_hash": {"type": "string"}, "files": {"type": "array", "items": {"type": "string"}}}},
    "Deployment": {"type": "object", "required": ["key", "version"], "properties": {
        "key": {"type": "string"}, "version": {"type": "integer"}, "created": {"type": "boolean"}}},
    "InstanceSummary": {"type": "object", "required": ["id", "model_key", "version", "status"], "properties": {
        "id": {"type": "integer"}, "model_key": {"type": "string"}, "version": {"type": "integer"},
        "status": _STATUS, "business_key": {"type": ["string", "null"]}, "county": {"type": ["string", "null"]},
        "started_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}, "ended_at": _TIME, "next_due_at": _TIME,
        "priority": {"type": "string", "enum": ["normal", "urgent", "critical"]}}},
    "Instance": {"allOf": [_ref("InstanceSummary"), {"type": "object", "required": ["data", "tasks", "history"],
                                                      "properties": {
        "data": {"type": "object"}, "tasks": {"type": "array", "items": _ref("Task")},
        "history": {"type": "array", "items": _ref("HistoryEntry")},
        "error": {"type": ["object", "null"]}}}]},
    "HistoryEntry": {"type": "object", "required": ["id", "action", "actor", "at"], "properties": {
        "id": {"type": "integer"}, "action": {"type": "string"}, "actor": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}, "task_id": {"type": ["integer", "null"]},
        "task_name": {"type": ["string", "null"]}, "details": {"type": "object"}}},
    "Task": {"type": "object", "required": ["id", "instance_id", "name", "title", "department", "county",
                                            "assignee", "due_at", "state"], "properties": {
        "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "model_key": {"type": "string"},
        "name": {"type": "string"}, "title": {"type": "string"}, "lane": {"type": ["string", "null"]},
        "department": {"type": ["string", "null"]}, "county": {"type": ["string", "null"]},
        "assignee": {"type": ["string", "null"]}, "due_at": _TIME, "state": _TASK_STATE,
        "created_at": {"type": "string", "format": "date-time"}, "ended_at": _TIME,
        "completed_by": {"type": ["string", "null"]}, "form": {"type": ["string", "null"]},
        "process_id": {"type": ["string", "null"], "description": "the (sub-)process holding the task"},
        "case_status": {"oneOf": [_STATUS, {"type": "null"}], "description":
                        "the status of the task's case: while it is `suspended` the task refuses claim, release "
                        "and completion (409 `case_suspended`)"},
        "clock_stopped_at": {**_TIME, "description": "set while the task's deadline does not run (已暂停计时): the "
                             "case is suspended, or the task is a correction (退回补正) that stops the clock"},
        "priority": {"type": "string", "enum": ["normal", "urgent", "critical"],
                     "description": "its case's priority (普通/紧急/特急)"}}},
    "TaskDetail": {"allOf": [_ref("Task"), {"type": "object", "properties": {
        "instructions": {"type": ["string", "null"]}, "form_schema": {"type": ["object", "null"]},
        "ui_schema": {"type": ["object", "null"]}, "data": {"type": "object"}, "instance": {"type": "object"},
        "may_act": {"type": "boolean"}}}]},
    "CalendarYear": {"type": "object", "required": ["year", "official", "holidays", "working_days"],
                     "properties": {
        "year": {"type": "integer"}, "official": {"type": "boolean"}, "source": {"type": "string"},
        "fallback": {"type": ["string", "null"]}, "updated_at": _TIME, "updated_by": {"type": ["string", "null"]},
        "holidays": {"type": "array", "items": _ref("CalendarDay")},
        "working_days": {"type": "array", "items": _ref("CalendarDay")}}},
    "CalendarDay": {"type": "object", "required": ["date"], "properties": {
        "date": {"type": "string", "format": "date"}, "name": {"type": "string"}}},
    "Me": {"type": "object", "properties": {"username": {"type": "string"}, "role": {"type": "string"},
                                            "department": {"type": ["string", "null"]},
                                            "county": {"type": ["string", "null"]}}},
}

_ACTION_BODY = _json_body({"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": 2000},
    "data": {"type": "object", "description": "retry only: corrected data merged in before replaying"}}},
    required=False)


def openapi_document() -> dict[str, Any]:
    instance_id = [_path_int("instance_id")]
    task_id = [_path_int("task_id")]
    year = [_path_int("year")]
    paths: dict[str, Any] = {
        "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "tags": ["meta"],
                                  "security": [], "responses": {"200": _json({"type": "object"})}}},
        "/me": {"get": _op("The signed-in user", {"200": _json(_ref("Me")), **_errors()}, tag="meta",
                           op_id="me")},
        "/process-models": {
            "get": _op("Latest version of every flow", {"200": _json({"type": "array",
                                                                      "items": _ref("ProcessModel")}),
                                                        **_errors()}, tag="models", op_id="listModels"),
            "post": _op("Validate and deploy a flow (a new version unless identical to the latest)",
                        {"201": _json(_ref("Deployment"), "Deployed"),
                         "200": _json(_ref("Deployment"), "Identical to the latest version: nothing new"),
                         **_errors(403, 409, 422)}, tag="models", op_id="deployModel",
                        body={"required": True, "content": {"multipart/form-data": {"schema": {
                            "type": "object", "required": ["files"], "properties": {"files": {
                                "type": "array", "items": {"type": "string", "format": "binary"}}}}}}})},
        "/process-models/{key}/versions/{version}/bpmn": {"get": _op(
            "The deployed BPMN XML", {"200": {"description": "BPMN XML", "content": {"application/xml": {
                "schema": {"type": "string"}}}}, **_errors(404)}, tag="models", op_id="getModelBpmn",
            params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                    _path_int("version")])},
        "/process-instances": {
            "get": _op("Cases visible to the user", {"200": _json({"type": "array",
                                                                   "items": _ref("InstanceSummary")}),
                                                     **_errors(422)}, tag="instances", op_id="listInstances",
                       params=[_query("status", _STATUS), _query("model_key", {"type": "string"}),
                               _query("overdue", {"type": "boolean"}, "with an open task past its deadline"),
                               _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                               _query("offset", {"type": "integer", "minimum": 0})]),
            "post": _op("Start a case on the latest version", {"201": _json({"type": "object", "required": [
                "id", "status"], "properties": {"id": {"type": "integer"}, "status": _STATUS}}, "Started"),
                **_errors(403, 404, 422)}, tag="instances", op_id="startInstance",
                body=_json_body({"type": "object", "required": ["model_key"], "properties": {
                    "model_key": {"type": "string"}, "data": {"type": "object"},
                    "business_key": {"type": "string", "maxLength": 120}}}))},
        "/process-instances/{instance_id}": {"get": _op(
            "One case with its data, tasks and history", {"200": _json(_ref("Instance")), **_errors(404)},
            tag="instances", op_id="getInstance", params=instance_id)},
    }
    for action, summary in (("suspend", "Suspend a case"), ("resume", "Resume a suspended case"),
                            ("cancel", "Cancel a case"),
                            ("retry", "Replay what failed in a case in error, with corrected data")):
        paths[f"/process-instances/{{instance_id}}/{action}"] = {"post": _op(
            summary + " (administrators)", {"200": _json(_ref("InstanceSummary")),
                                            **_errors(403, 404, 409, 422)},
            tag="instances", op_id=f"{action}Instance", params=instance_id, body=_ACTION_BODY)}
    paths["/tasks"] = {"get": _op("Task list", {"200": _json({"type": "array", "items": _ref("Task")}),
                                                **_errors(403, 422)}, tag="tasks", op_id="listTasks",
                                  params=[_query("scope", {"type": "string", "enum": ["mine", "department", "all"]}),
                                          _query("state", _TASK_STATE),
                                          _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                                          _query("offset", {"type": "integer", "minimum": 0})])}
    paths["/tasks/{task_id}"] = {"get": _op("A task with its form and data", {"200": _json(_ref("TaskDetail")),
                                                                              **_errors(404)},
                                            tag="tasks", op_id="getTask", params=task_id)}
    for action, summary, codes in (("claim", "Claim an open task", (403, 404, 409)),
                                   ("release", "Release a claimed task", (403, 404, 409))):
        paths[f"/tasks/{{task_id}}/{action}"] = {"post": _op(summary, {"200": _json(_ref("Task")),
                                                                       **_errors(*codes)},
                                                             tag="tasks", op_id=f"{action}Task", params=task_id)}
    paths["/tasks/{task_id}/complete"] = {"post": _op(
        "Complete a task with form data", {"200": _json(_ref("Task")), **_errors(403, 404, 409, 422)},
        tag="tasks", op_id="completeTask", params=task_id,
        body=_json_body({"type": "object", "properties": {"data": {"type": "object"}}}))}
    paths["/calendar/{year}"] = {
        "get": _op("A year's holidays and adjusted working days", {"200": _json(_ref("CalendarYear")),
                                                                   **_errors(422)},
                   tag="calendar", op_id="getCalendarYear", params=year),
        "put": _op("Replace a year's holidays and adjusted working days (administrators)",
                   {"200": _json(_ref("CalendarYear")), **_errors(403, 422)}, tag="calendar",
                   op_id="putCalendarYear", params=year,
                   body=_json_body({"type": "object", "properties": {
                       "official": {"type": "boolean"},
                       "holidays": {"type": "array", "items": _ref("CalendarDay")},
                       "working_days": {"type": "array", "items": _ref("CalendarDay")}}}))}
    paths.update(admin_paths())
    paths.update(integration_paths(_op, _errors, _json, _json_body, _path_int, _query))
    paths.update(notification_paths())
    from .openapi_ops import COMMENT, operation_paths, query_parameters  # working together; operations
    paths.update(operation_paths())
    paths["/tasks"]["get"]["parameters"] += query_parameters()
    return {
        "openapi": "3.1.0",
        "info": {"title": "OneStop 人才一站式服务平台 API", "version": "1.0.0",
                 "description": "Deploy flows, run cases, work task lists. Times are ISO 8601 with an offset."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {**SCHEMAS, **INTEGRATION_SCHEMAS, "Comment": COMMENT}},
        "paths": paths,
    }


_OBJECT = {"type": "object"}
_REASON = {"type": "string", "minLength": 1, "maxLength": 2000, "description": "goes into the case history"}
_PERIOD = [_query("from", {"type": "string", "format": "date"}, "first day (default: first of this month)"),
           _query("to", {"type": "string", "format": "date"}, "day after the last (default: tomorrow)")]
_CSV = {"description": "CSV, UTF-8 with a byte-order mark (opens in Excel)",
        "content": {"text/csv": {"schema": {"type": "string"}}}}
_PAGE = [_query("limit", {"type": "integer", "minimum": 1}), _query("offset", {"type": "integer", "minimum": 0})]


def _admin_op(summary: str, ok: dict[str, Any], codes: tuple[int, ...], op_id: str, **extra: Any) -> dict[str, Any]:
    return _op(summary, {"200": ok, **_errors(403, *codes)}, tag="admin", op_id=op_id, **extra)


def admin_paths() -> dict[str, Any]:
    """The administrators' console (ui/admin_api.py): admins only; the talent office reads the dashboard and
    the overdue list."""
    instance_id, key_version = [_path_int("instance_id")], [
        {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}, _path_int("version")]
    overdue = [_query("department", {"type": "string"}), _query("model_key", {"type": "string"}), *_PAGE]
    return {
        "/admin/dashboard": {"get": _admin_op(
            "Supervision (督办) figures per department and flow over [from, to), weekly trend, satisfaction",
            _json(_OBJECT), (422,), "adminDashboard", params=_PERIOD)},
        "/admin/dashboard/departments.csv": {"get": _admin_op(
            "The department table of the dashboard as CSV", _CSV, (422,), "adminDashboardCsv", params=_PERIOD)},
        "/admin/overdue": {"get": _admin_op(
            "Open tasks past their deadline with working days late, longest overdue first",
            _json({"type": "object", "properties": {"total": {"type": "integer"}, "items": {"type": "array"}}}),
            (422,), "adminOverdue", params=overdue)},
        "/admin/overdue.csv": {"get": _admin_op("The overdue list as CSV", _CSV, (422,), "adminOverdueCsv",
                                                params=overdue)},
        "/admin/instances": {"get": _admin_op(
            "Search cases; total and counts per status (ignoring the status filter)",
            _json({"type": "object", "properties": {"total": {"type": "integer"}, "counts": _OBJECT,
                                                    "items": {"type": "array"}}}), (422,), "adminSearchInstances",
            params=[_query("model_key", {"type": "string"}), _query("version", {"type": "integer"}),
                    _query("status", _STATUS), _query("department", {"type": "string"}, "holds an open task"),
                    _query("county", {"type": "string"}), _query("applicant", {"type": "string"}, "part of the name"),
                    _query("business_key", {"type": "string"}),
                    _query("started_from", {"type": "string", "format": "date"}),
                    _query("started_to", {"type": "string", "format": "date"}, "exclusive"),
                    _query("overdue", {"type": "boolean"}), *_PAGE])},
        "/admin/process-models/{key}/versions/{version}/nodes": {"get": _admin_op(
            "Per BPMN element: cases waiting (active), overdue, in error, waiting timers", _json(_OBJECT), (404,),
            "adminNodeCounts", params=key_version)},
        "/admin/instances/{instance_id}/archive": {"get": _admin_op(
            "The archive (统一建档) of a completed or cancelled case: one JSON document", _json(_OBJECT),
            (404, 409), "adminArchive", params=instance_id)},
        "/admin/instances/{instance_id}/document-views": {"get": _admin_op(
            "Who opened which document of the case, and when (oldest first)",
            _json({"type": "object", "required": ["id", "views"], "properties": {
                "id": {"type": "integer"}, "views": {"type": "array", "items": {
                    "type": "object", "required": ["attachment_id", "filename", "username", "viewed_at"],
                    "properties": {"attachment_id": {"type": "integer"}, "filename": {"type": "string"},
                                   "username": {"type": "string"},
                                   "viewed_at": {"type": "string", "format": "date-time"}}}}}}),
            (404,), "adminDocumentViews", params=instance_id)},
        "/admin/instances/{instance_id}/timers": {"get": _admin_op(
            "The case's waiting timers", _json(_OBJECT), (404,), "adminTimers", params=instance_id)},
        "/admin/instances/{instance_id}/timers/{timer}/move": {"post": _admin_op(
            "Give a waiting timer a new due moment", _json(_OBJECT), (404, 409, 422), "adminMoveTimer",
            params=[*instance_id, {"name": "timer", "in": "path", "required": True, "schema": {"type": "string"},
                                   "description": "the timer's BPMN element id"}],
            body=_json_body({"type": "object", "required": ["due_at", "reason"], "properties": {
                "due_at": {"type": "string", "format": "date-time"}, "reason": _REASON}}))},
        "/admin/calendar/{year}/recompute": {"post": _admin_op(
            "Recompute every waiting deadline due in a year with the current calendar", _json(_OBJECT), (422,),
            "adminRecomputeYear", params=[_path_int("year")],
            body=_json_body({"type": "object", "required": ["reason"], "properties": {"reason": _REASON}}))},
        "/admin/tasks/{task_id}/reassign": {"post": _admin_op(
            "Hand an open task to a named member of its department (and county)", _json(_ref("Task")),
            (404, 409, 422), "adminReassignTask", params=[_path_int("task_id")],
            body=_json_body({"type": "object", "required": ["username", "reason"], "properties": {
                "username": {"type": "string"}, "reason": _REASON}}))},
    }


def notification_paths() -> dict[str, Any]:
    """A person's notifications and settings; the delivery console, contact details and 催办 (ui/notify_api.py)."""
    from .notify_openapi import paths

    return paths(_op=_op, _admin_op=_admin_op, _json=_json, _errors=_errors, _query=_query, _path_int=_path_int,
                 _json_body=_json_body)

"""The OpenAPI paths of working together on a case (ui/case_api.py) and of the administrators' operations
(ui/admin_ops_api.py), merged into the document ui/openapi.py serves."""

from __future__ import annotations

from typing import Any

from .openapi import _errors, _json, _json_body, _op, _path_int, _query, _ref

_REASON = {"type": "string", "minLength": 1, "maxLength": 2000, "description": "goes into the case history"}
_PRIORITY = {"type": "string", "enum": ["normal", "urgent", "critical"],
             "description": "普通 / 紧急 / 特急"}
COMMENT = {"type": "object", "required": ["id", "instance_id", "author", "text", "created_at"], "properties": {
    "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "task_id": {"type": ["integer", "null"]},
    "task_title": {"type": ["string", "null"]}, "author": {"type": "string"},
    "text": {"type": "string", "maxLength": 2000}, "created_at": {"type": "string", "format": "date-time"}}}
_RESULTS = {"type": "object", "properties": {
    "action": {"type": "string"}, "reason": {"type": "string"}, "done": {"type": "integer"},
    "refused": {"type": "integer"}, "confirmed": {"type": "boolean"},
    "results": {"type": "array", "items": {"type": "object", "required": ["id", "outcome"], "properties": {
        "id": {"type": "integer"}, "outcome": {"type": "string", "enum": ["done", "refused"]},
        "status": {"type": "string"}, "reason": {"type": "string"}, "reason_zh": {"type": ["string", "null"]}}}}}}


def operation_paths() -> dict[str, Any]:
    instance_id, task_id = [_path_int("instance_id")], [_path_int("task_id")]
    text_body = _json_body({"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 2000}}})
    comments = {"type": "array", "items": _ref("Comment")}
    return {
        "/process-instances/{instance_id}/comments": {
            "get": _op("The case's comments, oldest first (whoever may see the case)",
                       {"200": _json(comments), **_errors(404)}, tag="comments", op_id="listCaseComments",
                       params=instance_id),
            "post": _op("Comment on a case (at most 500 comments a case)", {"201": _json(_ref("Comment"), "Added"),
                                                                            **_errors(404, 409, 422)},
                        tag="comments", op_id="commentOnCase", params=instance_id, body=text_body)},
        "/tasks/{task_id}/comments": {
            "get": _op("The comments about one task", {"200": _json(comments), **_errors(404)}, tag="comments",
                       op_id="listTaskComments", params=task_id),
            "post": _op("Comment on a task", {"201": _json(_ref("Comment"), "Added"), **_errors(404, 409, 422)},
                        tag="comments", op_id="commentOnTask", params=task_id, body=text_body)},
        "/process-instances/{instance_id}/priority": {"post": _op(
            "Set a case's priority (the windows and administrators); its open and later tasks take it",
            {"200": _json(_ref("InstanceSummary")), **_errors(403, 404, 409, 422)}, tag="instances",
            op_id="setInstancePriority", params=instance_id, body=_json_body({
                "type": "object", "required": ["priority"], "properties": {
                    "priority": _PRIORITY, "reason": {"type": "string", "maxLength": 2000}}}))},
        "/process-instances/{instance_id}/withdraw": {"post": _op(
            "An applicant withdraws their own application (撤回) while no department has decided: the case ends "
            "cancelled, its open tasks close", {"200": _json(_ref("InstanceSummary")), **_errors(403, 404, 409, 422)},
            tag="instances", op_id="withdrawInstance", params=instance_id, body=_json_body({
                "type": "object", "required": ["reason"], "properties": {
                    "reason": {"type": "string", "minLength": 1, "maxLength": 500}}}))},
        "/admin/instances/bulk": {"post": _op(
            "Suspend, resume, retry or migrate the given (or found) cases: without confirm the cases it would act "
            "on; with confirm: true each case in its own transaction, a result per case (at most 200 cases)",
            {"200": _json(_RESULTS), **_errors(403, 422)}, tag="admin", op_id="adminBulkAction",
            body=_json_body({"type": "object", "required": ["action", "reason"], "properties": {
                "action": {"type": "string", "enum": ["suspend", "resume", "retry", "migrate"]},
                "reason": _REASON, "ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 200},
                "filters": {"type": "object", "description": "the filters of GET /admin/instances, instead of ids"},
                "to_version": {"type": "integer"}, "mapping": {"type": "object"},
                "confirm": {"type": "boolean"}}}))},
        "/admin/instances/{instance_id}/moves": {
            "get": _op("Where the case waits and the elements its token may move to; refused (with why) when it "
                       "cannot move safely", {"200": _json({"type": "object"}), **_errors(403, 404)}, tag="admin",
                       op_id="adminTokenMoveOptions", params=instance_id),
            "post": _op("Move the case's token from the waiting step to another element of its process "
                        "(Camunda Cockpit's modify); 409 with the reason when not safe (parallel branches, call "
                        "activities, boundary or start events)",
                        {"200": _json(_ref("InstanceSummary")), **_errors(403, 404, 409, 422)}, tag="admin",
                        op_id="adminMoveToken", params=instance_id, body=_json_body({
                            "type": "object", "required": ["source", "target", "reason"], "properties": {
                                "source": {"type": "string", "description": "the waiting step's element id"},
                                "target": {"type": "string", "description": "an element id of the same process"},
                                "reason": _REASON}}))},
        "/admin/incidents": {"get": _op(
            "Cases in error grouped by flow, failing element and message, the largest groups first",
            {"200": _json({"type": "array", "items": {"type": "object"}}), **_errors(403)}, tag="admin",
            op_id="adminIncidents")},
        "/admin/incidents/{key}/retry": {"post": _op(
            "Retry every case of one incident group (at most 200), a result per case", {"200": _json(_RESULTS),
                                                                                       **_errors(403, 404, 422)},
            tag="admin", op_id="adminRetryIncidentGroup",
            params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
            body=_json_body({"type": "object", "required": ["reason"], "properties": {"reason": _REASON}}))},
    }


def query_parameters() -> list[dict[str, Any]]:
    """The task list's priority filter and sort (GET /tasks)."""
    return [_query("priority", _PRIORITY, "only tasks of cases with this priority"),
            _query("sort", {"type": "string", "enum": ["due", "priority"]},
                   "due (the default): by deadline; priority: 特急 first, then 紧急, then 普通, each by deadline")]

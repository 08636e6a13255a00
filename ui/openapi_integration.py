"""The OpenAPI paths and schemas of the outside systems' API (ui/integration_api.py): external tasks, messages and
signals, merged into the document ui/openapi.py serves."""

from __future__ import annotations

from typing import Any

from engine.bpmn.service_tasks import MAX_RETRIES
from engine.integration.external_tasks import (
    MAX_ERROR_CODE_LENGTH,
    MAX_LISTED,
    MAX_LOCK_SECONDS,
    MAX_LONG_POLL_SECONDS,
    MAX_MESSAGE_LENGTH,
    MAX_RETRY_SECONDS,
    MAX_TASKS_PER_FETCH,
    MAX_TOPICS_PER_FETCH,
    MAX_WORKER_ID_LENGTH,
    STATES,
)
from engine.integration.messages import MAX_BUSINESS_KEY_LENGTH, MAX_NAME_LENGTH

_TIME = {"type": ["string", "null"], "format": "date-time"}
_WORKER_ID = {"type": "string", "minLength": 1, "maxLength": MAX_WORKER_ID_LENGTH,
              "description": "the worker process's name: the lock is held by it"}
_IDS = {"type": "object", "required": ["instance_ids"], "properties": {
    "instance_ids": {"type": "array", "items": {"type": "integer"}, "description": "the cases it reached or started"}}}

SCHEMAS: dict[str, Any] = {
    "LockedExternalTask": {"type": "object", "required": ["id", "topic", "instance_id", "business_key", "parameters",
                                                          "retries", "lock_expires_at"], "properties": {
        "id": {"type": "integer"}, "topic": {"type": "string"}, "instance_id": {"type": "integer"},
        "business_key": {"type": ["string", "null"]},
        "parameters": {"type": "object", "description": "the service task's parameters, evaluated when it was "
                                                        "reached"},
        "retries": {"type": ["integer", "null"], "description": "as the last failure left them (null: none yet)"},
        "lock_expires_at": {"type": "string", "format": "date-time"}, "worker_id": {"type": "string"},
        "element": {"type": "string"}, "title": {"type": "string"}}},
    "ExternalTask": {"type": "object", "required": ["id", "topic", "instance_id", "state"], "properties": {
        "id": {"type": "integer"}, "topic": {"type": "string"}, "instance_id": {"type": "integer"},
        "business_key": {"type": ["string", "null"]}, "model_key": {"type": "string"},
        "element": {"type": "string"}, "title": {"type": "string"},
        "state": {"type": "string", "enum": list(STATES), "description":
                  "waiting (due once available_at has come; a lock that expired shows as waiting), locked, failed "
                  "(no retries left: an incident, the case is in error), completed, cancelled"},
        "parameters": {"type": "object"}, "result_variable": {"type": "string"},
        "retries": {"type": ["integer", "null"]}, "worker_id": {"type": ["string", "null"]},
        "lock_expires_at": _TIME, "available_at": _TIME, "error_message": {"type": ["string", "null"]},
        "failures": {"type": "integer"}, "lock_expiries": {"type": "integer"}, "created_at": _TIME,
        "updated_at": _TIME, "ended_at": _TIME}},
    "ExternalTaskAnswer": {"type": "object", "required": ["id", "state"], "properties": {
        "id": {"type": "integer"}, "state": {"type": "string", "enum": list(STATES)},
        "instance_id": {"type": "integer"}, "instance_status": {"type": "string"},
        "retries": {"type": "integer"}, "available_at": {"type": "string", "format": "date-time"},
        "worker_id": {"type": ["string", "null"]}, "lock_expires_at": {"type": "string", "format": "date-time"}}},
    "InstanceIds": _IDS,
}


def integration_paths(op: Any, errors: Any, json_answer: Any, json_body: Any, path_int: Any,
                      query: Any) -> dict[str, Any]:
    """The paths, built with ui/openapi.py's helpers (passed in: that module imports this one)."""
    task_id = [path_int("task_id")]

    def answer(summary: str, op_id: str, body: dict[str, Any], codes: tuple[int, ...] = (403, 404, 409, 422)) -> Any:
        return {"post": op(summary, {"200": json_answer(_ref("ExternalTaskAnswer")), **errors(*codes, 503)},
                           tag="external-tasks", op_id=op_id, params=task_id, body=json_body(body))}

    return {
        "/external-tasks/fetch-and-lock": {"post": op(
            "Lock up to max_tasks due jobs of the topics for this worker (workers of those topics, administrators); "
            "round-robin over the topics, oldest first within each; [] when none is due (after waiting up to "
            "async_response_timeout seconds for one — at once, with Retry-After: 1, when the server's places for "
            "waiting fetches are all taken)",
            {"200": json_answer({"type": "array", "items": _ref("LockedExternalTask")}), **errors(403, 422, 503)},
            tag="external-tasks", op_id="fetchAndLockExternalTasks", body=json_body({
                "type": "object", "required": ["worker_id", "topics"], "properties": {
                    "worker_id": _WORKER_ID,
                    "topics": {"type": "array", "minItems": 1, "maxItems": MAX_TOPICS_PER_FETCH,
                               "items": {"type": "string", "minLength": 1}},
                    "max_tasks": {"type": "integer", "minimum": 1, "maximum": MAX_TASKS_PER_FETCH, "default": 1},
                    "lock_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_LOCK_SECONDS,
                                     "default": 60},
                    "async_response_timeout": {
                        "type": "number", "minimum": 0, "maximum": MAX_LONG_POLL_SECONDS, "default": 0,
                        "description": "a long poll: seconds to wait for a job to come when none is due"}}}))},
        "/external-tasks/{task_id}/complete": answer(
            "Complete a locked job: the result goes into the service task's resultVariable and the case runs on "
            "(409: another worker holds the lock, or took it after it expired)", "completeExternalTask", {
                "type": "object", "required": ["worker_id", "result"], "properties": {
                    "worker_id": _WORKER_ID, "result": {"description": "any JSON value, at most 256 KiB"}}}),
        "/external-tasks/{task_id}/failure": answer(
            "Report that the job failed: offered again after retry_seconds while retries > 0; with retries 0 the "
            "case goes to error until an administrator retries it", "failExternalTask", {
                "type": "object", "required": ["worker_id", "retries"], "properties": {
                    "worker_id": _WORKER_ID, "message": {"type": "string", "maxLength": MAX_MESSAGE_LENGTH},
                    "retries": {"type": "integer", "minimum": 0, "maximum": MAX_RETRIES},
                    "retry_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_RETRY_SECONDS,
                                      "default": 0}}}),
        "/external-tasks/{task_id}/bpmn-error": answer(
            "Throw a BPMN error at the service task: an error boundary event with that errorCode catches it (none "
            "does: the case goes to error)", "bpmnErrorExternalTask", {
                "type": "object", "required": ["worker_id", "code"], "properties": {
                    "worker_id": _WORKER_ID, "code": {"type": "string", "minLength": 1,
                                                      "maxLength": MAX_ERROR_CODE_LENGTH},
                    "message": {"type": "string", "maxLength": MAX_MESSAGE_LENGTH}}}),
        "/external-tasks/{task_id}/extend-lock": answer(
            "Keep the lock for lock_seconds more (the worker that holds it)", "extendExternalTaskLock", {
                "type": "object", "required": ["worker_id", "lock_seconds"], "properties": {
                    "worker_id": _WORKER_ID,
                    "lock_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_LOCK_SECONDS}}}),
        "/external-tasks": {"get": op(
            "Jobs of external workers, newest first (administrators)",
            {"200": json_answer({"type": "array", "items": _ref("ExternalTask")}), **errors(403, 422)},
            tag="external-tasks", op_id="listExternalTasks",
            params=[query("topic", {"type": "string"}), query("state", {"type": "string", "enum": list(STATES)}),
                    query("instance_id", {"type": "integer", "minimum": 0}),
                    query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LISTED}),
                    query("offset", {"type": "integer", "minimum": 0})])},
        "/messages": {"post": op(
            "Deliver a message to the cases waiting for it — by instance_id, business_key or correlation values, "
            "else those waiting without correlation — or start a case at a message start event; 404 when nothing "
            "waits (administrators; workers whose topics include the name)",
            {"200": json_answer(_ref("InstanceIds")), **errors(403, 404, 409, 422, 503)}, tag="messages",
            op_id="sendMessage", body=json_body({
                "type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
                    "instance_id": {"type": "integer", "minimum": 1},
                    "business_key": {"type": "string", "minLength": 1, "maxLength": MAX_BUSINESS_KEY_LENGTH},
                    "correlation": {"type": "object", "description": "the correlation properties of one key and "
                                                                     "their values"},
                    "data": {"type": "object", "description": "merged into the case data (or into the catch "
                                                              "event's messageVariable)"}}}))},
        "/signals": {"post": op(
            "Send a signal to every case waiting for it (administrators; workers whose topics include the name)",
            {"200": json_answer(_ref("InstanceIds")), **errors(403, 422, 503)}, tag="messages", op_id="sendSignal",
            body=json_body({"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
                "data": {"type": "object"}}}))},
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}

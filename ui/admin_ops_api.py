"""The administrators' operations API under /api/v1/admin: bulk actions on found cases, moving a case's token,
and incidents grouped by error. Beside ui/admin_api.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from engine.cases.token_moves import move_options, move_token
from engine.errors import InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.services import admin_queries, bulk, incidents

from .admin_api import required_reason
from .api import json_body, platform, unit_of_work

admin_ops_api = Blueprint("admin_ops_api", __name__, url_prefix="/api/v1/admin")
FILTER_KEYS = ("model_key", "version", "status", "department", "county", "applicant", "business_key", "overdue",
               "error_task")


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")


def _filters(raw: Any) -> dict[str, Any]:
    """A search's filters as a JSON object (the same names as GET /admin/instances); unknown names refused."""
    if not isinstance(raw, dict) or set(raw) - set(FILTER_KEYS):
        raise InvalidInput(f"filters is an object of {', '.join(FILTER_KEYS)}",
                           details=[{"field": "filters", "message": "unknown filter"}])
    return dict(raw)


@admin_ops_api.post("/instances/bulk")
def bulk_action() -> Response:
    """Without ``confirm: true`` only the cases it would act on (the confirmation step); with it, the action,
    each case in its own transaction, and a result per case."""
    body = json_body()
    with unit_of_work(write=False) as (uow, actor):
        _admin(actor)
        ids = body.get("ids")
        if ids is None:
            ids = admin_queries.matching_ids(_filters(body.get("filters", {})), actor=actor, uow=uow,
                                             now=platform().now(), limit=bulk.MAX_BULK_CASES + 1)
        action, ids, reason = bulk.check_request(body.get("action"), ids, required_reason(body), actor=actor)
    if body.get("confirm") is not True:
        return jsonify({"action": action, "ids": ids, "count": len(ids), "confirmed": False})
    to_version, mapping = body.get("to_version"), body.get("mapping") or {}
    if action == "migrate" and (not isinstance(to_version, int) or isinstance(to_version, bool)):
        raise InvalidInput("to_version is required to migrate", details=[{"field": "to_version", "message": "int"}])
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise InvalidInput("mapping is an object old id → new id", details=[{"field": "mapping", "message": "object"}])
    return jsonify({**bulk.bulk_action(platform(), action, ids, reason=reason, actor=actor, now=platform().now(),
                                       to_version=to_version, mapping=mapping), "confirmed": True})


@admin_ops_api.get("/instances/<int:instance_id>/moves")
def token_move_options(instance_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(move_options(instance_id, actor=actor, uow=uow, now=platform().now()))


@admin_ops_api.post("/instances/<int:instance_id>/moves")
def token_move(instance_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True, optimistic=True) as (uow, actor):
        result = move_token(instance_id, body.get("source"), body.get("target"), reason=required_reason(body),
                            actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@admin_ops_api.get("/incidents")
def incident_groups() -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(incidents.incident_groups(actor=actor, uow=uow))


@admin_ops_api.post("/incidents/<key>/retry")
def retry_incident_group(key: str) -> Response:
    body = json_body()
    with unit_of_work(write=False) as (uow, actor):
        group, ids = incidents.group_case_ids(key, actor=actor, uow=uow, limit=bulk.MAX_BULK_CASES)
    result = bulk.bulk_action(platform(), "retry", ids, reason=required_reason(body), actor=actor,
                              now=platform().now())
    return jsonify({**result, "group": {k: group[k] for k in ("key", "model_key", "element", "message", "count")}})

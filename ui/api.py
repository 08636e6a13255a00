"""The REST API under /api/v1: parse the request, call one service in one unit of work, answer JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from engine.calendar import store as calendar_store
from engine.cases import deployment, instances
from engine.cases.instances import get_visible, instance_view
from engine.errors import AuthenticationRequired, InvalidInput, OneStopError, PermissionDenied
from engine.people.identity import Actor
from engine.people.tokens import StaleCredentials, authenticate_bearer, confirm
from engine.platform import Platform
from engine.store.uow import UnitOfWork
from tasks import service as tasks

from .door import json_request_body
from .openapi import MAX_ID, openapi_document

api = Blueprint("api", __name__, url_prefix="/api/v1")


def platform() -> Platform:
    return current_app.extensions["onestop"]  # type: ignore[no-any-return]


@contextmanager
def unit_of_work(*, write: bool, optimistic: bool = False,
                 deferred_auth: bool = False) -> Iterator[tuple[UnitOfWork, Actor]]:
    """Authenticate the bearer token and open the request's unit of work (``optimistic``: see engine/store/uow.py).

    A token this process has seen comes from its cache (engine/people/tokens.py), confirmed against the revision of
    users and tokens with one read — or, with ``deferred_auth`` (views whose first read brings the revision along:
    :func:`rerun_if_stale`), by that read, else by a read of its own before the unit commits or answers. An error
    answer is given only once the token is confirmed, so a revoked token learns nothing."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequired("send Authorization: Bearer <token> (create one with `onestop token create`)")
    onestop = platform()
    with onestop.uow(write=write, optimistic=optimistic) as uow:
        actor = authenticate_bearer(token.strip(), cache=onestop.tokens, uow=uow, now=onestop.now(),
                                    deferred=deferred_auth)
        try:
            yield uow, actor
        except OneStopError:
            confirm(uow)
            raise
        confirm(uow)


def rerun_if_stale(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view whose unit confirms a cached token by its first read (``deferred_auth``) runs again, once, if that
    read finds the account changed (a new department, say): the second run has the fresh account from the start.
    So does a start whose flow had a newer version deployed than the one this process had cached
    (engine/cases/deployment.py): the second run reads the newest."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (StaleCredentials, deployment.NewerVersion):
            return view(*args, **kwargs)

    return run


def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object, parsed strictly and within bounds (ui/door.py, ui/strict_json.py)."""
    body = json_request_body()
    if body is None:
        if required:
            raise InvalidInput("the request needs a JSON object body")
        return {}
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise InvalidInput(f"{name} must be a whole number", details=[{"field": name, "message": "integer"}]) \
            from error
    if not -MAX_ID <= value <= MAX_ID:  # what the database's integers hold
        raise InvalidInput(f"{name} is out of range", details=[{"field": name, "message": "out of range"}])
    return value


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false", details=[{"field": name, "message": "true or false"}])


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@api.get("/me")
def me() -> Response:
    with unit_of_work(write=False) as (_uow, actor):
        return jsonify({"username": actor.username, "role": actor.role, "department": actor.department,
                        "county": actor.county})


@api.get("/process-models")
def list_models() -> Response:
    with unit_of_work(write=False) as (uow, _actor):
        return jsonify(deployment.latest_models(uow=uow))


@api.post("/process-models")
def deploy_model() -> tuple[Response, int]:
    uploads = request.files.getlist("files")
    if not uploads:
        raise InvalidInput("send the flow's files as multipart form field 'files'",
                           details=[{"field": "files", "message": "at least one .bpmn file"}])
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.filename or ""
        if name in files:
            raise InvalidInput(f"{name} was sent twice", details=[{"file": name, "line": 0,
                                                                 "message": "sent twice"}])
        files[name] = upload.read()
    with unit_of_work(write=True) as (uow, actor):
        result = deployment.deploy(files, actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify({"key": result.key, "version": result.version, "created": result.created}), \
        201 if result.created else 200


@api.get("/process-models/<key>/versions/<int:version>/bpmn")
def model_bpmn(key: str, version: int) -> Response:
    with unit_of_work(write=False) as (uow, _actor):
        filename, content = deployment.main_bpmn(deployment.find_model(key, version, uow=uow))
    response = Response(content, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@api.post("/process-instances")
@rerun_if_stale
def start_instance() -> tuple[Response, int]:
    body = json_body()
    model_key = body.get("model_key")
    if not isinstance(model_key, str) or not model_key:
        raise InvalidInput("model_key is required", details=[{"field": "model_key", "message": "required"}])
    with unit_of_work(write=True, optimistic=True, deferred_auth=True) as (uow, actor):
        result = instances.start_instance(model_key, body.get("data", {}), business_key=body.get("business_key"),
                                          actor=actor, uow=uow, now=platform().now(), cached_version=True)
        uow.commit()
    return jsonify(result), 201


@api.get("/process-instances")
def list_instances() -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(instances.list_instances(
            actor=actor, uow=uow, now=platform().now(), status=request.args.get("status") or None,
            model_key=request.args.get("model_key") or None, overdue=_bool_arg("overdue"),
            limit=_int_arg("limit", 50), offset=_int_arg("offset", 0)))


@api.get("/process-instances/<int:instance_id>")
def show_instance(instance_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        row = get_visible(instance_id, actor=actor, uow=uow)
        return jsonify(instance_view(row, uow=uow, tasks=tasks.instance_tasks(row.id, uow=uow)))


def _instance_action(action: Callable[..., dict[str, Any]], instance_id: int, **extra: Any) -> Response:
    body = json_body(required=False)
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 2000:
        raise InvalidInput("reason must be text of at most 2000 characters")
    with unit_of_work(write=True, optimistic=action is instances.retry_instance) as (uow, actor):
        if action is instances.retry_instance:
            extra["data"] = body.get("data")
        result = action(instance_id, reason=reason, actor=actor, uow=uow, now=platform().now(), **extra)
        uow.commit()
    return jsonify(result)


@api.post("/process-instances/<int:instance_id>/suspend")
def suspend(instance_id: int) -> Response:
    return _instance_action(instances.suspend_instance, instance_id)


@api.post("/process-instances/<int:instance_id>/resume")
def resume(instance_id: int) -> Response:
    return _instance_action(instances.resume_instance, instance_id)


@api.post("/process-instances/<int:instance_id>/cancel")
def cancel(instance_id: int) -> Response:
    return _instance_action(instances.cancel_instance, instance_id)


@api.post("/process-instances/<int:instance_id>/retry")
def retry(instance_id: int) -> Response:
    return _instance_action(instances.retry_instance, instance_id)


@api.get("/tasks")
@rerun_if_stale
def list_tasks() -> Response:
    with unit_of_work(write=False, deferred_auth=True) as (uow, actor):
        return jsonify(tasks.list_tasks(actor=actor, uow=uow, scope=request.args.get("scope", "mine"),
                                        state=request.args.get("state") or None,
                                        limit=_int_arg("limit", 100), offset=_int_arg("offset", 0),
                                        priority=request.args.get("priority") or None,
                                        sort=request.args.get("sort") or None))


@api.get("/tasks/<int:task_id>")
def show_task(task_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(tasks.get_task(task_id, actor=actor, uow=uow))


@api.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        result = tasks.claim_task(task_id, actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@api.post("/tasks/<int:task_id>/release")
def release(task_id: int) -> Response:
    with unit_of_work(write=True) as (uow, actor):
        result = tasks.release_task(task_id, actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@api.post("/tasks/<int:task_id>/complete")
@rerun_if_stale
def complete(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True, optimistic=True, deferred_auth=True) as (uow, actor):
        result = tasks.complete_task(task_id, body.get("data", {}), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@api.get("/calendar/<int:year>")
def calendar_year(year: int) -> Response:
    with unit_of_work(write=False) as (uow, _actor):
        return jsonify(calendar_store.year_view(year, uow=uow))


@api.put("/calendar/<int:year>")
def put_calendar_year(year: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        if not actor.is_admin:
            raise PermissionDenied("only administrators edit the calendar")
        calendar_store.replace_year(year, body, actor=actor.username, uow=uow, now=platform().now())
        uow.commit()
        platform().calendar.invalidate()
        return jsonify(calendar_store.year_view(year, uow=uow))

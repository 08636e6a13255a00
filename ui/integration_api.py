"""The REST API of outside systems under /api/v1: external tasks for worker accounts, messages and signals."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from engine.integration import external_tasks as jobs
from engine.integration.messages import broadcast_signal, correlate_message
from engine.people.identity import Actor

from .api import _int_arg, json_body, platform, unit_of_work

integration_api = Blueprint("integration_api", __name__, url_prefix="/api/v1")


def _signed_in() -> Actor:
    """The bearer token's actor, for a call that opens units of its own (one per case it reaches)."""
    with unit_of_work(write=False) as (_uow, actor):
        return actor


def _long_poll_places() -> jobs.LongPollPlaces:
    """This app's places for waiting fetches (one web process's), made at the first long poll."""
    places = current_app.extensions.get("onestop_long_polls")
    if places is None:
        with _PLACES_LOCK:
            places = current_app.extensions.setdefault("onestop_long_polls", jobs.LongPollPlaces.from_env())
    return places  # type: ignore[no-any-return]


_PLACES_LOCK = threading.Lock()


@integration_api.post("/external-tasks/fetch-and-lock")
def fetch_and_lock() -> Response:
    """Lock due jobs; with ``async_response_timeout`` (a long poll) wait up to that many seconds for one to come,
    looking with a plain read (no lock) every LONG_POLL_CHECK_SECONDS and fetching again when one is due. When
    every place for waiting fetches of this process is taken, one that finds nothing answers at once
    (``Retry-After: 1``): workers never hold all the threads people's requests need."""
    body = json_body()
    deadline = time.monotonic() + jobs.long_poll_seconds(body.get("async_response_timeout", 0))
    places, waiting = _long_poll_places(), False
    try:
        while True:
            # A writing unit from the start: on SQLite fetches then take turns; on PostgreSQL rows are skip-locked.
            with unit_of_work(write=True) as (uow, actor):
                locked = jobs.fetch_and_lock(body.get("worker_id"), body.get("topics"),
                                             max_tasks=body.get("max_tasks", 1),
                                             lock_seconds=body.get("lock_seconds", 60), actor=actor, uow=uow,
                                             now=platform().now())
                uow.commit()
            if locked or deadline <= time.monotonic():
                return jsonify(locked)
            if not waiting:
                waiting = places.take()
                if not waiting:
                    answer = jsonify(locked)
                    answer.headers["Retry-After"] = "1"
                    return answer
            if not _wait_for_a_job(body.get("topics"), deadline):
                return jsonify(locked)
    finally:
        if waiting:
            places.give_back()


def _wait_for_a_job(topics: Any, deadline: float) -> bool:
    """Wait until a job of ``topics`` is due (True) or the deadline passes (False)."""
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(jobs.LONG_POLL_CHECK_SECONDS, left))
        with platform().uow(write=False) as uow:
            if jobs.any_due(topics, uow=uow, now=platform().now()):
                return True
    return False


@integration_api.post("/external-tasks/<int:task_id>/complete")
def complete(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True, optimistic=True) as (uow, actor):  # the case runs on: no write lock meanwhile
        result = jobs.complete(task_id, body.get("worker_id"), body.get("result"), actor=actor, uow=uow,
                               now=platform().now())
        uow.commit()
    return jsonify(result)


@integration_api.post("/external-tasks/<int:task_id>/failure")
def failure(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = jobs.report_failure(task_id, body.get("worker_id"), body.get("message"), body.get("retries"),
                                     body.get("retry_seconds", 0), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@integration_api.post("/external-tasks/<int:task_id>/bpmn-error")
def bpmn_error(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True, optimistic=True) as (uow, actor):
        result = jobs.report_bpmn_error(task_id, body.get("worker_id"), body.get("code"), body.get("message", ""),
                                        actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)


@integration_api.post("/external-tasks/<int:task_id>/extend-lock")
def extend_lock(task_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = jobs.extend_lock(task_id, body.get("worker_id"), body.get("lock_seconds"), actor=actor, uow=uow,
                                  now=platform().now())
        uow.commit()
    return jsonify(result)


@integration_api.get("/external-tasks")
def list_external_tasks() -> Response:
    instance = request.args.get("instance_id")
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(jobs.list_jobs(
            topic=request.args.get("topic") or None, state=request.args.get("state") or None,
            instance_id=_int_arg("instance_id", 0) if instance else None, limit=_int_arg("limit", 100),
            offset=_int_arg("offset", 0), actor=actor, uow=uow, now=platform().now()))


@integration_api.post("/messages")
def messages() -> Response:
    body = json_body()
    actor = _signed_in()
    reached = correlate_message(body, actor=actor, platform=platform(), now=platform().now())
    return jsonify({"instance_ids": reached})


@integration_api.post("/signals")
def signals() -> Response:
    body: dict[str, Any] = json_body()
    actor = _signed_in()
    reached = broadcast_signal(body, actor=actor, platform=platform(), now=platform().now())
    return jsonify({"instance_ids": reached})

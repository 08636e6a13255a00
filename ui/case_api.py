"""The REST API for working together on a case: comments on a case and its tasks, a case's priority, and an
applicant's withdrawal (撤回). Under /api/v1 beside ui/api.py."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from engine.cases.priority import set_priority
from engine.cases.withdrawal import withdraw_instance
from tasks import comments

from .api import json_body, platform, unit_of_work

case_api = Blueprint("case_api", __name__, url_prefix="/api/v1")


@case_api.get("/process-instances/<int:instance_id>/comments")
def case_comments(instance_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(comments.case_comments(instance_id, actor=actor, uow=uow))


@case_api.post("/process-instances/<int:instance_id>/comments")
def comment_on_case(instance_id: int) -> tuple[Response, int]:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = comments.add_comment(instance_id, body.get("text"), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result), 201


@case_api.get("/tasks/<int:task_id>/comments")
def task_comments(task_id: int) -> Response:
    with unit_of_work(write=False) as (uow, actor):
        return jsonify(comments.task_comments(task_id, actor=actor, uow=uow))


@case_api.post("/tasks/<int:task_id>/comments")
def comment_on_task(task_id: int) -> tuple[Response, int]:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = comments.comment_on_task(task_id, body.get("text"), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result), 201


@case_api.post("/process-instances/<int:instance_id>/priority")
def priority(instance_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = set_priority(instance_id, body.get("priority"), reason=body.get("reason", ""), actor=actor, uow=uow,
                              now=platform().now())
        uow.commit()
    return jsonify(result)


@case_api.post("/process-instances/<int:instance_id>/withdraw")
def withdraw(instance_id: int) -> Response:
    body = json_body()
    with unit_of_work(write=True) as (uow, actor):
        result = withdraw_instance(instance_id, reason=body.get("reason"), actor=actor, uow=uow, now=platform().now())
        uow.commit()
    return jsonify(result)

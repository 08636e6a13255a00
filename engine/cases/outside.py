"""Writes, with the case, what a run changed in its dealings with the world outside (engine/cases/summary.py
reports it): a job row for each service task that began waiting for an external worker, the jobs of service tasks
that no longer wait, the messages and signals the case waits for, and what it threw (the outbox, delivered after
the commit by engine/integration/). Nothing here runs diagram code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, update

from engine.bpmn.messages import correlation_hash
from engine.store.integration_tables import EventSubscription, ExternalTask, OutboxEvent
from engine.store.models import ProcessInstance, table_of
from engine.store.uow import UnitOfWork

OPEN_JOB_STATES = ("waiting", "locked", "failed")

_JOBS = table_of(ExternalTask)
_WAITS = table_of(EventSubscription)
_OUTBOX = table_of(OutboxEvent)
_INSERT_JOB = insert(_JOBS)
_END_JOBS = update(_JOBS).where(_JOBS.c.instance_id == bindparam("case_id"),
                                _JOBS.c.spiff_task_id.in_(bindparam("ended", expanding=True)),
                                _JOBS.c.state.in_(OPEN_JOB_STATES))
_OFFER_FAILED_AGAIN = update(_JOBS).where(_JOBS.c.instance_id == bindparam("case_id"), _JOBS.c.state == "failed") \
    .values(state="waiting", retries=_JOBS.c.initial_retries, error_message=None, worker_id=None, locked_by=None,
            lock_expires_at=None, available_at=bindparam("now"), updated_at=bindparam("now"))
_DROP_WAITS = delete(_WAITS).where(_WAITS.c.instance_id == bindparam("case_id"))
_INSERT_WAITS = insert(_WAITS)
_INSERT_OUTBOX = insert(_OUTBOX).returning(_OUTBOX.c.id)


def history_of_outside(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """The history rows a run's outside changes make (action, details), queued with the case's own."""
    rows = [("external_task_waiting", {"element": job["element"], "title": job["title"], "topic": job["topic"],
                                       "parameters": job["parameters"]}) for job in result.external_tasks]
    rows += [(f"{event['kind']}_sent", {"name": event["name"], "correlations": event["correlations"]})
             for event in result.thrown]
    return rows


def write_outside(uow: UnitOfWork, row: ProcessInstance, result: Any, *, now: datetime,
                  was_in_error: bool) -> list[int]:
    """Write the run's outside changes for the case ``row`` (already written, so it has its id); the ids of the
    outbox rows written, to deliver once the unit has committed. A case saved out of ``error`` offers its failed
    jobs again (an administrator's retry)."""
    if result.external_tasks:
        uow.session.execute(_INSERT_JOB, [{
            "instance_id": row.id, "spiff_task_id": job["spiff_task_id"], "model_key": row.model_key,
            "element": job["element"][:255], "title": job["title"][:255], "topic": job["topic"],
            "parameters": job["parameters"], "result_variable": job["result_variable"], "state": "waiting",
            "retries": job["retries"], "initial_retries": job["retries"], "available_at": now, "failures": 0,
            "lock_expiries": 0, "created_at": now, "updated_at": now} for job in result.external_tasks])
    if result.ended_external_tasks:
        uow.session.execute(_END_JOBS, {"case_id": row.id, "ended": result.ended_external_tasks,
                                        "state": "cancelled", "ended_at": now, "updated_at": now,
                                        "worker_id": None, "locked_by": None, "lock_expires_at": None})
    if was_in_error:
        uow.session.execute(_OFFER_FAILED_AGAIN, {"case_id": row.id, "now": now})
    if result.waits is not None:
        replace_waits(uow, row.id, result.waits, now=now)
    if not result.thrown:
        return []
    return list(uow.session.execute(_INSERT_OUTBOX, [{
        "source_instance_id": row.id, "kind": event["kind"], "name": event["name"], "payload": event["payload"],
        "correlations": event["correlations"], "created_at": now, "attempts": 0, "reached": []}
        for event in result.thrown]).scalars())


def replace_waits(uow: UnitOfWork, case_id: int, waits: list[dict[str, Any]], *, now: datetime) -> None:
    uow.session.execute(_DROP_WAITS, {"case_id": case_id})
    if waits:
        uow.session.execute(_INSERT_WAITS, [{
            "instance_id": case_id, "kind": wait["kind"], "name": wait["name"][:255], "element": wait["element"][:255],
            "correlation_key": wait["correlation_key"], "correlation": wait["correlation"],
            "correlation_hash": correlation_hash(wait["correlation"]) if wait["correlation"] is not None else None,
            "created_at": now} for wait in waits])


def end_outside(uow: UnitOfWork, case_id: int, *, now: datetime) -> None:
    """A case cancelled: its jobs are cancelled and it waits for nothing any more."""
    uow.begin_write()
    uow.session.execute(update(_JOBS).where(_JOBS.c.instance_id == case_id, _JOBS.c.state.in_(OPEN_JOB_STATES))
                        .values(state="cancelled", ended_at=now, updated_at=now, worker_id=None, locked_by=None,
                                lock_expires_at=None))
    uow.session.execute(_DROP_WAITS, {"case_id": case_id})

"""External tasks: the jobs of service tasks, fetched, locked and answered by workers of outside systems.

A worker account (role ``worker``) serves its topics: it fetches and locks jobs of those topics
(:func:`fetch_and_lock`), then completes each with a result, reports a failure (retried after a back-off, or, with
no retries left, an incident: the case goes to ``error`` until an administrator retries it), throws a BPMN error
for the diagram's error boundary event, or extends its lock while it works. A lock that expires frees the job for
any worker; the one that let it expire gets 409 if another took it meanwhile.

Fetching is safe with many workers at once: on PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP
LOCKED`` (two workers never get the same job, neither waits for the other); on SQLite the unit holds the write
lock, so fetches take turns. Fair across topics: round-robin over the requested topics, the topic whose oldest
job has waited longest first, oldest first within a topic — a flood on one topic never starves another."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update

from engine.bpmn.case_data import UnstorableValue, check_value
from engine.bpmn.service_tasks import MAX_RETRIES
from engine.cases.runner import Case, load_case, record, run_args, run_case, save, save_failure
from engine.cases.summary import StepFailure
from engine.errors import CaseSuspended, Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.integration_tables import ExternalTask
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork

from .runs import ErrorRun, ResultRun

MAX_LOCK_SECONDS = 24 * 3600  # one lock (a longer job extends its lock as it goes)
MAX_TASKS_PER_FETCH = 100  # jobs one fetch-and-lock returns
MAX_TOPICS_PER_FETCH = 50  # topics one fetch-and-lock names
MAX_RETRY_SECONDS = 7 * 24 * 3600  # the back-off a failure may ask for before the job is offered again
MAX_RESULT_BYTES = 256 * 1024  # a worker's result, as JSON
MAX_MESSAGE_LENGTH = 2000  # characters of a failure's or a BPMN error's message
MAX_WORKER_ID_LENGTH = 120
MAX_ERROR_CODE_LENGTH = 255
MAX_LISTED = 500  # jobs one GET /external-tasks lists
# A long poll: fetch-and-lock with async_response_timeout waits up to this long for a job when none is due (it
# holds one of the web process's threads meanwhile), looking again every LONG_POLL_CHECK_SECONDS with one read.
MAX_LONG_POLL_SECONDS = 30
LONG_POLL_CHECK_SECONDS = 0.25
# Fetches of one web process that may wait at once (``ONESTOP_LONG_POLLS``; `onestop serve` sets half its threads):
# past it a fetch that finds nothing answers at once instead of waiting, so workers never hold every thread that
# people's requests need.
DEFAULT_LONG_POLLS = 2


class LongPollPlaces:
    """The places of one web process for fetches waiting for a job (a long poll holds a thread while it waits)."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 0)
        self._taken = 0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LongPollPlaces:
        value = (os.environ if env is None else env).get("ONESTOP_LONG_POLLS", "")
        try:
            return cls(int(value) if value.strip() else DEFAULT_LONG_POLLS)
        except ValueError:
            raise ValueError(f"ONESTOP_LONG_POLLS must be a whole number, not {value!r}") from None

    def take(self) -> bool:
        """A place to wait in, if one is free (give it back with :meth:`give_back`)."""
        with self._lock:
            if self._taken >= self.size:
                return False
            self._taken += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._taken -= 1

    @property
    def taken(self) -> int:
        return self._taken


STATES = ("waiting", "locked", "failed", "completed", "cancelled")
RUNS = "engine.integration.runs"


# --- who may do what --------------------------------------------------------------------------------------

def check_topics(actor: Actor, topics: list[str]) -> None:
    """Administrators may act on any topic; a worker on its own topics only; nobody else (403)."""
    if actor.is_admin:
        return
    if not actor.is_worker:
        raise PermissionDenied("external tasks are for worker accounts (role worker) and administrators")
    foreign = [topic for topic in topics if topic not in actor.topics]
    if foreign:
        raise PermissionDenied(f"this worker does not serve {', '.join(map(repr, foreign))}: its topics are "
                               f"{', '.join(actor.topics)}")


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InvalidInput(f"{field} must be text of 1 to {limit} characters",
                           details=[{"field": field, "message": f"text, at most {limit} characters"}])
    return value


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}",
                           details=[{"field": field, "message": f"integer {low}..{high}"}])
    return value


# --- reading jobs -----------------------------------------------------------------------------------------

def effective_state(job: Any, now: datetime) -> str:
    """A lock that has expired frees the job: it shows, and is fetched, as waiting."""
    if job.state == "locked" and job.lock_expires_at is not None and job.lock_expires_at <= now:
        return "waiting"
    return str(job.state)


def job_view(job: ExternalTask, business_key: str | None, now: datetime) -> dict[str, Any]:
    return {"id": job.id, "topic": job.topic, "instance_id": job.instance_id, "business_key": business_key,
            "model_key": job.model_key, "element": job.element, "title": job.title,
            "state": effective_state(job, now), "parameters": job.parameters, "result_variable": job.result_variable,
            "retries": job.retries, "worker_id": job.worker_id if job.state == "locked" else None,
            "lock_expires_at": _iso(job.lock_expires_at) if job.state == "locked" else None,
            "available_at": _iso(job.available_at), "error_message": job.error_message, "failures": job.failures,
            "lock_expiries": job.lock_expiries, "created_at": _iso(job.created_at),
            "updated_at": _iso(job.updated_at), "ended_at": _iso(job.ended_at)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def list_jobs(*, topic: str | None = None, state: str | None = None, instance_id: int | None = None,
              limit: int = 100, offset: int = 0, actor: Actor, uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """Jobs for administrators, newest first: by topic, by state (as :func:`effective_state` gives it), by case."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators list external tasks")
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}",
                           details=[{"field": "state", "message": "one of " + ", ".join(STATES)}])
    if not 1 <= limit <= MAX_LISTED:
        raise InvalidInput(f"limit must be from 1 to {MAX_LISTED}",
                           details=[{"field": "limit", "message": f"1..{MAX_LISTED}"}])
    query = select(ExternalTask, ProcessInstance.business_key).join(
        ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
    if topic:
        query = query.where(ExternalTask.topic == topic)
    if instance_id is not None:
        query = query.where(ExternalTask.instance_id == instance_id)
    expired = (ExternalTask.state == "locked") & (ExternalTask.lock_expires_at <= now)
    if state == "waiting":
        query = query.where((ExternalTask.state == "waiting") | expired)
    elif state == "locked":
        query = query.where((ExternalTask.state == "locked") & (ExternalTask.lock_expires_at > now))
    elif state is not None:
        query = query.where(ExternalTask.state == state)
    rows = uow.session.execute(query.order_by(ExternalTask.id.desc()).limit(limit)
                               .offset(max(offset, 0))).all()
    return [job_view(job, business_key, now) for job, business_key in rows]


def _job(job_id: int, uow: UnitOfWork) -> ExternalTask:
    job = uow.session.get(ExternalTask, job_id)
    if job is None:
        raise NotFound(f"no external task {job_id}")
    return job


# --- fetch and lock ---------------------------------------------------------------------------------------

def fetch_and_lock(worker_id: Any, topics: Any, *, max_tasks: Any = 1, lock_seconds: Any = 60, actor: Actor,
                   uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """Lock up to ``max_tasks`` jobs of ``topics`` for ``worker_id`` until now + ``lock_seconds``: what is due
    (waiting and past its back-off, or locked by a lock that expired), round-robin over the topics. The unit must
    be a writing one (on SQLite it then holds the write lock from its start)."""
    worker_id = _text(worker_id, "worker_id", MAX_WORKER_ID_LENGTH)
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics) \
            or len(topics) > MAX_TOPICS_PER_FETCH:
        raise InvalidInput(f"topics must be a list of 1 to {MAX_TOPICS_PER_FETCH} topic names",
                           details=[{"field": "topics", "message": "a non-empty list of text"}])
    max_tasks = _whole(max_tasks, "max_tasks", 1, MAX_TASKS_PER_FETCH)
    lock_seconds = _whole(lock_seconds, "lock_seconds", 1, MAX_LOCK_SECONDS)
    topics = list(dict.fromkeys(topics))
    check_topics(actor, topics)
    candidates = {topic: _candidates(topic, max_tasks, uow, now) for topic in topics}
    chosen = _round_robin(candidates, max_tasks)
    if not chosen:
        return []
    uow.begin_write()
    until = now + timedelta(seconds=lock_seconds)
    out = []
    for job, business_key in chosen:
        expired_from = job.worker_id if job.state == "locked" else None
        job.lock_expiries += 1 if expired_from is not None else 0
        job.state, job.worker_id, job.locked_by, job.lock_expires_at, job.updated_at = (
            "locked", worker_id, actor.username, until, now)
        if expired_from is not None:
            _history(uow, job, "external_task_lock_expired", actor.username, now, worker_id=expired_from)
        _history(uow, job, "external_task_locked", actor.username, now, worker_id=worker_id,
                 lock_expires_at=until.isoformat())
        out.append({"id": job.id, "topic": job.topic, "instance_id": job.instance_id, "business_key": business_key,
                    "parameters": job.parameters, "retries": job.retries, "lock_expires_at": until.isoformat(),
                    "worker_id": worker_id, "element": job.element, "title": job.title})
    uow.flush()
    return out


def long_poll_seconds(value: Any) -> float:
    """``async_response_timeout``: seconds (0 to MAX_LONG_POLL_SECONDS) a fetch may wait for a job to come."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_LONG_POLL_SECONDS:
        raise InvalidInput(f"async_response_timeout must be a number of seconds from 0 to {MAX_LONG_POLL_SECONDS}",
                           details=[{"field": "async_response_timeout",
                                     "message": f"0 to {MAX_LONG_POLL_SECONDS} seconds"}])
    return float(value)


def _due(now: datetime) -> Any:
    """A job a fetch may take now: waiting past its back-off, or locked by a lock that expired."""
    return ((ExternalTask.state == "waiting") & (ExternalTask.available_at <= now)) | (
        (ExternalTask.state == "locked") & (ExternalTask.lock_expires_at <= now))


def any_due(topics: Any, *, uow: UnitOfWork, now: datetime) -> bool:
    """Whether a fetch of ``topics`` would find a job now: one indexed read, no lock (a long poll's wait)."""
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        return False
    found = uow.session.scalar(select(ExternalTask.id).join(
        ProcessInstance, ProcessInstance.id == ExternalTask.instance_id).where(
        ExternalTask.topic.in_(topics[:MAX_TOPICS_PER_FETCH]), ExternalTask.state.in_(("waiting", "locked")),
        _due(now), ProcessInstance.status == "active").limit(1))
    return found is not None


def _candidates(topic: str, limit: int, uow: UnitOfWork, now: datetime) -> list[tuple[ExternalTask, str | None]]:
    """The due jobs of one topic, oldest first, of active cases; on PostgreSQL locked for this transaction, those
    another worker is locking right now skipped."""
    query = select(ExternalTask, ProcessInstance.business_key).join(
        ProcessInstance, ProcessInstance.id == ExternalTask.instance_id).where(
        ExternalTask.topic == topic, ExternalTask.state.in_(("waiting", "locked")), _due(now),
        ProcessInstance.status == "active").order_by(ExternalTask.available_at, ExternalTask.id).limit(limit)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ExternalTask)
    return [(job, business_key) for job, business_key in uow.session.execute(query).all()]


def _round_robin(candidates: dict[str, list[tuple[ExternalTask, str | None]]],
                 limit: int) -> list[tuple[ExternalTask, str | None]]:
    """One job of each topic in turn, the topic whose oldest job has waited longest first."""
    queues = sorted((queue for queue in candidates.values() if queue),
                    key=lambda queue: (queue[0][0].available_at, queue[0][0].id))
    chosen: list[tuple[ExternalTask, str | None]] = []
    index = 0
    while len(chosen) < limit and any(queues):
        queue = queues[index % len(queues)]
        if queue:
            chosen.append(queue.pop(0))
        index += 1
    return chosen


def _history(uow: UnitOfWork, job: ExternalTask, action: str, actor: str, now: datetime, **details: Any) -> None:
    add_history(uow, instance_id=job.instance_id, model_key=job.model_key, action=action, actor=actor, now=now,
                task_name=job.element, details={"external_task": job.id, "topic": job.topic, **details})


# --- answering a job ---------------------------------------------------------------------------------------

def _held(job_id: int, worker_id: Any, *, actor: Actor, uow: UnitOfWork, now: datetime) -> ExternalTask:
    """The job, locked by ``worker_id`` (a lock that expired still counts unless another worker took it)."""
    worker_id = _text(worker_id, "worker_id", MAX_WORKER_ID_LENGTH)
    job = _job(job_id, uow)
    check_topics(actor, [job.topic])
    if job.state != "locked":
        raise Conflict(f"external task {job_id} is {effective_state(job, now)}, not locked by {worker_id!r}: "
                       "fetch and lock it first" if job.state == "waiting" else
                       f"external task {job_id} is {job.state}: nothing more can be done with it")
    if job.worker_id != worker_id:
        raise Conflict(f"external task {job_id} is locked by another worker (a lock that expires frees the job "
                       "for any worker)")
    return job


def _case_row(job: ExternalTask, uow: UnitOfWork, *, answering: bool = True) -> Any:
    """The job's case, which must be active to take an answer (a failure is also taken while it is in error)."""
    row = load_case(job.instance_id, uow=uow)
    if row.status == "suspended":
        raise CaseSuspended(f"case {row.id} is suspended: its external tasks wait until it is resumed")
    if row.status != "active" and (answering or row.status != "error"):
        raise Conflict(f"case {row.id} is {row.status}: its external tasks cannot be answered now")
    return row


def _case_of(job: ExternalTask, uow: UnitOfWork, *, answering: bool = True) -> Case:
    row = _case_row(job, uow, answering=answering)
    return Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))


_FINISH_GUARDED = update(ExternalTask).execution_options(synchronize_session=False)


def _finish(uow: UnitOfWork, job: ExternalTask, holder: str, now: datetime, **values: Any) -> None:
    """Close the job — only if the worker still holds it: another worker that took it over while the case ran
    makes the whole unit roll back (409)."""
    uow.begin_write()
    written = uow.session.execute(_FINISH_GUARDED.where(
        ExternalTask.id == job.id, ExternalTask.state == "locked", ExternalTask.worker_id == holder).values(
        updated_at=now, **values))
    if written.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        raise Conflict(f"external task {job.id} was taken over by another worker while its answer was written")


def complete(job_id: int, worker_id: Any, result: Any, *, actor: Actor, uow: UnitOfWork,
             now: datetime) -> dict[str, Any]:
    """The worker's result goes into the service task's result variable and the case runs on (in the engine's
    child process: open the unit with optimistic=True). A failure of the steps after it puts the case in error,
    replaying the result on retry."""
    job = _held(job_id, worker_id, actor=actor, uow=uow, now=now)
    try:
        check_value("result", result)
    except UnstorableValue as error:
        raise InvalidInput(f"the result {error}", details=[{"field": "result", "message": error.reason}]) from None
    size = len(json.dumps(result, ensure_ascii=False).encode())
    if size > MAX_RESULT_BYTES:
        raise InvalidInput(f"the result is {size:,} bytes, over the limit of {MAX_RESULT_BYTES:,}",
                           details=[{"field": "result", "message": f"at most {MAX_RESULT_BYTES // 1024} KiB"}])
    case = _case_of(job, uow)
    fields, assets = run_args(uow, case.bundle, now)
    outcome = run_case(uow, "complete_external", ResultRun(**fields, state=case.row.state, task_id=job.spiff_task_id,
                                                           result=result), assets, module=RUNS)
    if outcome.conflict is not None:
        raise Conflict(outcome.conflict)
    _finish(uow, job, job.worker_id or "", now, state="completed", ended_at=now, lock_expires_at=None)
    record(case, uow, action="external_task_completed", actor=actor.username, now=now, task_name=job.element,
           external_task=job.id, topic=job.topic, worker_id=job.worker_id, result=result)
    if outcome.failure is not None:
        save_failure(case, outcome.failure, uow=uow, now=now, actor="system", pending={
            "action": "external_complete", "task": job.spiff_task_id, "result": result, "job": job.id})
    else:
        save(case, outcome, uow=uow, now=now, actor=actor.username)
    return {"id": job.id, "state": "completed", "instance_id": job.instance_id, "instance_status": case.row.status}


def report_failure(job_id: int, worker_id: Any, message: Any, retries: Any, retry_seconds: Any = 0, *,
                   actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """The worker could not do the job. With retries left it is offered again after ``retry_seconds``; with none
    it is an incident: the job fails and the case goes to ``error`` with the message, until an administrator's
    retry offers the job again. Runs no diagram code."""
    job = _held(job_id, worker_id, actor=actor, uow=uow, now=now)
    message = _text(message, "message", MAX_MESSAGE_LENGTH, required=False) or "(no message)"
    retries = _whole(retries, "retries", 0, MAX_RETRIES)
    retry_seconds = _whole(0 if retry_seconds is None else retry_seconds, "retry_seconds", 0, MAX_RETRY_SECONDS)
    worker = job.worker_id or ""
    row = _case_row(job, uow, answering=False)
    if retries > 0:
        again = now + timedelta(seconds=retry_seconds)
        _finish(uow, job, worker, now, state="waiting", retries=retries, available_at=again, error_message=message,
                failures=ExternalTask.failures + 1, worker_id=None, locked_by=None, lock_expires_at=None)
        _history(uow, job, "external_task_failed", actor.username, now, worker_id=worker, message=message,
                 retries=retries, offered_again_at=again.isoformat())
        return {"id": job.id, "state": "waiting", "retries": retries, "available_at": again.isoformat(),
                "instance_id": job.instance_id}
    case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
    _finish(uow, job, worker, now, state="failed", retries=0, error_message=message,
            failures=ExternalTask.failures + 1, lock_expires_at=None)
    record(case, uow, action="external_task_failed", actor=actor.username, now=now, task_name=job.element,
           external_task=job.id, topic=job.topic, worker_id=worker, message=message, retries=0)
    incident(case, job, f"{job.topic}: {message}", uow=uow, now=now)
    return {"id": job.id, "state": "failed", "retries": 0, "instance_id": job.instance_id,
            "instance_status": case.row.status}


def incident(case: Case, job: ExternalTask, message: str, *, uow: UnitOfWork, now: datetime) -> None:
    """Put the case in error for a failed job (an active case; one in error already keeps its first failure, and
    a suspended one stays suspended with the job failed), to be offered again by an administrator's retry."""
    if case.row.status != "active":
        return
    failure = StepFailure(task=f"{job.element} ({job.title})" if job.title != job.element else job.element,
                          message=message, line=None)
    save_failure(case, failure, uow=uow, now=now, actor="system", pending={
        "action": "external_task", "job": job.id, "task": job.spiff_task_id})


def report_bpmn_error(job_id: int, worker_id: Any, code: Any, message: Any = "", *, actor: Actor, uow: UnitOfWork,
                      now: datetime) -> dict[str, Any]:
    """The outside system answered with a business error: thrown at the service task as a BPMN error with
    ``code``; an error boundary event with that errorCode catches it and the case takes its path (in the engine's
    child process: optimistic unit). None catches it: an incident, as a failure with no retries left."""
    job = _held(job_id, worker_id, actor=actor, uow=uow, now=now)
    code = _text(code, "code", MAX_ERROR_CODE_LENGTH)
    message = _text(message, "message", MAX_MESSAGE_LENGTH, required=False)
    case = _case_of(job, uow)
    fields, assets = run_args(uow, case.bundle, now)
    outcome = run_case(uow, "throw_bpmn_error", ErrorRun(**fields, state=case.row.state, task_id=job.spiff_task_id,
                                                         code=code, message=message), assets, module=RUNS)
    if outcome.conflict is not None:
        raise Conflict(outcome.conflict)
    worker = job.worker_id or ""
    if outcome.failure is not None:
        _finish(uow, job, worker, now, state="failed", retries=0, error_message=outcome.failure.message,
                failures=ExternalTask.failures + 1, lock_expires_at=None)
        record(case, uow, action="external_task_bpmn_error", actor=actor.username, now=now, task_name=job.element,
               external_task=job.id, topic=job.topic, worker_id=worker, code=code, message=message, caught=False)
        incident(case, job, outcome.failure.message, uow=uow, now=now)
        return {"id": job.id, "state": "failed", "instance_id": job.instance_id, "instance_status": case.row.status}
    _finish(uow, job, worker, now, state="completed", ended_at=now, lock_expires_at=None,
            error_message=f"BPMN error {code}: {message}" if message else f"BPMN error {code}")
    record(case, uow, action="external_task_bpmn_error", actor=actor.username, now=now, task_name=job.element,
           external_task=job.id, topic=job.topic, worker_id=worker, code=code, message=message, caught=True)
    save(case, outcome, uow=uow, now=now, actor=actor.username)
    return {"id": job.id, "state": "completed", "instance_id": job.instance_id, "instance_status": case.row.status}


def extend_lock(job_id: int, worker_id: Any, lock_seconds: Any, *, actor: Actor, uow: UnitOfWork,
                now: datetime) -> dict[str, Any]:
    """A worker still at it keeps its lock until now + ``lock_seconds``."""
    job = _held(job_id, worker_id, actor=actor, uow=uow, now=now)
    lock_seconds = _whole(lock_seconds, "lock_seconds", 1, MAX_LOCK_SECONDS)
    until = now + timedelta(seconds=lock_seconds)
    _finish(uow, job, job.worker_id or "", now, lock_expires_at=until)
    return {"id": job.id, "state": "locked", "worker_id": job.worker_id, "lock_expires_at": until.isoformat()}


def jobs_by_topic(*, uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """Per topic: jobs waiting (due or backing off), locked, failed (incidents), completed, and the lock expiries
    and failures so far."""
    expired = (ExternalTask.state == "locked") & (ExternalTask.lock_expires_at <= now)

    def count(condition: Any) -> Any:
        return func.sum(sql_case((condition, 1), else_=0))

    rows = uow.session.execute(select(
        ExternalTask.topic, count((ExternalTask.state == "waiting") | expired),
        count((ExternalTask.state == "locked") & ~expired), count(ExternalTask.state == "failed"),
        count(ExternalTask.state == "completed"), func.sum(ExternalTask.lock_expiries),
        func.sum(ExternalTask.failures),
    ).group_by(ExternalTask.topic).order_by(ExternalTask.topic)).all()
    return [{"topic": topic, "waiting": int(waiting or 0), "locked": int(locked or 0), "failed": int(failed or 0),
             "completed": int(done or 0), "lock_expiries": int(expiries or 0), "failures": int(failures or 0)}
            for topic, waiting, locked, failed, done, expiries, failures in rows]

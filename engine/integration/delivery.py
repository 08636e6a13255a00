"""Delivering messages and signals to cases: from outside systems (POST /api/v1/messages, /signals) and from
other cases (the outbox written with the case that threw them).

The cases an event reaches are found in the indexed table of what each case waits for (event_subscriptions),
never by loading cases. Each case is reached in its own unit of work, its run in the engine's child process while
the unit holds no write lock; the case row is written guarded by its version, so a case that moved on meanwhile
is skipped, never reached twice. An outbox event is delivered right after the commit that wrote it, by the
request that made it, and otherwise by the sweep (the timer worker): at least once, and once per waiting case —
each delivery is recorded with the case it reached, in that case's transaction."""

from __future__ import annotations

import contextvars
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.bpmn.messages import correlation_hash, message_start_names
from engine.cases.deployment import latest_models
from engine.cases.runner import Case, load_case, record, run_args, run_case, save, save_failure
from engine.errors import Conflict, InvalidInput, OneStopError
from engine.store.history import add_history, json_safe
from engine.store.integration_tables import EventDelivery, EventSubscription, OutboxEvent
from engine.store.models import ProcessInstance, ProcessModel, table_of
from engine.store.uow import UnitOfWork

from .runs import DeliverRun, MessageStartRun

if TYPE_CHECKING:
    from engine.platform import Platform

log = logging.getLogger(__name__)

MAX_CASES_PER_DELIVERY = 100  # cases one message or signal reaches in one go (an outbox event: the rest next sweep)
MAX_DELIVERY_ATTEMPTS = 10  # sweeps that may fail to deliver an outbox event before it is given up
MAX_CHAIN = 8  # cases in a row a request follows (a message that makes a case throw one...); the sweep goes on
MAX_OUTBOX_PER_SWEEP = 200  # outbox events one sweep delivers
RUNS = "engine.integration.runs"

_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("onestop_delivery_depth", default=0)
# Per platform (one database): model id -> the messages its message start events catch. A deployed version never
# changes, so an entry stays true for its database; another database (another platform) has its own ids.
_STARTS: weakref.WeakKeyDictionary[Platform, dict[int, frozenset[str]]] = weakref.WeakKeyDictionary()


@dataclass
class Event:
    """A message or signal on its way: its data, the correlation values it carries per correlation key (a
    message), who sends it, and the outbox row it came from (a case threw it) if any."""

    kind: str
    name: str
    payload: Any
    correlations: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"
    outbox_id: int | None = None
    source_instance_id: int | None = None


@dataclass
class Target:
    """A case the event may reach, and how it is addressed: ``correlations`` None when by its id or business
    key (the case's own values then), else the values to hand it."""

    instance_id: int
    correlations: dict[str, Any] | None


# --- whom it reaches --------------------------------------------------------------------------------------

def waiting_targets(uow: UnitOfWork, event: Event, *, instance_id: int | None = None,
                    business_key: str | None = None, correlation: dict[str, Any] | None = None,
                    statuses: tuple[str, ...] = ("active",)) -> list[tuple[Target, str]]:
    """The cases waiting for the event, oldest first, with their status. Addressed by id or business key: those
    cases, whatever their correlation values. By ``correlation`` (one correlation key's properties and values):
    the cases whose values for that key are these. Otherwise a message carries its own ``correlations`` per key:
    cases with those values; a message without any, and every signal, reaches the cases that wait without
    correlation values."""
    waits = EventSubscription
    query = select(waits.instance_id, waits.correlation_key, ProcessInstance.status).join(
        ProcessInstance, ProcessInstance.id == waits.instance_id).where(
        waits.kind == event.kind, waits.name == event.name, ProcessInstance.status.in_(statuses))
    addressed = instance_id is not None or business_key is not None
    if instance_id is not None:
        query = query.where(waits.instance_id == instance_id)
    elif business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    elif correlation is not None:
        query = query.where(waits.correlation_hash == correlation_hash(correlation))
    elif event.kind == "message" and event.correlations:
        hashes = [correlation_hash(values) for values in event.correlations.values() if isinstance(values, dict)]
        query = query.where(waits.correlation_hash.in_(hashes))
    else:
        query = query.where(waits.correlation_hash.is_(None))
    if event.kind == "signal" and event.source_instance_id is not None:
        query = query.where(waits.instance_id != event.source_instance_id)  # it heard its own signal already
    seen: dict[int, tuple[Target, str]] = {}
    for case_id, key, status in uow.session.execute(query.order_by(waits.instance_id)).all():
        if case_id in seen:
            continue
        correlations: dict[str, Any] | None
        if addressed or event.kind == "signal":
            correlations = None if addressed else {}
        elif correlation is not None:
            correlations = {key: dict(correlation)} if key else {}
        else:
            correlations = dict(event.correlations)
        seen[case_id] = (Target(case_id, correlations), status)
    return list(seen.values())


def starting_flows(uow: UnitOfWork, name: str) -> list[tuple[int, str]]:
    """(model id, key) of the latest version of each flow whose message start event catches ``name``."""
    found = []
    for model in latest_models(uow=uow):
        model_id = uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == model["key"],
                                                                    ProcessModel.version == model["version"]))
        if model_id is None:
            continue
        starts = _STARTS.setdefault(uow.platform, {})
        if model_id not in starts:
            starts[model_id] = frozenset(message_start_names(uow.platform.specs.get(model_id, uow=uow).spec))
        if name in starts[model_id]:
            found.append((model_id, model["key"]))
    return found


# --- reaching one case -------------------------------------------------------------------------------------

def reach_case(platform: Platform, event: Event, target: Target, *, now: datetime) -> str:
    """Deliver the event to one waiting case in a unit of its own: 'reached', 'skipped' (it no longer waits, is
    no longer active, or got this outbox event already) or the reason it refused the event."""
    for attempt in (1, 2):
        try:
            with platform.uow(optimistic=True) as uow:
                outcome = _reach(uow, event, target, now=now)
                if outcome == "reached":
                    uow.commit()
                return outcome
        except Conflict:  # it changed while its run went on: once more from its new state
            if attempt == 2:
                return "skipped"
        except IntegrityError:  # another sweep delivered this outbox event to it at the same moment
            return "skipped"
    return "skipped"


def _reach(uow: UnitOfWork, event: Event, target: Target, *, now: datetime) -> str:
    row = load_case(target.instance_id, uow=uow)
    if row.status != "active":
        return "skipped"
    if event.outbox_id is not None and _delivered(uow, event.outbox_id, f"case:{row.id}"):
        return "skipped"
    case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
    fields, assets = run_args(uow, case.bundle, now)
    result = run_case(uow, "deliver", DeliverRun(**fields, state=row.state, kind=event.kind, name=event.name,
                                                 payload=event.payload, correlations=target.correlations),
                      assets, module=RUNS)
    if "refused" in result.extra:
        return str(result.extra["refused"])
    if result.conflict is not None:
        return "skipped"
    record(case, uow, action=f"{event.kind}_received", actor=event.actor, now=now, name=event.name,
           data=event.payload, from_instance=event.source_instance_id)
    if result.failure is not None:
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending={
            "action": "deliver", "kind": event.kind, "name": event.name, "payload": event.payload,
            "correlations": target.correlations})
    else:
        save(case, result, uow=uow, now=now, actor=event.actor)
    if event.outbox_id is not None:
        _mark_delivered_to(uow, event.outbox_id, f"case:{row.id}", row.id, now)
    return "reached"


def _delivered(uow: UnitOfWork, outbox_id: int, target: str) -> bool:
    return uow.session.scalar(select(EventDelivery.id).where(EventDelivery.outbox_id == outbox_id,
                                                             EventDelivery.target == target)) is not None


def _mark_delivered_to(uow: UnitOfWork, outbox_id: int, target: str, instance_id: int | None, now: datetime) -> None:
    uow.session.execute(insert(table_of(EventDelivery)), [{"outbox_id": outbox_id, "target": target,
                                                           "instance_id": instance_id, "delivered_at": now}])


# --- starting a case ---------------------------------------------------------------------------------------

def start_cases(platform: Platform, event: Event, *, business_key: str | None = None, now: datetime,
                refuse: bool = False) -> list[int]:
    """Start a case of each flow whose message start event catches the message (each in its own unit). A message
    the start cannot even catch: InvalidInput when ``refuse`` (the API's sender), else skipped."""
    with platform.uow(write=False) as uow:
        flows = starting_flows(uow, event.name)
    started = []
    for model_id, key in flows:
        try:
            with platform.uow(optimistic=True) as uow:
                instance_id = _start(uow, event, model_id, key, business_key=business_key, now=now, refuse=refuse)
                if instance_id is not None:
                    uow.commit()
        except (Conflict, IntegrityError):
            instance_id = None
        if instance_id is not None:
            started.append(instance_id)
    return started


def _start(uow: UnitOfWork, event: Event, model_id: int, key: str, *, business_key: str | None, now: datetime,
           refuse: bool) -> int | None:
    if event.outbox_id is not None and _delivered(uow, event.outbox_id, f"start:{key}"):
        return None
    model = uow.session.get(ProcessModel, model_id)
    bundle = uow.platform.specs.get(model_id, uow=uow)
    payload = event.payload if isinstance(event.payload, dict) else {}
    county = uow.platform.organisation.county_code(payload.get("county")) if payload.get("county") else None
    starter = event.actor
    if event.source_instance_id is not None:  # a case started by another: for the same applicant, in their county
        source = uow.session.get(ProcessInstance, event.source_instance_id)
        if source is not None:
            starter, county = source.started_by, county or source.county
    row = ProcessInstance(model_id=model_id, model_key=key, version=model.version if model else 0, status=None,
                          business_key=business_key, county=county, started_by=starter, created_at=now,
                          data=json_safe(payload))
    case = Case(row=row, bundle=bundle)
    record(case, uow, action="start", actor=event.actor, now=now, version=row.version, by_message=event.name,
           data=payload, business_key=business_key, from_instance=event.source_instance_id)
    fields, assets = run_args(uow, bundle, now)
    result = run_case(uow, "start_by_message", MessageStartRun(**fields, name=event.name, payload=event.payload,
                                                               correlations=dict(event.correlations)),
                      assets, module=RUNS)
    if "refused" in result.extra:
        if refuse:
            raise InvalidInput(str(result.extra["refused"]))
        return None
    if result.conflict is not None:
        return None
    if result.failure is not None:
        if result.state is None:
            if refuse:
                raise InvalidInput(f"the message cannot start {key}: {result.failure.message}")
            return None
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending={"action": "steps"},
                     state=result.state)
    else:
        save(case, result, uow=uow, now=now, actor=event.actor)
    if event.outbox_id is not None:
        _mark_delivered_to(uow, event.outbox_id, f"start:{key}", row.id, now)
    return int(row.id)


# --- the outbox ---------------------------------------------------------------------------------------------

def deliver_outbox(platform: Platform, outbox_ids: list[int], *, now: datetime | None = None) -> dict[int, list[int]]:
    """Deliver these outbox events (just committed by a request, or due in a sweep): the cases each reached.
    A request follows MAX_CHAIN cases in a row at most; the sweep delivers what is left."""
    depth = _DEPTH.get()
    if depth >= MAX_CHAIN:
        return {}
    token = _DEPTH.set(depth + 1)
    try:
        reached = {}
        for outbox_id in outbox_ids:
            try:
                reached[outbox_id] = deliver_one(platform, outbox_id, now=now or platform.now())
            except OneStopError as error:  # the database away, a busy engine: the sweep tries again
                log.warning("outbox event %s not delivered yet: %s", outbox_id, error.message)
                _note_attempt(platform, outbox_id, error.message)
        return reached
    finally:
        _DEPTH.reset(token)


def deliver_one(platform: Platform, outbox_id: int, *, now: datetime, limit: int | None = None,
                actor: str = "system") -> list[int]:
    """Deliver one outbox event to the cases waiting for it (and, for a message nothing waits for, start the flows
    its message starts); marked delivered once no waiting case is left to reach."""
    with platform.uow(write=False) as uow:
        row = uow.session.get(OutboxEvent, outbox_id)
        if row is None or row.delivered_at is not None:
            return list(row.reached) if row is not None else []
        event = Event(row.kind, row.name, row.payload, dict(row.correlations or {}), actor=actor, outbox_id=row.id,
                      source_instance_id=row.source_instance_id)
        done = set(uow.session.scalars(select(EventDelivery.target).where(EventDelivery.outbox_id == outbox_id)))
        targets = [target for target, _status in waiting_targets(uow, event) if f"case:{target.instance_id}"
                   not in done]
    limit = MAX_CASES_PER_DELIVERY if limit is None else limit
    reached, refused = [], []
    for target in targets[:limit]:
        outcome = reach_case(platform, event, target, now=now)
        if outcome == "reached":
            reached.append(target.instance_id)
        elif outcome != "skipped":
            refused.append(f"case {target.instance_id}: {outcome}")
    if event.kind == "message" and not reached and not targets and not any(t.startswith("case:") for t in done):
        reached += start_cases(platform, event, now=now)
    finished = len(targets) <= limit
    note = "; ".join(refused) or (None if reached or done else "no case waited for it and no flow starts with it")
    with platform.uow() as uow:
        row = uow.session.get(OutboxEvent, outbox_id)
        if row is not None:
            row.reached = [*row.reached, *reached]
            row.attempts += 1
            row.last_error = note
            if finished:
                row.delivered_at = now
            if finished and not row.reached and row.source_instance_id is not None:
                add_history(uow, instance_id=row.source_instance_id, model_key=None,
                            action=f"{row.kind}_not_delivered", actor="system", now=now,
                            details={"name": row.name, "reason": note})
        uow.commit()
    return reached


def _note_attempt(platform: Platform, outbox_id: int, message: str) -> None:
    try:
        with platform.uow() as uow:
            uow.session.execute(update(OutboxEvent).where(OutboxEvent.id == outbox_id).values(
                attempts=OutboxEvent.attempts + 1, last_error=message[:2000]))
            uow.commit()
    except Exception:  # noqa: BLE001 — nothing more to do here; the sweep counts the next attempt
        log.exception("could not note a failed delivery of outbox event %s", outbox_id)


def sweep_outbox(platform: Platform, *, now: datetime | None = None) -> int:
    """Deliver what cases threw and no request delivered (a crash, a busy engine, a long chain); events that failed
    MAX_DELIVERY_ATTEMPTS times are given up, with their last error kept. Returns how many were handled."""
    moment = now or platform.now()
    with platform.uow(write=False) as uow:
        pending = list(uow.session.scalars(select(OutboxEvent.id).where(OutboxEvent.delivered_at.is_(None))
                                           .order_by(OutboxEvent.id).limit(MAX_OUTBOX_PER_SWEEP)))
        stale = list(uow.session.scalars(select(OutboxEvent.id).where(
            OutboxEvent.delivered_at.is_(None), OutboxEvent.attempts >= MAX_DELIVERY_ATTEMPTS)))
    if stale:
        with platform.uow() as uow:
            uow.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(stale)).values(delivered_at=moment))
            uow.commit()
    ids = [outbox_id for outbox_id in pending if outbox_id not in stale]
    token = _DEPTH.set(1)  # the sweep is the first link of any chain it starts
    try:
        for outbox_id in ids:
            try:
                deliver_one(platform, outbox_id, now=moment)
            except OneStopError as error:
                log.warning("outbox event %s not delivered yet: %s", outbox_id, error.message)
                _note_attempt(platform, outbox_id, error.message)
    finally:
        _DEPTH.reset(token)
    return len(ids)

"""Messages and signals from outside systems (POST /api/v1/messages and /api/v1/signals).

A message names what it is (``name``) and whom it is for: a case by its id (``instance_id``) or business key
(``business_key``), or the cases whose correlation values are ``correlation`` (the properties of one correlation
key with their values); with none of them, the cases that wait for it without correlation values. It reaches
every such case that waits for it — a message catch event, a receive task, a message boundary event, an
event-based gateway — and when none waits (and it is not addressed to a case by id), it starts a case of each
flow whose message start event catches it (with the business key given). Nothing reached: 404. A signal reaches
every case waiting for it (at most MAX_CASES_PER_DELIVERY in the request; the rest right after, by the sweep).

Administrators may send any; a worker account the names among its topics. The data is merged into the case data
where the catch event names no variable for it (``spiffworkflow:messageVariable``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from engine.cases.instances import check_data
from engine.errors import CaseSuspended, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.integration_tables import OutboxEvent
from engine.store.models import table_of

from .delivery import MAX_CASES_PER_DELIVERY, Event, deliver_one, reach_case, start_cases, waiting_targets

if TYPE_CHECKING:
    from engine.platform import Platform

MAX_NAME_LENGTH = 255
MAX_DATA_BYTES = 256 * 1024  # a message's or signal's data, as JSON
MAX_CORRELATION_VALUES = 20  # properties one correlation names
MAX_BUSINESS_KEY_LENGTH = 120


def check_sender(actor: Actor, name: str, kind: str) -> None:
    if actor.is_admin:
        return
    if actor.is_worker and name in actor.topics:
        return
    raise PermissionDenied(f"only administrators, and workers whose topics include {name!r}, send this {kind}")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be the message's or signal's name, 1 to {MAX_NAME_LENGTH} characters",
                           details=[{"field": "name", "message": "required text"}])
    return value


def _data(value: Any) -> dict[str, Any]:
    data = dict(check_data({} if value is None else value))
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_DATA_BYTES:
        raise InvalidInput(f"data is {size:,} bytes, over the limit of {MAX_DATA_BYTES:,}",
                           details=[{"field": "data", "message": f"at most {MAX_DATA_BYTES // 1024} KiB"}])
    return data


def _correlation(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value or len(value) > MAX_CORRELATION_VALUES or not all(
            isinstance(key, str) and key and (item is None or isinstance(item, str | int | float | bool))
            for key, item in value.items()):
        raise InvalidInput("correlation must be an object of 1 to 20 correlation properties and their values "
                           "(text, numbers, true/false)",
                           details=[{"field": "correlation", "message": "an object of property: value"}])
    return dict(value)


def correlate_message(body: dict[str, Any], *, actor: Actor, platform: Platform, now: datetime) -> list[int]:
    """Deliver a message (the API body: name, instance_id | business_key | correlation, data); the ids of the
    cases it reached or started. Each case is reached in a unit of work of its own."""
    name = _name(body.get("name"))
    check_sender(actor, name, "message")
    data = _data(body.get("data"))
    addresses = [key for key in ("instance_id", "business_key", "correlation") if body.get(key) is not None]
    if len(addresses) > 1:
        raise InvalidInput("address the message by one of instance_id, business_key or correlation",
                           details=[{"field": key, "message": "give only one"} for key in addresses])
    instance_id = body.get("instance_id")
    if instance_id is not None and (isinstance(instance_id, bool) or not isinstance(instance_id, int)
                                    or not 0 < instance_id < 2**31):
        raise InvalidInput("instance_id must be a case id", details=[{"field": "instance_id", "message": "integer"}])
    business_key = body.get("business_key")
    if business_key is not None and (not isinstance(business_key, str) or not business_key
                                     or len(business_key) > MAX_BUSINESS_KEY_LENGTH):
        raise InvalidInput(f"business_key must be text of 1 to {MAX_BUSINESS_KEY_LENGTH} characters",
                           details=[{"field": "business_key", "message": "text"}])
    correlation = _correlation(body["correlation"]) if body.get("correlation") is not None else None
    payload = {**(correlation or {}), **data}
    event = Event("message", name, payload, actor=actor.username)
    with platform.uow(write=False) as uow:
        found = waiting_targets(uow, event, instance_id=instance_id, business_key=business_key,
                                correlation=correlation, statuses=("active", "suspended"))
    if instance_id is not None and found and all(status == "suspended" for _target, status in found):
        raise CaseSuspended(f"case {instance_id} is suspended: it takes no message until it is resumed")
    reached = []
    for target, status in found[:MAX_CASES_PER_DELIVERY]:
        if status != "active":
            continue
        outcome = reach_case(platform, event, target, now=now)
        if outcome == "reached":
            reached.append(target.instance_id)
        elif outcome != "skipped":
            raise InvalidInput(outcome, details=[{"field": "data", "message": outcome}])
    if not reached and instance_id is None:
        reached = start_cases(platform, event, business_key=business_key, now=now, refuse=True)
    if not reached:
        where = (f"case {instance_id}" if instance_id is not None else f"business key {business_key!r}"
                 if business_key is not None else "these correlation values" if correlation else "any case")
        raise NotFound(f"nothing waits for message {name!r} ({where}), and no flow starts with it")
    return reached


def broadcast_signal(body: dict[str, Any], *, actor: Actor, platform: Platform, now: datetime) -> list[int]:
    """Send a signal to every case waiting for it: written to the outbox (so that no waiting case misses it if
    the request ends early) and delivered at once; the ids of the cases it reached in this request."""
    name = _name(body.get("name"))
    check_sender(actor, name, "signal")
    data = _data(body.get("data"))
    with platform.uow() as uow:
        outbox_id = uow.session.execute(insert(table_of(OutboxEvent)).returning(table_of(OutboxEvent).c.id), [{
            "source_instance_id": None, "kind": "signal", "name": name, "payload": data, "correlations": {},
            "created_at": now, "attempts": 0, "reached": []}]).scalar_one()
        uow.commit()
    return deliver_one(platform, outbox_id, now=now, actor=actor.username)


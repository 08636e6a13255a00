"""Messages and signals: from outside systems over the API, and between cases (the outbox), to waiting catch events,
receive tasks, message boundary events and event-based gateways, correlated by id, business key or correlation
values, or starting a case at a message start event; found through the table of what each case waits for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from integration_kit import (
    Api,
    add_worker,
    broadcaster_files,
    deploy,
    listener_files,
    receiver_files,
    sender_files,
    waiter_files,
)
from sqlalchemy import select

from engine.cases.scheduler import fire_due_timers
from engine.integration.delivery import sweep_outbox
from engine.store.integration_tables import EventDelivery, EventSubscription, OutboxEvent


@pytest.fixture
def api(client):
    return Api(client)


def start(client, people, key, data=None, business_key=None):
    body = {"model_key": key, "data": data or {}}
    if business_key:
        body["business_key"] = business_key
    response = client.post("/api/v1/process-instances", headers=people.headers("admin"), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def waits(platform, instance_id):
    with platform.uow(write=False) as uow:
        return sorted((w.kind, w.name, w.element) for w in uow.session.scalars(
            select(EventSubscription).where(EventSubscription.instance_id == instance_id)))


def complete_task(client, people, instance_id, name, data):
    tasks = client.get("/api/v1/tasks?scope=department", headers=people.headers("city1")).get_json()
    [task] = [t for t in tasks if t["instance_id"] == instance_id and t["name"] == name]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=people.headers("city1"),
                           json={"data": data})
    assert response.status_code == 200, response.get_json()


def test_a_message_reaches_an_event_gateway_a_receive_task_and_a_boundary_event(api, client, people, platform):
    deploy(client, people.headers("designer"), waiter_files())
    case = start(client, people, "waiter")
    assert waits(platform, case) == [("message", "go", "choose")]
    admin = people.headers("admin")
    assert api.message(admin, {"name": "receipt", "instance_id": case}).status_code == 404  # not yet
    assert api.message(admin, {"name": "go", "instance_id": case, "data": {"sent_by": "一网通办"}}).get_json() == \
        {"instance_ids": [case]}
    assert waits(platform, case) == [("message", "receipt", "receipt")]
    assert api.message(admin, {"name": "receipt", "instance_id": case}).status_code == 200
    assert waits(platform, case) == [("message", "withdraw", "withdraw")]
    assert api.message(admin, {"name": "withdraw", "instance_id": case}).status_code == 200
    view = api.case(admin, case)
    assert view["status"] == "completed" and view["data"]["sent_by"] == "一网通办"
    assert [t["state"] for t in view["tasks"]] == ["cancelled"]  # the interrupted task
    assert waits(platform, case) == []


def test_the_timer_of_an_event_gateway_ends_the_wait_for_its_message(client, people, platform, clock, api):
    deploy(client, people.headers("designer"), waiter_files())
    case = start(client, people, "waiter")
    clock.advance(timedelta(days=1, minutes=1))
    assert fire_due_timers(platform).fired == [case]
    assert waits(platform, case) == []
    assert api.message(people.headers("admin"), {"name": "go", "instance_id": case}).status_code == 404


def test_cases_answer_each_other_by_correlation_through_the_outbox(client, people, platform, api):
    deploy(client, people.headers("designer"), receiver_files())
    deploy(client, people.headers("designer"), sender_files())
    first = start(client, people, "sender", {"applicant": "wang"})
    second = start(client, people, "sender", {"applicant": "li"})
    with platform.uow(write=False) as uow:
        receivers = [d.instance_id for d in uow.session.scalars(select(EventDelivery))]
    assert len(receivers) == 2  # each apply_card started a receiver case, right after the sender's commit
    admin = people.headers("admin")
    by_ref = {}
    for receiver in receivers:
        view = api.case(admin, receiver)
        assert view["model_key"] == "receiver" and view["status"] == "active"
        by_ref[view["data"]["ref"]] = receiver
    assert set(by_ref) == {"R-wang", "R-li"}
    complete_task(client, people, by_ref["R-li"], "review", {"note": "no"})
    assert api.case(admin, second)["status"] == "completed"
    assert api.case(admin, second)["data"]["decision"] == {"ref": "R-li", "approved": False}
    assert api.case(admin, first)["status"] == "active"
    complete_task(client, people, by_ref["R-wang"], "review", {"note": "ok"})
    assert api.case(admin, first)["data"]["decision"] == {"ref": "R-wang", "approved": True}
    history = [h["action"] for h in api.case(admin, first)["history"]]
    assert "message_sent" in history and "message_received" in history


def test_a_message_with_correlation_values_reaches_only_the_case_that_has_them(client, people, platform, api):
    deploy(client, people.headers("designer"), sender_files())  # no receiver deployed: nothing answers
    first = start(client, people, "sender", {"applicant": "wang"})
    second = start(client, people, "sender", {"applicant": "li"})
    worker = add_worker(platform, "card_office", ["card_decision"])
    reached = api.message(worker, {"name": "card_decision", "correlation": {"ref": "R-li"},
                                   "data": {"approved": True}})
    assert reached.get_json() == {"instance_ids": [second]}
    view = api.case(people.headers("admin"), second)
    assert view["status"] == "completed" and view["data"]["decision"] == {"ref": "R-li", "approved": True}
    assert api.case(people.headers("admin"), first)["status"] == "active"
    assert api.message(worker, {"name": "card_decision", "correlation": {"ref": "R-zhao"}}).status_code == 404
    with platform.uow(write=False) as uow:  # the apply_card nobody took is noted on the case that sent it
        outbox = [(o.name, o.delivered_at is not None, o.reached)
                  for o in uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
    assert outbox == [("apply_card", True, [])] * 2
    assert "message_not_delivered" in [h["action"] for h in api.case(people.headers("admin"), first)["history"]]


def test_a_message_starts_a_case_at_its_message_start_event(client, people, platform, api):
    deploy(client, people.headers("designer"), receiver_files())
    worker = add_worker(platform, "portal", ["apply_card"])
    started = api.message(worker, {"name": "apply_card", "business_key": "YWTB-0001",
                                   "data": {"ref": "R-portal", "applicant": "zhou"}})
    assert started.status_code == 200
    [case] = started.get_json()["instance_ids"]
    view = api.case(people.headers("admin"), case)
    assert view["business_key"] == "YWTB-0001" and view["data"]["ref"] == "R-portal"
    assert [t["name"] for t in view["tasks"]] == ["review"]
    assert view["history"][0]["details"]["by_message"] == "apply_card"
    by_hand = start(client, people, "receiver", {"ref": "R-hand"})  # the none start event still works
    assert [t["name"] for t in api.case(people.headers("admin"), by_hand)["tasks"]] == ["review"]
    assert waits(platform, by_hand) == []  # the message start event no longer waits once the case began


def test_a_signal_reaches_every_waiting_case_once(client, people, platform, api):
    deploy(client, people.headers("designer"), listener_files())
    deploy(client, people.headers("designer"), broadcaster_files())
    listeners = [start(client, people, "listener") for _ in range(3)]
    sent = client.post("/api/v1/signals", headers=people.headers("admin"), json={"name": "policy_changed",
                                                                                 "data": {"article": "第六条"}})
    assert sent.status_code == 200 and sorted(sent.get_json()["instance_ids"]) == listeners
    assert all(api.case(people.headers("admin"), case)["status"] == "completed" for case in listeners)
    none = client.post("/api/v1/signals", headers=people.headers("admin"), json={"name": "policy_changed"})
    assert none.status_code == 200 and none.get_json() == {"instance_ids": []}

    more = [start(client, people, "listener") for _ in range(2)]
    thrower = start(client, people, "broadcaster")  # throws policy_changed as it starts
    assert all(api.case(people.headers("admin"), case)["status"] == "completed" for case in more)
    assert api.case(people.headers("admin"), thrower)["status"] == "active"
    assert "signal_sent" in [h["action"] for h in api.case(people.headers("admin"), thrower)["history"]]


def test_a_thrown_event_left_undelivered_is_delivered_by_the_sweep_once(client, people, platform, api,
                                                                       monkeypatch):
    deploy(client, people.headers("designer"), listener_files())
    deploy(client, people.headers("designer"), broadcaster_files())
    listener = start(client, people, "listener")
    monkeypatch.setattr(type(platform), "deliver_events", lambda self, ids: None)  # the request died after commit
    start(client, people, "broadcaster")
    assert api.case(people.headers("admin"), listener)["status"] == "active"
    monkeypatch.undo()
    assert sweep_outbox(platform) == 1
    assert api.case(people.headers("admin"), listener)["status"] == "completed"
    assert sweep_outbox(platform) == 0
    with platform.uow(write=False) as uow:
        deliveries = [(d.target, d.instance_id) for d in uow.session.scalars(select(EventDelivery))]
    assert deliveries == [(f"case:{listener}", listener)]


def test_only_administrators_and_workers_of_the_name_send_messages_and_signals(client, people, platform, api):
    deploy(client, people.headers("designer"), listener_files())
    for user in ("city1", "applicant", "designer"):
        assert api.message(people.headers(user), {"name": "go"}).status_code == 403
        assert client.post("/api/v1/signals", headers=people.headers(user),
                           json={"name": "policy_changed"}).status_code == 403
    worker = add_worker(platform, "policy_office", ["policy_changed"])
    assert client.post("/api/v1/signals", headers=worker, json={"name": "policy_changed"}).status_code == 200
    assert client.post("/api/v1/signals", headers=worker, json={"name": "other"}).status_code == 403
    for body in ({}, {"name": ""}, {"name": "x" * 256}, {"name": "go", "data": {"_secret": 1}},
                 {"name": "go", "data": [1]}, {"name": "go", "correlation": {"ref": [1]}},
                 {"name": "go", "instance_id": "1"}):
        assert api.message(people.headers("admin"), body).status_code == 422, body

"""Every bound of talking to other systems (docs/operations.md, "Limits"), hit: what a worker sends, what a diagram
asks of a worker or throws, how far a delivery goes at once, and what the connector and the client take."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hostile import diagram
from integration_kit import PAYMENT, TOPIC, Api, add_worker, deploy, listener_files
from sqlalchemy import select

from engine.bpmn.messages import MAX_PAYLOAD_BYTES, MAX_THROWN_PER_RUN
from engine.bpmn.service_tasks import MAX_PARAMETERS_BYTES
from engine.errors import InvalidInput
from engine.integration import delivery
from engine.integration.external_tasks import (
    MAX_ERROR_CODE_LENGTH,
    MAX_LISTED,
    MAX_MESSAGE_LENGTH,
    MAX_RETRY_SECONDS,
    MAX_TOPICS_PER_FETCH,
    MAX_WORKER_ID_LENGTH,
)
from engine.integration.messages import MAX_BUSINESS_KEY_LENGTH, MAX_CORRELATION_VALUES, MAX_DATA_BYTES
from engine.people.identity import MAX_WORKER_TOPICS, create_user
from engine.store.integration_tables import OutboxEvent
from onestop_worker import ApiError, HttpConnector, Job, OneStopClient
from onestop_worker.client import MAX_ANSWER_BYTES
from onestop_worker.http_connector import ConnectorError


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def worker(platform, people):
    return add_worker(platform, "finance_system", [TOPIC, "payment_confirmed"])


@pytest.fixture
def job(api, client, people, worker):
    deploy(client, people.headers("designer"), {"payment.bpmn": PAYMENT.read_bytes()})
    client.post("/api/v1/process-instances", headers=people.headers("admin"),
                json={"model_key": "payment", "data": {"amount": 1, "applicant_name": "王"}})
    [locked] = api.fetch(worker, "w-1").get_json()
    return locked["id"]


def field_of(response: Any) -> str:
    assert response.status_code == 422, response.get_json()
    return str(response.get_json()["details"][0]["field"])


def test_what_a_worker_sends_is_bounded(api, worker, job, people, client):
    fetch = "/api/v1/external-tasks/fetch-and-lock"
    many = [f"topic.{n}" for n in range(MAX_TOPICS_PER_FETCH + 1)]
    assert field_of(client.post(fetch, headers=worker, json={"worker_id": "w", "topics": many})) == "topics"
    assert field_of(client.post(fetch, headers=worker, json={"worker_id": "w" * (MAX_WORKER_ID_LENGTH + 1),
                                                              "topics": [TOPIC]})) == "worker_id"
    assert field_of(api.fail(worker, job, "w-1", "x", 1, retry_seconds=MAX_RETRY_SECONDS + 1)) == "retry_seconds"
    assert field_of(api.fail(worker, job, "w-1", "x" * (MAX_MESSAGE_LENGTH + 1), 1)) == "message"
    assert field_of(api.bpmn_error(worker, job, "w-1", "C" * (MAX_ERROR_CODE_LENGTH + 1))) == "code"
    big = api.complete(worker, job, "w-1", {"blob": "x" * (256 * 1024)})
    assert field_of(big) == "result" and "over the limit" in big.get_json()["message"]
    listed = client.get(f"/api/v1/external-tasks?limit={MAX_LISTED + 1}", headers=people.headers("admin"))
    assert field_of(listed) == "limit"
    assert api.fail(worker, job, "w-1", "x", 1, retry_seconds=MAX_RETRY_SECONDS).status_code == 200


def test_what_a_message_carries_is_bounded(api, people, worker):
    admin = people.headers("admin")
    data = {"text": "x" * MAX_DATA_BYTES}
    assert field_of(api.message(admin, {"name": "payment_confirmed", "data": data})) == "data"
    values = {f"p{n}": n for n in range(MAX_CORRELATION_VALUES + 1)}
    assert field_of(api.message(admin, {"name": "payment_confirmed", "correlation": values})) == "correlation"
    key = "k" * (MAX_BUSINESS_KEY_LENGTH + 1)
    assert field_of(api.message(admin, {"name": "payment_confirmed", "business_key": key})) == "business_key"


def test_a_worker_serves_a_bounded_number_of_topics(platform):
    with platform.uow() as uow, pytest.raises(InvalidInput) as refused:
        create_user("too_many", "correct horse battery", role="worker",
                    topics=[f"t.{n}" for n in range(MAX_WORKER_TOPICS + 1)], organisation=platform.organisation,
                    uow=uow, now=platform.now())
    assert refused.value.details[-1] == {"field": "topics", "message": f"at most {MAX_WORKER_TOPICS} topics"}


def service_flow(key: str, value: str) -> dict[str, bytes]:
    task = (f'<bpmn:serviceTask id="call" name="外部系统"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
            f'id="{TOPIC}" resultVariable="answer"><spiffworkflow:parameters><spiffworkflow:parameter id="blob" '
            f'type="str" value="{value}" /></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
            '</bpmn:extensionElements></bpmn:serviceTask>')
    nodes = ['<bpmn:startEvent id="start" name="开始" />', task, '<bpmn:endEvent id="end" name="结束" />']
    return diagram(key, nodes, [("start", "call", None), ("call", "end", None)])


def throwing_flow(key: str, script: str, payload: str) -> dict[str, bytes]:
    throw = ('<bpmn:intermediateThrowEvent id="tell" name="通知"><bpmn:messageEventDefinition id="tell_def" '
             f'messageRef="Message_note"><bpmn:extensionElements><spiffworkflow:messagePayload>{payload}'
             '</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:messageEventDefinition>'
             '</bpmn:intermediateThrowEvent>')
    nodes = ['<bpmn:startEvent id="start" name="开始" />',
             '<bpmn:scriptTask id="init" name="开始计数"><bpmn:script>n = 0</bpmn:script></bpmn:scriptTask>',
             f'<bpmn:scriptTask id="count" name="计数"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>', throw,
             '<bpmn:exclusiveGateway id="more" name="再来" />', '<bpmn:endEvent id="end" name="结束" />']
    flows = [("start", "init", None), ("init", "count", None), ("count", "tell", None), ("tell", "more", None),
             ("more", "count", "n < 150"), ("more", "end", "n >= 150")]
    return diagram(key, nodes, flows, roots='<bpmn:message id="Message_note" name="note" />')


def start(client: Any, people: Any, key: str) -> dict[str, Any]:
    created = client.post("/api/v1/process-instances", headers=people.headers("admin"), json={"model_key": key})
    return dict(client.get(f"/api/v1/process-instances/{created.get_json()['id']}",
                           headers=people.headers("admin")).get_json())


def test_a_diagram_asks_bounded_parameters_and_throws_bounded_messages(client, people):
    deploy(client, people.headers("designer"), service_flow("big_parameter", f"'x' * {MAX_PARAMETERS_BYTES}"))
    case = start(client, people, "big_parameter")
    assert case["status"] == "error" and "over the limit" in case["error"]["message"]
    deploy(client, people.headers("designer"), throwing_flow("chatty", "n = n + 1", "{'n': n}"))
    case = start(client, people, "chatty")
    assert case["status"] == "error" and f"over the limit of {MAX_THROWN_PER_RUN}" in case["error"]["message"]
    deploy(client, people.headers("designer"), throwing_flow("heavy", "n = 150", f"{{'x': 'y' * {MAX_PAYLOAD_BYTES}}}"))
    case = start(client, people, "heavy")
    assert case["status"] == "error" and "KiB of data" in case["error"]["message"]


def test_deliveries_go_a_bounded_way_at_once_and_the_sweep_does_the_rest(client, people, platform, monkeypatch):
    deploy(client, people.headers("designer"), listener_files())
    cases = [start(client, people, "listener")["id"] for _ in range(3)]
    monkeypatch.setattr(delivery, "MAX_CASES_PER_DELIVERY", 2)
    monkeypatch.setattr("engine.integration.messages.MAX_CASES_PER_DELIVERY", 2)
    sent = client.post("/api/v1/signals", headers=people.headers("admin"), json={"name": "policy_changed"})
    assert sorted(sent.get_json()["instance_ids"]) == cases[:2]  # two in the request
    with platform.uow(write=False) as uow:
        assert uow.session.scalar(select(OutboxEvent.delivered_at)) is None  # the third is still to reach
    assert delivery.sweep_outbox(platform) == 1
    with platform.uow(write=False) as uow:
        outbox = uow.session.scalars(select(OutboxEvent)).one()
        assert outbox.delivered_at is not None and sorted(outbox.reached) == cases


def test_a_chain_past_its_bound_and_a_hopeless_event_are_left_to_the_sweep(client, people, platform, monkeypatch):
    from integration_kit import broadcaster_files

    deploy(client, people.headers("designer"), listener_files())
    deploy(client, people.headers("designer"), broadcaster_files())
    listener = start(client, people, "listener")["id"]
    monkeypatch.setattr(delivery, "MAX_CHAIN", 0)  # no delivery right after the commit
    start(client, people, "broadcaster")
    assert start_status(client, people, listener) == "active"
    monkeypatch.setattr(delivery, "MAX_OUTBOX_PER_SWEEP", 1)
    with platform.uow() as uow:  # a second event nobody can deliver, already tried the most times
        uow.session.add(OutboxEvent(kind="signal", name="x", payload={}, correlations={}, created_at=platform.now(),
                                    attempts=delivery.MAX_DELIVERY_ATTEMPTS, reached=[], last_error="boom"))
        uow.commit()
    assert delivery.sweep_outbox(platform) == 1  # one per sweep, the hopeless one given up
    assert start_status(client, people, listener) == "completed"
    with platform.uow(write=False) as uow:
        given_up = uow.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "x")).one()
        assert given_up.delivered_at is not None and given_up.last_error == "boom"


def start_status(client: Any, people: Any, case: int) -> str:
    return str(client.get(f"/api/v1/process-instances/{case}", headers=people.headers("admin")).get_json()["status"])


class Slow(BaseHTTPRequestHandler):
    """An outside system that answers after a second, or a platform that answers too much."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/slow":
            threading.Event().wait(1.0)
        body = b"[" + b"0," * (MAX_ANSWER_BYTES // 2) + b"0]" if self.path.endswith("fetch-and-lock") else b"{}"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the caller gave up waiting: as it should
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slow():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_connector_waits_a_bounded_time_and_the_client_reads_a_bounded_answer(slow):
    connector = HttpConnector(timeout=0.3)
    job = Job(id=1, topic="http.post", instance_id=1, business_key=None, parameters={"url": f"{slow}/slow"},
              retries=None, lock_expires_at="")
    with pytest.raises(ConnectorError, match="no answer"):
        connector(job)
    with pytest.raises(ApiError, match="too_large"):
        OneStopClient(slow, "token").fetch_and_lock("w", [TOPIC])

"""The worker a city's IT runs (onestop_worker/) against the platform served on loopback, with the generic HTTP
connector calling a local outside system (http.server): results, BPMN errors, failures with retries, limits,
lock extension for a long handler, a graceful stop, and `onestop external-worker` as a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import ROOT
from hostile import diagram
from integration_kit import PAYMENT, TOPIC, add_worker, deploy
from sqlalchemy import select

from engine.store.integration_tables import ExternalTask
from onestop_worker import BpmnError, ExternalWorker, HttpConnector, Job, OneStopClient, topic
from onestop_worker.client import ApiError
from onestop_worker.http_connector import ConnectorError
from onestop_worker.simulated import check_digit, identity_check

HTTP_TOPIC = "http.post"


@pytest.fixture
def served(app):
    """The platform's web app on a loopback port, as a worker reaches it."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class Outside(BaseHTTPRequestHandler):
    """A registry of another department: answers by path, and remembers what it was sent."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Outside.received.append({"path": self.path, "body": json.loads(body), "job": self.headers["X-OneStop-Job"],
                                 "type": self.headers["Content-Type"]})
        if self.path == "/registry":
            self._answer(200, {"registered": True, "registry_no": "LC-REG-7", "echo": json.loads(body)})
        elif self.path == "/refuse":
            self._answer(422, {"bpmn_error": "REGISTRY_REFUSED", "message": "证件已注销"})
        elif self.path == "/broken":
            self._answer(500, {"error": "down"})
        elif self.path == "/text":
            self._raw(200, b"not json", "text/plain")
        elif self.path == "/big":
            self._raw(200, b'"' + b"x" * (2 * 1024 * 1024) + b'"', "application/json")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _answer(self, status: int, body: Any) -> None:
        self._raw(status, json.dumps(body).encode(), "application/json")

    def _raw(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def outside():
    Outside.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Outside)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def http_flow() -> dict[str, bytes]:
    """``registry_check``: a service task of topic http.post to the address in ``target``, with an error boundary."""
    task = ('<bpmn:serviceTask id="check" name="登记核查"><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="{HTTP_TOPIC}" resultVariable="registry">'
            '<spiffworkflow:parameters><spiffworkflow:parameter id="url" type="str" value="target" />'
            '<spiffworkflow:parameter id="id_number" type="str" value="id_number" />'
            '<spiffworkflow:parameter id="purpose" type="str" value="\'人才认定\'" />'
            '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
            '</bpmn:serviceTask>')
    boundary = ('<bpmn:boundaryEvent id="refused" name="登记拒绝" attachedToRef="check">'
                '<bpmn:errorEventDefinition id="refused_def" errorRef="Error_refused" /></bpmn:boundaryEvent>')
    nodes = ['<bpmn:startEvent id="start" name="开始" />', task, boundary, '<bpmn:endEvent id="end" name="结束" />',
             '<bpmn:endEvent id="refused_end" name="拒绝" />']
    return diagram("registry_check", nodes, [("start", "check", None), ("check", "end", None),
                                             ("refused", "refused_end", None)],
                   roots='<bpmn:error id="Error_refused" name="拒绝" errorCode="REGISTRY_REFUSED" />')


@pytest.fixture
def registry(client, people, platform, served):
    deploy(client, people.headers("designer"), http_flow())
    headers = add_worker(platform, "registry_worker", [HTTP_TOPIC])
    token = headers["Authorization"].split()[1]

    def start(target: str) -> int:
        response = client.post("/api/v1/process-instances", headers=people.headers("admin"), json={
            "model_key": "registry_check", "data": {"target": target, "id_number": "37150219900101123X"}})
        assert response.status_code == 201
        return int(response.get_json()["id"])

    return OneStopClient(served, token), start


def case_of(client, people, instance_id):
    return client.get(f"/api/v1/process-instances/{instance_id}", headers=people.headers("admin")).get_json()


def test_the_http_connector_posts_the_parameters_and_the_answer_becomes_the_result(registry, outside, client,
                                                                                  people):
    api, start = registry
    case = start(f"{outside}/registry")
    worker = ExternalWorker(api, worker_id="registry-1")
    worker.handlers[HTTP_TOPIC] = HttpConnector(timeout=5)
    assert worker.run_once() == 1
    [sent] = Outside.received
    assert sent["path"] == "/registry" and sent["type"].startswith("application/json")
    assert sent["body"] == {"id_number": "37150219900101123X", "purpose": "人才认定"}  # the url is not sent
    view = case_of(client, people, case)
    assert view["status"] == "completed"
    assert view["data"]["registry"]["registry_no"] == "LC-REG-7"
    assert worker.run_once() == 0


def test_a_bpmn_error_answer_takes_the_boundary_and_failures_are_retried(registry, outside, client, people,
                                                                         platform):
    api, start = registry
    refused, broken = start(f"{outside}/refuse"), start(f"{outside}/broken")
    worker = ExternalWorker(api, worker_id="registry-1", max_tasks=5, retries=3)
    worker.handlers[HTTP_TOPIC] = HttpConnector(timeout=5)
    assert worker.run_once() == 2
    view = case_of(client, people, refused)
    assert view["status"] == "completed" and "registry" not in view["data"]
    [error] = [h["details"] for h in view["history"] if h["action"] == "external_task_bpmn_error"]
    assert error["code"] == "REGISTRY_REFUSED" and error["caught"] is True and error["message"] == "证件已注销"
    with platform.uow(write=False) as uow:
        job = uow.session.scalar(select(ExternalTask).where(ExternalTask.instance_id == broken))
        assert (job.state, job.retries, job.failures) == ("waiting", 2, 1)
        assert "HTTP 500" in job.error_message and job.available_at > platform.now()


@pytest.mark.parametrize("path, problem", [("/text", "not JSON"), ("/big", "larger than"),
                                           ("/redirect", "HTTP 302")])
def test_the_connector_refuses_what_it_must_not_take(registry, outside, path, problem):
    connector = HttpConnector(timeout=5, max_response_bytes=1024 * 1024)
    job = Job(id=1, topic=HTTP_TOPIC, instance_id=1, business_key=None, parameters={"url": outside + path},
              retries=None, lock_expires_at="")
    with pytest.raises(ConnectorError, match=problem):
        connector(job)


def test_the_connector_calls_only_http_addresses_and_allowed_hosts():
    connector = HttpConnector(allowed_hosts={"registry.example"})
    for url in ("file:///etc/passwd", "ftp://registry.example/x", "gopher://x", "", None, "http://"):
        with pytest.raises(ConnectorError):
            connector.target(url)
    with pytest.raises(ConnectorError, match="not among"):
        connector.target("http://127.0.0.1:9/x")
    assert connector.target("https://registry.example/api") == "https://registry.example/api"
    too_big = Job(id=1, topic=HTTP_TOPIC, instance_id=1, business_key=None, retries=None, lock_expires_at="",
                  parameters={"url": "https://registry.example/api", "blob": "x" * 300_000})
    with pytest.raises(ConnectorError, match="over"):
        connector(too_big)


def test_a_long_handler_keeps_its_lock_and_a_subclass_names_its_topics(client, people, platform, served):
    deploy(client, people.headers("designer"), {"payment.bpmn": PAYMENT.read_bytes()})
    client.post("/api/v1/process-instances", headers=people.headers("admin"),
                json={"model_key": "payment", "data": {"amount": 1, "applicant_name": "王"}})
    token = add_worker(platform, "finance_worker", [TOPIC])["Authorization"].split()[1]
    extended = []

    class Finance(ExternalWorker):
        @topic(TOPIC)
        def pay(self, job: Job) -> dict[str, Any]:
            deadline = time.monotonic() + 5
            while len(extended) < 2 and time.monotonic() < deadline:  # a slow finance system
                time.sleep(0.05)
            return {"voucher": "slow"}

    class Counting(OneStopClient):
        def extend_lock(self, job: int, worker_id: str, lock_seconds: int) -> Any:
            answer = super().extend_lock(job, worker_id, lock_seconds)
            extended.append(answer["lock_expires_at"])
            return answer

    worker = Finance(Counting(served, token), worker_id="finance-1", lock_seconds=1)
    assert set(worker.handlers) == {TOPIC}
    assert worker.run_once() == 1
    assert len(extended) >= 2
    with platform.uow(write=False) as uow:
        assert uow.session.scalar(select(ExternalTask.state)) == "completed"


def test_the_worker_stops_gracefully_and_handlers_raise_bpmn_errors(registry, outside):
    api, _start = registry
    worker = ExternalWorker(api, worker_id="idle", poll_interval=0.05, max_poll_interval=0.1, long_poll=0.5)

    @worker.handler(HTTP_TOPIC)
    def refuse(job: Job) -> Any:
        raise BpmnError("REGISTRY_REFUSED", "no")

    runner = threading.Thread(target=worker.run)
    runner.start()
    time.sleep(0.2)
    worker.stop()
    runner.join(5)
    assert not runner.is_alive()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        worker.install_signal_handlers()
        assert signal.getsignal(signal.SIGTERM) == worker.stop
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_the_simulated_identity_check_verifies_the_check_digit():
    assert check_digit("11010519491231002") == "X"  # the standard's own example

    def job(number: str) -> Job:
        return Job(id=1, topic="identity.check", instance_id=1, business_key=None, retries=None, lock_expires_at="",
                   parameters={"id_number": number})

    assert identity_check(job("11010519491231002x"))["verified"] is True
    assert identity_check(job("110105194912310021"))["verified"] is False
    assert identity_check(job("123"))["simulated"] is True


def test_onestop_external_worker_runs_as_its_own_process_until_sigterm(client, people, platform, served, tmp_path):
    deploy(client, people.headers("designer"), {"payment.bpmn": PAYMENT.read_bytes()})
    case = client.post("/api/v1/process-instances", headers=people.headers("admin"),
                       json={"model_key": "payment", "data": {"amount": 3, "applicant_name": "李"}}).get_json()["id"]
    token = add_worker(platform, "finance_cli", [TOPIC])["Authorization"].split()[1]
    env = {**os.environ, "ONESTOP_WORKER_TOKEN": token, "ONESTOP_INSTANCE_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "ui.cli", "external-worker", "--url", served, "--worker-id",
                                "cli-1", "--topic", f"{TOPIC}=simulated", "--long-poll", "2"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if case_of(client, people, case)["data"].get("payment"):
                break
            time.sleep(0.2)
        payment = case_of(client, people, case)["data"]["payment"]
        assert payment["simulated"] is True and payment["voucher"].startswith("SIM-CZ-")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "serving finance.payment" in output


def test_the_worker_package_needs_only_the_standard_library():
    from test_architecture import imported_modules

    outside = {module for path in (ROOT / "onestop_worker").rglob("*.py") for module in imported_modules(path)
               if module.split(".")[0] not in sys.stdlib_module_names and not module.startswith("onestop_worker")}
    assert outside == set()


def test_a_long_poll_answers_as_soon_as_a_job_comes_and_is_bounded(registry, outside, client, people):
    api, start = registry
    began = time.monotonic()
    assert api.fetch_and_lock("registry-1", [HTTP_TOPIC], wait_seconds=0.5) == []  # nothing came: [] after the wait
    assert time.monotonic() - began >= 0.5
    fetched: list[Any] = []
    poller = threading.Thread(target=lambda: fetched.extend(
        api.fetch_and_lock("registry-1", [HTTP_TOPIC], wait_seconds=20)))
    poller.start()
    time.sleep(0.3)  # the poll is waiting on the platform
    assert poller.is_alive() and fetched == []
    case = start(f"{outside}/registry")
    poller.join(10)  # well before its 20 s: the job was handed out as it came
    assert not poller.is_alive() and [job.instance_id for job in fetched] == [case]
    for wait in (31, -1, "10", True):
        with pytest.raises(ApiError) as refused:
            api.call("POST", "/external-tasks/fetch-and-lock", {"worker_id": "registry-1", "topics": [HTTP_TOPIC],
                                                                "async_response_timeout": wait})
        assert refused.value.status == 422 and "async_response_timeout" in str(refused.value)


def test_waiting_fetches_hold_at_most_their_places_and_a_person_is_served_meanwhile(registry, outside, app, client,
                                                                                    people, monkeypatch):
    """With one place for waiting fetches (``ONESTOP_LONG_POLLS=1``), a second worker's long poll answers ``[]`` at
    once with ``Retry-After: 1`` instead of taking another thread; a clerk's request is served meanwhile; once the
    first poll has its job, its place is free again."""
    import urllib.request

    monkeypatch.setenv("ONESTOP_LONG_POLLS", "1")
    app.extensions.pop("onestop_long_polls", None)  # made again from the setting at the next long poll
    api, start = registry
    fetched: list[Any] = []
    poller = threading.Thread(target=lambda: fetched.extend(
        api.fetch_and_lock("registry-1", [HTTP_TOPIC], wait_seconds=20)))
    poller.start()
    time.sleep(0.3)  # the first poll waits in the only place
    assert poller.is_alive() and app.extensions["onestop_long_polls"].taken == 1
    request = urllib.request.Request(  # noqa: S310 — loopback
        f"{api.base_url}/api/v1/external-tasks/fetch-and-lock", method="POST",
        data=json.dumps({"worker_id": "registry-2", "topics": [HTTP_TOPIC], "async_response_timeout": 20}).encode(),
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"})
    began = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert json.loads(answer.read()) == [] and answer.headers["Retry-After"] == "1"
    assert time.monotonic() - began < 5  # answered at once, not after its 20 s
    assert client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf")).status_code == 200
    case = start(f"{outside}/registry")
    poller.join(10)
    assert not poller.is_alive() and [job.instance_id for job in fetched] == [case]
    assert app.extensions["onestop_long_polls"].taken == 0
    began = time.monotonic()
    assert api.fetch_and_lock("registry-1", [HTTP_TOPIC], wait_seconds=0.5) == []  # the place is free: it waits
    assert time.monotonic() - began >= 0.5


def test_onestop_serve_gives_long_polls_half_its_threads():
    from engine.integration.external_tasks import DEFAULT_LONG_POLLS, LongPollPlaces
    from ui.server import DEFAULT_THREADS, process_settings

    assert process_settings(DEFAULT_THREADS, True)["ONESTOP_LONG_POLLS"] == str(DEFAULT_THREADS // 2)
    assert process_settings(1, True) == {"ONESTOP_SANDBOX_PROCESSES": "2", "ONESTOP_LONG_POLLS": "0"}
    assert LongPollPlaces.from_env({"ONESTOP_LONG_POLLS": "2"}).size == 2
    assert LongPollPlaces.from_env({}).size == DEFAULT_LONG_POLLS
    assert LongPollPlaces.from_env({"ONESTOP_LONG_POLLS": "0"}).take() is False
    with pytest.raises(ValueError, match="ONESTOP_LONG_POLLS"):
        LongPollPlaces.from_env({"ONESTOP_LONG_POLLS": "many"})

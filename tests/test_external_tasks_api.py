"""End to end over the REST API, as the contract's "Service tasks, external workers, messages, signals" says: a
diagram with a service task, an error boundary and a message catch event is deployed; two worker accounts fetch,
lock, complete, fail and throw BPMN errors; a message moves the waiting case on, one nobody waits for is a 404."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from integration_kit import CONFIRMED, PAYMENT, TOPIC, Api, add_worker, deploy
from sqlalchemy import select

from engine.store.integration_tables import ExternalTask
from engine.store.models import ProcessInstance


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def workers(platform, people):
    """Two workers of the finance system (they also send its payment confirmations), and one of another system."""
    return {"a": add_worker(platform, "finance_a", [TOPIC, CONFIRMED]),
            "b": add_worker(platform, "finance_b", [TOPIC, CONFIRMED]),
            "other": add_worker(platform, "elicence", ["elicence.issue"])}


@pytest.fixture
def payment_case(client, people, workers):
    """A case of the payment diagram, waiting at its service task; returns its id."""
    deploy(client, people.headers("designer"), {"payment.bpmn": PAYMENT.read_bytes()})
    return start_payment(client, people)


def start_payment(client, people, business_key=None):
    body = {"model_key": "payment", "data": {"amount": 1500, "applicant_name": "张三"}}
    if business_key:
        body["business_key"] = business_key
    response = client.post("/api/v1/process-instances", headers=people.headers("admin"), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def actions(case):
    return [entry["action"] for entry in case["history"]]


def test_a_worker_fetches_locks_and_completes_then_a_message_finishes_the_case(api, clock, people, workers,
                                                                               payment_case):
    fetched = api.fetch(workers["a"], "a-1", max_tasks=5, lock_seconds=60)
    assert fetched.status_code == 200
    [job] = fetched.get_json()
    assert set(job) >= {"id", "topic", "instance_id", "business_key", "parameters", "retries", "lock_expires_at"}
    assert job["topic"] == TOPIC and job["instance_id"] == payment_case and job["business_key"] is None
    assert job["parameters"] == {"amount": 18000, "payee": "张三", "purpose": "引进人才生活补贴"}
    assert job["retries"] is None
    assert datetime.fromisoformat(job["lock_expires_at"]) == clock.now() + timedelta(seconds=60)

    assert api.fetch(workers["b"], "b-1").get_json() == []  # locked: the other worker gets nothing
    other = api.complete(workers["b"], job["id"], "b-1", {"voucher": "X"})
    assert other.status_code == 409 and other.get_json()["error"] == "conflict"

    done = api.complete(workers["a"], job["id"], "a-1", {"voucher": "CZ-2026-0001", "paid": True})
    assert done.status_code == 200
    case = api.case(people.headers("admin"), payment_case)
    assert case["status"] == "active"
    assert case["data"]["payment"] == {"voucher": "CZ-2026-0001", "paid": True}
    assert api.complete(workers["a"], job["id"], "a-1", {}).status_code == 409  # answered already

    reached = api.message(workers["a"], {"name": CONFIRMED, "instance_id": payment_case,
                                         "data": {"confirmed_on": "2026-09-30"}})
    assert reached.status_code == 200 and reached.get_json() == {"instance_ids": [payment_case]}
    case = api.case(people.headers("admin"), payment_case)
    assert case["status"] == "completed"
    assert case["data"]["confirmed_on"] == "2026-09-30"
    assert actions(case)[:4] == ["start", "external_task_waiting", "external_task_locked", "external_task_completed"]
    assert "message_received" in actions(case)

    again = api.message(workers["a"], {"name": CONFIRMED, "instance_id": payment_case})
    assert again.status_code == 404 and again.get_json()["error"] == "not_found"
    assert api.message(people.headers("admin"), {"name": "nobody_waits", "data": {}}).status_code == 404


def test_a_done_jobs_parameters_stay_in_its_row_not_in_the_case_state(api, platform, people, workers, payment_case):
    """The parameters a worker was given (an ID number, say) are kept with the job; once its answer is in, the
    case's stored state no longer carries them (a case that pays monthly would keep one copy a month)."""
    def state() -> str:
        with platform.uow(write=False) as uow:
            return uow.session.get(ProcessInstance, payment_case).state

    def requests() -> list[dict[str, Any]]:
        return [task["internal_data"]["external_request"] for task in json.loads(state())["tasks"].values()
                if "external_request" in task.get("internal_data", {})]

    # Waiting: the parameters the job is offered with are in the state.
    assert requests() == [{"amount": 18000, "payee": "张三", "purpose": "引进人才生活补贴"}]
    [job] = api.fetch(workers["a"], "a-1").get_json()
    assert api.complete(workers["a"], job["id"], "a-1", {"voucher": "CZ-1", "paid": True}).status_code == 200
    assert requests() == [] and "external_request" not in state()
    with platform.uow(write=False) as uow:
        [row] = uow.session.scalars(select(ExternalTask).where(ExternalTask.instance_id == payment_case))
        assert row.state == "completed" and row.parameters["purpose"] == "引进人才生活补贴"


def test_an_expired_lock_frees_the_job_for_the_other_worker(api, clock, people, workers, payment_case):
    [job] = api.fetch(workers["a"], "a-1", lock_seconds=30).get_json()
    clock.advance(timedelta(seconds=29))
    assert api.fetch(workers["b"], "b-1").get_json() == []
    clock.advance(timedelta(seconds=2))
    [taken] = api.fetch(workers["b"], "b-1", lock_seconds=60).get_json()
    assert taken["id"] == job["id"]
    late = api.complete(workers["a"], job["id"], "a-1", {"voucher": "late"})
    assert late.status_code == 409
    assert api.extend(workers["a"], job["id"], "a-1", 60).status_code == 409
    assert api.extend(workers["b"], job["id"], "b-1", 120).status_code == 200
    assert api.complete(workers["b"], job["id"], "b-1", {"voucher": "B"}).status_code == 200
    case = api.case(people.headers("admin"), payment_case)
    assert case["data"]["payment"] == {"voucher": "B"}
    assert "external_task_lock_expired" in actions(case)


def test_a_lock_that_expired_untaken_still_lets_its_worker_finish(api, clock, people, workers, payment_case):
    [job] = api.fetch(workers["a"], "a-1", lock_seconds=10).get_json()
    clock.advance(timedelta(minutes=5))
    assert api.complete(workers["a"], job["id"], "a-1", {"voucher": "A"}).status_code == 200


def test_failures_are_retried_after_the_back_off_and_no_retries_left_puts_the_case_in_error(
        api, clock, client, people, workers, payment_case):
    [job] = api.fetch(workers["a"], "a-1").get_json()
    failed = api.fail(workers["a"], job["id"], "a-1", "财政系统暂不可用", retries=2, retry_seconds=30)
    assert failed.status_code == 200 and failed.get_json()["state"] == "waiting"
    assert api.fetch(workers["b"], "b-1").get_json() == []  # backing off
    clock.advance(timedelta(seconds=31))
    [again] = api.fetch(workers["b"], "b-1").get_json()
    assert again["id"] == job["id"] and again["retries"] == 2
    assert api.fail(workers["b"], job["id"], "b-1", "财政系统拒绝连接", retries=0).status_code == 200

    case = api.case(people.headers("admin"), payment_case)
    assert case["status"] == "error"
    assert "财政系统拒绝连接" in case["error"]["message"] and case["error"]["pending"] == "external_task"
    listed = client.get("/api/v1/external-tasks?state=failed", headers=people.headers("admin"))
    assert [j["id"] for j in listed.get_json()] == [job["id"]]
    assert listed.get_json()[0]["error_message"] == "财政系统拒绝连接"
    assert client.get("/api/v1/external-tasks", headers=workers["a"]).status_code == 403
    assert api.fetch(workers["a"], "a-1").get_json() == []  # an incident is not offered until it is retried

    retried = client.post(f"/api/v1/process-instances/{payment_case}/retry", headers=people.headers("admin"),
                          json={"reason": "财政系统已恢复"})
    assert retried.status_code == 200 and retried.get_json()["status"] == "active"
    [offered] = api.fetch(workers["a"], "a-1").get_json()
    assert offered["id"] == job["id"]
    assert api.complete(workers["a"], job["id"], "a-1", {"voucher": "after retry"}).status_code == 200
    assert api.case(people.headers("admin"), payment_case)["data"]["payment"] == {"voucher": "after retry"}


def test_a_bpmn_error_takes_the_error_boundary_path_or_puts_the_case_in_error(api, client, people, workers,
                                                                             payment_case):
    [job] = api.fetch(workers["a"], "a-1").get_json()
    caught = api.bpmn_error(workers["a"], job["id"], "a-1", "PAYMENT_REFUSED", "账户已冻结")
    assert caught.status_code == 200
    case = api.case(people.headers("admin"), payment_case)
    assert case["status"] == "completed" and case["data"]["refused_by_finance"] is True
    assert "payment" not in case["data"]

    second = start_payment(client, people)
    [job2] = api.fetch(workers["b"], "b-1").get_json()
    assert job2["instance_id"] == second
    uncaught = api.bpmn_error(workers["b"], job2["id"], "b-1", "UNKNOWN_CODE", "无此账户")
    assert uncaught.status_code == 200
    case = api.case(people.headers("admin"), second)
    assert case["status"] == "error" and "UNKNOWN_CODE" in case["error"]["message"]


def test_workers_fetch_only_their_topics_and_touch_no_human_task(api, client, people, workers, payment_case):
    refused = api.fetch(workers["other"], "e-1", topics=[TOPIC])
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert api.fetch(workers["other"], "e-1", topics=["elicence.issue"]).get_json() == []
    for staff in ("city1", "applicant", "designer"):
        assert api.fetch(people.headers(staff), "x", topics=[TOPIC]).status_code == 403
    assert client.get("/api/v1/tasks", headers=workers["a"]).status_code == 403
    assert api.message(workers["other"], {"name": CONFIRMED, "instance_id": payment_case}).status_code == 403
    [job] = api.fetch(workers["a"], "a-1").get_json()
    assert api.complete(workers["other"], job["id"], "a-1", {}).status_code == 403
    assert api.complete(workers["a"], 999_999, "a-1", {}).status_code == 404
    assert api.fail(workers["a"], 999_999, "a-1", "x", 0).status_code == 404
    assert api.bpmn_error(workers["a"], 999_999, "a-1", "X").status_code == 404
    assert api.extend(workers["a"], 999_999, "a-1", 10).status_code == 404


def test_bad_requests_are_refused_with_the_field_named(api, people, workers, payment_case):
    for body, field in (({"worker_id": "", "topics": [TOPIC]}, "worker_id"),
                        ({"worker_id": "a", "topics": []}, "topics"),
                        ({"worker_id": "a", "topics": [TOPIC], "max_tasks": 0}, "max_tasks"),
                        ({"worker_id": "a", "topics": [TOPIC], "max_tasks": 101}, "max_tasks"),
                        ({"worker_id": "a", "topics": [TOPIC], "lock_seconds": 86_401}, "lock_seconds")):
        response = api.client.post("/api/v1/external-tasks/fetch-and-lock", headers=workers["a"], json=body)
        assert response.status_code == 422, body
        assert response.get_json()["details"][0]["field"] == field
    [job] = api.fetch(workers["a"], "a-1").get_json()
    assert api.fail(workers["a"], job["id"], "a-1", "x", retries=101).status_code == 422
    assert api.fail(workers["a"], job["id"], "a-1", "x", retries=1, retry_seconds=-1).status_code == 422
    assert api.extend(workers["a"], job["id"], "a-1", 0).status_code == 422
    too_big = api.complete(workers["a"], job["id"], "a-1", {"blob": "x" * (256 * 1024)})
    assert too_big.status_code in (413, 422)
    assert api.complete(workers["a"], job["id"], "a-1", {"ok": True}).status_code == 200


def test_messages_by_business_key_and_a_suspended_case(api, client, people, workers, payment_case):
    keyed = start_payment(client, people, business_key="LC-2026-001")
    for _ in range(2):
        [job] = api.fetch(workers["a"], "a-1").get_json()
        assert api.complete(workers["a"], job["id"], "a-1", {"voucher": "V"}).status_code == 200
    client.post(f"/api/v1/process-instances/{payment_case}/suspend", headers=people.headers("admin"), json={})
    suspended = api.message(workers["a"], {"name": CONFIRMED, "instance_id": payment_case})
    assert suspended.status_code == 409 and suspended.get_json()["error"] == "case_suspended"
    by_key = api.message(workers["a"], {"name": CONFIRMED, "business_key": "LC-2026-001"})
    assert by_key.get_json() == {"instance_ids": [keyed]}
    both = api.message(workers["a"], {"name": CONFIRMED, "instance_id": keyed, "business_key": "LC-2026-001"})
    assert both.status_code == 422


def test_a_result_whose_next_steps_fail_is_kept_and_replayed_by_the_retry(api, client, people, workers):
    from hostile import diagram, script_task, user_task

    task = ('<bpmn:serviceTask id="ask" name="询问财政"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
            f'id="{TOPIC}" resultVariable="answer"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
            '</bpmn:extensionElements></bpmn:serviceTask>')
    nodes = ['<bpmn:startEvent id="start" name="开始" />', task,
             script_task("check", "within = answer['amount'] <= ceiling"), user_task("wait"),
             '<bpmn:endEvent id="end" name="结束" />']
    deploy(client, people.headers("designer"), diagram("strict", nodes, [
        ("start", "ask", None), ("ask", "check", None), ("check", "wait", None), ("wait", "end", None)]))
    case = client.post("/api/v1/process-instances", headers=people.headers("admin"),
                       json={"model_key": "strict"}).get_json()["id"]
    [job] = api.fetch(workers["a"], "a-1").get_json()
    assert job["parameters"] == {}
    assert api.complete(workers["a"], job["id"], "a-1", {"amount": 5}).status_code == 200
    view = api.case(people.headers("admin"), case)
    assert view["status"] == "error" and view["error"]["pending"] == "external_complete"
    assert "ceiling" in view["error"]["message"]
    retried = client.post(f"/api/v1/process-instances/{case}/retry", headers=people.headers("admin"),
                          json={"reason": "补录上限", "data": {"ceiling": 10}})
    assert retried.get_json()["status"] == "active"
    view = api.case(people.headers("admin"), case)
    assert view["data"]["answer"] == {"amount": 5} and view["data"]["within"] is True
    assert [t["name"] for t in view["tasks"] if t["state"] == "open"] == ["wait"]
    assert api.fetch(workers["a"], "a-1").get_json() == []  # the worker's answer was kept, not asked again


def test_a_service_task_inside_a_subprocess_is_offered_to_workers_and_its_answer_moves_the_case_on(
        api, client, people, workers):
    """The run looks for waiting service tasks in each process of the case that has one: here the flow's own process
    has none, its embedded subprocess has (engine/bpmn/service_tasks.py ``has_service_tasks``)."""
    text = PAYMENT.read_text(encoding="utf-8")
    start = text.index('<bpmn:serviceTask id="pay"')
    end = text.index("</bpmn:serviceTask>", start) + len("</bpmn:serviceTask>")
    inner = text[start:end].replace('id="pay"', 'id="pay_inner"').replace(
        "<bpmn:incoming>f_start_pay</bpmn:incoming>", "<bpmn:incoming>f_in_start</bpmn:incoming>").replace(
        "<bpmn:outgoing>f_pay_confirm</bpmn:outgoing>", "<bpmn:outgoing>f_in_end</bpmn:outgoing>")
    wrapped = ('<bpmn:subProcess id="pay" name="支付"><bpmn:incoming>f_start_pay</bpmn:incoming>'
               '<bpmn:outgoing>f_pay_confirm</bpmn:outgoing>'
               '<bpmn:startEvent id="pay_start"><bpmn:outgoing>f_in_start</bpmn:outgoing></bpmn:startEvent>'
               f'{inner}<bpmn:endEvent id="pay_end"><bpmn:incoming>f_in_end</bpmn:incoming></bpmn:endEvent>'
               '<bpmn:sequenceFlow id="f_in_start" sourceRef="pay_start" targetRef="pay_inner" />'
               '<bpmn:sequenceFlow id="f_in_end" sourceRef="pay_inner" targetRef="pay_end" /></bpmn:subProcess>')
    deploy(client, people.headers("designer"), {"payment.bpmn": (text[:start] + wrapped + text[end:]).encode("utf-8")})
    case_id = start_payment(client, people)

    [job] = api.fetch(workers["a"], "a-1").get_json()
    assert job["instance_id"] == case_id and job["parameters"]["amount"] == 18000
    assert api.complete(workers["a"], job["id"], "a-1", {"voucher": "CZ-1", "paid": True}).status_code == 200
    case = api.case(people.headers("admin"), case_id)
    assert case["status"] == "active" and case["data"]["payment"] == {"voucher": "CZ-1", "paid": True}
    assert api.fetch(workers["a"], "a-1").get_json() == []  # answered: no job left

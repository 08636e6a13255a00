"""The console's 外部系统 page: jobs per topic, an incident (a job that failed with no retries left, its case in
error) retried from the page so the job is offered again, and the /metrics figures of external tasks."""

from __future__ import annotations

from typing import Any

from integration_kit import PAYMENT, TOPIC, Api, add_worker, deploy

from .webkit import text


def test_an_incident_is_shown_and_retried_from_the_console(web_app: Any, client_for: Any, people: Any,
                                                           platform: Any) -> None:
    api = Api(web_app.test_client())
    deploy(api.client, people.headers("designer"), {"payment.bpmn": PAYMENT.read_bytes()})
    worker = add_worker(platform, "finance_system", [TOPIC])
    cases = [api.client.post("/api/v1/process-instances", headers=people.headers("admin"), json={
        "model_key": "payment", "data": {"amount": n, "applicant_name": "王"}}).get_json()["id"] for n in (1, 2)]
    [job, _other] = api.fetch(worker, "f-1", max_tasks=2).get_json()
    assert api.fail(worker, job["id"], "f-1", "国库支付系统维护中", retries=0).status_code == 200

    admin = client_for("admin")
    page = text(admin.get("/console/external-tasks"))
    assert "外部系统任务" in page and TOPIC in page
    assert "国库支付系统维护中" in page and f"/console/instances/{cases[0]}/retry" in page
    failed = text(admin.get("/console/external-tasks?state=failed"))
    assert f"#{job['id']}" in failed
    assert admin.get("/console/external-tasks?state=nonsense").status_code == 400
    assert client_for("city1").get("/console/external-tasks").status_code == 403

    retried = admin.post(f"/console/instances/{cases[0]}/retry", data={"reason": "财政系统已恢复"})
    assert retried.status_code == 302
    assert api.case(people.headers("admin"), cases[0])["status"] == "active"
    assert [j["id"] for j in api.fetch(worker, "f-1").get_json()] == [job["id"]]
    assert "没有事件。" in text(admin.get("/console/external-tasks"))

    metrics = admin.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert f'onestop_external_tasks{{topic="{TOPIC}",state="locked"}} 2' in metrics
    assert f'onestop_external_task_failures_total{{topic="{TOPIC}"}} 1' in metrics
    assert f'onestop_external_task_lock_expiries_total{{topic="{TOPIC}"}} 0' in metrics
    assert "onestop_events_undelivered 0" in metrics

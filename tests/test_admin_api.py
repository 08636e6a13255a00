"""The administrators' console API: every endpoint for every role, instance search, per-flow counts, archive,
reassignment, timer moves — on the hand-built cases of test_supervision."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from datetime import datetime
from typing import Any

import pytest
from conftest import at
from sqlalchemy import update
from test_supervision import REFUSED, scenario  # noqa: F401 — the shared fixture

from engine.store.models import Attachment, HumanTask, ProcessInstance

DASHBOARD = "/api/v1/admin/dashboard?from=2026-10-01&to=2026-11-01"
READ_BY_TALENT_OFFICE = [DASHBOARD, "/api/v1/admin/dashboard/departments.csv?from=2026-10-01&to=2026-11-01",
                         "/api/v1/admin/overdue", "/api/v1/admin/overdue.csv"]


@pytest.fixture
def app(platform: Any) -> Any:
    """The whole application as it is served: API, console API, /metrics and web UI."""
    from ui import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, platform=platform)


def task_id(platform: Any, instance_id: int, name: str) -> int:
    with platform.uow(write=False) as uow:
        return uow.session.query(HumanTask.id).filter_by(instance_id=instance_id, name=name).order_by(
            HumanTask.id).first()[0]


def admin_only(scenario: Any, platform: Any) -> list[tuple[str, str, dict[str, Any] | None]]:  # noqa: F811
    d, a, e = scenario.cases["D"], scenario.cases["A"], scenario.cases["E"]
    return [
        ("get", "/api/v1/admin/instances", None),
        ("get", "/api/v1/admin/process-models/escalation_demo/versions/1/nodes", None),
        ("get", f"/api/v1/admin/instances/{a}/archive", None),
        ("get", f"/api/v1/admin/instances/{e}/timers", None),
        ("post", f"/api/v1/admin/instances/{e}/timers/accept_deadline/move",
         {"due_at": "2026-10-20T18:00:00+08:00", "reason": "材料补正，延长受理时限"}),
        ("post", "/api/v1/admin/calendar/2026/recompute", {"reason": "国务院办公厅通知更新"}),
        ("post", f"/api/v1/admin/tasks/{task_id(platform, d, 'accept')}/reassign",
         {"username": "win_dcf2", "reason": "原经办人休假"}),
    ]


def test_every_console_endpoint_for_every_role(client, people, platform, scenario):  # noqa: F811
    calls = [("get", path, None) for path in READ_BY_TALENT_OFFICE] + admin_only(scenario, platform)
    for method, path, body in calls:
        assert getattr(client, method)(path, json=body).status_code == 401, path
        for who in ("city1", "win_dcf", "hrss1", "applicant", "designer"):
            response = getattr(client, method)(path, json=body, headers=people.headers(who))
            assert response.status_code == 403, (who, path, response.get_json())
        expected = 200 if path in READ_BY_TALENT_OFFICE else 403
        assert getattr(client, method)(path, json=body, headers=people.headers("talent1")).status_code == expected
    for method, path, body in calls:  # the admin last, since the POSTs change the cases
        response = getattr(client, method)(path, json=body, headers=people.headers("admin"))
        assert response.status_code == 200, (path, response.get_data(as_text=True))


def test_dashboard_and_csv_over_http(client, people, scenario):  # noqa: F811
    body = client.get(DASHBOARD, headers=people.headers("talent1")).get_json()
    window = next(r for r in body["departments"] if r["department"] == "county_window")
    # 2 on time of 3 completed with a deadline and 1 overdue still open (engine/services/supervision.py)
    assert (window["completed"], window["late_unfinished"], window["on_time_rate"], window["avg_working_days"]) == (
        3, 1, 0.5, 2.0)
    assert body["unofficial_years"] and 2026 not in body["unofficial_years"]
    response = client.get(READ_BY_TALENT_OFFICE[1], headers=people.headers("admin"))
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["部门代码", "部门", "在办"]
    late = client.get("/api/v1/admin/overdue.csv", headers=people.headers("talent1")).data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(late)))[1][1] == str(scenario.cases["D"])
    assert client.get("/api/v1/admin/dashboard?from=2026-11-01&to=2026-10-01",
                      headers=people.headers("admin")).status_code == 422


def search(client: Any, people: Any, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/admin/instances?{query}", headers=people.headers("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(result: dict[str, Any], cases: dict[str, int]) -> set[str]:
    names = {v: k for k, v in cases.items()}
    return {names[item["id"]] for item in result["items"]}


def test_instance_search_filters_and_counts(client, people, scenario):  # noqa: F811
    cases = scenario.cases
    everything = search(client, people)
    assert everything["total"] == 5 and everything["counts"] == {
        "active": 3, "suspended": 0, "completed": 2, "cancelled": 0, "error": 0}
    assert ids(search(client, people, "status=completed"), cases) == {"A", "C"}
    assert search(client, people, "status=completed")["counts"]["active"] == 3  # counts ignore the status tab
    assert ids(search(client, people, "department=county_window"), cases) == {"D", "E"}
    assert ids(search(client, people, "department=talent_office"), cases) == {"B", "D"}
    assert ids(search(client, people, "overdue=true"), cases) == {"D"}
    assert ids(search(client, people, "overdue=false&status=active"), cases) == {"B", "E"}
    assert ids(search(client, people, "applicant=申请人D"), cases) == {"D"}
    assert search(client, people, "applicant=申请人")["total"] == 5
    assert search(client, people, "applicant=%25")["total"] == 0  # a % is looked for, not a wildcard
    assert ids(search(client, people, "started_from=2026-10-09"), cases) == {"C", "E"}
    assert ids(search(client, people, "started_from=2026-09-30&started_to=2026-10-09"), cases) == {"A", "B", "D"}
    assert search(client, people, "model_key=escalation_demo&version=1")["total"] == 5
    assert search(client, people, "model_key=escalation_demo&version=2")["total"] == 0
    assert search(client, people, "county=linqing")["total"] == 0
    page = search(client, people, "limit=2&offset=2")
    assert page["total"] == 5 and [i["id"] for i in page["items"]] == [cases["D"], cases["B"]]  # newest first
    [d] = search(client, people, "applicant=申请人D")["items"]
    assert d["applicant"] == "申请人D"
    assert {(t["department"], t["overdue"]) for t in d["open_tasks"]} == {("county_window", True),
                                                                          ("talent_office", False)}
    bad = client.get("/api/v1/admin/instances?status=lost", headers=people.headers("admin"))
    assert bad.status_code == 422 and bad.get_json()["error"] == "invalid"


def test_per_flow_node_counts(client, people, platform, scenario):  # noqa: F811
    with platform.uow() as uow:  # a case parked in error at the script step, as the runner records it
        uow.session.execute(update(ProcessInstance).where(ProcessInstance.id == scenario.cases["C"])
                            .values(status="error", error_task="compute (计算补贴)"))
        uow.commit()
    response = client.get("/api/v1/admin/process-models/escalation_demo/versions/1/nodes",
                          headers=people.headers("admin"))
    nodes = response.get_json()["nodes"]
    assert {k: v for k, v in nodes["accept"].items() if k != "next_due_at"} == {
        "active": 2, "overdue": 1, "error": 0, "timers": 0}
    assert (nodes["supervise"]["active"], nodes["supervise"]["overdue"]) == (2, 0)
    assert nodes["compute"]["error"] == 1
    assert nodes["accept_deadline"]["timers"] == 1  # E's; B's and D's fired, A's and C's ended with the task
    assert datetime.fromisoformat(nodes["accept_deadline"]["next_due_at"]) == at("2026-10-15 18:00")
    assert client.get("/api/v1/admin/process-models/escalation_demo/versions/7/nodes",
                      headers=people.headers("admin")).status_code == 404


def test_archive_of_a_closed_case_holds_data_history_decisions_and_documents(client, people, platform,
                                                                            scenario):  # noqa: F811
    a = scenario.cases["A"]
    content = "身份证复印件".encode() + bytes(range(256))
    with platform.uow() as uow:
        uow.session.add(Attachment(instance_id=a, task_id=None, field="id_copy", filename="身份证.pdf",
                                   content_type="application/pdf", size=len(content),
                                   sha256=hashlib.sha256(content).hexdigest(), content=content,
                                   uploaded_by="applicant", uploaded_at=at("2026-09-30 10:00")))
        uow.commit()
    response = client.get(f"/api/v1/admin/instances/{a}/archive", headers=people.headers("admin"))
    assert response.status_code == 200 and f"case-{a}-archive.json" in response.headers["Content-Disposition"]
    document = response.get_json()
    assert document["instance"]["status"] == "completed"
    assert document["instance"]["data"]["applicant_name"] == "申请人A"
    assert [h["action"] for h in document["history"]][:1] == ["start"] and "completed" in [
        h["action"] for h in document["history"]]
    assert [(t["name"], t["state"], t["completed_by"]) for t in document["tasks"]] == [
        ("accept", "completed", "win_dcf")]
    assert [(d["task_name"], d["by"], d["data"]) for d in document["decisions"]] == [("accept", "win_dcf", REFUSED)]
    [attachment] = document["attachments"]
    assert attachment["filename"] == "身份证.pdf" and base64.b64decode(attachment["content_base64"]) == content
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    still_open = client.get(f"/api/v1/admin/instances/{scenario.cases['D']}/archive", headers=people.headers("admin"))
    assert still_open.status_code == 409
    assert client.get("/api/v1/admin/instances/9999/archive", headers=people.headers("admin")).status_code == 404


def test_reassign_hands_a_task_to_a_named_colleague_with_the_reason_in_history(client, people, platform,
                                                                              scenario):  # noqa: F811
    d = scenario.cases["D"]
    accept = task_id(platform, d, "accept")
    admin = people.headers("admin")

    def reassign(task: int, body: dict[str, Any]) -> Any:
        return client.post(f"/api/v1/admin/tasks/{task}/reassign", json=body, headers=admin)

    for username in ("win_lq", "city1", "applicant", "nobody"):  # another county, department, role; unknown
        assert reassign(accept, {"username": username, "reason": "调整"}).status_code == 422, username
    assert reassign(accept, {"username": "win_dcf2"}).status_code == 422
    assert reassign(accept, {"username": "win_dcf2", "reason": "  "}).status_code == 422
    done = reassign(accept, {"username": "win_dcf2", "reason": "原经办人休假"})
    assert done.status_code == 200
    assert (done.get_json()["state"], done.get_json()["assignee"]) == ("claimed", "win_dcf2")
    again = reassign(accept, {"username": "win_dcf", "reason": "销假"})
    assert again.get_json()["assignee"] == "win_dcf"
    history = client.get(f"/api/v1/process-instances/{d}", headers=admin).get_json()["history"]
    moves = [h["details"] for h in history if h["action"] == "reassign"]
    assert moves == [{"from": None, "to": "win_dcf2", "reason": "原经办人休假"},
                     {"from": "win_dcf2", "to": "win_dcf", "reason": "销假"}]
    finished = task_id(platform, scenario.cases["A"], "accept")
    assert reassign(finished, {"username": "win_dcf2", "reason": "x"}).status_code == 409
    assert reassign(9999, {"username": "win_dcf2", "reason": "x"}).status_code == 404


def test_move_a_timer_and_recompute_a_year_with_a_reason(client, people, scenario):  # noqa: F811
    e, admin = scenario.cases["E"], people.headers("admin")
    timers = client.get(f"/api/v1/admin/instances/{e}/timers", headers=admin).get_json()["timers"]
    assert [t["timer"] for t in timers] == ["accept_deadline"]
    path = f"/api/v1/admin/instances/{e}/timers/accept_deadline/move"
    assert client.post(path, json={"due_at": "2026-10-20T18:00:00+08:00"}, headers=admin).status_code == 422
    assert client.post(path, json={"reason": "延期"}, headers=admin).status_code == 422
    moved = client.post(path, json={"due_at": "2026-10-20T18:00:00+08:00", "reason": "材料补正"}, headers=admin)
    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.get_json()["timers"][0]["due_at"]) == at("2026-10-20 18:00")
    accept = next(t for t in client.get(f"/api/v1/process-instances/{e}", headers=admin).get_json()["tasks"]
                  if t["name"] == "accept")
    assert datetime.fromisoformat(accept["due_at"]) == at("2026-10-20 18:00")
    recomputed = client.post("/api/v1/admin/calendar/2026/recompute", json={"reason": "日历校核"}, headers=admin)
    assert recomputed.status_code == 200 and recomputed.get_json()["year"] == 2026
    assert client.post("/api/v1/admin/calendar/2026/recompute", json={}, headers=admin).status_code == 422


def test_the_openapi_document_describes_every_console_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    # 12 console routes, 4 of notifications (deliveries listed and resent, 催办, contact details) and 5 of the
    # operations (bulk, token moves read and made, incidents listed and retried)
    assert len([rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/admin/")]) == 21
    for rule in [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]:
        path = rule.rule.removeprefix("/api/v1")
        for part in ("key", "version", "instance_id", "task_id", "year", "timer", "notification_id", "username"):
            path = path.replace(f"<int:{part}>", f"{{{part}}}").replace(f"<{part}>", f"{{{part}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)

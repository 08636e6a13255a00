"""Running cases through the REST API: lanes, forms, claims, conflicts, timers, errors and retry."""

from __future__ import annotations

from typing import Any

from conftest import ESCALATION, People, at, edit, read_flow

from engine.cases.scheduler import fire_due_timers


def start(client: Any, people: People, who: str = "applicant", **data: Any) -> int:
    body = {"model_key": "escalation_demo", "data": {"applicant": "李博士", "county": "dongchangfu", **data}}
    response = client.post("/api/v1/process-instances", json=body, headers=people.headers(who))
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def department_tasks(client: Any, people: People, who: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/tasks?scope=department", headers=people.headers(who))
    assert response.status_code == 200, response.get_json()
    return list(response.get_json())


def instance(client: Any, people: People, instance_id: int, who: str = "admin") -> dict[str, Any]:
    response = client.get(f"/api/v1/process-instances/{instance_id}", headers=people.headers(who))
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def test_task_goes_to_the_window_of_the_applicants_county_with_a_three_working_day_deadline(
        client, people, deployed):
    instance_id = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    assert task["instance_id"] == instance_id
    assert (task["name"], task["title"]) == ("accept", "县级窗口受理")
    assert (task["department"], task["county"], task["state"]) == ("county_window", "dongchangfu", "open")
    assert task["due_at"] == "2026-10-10T10:00:00+00:00" or task["due_at"].startswith("2026-10-10T")
    assert at("2026-10-10 18:00").isoformat() == "2026-10-10T18:00:00+08:00"
    assert department_tasks(client, people, "win_lq") == []
    assert department_tasks(client, people, "city1") == []
    view = instance(client, people, instance_id)
    assert view["next_due_at"] is not None
    assert view["status"] == "active" and view["version"] == 1


def test_due_time_is_the_end_of_the_third_working_day_after_the_national_day_holiday(client, people, deployed,
                                                                                      platform):
    start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    from datetime import datetime

    assert datetime.fromisoformat(task["due_at"]) == at("2026-10-10 18:00")


def test_a_colleague_cannot_complete_a_claimed_task_and_a_second_completion_is_refused(client, people, deployed):
    start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    claim = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
    assert claim.status_code == 200 and claim.get_json()["assignee"] == "win_dcf"
    again = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf2"))
    assert again.status_code == 409
    good = {"data": {"approved": True, "months": 3}}
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json=good, headers=people.headers("win_dcf2"))
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "conflict"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=good, headers=people.headers("win_dcf"))
    assert done.status_code == 200, done.get_json()
    twice = client.post(f"/api/v1/tasks/{task['id']}/complete", json=good, headers=people.headers("win_dcf"))
    assert twice.status_code == 409
    [review] = department_tasks(client, people, "city1")
    assert review["name"] == "review"


def test_bad_form_data_gets_422_with_a_message_per_field_and_changes_nothing(client, people, deployed):
    instance_id = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    bad = {"data": {"approved": "yes", "months": 99, "extra": 1}}
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=bad, headers=people.headers("win_dcf"))
    assert response.status_code == 422
    fields = {d["field"] for d in response.get_json()["details"]}
    assert {"approved", "months", "extra"} <= fields
    missing = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}},
                          headers=people.headers("win_dcf"))
    assert {d["field"] for d in missing.get_json()["details"]} == {"approved", "months"}
    assert [t["state"] for t in instance(client, people, instance_id)["tasks"]] == ["open"]


def test_staff_of_another_county_or_department_cannot_act(client, people, deployed):
    start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    for who in ("win_lq", "city1", "hrss1"):
        response = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers(who))
        assert response.status_code in (403, 404), who
        response = client.post(f"/api/v1/tasks/{task['id']}/complete",
                               json={"data": {"approved": True, "months": 1}}, headers=people.headers(who))
        assert response.status_code in (403, 404), who


def test_release_returns_the_task_to_the_department(client, people, deployed):
    start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
    assert client.post(f"/api/v1/tasks/{task['id']}/release", headers=people.headers("win_dcf2")).status_code == 409
    released = client.post(f"/api/v1/tasks/{task['id']}/release", headers=people.headers("win_dcf"))
    assert released.status_code == 200 and released.get_json()["state"] == "open"
    mine = client.get("/api/v1/tasks?scope=mine", headers=people.headers("win_dcf")).get_json()
    assert mine == []
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf2"))
    assert claimed.get_json()["assignee"] == "win_dcf2"
    history = [h["action"] for h in instance(client, people, task["instance_id"])["history"]]
    assert history == ["start", "claim", "release", "claim"]


def test_refusal_path_ends_the_case_and_records_the_submitted_data(client, people, deployed):
    instance_id = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    response = client.post(f"/api/v1/tasks/{task['id']}/complete",
                           json={"data": {"approved": False, "months": 0, "comment": "材料不全"}},
                           headers=people.headers("win_dcf"))
    assert response.status_code == 200
    view = instance(client, people, instance_id)
    assert view["status"] == "completed"
    assert view["data"]["amount"] == 0 and view["data"]["comment"] == "材料不全"
    complete = [h for h in view["history"] if h["action"] == "complete"]
    assert complete[0]["actor"] == "win_dcf"
    assert complete[0]["details"]["data"] == {"approved": False, "months": 0, "comment": "材料不全"}
    assert view["history"][-1]["action"] == "completed"


def test_boundary_timer_escalates_to_the_talent_office_only_when_a_worker_runs_after_the_deadline(
        client, people, deployed, platform, clock):
    instance_id = start(client, people)
    assert fire_due_timers(platform, now=at("2026-10-10 17:59")).due == 0
    assert department_tasks(client, people, "talent1") == []
    clock.set(at("2026-10-12 09:00"))
    assert department_tasks(client, people, "talent1") == [], "nothing fires without a worker"
    report = fire_due_timers(platform, now=at("2026-10-10 18:00:01"))
    assert report.fired == [instance_id]
    [supervise] = department_tasks(client, people, "talent1")
    assert supervise["name"] == "supervise"
    [accept] = department_tasks(client, people, "win_dcf")
    assert accept["state"] == "open", "a non-interrupting timer leaves the work in place"
    view = instance(client, people, instance_id)
    fired = [h for h in view["history"] if h["action"] == "timer_fired"]
    assert len(fired) == 1 and fired[0]["details"]["due_at"] == "2026-10-10T18:00:00+08:00"
    assert view["next_due_at"] is None
    assert fire_due_timers(platform, now=at("2026-10-20 09:00")).due == 0, "a fired timer never fires twice"


def test_deadline_reaching_into_2027_falls_back_to_weekends_and_says_so(client, people, deployed, clock):
    clock.set(at("2026-12-30 10:00"))
    instance_id = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    from datetime import datetime

    # 2026-12-31 (Thu), 2027-01-01 (Fri, no official data: a working day), 2027-01-04 (Mon)
    assert datetime.fromisoformat(task["due_at"]) == at("2027-01-04 18:00")
    notes = [h for h in instance(client, people, instance_id)["history"] if h["action"] == "calendar_fallback"]
    assert [n["details"]["year"] for n in notes] == [2027]


def test_engine_error_parks_the_case_keeps_the_submission_and_retry_replays_it(client, people, platform):
    files = edit(read_flow(ESCALATION), "escalation.bpmn", "amount = 1000 * months if approved else 0",
                 "amount = 1000 * months * rate if approved else 0")
    from engine.cases.deployment import deploy
    from engine.people.identity import Actor

    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    instance_id = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 2}},
                           headers=people.headers("win_dcf"))
    assert response.status_code == 200
    view = instance(client, people, instance_id)
    assert view["status"] == "error"
    assert "compute" in view["error"]["task"] and "rate" in view["error"]["message"]
    assert [t["state"] for t in view["tasks"]] == ["open"], "the half-advanced workflow was not saved"
    assert department_tasks(client, people, "city1") == []
    blocked = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 2}},
                          headers=people.headers("win_dcf"))
    assert blocked.status_code == 409
    assert client.post(f"/api/v1/process-instances/{instance_id}/retry", json={},
                       headers=people.headers("win_dcf")).status_code == 403
    retried = client.post(f"/api/v1/process-instances/{instance_id}/retry",
                          json={"reason": "补充费率", "data": {"rate": 1.5}}, headers=people.headers("admin"))
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "active"
    view = instance(client, people, instance_id)
    assert view["data"]["amount"] == 3000
    assert view["tasks"][0]["state"] == "completed" and view["tasks"][0]["completed_by"] == "win_dcf"
    assert [t["name"] for t in view["tasks"] if t["state"] == "open"] == ["review"]
    actions = [h["action"] for h in view["history"]]
    assert actions[:4] == ["start", "error", "retry", "complete"]


def test_admin_suspends_resumes_and_cancels_while_others_get_403(client, people, deployed):
    instance_id = start(client, people)
    for who in ("win_dcf", "designer", "applicant"):
        assert client.post(f"/api/v1/process-instances/{instance_id}/suspend",
                           headers=people.headers(who)).status_code == 403
    suspended = client.post(f"/api/v1/process-instances/{instance_id}/suspend", json={"reason": "核查"},
                            headers=people.headers("admin"))
    assert suspended.get_json()["status"] == "suspended"
    [task] = department_tasks(client, people, "win_dcf")
    blocked = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 1}},
                          headers=people.headers("win_dcf"))
    assert blocked.status_code == 409
    assert client.post(f"/api/v1/process-instances/{instance_id}/resume",
                       headers=people.headers("admin")).get_json()["status"] == "active"
    assert client.post(f"/api/v1/process-instances/{instance_id}/cancel", json={"reason": "申请人撤回"},
                       headers=people.headers("admin")).get_json()["status"] == "cancelled"
    assert department_tasks(client, people, "win_dcf") == []
    again = client.post(f"/api/v1/process-instances/{instance_id}/cancel", headers=people.headers("admin"))
    assert again.status_code == 409
    reasons = [h["details"].get("reason") for h in instance(client, people, instance_id)["history"]
               if h["action"] in ("suspend", "cancel")]
    assert reasons == ["核查", "申请人撤回"]


def test_an_applicant_sees_only_their_own_cases(client, people, deployed):
    mine = start(client, people, "applicant")
    theirs = start(client, people, "other_applicant")
    listed = client.get("/api/v1/process-instances", headers=people.headers("applicant")).get_json()
    assert [i["id"] for i in listed] == [mine]
    assert client.get(f"/api/v1/process-instances/{theirs}", headers=people.headers("applicant")).status_code == 404
    staff = client.get("/api/v1/process-instances", headers=people.headers("win_lq")).get_json()
    assert staff == []
    window = client.get("/api/v1/process-instances", headers=people.headers("win_dcf")).get_json()
    assert {i["id"] for i in window} == {mine, theirs}


def test_overdue_filter_lists_cases_with_a_task_past_its_deadline(client, people, deployed, clock):
    instance_id = start(client, people)
    url = "/api/v1/process-instances?overdue=true"
    assert client.get(url, headers=people.headers("admin")).get_json() == []
    clock.set(at("2026-10-12 09:00"))
    assert [i["id"] for i in client.get(url, headers=people.headers("admin")).get_json()] == [instance_id]


def test_county_is_required_for_a_flow_that_goes_through_a_county_window(client, people, deployed):
    response = client.post("/api/v1/process-instances", json={"model_key": "escalation_demo", "data": {}},
                           headers=people.headers("applicant"))
    assert response.status_code == 422
    assert response.get_json()["details"][0]["field"] == "data.county"
    unknown = client.post("/api/v1/process-instances",
                          json={"model_key": "escalation_demo", "data": {"county": "atlantis"}},
                          headers=people.headers("applicant"))
    assert unknown.status_code == 422
    by_name = client.post("/api/v1/process-instances",
                          json={"model_key": "escalation_demo", "data": {"county": "临清市"}},
                          headers=people.headers("applicant"))
    assert by_name.status_code == 201
    assert [t["county"] for t in department_tasks(client, people, "win_lq")] == ["linqing"]


def test_reserved_or_dunder_field_names_are_refused(client, people, deployed):
    for data in ({"__builtins__": {}}, {"working_days": 1}, {"_x": 1}, {"typename": "BpmnWorkflow"}):
        response = client.post("/api/v1/process-instances",
                               json={"model_key": "escalation_demo", "data": {"county": "dongchangfu", **data}},
                               headers=people.headers("applicant"))
        assert response.status_code == 422, data


def test_a_deadline_already_past_when_the_task_starts_escalates_at_once_and_is_recorded(client, people, platform):
    from engine.cases.deployment import deploy
    from engine.people.identity import Actor

    files = edit(read_flow(ESCALATION), "escalation.bpmn", "working_days(3)", '"2020-01-01T00:00:00+08:00"')
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    instance_id = start(client, people)
    assert [t["name"] for t in department_tasks(client, people, "talent1")] == ["supervise"]
    fired = [h for h in instance(client, people, instance_id)["history"] if h["action"] == "timer_fired"]
    assert [(h["task_name"], h["details"]["due_at"]) for h in fired] == [
        ("accept_deadline", "2020-01-01T00:00:00+08:00")]


def test_a_start_form_on_the_start_event_checks_the_data_a_case_starts_with(client, people, platform):
    from engine.cases.deployment import deploy
    from engine.people.identity import Actor

    files = edit(read_flow(ESCALATION), "escalation.bpmn", '''<bpmn:startEvent id="start" name="申请提交">''',
                 '''<bpmn:startEvent id="start" name="申请提交"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="apply.json" /></spiffworkflow:properties>
        </bpmn:extensionElements>''')
    files["apply.json"] = b'{"type": "object", "required": ["applicant"], "properties": {"applicant": ' \
                          b'{"type": "string", "minLength": 2}, "county": {"type": "string"}}}'
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    body = {"model_key": "escalation_demo", "data": {"county": "dongchangfu"}}
    refused = client.post("/api/v1/process-instances", json=body, headers=people.headers("applicant"))
    assert refused.status_code == 422
    assert [d["field"] for d in refused.get_json()["details"]] == ["applicant"]
    body["data"]["applicant"] = "李博士"
    assert client.post("/api/v1/process-instances", json=body, headers=people.headers("applicant")).status_code == 201


def test_a_task_page_shows_the_data_of_its_own_branch_not_of_the_last_step_elsewhere(client, people, deployed):
    instance_id = start(client, people, applicant_name="李博士")
    fire_due_timers(client.application.extensions["onestop"], now=at("2026-10-12 09:00"))
    [accept] = department_tasks(client, people, "win_dcf")
    client.post(f"/api/v1/tasks/{accept['id']}/complete", json={"data": {"approved": True, "months": 2}},
                headers=people.headers("win_dcf"))
    [supervise] = department_tasks(client, people, "talent1")
    page = client.get(f"/api/v1/tasks/{supervise['id']}", headers=people.headers("talent1")).get_json()
    assert page["data"]["applicant_name"] == "李博士"
    assert "amount" not in page["data"], "the supervision branch split off before the amount was computed"
    assert instance(client, people, instance_id)["data"]["amount"] == 2000

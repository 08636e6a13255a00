"""Who is told what, when: tasks arriving (county-aware, batched), hand-over and reassignment, a deadline one
working day away, a task overdue, 催办; what a diagram sends; preferences and the in-app list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ESCALATION, at, edit, read_flow
from notifykit import channels, contact, outbox, robot

from engine.cases.deployment import deploy
from engine.notify.delivery import deliver_due
from engine.notify.reminders import OVERDUE_LOOKBACK, send_time_notices
from engine.people.identity import Actor
from tasks import handover, service
from tasks.reassign import reassign_task


def start(flow, county="dongchangfu", **data):
    return flow.start("escalation_demo", {"county": county, **data})


@pytest.fixture
def escalation(platform, people):
    with platform.uow() as uow:
        key = deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now()).key
        uow.commit()
    return key


def in_app(platform, username):
    return [row for row in outbox(platform, channel="in_app", recipient=username)]


def test_a_task_arriving_tells_its_county_windows_staff_only_in_app_and_by_email(platform, flow, escalation,
                                                                                   mailbox):
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    contact(platform, "win_lq", email="lq@example.org")
    case = start(flow)
    [task] = flow.tasks("win_dcf")
    assert [(r.kind, r.task_id) for r in in_app(platform, "win_dcf")] == [("task_ready", task["id"])]
    assert [r.kind for r in in_app(platform, "win_dcf2")] == ["task_ready"]  # a colleague of the same county
    assert in_app(platform, "win_lq") == [] and in_app(platform, "applicant") == []
    [email_row] = outbox(platform, channel="email")
    assert (email_row.recipient, email_row.state, email_row.instance_id) == ("win_dcf", "pending", case)
    report = deliver_due(platform)
    assert (report.sent, report.messages) == (1, 1)
    [email] = box.to("dcf@example.org")
    assert "县级窗口受理" in email["Subject"] and f"/tasks/{task['id']}" in email.get_content()
    assert outbox(platform, channel="email")[0].state == "sent"


def test_many_tasks_arriving_at_once_go_to_each_person_as_one_message_listing_them(platform, flow, escalation,
                                                                                    mailbox):
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    cases = [start(flow, applicant=f"申请人{n}") for n in range(3)]
    report = deliver_due(platform)
    assert (report.sent, report.messages) == (3, 1)
    [digest] = box.to("dcf@example.org")
    assert digest["Subject"].startswith("您有3条新消息")
    body = digest.get_content()
    for case in cases:
        assert f"办件{case}" in body
    rows = outbox(platform, channel="email")
    assert {row.batch_id for row in rows} == {rows[0].id} and {row.state for row in rows} == {"sent"}
    assert len(in_app(platform, "win_dcf")) == 3  # the bell keeps one line per task, each with its link


def test_handing_over_and_reassigning_tell_the_person_who_now_holds_the_task(platform, flow, escalation, people):
    start(flow)
    [task] = flow.tasks("win_dcf")
    with platform.uow() as uow:
        service.claim_task(task["id"], actor=people.actor("win_dcf", platform), uow=uow, now=platform.now())
        handover.hand_over_task(task["id"], "win_dcf2", actor=people.actor("win_dcf", platform), uow=uow,
                                now=platform.now(), note="我明天出差")
        uow.commit()
    [handed] = [r for r in in_app(platform, "win_dcf2") if r.kind == "task_assigned"]
    assert handed.params["note"] == "我明天出差" and handed.params["action"] == "handover"
    assert [r.kind for r in in_app(platform, "win_dcf")] == ["task_ready"]  # not the one who handed it over
    with platform.uow() as uow:
        reassign_task(task["id"], "win_dcf", reason="人员调整", actor=people.actor("admin", platform), uow=uow,
                      now=platform.now())
        uow.commit()
    [back] = [r for r in in_app(platform, "win_dcf") if r.kind == "task_assigned"]
    assert back.params["action"] == "reassign" and back.params["note"] == "人员调整"


def test_a_deadline_one_working_day_away_is_told_once_to_the_department(platform, flow, escalation, clock):
    start(flow)  # 2026-09-30 10:00: due three working days later, 2026-10-10 18:00 (the National Day holiday)
    [task] = flow.tasks("win_dcf")
    assert task["due_at"] == "2026-10-10T10:00:00+00:00"
    assert send_time_notices(platform, now=at("2026-10-08 10:00")).soon == 0  # two working days left
    report = send_time_notices(platform, now=at("2026-10-09 09:00"))
    assert report.soon == 1
    assert [r.kind for r in in_app(platform, "win_dcf")] == ["task_ready", "deadline_soon"]
    assert [r.kind for r in in_app(platform, "win_dcf2")] == ["task_ready", "deadline_soon"]
    assert send_time_notices(platform, now=at("2026-10-09 12:00")).soon == 0  # once


def test_an_overdue_task_tells_its_holder_and_the_talent_office_once(platform, flow, escalation, people):
    start(flow)
    [task] = flow.tasks("win_dcf")
    with platform.uow() as uow:
        service.claim_task(task["id"], actor=people.actor("win_dcf", platform), uow=uow, now=platform.now())
        uow.commit()
    late = at("2026-10-12 09:00")
    report = send_time_notices(platform, now=late)
    assert (report.overdue, report.soon) == (1, 0)
    assert [r.kind for r in in_app(platform, "win_dcf")][-1] == "task_overdue"
    assert [r.kind for r in in_app(platform, "win_dcf2")] == ["task_ready"]  # the holder is told, not colleagues
    assert [r.kind for r in in_app(platform, "talent1")] == ["task_overdue"]
    assert send_time_notices(platform, now=late + timedelta(hours=3)).overdue == 0


def test_overdue_notices_look_back_a_bounded_time_only(platform, flow, escalation):
    start(flow)
    long_after = at("2026-10-10 18:00") + OVERDUE_LOOKBACK + timedelta(hours=1)
    assert send_time_notices(platform, now=long_after).overdue == 0


def test_a_suspended_case_gets_no_deadline_notices(platform, flow, escalation, people):
    case = start(flow)
    from engine.cases.instances import suspend_instance

    with platform.uow() as uow:
        suspend_instance(case, reason="核查", actor=people.actor("admin", platform), uow=uow, now=platform.now())
        uow.commit()
    report = send_time_notices(platform, now=at("2026-10-12 09:00"))
    assert (report.soon, report.overdue) == (0, 0)


def test_urging_an_overdue_task_tells_the_department_and_goes_into_the_case_history(platform, flow, escalation,
                                                                                    client, people):
    case = start(flow)
    [task] = flow.tasks("win_dcf")
    urged = client.post(f"/api/v1/admin/tasks/{task['id']}/urge", json={"message": "请今天办结"},
                        headers=people.headers("talent1"))
    assert urged.status_code == 200, urged.get_json()
    assert [r.params["note"] for r in in_app(platform, "win_dcf") if r.kind == "urge"] == ["请今天办结"]
    history = client.get(f"/api/v1/process-instances/{case}", headers=people.headers("admin")).get_json()["history"]
    [entry] = [h for h in history if h["action"] == "urge"]
    assert entry["actor"] == "talent1" and entry["details"]["note"] == "请今天办结"
    assert client.post(f"/api/v1/admin/tasks/{task['id']}/urge", json={"message": "x"},
                       headers=people.headers("win_dcf")).status_code == 403
    assert client.post(f"/api/v1/admin/tasks/{task['id']}/urge", json={"message": "  "},
                       headers=people.headers("admin")).status_code == 422
    assert client.post("/api/v1/admin/tasks/999999/urge", json={"message": "x"},
                       headers=people.headers("admin")).status_code == 404


def test_the_api_lists_the_callers_notifications_newest_first_and_marks_them_read(platform, flow, escalation,
                                                                                  client, people):
    for _n in range(2):
        start(flow)
    listed = client.get("/api/v1/notifications", headers=people.headers("win_dcf")).get_json()
    assert listed["unread"] == 2 and [i["id"] for i in listed["items"]] == sorted(
        [i["id"] for i in listed["items"]], reverse=True)
    first = listed["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=people.headers("win_lq")).status_code == 404
    assert client.post(f"/api/v1/notifications/{first}/read", headers=people.headers("win_dcf")).status_code == 200
    assert client.get("/api/v1/notifications?unread=true", headers=people.headers("win_dcf")).get_json()[
        "unread"] == 1
    english = client.get("/api/v1/notifications?lang=en", headers=people.headers("win_dcf")).get_json()
    assert english["items"][0]["subject"].startswith("New task:")
    assert client.post("/api/v1/notifications/read-all", headers=people.headers("win_dcf")).get_json()["marked"] == 1
    assert client.get("/api/v1/notifications", headers=people.headers("win_lq")).get_json() == {"unread": 0,
                                                                                             "items": []}


def test_people_choose_channels_per_kind_and_bad_settings_are_refused(platform, flow, escalation, client, people):
    contact(platform, "win_dcf", email="dcf@example.org", mobile="13800001111")
    headers = people.headers("win_dcf")
    settings = client.get("/api/v1/notifications/settings", headers=headers).get_json()
    assert {k["kind"]: k["channels"] for k in settings["kinds"]}["task_ready"] == ["email"]
    changed = client.put("/api/v1/notifications/settings", headers=headers, json={
        "channels": {"task_ready": ["sms"]}, "quiet_hours": "off", "language": "en"})
    assert changed.status_code == 200, changed.get_json()
    start(flow)
    assert [(r.channel, r.state) for r in outbox(platform, recipient="win_dcf")] == [("in_app", "sent"),
                                                                                      ("sms", "pending")]
    refused = client.put("/api/v1/notifications/settings", headers=headers, json={
        "channels": {"task_ready": ["fax"], "nonsense": []}, "quiet_hours": "25:00-07:00", "language": "fr"})
    assert refused.status_code == 422
    assert {d["field"] for d in refused.get_json()["details"]} == {"channels.task_ready", "channels.nonsense",
                                                                  "quiet_hours", "language"}


def test_a_department_group_robot_hears_of_new_tasks(platform, flow, escalation, gateway):
    robot(platform, "county_window", gateway.url + "/cgi-bin/webhook/send?key=abc")
    channels(platform)
    start(flow)
    deliver_due(platform)
    [call] = gateway.received
    assert call["path"] == "/cgi-bin/webhook/send?key=abc"
    assert call["body"]["msgtype"] == "text" and "县级窗口受理" in call["body"]["text"]["content"]


def test_a_diagram_sends_its_templates_to_the_applicant_and_a_number_from_the_case(platform, flow, people, gateway,
                                                                                  client):
    files = edit(read_flow(ESCALATION), "escalation.bpmn", '<bpmn:endEvent id="end_refused" name="不予受理">',
                 '<bpmn:endEvent id="end_refused" name="不予受理"><bpmn:extensionElements><spiffworkflow:properties>'
                 '<spiffworkflow:property name="notificationTemplate" value="decision" />'
                 '<spiffworkflow:property name="notificationRecipients" value="[\'applicant\', \'mobile:\' + phone]" />'
                 '</spiffworkflow:properties><spiffworkflow:instructionsForEndUser>不予受理：{{ comment }}'
                 '</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>')
    review = '<spiffworkflow:property name="formJsonSchemaFilename" value="review.json" />'
    files = edit(files, "escalation.bpmn", review,
                 review + '<spiffworkflow:property name="notificationTemplate" value="case_accepted" />')
    head = '<bpmn:userTask id="review" name="市平台审核">\n      <bpmn:extensionElements>'
    files = edit(files, "escalation.bpmn", head, head + '<spiffworkflow:instructionsForEndUser>补贴{{ amount }}元，'
                 '正在审核</spiffworkflow:instructionsForEndUser>')
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    channels(platform, sms=gateway.url + "/sms", quiet="off")
    contact(platform, "applicant", mobile="13900002222")
    refused = start(flow, phone="13700003333")
    flow.complete("win_dcf", "accept", {"approved": False, "months": 0, "comment": "材料不全"}, refused)
    [decision] = [r for r in in_app(platform, "applicant") if r.kind == "decision"]
    assert decision.params["message"] == "不予受理：材料不全" and decision.params["link"] == f"/cases/{refused}"
    deliver_due(platform)
    assert sorted(call["body"]["mobile"] for call in gateway.received) == ["13700003333", "13900002222"]
    assert all("不予受理：材料不全" in call["body"]["text"] for call in gateway.received)
    accepted = start(flow, phone="13700003333")
    flow.complete("win_dcf", "accept", {"approved": True, "months": 3}, accepted)
    [note] = [r for r in in_app(platform, "applicant") if r.kind == "case_accepted"]
    assert note.params["message"] == "补贴3000元，正在审核" and note.task_id is not None
    assert note.params["link"] == f"/tasks/{note.task_id}"
    flow.complete("city1", "review", {"decision": "通过"}, accepted)
    assert len([r for r in in_app(platform, "applicant") if r.kind == "case_accepted"]) == 1  # on arrival only


def test_a_recipient_expression_that_fails_puts_the_case_in_error_naming_the_element(platform, flow, people):
    files = edit(read_flow(ESCALATION), "escalation.bpmn", '<bpmn:endEvent id="end_refused" name="不予受理">',
                 '<bpmn:endEvent id="end_refused" name="不予受理"><bpmn:extensionElements><spiffworkflow:properties>'
                 '<spiffworkflow:property name="notificationTemplate" value="decision" />'
                 '<spiffworkflow:property name="notificationRecipients" value="no_such_field" />'
                 '</spiffworkflow:properties></bpmn:extensionElements>')
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    case = start(flow)
    flow.complete("win_dcf", "accept", {"approved": False, "months": 0}, case)
    view = flow.view(case)
    assert view["status"] == "error" and "end_refused" in (view["error"]["task"] or "")

"""Every bound of notifications and registration (docs/operations.md, "Limits"), hit: claims per sweep, digest
length, message sizes, recipients, notices per run and per sweep, timeouts, codes and their throttles."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
from conftest import ESCALATION, at, read_flow
from hostile import diagram, script_task, user_task
from notifykit import channels, contact, outbox

from engine.cases.deployment import deploy
from engine.errors import InvalidInput, SignInThrottled
from engine.notify import channels as transports
from engine.notify import delivery, reminders
from engine.notify import outbox as writer
from engine.notify.delivery import deliver_due
from engine.notify.diagram import MAX_NOTICES_PER_RUN, MAX_RECIPIENTS_PER_NOTICE
from engine.notify.inbox import MAX_PAGE, list_notifications
from engine.notify.outbox import MAX_PARAMS_CHARS, To, notify
from engine.notify.templates import MAX_BODY_CHARS, MAX_SMS_CHARS, MAX_SUBJECT_CHARS, MAX_WEBHOOK_BYTES, Message
from engine.notify.worker import NotificationWorker
from engine.people import registration
from engine.people.identity import Actor
from tasks.urge import MAX_URGE_CHARS


def tell(platform, username, kind="urge", **params):
    with platform.uow() as uow:
        notify(uow, kind, [To.person(username)], {"task_title": "环节", "case_id": 1, "link": "/tasks/1", **params},
               now=platform.now())
        uow.commit()


def test_a_sweep_claims_in_batches_and_stops_at_its_most(platform, people, gateway, monkeypatch):
    monkeypatch.setattr(delivery, "CLAIM_BATCH", 3)
    monkeypatch.setattr(delivery, "MAX_ROWS_PER_SWEEP", 5)
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    for n in range(8):
        tell(platform, "win_dcf", case_id=n)
    assert deliver_due(platform).claimed == 5
    assert deliver_due(platform).claimed == 3
    assert len(gateway.received) == 8


def test_a_digest_lists_its_first_items_and_counts_the_rest(platform, people, mailbox, monkeypatch):
    monkeypatch.setattr(delivery, "MAX_DIGEST_ITEMS", 2)
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    for n in range(3):
        tell(platform, "win_dcf", kind="task_ready", case_id=n, link=f"/tasks/{n}")
    assert deliver_due(platform).messages == 1
    body = box.messages[0].get_content()
    assert "/tasks/0" in body and "/tasks/1" in body and "/tasks/2" not in body and "另有1条" in body


def test_messages_are_cut_to_what_each_channel_takes(platform):
    long = "很长的内容" * 2_000
    message = platform.templates.render("urge", {"task_title": long, "note": long, "case_id": 1},
                                        language="zh", tz=platform.settings.tz)
    assert len(message.subject) == MAX_SUBJECT_CHARS and message.subject.endswith("…")
    assert len(message.sms) == MAX_SMS_CHARS
    assert len(platform.templates.render("decision", {"message": long}, language="zh", tz=platform.settings.tz)
               .body) == MAX_BODY_CHARS
    assert len(Message("主题", long, "").webhook_text().encode()) <= MAX_WEBHOOK_BYTES


def test_the_values_a_notification_keeps_are_bounded(platform, people):
    tell(platform, "win_dcf", note="说明" * 10_000, other="x" * 5_000)
    [row] = outbox(platform, channel="in_app")
    assert len(repr(row.params)) <= MAX_PARAMS_CHARS + 200


def test_a_department_is_told_up_to_its_most_recipients(platform, people, monkeypatch, caplog):
    monkeypatch.setattr(writer, "MAX_RECIPIENTS", 1)
    with caplog.at_level(logging.WARNING), platform.uow() as uow:
        notify(uow, "urge", [To.staff("county_window", "dongchangfu")], {"task_title": "环节"}, now=platform.now())
        uow.commit()
    assert len(outbox(platform, channel="in_app")) == 1
    assert "first 1 staff only" in caplog.text


def test_a_sweep_tells_a_bounded_number_of_deadlines(platform, flow, people, monkeypatch):
    monkeypatch.setattr(reminders, "MAX_NOTICES_PER_SWEEP", 1)
    with platform.uow() as uow:
        deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    for _n in range(2):
        flow.start("escalation_demo", {"county": "dongchangfu"})
    moment = at("2026-10-09 09:00")
    assert [reminders.send_time_notices(platform, now=moment).soon for _ in range(3)] == [1, 1, 0]


def _looping(key: str, sends: int, recipients: str = "") -> dict[str, bytes]:
    to = f'<spiffworkflow:property name="notificationRecipients" value="{recipients}" />' if recipients else ""
    throw = ('<bpmn:intermediateThrowEvent id="tell" name="告知"><bpmn:extensionElements><spiffworkflow:properties>'
             f'<spiffworkflow:property name="notificationTemplate" value="decision" />{to}'
             '</spiffworkflow:properties></bpmn:extensionElements></bpmn:intermediateThrowEvent>')
    nodes = ['<bpmn:startEvent id="start" name="开始" />', script_task("init", "i = 0"), throw,
             script_task("count", "i = i + 1"), '<bpmn:exclusiveGateway id="again" name="再次" />', user_task("wait"),
             '<bpmn:endEvent id="end" name="结束" />']
    return diagram(key, nodes, [("start", "init", None), ("init", "tell", None), ("tell", "count", None),
                                ("count", "again", None), ("again", "tell", f"i < {sends}"), ("again", "wait", None),
                                ("wait", "end", None)], default={"again": "wait"})


def test_a_diagram_that_sends_too_many_notifications_in_one_run_stops_naming_the_element(platform, flow, people):
    with platform.uow() as uow:
        deploy(_looping("chatty", MAX_NOTICES_PER_RUN + 1), actor=Actor("designer", "designer"), uow=uow,
               now=platform.now())
        deploy(_looping("quiet", MAX_NOTICES_PER_RUN), actor=Actor("designer", "designer"), uow=uow,
               now=platform.now())
        deploy(_looping("crowd", 1, "[str(n) for n in range(21)]"), actor=Actor("designer", "designer"),
               uow=uow, now=platform.now())
        uow.commit()
    chatty = flow.view(flow.start("chatty", {}))
    assert chatty["status"] == "error" and "tell" in chatty["error"]["task"]
    assert f"more than {MAX_NOTICES_PER_RUN} notifications" in chatty["error"]["message"]
    assert flow.view(flow.start("quiet", {}))["status"] == "active"
    assert len(outbox(platform, kind="decision", channel="in_app")) == MAX_NOTICES_PER_RUN
    crowd = flow.view(flow.start("crowd", {}))
    assert crowd["status"] == "error" and f"more than {MAX_RECIPIENTS_PER_NOTICE}" in crowd["error"]["message"]


def test_the_inbox_lists_at_most_a_page(platform, people, client):
    with platform.uow() as uow:
        for n in range(MAX_PAGE + 1):
            notify(uow, "urge", [To.person("win_dcf")], {"case_id": n}, now=platform.now())
        uow.commit()
    with platform.uow(write=False) as uow:
        listed = list_notifications(actor=people.actor("win_dcf", platform), uow=uow, limit=10_000)
    assert len(listed["items"]) == MAX_PAGE and listed["unread"] == MAX_PAGE + 1


def test_an_urge_message_is_bounded(platform, flow, people, client):
    with platform.uow() as uow:
        deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    flow.start("escalation_demo", {"county": "dongchangfu"})
    [task] = flow.tasks("win_dcf")
    refused = client.post(f"/api/v1/admin/tasks/{task['id']}/urge", json={"message": "催" * (MAX_URGE_CHARS + 1)},
                          headers=people.headers("admin"))
    assert refused.status_code == 422


def test_a_stored_error_is_cut_to_its_most(platform, people):
    channels(platform, sms="http://127.0.0.1:9/", quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    tell(platform, "win_dcf")
    report = delivery.DeliveryReport()
    rows = delivery._claim(platform, platform.now(), 10, report)
    delivery._record(platform, rows, platform.now(), transports.DeliveryFailed("错" * 5_000, retry=False), report)
    assert len(outbox(platform, channel="sms")[0].last_error) == delivery.MAX_ERROR_CHARS


def test_a_gateway_that_never_answers_is_given_up_after_the_timeout_and_not_asked_again(platform, people, gateway,
                                                                                        monkeypatch):
    monkeypatch.setattr(transports, "HTTP_TIMEOUT", 0.5)
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    gateway.answers = ["stall"]
    tell(platform, "win_dcf")
    started = time.monotonic()
    report = deliver_due(platform)
    assert time.monotonic() - started < 5 and (report.failed, report.retrying) == (1, 0)


def test_a_mail_server_that_never_greets_is_given_up_after_the_timeout_and_tried_again(platform, people,
                                                                                       monkeypatch):
    monkeypatch.setattr(transports, "SMTP_TIMEOUT", 0.5)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        channels(platform, smtp=f"smtp://127.0.0.1:{silent.getsockname()[1]}")
        contact(platform, "win_dcf", email="dcf@example.org")
        tell(platform, "win_dcf")
        started = time.monotonic()
        report = deliver_due(platform)
        assert time.monotonic() - started < 5 and report.retrying == 1  # nothing was handed over
    finally:
        silent.close()


def test_a_long_answer_is_read_only_up_to_its_most(platform, people, gateway):
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    gateway.answers = [(200, {"padding": "x" * (transports.MAX_ANSWER_BYTES * 2)})]
    tell(platform, "win_dcf")
    assert deliver_due(platform).sent == 1


def test_the_worker_thread_delivers_and_stops(platform, people, gateway):
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    tell(platform, "win_dcf")
    worker = NotificationWorker(platform, interval=0.05, reminder_interval=3600)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not gateway.received and time.monotonic() < deadline:
            threading.Event().wait(0.05)
    finally:
        worker.stop()
    assert len(gateway.received) == 1


def test_registration_codes_expire_and_allow_few_wrong_guesses(platform, people, clock):
    source = "203.0.113.5"
    with platform.uow() as uow:
        registration.request_code("13900005555", source=source, uow=uow, now=clock.now())
        uow.commit()
    code = outbox(platform, kind="verification_code")[0].params["code"]
    with platform.uow() as uow:  # after its lifetime the right code does not do
        assert registration.check_code("13900005555", code, source=source, uow=uow,
                                       now=clock.now() + registration.CODE_LIFETIME) == "expired"
    for _guess in range(registration.MAX_CODE_ATTEMPTS):
        with platform.uow() as uow:
            assert registration.check_code("13900005555", "000001" if code != "000001" else "000002",
                                           source=f"10.0.0.{_guess}", uow=uow, now=clock.now()) == "wrong"
            uow.commit()
    with platform.uow() as uow:  # too many wrong guesses: the code is spent
        assert registration.check_code("13900005555", code, source=source, uow=uow, now=clock.now()) == "expired"


def test_wrong_codes_from_one_source_are_throttled(platform, people, clock):
    with platform.uow() as uow:
        registration.request_code("13900005555", source="a", uow=uow, now=clock.now())
        uow.commit()
    from engine.people.throttle import FREE_FAILURES

    for _n in range(FREE_FAILURES):
        with platform.uow() as uow:
            registration.check_code("13900005555", "x", source="b", uow=uow, now=clock.now())
            uow.commit()
    with platform.uow() as uow, pytest.raises(SignInThrottled):
        registration.check_code("13900005555", "123456", source="b", uow=uow, now=clock.now())


def test_codes_per_number_and_per_source_are_limited(platform, people, clock):
    moment = clock.now()
    for n in range(registration.MAX_CODES_PER_NUMBER):
        with platform.uow() as uow:
            registration.request_code("13900005555", source=f"s{n}", uow=uow,
                                      now=moment + n * registration.RESEND_INTERVAL)
            uow.commit()
    with platform.uow() as uow, pytest.raises(SignInThrottled):
        registration.request_code("13900005555", source="other", uow=uow,
                                  now=moment + registration.MAX_CODES_PER_NUMBER * registration.RESEND_INTERVAL)
    for n in range(registration.MAX_CODES_PER_SOURCE):
        with platform.uow() as uow:
            registration.request_code(f"1370000{n:04d}", source="one-office", uow=uow, now=moment)
            uow.commit()
    with platform.uow() as uow, pytest.raises(SignInThrottled):
        registration.request_code("13600000000", source="one-office", uow=uow, now=moment)
    with platform.uow() as uow, pytest.raises(InvalidInput):
        registration.request_code("12345", source="x", uow=uow, now=moment + timedelta(hours=2))

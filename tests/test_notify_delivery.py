"""Delivering the outbox: real SMTP (plain, STARTTLS with a login, TLS from the start), the SMS gateway and group
robots over HTTP; retries with back-off, failure after the last try, at most once with two workers and after a
crash, quiet hours, and the administrators' view with resend."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import at
from notifykit import channels, contact, outbox
from outside import Mailbox, make_certificate, tls_server

from engine.clock import FixedClock
from engine.config import Settings
from engine.notify import delivery
from engine.notify.delivery import MAX_ATTEMPTS, deliver_due, retry_wait
from engine.notify.outbox import To, notify
from engine.platform import Platform


def tell(platform, username="win_dcf", kind="urge", **params):
    with platform.uow() as uow:
        notify(uow, kind, [To.person(username)], {"task_title": "县级窗口受理", "case_id": 7, "note": "请今天办结",
                                                  "link": "/tasks/3", **params}, now=platform.now())
        uow.commit()


def test_retries_wait_longer_each_time_and_the_last_failure_is_kept_for_the_console(platform, people, mailbox,
                                                                                      client):
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    box.refuse = ["451 4.3.0 mailbox busy"] * MAX_ATTEMPTS
    tell(platform)
    moment = platform.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due(platform, now=moment)
        assert report.claimed == 1
        [row] = outbox(platform, channel="email")
        if attempt < MAX_ATTEMPTS:
            assert (row.state, row.attempts) == ("pending", attempt)
            assert row.next_attempt_at == moment + retry_wait(attempt)
            assert deliver_due(platform, now=row.next_attempt_at - timedelta(seconds=1)).claimed == 0
            moment = row.next_attempt_at
    assert [retry_wait(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=1), timedelta(minutes=4),
                                                     timedelta(minutes=16), timedelta(hours=1)]
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS) and "451" in row.last_error
    assert box.messages == []
    listed = client.get("/api/v1/admin/notifications?state=failed&channel=email",
                        headers=people.headers("admin")).get_json()
    assert listed["total"] == 1 and listed["items"][0]["last_error"].startswith("the mail server refused it: 451")
    assert client.get("/api/v1/admin/notifications", headers=people.headers("win_dcf")).status_code == 403
    resent = client.post(f"/api/v1/admin/notifications/{row.id}/resend", headers=people.headers("admin"))
    assert resent.status_code == 200 and resent.get_json()["resend_of"] == row.id
    deliver_due(platform, now=moment)
    assert len(box.to("dcf@example.org")) == 1
    assert client.post(f"/api/v1/admin/notifications/{row.id + 1}/resend",
                       headers=people.headers("admin")).status_code == 409  # sent: nothing to resend


def test_a_permanent_refusal_fails_at_once(platform, people, mailbox):
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    box.refuse = ["550 5.1.1 no such mailbox"]
    tell(platform)
    report = deliver_due(platform)
    assert (report.failed, report.retrying) == (1, 0)
    assert outbox(platform, channel="email")[0].state == "failed"


def test_an_unreachable_server_is_retried(platform, people):
    from outside import free_port

    channels(platform, smtp=f"smtp://127.0.0.1:{free_port()}")
    contact(platform, "win_dcf", email="dcf@example.org")
    tell(platform)
    report = deliver_due(platform)
    assert report.retrying == 1 and "cannot reach the mail server" in outbox(platform, channel="email")[0].last_error


def test_two_workers_racing_send_each_message_once(platform, people, mailbox, database_url, pg_engine,
                                                   tmp_path):
    box, url = mailbox
    channels(platform, smtp=url)
    for n, name in enumerate(("win_dcf", "win_dcf2", "win_lq", "city1", "hrss1")):
        contact(platform, name, email=f"{name}@example.org")
        for _copy in range(4):
            tell(platform, name, kind="urge", case_id=n)
    # A second worker as another process would have it: its own engine and connection pool.
    other = Platform(Settings(database_url=database_url, processes_dir=platform.settings.processes_dir,
                              instance_dir=tmp_path, secret_key="x"), clock=FixedClock(platform.now()))
    other.notify = platform.notify
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(worker: Platform) -> None:
        try:
            start.wait()
            for _round in range(3):
                deliver_due(worker)
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(p,)) for p in (platform, other, platform, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    other.close()
    assert errors == []
    assert len(box.messages) == 20
    assert sorted(str(m["To"]) for m in box.messages) == sorted(
        f"{name}@example.org" for name in ("win_dcf", "win_dcf2", "win_lq", "city1", "hrss1") for _ in range(4))
    assert {row.state for row in outbox(platform, channel="email")} == {"sent"}


def test_a_worker_that_dies_after_sending_never_sends_again(platform, people, gateway):
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    tell(platform)
    report = delivery.DeliveryReport()
    [claimed] = delivery._claim(platform, platform.now(), 10, report)
    delivery._send(platform, [claimed])  # the worker dies here, before it records the sending
    assert len(gateway.received) == 1
    assert deliver_due(platform, now=platform.now() + timedelta(days=1)).claimed == 0
    assert len(gateway.received) == 1
    [row] = outbox(platform, channel="sms")
    assert row.state == "sending"  # shown in the console as interrupted; an administrator may resend it


def test_a_gateway_that_hangs_up_after_taking_the_message_is_not_asked_again(platform, people,
                                                                                gateway):
    channels(platform, sms=gateway.url, quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    gateway.answers = ["hang up"]
    tell(platform)
    report = deliver_due(platform)
    assert (report.failed, report.retrying) == (1, 0)
    assert deliver_due(platform, now=platform.now() + timedelta(hours=2)).claimed == 0
    assert len(gateway.received) == 1
    assert "may have been delivered" in outbox(platform, channel="sms")[0].last_error


def test_a_gateway_error_is_retried_and_the_sms_carries_mobile_and_text(platform, people, gateway):
    channels(platform, sms=gateway.url + "/send", quiet="off")
    contact(platform, "win_dcf", mobile="13800001111")
    gateway.answers = [(503, {"error": "busy"})]
    tell(platform)
    assert deliver_due(platform).retrying == 1
    deliver_due(platform, now=platform.now() + timedelta(minutes=1))
    assert [call["body"]["mobile"] for call in gateway.received] == ["13800001111"] * 2
    assert "催办" in gateway.received[1]["body"]["text"] and set(gateway.received[1]["body"]) == {"mobile", "text"}
    assert outbox(platform, channel="sms")[0].state == "sent"


def test_sms_wait_for_the_end_of_the_quiet_hours(platform, people, gateway, clock):
    channels(platform, sms=gateway.url)
    contact(platform, "win_dcf", mobile="13800001111")
    contact(platform, "win_dcf2", mobile="13800002222", settings={"quiet_hours": "off"})
    clock.set(at("2026-10-12 23:10"))
    tell(platform, "win_dcf")
    tell(platform, "win_dcf2")
    [held, free] = outbox(platform, channel="sms")
    assert held.next_attempt_at == at("2026-10-13 07:00") and free.next_attempt_at == at("2026-10-12 23:10")
    deliver_due(platform, now=at("2026-10-12 23:30"))
    assert [call["body"]["mobile"] for call in gateway.received] == ["13800002222"]
    deliver_due(platform, now=at("2026-10-13 06:59"))
    assert len(gateway.received) == 1
    deliver_due(platform, now=at("2026-10-13 07:00"))
    assert [call["body"]["mobile"] for call in gateway.received] == ["13800002222", "13800001111"]


def test_a_retry_that_falls_in_the_quiet_hours_is_held_again(platform, people, gateway, clock):
    channels(platform, sms=gateway.url)
    contact(platform, "win_dcf", mobile="13800001111")
    clock.set(at("2026-10-12 21:59"))
    tell(platform)
    gateway.answers = [(500, {"error": "down"})]
    deliver_due(platform, now=at("2026-10-12 21:59"))
    report = deliver_due(platform, now=at("2026-10-12 22:00"))
    assert (report.claimed, report.held) == (0, 1)
    assert outbox(platform, channel="sms")[0].next_attempt_at == at("2026-10-13 07:00")


def test_email_over_starttls_with_a_login_and_over_tls_from_the_start(platform, people, tmp_path):
    cert, key = make_certificate(tmp_path)
    contact(platform, "win_dcf", email="dcf@example.org")
    for implicit in (False, True):
        box = Mailbox()
        server, port = tls_server(box, cert, key, implicit=implicit, users=None if implicit else {"robot": "s3cret"})
        try:
            scheme = "smtps://" if implicit else "smtp+starttls://robot:s3cret@"
            platform.notify = type(platform.notify)(smtp_url=f"{scheme}127.0.0.1:{port}", smtp_cafile=str(cert),
                                                    mail_from="平台 <noreply@onestop.example>")
            tell(platform)
            report = deliver_due(platform)
            assert report.sent == 1, report.errors
            [email] = box.messages
            assert email["Subject"] == "催办：县级窗口受理（办件7）" and "平台" in str(email["From"])
        finally:
            server.stop()


def test_a_wrong_smtp_password_is_kept_as_the_error(platform, people, tmp_path):
    cert, key = make_certificate(tmp_path)
    contact(platform, "win_dcf", email="dcf@example.org")
    box = Mailbox()
    server, port = tls_server(box, cert, key, implicit=False, users={"robot": "s3cret"})
    try:
        platform.notify = type(platform.notify)(smtp_url=f"smtp+starttls://robot:wrong@127.0.0.1:{port}",
                                                smtp_cafile=str(cert))
        tell(platform)
        report = deliver_due(platform)
        assert report.failed == 1 and "535" in report.errors[0]
    finally:
        server.stop()


@pytest.mark.parametrize("url", ["http://smtp.example:25", "smtp://", "imap://mail.example"])
def test_a_misspelt_smtp_url_is_refused_at_start(url):
    from engine.errors import InvalidInput
    from engine.notify.config import NotifyConfig

    with pytest.raises(InvalidInput):
        NotifyConfig.from_env({"ONESTOP_SMTP_URL": url})


def test_a_worker_without_the_channel_leaves_its_rows_for_one_that_has_it(platform, people, mailbox):
    box, url = mailbox
    contact(platform, "win_dcf", email="dcf@example.org")
    channels(platform)  # this process has no SMTP server
    tell(platform)
    assert deliver_due(platform).claimed == 0
    [row] = outbox(platform, channel="email")
    assert (row.state, row.attempts) == ("pending", 0)
    channels(platform, smtp=url)  # e.g. `onestop worker` started with ONESTOP_SMTP_URL
    assert deliver_due(platform).sent == 1 and len(box.messages) == 1

"""The notification pages: the bell with its count on every page, the list (opening one marks it read and goes to
its task), the settings page, the console's delivery page with resend, users' contact details, 催办 from the
overdue list and the dashboard, and an applicant registering with an SMS code through the local gateway."""

from __future__ import annotations

import re

from conftest import ESCALATION, at, read_flow
from notifykit import channels, contact, outbox
from sqlalchemy import select

from engine.cases.deployment import deploy
from engine.notify.delivery import deliver_due
from engine.people.identity import Actor
from engine.store.models import HistoryEntry, User


def _escalation(platform):
    with platform.uow() as uow:
        deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()


def bell(page: str) -> str | None:
    found = re.search(r'class="bell-count"[^>]*>([^<]+)<', page)
    return found.group(1) if found else None


def test_the_bell_counts_unread_notifications_on_every_page_and_opening_one_goes_to_its_task(
        platform, flow, client_for):
    _escalation(platform)
    flow.start("escalation_demo", {"county": "dongchangfu"})
    client = client_for("win_dcf")
    for path in ("/tasks", "/notifications", "/notifications/settings"):
        assert bell(client.get(path).get_data(as_text=True)) == "1", path
    page = client.get("/notifications").get_data(as_text=True)
    assert "新的待办任务：县级窗口受理" in page
    [row] = outbox(platform, channel="in_app", recipient="win_dcf")
    opened = client.post(f"/notifications/{row.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tasks/{row.task_id}"
    assert bell(client.get("/tasks").get_data(as_text=True)) is None
    assert client_for("win_lq").post(f"/notifications/{row.id}/open").status_code == 404


def test_the_settings_page_saves_channels_quiet_hours_and_email(platform, client_for):
    client = client_for("win_dcf")
    saved = client.post("/notifications/settings", data={
        "kind": ["task_ready", "urge"], "channel-urge-sms": "1", "channel-urge-email": "1",
        "quiet_hours": "21:30-08:00", "language": "zh", "email": "dcf@example.org"})
    assert saved.status_code == 302
    with platform.uow(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == "win_dcf"))
        assert user.email == "dcf@example.org"
        assert user.notification_settings["channels"] == {"task_ready": [], "urge": ["email", "sms"]}
        assert user.notification_settings["quiet_hours"] == "21:30-08:00"
    refused = client.post("/notifications/settings", data={"kind": ["urge"], "quiet_hours": "late", "email": "x@"})
    assert refused.status_code == 422 and "设置未保存" in refused.get_data(as_text=True)


def test_the_console_lists_deliveries_with_errors_and_resends_a_failed_one(platform, flow, client_for, mailbox):
    box, url = mailbox
    channels(platform, smtp=url)
    contact(platform, "win_dcf", email="dcf@example.org")
    _escalation(platform)
    box.refuse = ["550 5.1.1 no such mailbox"]
    flow.start("escalation_demo", {"county": "dongchangfu"})
    deliver_due(platform)
    admin = client_for("admin")
    page = admin.get("/console/notifications?state=failed").get_data(as_text=True)
    assert "550 5.1.1 no such mailbox" in page and "重新发送" in page
    [failed] = outbox(platform, channel="email")
    assert admin.post(f"/console/notifications/{failed.id}/resend").status_code == 302
    deliver_due(platform)
    assert len(box.to("dcf@example.org")) == 1
    assert client_for("win_dcf").get("/console/notifications").status_code == 403


def test_an_administrator_sets_a_users_email_and_mobile(platform, client_for):
    admin = client_for("admin")
    assert "win_dcf" in admin.get("/console/users?q=win").get_data(as_text=True)
    admin.post("/console/users/win_dcf/contact", data={"email": "dcf@example.org", "mobile": "138 0000 1111",
                                                      "mobile_changed": "1"})
    with platform.uow(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == "win_dcf"))
        assert (user.email, user.mobile) == ("dcf@example.org", "13800001111")
    page = admin.get("/console/users?q=win_dcf").get_data(as_text=True)
    assert "138****1111" in page and "13800001111" not in page
    refused = admin.post("/console/users/win_dcf/contact", data={"email": "nope", "mobile_changed": ""},
                         follow_redirects=True)
    assert "请填写有效的电子邮箱" in refused.get_data(as_text=True)


def test_urging_from_the_overdue_list_and_the_dashboard(platform, flow, client_for, clock):
    _escalation(platform)
    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    clock.set(at("2026-10-13 10:00"))
    talent = client_for("talent1")
    for page in ("/console/overdue", "/console/supervision"):
        html = talent.get(page).get_data(as_text=True)
        assert "发送催办" in html, page
    [task] = flow.tasks("win_dcf")
    done = talent.post(f"/console/tasks/{task['id']}/urge", data={"message": "请今天办结", "next": "/console/overdue"})
    assert done.status_code == 302 and done.headers["Location"] == "/console/overdue"
    with platform.uow(write=False) as uow:
        [entry] = uow.session.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == case,
                                                                 HistoryEntry.action == "urge")).all()
        assert entry.details["note"] == "请今天办结"
    assert [r.params["note"] for r in outbox(platform, channel="in_app", recipient="win_dcf") if r.kind == "urge"] \
        == ["请今天办结"]
    case_page = client_for("admin").get(f"/console/instances/{case}").get_data(as_text=True)
    assert "催办" in case_page and "请今天办结" in case_page
    assert client_for("win_dcf").post(f"/console/tasks/{task['id']}/urge", data={"message": "x"}).status_code == 403


def test_an_applicant_registers_with_a_code_sent_by_sms(platform, web_app, gateway):
    channels(platform, sms=gateway.url + "/sms", quiet="22:00-07:00")
    client = web_app.test_client()
    assert "用手机号注册" in client.get("/sign-in").get_data(as_text=True)
    asked = client.post("/register", data={"action": "code", "mobile": "139 0000 5555"})
    assert asked.status_code == 200 and "139****5555" in asked.get_data(as_text=True)
    assert gateway.received == []  # the request only queues it
    deliver_due(platform, now=at("2026-10-12 23:30"))  # a code the person asked for is not held by quiet hours
    [sms] = gateway.received
    assert sms["body"]["mobile"] == "13900005555"
    code = re.search(r"验证码(\d{6})", sms["body"]["text"]).group(1)
    again = client.post("/register", data={"action": "code", "mobile": "13900005555"})
    assert again.status_code == 429  # one code a minute per number
    form = {"action": "register", "mobile": "13900005555", "display_name": "赵六", "username": "zhaoliu",
            "password": "a long enough password", "password_again": "a long enough password"}
    wrong = client.post("/register", data={**form, "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.get_data(as_text=True)
    done = client.post("/register", data={**form, "code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/portal"
    with platform.uow(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == "zhaoliu"))
        assert (user.role, user.mobile, user.display_name) == ("applicant", "13900005555", "赵六")
    [row] = outbox(platform, kind="verification_code")
    assert row.params["code"] == "******"  # the code is not kept once sent
    reused = web_app.test_client().post("/register", data={**form, "username": "other", "code": code})
    assert reused.status_code == 422  # the number has its account

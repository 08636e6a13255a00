"""In Chromium: the bell with its unread count in the header of every page, the list it opens, and the 催办 a
supervisor sends from the overdue list, which reaches the department's bell (screenshots in CJK fonts)."""

from __future__ import annotations

from typing import Any

from conftest import ESCALATION, at, read_flow

from engine.cases.deployment import deploy
from engine.people.identity import Actor

from .conftest import screenshot


def _escalation_case(platform: Any, flow: Any) -> int:
    with platform.uow() as uow:
        deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return int(flow.start("escalation_demo", {"county": "dongchangfu", "applicant": "王五"}))


def test_the_bell_shows_the_unread_count_and_opens_the_list_then_the_task(signed_in, platform, flow):
    case = _escalation_case(platform, flow)
    page = signed_in("win_dcf")
    bell = page.locator("header .bell")
    assert bell.is_visible() and bell.locator(".bell-count").inner_text() == "1"
    screenshot(page, "notify-01-bell")
    bell.click()
    page.wait_for_url("**/notifications")
    item = page.locator(".notification.unread").first
    assert "新的待办任务：县级窗口受理" in item.inner_text() and f"办件{case}" in item.inner_text()
    screenshot(page, "notify-02-list")
    item.locator("button.notification-subject").click()
    page.wait_for_url("**/tasks/*")
    assert page.locator("header .bell .bell-count").count() == 0  # read: the count is gone
    page.goto("/notifications/settings")
    assert page.locator("tr[data-kind='task_ready']").is_visible()
    screenshot(page, "notify-03-settings")


def test_a_supervisor_urges_an_overdue_task_and_the_department_sees_it_in_its_bell(signed_in, platform, flow,
                                                                                    clock):
    case = _escalation_case(platform, flow)
    clock.set(at("2026-10-13 10:00"))  # three working days have passed: the task is overdue
    page = signed_in("talent1")
    page.goto("/console/overdue")
    row = page.locator(f"table.overdue-table tr:has(a:text-is('{case}'))")
    row.locator("details.urge-form summary").click()
    row.locator("textarea[name=message]").fill("请今天内办结并回复人才办")
    screenshot(page, "notify-04-urge-form")
    row.locator("button:has-text('发送催办')").click()
    page.wait_for_url("**/console/overdue")
    assert "已催办" in page.locator(".flash-success").inner_text()
    screenshot(page, "notify-05-urged")
    page.goto("/console/supervision")
    assert page.locator("table.overdue-table details.urge-form summary").first.is_visible()  # on the 督办 page too
    staff = signed_in("win_dcf")
    assert staff.locator("header .bell .bell-count").inner_text() == "2"
    staff.locator("header .bell").click()
    urge = staff.locator(".notification[data-kind='urge']")
    assert "催办：县级窗口受理" in urge.inner_text() and "请今天内办结并回复人才办" in urge.inner_text()
    screenshot(staff, "notify-06-urged-staff")
    admin = signed_in("admin")
    admin.goto(f"/console/instances/{case}")
    assert "请今天内办结并回复人才办" in admin.content()  # recorded in the case history


def test_the_registration_page_and_the_console_delivery_page_render(signed_in, chromium, live_server):
    context = chromium.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/register")
    assert page.locator("button:has-text('获取短信验证码')").is_visible()
    screenshot(page, "notify-07-register-phone")
    context.close()
    admin = signed_in("admin")
    admin.goto("/console/notifications")
    assert admin.locator("h1").inner_text() == "消息发送"
    screenshot(admin, "notify-08-console-deliveries")

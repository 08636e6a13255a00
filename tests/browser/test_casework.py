"""Working together on a case and the administrators' operations, in real Chromium with CJK screenshots: comments
on the task and case pages, a priority set by the window and the task list sorted and filtered by it, an
applicant's 撤回 seen by the staff, bulk actions with their confirmation and per-case results, incidents grouped by
error, and moving a case's token from the console — every new page through axe-core (no serious or critical
violation), on a desktop and a phone."""

from __future__ import annotations

from typing import Any

import pytest
from test_supervision import scenario  # noqa: F401 — the shared fixture

from .conftest import screenshot
from .test_accessibility import PHONE, axe_violations, settle
from .world import World, build_world

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def world(scenario: Any, flow: Any, platform: Any) -> World:  # noqa: F811
    return build_world(scenario, flow, platform)


def clean(page: Any) -> None:
    settle(page)
    assert axe_violations(page) == [], page.url


def test_staff_comment_on_a_task_set_a_priority_and_sort_their_list_by_it(signed_in, world, flow):
    page = signed_in("win_dcf")
    page.goto(f"/tasks/{world.tasks['county_check']}")
    page.fill("#comment-text", "申请人来电：体检报告下周补交")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "申请人来电：体检报告下周补交" in page.inner_text(".comments")
    assert "关于：" in page.inner_text(".comments .comment")
    page.select_option("#priority-select", "critical")
    page.click(".priority-form button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('优先级已设置')")
    assert page.locator(".page-head .badge.priority-critical").inner_text() == "特急"
    clean(page)
    screenshot(page, "casework-task-page-comment-and-priority")
    page.goto("/tasks?view=department&sort=priority")
    first = page.locator(".task-table tbody tr").first
    assert first.locator(".badge.priority-critical").count() == 1
    assert f"办件 {world.county}" in first.inner_text()
    page.goto("/tasks?view=department&priority=critical")
    assert page.locator(".task-table tbody tr").count() == 1
    clean(page)
    screenshot(page, "casework-task-list-by-priority")
    history = flow.view(world.county)["history"]
    assert [h["action"] for h in history][-2:] == ["comment", "priority"]
    applicant = signed_in("applicant")
    applicant.goto(f"/cases/{world.county}")
    assert "申请人来电：体检报告下周补交" in applicant.inner_text(".comments")
    assert applicant.locator("#priority-select").count() == 0, "an applicant does not set priorities"


def test_an_applicant_withdraws_and_the_window_sees_why(signed_in, world, flow):
    page = signed_in("applicant", viewport=PHONE)
    page.goto(f"/cases/{world.county}")
    clean(page)
    page.fill("#withdraw-reason", "已在外地落户，不再申请保健证")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".withdraw button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('申请已撤回')")
    assert "申请人已撤回申请" in page.inner_text(".result-withdrawn")
    assert "已在外地落户" in page.inner_text(".result-withdrawn")
    assert page.locator(".withdraw").count() == 0
    assert page.locator(".page-head .badge").first.inner_text() == "已撤回"
    clean(page)
    screenshot(page, "casework-withdrawn-phone")
    staff = signed_in("win_dcf")
    staff.goto("/tasks?view=department")
    assert f"办件 {world.county}" not in staff.inner_text("main")
    staff.goto(f"/cases/{world.county}")
    assert "已在外地落户，不再申请保健证" in staff.inner_text("main")
    assert flow.view(world.county)["status"] == "cancelled"
    decided = signed_in("applicant")
    decided.goto(f"/cases/{world.claimed}")  # the county window has forwarded it: no withdrawal offered
    assert decided.locator(".withdraw").count() == 0


def test_an_administrator_suspends_the_found_cases_in_bulk_after_confirming(signed_in, world, flow):
    page = signed_in("admin")
    page.goto("/console/instances?model_key=health_card&status=active")
    found = page.locator(".instance-row").count()
    assert found >= 2
    page.click(".bulk-actions summary")
    page.select_option("#bulk-action", "suspend")
    page.fill("#bulk-reason", "系统升级期间暂缓办理")
    page.click(".bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-confirm")
    assert int(page.inner_text("#bulk-count")) == found
    assert all(flow.view(c)["status"] == "active" for c in (world.county, world.claimed)), "nothing done yet"
    clean(page)
    screenshot(page, "console-bulk-confirm")
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-summary")
    assert page.locator("tr.bulk-done").count() == found
    assert f"完成 {found} 件" in page.inner_text("#bulk-summary")
    clean(page)
    screenshot(page, "console-bulk-result")
    assert flow.view(world.county)["status"] == "suspended"
    assert [h["details"]["reason"] for h in flow.view(world.county)["history"] if h["action"] == "suspend"] == [
        "系统升级期间暂缓办理"]


def test_incidents_are_grouped_and_a_group_is_retried_with_one_reason(signed_in, world):
    page = signed_in("admin")
    page.goto("/console/incidents")
    group = page.locator(".incident").first
    assert group.locator(".incident-count").inner_text() == "1"
    assert "compute" in group.inner_text() and "rate" in group.inner_text()
    assert group.locator(f"a[href='/console/instances/{world.escalation['F']}']").count() == 1
    clean(page)
    screenshot(page, "console-incidents")
    group.locator("input[name=reason]").fill("已补充汇率配置，重新处理")
    page.once("dialog", lambda dialog: dialog.accept())
    group.locator("button[type=submit]").click()
    page.wait_for_selector("#bulk-summary")
    row = page.locator(f"tr[data-instance='{world.escalation['F']}']")
    assert "failed again" in row.inner_text() and "rate" in row.inner_text(), "the case still lacks a rate"
    clean(page)


def test_an_administrator_moves_a_cases_token_to_another_step(signed_in, world, flow):
    page = signed_in("admin")
    page.goto(f"/console/instances/{world.escalation['D']}")  # accept and supervise both wait: refused, said why
    assert "并行分支" in page.inner_text(".move-token")
    page.goto(f"/console/instances/{world.county}")
    settle(page)
    clean(page)
    page.select_option("#move-source", "county_check")
    page.select_option("#move-target", "city_review")
    page.fill("#move-reason", "县级窗口已线下核验，直接转市平台审核")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".move-token button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('环节已移动')")
    step = page.locator(".history li[data-action=move_token]")
    assert "县级窗口已线下核验" in step.inner_text() and "移动环节" in step.inner_text()
    screenshot(page, "console-token-moved")
    assert flow.open_task_names(world.county) == ["city_review"]

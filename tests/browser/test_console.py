"""The console's diagrams in real Chromium: bpmn-js draws the deployed version and the markers and overlays
say where each case stands — the failing step of a case in error (then repaired), an overdue task, a waiting
timer with its due time — and, on the flow's page, a badge per element counting the cases waiting there."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_console_queries import with_a_case_in_error
from test_supervision import scenario  # noqa: F401 — the shared fixture

from .conftest import screenshot

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def cases(scenario: Any, flow: Any, platform: Any) -> dict[str, int]:  # noqa: F811
    """test_supervision's cases A–E and F, a case in error (test_console_queries)."""
    return with_a_case_in_error(scenario.cases, flow, platform)


def open_diagram(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("#diagram[data-ready='1']")


def classes(page: Any, element: str) -> set[str]:
    return set(page.get_attribute(f'#diagram g.djs-element[data-element-id="{element}"]', "class").split())


def overlay(page: Any, element: str, kind: str) -> str:
    return str(page.inner_text(f'#diagram .djs-overlays[data-container-id="{element}"] .{kind}'))


def test_the_case_diagram_marks_the_failing_step_an_overdue_task_and_a_waiting_timer(signed_in, cases):
    page = signed_in("admin")
    assert page.url.endswith("/console/instances")
    screenshot(page, "console-01-instances")

    open_diagram(page, f"/console/instances/{cases['F']}")
    assert "cs-error" in classes(page, "compute")
    assert "rate" in page.get_attribute('#diagram .djs-overlays[data-container-id="compute"] .cs-overlay-error',
                                        "title")
    assert "cs-current" in classes(page, "accept") and "cs-completed" in classes(page, "start")
    assert "cs-error" not in classes(page, "accept")
    screenshot(page, "console-02-instance-in-error")
    baseline = json.loads(page.inner_text("#retry-baseline"))  # the data it will be retried with, read-only
    assert "rate" not in baseline and page.input_value("#retry-data") == ""
    page.fill("#retry-data", json.dumps({"rate": 1.5}))  # only what changes
    page.fill("#retry-reason", "补充费率")
    page.click(".retry-form button[type=submit]")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert "已重新处理" in page.inner_text(".flashes")
    assert "cs-completed" in classes(page, "compute") and "cs-error" not in classes(page, "compute")
    assert "cs-current" in classes(page, "review")
    screenshot(page, "console-03-instance-repaired")

    open_diagram(page, f"/console/instances/{cases['D']}")
    assert {"cs-current", "cs-overdue"} <= classes(page, "accept")
    assert overlay(page, "accept", "cs-overlay-overdue") == "已超期"
    assert "cs-current" in classes(page, "supervise") and "cs-overdue" not in classes(page, "supervise")
    assert "cs-completed" in classes(page, "accept_deadline")  # the deadline timer fired on 10 October
    screenshot(page, "console-04-instance-overdue")

    open_diagram(page, f"/console/instances/{cases['E']}")
    assert "cs-timer" in classes(page, "accept_deadline") and "cs-overdue" not in classes(page, "accept")
    assert "2026年10月15日 18:00" in overlay(page, "accept_deadline", "cs-overlay-timer")
    screenshot(page, "console-05-instance-waiting-timer")


def test_the_flow_diagram_has_a_badge_per_element_counting_the_cases_waiting_there(signed_in, cases):
    page = signed_in("admin")
    open_diagram(page, "/console/flows/escalation_demo/1")
    assert {"cs-has-active", "cs-has-overdue"} <= classes(page, "accept")
    assert overlay(page, "accept", "cs-badge-active") == "2" and overlay(page, "accept", "cs-badge-overdue") == "1"
    assert overlay(page, "supervise", "cs-badge-active") == "2" and "cs-has-overdue" not in classes(page, "supervise")
    assert overlay(page, "accept_deadline", "cs-badge-timer") == "1"
    assert "cs-has-active" not in classes(page, "review")
    screenshot(page, "console-06-flow-badges")
    open_diagram(page, "/console/flows/escalation_demo/2")
    assert "cs-has-error" in classes(page, "compute") and overlay(page, "compute", "cs-badge-error") == "1"
    page.goto("/console/supervision?from=2026-10-01&to=2026-11-01")
    assert page.inner_text('[data-table="department"] [data-row="county_window"] [data-col="on_time_rate"]') == "50.0%"
    screenshot(page, "console-07-supervision")
    page.goto("/console/calendar/2027")
    assert "无官方数据：仅按周末计算" in page.inner_text(".calendar-status")
    screenshot(page, "console-08-calendar-fallback")

"""A suspended case on the web pages: its task is listed with a 已暂停 badge and no way to act on it, the task
page says why instead of offering claim or the form, a claim sent anyway is explained, and the applicant sees
the case paused — until an administrator resumes it."""

from __future__ import annotations

from engine.cases.instances import resume_instance, suspend_instance

from .conftest import open_task
from .webkit import text


def set_suspended(platform, flow, case: int, suspended: bool) -> None:
    action = suspend_instance if suspended else resume_instance
    with platform.uow() as uow:
        action(case, reason="用人单位来函申请暂缓办理" if suspended else "恢复办理", actor=flow.actor("admin"),
               uow=uow, now=platform.now())
        uow.commit()


def test_a_suspended_case_is_shown_paused_everywhere_and_cannot_be_worked_on(client_for, flow, platform,
                                                                            county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    set_suspended(platform, flow, county_case, True)
    window = client_for("win_dcf")
    listing = text(window.get("/tasks?view=department"))
    row = listing.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert 'class="row-suspended"' in row and "status-suspended" in row and "已暂停" in row
    assert "暂停计时" in row and ">查看<" in row and ">办理<" not in row

    page = text(window.get(f"/tasks/{task_id}"))
    assert "此案件已由管理员暂停办理" in page and "暂停原因：用人单位来函申请暂缓办理" in page
    assert "认领办理" not in page and 'name="county_decision"' not in page
    assert "已暂停 办理中" not in page and "办理中 办理中" not in page
    refused = text(window.post(f"/tasks/{task_id}/claim", follow_redirects=True))
    assert "操作未完成：此案件已由管理员暂停办理" in refused
    assert open_task(flow, county_case, "county_check")["assignee"] is None

    applicant = text(client_for("applicant").get(f"/cases/{county_case}"))
    assert "办件已暂停办理" in applicant and "暂停原因：用人单位来函申请暂缓办理" in applicant

    set_suspended(platform, flow, county_case, False)
    page = text(window.get(f"/tasks/{task_id}"))
    assert "认领办理" in page and "此案件已由管理员暂停办理" not in page
    assert "已认领" in text(window.post(f"/tasks/{task_id}/claim", follow_redirects=True))
    assert open_task(flow, county_case, "county_check")["assignee"] == "win_dcf"


def test_a_flows_running_outcome_is_not_printed_beside_the_status(client_for, flow, county_case):
    """The health-card flow keeps outcome = "办理中" while it runs: the summary says the status once."""
    assert flow.view(county_case)["data"].get("outcome") == "办理中"
    page = text(client_for("applicant").get(f"/cases/{county_case}"))
    summary = page.split('id="summary-title"', 1)[1].split("</section>", 1)[0]
    assert summary.count("办理中") == 1 and "办理结果" not in summary

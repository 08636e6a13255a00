"""Moving running cases to a new version: dry run, mapping, kept deadlines and claims, call activities."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import DATA, ESCALATION, at, edit, read_flow

from engine.cases.deployment import deploy
from engine.cases.migration import migrate_case, migrate_cases, plan_migration
from engine.errors import Conflict, PermissionDenied
from engine.people.identity import Actor

DESIGNER = Actor("designer", "designer")


def deploy_files(platform, files):
    with platform.uow() as uow:
        result = deploy(files, actor=DESIGNER, uow=uow, now=platform.now())
        uow.commit()
    return result


def renamed_accept(files):
    """Version in which the county window's task got a new id (accept → accept_v2)."""
    for old, new in (('id="accept"', 'id="accept_v2"'), ('attachedToRef="accept"', 'attachedToRef="accept_v2"'),
                     ('targetRef="accept"', 'targetRef="accept_v2"'), ('sourceRef="accept"', 'sourceRef="accept_v2"'),
                     ('bpmnElement="accept"', 'bpmnElement="accept_v2"'),
                     ("<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>accept_v2</bpmn:flowNodeRef>")):
        files = edit(files, "escalation.bpmn", old, new)
    return files


def test_a_waiting_case_moves_keeps_its_claim_and_deadline_and_follows_the_new_steps(flow, platform, deployed):
    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    task = flow.task("county_window_dongchangfu", "accept")
    from tasks.service import claim_task

    with platform.uow() as uow:
        claim_task(task["id"], actor=flow.actor("win_dcf"), uow=uow, now=platform.now())
        uow.commit()
    v2 = edit(read_flow(ESCALATION), "escalation.bpmn", "县级窗口受理", "县级窗口初审")
    v2 = edit(v2, "escalation.bpmn", "working_days(3)", "working_days(5)")
    v2 = edit(v2, "escalation.bpmn", "市平台审核", "市平台复核")
    assert deploy_files(platform, v2).version == 2
    with platform.uow(write=False) as uow:
        report = plan_migration("escalation_demo", 1, 2, actor=DESIGNER, uow=uow, now=platform.now())
    assert [m["id"] for m in report["movable"]] == [case] and report["blocked"] == []
    result = migrate_cases(platform, "escalation_demo", 1, 2, reason="新规定", actor=DESIGNER, now=platform.now())
    assert result["moved"] == [case] and result["failed"] == []
    view = flow.view(case)
    assert view["version"] == 2
    [moved] = [t for t in view["tasks"] if t["state"] != "cancelled"]
    assert (moved["id"], moved["title"], moved["assignee"], moved["state"]) == (
        task["id"], "县级窗口初审", "win_dcf", "claimed")
    assert datetime.fromisoformat(moved["due_at"]) == at("2026-10-10 18:00"), "the running deadline is kept"
    assert [h["details"]["to_version"] for h in view["history"] if h["action"] == "migrate"] == [2]
    flow.complete("win_dcf", "accept", {"approved": True, "months": 1}, case)
    assert [t["title"] for t in flow.tasks("city_window")] == ["市平台复核"], "the new version's next step"
    assert flow.fire(at("2026-10-10 18:00:01")) == [], "the timer ended with its task"


def test_a_case_whose_current_step_was_removed_is_blocked_until_a_mapping_is_given(flow, platform, deployed):
    case = flow.start("escalation_demo", {"county": "linqing"})
    deploy_files(platform, renamed_accept(read_flow(ESCALATION)))
    with platform.uow(write=False) as uow:
        report = plan_migration("escalation_demo", 1, 2, actor=DESIGNER, uow=uow, now=platform.now())
    [blocked] = report["blocked"]
    assert blocked["id"] == case and "accept (县级窗口受理)" in blocked["reasons"][0]
    with platform.uow() as uow, pytest.raises(Conflict):
        migrate_case(case, 2, actor=DESIGNER, uow=uow, now=platform.now())
    mapping = {"accept": "accept_v2"}
    result = migrate_cases(platform, "escalation_demo", 1, 2, mapping=mapping, actor=DESIGNER, now=platform.now())
    assert result["moved"] == [case]
    assert flow.open_task_names(case) == ["accept_v2"]
    flow.complete("county_window_linqing", "accept_v2", {"approved": True, "months": 1})
    assert flow.open_task_names(case) == ["review"]


def test_a_case_waiting_inside_a_call_activity_moves_with_its_parent(flow, platform):
    deploy_files(platform, read_flow(ESCALATION))
    parent = {"parent.bpmn": (DATA / "call_parent" / "parent.bpmn").read_bytes()}
    deploy_files(platform, parent)
    case = flow.start("parent_flow", {"county": "dongchangfu"})
    deploy_files(platform, edit(parent, "parent.bpmn", "办理子流程", "办理子流程（新）"))
    result = migrate_cases(platform, "parent_flow", 1, 2, actor=DESIGNER, now=platform.now())
    assert result["moved"] == [case]
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 1})
    flow.complete("city_window", "review", {"decision": "通过"})
    assert flow.view(case)["status"] == "completed" and flow.view(case)["version"] == 2


def test_only_designers_and_admins_move_cases(flow, platform, deployed):
    with platform.uow(write=False) as uow, pytest.raises(PermissionDenied):
        plan_migration("escalation_demo", 1, 1, actor=Actor("x", "staff", "hrss"), uow=uow, now=platform.now())

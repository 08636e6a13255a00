"""A flow that calls other deployed flows by callActivity: linked at deploy time, tasks routed, forms found."""

from __future__ import annotations

import pytest
from conftest import DATA, ESCALATION, edit, read_flow

from engine.cases.deployment import deploy
from engine.errors import DeploymentRefused, InvalidInput
from engine.people.identity import Actor

PARENT = (DATA / "call_parent" / "parent.bpmn").read_text()


def deploy_files(platform, files):
    with platform.uow() as uow:
        result = deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result


def test_calling_a_flow_that_is_not_deployed_is_refused_with_the_line(platform):
    try:
        deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    except DeploymentRefused as refused:
        [problem] = [d for d in refused.details if "escalation_demo" in d["message"]]
        assert problem["file"] == "parent.bpmn" and problem["line"] == PARENT.splitlines().index(
            '    <bpmn:callActivity id="call" name="办理子流程" calledElement="escalation_demo">') + 1
    else:
        raise AssertionError("a call to an undeployed flow was accepted")


def test_a_called_flow_runs_inside_the_case_with_its_own_lanes_forms_and_deadlines(flow, platform):
    deploy_files(platform, read_flow(ESCALATION))
    deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    case = flow.start("parent_flow", {"county": "dongchangfu", "applicant": "王教授"})
    task = flow.task("county_window_dongchangfu", "accept")
    assert task["instance_id"] == case and task["due_at"] is not None
    with pytest.raises(InvalidInput) as refused:  # the called flow's own form is checked
        flow.complete("county_window_dongchangfu", "accept", {"approved": "yes", "months": 1})
    assert [d["field"] for d in refused.value.details] == ["approved"]
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 2})
    flow.complete("city_window", "review", {"decision": "通过"})
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["amount"] == 2000


def test_a_case_keeps_the_called_flow_version_it_was_linked_to(flow, platform):
    deploy_files(platform, read_flow(ESCALATION))
    deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    deploy_files(platform, edit(read_flow(ESCALATION), "escalation.bpmn", "县级窗口受理", "县级窗口初审"))
    case = flow.start("parent_flow", {"county": "dongchangfu"})
    assert flow.task("county_window_dongchangfu", "accept", case)["title"] == "县级窗口受理"
    relinked = deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    assert relinked.version == 2, "same files calling a newer version of the sub-flow: a new version"
    newer = flow.start("parent_flow", {"county": "dongchangfu"})
    assert flow.task("county_window_dongchangfu", "accept", newer)["title"] == "县级窗口初审"
    platform.specs._bundles.clear()  # a restarted process re-links from the stored versions
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 1}, case)
    assert flow.open_task_names(case) == ["review"]

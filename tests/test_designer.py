"""Designers' services: versions with their case counts, the diff of two versions, the dry run of a draft."""

from __future__ import annotations

from conftest import ESCALATION, edit, read_flow

from engine.cases.deployment import deploy
from engine.people.identity import Actor
from engine.services.designer import diff_versions, dry_run, list_versions, sample_data


def deploy_files(platform, files):
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()


def test_versions_list_who_deployed_them_and_how_many_cases_run_on_each(flow, platform, deployed):
    flow.start("escalation_demo", {"county": "dongchangfu"})
    flow.start("escalation_demo", {"county": "linqing"})
    deploy_files(platform, edit(read_flow(ESCALATION), "escalation.bpmn", "市平台审核", "市平台复核"))
    flow.start("escalation_demo", {"county": "linqing"})
    with platform.uow(write=False) as uow:
        versions = list_versions("escalation_demo", uow=uow)
    assert [(v["version"], v["deployed_by"], v["cases"]["active"]) for v in versions] == [
        (2, "designer", 1), (1, "designer", 2)]


def test_the_diff_names_added_removed_and_changed_elements(platform, deployed):
    changed = edit(read_flow(ESCALATION), "escalation.bpmn", "working_days(3)", "working_days(5)")
    changed = edit(changed, "escalation.bpmn", 'name="市平台审核"', 'name="市平台复核"')
    changed = edit(changed, "escalation.bpmn", '<bpmn:endEvent id="end_refused" name="不予受理">',
                   '<bpmn:endEvent id="end_refused_v2" name="不予受理">')
    changed = edit(changed, "escalation.bpmn", 'targetRef="end_refused"', 'targetRef="end_refused_v2"')
    changed = edit(changed, "escalation.bpmn", "<bpmn:flowNodeRef>end_refused</bpmn:flowNodeRef>",
                   "<bpmn:flowNodeRef>end_refused_v2</bpmn:flowNodeRef>")
    changed = edit(changed, "escalation.bpmn", 'bpmnElement="end_refused"', 'bpmnElement="end_refused_v2"')
    deploy_files(platform, changed)
    with platform.uow(write=False) as uow:
        diff = diff_versions("escalation_demo", 1, 2, uow=uow)
    assert diff["added"] == [{"id": "end_refused_v2", "type": "endEvent", "name": "不予受理"}]
    assert diff["removed"] == [{"id": "end_refused", "type": "endEvent", "name": "不予受理"}]
    changes = {c["id"]: c["changes"] for c in diff["changed"]}
    assert changes["accept_deadline"] == {"timer": {"before": "timeDate: working_days(3)",
                                                    "after": "timeDate: working_days(5)"}}
    assert changes["review"] == {"name": {"before": "市平台审核", "after": "市平台复核"}}
    assert changes["f_decide_refused"] == {"to": {"before": "end_refused", "after": "end_refused_v2"}}


def test_a_dry_run_walks_a_draft_with_sample_answers_and_stores_nothing(flow, platform):
    with platform.uow(write=False) as uow:
        sampled = dry_run(read_flow(ESCALATION), {"county": "dongchangfu"}, uow=uow, now=platform.now())
        answered = dry_run(read_flow(ESCALATION), {"county": "dongchangfu"},
                           answers={"accept": {"approved": True, "months": 3}}, uow=uow, now=platform.now())
    # the smallest accepted answer (0 months) makes the amount 0: the refusal branch
    assert [s["task"] for s in sampled["steps"]] == ["accept"] and sampled["data"]["amount"] == 0
    assert sampled["steps"][0]["data"] == {"approved": True, "months": 0}
    assert [s["task"] for s in answered["steps"]] == ["accept", "review"]
    assert answered["steps"][1]["lane"] == '市"一站式"服务平台' and answered["data"]["amount"] == 3000
    assert answered["stopped"] == {"reason": "completed"}
    with platform.uow(write=False) as uow:  # nothing was stored
        from sqlalchemy import func, select

        from engine.store.models import ProcessInstance

        assert uow.session.scalar(select(func.count(ProcessInstance.id))) == 0


def test_a_dry_run_reports_where_a_draft_fails(platform):
    broken = edit(read_flow(ESCALATION), "escalation.bpmn", "amount = 1000 * months if approved else 0",
                  "amount = 1000 * months * rate")
    with platform.uow(write=False) as uow:
        result = dry_run(broken, {"county": "dongchangfu"}, uow=uow, now=platform.now())
    assert result["stopped"]["reason"] == "error" and "compute" in result["stopped"]["task"]
    assert "rate" in result["stopped"]["message"]


def test_sample_data_fills_required_fields_as_the_form_allows():
    schema = {"type": "object", "required": ["a", "b", "c", "d", "e"], "properties": {
        "a": {"type": "string", "enum": ["通过", "退回"]}, "b": {"type": "integer", "minimum": 3},
        "c": {"type": "boolean"}, "d": {"type": "string", "format": "date"}, "e": {"type": "string"},
        "f": {"type": "string"}}}
    from datetime import date

    assert sample_data(schema, date(2026, 10, 9)) == {"a": "通过", "b": 3, "c": True, "d": "2026-10-09", "e": "示例"}

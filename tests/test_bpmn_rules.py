"""Elements other tools draw run as BPMN says: event-based gateways with timers and messages, link events,
subprocesses without a start event, conditional and default flows out of tasks, a start event called Start,
shared event definitions and QName references — each case runs, never a 500 or a silent stall."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import at
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.scripting import RestrictedScriptEngine
from engine.bpmn.timers import waiting_timers
from engine.bpmn.validation import Bundle, load_bundle
from engine.cases.deadlines import move_timer
from engine.cases.deployment import deploy
from engine.people.identity import Actor
from engine.people.organisation import Organisation
from engine.platform import Platform

CORPUS = Path(__file__).parent / "data" / "thirdparty"
ADMIN = Actor("admin", "admin")


def corpus_files(entry: str) -> dict[str, bytes]:
    path = CORPUS / entry
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return {path.name: path.read_bytes()}


def deploy_entry(platform: Platform, entry: str) -> str:
    with platform.uow() as uow:
        result = deploy(corpus_files(entry), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result.key


def upload(client: Any, headers: dict[str, str], files: dict[str, bytes]) -> Any:
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()]}
    return client.post("/api/v1/process-models", data=data, headers=headers, content_type="multipart/form-data")


def actions(view: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [h for h in view["history"] if h["action"] == action]


def bare_workflow(bundle: Bundle, data: dict[str, Any] | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=RestrictedScriptEngine({}))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    workflow.do_engine_steps()
    return workflow


def ready_names(workflow: BpmnWorkflow) -> list[str]:
    return sorted(t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY))


# --- event-based gateway --------------------------------------------------------------------------

def test_an_event_based_gateways_timer_is_indexed_and_fires_after_its_due_time_through_the_worker(flow, platform):
    key = deploy_entry(platform, "bpmnio_wait_for_correction.bpmn")
    case = flow.start(key, {})
    view = flow.view(case)
    assert view["status"] == "active"
    assert datetime.fromisoformat(view["next_due_at"]) == at("2026-10-02 10:00"), "48 hours after the notice"
    assert flow.fire(at("2026-10-02 09:59")) == [], "not before it is due"
    assert flow.fire(at("2026-10-02 10:00:01")) == [case]
    view = flow.view(case)
    assert (view["status"], view["data"]["withdrawn"], view["next_due_at"]) == ("completed", True, None)
    [fired] = actions(view, "timer_fired")
    assert (fired["task_name"], fired["details"]["timer"]) == ("Event_1overdue", "48小时未补正")


def test_an_administrator_moves_the_gateways_timer_by_its_event_id(flow, platform):
    key = deploy_entry(platform, "bpmnio_wait_for_correction.bpmn")
    case = flow.start(key, {})
    with platform.uow() as uow:
        moved = move_timer(case, "Event_1overdue", "2026-10-05T09:00:00+08:00", reason="国庆顺延", actor=ADMIN,
                           uow=uow, now=platform.now())
        uow.commit()
    assert [(t["timer"], t["kind"], t["due_at"]) for t in moved["timers"]] == [
        ("Event_1overdue", "duration", "2026-10-05T09:00:00+08:00")]
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-05 09:00")
    assert flow.fire(at("2026-10-02 10:00:01")) == [], "the old moment no longer fires"
    assert flow.fire(at("2026-10-05 09:00:01")) == [case]
    assert flow.view(case)["status"] == "completed"


def test_the_gateways_message_wins_when_it_comes_first_and_its_timer_is_dropped():
    workflow = bare_workflow(load_bundle(corpus_files("bpmnio_wait_for_correction.bpmn"), _organisation()))
    assert [t.timer_id for t in waiting_timers(workflow)] == ["Event_1overdue"]
    workflow.catch(BpmnEvent(MessageEventDefinition("materials_corrected"), {}))
    workflow.do_engine_steps()
    assert ready_names(workflow) == ["Activity_1recheck"]
    assert waiting_timers(workflow) == []


def test_two_timers_after_one_gateway_keep_their_own_due_times():
    text = (CORPUS / "bpmnio_wait_for_correction.bpmn").read_text(encoding="utf-8")
    text = text.replace("<bpmn:messageEventDefinition id=\"MessageEventDefinition_0c1\" messageRef="
                        "\"Message_0corrected\" />", "<bpmn:timerEventDefinition id=\"TED_short\"><bpmn:timeDuration>"
                        "'PT1H'</bpmn:timeDuration></bpmn:timerEventDefinition>")
    bundle = load_bundle({"wait.bpmn": text.encode()}, _organisation())
    workflow = bare_workflow(bundle)
    timers = sorted((t.timer_id, t.due - datetime.fromisoformat(str(t.started))) for t in waiting_timers(workflow))
    assert timers == [("Event_0corrected", timedelta(hours=1)), ("Event_1overdue", timedelta(hours=48))]


def _organisation() -> Organisation:
    return Organisation.load(Path(__file__).resolve().parent.parent / "processes" / "liaocheng" / "organisation.yaml")


# --- start events, links, subprocesses, flows out of tasks ----------------------------------------

def test_a_start_event_called_start_runs_through_the_rest_api(client, people):
    deployed = upload(client, people.headers("designer"), corpus_files("start_event_named_start.bpmn"))
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post("/api/v1/process-instances", json={"model_key": "named_start", "data": {}},
                          headers=people.headers("applicant"))
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["status"] == "active"
    [task] = client.get("/api/v1/tasks?scope=department", headers=people.headers("city1")).get_json()
    assert (task["name"], task["title"]) == ("Review", "Review")
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=people.headers("city1"))
    assert done.status_code == 200, done.get_json()
    case = client.get(f"/api/v1/process-instances/{started.get_json()['id']}", headers=people.headers("admin"))
    assert case.get_json()["status"] == "completed"


def test_link_events_continue_at_the_catch_of_the_same_name_through_the_rest_api(client, people):
    assert upload(client, people.headers("designer"), corpus_files("bpmnio_link_events.bpmn")).status_code == 201
    for level, route in (("high", "high_level"), ("other", "general")):
        started = client.post("/api/v1/process-instances", json={"model_key": "link_events_demo",
                                                                  "data": {"level": level}},
                              headers=people.headers("applicant"))
        assert started.status_code == 201, started.get_json()
        case_id = started.get_json()["id"]
        [task] = [t for t in client.get("/api/v1/tasks?scope=department", headers=people.headers("city1")).get_json()
                  if t["instance_id"] == case_id]
        assert task["name"] == "Activity_0archive", "the case went on after the link, it did not stall"
        assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}},
                           headers=people.headers("city1")).status_code == 200
        view = client.get(f"/api/v1/process-instances/{case_id}", headers=people.headers("admin")).get_json()
        assert (view["status"], view["data"]["route"]) == ("completed", route)


def test_a_subprocess_without_a_start_event_starts_every_task_without_an_incoming_flow(flow, platform):
    key = deploy_entry(platform, "rules_subprocess_without_start.bpmn")
    case = flow.start(key, {})
    assert flow.open_task_names(case) == ["Activity_hrss_check", "Activity_security_check"]
    flow.complete("hrss1", "Activity_hrss_check", {"hrss_ok": True})
    assert flow.open_task_names(case) == ["Activity_security_check"]
    flow.complete("science_tech", "Activity_security_check", {"security_ok": True})
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["concluded"] is True


def test_conditional_and_default_flows_out_of_a_task_choose_as_bpmn_says(flow, platform):
    key = deploy_entry(platform, "rules_flows_out_of_tasks.bpmn")
    high = flow.view(flow.start(key, {"years": 7, "major_contribution": True}))
    assert high["status"] == "completed"
    assert {k: high["data"].get(k) for k in ("tier", "bonus", "logged")} == {"tier": "high", "bonus": True,
                                                                            "logged": True}
    standard = flow.view(flow.start(key, {"years": 3, "major_contribution": False}))
    assert standard["status"] == "completed"
    assert {k: standard["data"].get(k) for k in ("tier", "bonus", "logged")} == {"tier": "standard", "bonus": None,
                                                                                "logged": True}


def test_an_event_definition_kept_at_the_top_of_the_file_is_the_events_own(flow, platform):
    key = deploy_entry(platform, "rules_shared_event_definitions.bpmn")
    case = flow.start(key, {})
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-01 10:00")
    assert flow.open_task_names(case) == []
    assert flow.fire(at("2026-10-01 10:00:01")) == [case]
    assert flow.open_task_names(case) == ["Confirm_shared"]


def test_prefixed_references_and_a_called_process_without_start_or_end_event_run():
    bundle = load_bundle(corpus_files("semantic_prefix_export.bpmn"), _organisation())
    workflow = bare_workflow(bundle)
    assert ready_names(workflow) == [], "it waits for the documents"
    workflow.catch(BpmnEvent(MessageEventDefinition("documents_received"), {}))
    workflow.do_engine_steps()
    assert ready_names(workflow) == ["_issue_card"]
    assert workflow.last_task.data.get("still_valid") is True, "the called process ran, though it has no start event"


def test_a_plain_task_in_a_lane_is_a_step_its_department_confirms(flow, platform):
    text = (CORPUS / "rules_plain_tasks.bpmn").read_text(encoding="utf-8")
    fixed = text.replace("<bpmn:flowNodeRef>Activity_receive</bpmn:flowNodeRef>",
                         "<bpmn:flowNodeRef>Activity_receive</bpmn:flowNodeRef>\n"
                         "        <bpmn:flowNodeRef>Activity_print</bpmn:flowNodeRef>")
    with platform.uow() as uow:
        deploy({"plain.bpmn": fixed.encode()}, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    case = flow.start("plain_tasks", {})
    flow.complete("city1", "Activity_receive", {})
    flow.complete("city1", "Activity_print", {})
    assert flow.view(case)["status"] == "completed"


def test_a_signal_end_event_signals_what_waits_for_it():
    text = (CORPUS / "bpmnio_link_events.bpmn").read_text(encoding="utf-8")
    text = text.replace('<bpmn:collaboration id="Collaboration_1f0g2h3">',
                        '<bpmn:signal id="Signal_archived" name="archived" />\n'
                        '  <bpmn:collaboration id="Collaboration_1f0g2h3">')
    text = text.replace('<bpmn:endEvent id="Event_0end" name="结束">\n      <bpmn:incoming>Flow_1l7</bpmn:incoming>',
                        '<bpmn:endEvent id="Event_0end" name="结束">\n      <bpmn:incoming>Flow_1l7</bpmn:incoming>\n'
                        '      <bpmn:signalEventDefinition id="SED_end" signalRef="Signal_archived" />')
    bundle = load_bundle({"links.bpmn": text.encode()}, _organisation())
    workflow = bare_workflow(bundle, {"level": "high"})
    [task] = workflow.get_tasks(state=TaskState.READY)
    task.run()
    workflow.do_engine_steps()
    assert workflow.completed
    assert [event.event_definition.name for event in workflow.bpmn_events] == ["archived"]

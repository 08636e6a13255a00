"""Diagrams shaped like other tools' exports (tests/data/thirdparty): each one runs or is refused with problems
a designer can act on — through the service function, `onestop validate` and the REST API alike."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT
from lxml import etree

from engine.bpmn.validation import Problem, load_bundle
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation
from ui.cli import main

CORPUS = Path(__file__).parent / "data" / "thirdparty"
ENTRIES = sorted(p.name for p in CORPUS.iterdir() if p.suffix == ".bpmn" or p.is_dir())
FORBIDDEN = re.compile(r"0x[0-9a-fA-F]+|Traceback|<Element|TypeError|\bNone\b|Error\(|Exception\(|\\n")
LINE = re.compile(r"^[^\n:]+:\d+: \S[^\n]*$")
IS_EXECUTABLE_ADVICE = 'mark the flow\'s process isExecutable="true"'

# Entries that deploy as they are (what each shows is in its file name and tests/test_bpmn_rules.py).
RUNS = {
    "bpmnio_link_events.bpmn": "link_events_demo",
    "bpmnio_three_timers.bpmn": "three_timers",
    "bpmnio_wait_for_correction.bpmn": "wait_for_correction",
    "rules_flows_out_of_tasks.bpmn": "subsidy_tiers",
    "rules_shared_event_definitions.bpmn": "shared_definitions",
    "rules_subprocess_without_start.bpmn": "joint_review",
    "semantic_prefix_export.bpmn": "_proc_renewal",
    "signavio_style_application.bpmn": "sid-4f1e7a2b-process",
    "spiffarena_subsidy": "Process_living_subsidy_x8k2",
    "start_event_named_start.bpmn": "named_start",
}

COMPENSATION = ("compensation is not run by this engine: model the undoing as ordinary steps — e.g. an error "
                "boundary event or an exclusive gateway after the step that failed, leading to tasks that undo "
                "what was done")
LANE = ("here a task goes to the department its lane names: put the task in a lane named after a department "
        "(its code or name in organisation.yaml) and remove")
FORM = ("here a form is a JSON Schema file uploaded beside the diagram: add <spiffworkflow:property "
        "name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> inside this element's "
        "bpmn:extensionElements/spiffworkflow:properties and remove")
LISTENER = ("listeners run code inside Camunda: do that work in a scriptTask (Python) before or after this "
            "element, or in spiffworkflow:preScript / spiffworkflow:postScript; remove")
IO = ("variables here are the case's data, shared by every step: set or rename them in a scriptTask or in "
      "spiffworkflow:preScript / spiffworkflow:postScript; remove")
PLAIN_TASK = ("is a plain task in no lane, which nobody would see: put it in a department's lane (someone there "
              "confirms it), or make it a scriptTask if the engine should do it")

# The exact problems of the files that are refused: (file, line, message), in the order they are reported.
REFUSED: dict[str, list[tuple[str, int, str]]] = {
    "camunda7_talent_subsidy.bpmn": [
        (8, "lane '窗口受理' is no department of organisation.yaml (or use departmentField)"),
        (15, "lane '督办' is no department of organisation.yaml (or use departmentField)"),
        (19, "lane 'Finance' is no department of organisation.yaml (or use departmentField)"),
        (25, f"startEvent 'StartEvent_1' (申请提交): camunda:formKey=\"embedded:app:forms/apply.html\": {FORM} "
             "camunda:formKey"),
        (25, "startEvent 'StartEvent_1' (申请提交): camunda:initiator=\"applicant\": the case records who started "
             "it; remove camunda:initiator"),
        (28, f"userTask 'Activity_0review' (审核 申请材料): camunda:candidateGroups=\"clerks\": {LANE} "
             "camunda:candidateGroups"),
        (28, "userTask 'Activity_0review' (审核 申请材料): camunda:dueDate=\"${dateTime().plusDays(3).toDate()}\": "
             "a deadline here is a timer boundary event on the task, e.g. a timeDate of working_days(3) or "
             "'2026-10-01T18:00:00+08:00'; remove camunda:dueDate"),
        (30, f"userTask 'Activity_0review' (审核 申请材料): <camunda:formData>: {FORM} camunda:formData"),
        (34, f"userTask 'Activity_0review' (审核 申请材料): <camunda:taskListener>: {LISTENER} "
             "camunda:taskListener"),
        (42, "timeDuration of boundaryEvent 'Event_0deadline' (3天未处理): P3D is read as Python: quote the "
             "ISO 8601 text, 'P3D'"),
        (46, f"userTask 'Activity_1remind' (催办): camunda:assignee=\"demo\": {LANE} camunda:assignee"),
        (62, "condition of sequence flow 'Flow_0yes': ${approved} is a Camunda (JUEL) expression; conditions are "
             "Python here, evaluated on the case's data: write approved"),
        (65, "condition of sequence flow 'Flow_1no': ${!approved} is a Camunda (JUEL) expression; conditions are "
             "Python here, evaluated on the case's data: write not approved"),
        (70, "scriptTask 'Activity_0amount' (计算补贴金额): scripts are Python here: rewrite the script in Python "
             "and set scriptFormat=\"python\" (or remove it)"),
        (70, "scriptTask 'Activity_0amount' (计算补贴金额): camunda:resultVariable=\"amount\": a script sets case "
             "data by assignment here (result = …) and a service task names its result with resultVariable on "
             "spiffworkflow:serviceTaskOperator; remove camunda:resultVariable"),
        (72, f"scriptTask 'Activity_0amount' (计算补贴金额): <camunda:inputOutput>: {IO} camunda:inputOutput"),
        (81, "serviceTask 'Activity_1notify' (通知申请人): camunda:asyncBefore=\"true\": not needed here: a step "
             "that fails puts the case in error, and an administrator's retry runs it again from its last wait; "
             "remove camunda:asyncBefore"),
        (81, "serviceTask 'Activity_1notify' (通知申请人): camunda:class=\"cn.example.talent.NotifyApplicant\": "
             "this engine runs no Java classes or engine expressions: hand the work to an outside system with "
             "<spiffworkflow:serviceTaskOperator id=\"TOPIC\"> (external workers fetch TOPIC), or compute it in a "
             "scriptTask in Python; remove camunda:class"),
        (87, f"endEvent 'Event_0paid' (补贴已核定): <camunda:executionListener>: {LISTENER} "
             "camunda:executionListener"),
    ],
    "camunda8_talent_housing.bpmn": [
        (5, "process 'talent_housing_c8' (人才公寓申请（Camunda 8）): <zeebe:userTaskForm>: here a user task's form "
            "is a JSON Schema file uploaded beside the diagram, named by <spiffworkflow:property "
            "name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> on the task; rewrite this form as a JSON Schema "
            "and remove zeebe:userTaskForm"),
        (27, f"userTask 'Activity_0check' (资格审核): <zeebe:formDefinition>: {FORM} zeebe:formDefinition"),
        (28, f"userTask 'Activity_0check' (资格审核): <zeebe:assignmentDefinition>: {LANE} "
             "zeebe:assignmentDefinition"),
        (29, f"userTask 'Activity_0check' (资格审核): <zeebe:ioMapping>: {IO} zeebe:ioMapping"),
        (43, "businessRuleTask 'Activity_1rent' (确定租金档次): <zeebe:calledDecision>: a businessRuleTask names its "
             "decision with <spiffworkflow:calledDecisionId>rent_level</spiffworkflow:calledDecisionId> inside "
             "bpmn:extensionElements (a decision of a .dmn uploaded with the flow); its result goes into the case's "
             "data under the decision table's output names; remove zeebe:calledDecision"),
        (50, "scriptTask 'Activity_0yearly' (计算年租金): <zeebe:script>: write the script in Python inside the "
             "scriptTask's bpmn:script; remove zeebe:script"),
        (57, "serviceTask 'Activity_1allocate' (分配房源): <zeebe:taskDefinition>: write "
             "<spiffworkflow:serviceTaskOperator id=\"allocate-apartment\"/> inside the task's "
             "bpmn:extensionElements (external workers fetch that topic) and remove zeebe:taskDefinition"),
        (58, "serviceTask 'Activity_1allocate' (分配房源): <zeebe:taskHeaders>: pass values to the outside system as "
             "<spiffworkflow:parameters> of the task's spiffworkflow:serviceTaskOperator; remove zeebe:taskHeaders"),
        (73, "timeDuration of boundaryEvent 'Event_1expired' (逾期未签): =\"P5D\" is a Camunda 8 (FEEL) expression; "
             "timers are Python expressions here that give ISO 8601 text, such as 'P3D', "
             "'2026-10-01T09:00:00+08:00' or working_days(3): write 'P5D'"),
        (86, "condition of sequence flow 'Flow_0a3': =eligible = true is a Camunda 8 (FEEL) expression; conditions "
             "are Python here, evaluated on the case's data: write eligible == True"),
        (97, "message 'Message_0signed' (contract-signed): <zeebe:subscription>: a message reaches a case by its "
             "instance id, business key or correlation values (POST /api/v1/messages); remove zeebe:subscription"),
    ],
    "rules_broken_references.bpmn": [
        (28, "intermediateCatchEvent 'Wait_receipt' (等待 回执): messageRef=\"semantic:Message_receipt\" names no "
             "message of this file: add <bpmn:message id=\"Message_receipt\" name=\"…\"/> at the top of the file, "
             "or pick one it defines"),
        (31, "intermediateCatchEvent 'Wait_timer' (等待): its timer has no time: give it a timeDate (e.g. "
             "working_days(3)), a timeDuration (e.g. 'P3D') or a timeCycle (e.g. 'R3/PT1H')"),
        (33, "businessRuleTask 'Decide_level' (判定 等级) names no decision: add <spiffworkflow:calledDecisionId>"
             "DECISION_ID</spiffworkflow:calledDecisionId> inside its bpmn:extensionElements, the id of a decision "
             "in a .dmn uploaded with the flow"),
        (35, "boundaryEvent 'Boundary_none' (异常): a boundary event needs a trigger: give it a timer, error, "
             "escalation, message, signal or conditional event definition, or delete it"),
        (43, "sequence flow 'Flow_escape' connects endEvent 'End_b' (结束), which is in another (sub)process: a "
             "sequence flow stays inside one; end the subprocess instead, or use a message between pools"),
        (45, "scriptTask 'Script_empty' (空脚本) has no script: write Python in it, or make it a plain task"),
        (48, "timeDate of intermediateCatchEvent 'Reminder_b' (提醒): ${reminderDate} is a Camunda (JUEL) "
             "expression; timers are Python expressions here that give ISO 8601 text, such as 'P3D', "
             "'2026-10-01T09:00:00+08:00' or working_days(3): write reminderDate"),
        (53, "timeDate of intermediateCatchEvent 'Deadline_b' (截止): 2026-10-01T09:00:00 is read as Python: quote "
             "the ISO 8601 text and give it an offset, e.g. '2026-10-01T09:00:00+08:00'"),
        (56, "intermediateThrowEvent 'Jump_b' (跳转): no link catch event named '无处可去' is in process "
             "'broken_references' (各种引用错误): add one there (a link jumps within its own process or "
             "subprocess), or name the link like an existing one"),
        (59, "userTask 'Orphan_b' (孤立 任务) has no incoming sequence flow, so it never runs: connect it, or "
             "delete it"),
        (60, "subProcess 'Event_sub_b' (事件子流程): an event subprocess starts with exactly one start event with a "
             "trigger (timer, message, signal, error or escalation); it has 0"),
        (71, "sequence flow 'Flow_b6' out of parallelGateway 'Split_b' has a condition, which BPMN ignores there: "
             "remove it, or choose branches with an exclusive or inclusive gateway"),
    ],
    "rules_compensation.bpmn": [
        (27, f"boundaryEvent 'Event_undo' (撤销预留): {COMPENSATION}"),
        (29, f"scriptTask 'Activity_release' (释放房源): {COMPENSATION}"),
        (39, f"intermediateThrowEvent 'Event_comp_throw' (撤销): {COMPENSATION}"),
    ],
    "bpmnio_sketch.bpmn": [
        (3, "no top-level executable process: every process is marked isExecutable=\"false\"; mark the flow's "
            "process isExecutable=\"true\""),
        (7, f"task 'Activity_1' (收件登记) {PLAIN_TASK}"),
        (12, f"task 'Activity_2' (审批) {PLAIN_TASK}"),
    ],
    "rules_plain_tasks.bpmn": [(21, f"task 'Activity_print' (打印 证照) {PLAIN_TASK}")],
    "aris_style_export.bpmn": [
        (30, "complexGateway 'ID_route' (按单位性质分流): a complex gateway is not run: use an inclusive gateway "
             "(every branch whose condition holds; it joins them again) or an exclusive gateway"),
    ],
    "signavio_style_no_layout.bpmn": [
        (2, "no diagram interchange (BPMNDI, the layout bpmn.io and Camunda Modeler draw): export the diagram with "
            "its layout from the tool that made it, or draw it in bpmn.io or Camunda Modeler"),
    ],
    "spiffarena_json_datastore.bpmn": [
        (22, "scriptTask 'Activity_lookup' (查询人才目录): it reads or writes the SpiffArena JSONDataStore "
             "'talent_catalogue', which holds data between cases; this platform keeps no data stores: keep the data "
             "in the case, or fetch it with a service task"),
    ],
    "rules_timer_start.bpmn": [
        (14, "startEvent 'Start_monthly' (每月1日): a timer start event would start cases on a schedule, which the "
             "platform does not do: use a none start event (cases start in the web pages or through "
             "POST /api/v1/process-instances, which an outside scheduler may call), and put any wait after it as a "
             "timer intermediate event"),
    ],
    "camunda7_decision": [
        (17, "businessRuleTask 'Activity_0grade' (认定人才类别): camunda:resultVariable=\"category\": a decision's "
             "outputs go into the case's data under the decision table's output names; remove "
             "camunda:resultVariable"),
        (17, "businessRuleTask 'Activity_0grade' (认定人才类别): camunda:decisionRef=\"talent_category\": a "
             "businessRuleTask names its decision with <spiffworkflow:calledDecisionId>talent_category"
             "</spiffworkflow:calledDecisionId> inside bpmn:extensionElements (a decision of a .dmn uploaded with "
             "the flow); its result goes into the case's data under the decision table's output names; remove "
             "camunda:decisionRef"),
        (17, "businessRuleTask 'Activity_0grade' (认定人才类别): camunda:mapDecisionResult=\"singleEntry\": a "
             "decision's outputs go into the case's data under the decision table's output names; remove "
             "camunda:mapDecisionResult"),
        (8, "input 'Input_1': camunda:inputVariable=\"points\": a setting of another engine that this platform "
            "does not read; remove camunda:inputVariable"),
        (21, "input entry: [90..100] is a FEEL range; entries are Python here (? is the input's value): write "
             "90 <= ? <= 100"),
        (24, "input entry: \"院士\",\"长江学者\" is a FEEL list; entries are Python here (? is the input's value): "
             "write ? in (\"院士\",\"长江学者\")"),
        (35, "input entry: not(\"无\") is a FEEL negation; entries are Python here (? is the input's value): write "
             "? not in (\"无\",)"),
        (54, "the file has 2 decisions; the engine reads one decision per .dmn file: put each decision in its own "
             "file"),
        (54, "decision 'talent_points' is not a decision table (a literal expression is not run): write it as a "
             "decision table"),
    ],
}
# Refused with many hints; checked by the general rules and the number of problems only.
REFUSED_COUNT = {"camunda7_external_tasks.bpmn": 14}


@pytest.fixture(scope="module")
def organisation() -> Organisation:
    return Organisation.load(ROOT / "processes" / "liaocheng" / "organisation.yaml")


def files_of(entry: str) -> dict[str, bytes]:
    path = CORPUS / entry
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.suffix in (".bpmn", ".dmn", ".json")}
    return {path.name: path.read_bytes()}


def problems_of(entry: str, organisation: Organisation) -> list[Problem] | str:
    """The problems the service function reports, or the key of the flow when it loads."""
    try:
        return load_bundle(files_of(entry), organisation).key
    except DeploymentRefused as refused:
        return [Problem(str(d["file"]), int(d["line"]), str(d["message"])) for d in refused.details]


def executable(entry: str) -> bool:
    """Whether a diagram of the entry has a process that is executable (isExecutable absent counts as true)."""
    for name, content in files_of(entry).items():
        if name.endswith(".bpmn"):
            root = etree.fromstring(content)
            if any(p.get("isExecutable", "true") != "false" for p in root.iter("{*}process")):
                return True
    return False


def test_every_entry_has_an_expected_outcome():
    assert set(ENTRIES) == set(RUNS) | set(REFUSED) | set(REFUSED_COUNT)
    assert len(ENTRIES) >= 20


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_diagram_runs_or_is_refused_with_plain_one_line_problems(entry: str, organisation: Organisation):
    found = problems_of(entry, organisation)
    if entry in RUNS:
        assert found == RUNS[entry], [str(p) for p in found] if isinstance(found, list) else found
        return
    assert isinstance(found, list) and found
    for problem in found:
        assert LINE.match(str(problem)), str(problem)
        assert not FORBIDDEN.search(problem.message), str(problem)
        assert problem.line > 0 or "diagram interchange" in problem.message, str(problem)
    if executable(entry):
        assert not any(IS_EXECUTABLE_ADVICE in p.message for p in found), "isExecutable advice for an executable one"
    if entry in REFUSED:
        assert [(p.line, p.message) for p in found] == REFUSED[entry]
    else:
        assert len(found) == REFUSED_COUNT[entry], [str(p) for p in found]


def _cli(entry: str) -> Any:
    env = {"ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng"), "ONESTOP_DATABASE_URL": "sqlite://"}
    return CliRunner().invoke(main, ["validate", str(CORPUS / entry)], env=env, catch_exceptions=False)


@pytest.mark.parametrize("entry", ENTRIES)
def test_onestop_validate_prints_the_same_problems_one_per_line(entry: str, organisation: Organisation):
    result = _cli(entry)
    found = problems_of(entry, organisation)
    if isinstance(found, str):
        assert result.exit_code == 0 and result.stdout == "", result.output
        assert f"ok ({found}:" in result.stderr
        return
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines == [str(p) for p in found]
    assert all(LINE.match(line) and not FORBIDDEN.search(line.split(": ", 1)[1]) for line in lines)


def test_the_command_line_as_a_user_runs_it(tmp_path: Path):
    env = {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "ONESTOP_INSTANCE_DIR": str(tmp_path),
           "ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng"), "PATH": "/usr/bin:/bin"}
    for entry, code in (("rules_broken_references.bpmn", 1), ("bpmnio_link_events.bpmn", 0)):
        done = subprocess.run([sys.executable, "-m", "ui.cli", "validate", str(CORPUS / entry)], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stdout.splitlines()) == len(REFUSED.get(entry, []))


def test_the_rest_api_answers_201_or_422_with_the_same_problems(client: Any, people: Any, organisation):
    headers = people.headers("designer")
    for entry in ENTRIES:
        data = {"files": [(io.BytesIO(content), name) for name, content in files_of(entry).items()]}
        response = client.post("/api/v1/process-models", data=data, headers=headers,
                               content_type="multipart/form-data")
        found = problems_of(entry, organisation)
        if isinstance(found, str):
            assert response.status_code == 201 and response.get_json()["key"] == found, entry
        else:
            assert response.status_code == 422, entry
            details = response.get_json()["details"]
            assert [(d["file"], d["line"], d["message"]) for d in details] == \
                [(p.file, p.line, p.message) for p in found]

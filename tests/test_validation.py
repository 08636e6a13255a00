"""Validation of uploaded flows: every problem reported at once, with its file and line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.bpmn.parsing import MAX_FILE_BYTES
from engine.bpmn.validation import Bundle, Problem, load_bundle, read_paths
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation

DATA = Path(__file__).parent / "data"
ESCALATION = DATA / "escalation"
DMN_FLOW = DATA / "validation"
BPMN = "escalation.bpmn"


@pytest.fixture(scope="module")
def organisation() -> Organisation:
    return Organisation.load(Path(__file__).parent.parent / "processes" / "liaocheng" / "organisation.yaml")


def read_folder(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def escalation() -> dict[str, bytes]:
    return read_folder(ESCALATION)


def mutate(files: dict[str, bytes], name: str, old: str, new: str) -> dict[str, bytes]:
    text = files[name].decode("utf-8")
    assert old in text, old
    return {**files, name: text.replace(old, new, 1).encode("utf-8")}


def line_of(files: dict[str, bytes], name: str, needle: str) -> int:
    text = files[name].decode("utf-8")
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def refused(files: dict[str, bytes], organisation: Organisation) -> list[Problem]:
    with pytest.raises(DeploymentRefused) as caught:
        load_bundle(files, organisation)
    details = caught.value.details
    assert details and caught.value.message.startswith(f"{len(details)} problem")
    return [Problem(str(d["file"]), int(d["line"]), str(d["message"])) for d in details]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- valid flows ----------------------------------------------------------------------------------

def test_the_escalation_example_loads(organisation: Organisation) -> None:
    files = escalation()
    bundle = load_bundle(files, organisation)
    assert isinstance(bundle, Bundle)
    assert (bundle.key, bundle.name) == ("escalation_demo", "受理与督办示例")
    assert bundle.spec.name == "escalation_demo"
    assert bundle.subprocess_specs == {}
    assert set(bundle.forms) == {"accept.json", "review.json", "supervise.json"}
    assert bundle.forms["accept.json"]["type"] == "object"
    assert bundle.files == files


def test_reloading_a_deployed_flow_without_checks_is_fast(organisation: Organisation) -> None:
    files = escalation()
    load_bundle(files, organisation, check=False)
    started = time.perf_counter()
    bundle = load_bundle(files, organisation, check=False)
    assert time.perf_counter() - started < 0.25
    assert bundle.key == "escalation_demo"
    assert "accept" in bundle.spec.task_specs


def test_a_decision_table_with_a_business_rule_task_loads(organisation: Organisation) -> None:
    bundle = load_bundle(read_folder(DMN_FLOW), organisation)
    assert bundle.key == "subsidy_demo"
    assert "decide_amount" in bundle.spec.task_specs
    assert set(bundle.forms) == {"apply.json", "apply.ui.json"}


def test_problem_prints_as_file_line_message() -> None:
    problem = Problem("a.bpmn", 12, "bad")
    assert str(problem) == "a.bpmn:12: bad"
    assert problem.as_dict() == {"file": "a.bpmn", "line": 12, "message": "bad"}


# --- lanes, forms, gateways, processes ------------------------------------------------------------

def test_unknown_lane(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, 'name="talent_office"', 'name="市宣传部"')
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == (BPMN, line_of(files, BPMN, '<bpmn:lane id="Lane_talent"'))
    assert problem.message == "lane '市宣传部' is no department of organisation.yaml (or use departmentField)"


def test_applicant_lane_and_chinese_department_names_are_accepted(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, 'name="talent_office"', 'name="市人才办"')
    files = mutate(files, BPMN, 'name="county_window"', 'name="申请人"')
    assert load_bundle(files, organisation).key == "escalation_demo"


def test_user_task_outside_every_lane(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "")
    problem = only(refused(files, organisation))
    assert problem.line == line_of(files, BPMN, '<bpmn:userTask id="review"')
    assert "in no lane" in problem.message


def test_missing_form_file(organisation: Organisation) -> None:
    files = escalation()
    del files["review.json"]
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == (BPMN, line_of(files, BPMN, 'value="review.json"'))
    assert "review.json" in problem.message


def test_invalid_json_form_reports_its_line(organisation: Organisation) -> None:
    files = mutate(escalation(), "review.json", '"required": ["decision"],', '"required": ["decision"]')
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == ("review.json", line_of(files, "review.json", '"properties"'))
    assert "not valid JSON" in problem.message


def test_invalid_json_schema(organisation: Organisation) -> None:
    schema = b'{"type": "object",\n "properties": {"a": {"type": "nonsense"}}}'
    files = {**escalation(), "review.json": schema}
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == ("review.json", 2)
    assert "not a valid JSON Schema at properties/a/type" in problem.message


def test_form_must_describe_an_object(organisation: Organisation) -> None:
    files = {**escalation(), "review.json": b'{"type": "string"}'}
    problem = only(refused(files, organisation))
    assert problem.file == "review.json" and "object" in problem.message


def test_unreferenced_json_file_is_fine(organisation: Organisation) -> None:
    files = {**escalation(), "notes.json": b'{"anything": [1, 2]}'}
    assert "notes.json" in load_bundle(files, organisation).forms


def test_exclusive_gateway_flow_without_condition(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, ' default="f_decide_refused"', "")
    problem = only(refused(files, organisation))
    assert problem.line == line_of(files, BPMN, '<bpmn:sequenceFlow id="f_decide_refused"')
    assert "no condition" in problem.message and "f_decide_refused" in problem.message


def test_two_top_level_processes(organisation: Organisation) -> None:
    other = ('<bpmn:process id="other_flow" isExecutable="true">\n'
             '    <bpmn:startEvent id="other_start" />\n  </bpmn:process>\n  <bpmndi:BPMNDiagram')
    files = mutate(escalation(), BPMN, "<bpmndi:BPMNDiagram", other)
    problem = only(refused(files, organisation))
    assert "escalation_demo" in problem.message and "other_flow" in problem.message
    assert problem.line in (line_of(files, BPMN, '<bpmn:process id="escalation_demo"'),
                            line_of(files, BPMN, '<bpmn:process id="other_flow"'))


def test_call_activity_to_a_missing_process(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<bpmn:scriptTask id="compute" name="计算补贴">',
                   '<bpmn:callActivity id="compute" name="计算补贴" calledElement="missing_process">')
    files = mutate(files, BPMN, "<bpmn:script>amount = 1000 * months if approved else 0</bpmn:script>\n"
                   "    </bpmn:scriptTask>", "</bpmn:callActivity>")
    problem = only(refused(files, organisation))
    assert problem.line == line_of(files, BPMN, '<bpmn:callActivity id="compute"')
    assert "missing_process" in problem.message


def test_a_service_task_without_an_operator_is_refused_with_what_to_write(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<bpmn:scriptTask id="compute" name="计算补贴">',
                   '<bpmn:serviceTask id="compute" name="计算补贴">')
    files = mutate(files, BPMN, "<bpmn:script>amount = 1000 * months if approved else 0</bpmn:script>\n"
                   "    </bpmn:scriptTask>", "</bpmn:serviceTask>")
    problems = refused(files, organisation)
    line = line_of(files, BPMN, '<bpmn:serviceTask id="compute"')
    assert any(p.line == line and "names no service operator" in p.message and
               '<spiffworkflow:serviceTaskOperator id="TOPIC"' in p.message for p in problems), problems


def test_diagram_without_interchange(organisation: Organisation) -> None:
    text = escalation()[BPMN].decode("utf-8")
    start, end = text.index("  <bpmndi:BPMNDiagram"), text.index("</bpmn:definitions>")
    files = {**escalation(), BPMN: (text[:start] + text[end:]).encode("utf-8")}
    problem = only(refused(files, organisation))
    assert (problem.line, problem.message) == (
        2, "no diagram interchange (BPMNDI, the layout bpmn.io and Camunda Modeler draw): export the diagram with "
           "its layout from the tool that made it, or draw it in bpmn.io or Camunda Modeler")


# --- expressions ----------------------------------------------------------------------------------

def test_sandbox_escape_in_a_condition(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "approved and amount &gt; 0", "().__class__.__bases__")
    problems = refused(files, organisation)
    assert {(p.file, p.line) for p in problems} == {(BPMN, line_of(files, BPMN, "().__class__"))}
    assert all("f_decide_review" in p.message for p in problems)


def test_import_in_a_script(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "<bpmn:script>amount", "<bpmn:script>import os\namount")
    problems = refused(files, organisation)
    assert {p.line for p in problems} == {line_of(files, BPMN, "import os")}
    assert all("compute" in p.message for p in problems)


def test_syntax_error_in_a_script_is_reported_on_its_line(organisation: Organisation) -> None:
    script = "<bpmn:script>\nbase = 1000\nrate = (2\namount = base * months if approved else 0</bpmn:script>"
    files = mutate(escalation(), BPMN, "<bpmn:script>amount = 1000 * months if approved else 0</bpmn:script>",
                   script)
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == (BPMN, line_of(files, BPMN, "rate = (2"))
    assert "syntax error" in problem.message


def test_pre_script_and_multi_instance_cardinality_are_checked(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<spiffworkflow:instructionsForEndUser>',
                   "<spiffworkflow:preScript>x = 1\nimport os</spiffworkflow:preScript>\n"
                   "        <spiffworkflow:instructionsForEndUser>")
    outgoing = "<bpmn:outgoing>f_review_end</bpmn:outgoing>"
    files = mutate(files, BPMN, f"{outgoing}\n    </bpmn:userTask>", "</bpmn:userTask>")
    files = mutate(files, BPMN, "<bpmn:incoming>f_decide_review</bpmn:incoming>",
                   f"<bpmn:incoming>f_decide_review</bpmn:incoming>\n      {outgoing}\n"
                   "      <bpmn:multiInstanceLoopCharacteristics>\n"
                   "        <bpmn:loopCardinality>().__class__</bpmn:loopCardinality>\n"
                   "      </bpmn:multiInstanceLoopCharacteristics>")
    problems = refused(files, organisation)
    assert {p.line for p in problems} == {line_of(files, BPMN, "import os"),
                                         line_of(files, BPMN, "<bpmn:loopCardinality>")}
    assert any("preScript of userTask 'accept'" in p.message for p in problems)


def test_naive_time_date_literal(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "working_days(3)", "'2026-10-01T09:00:00'")
    problem = only(refused(files, organisation))
    assert problem.line == line_of(files, BPMN, "<bpmn:timeDate")
    assert "no UTC offset" in problem.message and "server's time zone" in problem.message


def test_time_date_literal_with_offset_is_fine(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "working_days(3)", "'2026-10-01T09:00:00+08:00'")
    assert load_bundle(files, organisation).key == "escalation_demo"


def test_bad_duration_literal(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "<bpmn:timeDate", "<bpmn:timeDuration")
    files = mutate(files, BPMN, "working_days(3)</bpmn:timeDate>", "'P3X'</bpmn:timeDuration>")
    problem = only(refused(files, organisation))
    assert problem.line == line_of(files, BPMN, "<bpmn:timeDuration")
    assert "not an ISO 8601 duration" in problem.message


def test_good_duration_and_cycle_literals(organisation: Organisation) -> None:
    duration = mutate(escalation(), BPMN, "<bpmn:timeDate", "<bpmn:timeDuration")
    duration = mutate(duration, BPMN, "working_days(3)</bpmn:timeDate>", '"PT1H"</bpmn:timeDuration>')
    assert load_bundle(duration, organisation).key == "escalation_demo"
    cycle = mutate(escalation(), BPMN, "<bpmn:timeDate", "<bpmn:timeCycle")
    cycle = mutate(cycle, BPMN, "working_days(3)</bpmn:timeDate>", "'R3/PT1H'</bpmn:timeCycle>")
    assert load_bundle(cycle, organisation).key == "escalation_demo"


def test_unquoted_iso_timer_is_explained(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, "<bpmn:timeDate", "<bpmn:timeDuration")
    files = mutate(files, BPMN, "working_days(3)</bpmn:timeDate>", "P3D</bpmn:timeDuration>")
    assert "quote the ISO 8601 text" in only(refused(files, organisation)).message


def test_decision_table_with_a_bad_input_entry(organisation: Organisation) -> None:
    files = mutate(read_folder(DMN_FLOW), "subsidy.dmn", "<text>&gt; 12</text>",
                   "<text>&gt; ().__class__</text>")
    problems = refused(files, organisation)
    line = line_of(files, "subsidy.dmn", "().__class__")
    assert {(p.file, p.line) for p in problems} == {("subsidy.dmn", line)}
    assert "months> ().__class__" in problems[0].message


def test_decision_table_with_a_syntax_error_in_an_entry(organisation: Organisation) -> None:
    files = mutate(read_folder(DMN_FLOW), "subsidy.dmn", "<text>&gt; 12</text>", "<text>&gt; &gt; 12</text>")
    line = line_of(files, "subsidy.dmn", "&gt; &gt; 12")
    assert {(p.file, p.line) for p in refused(files, organisation)} == {("subsidy.dmn", line)}


def test_business_rule_task_with_an_unknown_decision(organisation: Organisation) -> None:
    files = mutate(read_folder(DMN_FLOW), "subsidy.bpmn", ">subsidy_level<", ">no_such_decision<")
    problem = only(refused(files, organisation))
    line = line_of(files, "subsidy.bpmn", "<bpmn:businessRuleTask")
    assert (problem.file, problem.line) == ("subsidy.bpmn", line)
    assert "no_such_decision" in problem.message


def test_unknown_dmn_namespace(organisation: Organisation) -> None:
    files = mutate(read_folder(DMN_FLOW), "subsidy.dmn", 'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"',
                   'xmlns="https://example.org/dmn"')
    problems = refused(files, organisation)
    assert any(p.file == "subsidy.dmn" and "unknown DMN namespace" in p.message for p in problems)


# --- XML: syntax, schema, hostile documents -------------------------------------------------------

def test_malformed_xml_reports_its_line(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<bpmn:endEvent id="end_done" name="办结">',
                   '<bpmn:endEvent id="end_done" <')
    problem = only(refused(files, organisation))
    assert (problem.file, problem.line) == (BPMN, line_of(files, BPMN, '<bpmn:endEvent id="end_done" <'))
    assert "not well-formed XML" in problem.message


def test_xsd_violation_reports_its_line(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<bpmn:endEvent id="end_done" name="办结">',
                   '<bpmn:endEvent id="end_done" name="办结">\n      <bpmn:frobnicate />')
    problems = refused(files, organisation)
    assert (BPMN, line_of(files, BPMN, "<bpmn:frobnicate")) in {(p.file, p.line) for p in problems}
    assert any("XML schema" in p.message and "bpmn:frobnicate" in p.message for p in problems)


def test_every_xsd_error_is_reported(organisation: Organisation) -> None:
    files = mutate(escalation(), BPMN, '<bpmn:endEvent id="end_done" name="办结">',
                   '<bpmn:endEvent id="end_done" name="办结">\n      <bpmn:frobnicate />')
    files = mutate(files, BPMN, '<bpmn:endEvent id="end_refused" name="不予受理">',
                   '<bpmn:endEvent id="end_refused" name="不予受理">\n      <bpmn:wobble />')
    lines = {p.line for p in refused(files, organisation) if "XML schema" in p.message}
    assert lines == {line_of(files, BPMN, "<bpmn:frobnicate"), line_of(files, BPMN, "<bpmn:wobble")}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">
<bpmn:documentation>&lol9;</bpmn:documentation></bpmn:process></bpmn:definitions>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE bpmn:definitions [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="&xxe;"><bpmn:startEvent id="s" name="&xxe;" /></bpmn:process>
</bpmn:definitions>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/evil.dtd">
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" />
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD],
                         ids=["billion-laughs", "external-entity", "external-dtd"])
def test_hostile_xml_is_a_problem_not_a_hang(organisation: Organisation, content: bytes) -> None:
    started = time.perf_counter()
    problems = refused({**escalation(), BPMN: content}, organisation)
    assert time.perf_counter() - started < 5
    assert any(p.file == BPMN for p in problems)


def test_external_entity_content_never_appears(organisation: Organisation) -> None:
    problems = refused({**escalation(), BPMN: EXTERNAL_ENTITY}, organisation)
    secret = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    text = "\n".join(str(p) for p in problems)
    assert "root:" not in text
    assert not any(line and line in text for line in secret)


def test_deeply_nested_xml(organisation: Organisation) -> None:
    deep = b"<a>" * 50_000 + b"</a>" * 50_000
    started = time.perf_counter()
    problems = refused({"deep.bpmn": deep}, organisation)
    assert time.perf_counter() - started < 5
    assert any(p.file == "deep.bpmn" and "XML" in p.message for p in problems)


def test_huge_file(organisation: Organisation) -> None:
    huge = escalation()[BPMN] + b"<!--" + b"x" * 3_000_000 + b"-->"
    problem = only(refused({**escalation(), BPMN: huge}, organisation))
    assert (problem.file, problem.line) == (BPMN, 0)
    assert f"{MAX_FILE_BYTES // 1024} KiB" in problem.message


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe", b"<x/>", b"<?xml version='1.0'?><a>",
                                     b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'])
def test_garbage_is_refused_with_problems(organisation: Organisation, content: bytes) -> None:
    assert refused({"x.bpmn": content}, organisation)


# --- files ----------------------------------------------------------------------------------------

def test_bad_file_name(organisation: Organisation) -> None:
    problems = refused({**escalation(), "../x.bpmn": escalation()[BPMN]}, organisation)
    assert ("../x.bpmn", 0) in {(p.file, p.line) for p in problems}
    assert any("plain name" in p.message for p in problems)


def test_unknown_extension(organisation: Organisation) -> None:
    problem = only(refused({**escalation(), "hook.py": b"import os"}, organisation))
    assert (problem.file, problem.line) == ("hook.py", 0)
    assert ".bpmn, .dmn and .json" in problem.message


def test_no_bpmn_file(organisation: Organisation) -> None:
    files = escalation()
    del files[BPMN]
    assert any("no .bpmn file" in p.message for p in refused(files, organisation))


def test_too_many_files(organisation: Organisation) -> None:
    files = {**escalation(), **{f"extra{i}.json": b"{}" for i in range(60)}}
    assert any("at most 50" in p.message for p in refused(files, organisation))


def test_several_problems_are_all_reported(organisation: Organisation) -> None:
    files = escalation()
    del files["supervise.json"]
    files = mutate(files, BPMN, 'name="talent_office"', 'name="nobody"')
    files = mutate(files, BPMN, "<bpmn:script>amount", "<bpmn:script>import os\namount")
    files = mutate(files, BPMN, ' default="f_decide_refused"', "")
    files = mutate(files, BPMN, "working_days(3)", "'2026-10-01'")
    files = mutate(files, "review.json", '"required": ["decision"],', '"required": ["decision"]')
    files["hook.py"] = b""
    problems = refused(files, organisation)
    expected = {
        ("hook.py", 0),
        (BPMN, line_of(files, BPMN, 'name="nobody"')),
        (BPMN, line_of(files, BPMN, 'value="supervise.json"')),
        (BPMN, line_of(files, BPMN, "import os")),
        (BPMN, line_of(files, BPMN, '<bpmn:sequenceFlow id="f_decide_refused"')),
        (BPMN, line_of(files, BPMN, "<bpmn:timeDate")),
        ("review.json", line_of(files, "review.json", '"properties"')),
    }
    assert {(p.file, p.line) for p in problems} == expected
    assert len(problems) >= len(expected)
    assert [p.file for p in problems][:1] == [BPMN]  # in upload order, then by line


# --- read_paths -----------------------------------------------------------------------------------

def test_read_paths_on_a_folder() -> None:
    groups = read_paths([ESCALATION])
    assert list(groups) == ["escalation"]
    assert set(groups["escalation"]) == {"accept.json", BPMN, "review.json", "supervise.json"}


def test_read_paths_on_loose_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    groups = read_paths([DMN_FLOW / "apply.json", DMN_FLOW / "subsidy.bpmn", DMN_FLOW / "subsidy.dmn",
                         tmp_path / "notes.txt"])
    assert list(groups) == ["subsidy"]
    assert set(groups["subsidy"]) == {"apply.json", "subsidy.bpmn", "subsidy.dmn", "notes.txt"}
    assert groups["subsidy"]["subsidy.dmn"] == (DMN_FLOW / "subsidy.dmn").read_bytes()


def test_read_paths_folder_skips_other_files_and_loose_unknown_files_are_refused(
        tmp_path: Path, organisation: Organisation) -> None:
    flow = tmp_path / "flow"
    flow.mkdir()
    for name, content in escalation().items():
        (flow / name).write_bytes(content)
    (flow / "README.md").write_text("notes", encoding="utf-8")
    groups = read_paths([flow])
    assert "README.md" not in groups["flow"]
    assert load_bundle(groups["flow"], organisation).key == "escalation_demo"
    loose = read_paths([flow / BPMN, flow / "README.md"])
    assert any(p.file == "README.md" for p in refused(loose["escalation"], organisation))


def test_read_paths_on_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DeploymentRefused):
        read_paths([tmp_path / "nothing"])


def test_a_hit_policy_the_engine_does_not_run_is_refused(organisation: Organisation) -> None:
    files = read_folder(DMN_FLOW)
    changed = mutate(files, "subsidy.dmn", 'hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"')
    problem = only(refused(changed, organisation))
    assert problem.file == "subsidy.dmn" and problem.line == line_of(changed, "subsidy.dmn", "hitPolicy=")
    assert "PRIORITY" in problem.message
    load_bundle(mutate(files, "subsidy.dmn", 'hitPolicy="UNIQUE"', 'hitPolicy="FIRST"'), organisation)

"""The pieces behind "any BPMN a designer brings": expression translation, message hygiene, parser errors
reworded, rewrites that are deterministic, and validation that never raises whatever is taken out of a file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn.problems import MAX_MESSAGE, MAX_QUOTE, Problem, Report, clean_message, quote
from engine.bpmn.rewrite import prepare
from engine.bpmn.spiff_errors import spiff_message
from engine.bpmn.validation import load_bundle
from engine.bpmn.vendor_hints import feel_entry, feel_to_python, foreign_expression, juel_to_python
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "thirdparty"
MUTATIONS_PER_FILE = 80


@pytest.fixture(scope="module")
def organisation() -> Organisation:
    return Organisation.load(ROOT / "processes" / "liaocheng" / "organisation.yaml")


@pytest.mark.parametrize(("juel", "python"), [
    ("approved", "approved"),
    ("!approved", "not approved"),
    ("amount gt 1000 && approved", "amount > 1000 and approved"),
    ("kind eq 'talent' || empty certificates", "kind == 'talent' or not certificates"),
    ("execution.getVariable(\"months\") ge 12", "months >= 12"),
    ("nrOfCompletedInstances == nrOfInstances", None),
    ("x == null", None),
    ("dateTime().plusDays(3)", None),
])
def test_juel_conditions_are_translated_when_the_result_is_plain_python(juel: str, python: str | None):
    assert juel_to_python(juel) == python


@pytest.mark.parametrize(("feel", "python"), [
    ("eligible = true", "eligible == True"),
    ("score >= 60 and level != \"C\"", "score >= 60 and level != \"C\""),
    ("not(rejected)", "not (rejected)"),
    ("x = null", None),
])
def test_feel_conditions_are_translated_when_the_result_is_plain_python(feel: str, python: str | None):
    assert feel_to_python(feel) == python


def test_python_is_not_mistaken_for_another_language():
    for source in ("approved and amount > 0", "working_days(3)", "'P3D'", "a == 1", "x <= 2"):
        assert foreign_expression(source, "condition") is None, source


def test_a_juel_template_gets_advice_but_no_guess():
    advice = foreign_expression("Dear ${name}", "expression")
    assert advice is not None and advice.endswith(": rewrite it in Python")


@pytest.mark.parametrize(("entry", "advice"), [
    ("[1..5]", "write 1 <= ? <= 5"),
    ("(1..5]", "write 1 < ? <= 5"),
    ('"a", "b"', 'write ? in ("a", "b")'),
    ('not("a")', 'write ? not in ("a",)'),
    ("> 5", None),
    ('"a"', None),
    ("f(1, 2)", None),
])
def test_feel_entries_that_python_would_misread_get_a_rewrite(entry: str, advice: str | None):
    found = feel_entry(entry)
    assert (found.endswith(advice) if advice else found is None), found


def test_quoted_diagram_text_is_cut_at_its_bound_and_messages_at_theirs():
    name = "审" * (MAX_QUOTE * 3)
    quoted = quote(name)
    assert len(quoted) == MAX_QUOTE and quoted.endswith("…")
    report = Report()
    report.add("a.bpmn", 3, "x" * (MAX_MESSAGE * 2) + "\nsecond line")
    [problem] = report.problems
    assert len(problem.message) == MAX_MESSAGE and "\n" not in problem.message


def test_a_lane_with_a_very_long_name_is_reported_with_the_name_cut(organisation):
    text = (CORPUS / "rules_plain_tasks.bpmn").read_text(encoding="utf-8")
    text = text.replace('name="city_window"', 'name="' + "部门" * 200 + '"')
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle({"long.bpmn": text.encode()}, organisation)
    lane = [d["message"] for d in refused.value.details if d["message"].startswith("lane ")]
    assert lane and len(lane[0]) < MAX_QUOTE + 80 and "…" in lane[0]


def test_object_reprs_and_line_breaks_never_reach_a_message():
    assert clean_message("Cannot resolve <Element {urn:x}sourceRef at 0x7f3a2b1c> in\n  task") == \
        "Cannot resolve an element in task"
    assert str(Problem("bad\nname.bpmn", 2, "m")) == "bad\\nname.bpmn:2: m"


@pytest.mark.parametrize("error", [
    ValidationException("Cannot resolve dataInputAssociation <Element {urn:x}sourceRef at 0x7f00>"),
    ValidationException("KeyError('formJsonSchemaFilename')"),
    ValidationException("Multiple outgoing flows are not supported for tasks of type"),
    ValidationException('No DMN Diagram available with id "None", Available DMN ids are: '),
    TypeError("NodeParser.raise_validation_exception() got an unexpected keyword argument 'node'"),
    RecursionError("maximum recursion depth exceeded"),
])
def test_parser_errors_are_reworded_without_exception_text(error: Exception):
    message = spiff_message(error, "userTask 'review'")
    for leak in ("0x", "<Element", "TypeError", "KeyError(", "None", "tasks of type"):
        assert leak not in message, message
    assert message


def test_rewrites_leave_the_diagram_alone_and_give_the_same_copy_every_time():
    content = (CORPUS / "bpmnio_link_events.bpmn").read_bytes()
    root = etree.fromstring(content)
    first, done = prepare(root)
    second, _ = prepare(root)
    assert etree.tostring(root) == etree.tostring(etree.fromstring(content)), "the original is untouched"
    assert etree.tostring(first) == etree.tostring(second)
    assert done.origin and all(done.element_of(i) in {e.get("id") for e in root.iter()} for i in done.origin)


def _corpus_diagrams() -> list[Path]:
    return sorted([*CORPUS.glob("*.bpmn"), *CORPUS.glob("*/*.bpmn")])


@pytest.mark.parametrize("path", _corpus_diagrams(), ids=lambda p: p.name)
def test_validation_never_raises_whatever_element_or_attribute_is_taken_out(path: Path, organisation):
    """Each mutant (one element or attribute removed, or an id or reference changed) is refused with problems
    or loads; nothing else may come out of load_bundle."""
    siblings = {p.name: p.read_bytes() for p in path.parent.iterdir()} if path.parent != CORPUS else {}
    original = path.read_bytes()
    chooser = random.Random(path.name)  # the same mutants on every run
    elements = [e for e in etree.fromstring(original).iter() if isinstance(e.tag, str)]
    for index in chooser.sample(range(1, len(elements)), min(MUTATIONS_PER_FILE, len(elements) - 1)):
        root = etree.fromstring(original)
        target = [e for e in root.iter() if isinstance(e.tag, str)][index]
        kind = chooser.choice(("drop", "attribute", "reference"))
        if kind == "drop" and target.getparent() is not None:
            target.getparent().remove(target)
        elif kind == "attribute" and target.attrib:
            del target.attrib[chooser.choice(sorted(target.attrib))]
        else:
            for name in ("sourceRef", "targetRef", "attachedToRef", "messageRef", "default", "calledElement"):
                if target.get(name):
                    target.set(name, "x:" + target.get(name))
            target.text = (target.text or "") + "${broken"
        files = {**siblings, path.name: etree.tostring(root, xml_declaration=True, encoding="UTF-8")}
        try:
            load_bundle(files, organisation)
        except DeploymentRefused as refused:
            for detail in refused.details:
                assert "\n" not in detail["message"] and "Traceback" not in detail["message"], detail
                assert "0x" not in detail["message"] and "<Element" not in detail["message"], detail


def test_schema_errors_are_listed_up_to_their_bound(organisation):
    from engine.bpmn.validation import MAX_SCHEMA_ERRORS

    text = (ROOT / "tests" / "data" / "escalation" / "escalation.bpmn").read_text(encoding="utf-8")
    bogus = "\n".join(f'    <bpmn:task id="extra{i}"><bpmn:wobble /></bpmn:task>'
                      for i in range(MAX_SCHEMA_ERRORS + 10))
    text = text.replace('<bpmn:endEvent id="end_done" name="办结">', bogus + '\n    <bpmn:endEvent id="end_done" '
                        'name="办结">', 1)
    files = {p.name: p.read_bytes() for p in (ROOT / "tests" / "data" / "escalation").iterdir()}
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle({**files, "escalation.bpmn": text.encode()}, organisation)
    schema = [d["message"] for d in refused.value.details if d["message"].startswith("XML schema")]
    assert len(schema) == MAX_SCHEMA_ERRORS + 1
    assert "XML schema: 10 more errors not shown" in schema


def test_a_decision_table_entry_longer_than_its_bound_is_refused(organisation):
    from engine.bpmn.expression_checks import MAX_DMN_ENTRY

    folder = ROOT / "tests" / "data" / "validation"
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    long_entry = "> " + "1" * MAX_DMN_ENTRY
    files["subsidy.dmn"] = files["subsidy.dmn"].replace(b"<text>&gt; 12</text>", f"<text>{long_entry}</text>".encode())
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle(files, organisation)
    assert any(f"longer than {MAX_DMN_ENTRY} characters" in d["message"] for d in refused.value.details)


def test_a_diagram_with_more_flow_elements_than_its_bound_is_refused_at_once(organisation):
    import time

    from engine.bpmn.validation import MAX_FLOW_ELEMENTS

    tasks = "".join(f'<bpmn:task id="t{n}" />' for n in range(MAX_FLOW_ELEMENTS + 1))
    content = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
               f'<bpmn:process id="p" isExecutable="true">{tasks}</bpmn:process></bpmn:definitions>').encode()
    started = time.monotonic()
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle({"wide.bpmn": content}, organisation)
    assert time.monotonic() - started < 2
    assert [d["message"] for d in refused.value.details] == [
        f"the diagram has {MAX_FLOW_ELEMENTS + 1} events, activities, gateways and sequence flows; a flow has at most "
        f"{MAX_FLOW_ELEMENTS}: split it into flows called by call activities"]

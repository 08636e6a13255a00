"""检查 speaks Chinese: every problem the checks find in a corpus of broken drafts — files, lanes, gateways,
forms, timers, scripts, conditions, the sandbox's refusals and Python's syntax errors — in the third-party
exports (tests/data/thirdparty) and the hostile diagrams (tests/message_corpus.py), every piece of advice of the
compatibility catalogue and every reworded parser error reads fully in Chinese (ui/web/check_messages.py,
ui/web/check_advice.py). When the engine words a problem anew, this test names the sentence to teach it."""

from __future__ import annotations

import re

import pytest
from message_corpus import hostile, problems, thirdparty
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from test_validation import ESCALATION, escalation, mutate, organisation, read_folder  # noqa: F401 — fixture

from engine.bpmn.compatibility import ELEMENTS, EVENT_RULES, IGNORED, OWNER_HINTS, VENDOR_HINTS
from engine.bpmn.spiff_errors import spiff_message
from engine.bpmn.validation import form_problems, load_bundle
from engine.errors import DeploymentRefused
from ui.web.check_advice import ADVICE_ZH
from ui.web.check_messages import element_label, in_chinese

BPMN = "escalation.bpmn"
CONDITION = "approved and amount &gt; 0"
SCRIPT = "amount = 1000 * months if approved else 0"

BROKEN_BPMN = [
    ("working_days(3)", "working_days(3"),  # syntax error: '(' was never closed
    ("working_days(3)", "'P3X'"),  # not an ISO 8601 literal
    ("working_days(3)", "'2026-10-01T09:00:00'"),  # no UTC offset
    ("working_days(3)", "P3D"),  # ISO text read as Python
    ("working_days(3)", ""),  # empty
    ("working_days(3)", "fetch(3)"),  # not a known function
    (CONDITION, "__import__('os')"),
    (CONDITION, "approved.__class__"),
    (CONDITION, "lambda: 1"),
    (CONDITION, "amount = 3"),
    (CONDITION, "approved and (amount > 0"),
    (CONDITION, "months.append(1)"),
    (CONDITION, "'%s' % amount"),
    (SCRIPT, "import os"),
    (SCRIPT, "def f():\n    return 1"),
    (SCRIPT, "class A: pass"),
    (SCRIPT, "try:\n    x = 1\nexcept Exception:\n    x = 2"),
    (SCRIPT, "amount = (x for x in range(3))"),
    (SCRIPT, "len = 3"),
    (SCRIPT, "amount = 'unterminated"),
    (SCRIPT, "amount = 1 +"),
    (SCRIPT, "with open('x') as f: pass"),
    (SCRIPT, "_secret = 1"),
    (SCRIPT, "raise ValueError()"),
    ('name="talent_office"', 'name="市宣传部"'),
    ('name="talent_office"', 'name=""'),
    ('value="accept.json"', 'value="missing.json"'),
    ("<bpmn:userTask id=\"review\"", "<bpmn:serviceTask id=\"review\""),
]


def problems_of(files: dict[str, bytes], organisation) -> list[str]:  # noqa: F811
    with pytest.raises(DeploymentRefused) as caught:
        load_bundle(files, organisation)
    return [str(d["message"]) for d in caught.value.details]


def corpus(organisation) -> list[str]:  # noqa: F811
    messages: list[str] = []
    for old, new in BROKEN_BPMN:
        messages += problems_of(mutate(escalation(), BPMN, old, new), organisation)
    files = escalation()
    without_condition = mutate(files, BPMN, f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" '
                               f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{CONDITION}'
                               "</bpmn:conditionExpression>", "")
    messages += problems_of(without_condition, organisation)
    messages += problems_of({**files, "accept.json": b'{"type": "array"}'}, organisation)
    messages += problems_of({**files, "accept.json": b'{"type": '}, organisation)
    messages += problems_of({**files, "notes.txt": b"x"}, organisation)
    messages += problems_of({"accept.json": files["accept.json"]}, organisation)
    messages += problems_of({**files, BPMN: b"<bpmn:definitions"}, organisation)
    text = files[BPMN].decode()
    no_layout = text[:text.index("<bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    messages += problems_of({**files, BPMN: no_layout.encode()}, organisation)
    for schema in (b'{"type": "object", "properties": {"a": {"type": "text"}}}',
                   b'{"type": "object", "properties": {"a": {"type": "string", "pattern": "(a+)+$"}}}',
                   b'{"type": "object", "properties": {"a": {"$ref": "#/$defs/none"}}}',
                   b'{"$schema": "http://example.com/x", "type": "object"}', b'[]'):
        messages += [p.message for p in form_problems("form.json", schema)]
    return messages


def test_every_problem_of_the_broken_drafts_reads_in_chinese(organisation):  # noqa: F811
    messages = corpus(organisation)
    assert len(messages) >= 30
    untranslated = [m for m in messages if in_chinese(m) is None]
    assert untranslated == [], "teach ui/web/check_messages.py these sentences"
    for message in messages:
        assert any("\u4e00" <= c <= "\u9fff" for c in in_chinese(message) or ""), message


@pytest.mark.parametrize(("english", "chinese"), [
    ("timeDate: syntax error: '(' was never closed", "到期时间（timeDate）：语法错误：“(”没有闭合"),
    ("script of scriptTask 'compute' (计算补贴): import is not allowed",
     "脚本任务“计算补贴”（compute）的脚本：不允许 import（导入模块）"),
    ("lane '市宣传部' is no department of organisation.yaml (or use departmentField)",
     "泳道“市宣传部”不是组织机构（organisation.yaml）中的部门"
     "（或为其中每个任务设置 departmentField 动态确定承办部门）"),
    ("userTask 'review' (审核): formJsonSchemaFilename 'x.json' is not among the uploaded files",
     "人工任务“审核”（review）：表单文件“x.json”不在上传的文件中"),
])
def test_the_sentences_people_see_most(english, chinese):
    assert in_chinese(english) == chinese


def test_an_unknown_sentence_is_not_passed_off_as_translated():
    assert in_chinese("a problem nobody has worded yet") is None
    assert element_label("userTask 'review' (审核)") == "人工任务“审核”（review）"
    assert element_label("widget 'x'") is None


# --- the newer checks (issue 13): the third-party corpus, the hostile diagrams, every piece of advice -----------

# English prose left in a message: grammar words that are never Python or an identifier. Quoted names, ids in
# （）, tags and attribute values are left out first — those are the diagram's own words and code.
PROSE = re.compile(r"\b(the|is|are|an|a|of|to|its|this|that|be|here|write|use|remove|add|give|has|which|would|"
                   r"cannot|must|only|than|each|every|should|there|they|will|can|does|was|were)\b", re.I)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|<[^>]*>|（[^）]*）")


def english_left(chinese: str) -> list[str]:
    return PROSE.findall(QUOTED.sub("", chinese))


def not_fully_chinese(messages: list[str]) -> list[str]:
    """The messages that do not come out fully in Chinese: no pattern reads them, or English prose is left."""
    bad = []
    for message in dict.fromkeys(messages):
        chinese = in_chinese(message)
        if chinese is None or not any("\u4e00" <= c <= "\u9fff" for c in chinese) or english_left(chinese):
            bad.append(f"{message}  →  {chinese}")
    return bad


def test_every_problem_of_the_third_party_corpus_and_the_hostile_diagrams_reads_fully_in_chinese(organisation):  # noqa: F811
    messages = [m for files in [*thirdparty(), *hostile()] for m in problems(files, organisation)]
    assert len(set(messages)) >= 100, "the corpus reaches every module of the validator"
    assert not_fully_chinese(messages) == [], "teach ui/web/check_advice.py these sentences"


def test_the_broken_drafts_read_fully_in_chinese_too(organisation):  # noqa: F811
    assert not_fully_chinese(corpus(organisation)) == []


def advice_templates() -> list[str]:
    rules = [rule.advice for rule in (*ELEMENTS.values(), *EVENT_RULES.values()) if rule.verdict == "refused"]
    return sorted({*rules, *(advice for advice in VENDOR_HINTS.values() if advice != IGNORED),
                   *OWNER_HINTS.values()})


@pytest.mark.parametrize("advice", advice_templates())
def test_every_piece_of_advice_of_the_compatibility_catalogue_has_its_chinese(advice):
    assert advice in ADVICE_ZH, "add it to ui/web/check_advice.py::ADVICE_ZH"
    message = "userTask 'review' (审核): camunda:assignee=\"x\": " + advice.format(what="camunda:assignee",
                                                                              value="TOPIC_1")
    chinese = in_chinese(message)
    assert chinese is not None and chinese.startswith("人工任务“审核”（review）："), message
    assert english_left(chinese) == []
    if "{what}" in advice:
        assert "camunda:assignee" in chinese.rsplit("：", 1)[-1] or "camunda:assignee" in chinese
    if "{value}" in advice:
        assert "TOPIC_1" in chinese


# Each reworded parser error (engine/bpmn/spiff_errors.py::KNOWN), from a text SpiffWorkflow writes.
PARSER_TEXTS = [
    "Multiple outgoing flows are not supported for tasks of type", "When looking for a task spec, we found two",
    "Unknown Time Specification", 'No DMN Diagram available with id "None"',
    'No DMN Diagram available with id "level", Available DMN ids are: grade, rent',
    "Cannot resolve dataInputAssociation", "No start event found", "Exactly one start event is required in a "
    "SubWorkflow Task; found 2", "A SubWorkflow Must contain an End event", "Data Store with name catalogue has no "
    "implementation", "There is no support implemented for this task type", "Expected a Message node",
    "Unsupported Catch Event", "Cancel Events may only be used with transactions", "Duplicate process ID: review",
    "Process archive is not executable", "The process 'archive' was not found", "Invalid Script Task",
    "No decisions found", "Multiple decision tables are not current supported", "Malformed Output Expression '20 +'",
]


@pytest.mark.parametrize("text", PARSER_TEXTS)
def test_each_reworded_parser_error_reads_fully_in_chinese(text):
    message = spiff_message(ValidationException(text), "userTask 'review' (审核)")
    assert not_fully_chinese([message]) == []
    assert spiff_message(RecursionError(), "x") and not_fully_chinese([spiff_message(RecursionError(), "x")]) == []
    unforeseen = spiff_message(ValueError("?"), "userTask 'review' (审核)")
    assert not_fully_chinese([unforeseen]) == []


OPERATORS = [
    "",  # no operator at all
    '<spiffworkflow:serviceTaskOperator id="bad topic!" resultVariable="1x"><spiffworkflow:parameters>'
    '<spiffworkflow:parameter type="str" value="1" /><spiffworkflow:parameter id="a" type="str" value="1" />'
    '<spiffworkflow:parameter id="a" /></spiffworkflow:parameters><spiffworkflow:retry retries="1000" />'
    "</spiffworkflow:serviceTaskOperator>",
]


@pytest.mark.parametrize("operator", OPERATORS)
def test_what_a_service_task_is_told_reads_fully_in_chinese(organisation, operator):  # noqa: F811
    task = f'<bpmn:serviceTask id="compute" name="计算补贴"><bpmn:extensionElements>{operator}</bpmn:extensionElements>'
    files = mutate(escalation(), BPMN, '<bpmn:scriptTask id="compute" name="计算补贴">', task)
    files = mutate(files, BPMN, f"<bpmn:script>{SCRIPT}</bpmn:script>\n    </bpmn:scriptTask>", "</bpmn:serviceTask>")
    messages = problems_of(files, organisation)
    assert len(messages) == (1 if not operator else 6), messages
    assert not_fully_chinese(messages) == [], "teach ui/web/check_advice.py these sentences"

"""How values read on screen: Chinese dates, working-day countdowns, safe instructions, form fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import at
from flask import g, session
from flask_babel import refresh

from ui.web import display
from ui.web.schema_forms import build_fields, read_submission


@pytest.fixture
def request_context(web_app: Any, platform: Any) -> Iterator[Any]:
    with web_app.test_request_context("/"):
        with platform.uow(write=False) as uow:
            g.onestop_calendar = platform.calendar.get(uow)
        yield web_app


def test_dates_are_written_the_chinese_way_in_the_platform_time_zone(request_context):
    assert display.when(at("2026-10-10 18:00")) == "2026年10月10日 18:00"
    assert display.when("2026-10-10T10:00:00+00:00") == "2026年10月10日 18:00"
    assert display.day("2026-10-09") == "2026年10月9日"
    session["lang"] = "en"
    refresh()
    assert display.when(at("2026-10-10 18:00")) == "10 Oct 2026 18:00"


@pytest.mark.parametrize(("now", "due", "text", "level"), [
    ("2026-09-30 10:00", "2026-10-13 18:00", "剩余 5 个工作日", "ok"),  # the National Day holidays do not count
    ("2026-10-09 10:00", "2026-10-10 18:00", "剩余 1 个工作日", "soon"),  # Saturday 10-10 is a worked day
    ("2026-10-13 09:00", "2026-10-13 18:00", "今日 18:00 到期", "today"),
    ("2026-10-13 18:30", "2026-10-13 18:00", "已超期", "overdue"),
    ("2026-10-16 09:00", "2026-10-13 18:00", "已超期 3 个工作日", "overdue"),
    ("2026-10-05 09:00", "2026-09-30 18:00", "已超期", "overdue"),  # only holidays since: no working day lost
])
def test_deadlines_count_down_in_working_days(request_context, clock, now, due, text, level):
    clock.set(at(now))
    assert display.countdown(at(due)) == {"text": text, "level": level}
    assert display.countdown(None) is None


def test_countdowns_in_english(request_context, clock):
    session["lang"] = "en"
    refresh()
    assert display.countdown(at("2026-10-13 18:00"))["text"] == "5 working days left"
    clock.set(at("2026-10-15 09:00"))
    assert display.countdown(at("2026-10-13 18:00"))["text"] == "Overdue by 2 working days"


def test_instructions_fill_in_case_data_and_nothing_becomes_markup(request_context):
    data = {"applicant_name": "<b>张三</b>", "missing_items": ["证件照", "身份证复印件"], "ok": True}
    rendered = display.instructions("请核验{{ applicant_name }}：{{ missing_items }}，{{ ok }}<br>", data)
    assert str(rendered) == "请核验&lt;b&gt;张三&lt;/b&gt;：证件照、身份证复印件，是&lt;br&gt;"
    assert "<i>" not in display.instructions("{{ applicant_name|safe }}{% autoescape false %}{{ applicant_name }}"
                                             "{% endautoescape %}", {"applicant_name": "<i>x</i>"})
    refused = str(display.instructions("{{ ''.__class__.__mro__ }}", {}))  # the sandbox refuses: shown as text
    assert refused == "{{ &#39;&#39;.__class__.__mro__ }}"
    assert str(display.instructions("unclosed {{ tag", {})) == "unclosed {{ tag"
    assert str(display.instructions("第一行\n第二行", {})) == "第一行<br>第二行"


def test_fields_follow_the_schema_and_ui_schema(request_context):
    schema = {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "string", "title": "甲", "enum": ["x", "y"]},
        "b": {"type": "string", "title": "乙", "enum": ["1", "2", "3", "4", "5"]},
        "c": {"type": "string", "maxLength": 500}, "d": {"type": "string"}, "e": {"type": "boolean"},
        "f": {"type": "array", "items": {"type": "string", "enum": ["m", "n"]}},
        "g": {"type": "string", "format": "date"}, "h": {"type": "integer"}, "i": {"type": "number"}},
        "allOf": [{"if": {"properties": {"a": {"const": "y"}}}, "then": {"required": ["d"]}}]}
    ui = {"ui:order": ["d", "a"], "a": {"ui:widget": "select"}, "d": {"ui:widget": "file", "ui:help": "说明"}}
    fields = build_fields(schema, ui, {"a": "y"}, [{"field": "d", "message_zh": "必填"}])
    assert [(f.name, f.widget) for f in fields] == [
        ("d", "file"), ("a", "select"), ("b", "select"), ("c", "textarea"), ("e", "checkbox"), ("f", "checkboxes"),
        ("g", "date"), ("h", "integer"), ("i", "number")]
    d = fields[0]
    assert d.errors == ["必填"] and d.help == "说明" and d.hints == ["“甲”选择“y”时必填"] and not d.required
    assert fields[1].required and fields[1].value == "y"


def test_a_submitted_form_reads_back_as_typed_data(request_context):
    from werkzeug.datastructures import MultiDict

    schema = {"type": "object", "properties": {
        "h": {"type": "integer"}, "i": {"type": "number"}, "e": {"type": "boolean"}, "t": {"type": "string"},
        "f": {"type": "array", "items": {"enum": ["m", "n"]}}, "d": {"type": "string"}}}
    data, uploads, problems = read_submission(
        schema, {"d": {"ui:widget": "file"}},
        MultiDict([("h", " 7 "), ("i", "2.50"), ("t", "  "), ("f", "m"), ("f", "n"), ("d__kept", "附件#3 a.pdf")]),
        MultiDict())
    assert data == {"h": 7, "i": 2.5, "e": False, "f": ["m", "n"], "d": "附件#3 a.pdf"}
    assert uploads == [] and problems == []
    data, _, problems = read_submission(schema, None, MultiDict([("h", "1.5"), ("i", "x")]), MultiDict())
    assert [p["message_zh"] for p in problems] == ["请输入整数", "请输入数字"]

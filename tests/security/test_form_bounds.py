"""Form validation whose work is bounded whatever is sent: data larger or deeper than any form takes is refused
before a rule runs, at most MAX_FORM_ERRORS problems are listed, uniqueItems is linear, and numbers a browser
cannot hold never get in through a web form. Each bound is hit here, through the API and the web as well as
directly, on both databases."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from web.webkit import deploy_files, sign_in

from engine.bpmn import forms
from engine.bpmn.forms import (
    MAX_FORM_DEPTH,
    MAX_FORM_ERRORS,
    MAX_FORM_ITEMS,
    MAX_FORM_PROPERTIES,
    MAX_FORM_TEXT_CHARS,
    MAX_FORM_VALUES,
    validate_form_data,
)
from engine.errors import InvalidInput
from engine.store.models import HistoryEntry

from .conftest import World
from .diagrams import escalation_files

LIST_FORM = {"type": "object", "properties": {
    "items": {"type": "array", "items": {"type": "string"}},
    "people": {"type": "array", "uniqueItems": True, "items": {"type": "object"}},
    "day": {"type": "string", "format": "date"}, "mail": {"type": "string", "format": "email"},
    "code": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["ABC"]},
    "plate": {"type": "string", "pattern": "^鲁P", "errorMessage": {"pattern": "应为聊城号牌，如 鲁P12345"}},
    "photo": {"type": "string", "pattern": "^.+\\.(jpg|jpeg|png)$"}}}


def refused(data: Any, schema: dict[str, Any] | None = LIST_FORM) -> tuple[list[dict[str, Any]], float]:
    started = time.monotonic()
    with pytest.raises(InvalidInput) as error:
        validate_form_data(schema, data)
    return error.value.details, time.monotonic() - started


def test_a_million_item_array_is_refused_before_any_rule_runs() -> None:
    details, elapsed = refused({"items": [1] * 1_000_000})
    assert elapsed < 0.5 and details == [{
        "field": "items", "message": f"more than {MAX_FORM_ITEMS} items",
        "message_zh": f"项数过多（最多{MAX_FORM_ITEMS}项）", "message_key": "项数过多（最多%(max)s项）",
        "params": {"max": MAX_FORM_ITEMS}}]
    validate_form_data(LIST_FORM, {"items": ["x"] * MAX_FORM_ITEMS})


@pytest.mark.parametrize(("data", "field"), [
    ({f"k{i}": 1 for i in range(MAX_FORM_PROPERTIES + 1)}, "data"),
    ({"a": [[1] * 100 for _ in range(MAX_FORM_VALUES // 100)]}, "data"),
    ({"a": json.loads("[" * (MAX_FORM_DEPTH + 1) + "]" * (MAX_FORM_DEPTH + 1))}, "a" + ".0" * MAX_FORM_DEPTH),
    ({"a": "x" * (MAX_FORM_TEXT_CHARS + 1)}, "a"), ({"a": float("nan")}, "a"), ({"a": [1, float("-inf")]}, "a.1"),
    ({"a": "x\x00"}, "a"), ({"a": "\udc80"}, "a"),
])
def test_each_bound_of_form_data_is_hit_without_a_schema_too(data: dict[str, Any], field: str) -> None:
    details, _elapsed = refused(data, None)
    assert len(details) == 1 and details[0]["field"] == field, details


def test_at_most_twenty_problems_are_listed() -> None:
    details, elapsed = refused({"items": list(range(MAX_FORM_ITEMS))})
    assert len(details) == MAX_FORM_ERRORS == 20 and elapsed < 1


def test_unique_items_over_thousands_of_objects_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms, "MAX_FORM_ITEMS", 20_000)  # past the bounds, to time the check itself
    monkeypatch.setattr(forms, "MAX_FORM_VALUES", 100_000)
    people = [{"name": f"p{i}", "ids": [i, i + 1]} for i in range(8000)]
    started = time.monotonic()
    validate_form_data(LIST_FORM, {"people": people})
    details, _elapsed = refused({"people": [*people, {"ids": [7999, 8000], "name": "p7999"}]})
    assert time.monotonic() - started < 2  # jsonschema's pairwise check took 50 s
    assert details[0]["field"] == "people" and details[0]["message_zh"] == "有重复的项"
    validate_form_data(LIST_FORM, {"people": [{"n": 1}, {"n": 1.5}, {"n": True}]})
    assert refused({"people": [{"n": 1}, {"n": 1.0}]})[0][0]["field"] == "people"  # 1 and 1.0 are one number


def test_format_errors_say_what_is_expected() -> None:
    details, _elapsed = refused({"day": "2026-13-45", "mail": "zhang", "code": "ab", "plate": "京A1",
                                 "photo": "张三.pdf"})
    said = {d["field"]: d["message_zh"] for d in details}
    assert said == {"day": "应为日期，如 2026-10-01", "mail": "应为电子邮箱地址，如 zhangsan@example.com",
                    "code": "格式不正确，应如：ABC", "plate": "应为聊城号牌，如 鲁P12345",
                    "photo": "应为JPG、PNG格式的文件"}


@pytest.fixture
def list_task(platform: Any, people: Any, flow: Any) -> dict[str, Any]:
    """A task whose form takes a list and a number, claimed by win_dcf."""
    files = escalation_files(key="list_form")
    schema = json.loads(files["accept.json"])
    schema["properties"] |= {"items": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
                             "score": {"type": "number", "title": "评分"}}
    files["accept.json"] = json.dumps(schema, ensure_ascii=False).encode()
    key = deploy_files(platform, files)
    case = flow.start(key, {"applicant": "张三", "county": "dongchangfu"})
    return {"case": case, **flow.task("win_dcf", "accept", case)}


def history_rows(platform: Any) -> int:
    with platform.uow(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(HistoryEntry)) or 0)


@pytest.mark.parametrize("size", [MAX_FORM_ITEMS + 1, 100_000])
def test_an_oversized_submission_is_refused_in_under_three_seconds_with_a_short_answer(
        client: Any, people: Any, platform: Any, list_task: dict[str, Any], size: int) -> None:
    client.post(f"/api/v1/tasks/{list_task['id']}/claim", headers=people.headers("win_dcf"))
    before = history_rows(platform)
    body = '{"data": {"approved": true, "months": 3, "items": [' + ",".join(["1"] * size) + "]}}"
    started = time.monotonic()
    response = client.post(f"/api/v1/tasks/{list_task['id']}/complete", data=body, content_type="application/json",
                           headers=people.headers("win_dcf"))
    elapsed = time.monotonic() - started
    assert response.status_code == 422 and elapsed < 3 and len(response.get_data()) < 64 * 1024
    assert response.get_json()["details"][0]["field"] == "items"
    assert history_rows(platform) == before


def test_a_web_form_repeating_a_field_a_million_times_is_refused_fast(web_app: Any, world: World) -> None:
    applicant = web_app.test_client()
    sign_in(applicant, "applicant")
    body = b"&".join([b"applicant=x"] * 1_000_000)
    started = time.monotonic()
    response = applicant.post("/portal/services/escalation_demo", data=body,
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and time.monotonic() - started < 3 and len(response.get_data()) < 64 * 1024


@pytest.mark.parametrize("typed", ["nan", "NaN", "inf", "-Infinity", "1e400", "9" * 30, "1" * 50])
def test_a_number_field_refuses_what_is_not_a_finite_number(web_app: Any, platform: Any, list_task: dict[str, Any],
                                                            typed: str) -> None:
    staff = web_app.test_client()
    sign_in(staff, "win_dcf")
    staff.post(f"/tasks/{list_task['id']}/claim")
    response = staff.post(f"/tasks/{list_task['id']}", data={"approved": "y", "months": "3", "score": typed})
    assert response.status_code == 422 and "请输入数字" in response.get_data(as_text=True)
    accepted = staff.post(f"/tasks/{list_task['id']}", data={"approved": "y", "months": "3", "score": "87.5"})
    assert accepted.status_code == 302
